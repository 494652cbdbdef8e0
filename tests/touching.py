"""Synthetic frames of touching digit pairs with ground truth: two MNIST digits glued side by side.

Each pair is two MNIST digits of about one height, the second placed a gap of -15 % to +5 % of the first's
width after it (below zero they overlap), written as dark ink on light paper. Pairs sit far apart in a grid,
so each reads as one two-digit number. A seed names a frame; `split="test"` draws MNIST test digits (for
tests and reports), `split="train"` training digits (for choosing constants).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from camera_digits.training.nondigits import glued
from tests.scenes import mnist_test

MNIST_TRAIN_PATH = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "mnist.npz"
FRAME_SHAPE = (480, 640)
GRID = (3, 3)                  # rows, columns of pairs per frame
GAP_RANGE = (-0.15, 0.05)      # gap between the digits, a share of the first digit's width
HEIGHT_RANGE_PX = (30, 80)


@dataclass(frozen=True)
class TouchingPair:
    """One glued pair: the (x, y, w, h) box around both digits in frame pixels and its two-digit text."""

    box: tuple[int, int, int, int]
    text: str
    gap: float


@lru_cache(maxsize=2)
def mnist_digits(split: str) -> tuple[np.ndarray, np.ndarray]:
    if split == "test":
        return mnist_test()
    with np.load(MNIST_TRAIN_PATH) as data:
        return data["x_train"], data["y_train"]


def digit_ink(image: np.ndarray, height_px: int) -> np.ndarray:
    """An MNIST digit's ink float32 in [0, 1], tight around it and scaled to `height_px` tall."""
    x, y, w, h = cv2.boundingRect((image >= 64).astype(np.uint8))
    tight = image[y:y + h, x:x + w].astype(np.float32) / 255.0
    scale = height_px / h
    return cv2.resize(tight, (max(1, round(w * scale)), height_px), interpolation=cv2.INTER_LINEAR)


def glued_ink(first: np.ndarray, second: np.ndarray, gap: float, shift_px: int) -> np.ndarray:
    """Two digits' ink side by side, the second `gap` × the first's width after it, `shift_px` lower."""
    return glued(first, second, round(gap * first.shape[1]), shift_px)


def render_touching(seed: int, split: str = "test") -> tuple[np.ndarray, tuple[TouchingPair, ...]]:
    """A BGR uint8 640×480 frame of GRID touching pairs, and their ground truth in reading order."""
    rng = np.random.default_rng(seed)
    images, labels = mnist_digits(split)
    paper = np.full(FRAME_SHAPE, rng.uniform(190, 235), np.float32)
    paper += np.linspace(-12, 12, FRAME_SHAPE[1])[None, :] * rng.uniform(-1, 1)  # uneven light
    ink_level = rng.uniform(20, 80)
    cell_h, cell_w = FRAME_SHAPE[0] // GRID[0], FRAME_SHAPE[1] // GRID[1]
    pairs = []
    for row in range(GRID[0]):
        for column in range(GRID[1]):
            height = int(rng.integers(*HEIGHT_RANGE_PX))
            first, second = rng.integers(len(labels), size=2)
            gap = float(rng.uniform(*GAP_RANGE))
            ink = glued_ink(digit_ink(images[first], height),
                            digit_ink(images[second], round(height * rng.uniform(0.9, 1.1))),
                            gap, int(rng.integers(-height // 10, height // 10 + 1)))
            ink = ink[:cell_h - 8, :cell_w - 8]
            y = row * cell_h + int(rng.integers(4, cell_h - ink.shape[0] - 3))
            x = column * cell_w + int(rng.integers(4, cell_w - ink.shape[1] - 3))
            window = paper[y:y + ink.shape[0], x:x + ink.shape[1]]
            window[:] = window * (1 - ink) + ink_level * ink
            pairs.append(TouchingPair((x, y, ink.shape[1], ink.shape[0]), f"{labels[first]}{labels[second]}", gap))
    gray = cv2.GaussianBlur(paper, (0, 0), 0.7) + rng.normal(0, 3, FRAME_SHAPE)
    frame = cv2.cvtColor(np.clip(gray, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    return frame, tuple(pairs)


def read_pairs(digits, pairs: tuple[TouchingPair, ...]) -> list[str]:
    """What was read inside each pair's box: the digits whose centre lies in it, left to right."""
    texts = []
    for pair in pairs:
        x, y, w, h = pair.box
        inside = [digit for digit in digits
                  if x - 2 <= digit.box.center[0] <= x + w + 2 and y - 2 <= digit.box.center[1] <= y + h + 2]
        texts.append("".join(str(digit.digit) for digit in sorted(inside, key=lambda digit: digit.box.x)))
    return texts
