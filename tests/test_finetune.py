"""Training on a user's own crops (`--extra`, `--finetune`) and the rule that a model is never made worse."""

import json
import shutil
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

pytest.importorskip("tensorflow")

from camera_digits import classifier  # noqa: E402
from camera_digits.training import cli, extra, gate  # noqa: E402
from camera_digits.training.models import ARCHITECTURES  # noqa: E402
from tests.conftest import train  # noqa: E402

SHIPPED_FILES = ["digits.json", "digits.keras", "digits.tflite"]


def write_crops(folder, images, labels, reject=0):
    """Class folders as --save-crops writes them: DIR/<digit>/NAME.png, DIR/reject/NAME.png."""
    for index, (image, label) in enumerate(zip(images, labels)):
        (folder / str(label)).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / str(label) / f"crop-{index:04d}.png"), image)
    (folder / "reject").mkdir(parents=True, exist_ok=True)
    for index in range(reject):
        cv2.imwrite(str(folder / "reject" / f"mark-{index:03d}.png"), np.eye(28, dtype=np.uint8) * 255)
    return folder


@pytest.fixture
def shipped_copy(tmp_path):
    """An output folder holding a copy of the shipped model (99.61 % on MNIST)."""
    out = tmp_path / "models"
    out.mkdir()
    for name in SHIPPED_FILES:
        shutil.copy(classifier.MODELS_DIR / name, out / name)
    return out


def test_the_command_line_knows_every_architecture_without_importing_keras():
    assert set(cli.ARCHITECTURES) == set(ARCHITECTURES) and cli.DEFAULT_ARCHITECTURE in ARCHITECTURES


def test_extra_crops_are_read_held_back_per_class_and_oversampled(tmp_path, mnist_test):
    images, labels = mnist_test
    folder = write_crops(tmp_path / "crops", images[:100], labels[:100], reject=5)
    (train_images, train_labels), (held_images, held_labels), skipped = extra.load_extra(folder, True, seed=0)
    assert len(train_labels) + len(held_labels) == 105 and skipped == 0
    assert 15 <= len(held_labels) <= 25 and extra.REJECT_CLASS in held_labels  # a fifth of every class
    assert (train_images.dtype, train_images.shape[1:]) == (np.uint8, (28, 28))
    _, _, skipped = extra.load_extra(folder, False, seed=0)
    assert skipped == 5  # a ten-class model has no reject class to learn
    images_out, labels_out, repeats = extra.oversampled((train_images, train_labels), 8000, seed=0)
    assert repeats == round(0.1 * 8000 / len(train_labels)) and len(labels_out) == repeats * len(train_labels)
    assert np.array_equal(np.bincount(labels_out), np.bincount(train_labels) * repeats)


@pytest.mark.parametrize("make, message", [
    (lambda folder: None, "no such folder"),                                                  # missing
    (lambda folder: folder.mkdir(), "no crops"),                                                  # empty
    (lambda folder: write_crops(folder, [np.zeros((30, 20), np.uint8)], [3]), "expected 28x28"),  # wrong size
])
def test_bad_extra_folders_are_one_line_errors(tmp_path, small_mnist_npz, capsys, make, message):
    make(tmp_path / "crops")
    assert train(small_mnist_npz, tmp_path / "out", "--arch", "seed", "--extra", str(tmp_path / "crops")) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and message in error and "\n" not in error


def test_finetune_starts_from_the_shipped_model_and_reports_before_and_after(tmp_path, small_mnist_npz,
                                                                            mnist_test, capsys):
    images, labels = mnist_test
    crops = write_crops(tmp_path / "crops", images[2000:2100], labels[2000:2100], reject=10)
    out = tmp_path / "out"
    assert train(small_mnist_npz, out, "--extra", str(crops), "--finetune", "--epochs", "1") == 0
    metadata = json.loads((out / "digits.json").read_text())
    report = metadata["extra"]
    assert metadata["finetune"] and metadata["architecture"] == "separable"
    assert report["held_back_crops"] == 22 and report["train_crops"] == 88 and report["repeats"] >= 1
    assert report["model_before"].endswith("digits.keras") and report["held_back_accuracy_before"] > 0.75
    assert report["mnist_test_accuracy_before"] > 0.97  # the shipped model on these 200 test digits
    assert metadata["test_accuracy"] > 0.9  # a fine-tuned model still reads MNIST after one short epoch
    printed = capsys.readouterr().out
    assert "held back: " in printed and " before " in printed and "MNIST test accuracy" in printed
    assert "smoke test" not in printed  # it started from a trained model


def test_a_reject_branch_reads_every_digit_as_before_and_refuses_no_more_of_them(tmp_path, small_mnist_npz,
                                                                                  mnist_test):
    images, labels = mnist_test
    crops = write_crops(tmp_path / "crops", [], [], reject=40)
    out = tmp_path / "out"
    assert train(small_mnist_npz, out, "--extra", str(crops), "--reject-branch", "--epochs", "1") == 0
    metadata = json.loads((out / "digits.json").read_text())
    calibration = metadata["reject_branch"]
    assert calibration["bias_shift"] <= 0
    refused, before = calibration["validation_digits_refused"], calibration["validation_digits_refused_before"]
    assert refused["clean"] <= before["clean"] and refused["augmented"] <= before["augmented"]
    assert metadata["extra"]["held_back_accuracy_after"] >= metadata["extra"]["held_back_accuracy_before"]
    crops = images[3000:3500, ..., None].astype(np.float32) / 255.0
    shipped = classifier.load(classifier.MODELS_DIR / "digits.tflite").predict(crops)
    branched = classifier.load(out / "digits.tflite").predict(crops)
    np.testing.assert_array_equal(branched[:, :10].argmax(axis=1), shipped[:, :10].argmax(axis=1))
    assert (branched.argmax(axis=1) == 10).sum() <= (shipped.argmax(axis=1) == 10).sum() + 2


@pytest.mark.parametrize("options, message", [
    (["--finetune", "--reject-branch"], "choose one"),
    (["--reject-branch", "--arch", "seed"], "leave out --arch"),
    (["--reject-branch", "--distribute", "multi-worker"], "trains on one machine"),
])
def test_conflicting_ways_to_start_from_the_current_model_are_refused(options, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.parse_args(options)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_a_worse_model_goes_to_runs_and_says_why(small_mnist_npz, shipped_copy, capsys):
    before = {name: (shipped_copy / name).read_bytes() for name in SHIPPED_FILES}
    assert train(small_mnist_npz, shipped_copy, "--arch", "seed", "--epochs", "1") == 0
    assert {name: (shipped_copy / name).read_bytes() for name in SHIPPED_FILES} == before
    runs = list((shipped_copy.parent / "runs").iterdir())
    assert len(runs) == 1 and sorted(path.name for path in runs[0].iterdir()) == sorted(SHIPPED_FILES + ["digits.png"])
    printed = capsys.readouterr().out
    shipped_accuracy = json.loads((classifier.MODELS_DIR / "digits.json").read_text())["test_accuracy"]
    assert f"published into {runs[0]}/" in printed and f"below the {shipped_accuracy:.2%} of the model there" in printed
    assert "this was a smoke test" in printed


def test_force_publishes_over_a_better_model(small_mnist_npz, shipped_copy, capsys):
    assert train(small_mnist_npz, shipped_copy, "--arch", "seed", "--epochs", "1", "--force") == 0
    assert json.loads((shipped_copy / "digits.json").read_text())["architecture"] == "seed"
    assert not (shipped_copy.parent / "runs").exists()


def run_args(finetune=False, force=False, reject_branch=False):
    return SimpleNamespace(finetune=finetune, reject_branch=reject_branch, force=force)


def metadata(accuracy, before=None, after=None, epochs=1, images=55000, finetune=False):
    extra_report = {"held_back_accuracy_before": before, "held_back_accuracy_after": after}
    return {"test_accuracy": accuracy, "extra": extra_report, "history": {"accuracy": [0.5] * epochs},
            "train_images": images, "finetune": finetune}


@pytest.mark.parametrize("run, args, published", [
    (metadata(0.9970), run_args(), True),                                 # better than 99.61 %
    (metadata(0.9961), run_args(), True),                                 # as good
    (metadata(0.9950), run_args(), False),                                # worse
    (metadata(0.9950), run_args(force=True), True),                       # worse, forced
    (metadata(0.9955, 0.90, 0.97), run_args(finetune=True), True),        # fine-tuned: keeps 99.5 %, better crops
    (metadata(0.9940, 0.90, 0.97), run_args(finetune=True), False),       # fine-tuned below 99.5 %
    (metadata(0.9960, 0.97, 0.95), run_args(finetune=True), False),       # fine-tuned, worse on the crops
    (metadata(0.9940, 0.90, 0.97), run_args(finetune=True, force=True), True),
    (metadata(0.9955, 0.45, 0.80), run_args(reject_branch=True), True),   # a reject branch: as a fine-tune
    (metadata(0.9955, 0.80, 0.45), run_args(reject_branch=True), False),  # refuses fewer of the crops
])
def test_gate_publishes_only_what_does_not_make_the_model_worse(shipped_copy, run, args, published):
    folder, note = gate.destination(shipped_copy, run, args)
    assert (folder == shipped_copy) is published and (note is None) is published
    if not published:
        assert folder.parent == shipped_copy.parent / "runs" and str(folder) in note


def test_gate_publishes_into_a_folder_without_a_model(tmp_path):
    assert gate.destination(tmp_path / "new", metadata(0.5), run_args()) == (tmp_path / "new", None)


@pytest.mark.parametrize("run, smoke", [
    (metadata(0.99, epochs=1, images=20000), True),                  # less than one epoch of data
    (metadata(0.85, epochs=3, images=55000), True),                  # too inaccurate
    (metadata(0.99, epochs=3, images=20000), False),                 # three fifths of the data, three times
    (metadata(0.99, epochs=1, images=2000, finetune=True), False),   # fine-tuning a trained model
])
def test_runs_too_short_to_learn_say_so(run, smoke):
    assert (gate.smoke_note(run, 55000) is not None) is smoke
