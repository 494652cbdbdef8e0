"""Train a digit CNN on MNIST and publish it: `.keras`, `.tflite`, metadata JSON and a report PNG.

Every file in the output folder is replaced atomically and only after the whole run succeeded, so an
interrupted or failed run leaves the previous model in place. Each epoch is checkpointed (the last
one for `--resume`, the best one by validation accuracy for publishing).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from camera_digits.augment import augment_batch
from camera_digits.classifier import REJECT_CLASS
from camera_digits.data import load_mnist
from camera_digits.errors import CameraDigitsError
from camera_digits.files import atomic_path, write_text_atomic
from camera_digits.handwriting import font_paths
from camera_digits.models import ARCHITECTURES, DEFAULT_ARCHITECTURE, build, optimizer_for
from camera_digits.nondigits import render_nondigits
from camera_digits.report import write_report_png
from camera_digits.shutdown import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, sigterm_raises

PREPROCESSING_VERSION = 1  # bump when the crops the camera path feeds the model change
VALIDATION_SIZE = 5000
REJECT_SHARE = 0.2  # non-digit images added per digit image, for models with a reject class
# After training, the reject class's bias is lowered until at most this share of the validation digits is read
# as "not a digit" (a fine-tune without it lost 0.36 % of the MNIST test digits to the richer reject class).
MAX_FALSE_REJECTS = 0.0005
# A 40th of a fresh run's peak: the start model's digits are kept while the reject class grows (at 2e-4 and 1e-4
# the fine-tune lost 8 and 4 more MNIST test digits to misreadings than the start model).
FINETUNE_LEARNING_RATE = 5e-5
DEFAULT_EPOCHS = {"seed": 5, "digitnet": 15, "separable": 30, "compact": 20}
MODEL_STEM = "digits"


@dataclass(frozen=True)
class Split:
    images: np.ndarray  # (N, 28, 28) uint8, ink = 255
    labels: np.ndarray  # (N,) int


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="train.py", description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default=DEFAULT_ARCHITECTURE,
                        help=f"architecture (default {DEFAULT_ARCHITECTURE}; seed is the tutorial's CNN)")
    default_epochs = ", ".join(f"{epochs} for {name}" for name, epochs in DEFAULT_EPOCHS.items())
    parser.add_argument("--epochs", type=positive_int, help=f"epochs (default: {default_epochs})")
    parser.add_argument("--batch-size", type=positive_int, default=128)
    parser.add_argument("--data", help="MNIST .npz (Keras layout) or folder of IDX files (default: see README)")
    parser.add_argument("--out", default="models", help="output folder (default models/)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--limit", type=positive_int, help="train on the first N training images only")
    parser.add_argument("--no-augment", action="store_true", help="train on the plain MNIST images")
    parser.add_argument("--resume", action="store_true", help="continue the interrupted run in --out")
    parser.add_argument("--finetune", metavar="MODEL",
                        help="start from this .keras model (its architecture) at a low learning rate")
    args = parser.parse_args(argv)
    args.epochs = args.epochs or DEFAULT_EPOCHS[args.arch]
    return args


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        with sigterm_raises():
            summary = train(args)
    except CameraDigitsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: could not write to {args.out} ({error.strerror or error}); free space or pick another --out, "
              "then run again with --resume", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Terminated) as error:
        print(f"\ninterrupted; {args.out}/ is unchanged; {resume_hint(args)}", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(error, Terminated) else EXIT_INTERRUPTED
    print(summary)
    return 0


def resume_hint(args) -> str:
    state = checkpoint_dir(args) / "state.json"
    if not state.is_file():
        return "no epoch had finished, so there is nothing to resume"
    epoch = json.loads(state.read_text())["epoch"]
    return f"epoch {epoch} is checkpointed in {checkpoint_dir(args)}/: run again with --resume to continue"


def checkpoint_dir(args) -> Path:
    return Path(args.out) / "checkpoints" / args.arch


def train(args) -> str:
    """Run training end to end; return the summary printed at the end."""
    keras.utils.set_random_seed(args.seed)
    mnist = load_mnist(args.data)
    model = build_or_resume(args)
    with_reject = model.output_shape[-1] == 11
    judge = probabilities_of(model) if args.finetune else None
    train_split, validation_split = split_validation(mnist, args, with_reject, judge)
    started = time.monotonic()
    history = fit(model, train_split, validation_split, args)
    seconds = time.monotonic() - started
    best = keras.saving.load_model(checkpoint_dir(args) / "best.keras", safe_mode=True)
    args.reject_bias_shift = calibrate_reject(best, validation_split) if with_reject else 0.0
    test = Split(mnist.x_test, mnist.y_test.astype(np.int64))
    evaluation = evaluate(best, test)
    metadata = describe(args, mnist, history, evaluation, seconds, len(train_split.labels))
    paths = publish(best, metadata, history, evaluation, Path(args.out))
    remove_checkpoints(args)
    return summarize(metadata, paths)


def remove_checkpoints(args) -> None:
    """A finished run has nothing to resume: drop its checkpoints (and their folder once empty)."""
    shutil.rmtree(checkpoint_dir(args), ignore_errors=True)
    with contextlib.suppress(OSError):
        checkpoint_dir(args).parent.rmdir()


def build_or_resume(args):
    last = checkpoint_dir(args) / "last.keras"
    if args.resume:
        if not last.is_file():
            raise CameraDigitsError(f"nothing to resume: no checkpoint at {last}; run without --resume")
        return keras.saving.load_model(last, safe_mode=True)
    if args.finetune:
        return load_finetune_start(args)
    return build(args.arch)


def load_finetune_start(args):
    """The .keras model that --finetune starts from; its architecture becomes the run's."""
    path = Path(args.finetune)
    if not path.is_file():
        raise CameraDigitsError(f"no model at {path} to fine-tune; pass the .keras file of a trained model")
    model = keras.saving.load_model(path, safe_mode=True, compile=False)
    if model.name not in ARCHITECTURES:
        raise CameraDigitsError(f"{path} is a {model.name!r} model, not one of {', '.join(ARCHITECTURES)}")
    args.arch = model.name
    return model


def probabilities_of(model):
    """crops float32 (N, 28, 28, 1) → class probabilities (N, classes), by `model` (which gives logits)."""
    return lambda crops: keras.ops.convert_to_numpy(keras.ops.softmax(model.predict(crops, batch_size=1000,
                                                                                     verbose=0)))


def split_validation(mnist, args, with_reject: bool, judge=None) -> tuple[Split, Split]:
    """Hold out the last VALIDATION_SIZE shuffled training images; add reject-class shapes if wanted.

    The reject shapes made of digits are cut from the same split's digits, so validation stays unseen; a
    `judge` (crops → probabilities) keeps digit-like fragments out of the reject class.
    """
    order = np.random.default_rng(args.seed).permutation(len(mnist.y_train))
    validation_size = min(VALIDATION_SIZE, len(order) // 10)
    train_index, validation_index = order[:-validation_size], order[-validation_size:]
    if args.limit:
        train_index = train_index[:args.limit]
    splits = []
    for index, seed in ((train_index, args.seed + 1), (validation_index, args.seed + 2)):
        images, labels = mnist.x_train[index], mnist.y_train[index].astype(np.int64)
        if with_reject:
            extra = render_nondigits(max(1, int(len(labels) * REJECT_SHARE)), seed=seed, digits=images,
                                     fonts=font_paths(), judge=judge)
            images = np.concatenate([images, extra])
            labels = np.concatenate([labels, np.full(len(extra), REJECT_CLASS)])
        splits.append(Split(images, labels))
    return splits[0], splits[1]


def calibrate_reject(model, validation: Split) -> float:
    """Lower the reject logit's bias so that at most MAX_FALSE_REJECTS of the validation digits are read as
    "not a digit"; returns by how much (0 if none was needed)."""
    digits = validation.labels != REJECT_CLASS
    logits = model.predict(validation.images[digits][..., None].astype(np.float32) / 255.0, batch_size=1000,
                           verbose=0)
    margin = logits[:, REJECT_CLASS] - np.delete(logits, REJECT_CLASS, axis=1).max(axis=1)  # > 0: rejected
    shift = max(0.0, float(np.quantile(margin, 1.0 - MAX_FALSE_REJECTS)))
    if shift > 0:
        head = model.layers[-1]  # the Dense layer giving the class logits
        kernel, bias = head.get_weights()
        bias[REJECT_CLASS] -= shift
        head.set_weights([kernel, bias])
    return shift


def dataset(split: Split, batch_size: int, augment: bool, shuffle_seed: int | None):
    """A tf.data pipeline of (images (B, 28, 28, 1) float32 in [0, 1], labels), augmented in batches."""
    data = tf.data.Dataset.from_tensor_slices((split.images[..., None], split.labels))
    if shuffle_seed is not None:
        data = data.shuffle(len(split.labels), seed=shuffle_seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size).map(lambda images, labels: (tf.cast(images, tf.float32) / 255.0, labels),
                                      num_parallel_calls=tf.data.AUTOTUNE)
    if augment:
        data = data.map(lambda images, labels: (augment_batch(images), labels), num_parallel_calls=tf.data.AUTOTUNE)
    return data.prefetch(tf.data.AUTOTUNE)


def fit(model, train_split: Split, validation_split: Split, args) -> dict[str, list[float]]:
    state = read_state(args) if args.resume else {"epoch": 0, "history": {}, "best": 0.0}
    if not args.resume:
        steps = args.epochs * int(np.ceil(len(train_split.labels) / args.batch_size))
        optimizer = finetune_optimizer(steps) if args.finetune else optimizer_for(args.arch, steps)
        model.compile(optimizer=optimizer,
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    checkpoint = EpochCheckpoint(checkpoint_dir(args), state)
    model.fit(
        dataset(train_split, args.batch_size, not args.no_augment, args.seed),
        validation_data=dataset(validation_split, 1000, False, None),
        epochs=args.epochs, initial_epoch=state["epoch"], callbacks=[checkpoint], verbose="auto",
        shuffle=False,  # the dataset reshuffles itself every epoch
    )
    return checkpoint.state["history"]


def finetune_optimizer(steps: int) -> keras.optimizers.Optimizer:
    """Adam at FINETUNE_LEARNING_RATE, decaying to 1 % of it over `steps` batches (no warm-up: the weights
    are trained already)."""
    return keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(FINETUNE_LEARNING_RATE, steps, alpha=0.01))


def read_state(args) -> dict:
    path = checkpoint_dir(args) / "state.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CameraDigitsError(f"cannot resume: {path} is unreadable ({error}); run without --resume") from None


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves the last epoch (model + optimizer, for --resume) and the best one, each atomically."""

    def __init__(self, folder: Path, state: dict):
        super().__init__()
        self.folder, self.state = folder, state

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for name, value in logs.items():
            self.state["history"].setdefault(name, []).append(float(value))
        self.state["epoch"] = epoch + 1
        self.folder.mkdir(parents=True, exist_ok=True)
        if logs.get("val_accuracy", 0.0) >= self.state["best"]:
            self.state["best"] = float(logs.get("val_accuracy", 0.0))
            save_model_atomic(self.model, self.folder / "best.keras")
        save_model_atomic(self.model, self.folder / "last.keras")
        write_text_atomic(self.folder / "state.json", json.dumps(self.state))


def save_model_atomic(model, path: Path) -> None:
    with atomic_path(path) as temporary:
        model.save(temporary)


def evaluate(model, test: Split) -> dict:
    """Test-set accuracy, per-class accuracy and confusion matrix; run once, after training."""
    logits = model.predict(test.images[..., None].astype(np.float32) / 255.0, batch_size=1000, verbose=0)
    predicted = logits.argmax(axis=1)
    confusion = np.zeros((10, logits.shape[1]), np.int64)
    np.add.at(confusion, (test.labels, predicted), 1)
    per_class = confusion.diagonal() / confusion.sum(axis=1)
    return {
        "accuracy": float((predicted == test.labels).mean()),
        "per_class_accuracy": {str(digit): round(float(value), 5) for digit, value in enumerate(per_class)},
        "confusion": confusion,
    }


def describe(args, mnist, history, evaluation, seconds: float, train_count: int) -> dict:
    epochs_run = len(history.get("accuracy", []))
    return {
        "architecture": args.arch,
        "classes": [str(digit) for digit in range(10)] + (["reject"] if evaluation["confusion"].shape[1] == 11 else []),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "augment": not args.no_augment,
        "finetuned_from": args.finetune,
        "reject_bias_shift": round(getattr(args, "reject_bias_shift", 0.0), 4),
        "reject_fonts": [path.name for path in font_paths()],
        "seed": args.seed,
        "train_images": train_count,
        "validation_accuracy": max(history.get("val_accuracy", [0.0])),
        "test_accuracy": evaluation["accuracy"],
        "per_class_accuracy": evaluation["per_class_accuracy"],
        "confusion_matrix": evaluation["confusion"].tolist(),
        "history": history,
        "train_seconds": round(seconds, 1),
        "seconds_per_epoch": round(seconds / max(1, epochs_run), 1),
        "data_source": mnist.source,
        "data_sha256": mnist.sha256,
        "preprocessing_version": PREPROCESSING_VERSION,
        "input": "(N, 28, 28, 1) float32 in [0, 1], white ink on black, fitted to 20x20, centred by mass",
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
                     "numpy": np.__version__},
    }


def publish(model, metadata: dict, history: dict, evaluation: dict, out: Path) -> list[Path]:
    """Write every output to a temporary name first, then rename them all into `out`."""
    paths = [out / f"{MODEL_STEM}{suffix}" for suffix in (".keras", ".tflite", ".json", ".png")]
    title = (f"{metadata['architecture']}: test accuracy {metadata['test_accuracy']:.2%} "
             f"after {metadata['epochs']} epochs")
    with contextlib.ExitStack() as stack:
        keras_path, tflite_path, json_path, png_path = (stack.enter_context(atomic_path(path)) for path in paths)
        model.save(keras_path)
        probabilities = keras.Sequential([model, keras.layers.Softmax()], name=f"{model.name}_probabilities")
        probabilities.export(str(tflite_path), format="litert", verbose=False)
        json_path.write_text(json.dumps(metadata, indent=2) + "\n")
        write_report_png(png_path, history, evaluation["confusion"], title)
    return paths


def summarize(metadata: dict, paths: list[Path]) -> str:
    lines = [
        f"architecture {metadata['architecture']}: test accuracy {metadata['test_accuracy']:.2%} "
        f"(validation {metadata['validation_accuracy']:.2%}), {metadata['epochs']} epochs in "
        f"{metadata['train_seconds']:.0f} s",
        *(f"wrote {path}" for path in paths),
    ]
    return "\n".join(lines)
