"""camera-digits: read handwritten digits and numbers from a live webcam."""

from camera_digits.errors import CameraDigitsError, DataError, ModelError, SourceError
from camera_digits.results import Box, Digit, Number, Reading

__all__ = [
    "Box", "CameraDigitsError", "DataError", "Digit", "DigitRecognizer", "ModelError", "Number",
    "Reading", "SourceError",
]


def __getattr__(name):
    # The recognizer pulls in OpenCV and a model runtime: import it only when asked for.
    if name == "DigitRecognizer":
        from camera_digits.recognizer import DigitRecognizer
        return DigitRecognizer
    raise AttributeError(f"module 'camera_digits' has no attribute {name!r}")
