"""`--save-crops`: every crop the model read lands, as the 28×28 image it saw, in the folder of what it read."""

import json
from collections import Counter

import cv2
import pytest

from camera_digits import app
from tests.scenes import render_scene

CLASS_FOLDERS = [str(digit) for digit in range(10)] + ["reject"]


def saved_crops(folder):
    return {name: sorted(path.name for path in (folder / name).iterdir()) for name in CLASS_FOLDERS}


@pytest.mark.parametrize("seed", [19, 25])  # scenes with marks that reach the model, which refuses them
def test_each_crop_is_filed_under_the_digit_the_model_read(model_path, tmp_path, capsys, seed):
    image, truth = render_scene(seed)
    assert truth.marks, "the scene should hold non-digit marks for the reject folder"
    cv2.imwrite(str(tmp_path / "page.png"), image)
    crops = tmp_path / "crops"
    assert app.main(["--device", str(tmp_path / "page.png"), "--headless", "--json", "-", "--save-crops",
                     str(crops), "--model", model_path]) == 0
    reading = json.loads(capsys.readouterr().out.splitlines()[0])
    saved = saved_crops(crops)
    filed = Counter({name: len(files) for name, files in saved.items() if name != "reject" and files})
    assert filed == Counter(str(digit["digit"]) for digit in reading["digits"])  # one crop per digit read
    assert filed == Counter(str(digit.label) for digit in truth.digits)  # and the scene's digits were read right
    assert saved["reject"], "the marks the model refused are kept too"
    names = [name for files in saved.values() for name in files]
    assert len(set(names)) == len(names) and all(name.startswith("page-000000-") for name in names)
    crop = cv2.imread(str(crops / str(truth.digits[0].label) / saved[str(truth.digits[0].label)][0]),
                      cv2.IMREAD_UNCHANGED)
    assert crop.shape == (28, 28) and crop.max() > 200 and crop[0].max() < 50  # white ink, black border


def test_crops_of_a_video_are_named_by_frame(model_path, tmp_path):
    crops = tmp_path / "crops"
    assert app.main(["--demo", "--headless", "--max-frames", "2", "--save-crops", str(crops),
                     "--model", model_path]) == 0
    names = [name for files in saved_crops(crops).values() for name in files]
    assert {name.split("-")[1] for name in names} == {"000000", "000001"}
    assert all(name.startswith("demo-") for name in names)


def test_an_unwritable_crop_folder_is_one_error_line(model_path, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert app.main(["--demo", "--headless", "--save-crops", str(blocker / "crops"), "--model", model_path]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: cannot write --save-crops") and "\n" not in error
