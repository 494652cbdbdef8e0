"""Normalization: each candidate → an MNIST-style 28×28 crop, white ink on black, as the MNIST digits were made.

MNIST digits were fitted into 20×20 keeping their aspect ratio, anti-aliased, and placed in a 28×28 field so
that their centre of mass sits at the centre. Doing exactly the same to camera crops is what lets a model
trained on MNIST read them.
"""

from __future__ import annotations

import cv2
import numpy as np

from camera_digits.pixels import digit_mask, resized

CROP_SIZE_PX = 28
FIT_SIZE_PX = 20
# Strokes thinner than this inside the 20×20 fit are thickened to it (a ballpoint on a large digit would
# otherwise fade to a hair-line once shrunk). On the tune seeds, the stress scenes read 93.9 % at 1.5 and 2.0,
# 94.2 % at 2.5 (thin pens 93.3 -> 94.7 %, fonts 95.5 -> 96.6 %, mixed sizes 96.7 -> 97.4 %) and 94.2 % at 3.0
# with 7 false digits more; the plain scenes 99.27 % at 1.5 and 2.0, 99.31 % at 2.5. With the ink scaled as
# digit_ink does now: 94.2 % at 2.0, 94.5 % at 2.5 and 3.0 (3.0: 2 false digits fewer, 2 plain digits fewer).
TARGET_STROKE_PX = 2.5
# Marker strokes thicker than this (in the fit) are thinned toward it. MNIST's own strokes, measured the same
# way, are 2.2 px (median) to 3.8 px (99th percentile) wide. On the tune seeds, thick-marker digits read
# 88.7 % at 5.0, 89.3 % at 4.0, 89.6 % at 3.5 and 3.0 (false digits among letters and on boards: 3.5 two more
# than 5.0, 3.0 five more); other kinds read the same or within a digit or two (swept with TARGET_STROKE_PX
# still 1.5). With the ink scaled as digit_ink does now, the stress scenes read 94.4 % at 4.0, 94.5 % at 3.5
# and 3.0 (3.0: 1 false digit more).
MAX_STROKE_PX = 3.5


def candidate_ink(labels: np.ndarray, box, group, contrast: np.ndarray | None, mask=None) -> np.ndarray:
    """uint8 (h, w) ink of one candidate: anti-aliased from `contrast` where given, else its binary mask
    (`mask`: its digit_mask, when the caller has made it already)."""
    mask = digit_mask(labels, box, group) if mask is None else mask
    return mask if contrast is None else digit_ink(contrast, box, mask)


def digit_ink(contrast: np.ndarray, box, mask: np.ndarray) -> np.ndarray:
    """Anti-aliased ink uint8 (h, w) of one digit: the contrast image under its (slightly grown) `mask`.

    The ink is scaled so the digit's typical stroke is 255, as MNIST's pen was, whatever the pen's darkness.
    """
    x, y, w, h = box.tolist()
    window = contrast[y:y + h, x:x + w]
    full = cv2.mean(window, mask)[0]
    if full <= 0:
        return mask
    # The mean over the mask sits between the stroke's core and its soft edges: cores saturate at 255, edges
    # keep their share. Saturating from 1/1.3 of the mean instead made bold crops bolder still: on the tune
    # seeds the stress scenes read 94.2 % then, 94.4 % from 1/1.15 and 94.5 % from the mean (thick markers
    # 89.6 -> 91.3 %), with 143, 145 and 149 false digits; the plain scenes 99.55, 99.66 and 99.77 %.
    return cv2.bitwise_and(cv2.convertScaleAbs(window, alpha=255.0 / full), cv2.dilate(mask, None))


def stroke_width_px(mask: np.ndarray) -> float:
    """Mean pen width of an ink mask: twice the ink area over its outline length."""
    mask = cv2.threshold(mask, 127, 255, cv2.THRESH_BINARY)[1]
    area = cv2.countNonZero(mask)
    if area == 0:
        return 0.0
    outline = area - cv2.countNonZero(cv2.erode(mask, None, borderType=cv2.BORDER_CONSTANT, borderValue=0))
    return 2.0 * area / max(outline, 1)


def even_stroke(mask: np.ndarray, fit_scale: float) -> np.ndarray:
    """Thicken hair-line strokes and thin marker strokes so that, once fitted, they are MNIST-like.

    The result stays tight around the ink: thickening pads the image by the growth, thinning crops it.
    """
    width = stroke_width_px(mask) * fit_scale
    if width < TARGET_STROKE_PX:
        radius = round((TARGET_STROKE_PX - width) / fit_scale / 2)
        if radius >= 1:
            padded = cv2.copyMakeBorder(mask, radius, radius, radius, radius, cv2.BORDER_CONSTANT, value=0)
            return cv2.dilate(padded, disc(radius))
    elif width > MAX_STROKE_PX:
        radius = round((width - MAX_STROKE_PX) / fit_scale / 2)
        if radius >= 1:
            thinned = cv2.erode(mask, disc(radius))[radius:-radius, radius:-radius]
            return thinned if thinned.size and thinned.any() else mask
    return mask


def disc(radius: int) -> np.ndarray:
    """A round structuring element of the given radius in pixels: strokes grow or shrink evenly."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def fit(mask: np.ndarray) -> np.ndarray:
    """Resize an ink mask uint8 (h, w) to fit FIT_SIZE_PX on its longer side, keeping aspect."""
    return resized(mask, FIT_SIZE_PX / max(mask.shape))


def centre_by_mass(glyph: np.ndarray) -> np.ndarray:
    """Place a fitted glyph uint8 (≤20, ≤20) in a 28×28 field with its centre of mass at the centre."""
    field = np.zeros((CROP_SIZE_PX, CROP_SIZE_PX), np.uint8)
    height, width = glyph.shape
    moments = cv2.moments(glyph)
    if moments["m00"] > 0:
        centre_x, centre_y = moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]
    else:
        centre_x, centre_y = (width - 1) / 2, (height - 1) / 2
    middle = CROP_SIZE_PX / 2  # where MNIST put the centre of mass (pixel 14, 0-based), measured on its test set
    left = clamp(round(middle - centre_x), 0, CROP_SIZE_PX - width)
    top = clamp(round(middle - centre_y), 0, CROP_SIZE_PX - height)
    field[top:top + height, left:left + width] = glyph
    return field


def clamp(value: int, low: int, high: int) -> int:
    # Plain Python: np.clip costs microseconds per call on scalars, and this runs for every crop.
    return min(max(value, low), high)


def normalize_mask(ink: np.ndarray) -> np.ndarray:
    """One digit's ink uint8 (h, w), ink = 255 → float32 (28, 28) in [0, 1], white ink on black."""
    return to_unit_range(mnist_glyph(ink))


def mnist_glyph(ink: np.ndarray) -> np.ndarray:
    """One digit's ink uint8 (h, w), ink = 255 → uint8 (28, 28), white ink on black."""
    x, y, w, h = cv2.boundingRect(ink)
    if w == 0 or h == 0:
        return np.zeros((CROP_SIZE_PX, CROP_SIZE_PX), np.uint8)
    tight = ink[y:y + h, x:x + w]
    return centre_by_mass(fit(even_stroke(tight, FIT_SIZE_PX / max(w, h))))


def to_unit_range(glyphs: np.ndarray) -> np.ndarray:
    """uint8 images → float32 in [0, 1], as the model takes them."""
    return glyphs.astype(np.float32) / 255.0


def normalize(labels: np.ndarray, boxes: np.ndarray, groups, contrast: np.ndarray | None = None) -> np.ndarray:
    """MNIST-style crops float32 (N, 28, 28, 1) in [0, 1] for N (x, y, w, h) boxes of component groups.

    With `contrast` (uint8, the processed size) the crops keep the ink's anti-aliased edges; without it they
    are made from the binary component masks.
    """
    # Glyphs stay uint8 until the whole batch is converted at once.
    glyphs = np.zeros((len(boxes), CROP_SIZE_PX, CROP_SIZE_PX, 1), np.uint8)
    for index, (box, group) in enumerate(zip(boxes, groups)):
        glyphs[index, :, :, 0] = mnist_glyph(candidate_ink(labels, box, group, contrast))
    return to_unit_range(glyphs)
