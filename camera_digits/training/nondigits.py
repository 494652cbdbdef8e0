"""Non-digit shapes for the model's reject class: what paper holds besides digits.

Signs, letters and punctuation (stroke-drawn and in handwriting fonts), scribbles, blobs and smudges, pieces
of ruled and grid lines, and what segmentation can cut out of real digits: a part of a digit, a digit cut by
the frame edge with too little left to read, two digits glued into one candidate. Each shape is drawn as a
binary ink mask and normalized by the camera path's own `mnist_glyph`, so the model sees these exactly as it
will see them on paper, and learns to say "not a digit". Shapes that a digit can look like are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from camera_digits.training.handwriting import REJECT_GLYPHS, glyph_mask
from camera_digits.normalize import mnist_glyph

SCALE = 4  # drawn at 4× the 28×28 field, like a digit a few times larger than the crop
CANVAS_PX = 28 * SCALE
BOX_LOW, BOX_HIGH = 4 * SCALE, 24 * SCALE  # the central 20×20 that MNIST digits are fitted into
LETTERS = "ACEFHKMNPRUVWXYaehkmnruvwx"
HERSHEY_GLYPHS = LETTERS + "?@%&#>~^"
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX)
GLUED_GAP = (-0.15, 0.05)      # gap between glued digits, a share of the left digit's width (< 0: overlap)
FRAGMENT_SHARE = (0.15, 0.45)  # share of a digit's height or width a fragment keeps: too little to read
GLYPH_PART_SHARE = (0.35, 0.65)  # share of a wide glyph's width that a cut through it keeps
# A fragment the judge reads as a digit this surely is left out: the top of a 9 is a 0. Set so that the
# MNIST validation digits keep their accuracy (0.9 let "(" and "L"-like fragments swallow open 0s and 6s).
DIGIT_LIKE = 0.5


def render_nondigits(count: int, seed: int = 0, digits: np.ndarray | None = None,
                     fonts: Sequence[Path] = (), judge: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """`count` reject-class images: (count, 28, 28) uint8, white ink on black.

    Args:
        digits: uint8 (N, 28, 28) MNIST-style training digits to cut fragments and glued pairs from
            (None: no shapes made of digits).
        fonts: handwriting font files for letters and punctuation (empty: stroke-drawn letters only).
        judge: maps crops float32 (N, 28, 28, 1) to class probabilities (N, ≥ 10); a fragment, part of a
            letter, scribble or smudge it reads as a digit with probability ≥ DIGIT_LIKE (the top of a 9 is a
            0) is drawn again.
    """
    rng = np.random.default_rng(seed)
    painters = [stroked(painter) for painter in STROKED]
    if fonts:
        painters += [FontGlyph(list(fonts))] * 6 + [GlyphPart(list(fonts))]
    if digits is not None and len(digits):
        painters += [DigitFragment(digits)] * 3 + [GluedPair(digits)] * 4
    kinds = [painters[index % len(painters)] for index in range(count)]
    images = np.stack([draw(kind, rng) for kind in kinds]) if count else np.empty((0, 28, 28), np.uint8)
    if judge is not None:
        redraw_digit_like(images, kinds, rng, judge)
    return images


def draw(painter, rng) -> np.ndarray:
    """One shape, binary as segmentation hands it over, then MNIST-normalized: uint8 (28, 28)."""
    return mnist_glyph(np.where(painter(rng) >= 128, 255, 0).astype(np.uint8))


def redraw_digit_like(images: np.ndarray, kinds: list, rng, judge, rounds: int = 4) -> None:
    """Draw again, in place, the fragments the judge reads as a digit; after a few rounds, blank them."""
    pending = np.array([getattr(kind, "judged", False) for kind in kinds])
    for _ in range(rounds):
        rows = np.flatnonzero(pending)
        if rows.size == 0:
            return
        probabilities = np.asarray(judge(images[rows][..., None].astype(np.float32) / 255.0))
        digit_like = probabilities[:, :10].max(axis=1) >= DIGIT_LIKE
        pending[rows[~digit_like]] = False
        for row in rows[digit_like]:
            images[row] = draw(kinds[row], rng)
    images[pending] = 0  # an empty crop is rejected too, and never reaches the model from the camera


def stroked(painter):
    """A painter of (canvas, rng, thickness) as one of rng → canvas uint8 (CANVAS_PX, CANVAS_PX)."""
    def paint(rng) -> np.ndarray:
        canvas = np.zeros((CANVAS_PX, CANVAS_PX), np.uint8)
        painter(canvas, rng, stroke_px(rng))
        return canvas
    paint.judged = painter in JUDGED  # random shapes can happen to be digits
    return paint


class FontGlyph:
    """A letter or punctuation mark in a handwriting font, with a random extra pen width."""

    def __init__(self, fonts: list[Path]):
        self.fonts = fonts

    def __call__(self, rng) -> np.ndarray:
        text = str(rng.choice(list(REJECT_GLYPHS)))
        mask = glyph_mask(text, self.fonts[int(rng.integers(len(self.fonts)))], int(rng.integers(0, 5)))
        return mask if mask.size else np.zeros((CANVAS_PX, CANVAS_PX), np.uint8)


class GlyphPart(FontGlyph):
    """The left or right part of a wide letter, as a cut between glued digits would leave it."""

    judged = True

    def __call__(self, rng) -> np.ndarray:
        mask = super().__call__(rng)
        keep = max(1, round(mask.shape[1] * rng.uniform(*GLYPH_PART_SHARE)))
        return mask[:, :keep] if rng.random() < 0.5 else mask[:, -keep:]


def digit_ink(digits: np.ndarray, rng) -> np.ndarray:
    """A random digit at SCALE× as a binary mask, tight around its ink."""
    digit = cv2.resize(digits[int(rng.integers(len(digits)))], None, fx=SCALE, fy=SCALE,
                       interpolation=cv2.INTER_LINEAR)
    mask = np.where(digit >= 128, 255, 0).astype(np.uint8)
    x, y, w, h = cv2.boundingRect(mask)
    return mask[y:y + h, x:x + w]


class DigitFragment:
    """What is left of a digit cut by the frame edge (a band along one side) or a quarter of one."""

    judged = True

    def __init__(self, digits: np.ndarray):
        self.digits = digits

    def __call__(self, rng) -> np.ndarray:
        mask = digit_ink(self.digits, rng)
        height, width = mask.shape
        keep_rows = max(1, round(height * rng.uniform(*FRAGMENT_SHARE)))
        keep_columns = max(1, round(width * rng.uniform(*FRAGMENT_SHARE)))
        side = int(rng.integers(6))
        if side == 0:
            return mask[:keep_rows]
        if side == 1:
            return mask[-keep_rows:]
        if side == 2:
            return mask[:, :keep_columns]
        if side == 3:
            return mask[:, -keep_columns:]
        rows = slice(None, keep_rows) if rng.random() < 0.5 else slice(-keep_rows, None)
        return mask[rows, :keep_columns] if side == 4 else mask[rows, -keep_columns:]


class GluedPair:
    """Two digits touching or overlapping side by side, as one candidate: the splitter's job, not one digit."""

    def __init__(self, digits: np.ndarray):
        self.digits = digits

    def __call__(self, rng) -> np.ndarray:
        left, right = digit_ink(self.digits, rng), digit_ink(self.digits, rng)
        ratio = rng.uniform(0.85, 1.15) * left.shape[0] / right.shape[0]
        right = cv2.resize(right, None, fx=ratio, fy=ratio, interpolation=cv2.INTER_NEAREST)
        gap = round(rng.uniform(*GLUED_GAP) * left.shape[1])
        shift = round(rng.uniform(-0.1, 0.1) * left.shape[0])
        return glued(left, right, gap, shift)


def glued(left: np.ndarray, right: np.ndarray, gap_px: int, shift_px: int) -> np.ndarray:
    """Two ink images side by side on one canvas of `left`'s dtype: `right` starts `gap_px` after `left` ends
    (< 0: they overlap, the stronger ink showing) and `shift_px` lower (< 0: higher)."""
    top = max(0, -shift_px)
    height = max(top + left.shape[0], top + shift_px + right.shape[0])
    width = max(left.shape[1], left.shape[1] + gap_px + right.shape[1])
    canvas = np.zeros((height, width), left.dtype)
    canvas[top:top + left.shape[0], :left.shape[1]] = left
    x = max(0, left.shape[1] + gap_px)
    place = canvas[top + shift_px:top + shift_px + right.shape[0], x:x + right.shape[1]]
    np.maximum(place, right[:place.shape[0], :place.shape[1]], out=place)
    return canvas


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
    text = str(rng.choice(list(HERSHEY_GLYPHS)))
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


def ruled_piece(canvas, rng, thickness):
    # What line removal leaves of closely ruled paper: a few parallel rules at a slant of up to 8°.
    slope, spacing = np.tan(np.radians(rng.uniform(-8, 8))), int(rng.integers(5, 9)) * SCALE
    first = CANVAS_PX // 2 - spacing * int(rng.integers(0, 2))
    for index in range(int(rng.integers(2, 4))):
        y = first + index * spacing
        start, end = (BOX_LOW, y - slope * CANVAS_PX / 4), (BOX_HIGH, y + slope * CANVAS_PX / 4)
        line(canvas, rng, np.round(start).astype(int), np.round(end).astype(int), max(2, thickness // 2))


def grid_piece(canvas, rng, thickness):
    # A patch of squared paper: a few crossing lines whose ends stop at random, like a torn-out net.
    slope, spacing = np.tan(np.radians(rng.uniform(-8, 8))), int(rng.integers(6, 11)) * SCALE
    weight = max(2, thickness // 2)
    for offset in range(BOX_LOW, BOX_HIGH + 1, spacing):
        low, high = int(rng.integers(BOX_LOW, CANVAS_PX // 2)), int(rng.integers(CANVAS_PX // 2, BOX_HIGH))
        cv2.line(canvas, (low, round(offset + slope * (low - CANVAS_PX / 2))),
                 (high, round(offset + slope * (high - CANVAS_PX / 2))), 255, weight, cv2.LINE_AA)
        low, high = int(rng.integers(BOX_LOW, CANVAS_PX // 2)), int(rng.integers(CANVAS_PX // 2, BOX_HIGH))
        cv2.line(canvas, (round(offset - slope * (low - CANVAS_PX / 2)), low),
                 (round(offset - slope * (high - CANVAS_PX / 2)), high), 255, weight, cv2.LINE_AA)


def smudge(canvas, rng, thickness):
    # A rubbed-out or smeared patch: smooth noise cut at a low level, ragged and holed, inside an ellipse.
    noise = cv2.GaussianBlur(rng.random((CANVAS_PX, CANVAS_PX)).astype(np.float32), (0, 0), 2.5 * SCALE)
    window = np.zeros_like(canvas)
    axes = (int(rng.integers(5, 10)) * SCALE, int(rng.integers(4, 9)) * SCALE)
    cv2.ellipse(window, (CANVAS_PX // 2, CANVAS_PX // 2), axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
    inside = noise[window > 0]
    canvas[(noise > np.quantile(inside, rng.uniform(0.15, 0.45))) & (window > 0)] = 255


JUDGED = (scribble, smudge)
STROKED = (plus, cross, minus, equals, asterisk, hashmark, letter, scribble, blob, corner, specks,
           ruled_piece, grid_piece, smudge)
