"""The camera path stays light: it runs the model with LiteRT and never imports TensorFlow or Keras."""

import subprocess
import sys

import pytest

from camera_digits.classifier import DEFAULT_MODEL_PATH

CAMERA_PATH_MODULES = [
    "segment", "lines", "pixels", "normalize", "grouping", "tracking", "draw", "capture", "sinks", "shutdown",
    "recognizer", "app",
]


@pytest.mark.parametrize("module", CAMERA_PATH_MODULES)
def test_importing_a_camera_stage_leaves_tensorflow_out(module):
    code = f"import sys, camera_digits.{module}; print(sorted({{'tensorflow', 'keras'}} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.skipif(not DEFAULT_MODEL_PATH.is_file(), reason="no shipped model")
def test_loading_and_running_the_shipped_model_leaves_tensorflow_out():
    code = (
        "import sys, numpy as np\n"
        "from camera_digits import DigitRecognizer\n"
        "DigitRecognizer.load().recognize(np.full((240, 320, 3), 255, np.uint8))\n"
        "print(sorted({'tensorflow', 'keras'} & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
