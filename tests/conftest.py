"""Shared fixtures: the committed MNIST test split and small data sets built from it; a short training run."""

from pathlib import Path

import numpy as np
import pytest

from camera_digits import classifier
from camera_digits.training import cli

TESTS_DIR = Path(__file__).resolve().parent
MNIST_TEST_PATH = TESTS_DIR / "data" / "mnist_test.npz"
REPO_DIR = TESTS_DIR.parent


@pytest.fixture(scope="session")
def mnist_test():
    """The 10,000 MNIST test digits: images (10000, 28, 28) uint8 (ink = 255) and labels (10000,) uint8."""
    with np.load(MNIST_TEST_PATH, allow_pickle=False) as archive:
        return archive["x_test"], archive["y_test"]


@pytest.fixture
def small_mnist_npz(tmp_path, mnist_test):
    """A Keras-layout .npz with 600 training and 200 test digits, cut from the committed test split."""
    images, labels = mnist_test
    path = tmp_path / "small_mnist.npz"
    np.savez(path, x_train=images[:600], y_train=labels[:600], x_test=images[600:800], y_test=labels[600:800])
    return path


def train(data, out, *options):
    """train.py in-process, on `data` into `out`: 300 training images, one epoch, batches of 64, unless
    `options` say otherwise (a later flag wins). Returns its exit code."""
    return cli.main(["--data", str(data), "--out", str(out), "--limit", "300", "--epochs", "1",
                     "--batch-size", "64", *options])


@pytest.fixture(autouse=True)
def no_user_data_settings(monkeypatch, tmp_path_factory):
    """Keep the user's data and model settings and Keras cache out of every test."""
    monkeypatch.delenv("CAMERA_DIGITS_DATA", raising=False)
    monkeypatch.delenv("CAMERA_DIGITS_MODEL", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture(scope="session")
def model_path():
    """The model the app would load (shipped, or CAMERA_DIGITS_MODEL), resolved before the per-test
    fixtures clear that variable; passed to the app with --model."""
    path = classifier.default_model_path()
    if not path.is_file():
        pytest.skip(f"no model at {path}; run python train.py")
    return str(path)
