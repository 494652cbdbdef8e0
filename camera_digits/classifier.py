"""Model backends: 28×28 crops in, class probabilities out, one call per batch.

The default backend runs the exported `.tflite` with LiteRT, so the camera path never imports
TensorFlow; the Keras backend loads the `.keras` file and serves as a fallback.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import os
import sys
from pathlib import Path

import numpy as np

from camera_digits.errors import ModelError

MODEL_FILE = "digits.tflite"
CHECKOUT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"  # where train.py publishes
INPUT_SHAPE = (28, 28, 1)
REJECT_CLASS = 10  # the optional eleventh output: "not a digit"
REJECT_FOLDER = "reject"
# One folder per class, as --save-crops writes crops and train.py --extra reads them.
CLASS_FOLDERS = {**{str(digit): digit for digit in range(10)}, REJECT_FOLDER: REJECT_CLASS}
TRAIN_HINT = 'run "python train.py" or pass --model PATH'
# A frame's batch is small: beyond a few threads, starting them costs more than they save.
INFERENCE_THREADS = min(4, os.cpu_count() or 1)


def shipped_models_dir() -> Path:
    """The folder of the shipped model: the copy an installed wheel carries as `camera_digits/models/`, found
    with importlib.resources wherever the package is installed, else the `models/` of a source checkout."""
    installed = Path(str(importlib.resources.files("camera_digits") / "models"))
    return installed if (installed / MODEL_FILE).is_file() else CHECKOUT_MODELS_DIR


MODELS_DIR = shipped_models_dir()
DEFAULT_MODEL_PATH = MODELS_DIR / MODEL_FILE


def default_model_path() -> Path:
    """The shipped model, unless CAMERA_DIGITS_MODEL names another."""
    return Path(os.environ.get("CAMERA_DIGITS_MODEL", DEFAULT_MODEL_PATH))


def load(path: str | os.PathLike | None = None):
    """Load the classifier at `path` (`.tflite` or `.keras`); None loads the shipped model."""
    path = Path(path) if path is not None else default_model_path()
    if not path.is_file():
        raise ModelError(f"no model at {path}; {TRAIN_HINT}")
    if path.suffix == ".tflite":
        return LiteRTClassifier(path)
    if path.suffix == ".keras":
        return KerasClassifier(path)
    raise ModelError(f"{path} is not a .tflite or .keras model; {TRAIN_HINT}")


def check_crops(crops: np.ndarray) -> np.ndarray:
    """Return `crops` as float32 (N, 28, 28, 1), or raise ValueError naming what was given."""
    crops = np.asarray(crops)
    if crops.ndim != 4 or crops.shape[1:] != INPUT_SHAPE:
        raise ValueError(f"crops must be (N, 28, 28, 1) float32 in [0, 1]; got {crops.dtype} {crops.shape}")
    return crops.astype(np.float32, copy=False)


def check_output_shape(path: Path, shape) -> int:
    """The model's class count, after checking it maps crops to 10 or 11 scores."""
    if len(shape) != 2 or shape[-1] not in (10, 11):
        raise ModelError(f"{path} outputs shape {tuple(shape)}, not (N, 10) or (N, 11) class scores; {TRAIN_HINT}")
    return int(shape[-1])


@contextlib.contextmanager
def native_stderr_silenced():
    """Send what native code writes to file descriptor 2 to /dev/null for the duration of the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class LiteRTClassifier:
    """Runs a `.tflite` model (which ends in a softmax) with the LiteRT interpreter."""

    def __init__(self, path: Path, num_threads: int = INFERENCE_THREADS):
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        try:
            self._interpreter = Interpreter(model_path=str(self.path), num_threads=num_threads)
            with native_stderr_silenced():  # the runtime announces its CPU delegate on first allocation
                self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            raise ModelError(f"{self.path} is not a readable LiteRT model ({error}); {TRAIN_HINT}") from None
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        if tuple(self._input["shape"][1:]) != INPUT_SHAPE:
            raise ModelError(f"{self.path} takes input {tuple(self._input['shape'])}, not (N, 28, 28, 1); {TRAIN_HINT}")
        self.num_classes = check_output_shape(self.path, self._output["shape"])
        self._batch_size = int(self._input["shape"][0])

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """Class probabilities (N, num_classes) float32 for crops (N, 28, 28, 1) float32 in [0, 1]."""
        crops = check_crops(crops)
        if len(crops) == 0:
            return np.zeros((0, self.num_classes), np.float32)
        if len(crops) != self._batch_size:
            # Resizing re-plans the graph: do it only when the number of crops changes.
            self._interpreter.resize_tensor_input(self._input["index"], crops.shape)
            self._interpreter.allocate_tensors()
            self._batch_size = len(crops)
        self._interpreter.set_tensor(self._input["index"], crops)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output["index"]).copy()


class KerasClassifier:
    """Runs a `.keras` model (which ends in logits) with Keras; imports TensorFlow."""

    def __init__(self, path: Path):
        import keras

        self.path = Path(path)
        try:
            self._model = keras.saving.load_model(self.path, safe_mode=True, compile=False)
        except Exception as error:  # Keras raises many types for a bad archive; all mean the same here.
            problem = type(error).__name__
            raise ModelError(f"{self.path} is not a readable Keras model ({problem}); {TRAIN_HINT}") from None
        if tuple(self._model.input_shape[1:]) != INPUT_SHAPE:
            raise ModelError(f"{self.path} takes input {self._model.input_shape}, not (N, 28, 28, 1); {TRAIN_HINT}")
        self.num_classes = check_output_shape(self.path, self._model.output_shape)

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """Class probabilities (N, num_classes) float32 for crops (N, 28, 28, 1) float32 in [0, 1]."""
        crops = check_crops(crops)
        if len(crops) == 0:
            return np.zeros((0, self.num_classes), np.float32)
        logits = np.asarray(self._model(crops, training=False))
        return softmax(logits.astype(np.float32))
