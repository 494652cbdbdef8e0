"""train.py end to end on a small data set: outputs, atomic publishing, interruption and --resume."""

import json
import os
import signal

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from camera_digits.training import cli  # noqa: E402
from camera_digits.training import trainer as training  # noqa: E402
from camera_digits.classifier import load as load_classifier  # noqa: E402
from tests.conftest import train  # noqa: E402

OUTPUT_NAMES = ["digits.json", "digits.keras", "digits.png", "digits.tflite"]


def listing(folder):
    return sorted(path.name for path in folder.iterdir())


@pytest.fixture
def previous_model(tmp_path):
    """An output folder holding an earlier model, whose bytes must survive a failed run."""
    out = tmp_path / "models"
    out.mkdir()
    for name in OUTPUT_NAMES:
        (out / name).write_bytes(f"previous {name}".encode())
    return out


def assert_unchanged(out):
    for name in OUTPUT_NAMES:
        assert (out / name).read_bytes() == f"previous {name}".encode()
    assert not [path for path in out.iterdir() if path.name.startswith(".")], "temporary files left behind"


def test_short_run_writes_every_output(tmp_path, small_mnist_npz, capsys):
    out = tmp_path / "models"
    assert train(small_mnist_npz, out, "--arch", "seed", "--limit", "600", "--epochs", "3",
                 "--batch-size", "16") == 0
    assert listing(out) == OUTPUT_NAMES
    metadata = json.loads((out / "digits.json").read_text())
    assert metadata["architecture"] == "seed" and metadata["epochs"] == 3
    assert metadata["test_accuracy"] >= 0.5, metadata["test_accuracy"]  # it learned: chance is 0.1; 0.76 here
    assert np.array(metadata["confusion_matrix"]).sum() == 200  # every test digit counted once
    assert set(metadata["per_class_accuracy"]) == {str(digit) for digit in range(10)}
    assert metadata["data_sha256"] and metadata["versions"]["keras"] and metadata["preprocessing_version"] >= 1
    assert (out / "digits.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert load_classifier(out / "digits.tflite").num_classes == 10
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "this was a smoke test: its test accuracy" in printed


def test_digitnet_run_adds_the_reject_class(tmp_path, small_mnist_npz):
    out = tmp_path / "models"
    assert train(small_mnist_npz, out, "--no-augment") == 0
    metadata = json.loads((out / "digits.json").read_text())
    assert metadata["classes"][-1] == "reject" and metadata["augment"] is False
    assert metadata["train_images"] == 330  # 300 digits + 10 % non-digit shapes
    assert load_classifier(out / "digits.tflite").num_classes == 11


def interrupt_after_first_epoch(monkeypatch, raising):
    original = training.EpochCheckpoint.on_epoch_end

    def on_epoch_end(self, epoch, logs=None):
        original(self, epoch, logs)
        raising()

    monkeypatch.setattr(training.EpochCheckpoint, "on_epoch_end", on_epoch_end)


def test_ctrl_c_mid_epoch_keeps_old_model_and_resume_continues(small_mnist_npz, previous_model, monkeypatch,
                                                                capsys):
    def ctrl_c_in_second_epoch(self, batch, logs=None):
        if self.state["epoch"] == 1 and batch == 2:
            raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(training.EpochCheckpoint, "on_train_batch_end", ctrl_c_in_second_epoch, raising=False)
        assert train(small_mnist_npz, previous_model, "--arch", "seed", "--epochs", "2") == 130
    assert_unchanged(previous_model)
    assert "epoch 1 is checkpointed" in capsys.readouterr().err
    state = json.loads((previous_model / "checkpoints" / "seed" / "state.json").read_text())
    assert state["epoch"] == 1
    assert train(small_mnist_npz, previous_model, "--arch", "seed", "--epochs", "2", "--resume") == 0
    metadata = json.loads((previous_model / "digits.json").read_text())
    assert len(metadata["history"]["accuracy"]) == 2  # one epoch before the interruption, one after
    assert not (previous_model / "checkpoints").exists()  # a finished run leaves nothing to resume


def test_an_interrupted_finetune_of_another_architecture_resumes(tmp_path, small_mnist_npz, monkeypatch):
    """--finetune takes the current model's architecture (here seed, not the default), and so does --resume."""
    out = tmp_path / "models"
    assert train(small_mnist_npz, out, "--arch", "seed") == 0
    with monkeypatch.context() as patch:
        interrupt_after_first_epoch(patch, lambda: os.kill(os.getpid(), signal.SIGTERM))
        assert train(small_mnist_npz, out, "--finetune", "--epochs", "2") == 143
    assert (out / "checkpoints" / "seed" / "last.keras").is_file()
    assert train(small_mnist_npz, out, "--finetune", "--epochs", "2", "--resume") == 0
    assert not (out / "checkpoints").exists()  # the resumed run found its checkpoint and finished


def test_sigterm_is_a_clean_interruption(tmp_path, small_mnist_npz, previous_model, monkeypatch):
    interrupt_after_first_epoch(monkeypatch, lambda: os.kill(os.getpid(), signal.SIGTERM))
    assert train(small_mnist_npz, previous_model, "--arch", "seed", "--epochs", "2") == 128 + signal.SIGTERM
    assert_unchanged(previous_model)
    assert (previous_model / "checkpoints" / "seed" / "best.keras").is_file()


def test_full_disk_while_publishing_keeps_old_model(small_mnist_npz, previous_model, monkeypatch, capsys):
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(training, "write_report_png", disk_full)
    assert train(small_mnist_npz, previous_model, "--arch", "seed") == 1
    assert_unchanged(previous_model)
    assert "No space left on device" in capsys.readouterr().err


@pytest.mark.parametrize("arguments, message", [
    (["--data", "/nonexistent/mnist.npz"], "no such file or folder"),      # bad --data
    (["--resume", "--data", "{data}"], "nothing to resume"),                 # nothing to resume
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, small_mnist_npz, capsys, arguments, message):
    arguments = [argument.format(data=small_mnist_npz) for argument in arguments]
    assert cli.main([*arguments, "--out", str(tmp_path / "models"), "--arch", "seed"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and message in error and "\n" not in error
