"""Optional: the shipped recognizer on the real phone and webcam photos, when they are beside the repository."""

import cv2
import pytest

from camera_digits import DigitRecognizer
from tests.photos import PHOTOS_DIR, edit_distance, photo_labels

MIN_PHOTO_ACCURACY = 0.97


@pytest.mark.skipif(not (PHOTOS_DIR / "labels.tsv").is_file(), reason=f"no photos at {PHOTOS_DIR}")
def test_real_photos_are_read_in_order():
    recognizer = DigitRecognizer.load()
    errors = digits = 0
    failures = []
    for file, expected in photo_labels(PHOTOS_DIR):
        frame = cv2.imread(str(PHOTOS_DIR / file), cv2.IMREAD_COLOR)
        got = "".join(str(digit.digit) for digit in recognizer.recognize(frame).digits)
        distance = edit_distance(expected, got)
        errors, digits = errors + distance, digits + len(expected)
        if distance:
            failures.append(f"{file}: expected {expected}, got {got}")
    accuracy = 1 - errors / digits
    assert accuracy >= MIN_PHOTO_ACCURACY, f"accuracy {accuracy:.4f}; " + "; ".join(failures)


@pytest.mark.parametrize("expected, got, distance", [
    ("123", "123", 0),   # all right
    ("123", "12", 1),    # a miss
    ("123", "1243", 1),  # an extra
    ("123", "173", 1),   # a wrong label
    ("", "45", 2),       # only extras
])
def test_edit_distance_counts_misses_extras_and_wrong_labels(expected, got, distance):
    assert edit_distance(expected, got) == distance
