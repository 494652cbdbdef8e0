"""Your own handwriting: extra training crops, one folder per class, as `run_camera.py --save-crops` saves them.

`DIR/0/` .. `DIR/9/` hold 28×28 crops of each digit, white ink on black, and `DIR/reject/` crops that are not
digits; a user moves each misread crop into the folder of what it really is. A share of every class is held
back to measure the model before and after; the rest is repeated so that a few hundred crops weigh against
tens of thousands of MNIST digits.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from camera_digits.classifier import CLASS_FOLDERS, REJECT_CLASS
from camera_digits.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
HELD_BACK_SHARE = 0.2
# The repeated extra crops make up about this share of an epoch: enough to move the model, not enough to
# make it forget MNIST.
EXTRA_SHARE = 0.1
MAX_REPEATS = 100
EXTRA_HINT = "--extra takes a folder with subfolders 0 .. 9 and reject of 28x28 crops, as --save-crops writes them"

Arrays = tuple[np.ndarray, np.ndarray]  # images (N, 28, 28) uint8 with ink = 255, labels (N,) int64


def load_extra(folder: str | Path, with_reject: bool, seed: int) -> tuple[Arrays, Arrays, int]:
    """Read the crops under `folder`: (for training, held back, reject crops skipped). Reject crops are skipped
    unless the model has a reject class (`with_reject`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"--extra {folder}: no such folder; {EXTRA_HINT}")
    images, labels, skipped = [], [], 0
    for name, label in CLASS_FOLDERS.items():
        paths = sorted(path for path in (folder / name).glob("*") if path.suffix.lower() in IMAGE_SUFFIXES)
        if label == REJECT_CLASS and not with_reject:
            skipped += len(paths)
            continue
        images += [read_crop(path) for path in paths]
        labels += [label] * len(paths)
    if not images:
        raise DataError(f"--extra {folder}: no crops in its class folders; {EXTRA_HINT}")
    return split_held_back(np.stack(images), np.array(labels, np.int64), seed) + (skipped,)


def read_crop(path: Path) -> np.ndarray:
    crop = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if crop is None:
        raise DataError(f"{path}: not an image OpenCV can read; delete it or replace it with a 28x28 crop")
    if crop.shape != (28, 28):
        raise DataError(f"{path}: {crop.shape[1]}x{crop.shape[0]} pixels, expected 28x28; {EXTRA_HINT}")
    return crop


def split_held_back(images: np.ndarray, labels: np.ndarray, seed: int) -> tuple[Arrays, Arrays]:
    """Hold back HELD_BACK_SHARE of each class (at least one crop of a class with two or more)."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(labels), bool)
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        count = int(round(len(members) * HELD_BACK_SHARE)) or (1 if len(members) > 1 else 0)
        held[members[:count]] = True
    return (images[~held], labels[~held]), (images[held], labels[held])


def oversampled(extra: Arrays, mnist_count: int, seed: int,
                share: float = EXTRA_SHARE) -> tuple[np.ndarray, np.ndarray, int]:
    """The extra crops repeated to about `share` of the epoch (at most MAX_REPEATS times): images, labels and
    the repeat count."""
    images, labels = extra
    if len(labels) == 0:
        return images, labels, 0
    repeats = int(np.clip(round(share * mnist_count / len(labels)), 1, MAX_REPEATS))
    order = np.random.default_rng(seed).permutation(len(labels) * repeats) % len(labels)
    return images[order], labels[order], repeats
