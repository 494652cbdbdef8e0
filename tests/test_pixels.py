"""The shared image and label-map functions agree with their plain numpy and OpenCV definitions."""

import cv2
import numpy as np
import pytest

from camera_digits import pixels


@pytest.mark.parametrize("count", [
    30,    # fits a byte: looked up with cv2.LUT
    3000,  # does not: looked up with numpy
])
def test_relabel_matches_numpy(count):
    rng = np.random.default_rng(count)
    labels = rng.integers(0, count, (60, 80)).astype(np.uint16)
    table = rng.integers(0, 256, count).astype(np.uint8)
    assert np.array_equal(pixels.relabel(table, labels), table[labels])


@pytest.mark.parametrize("masks", [0, 1, 3])
def test_pixels_per_label_counts_each_mask_among_the_ink(masks):
    rng = np.random.default_rng(masks)
    count = 40
    labels = rng.integers(0, count, (60, 80)).astype(np.uint16)
    ink, *extra = (np.where(rng.random(labels.shape) < 0.4, 255, 0).astype(np.uint8) for _ in range(masks + 1))
    counted = pixels.pixels_per_label(labels, count, ink, extra)
    assert counted.shape == (masks + 1, count)
    assert np.array_equal(counted[0], np.bincount(labels[ink > 0], minlength=count))
    for row, mask in zip(counted[1:], extra):
        assert np.array_equal(row, np.bincount(labels[(ink > 0) & (mask > 0)], minlength=count))


def random_marks(seed: int) -> np.ndarray:
    """A mask of random specks and strokes, with holes and marks inside holes."""
    rng = np.random.default_rng(seed)
    height, width = rng.integers(1, 120, 2)
    binary = np.where(rng.random((height, width)) < rng.uniform(0, 0.6), 255, 0).astype(np.uint8)
    return cv2.dilate(binary, None) if seed % 2 else binary


@pytest.mark.parametrize("seed", range(40))
def test_component_boxes_match_opencv_statistics(seed):
    binary = random_marks(seed)
    count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(binary, 8, cv2.CV_32S, cv2.CCL_DEFAULT)
    assert np.array_equal(pixels.component_boxes(binary, labels, count)[1:], stats[1:, :4])


def test_component_boxes_of_a_mark_inside_a_ring():
    binary = cv2.circle(np.zeros((60, 60), np.uint8), (30, 30), 20, 255, 2)
    binary[29:32, 29:31] = 255  # a dot inside the 0
    count, labels = pixels.labelled_components(binary)
    boxes = pixels.component_boxes(binary, labels, count)
    assert count == 3
    assert boxes[labels[30, 30]].tolist() == [29, 29, 2, 3]
    assert boxes[labels[30, 10]].tolist() == [9, 9, 43, 43]


@pytest.mark.parametrize("shape", [(480, 640), (301, 533)])
def test_shrink_is_a_block_average(shape):
    gray = np.random.default_rng(1).integers(0, 256, shape).astype(np.uint8)
    small = pixels.shrink(gray, 4)
    direct = cv2.resize(gray, (shape[1] // 4, shape[0] // 4), interpolation=cv2.INTER_AREA)
    assert small.shape == direct.shape
    if shape[0] % 4 == 0 and shape[1] % 4 == 0:  # whole blocks: at most one level of rounding apart
        assert np.abs(small.astype(int) - direct).max() <= 1


@pytest.mark.parametrize("factor", [1, 2, 4, 8])
@pytest.mark.parametrize("size", [(480, 640), (301, 533)])
def test_enlarge_repeats_each_pixel_over_a_block(factor, size):
    height, width = size
    small = np.random.default_rng(factor).integers(0, 256, (height // factor, width // factor)).astype(np.uint8)
    enlarged = pixels.enlarge(small, factor, (width, height))
    assert enlarged.shape == (height, width) and enlarged.flags.c_contiguous
    rows, columns = np.arange(height) // factor, np.arange(width) // factor
    # Rows and columns past the last whole block repeat the edge block.
    expected = small[np.minimum(rows, small.shape[0] - 1)][:, np.minimum(columns, small.shape[1] - 1)]
    assert np.array_equal(enlarged, expected)


def test_labelled_components_counts_8_connected_marks():
    binary = np.zeros((20, 20), np.uint8)
    binary[2, 2] = binary[3, 3] = 255  # diagonal neighbours: one component
    binary[10:12, 10:15] = 255
    count, labels = pixels.labelled_components(binary)
    assert count == 3 and labels.dtype == np.int32
    assert sorted(pixels.pixels_per_label(labels, count, binary)[0, 1:]) == [2, 10]
