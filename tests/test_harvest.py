"""scripts/harvest_rejects.py: reject-class crops from what the camera path proposes beside the digits."""

import sys
from pathlib import Path

import cv2
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from harvest_rejects import harvest, off_digits  # noqa: E402

from camera_digits.recognizer import DigitRecognizer  # noqa: E402
from tests.scenes import SceneTruth, TruthDigit  # noqa: E402


def test_only_boxes_clear_of_every_drawn_digit_are_non_digits():
    truth = SceneTruth(digits=(TruthDigit((10, 10, 20, 30), 3), TruthDigit((60, 10, 20, 30), 5)), numbers=("3", "5"))
    boxes = [[40, 10, 10, 10],   # between the digits
             [25, 15, 10, 10],   # overlaps the 3
             [0, 0, 8, 8],       # 2 px clear of the 3's corner
             [31, 10, 5, 5],     # 1 px from the 3: may hold part of it
             [75, 35, 10, 10]]   # overlaps the 5
    assert off_digits(boxes, truth) == [True, False, True, False, False]


@pytest.fixture(scope="module")
def harvested(tmp_path_factory):
    out = tmp_path_factory.mktemp("crops")
    return out, harvest(out, scenes=2, recognizer=DigitRecognizer.load())


def test_letters_and_board_words_become_reject_crops_the_trainer_can_read(harvested):
    out, counts = harvested
    paths = sorted((out / "reject").glob("*.png"))
    assert len(paths) == sum(counts.values())
    assert counts["distractors"] > 0 and counts["dark_board"] > 0  # letters, chalk words
    assert all(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).shape == (28, 28) for path in paths)
    assert sorted(path.name for path in out.iterdir()) == sorted([*map(str, range(10)), "reject"])


def test_scenes_of_digits_alone_give_no_reject_crops(harvested):
    _, counts = harvested
    assert counts["mixed_sizes"] == counts["fonts"] == counts["rotated"] == 0
