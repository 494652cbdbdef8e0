"""Non-digit shapes for the model's reject class: signs, letters, scribbles, blobs and paper marks.

Each shape is drawn as an ink mask and normalized by the camera path's own `normalize_mask`, so the
model sees these exactly as it will see a sign or a scribble on paper, and learns to say "not a digit".
Shapes that a digit can look like (O, l, I, S, Z, B, G, q) are left out.
"""

from __future__ import annotations

import cv2
import numpy as np

from camera_digits.normalize import normalize_mask

SCALE = 4  # drawn at 4× the 28×28 field, like a digit a few times larger than the crop
CANVAS_PX = 28 * SCALE
BOX_LOW, BOX_HIGH = 4 * SCALE, 24 * SCALE  # the central 20×20 that MNIST digits are fitted into
LETTERS = "ACEFHKMNPRUVWXYaehkmnruvwx"
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX)


def render_nondigits(count: int, seed: int = 0) -> np.ndarray:
    """`count` reject-class images: (count, 28, 28) uint8, white ink on black."""
    rng = np.random.default_rng(seed)
    painters = (plus, cross, minus, equals, asterisk, hashmark, letter, scribble, blob, corner, specks)
    images = np.empty((count, 28, 28), np.uint8)
    for index in range(count):
        canvas = np.zeros((CANVAS_PX, CANVAS_PX), np.uint8)
        painters[index % len(painters)](canvas, rng, stroke_px(rng))
        canvas[:] = np.where(canvas >= 128, 255, 0).astype(np.uint8)  # binary, as segmentation hands it over
        images[index] = np.round(normalize_mask(canvas) * 255).astype(np.uint8)
    return images


def stroke_px(rng) -> int:
    return int(rng.integers(5, 14))


def jitter(rng, point, spread_px=2 * SCALE):
    return tuple(int(v + rng.integers(-spread_px, spread_px + 1)) for v in point)


def line(canvas, rng, start, end, thickness):
    cv2.line(canvas, jitter(rng, start), jitter(rng, end), 255, thickness, cv2.LINE_AA)


def plus(canvas, rng, thickness):
    middle, half = CANVAS_PX // 2, int(rng.integers(6, 10)) * SCALE
    line(canvas, rng, (middle - half, middle), (middle + half, middle), thickness)
    line(canvas, rng, (middle, middle - half), (middle, middle + half), thickness)


def cross(canvas, rng, thickness):
    low, high = BOX_LOW + 2 * SCALE, BOX_HIGH - 2 * SCALE
    line(canvas, rng, (low, low), (high, high), thickness)
    line(canvas, rng, (low, high), (high, low), thickness)


def minus(canvas, rng, thickness):
    # A minus is far wider than tall, so fitting it into 20×20 leaves a long bar across the middle.
    middle = CANVAS_PX // 2
    line(canvas, rng, (BOX_LOW, middle), (BOX_HIGH, middle), thickness)


def equals(canvas, rng, thickness):
    middle, gap = CANVAS_PX // 2, int(rng.integers(3, 6)) * SCALE
    for y in (middle - gap, middle + gap):
        line(canvas, rng, (BOX_LOW, y), (BOX_HIGH, y), thickness)


def asterisk(canvas, rng, thickness):
    middle, radius = CANVAS_PX // 2, 9 * SCALE
    for angle in rng.uniform(0, np.pi, 1) + np.arange(3) * np.pi / 3:
        offset = np.array([np.cos(angle), np.sin(angle)]) * radius
        line(canvas, rng, (middle - offset).astype(int), (middle + offset).astype(int), thickness)


def hashmark(canvas, rng, thickness):
    low, high = BOX_LOW + 2 * SCALE, BOX_HIGH - 2 * SCALE
    for position in (11 * SCALE, 17 * SCALE):
        line(canvas, rng, (position, low), (position, high), thickness)
        line(canvas, rng, (low, position), (high, position), thickness)


def letter(canvas, rng, thickness):
    text = str(rng.choice(list(LETTERS)))
    font = int(rng.choice(FONTS))
    weight = max(2, thickness // 2)
    (width, height), _ = cv2.getTextSize(text, font, 1.0, weight)
    scale = 20 * SCALE / max(width, height)
    (width, height), _ = cv2.getTextSize(text, font, scale, weight)
    origin = ((CANVAS_PX - width) // 2, (CANVAS_PX + height) // 2)
    cv2.putText(canvas, text, origin, font, scale, 255, weight, cv2.LINE_AA)


def scribble(canvas, rng, thickness):
    points = rng.integers(BOX_LOW, BOX_HIGH, size=(int(rng.integers(5, 10)), 2))
    cv2.polylines(canvas, [points.astype(np.int32)], False, 255, thickness, cv2.LINE_AA)


def blob(canvas, rng, thickness):
    center = jitter(rng, (CANVAS_PX // 2, CANVAS_PX // 2), 3 * SCALE)
    axes = (int(rng.integers(5, 10)) * SCALE, int(rng.integers(5, 10)) * SCALE)
    cv2.ellipse(canvas, center, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1, cv2.LINE_AA)


def corner(canvas, rng, thickness):
    # Where a ruled or grid line meets a margin, an edge, or another line.
    low, high, middle = BOX_LOW, BOX_HIGH, CANVAS_PX // 2
    line(canvas, rng, (low, middle), (high, middle), thickness)
    line(canvas, rng, (middle, middle), (middle, rng.choice([low, high])), thickness)


def specks(canvas, rng, thickness):
    for _ in range(int(rng.integers(3, 9))):
        center = tuple(int(v) for v in rng.integers(BOX_LOW, BOX_HIGH, size=2))
        cv2.circle(canvas, center, int(rng.integers(1, 3)) * SCALE, 255, -1, cv2.LINE_AA)
