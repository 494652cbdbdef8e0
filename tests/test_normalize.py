"""Normalization to MNIST-style crops, and the acceptance test: MNIST drawn on paper reads like MNIST."""

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from camera_digits import normalize, segment
from tests.scenes import digit_sheet, mnist_test

SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "models" / "digits.tflite"
MODEL_PATH = Path(os.environ.get("CAMERA_DIGITS_MODEL", SHIPPED_MODEL))


def mask_with(draw, size=(120, 80)):
    mask = np.zeros(size, np.uint8)
    draw(mask)
    return mask


def centre_of_mass(crop):
    moments = cv2.moments(crop)
    return moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]


SHAPES = [
    # a tall 1-like bar: fitted 20 px high, thin
    ("tall bar", lambda m: cv2.line(m, (40, 10), (40, 110), 255, 9)),
    # a wide dash-like stroke: fitted 20 px wide
    ("wide stroke", lambda m: cv2.line(m, (5, 60), (75, 60), 255, 9)),
    # a ring drawn off-centre in its box
    ("ring", lambda m: cv2.circle(m, (40, 40), 30, 255, 8)),
    # an L whose mass sits low and left: the centre of mass, not the box, is centred
    ("L shape", lambda m: cv2.polylines(m, [np.int32([(10, 10), (10, 110), (70, 110)])], False, 255, 9)),
]


@pytest.mark.parametrize("name, draw", SHAPES, ids=[shape[0] for shape in SHAPES])
def test_crop_is_fitted_white_on_black_and_centred_by_mass(name, draw):
    crop = normalize.normalize_mask(mask_with(draw))
    assert crop.shape == (28, 28) and crop.dtype == np.float32
    assert crop.max() > 0.9 and crop.min() == 0.0               # white ink on black
    rows, cols = np.nonzero(crop > 0.05)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 in (19, 20, 21)   # longer side fitted to 20 px
    assert 0 < rows.min() and rows.max() < 27                   # never cut off
    centre_x, centre_y = centre_of_mass(crop)
    assert abs(centre_x - 13.5) <= 1.0 and abs(centre_y - 13.5) <= 1.0


@pytest.mark.parametrize("thickness_px, size_px", [
    (1, 200),   # hair-line pen on a large digit: thickened so it does not fade away when shrunk
    (56, 200),  # fat marker: thinned, and the loop stays open
    (12, 120),  # ordinary stroke
])
def test_strokes_end_up_mnist_thick(thickness_px, size_px):
    mask = np.zeros((size_px, size_px), np.uint8)
    cv2.circle(mask, (size_px // 2, size_px // 2), size_px // 2 - thickness_px // 2 - 1, 255, thickness_px)
    crop = normalize.normalize_mask(mask)
    width_px = normalize.stroke_width_px((crop > 0.5).astype(np.uint8) * 255)
    assert 1.5 <= width_px <= 5.5
    assert crop[14, 14] < 0.5  # the hole of the 0 stays open


def test_ink_as_dark_as_the_digits_mean_is_full_and_fainter_ink_keeps_its_share():
    contrast = np.zeros((20, 20), np.uint8)
    contrast[:, 5:10], contrast[:, 10:15] = 200, 100  # a stroke's dark core and its soft edge: mean 150
    mask = np.zeros_like(contrast)
    mask[:, 5:15] = 255
    ink = normalize.digit_ink(contrast, np.array([0, 0, 20, 20]), mask)
    assert ink[10, 7] == 255
    assert abs(int(ink[10, 12]) - 170) <= 1  # 100 / 150 of full ink


def test_hair_line_strokes_are_thickened_to_mnist_weight():
    # a 1 px ring 200 px across: once fitted to 20 px, the crop holds as much ink per pixel of the ring's
    # length as a stroke about 2 px wide, MNIST's usual pen, instead of a faint 1.2 px
    mask = np.zeros((200, 200), np.uint8)
    cv2.circle(mask, (100, 100), 98, 255, 1)
    crop = normalize.normalize_mask(mask)
    assert crop.sum() / (np.pi * 19) >= 1.8


def test_marker_strokes_are_thinned_to_mnist_thickness():
    # a ring whose stroke measures 4.5 px in the 20 px fit (twice its area over its outline, as
    # stroke_width_px measures); MNIST's strokes, measured so, are at most 3.8 px wide in 99 of 100 digits
    mask = np.zeros((200, 200), np.uint8)
    cv2.circle(mask, (100, 100), 71, 255, 56)
    crop = normalize.normalize_mask(mask)
    assert normalize.stroke_width_px((crop > 0.5).astype(np.uint8) * 255) <= 4.2
    assert crop[14, 14] < 0.5


def test_normalize_batch_shape_and_empty_input():
    labels = np.zeros((50, 50), np.int32)
    labels[10:40, 20:25] = 1
    crops = normalize.normalize(labels, np.array([[20, 10, 5, 30]]), [(1,)])
    assert crops.shape == (1, 28, 28, 1) and crops.dtype == np.float32
    assert normalize.normalize(labels, np.zeros((0, 4), np.int32), []).shape == (0, 28, 28, 1)


def test_a_neighbour_reaching_into_the_box_is_left_out():
    labels = np.zeros((60, 60), np.int32)
    labels[10:50, 28:32] = 1        # the digit: a 1
    labels[10:50, 8:12] = 2         # a neighbour's stroke inside the same box
    crop = normalize.normalize(labels, np.array([[5, 10, 30, 40]]), [(1,)])[0, :, :, 0]
    assert (crop.sum(axis=0) > 0).sum() <= 8


def read_sheet(model, indices, height_px):
    """Digits read from a paper sheet of MNIST test digits, in the order of `indices` (-1 where none)."""
    frame, truth_boxes = digit_sheet(indices, height_px, seed=height_px)
    found = segment.segment(segment.to_gray(frame), max_side_px=max(frame.shape))
    crops = normalize.normalize(found.labels, found.boxes, found.groups, found.contrast)
    predicted = model.predict(crops)[:, :10].argmax(axis=1)
    cell_px = 2 * height_px  # digit_sheet's pitch: one digit per cell
    by_cell = {((x + w // 2) // cell_px, (y + h // 2) // cell_px): label
               for (x, y, w, h), label in zip(found.boxes, predicted)}
    return np.array([by_cell.get(((x + w // 2) // cell_px, (y + h // 2) // cell_px), -1) for x, y, w, h in truth_boxes])


@pytest.mark.skipif(not MODEL_PATH.is_file(), reason=f"no model at {MODEL_PATH}")
def test_mnist_on_paper_reads_as_well_as_mnist():
    """MNIST test digits written as dark ink on paper at two other scales (34 and 70 px tall), segmented and
    normalized, are classified within 1 % as well as the original 28×28 images (780 digits)."""
    from camera_digits.classifier import load

    model = load(MODEL_PATH)
    images, labels = mnist_test()
    samples = [(np.arange(0, 10000, 25)[:390], 34), (np.arange(10, 10000, 25)[:390], 70)]
    read = np.concatenate([read_sheet(model, indices, height_px) for indices, height_px in samples])
    indices = np.concatenate([indices for indices, _ in samples])
    original = model.predict(images[indices, :, :, None] / np.float32(255))[:, :10].argmax(axis=1)
    on_paper, as_mnist = np.mean(read == labels[indices]), np.mean(original == labels[indices])
    print(f"{on_paper:.4f} read on paper, {as_mnist:.4f} as MNIST images")
    assert on_paper >= as_mnist - 0.01
