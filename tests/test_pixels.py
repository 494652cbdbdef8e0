"""The shared image and label-map functions agree with their plain numpy and OpenCV definitions."""

import cv2
import numpy as np
import pytest

from camera_digits import pixels


@pytest.mark.parametrize("count", [
    30,    # fits a byte: looked up with cv2.LUT
    3000,  # does not: looked up with numpy
])
def test_relabel_and_pixels_per_label_match_numpy(count):
    rng = np.random.default_rng(count)
    labels = rng.integers(0, count, (60, 80)).astype(np.uint16)
    table = rng.integers(0, 256, count).astype(np.uint8)
    mask = np.where(rng.random(labels.shape) < 0.3, 255, 0).astype(np.uint8)
    assert np.array_equal(pixels.relabel(table, labels), table[labels])
    assert np.array_equal(pixels.pixels_per_label(labels, mask, count), np.bincount(labels[mask > 0], minlength=count))


@pytest.mark.parametrize("shape", [(480, 640), (301, 533)])
def test_shrink_is_a_block_average(shape):
    gray = np.random.default_rng(1).integers(0, 256, shape).astype(np.uint8)
    small = pixels.shrink(gray, 4)
    direct = cv2.resize(gray, (shape[1] // 4, shape[0] // 4), interpolation=cv2.INTER_AREA)
    assert small.shape == direct.shape
    if shape[0] % 4 == 0 and shape[1] % 4 == 0:  # whole blocks: at most one level of rounding apart
        assert np.abs(small.astype(int) - direct).max() <= 1


def test_labelled_components_counts_8_connected_marks():
    binary = np.zeros((20, 20), np.uint8)
    binary[2, 2] = binary[3, 3] = 255  # diagonal neighbours: one component
    binary[10:12, 10:15] = 255
    count, labels, stats = pixels.labelled_components(binary)
    assert count == 3 and labels.dtype == np.uint16
    assert sorted(stats[1:, cv2.CC_STAT_AREA]) == [2, 10]
