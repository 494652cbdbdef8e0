"""Small image and label-map functions shared by the segmentation stages, chosen for OpenCV's fast paths.

Images are uint8 (h, w) with marks = 255; label maps are int32 (h, w) as cv2.connectedComponents gives
them, 0 = background.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np


@functools.lru_cache(maxsize=128)
def rect(width: int, height: int) -> np.ndarray:
    """A rectangular structuring element `width` × `height` pixels, read-only.

    Cached: a frame asks for two dozen, and OpenCV takes microseconds to build each.
    """
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(1, width), max(1, height)))
    kernel.flags.writeable = False
    return kernel


def resized(image: np.ndarray, scale: float) -> np.ndarray:
    """`image` resized by `scale` (each side rounded, at least 1 px): area-averaged where it shrinks, linearly
    interpolated where it grows; itself at a scale of 1."""
    if scale == 1.0:
        return image
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def shrink(image: np.ndarray, factor: int) -> np.ndarray:
    """`image` averaged over `factor` × `factor` blocks (a power of two): size (w // factor, h // factor).

    Halving step by step takes OpenCV's vectorized 2× area path, several times faster than one 4× resize;
    the result differs from it by at most one gray level of rounding.
    """
    while factor > 1:
        height, width = image.shape[:2]
        image = cv2.resize(image, (max(1, width // 2), max(1, height // 2)), interpolation=cv2.INTER_AREA)
        factor //= 2
    return image


def enlarge(image: np.ndarray, factor: int, size: tuple[int, int]) -> np.ndarray:
    """uint8 `image` with each pixel repeated over a `factor` × `factor` block (1, 2, 4 or 8), cut or padded
    with its edge to `size` (w, h): shrink's inverse, nearest-neighbour, several times faster than cv2.resize.
    """
    wide = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[factor]
    # A byte times 0x01…01 is that byte repeated across a wider integer: each row gets `factor` times longer.
    rows = (image.astype(wide) * wide(int("01" * factor, 16))).view(np.uint8)
    blocks = np.repeat(rows, factor, axis=0)[:size[1], :size[0]]
    bottom, right = size[1] - blocks.shape[0], size[0] - blocks.shape[1]
    if bottom == right == 0:
        return np.ascontiguousarray(blocks)
    return cv2.copyMakeBorder(blocks, 0, bottom, 0, right, cv2.BORDER_REPLICATE)


def labelled_components(binary: np.ndarray) -> tuple[int, np.ndarray]:
    """8-connected components of a mask: count (background included) and labels (h, w), 0 = background."""
    # int32 labels: what the rest of the pipeline indexes with (and OpenCV labels in parallel only into them).
    return cv2.connectedComponentsWithAlgorithm(binary, 8, cv2.CV_32S, cv2.CCL_DEFAULT)


def component_boxes(binary: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """int32 (count, 4): the (x, y, w, h) box of each label of `binary`, as cv2.connectedComponentsWithStats
    gives them; row 0 (the background) is the whole image.

    Each 8-connected component has exactly one outer contour, and the boxes of all of them are found at
    once: on a page, where ink covers a small part of the frame, two to three times faster than OpenCV's
    statistics, which visit every pixel.
    """
    boxes = np.zeros((count, 4), np.int32)
    boxes[0] = (0, 0, binary.shape[1], binary.shape[0])
    contours, hierarchy = cv2.findContours(binary, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    outer = [contour for contour, links in zip(contours, hierarchy[0] if contours else ()) if links[3] < 0]
    if not outer:
        return boxes
    points = np.concatenate(outer).reshape(-1, 2)
    starts = np.cumsum([0] + [len(contour) for contour in outer[:-1]])
    owners = labels[points[starts, 1], points[starts, 0]]
    low = np.minimum.reduceat(points, starts)
    boxes[owners, :2] = low
    boxes[owners, 2:] = np.maximum.reduceat(points, starts) - low + 1
    return boxes


def pixels_per_label(labels: np.ndarray, count: int, ink: np.ndarray, masks=()) -> np.ndarray:
    """int (1 + len(masks), count): how many pixels of each label 0..count-1 lie under the `ink` mask, then
    how many of those also lie under each of `masks` (at most 7). Masks are uint8 (h, w), set = 255.

    Finding the ink pixels is the costly part, so it is done once for all masks: at each ink pixel every
    mask adds one bit to a code, and one bincount over label × code counts them all.
    """
    # np.flatnonzero is ten times faster on a true boolean array than on uint8.
    selected = np.flatnonzero(cv2.threshold(ink, 0, 1, cv2.THRESH_BINARY)[1].view(bool))
    joint = labels.ravel().take(selected).astype(np.int64) << len(masks)
    for bit, mask in enumerate(masks):
        joint |= mask.ravel().take(selected) & (1 << bit)
    # table[label, code]: that label's ink pixels with that code; a mask's count sums the codes with its bit.
    table = np.bincount(joint, minlength=count << len(masks)).reshape(count, 1 << len(masks))
    counts = [table.sum(axis=1)]
    for bit in range(len(masks)):
        has_bit = (np.arange(1 << len(masks)) >> bit & 1).astype(bool)
        counts.append(table[:, has_bit].sum(axis=1))
    return np.array(counts)


def relabel(table: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """uint8 (h, w): `table` (uint8, one entry per label) looked up at every pixel of `labels`."""
    if len(table) <= 256:
        # Labels below 256 fit in a byte, and a byte lookup table is what cv2.LUT does fastest.
        return cv2.LUT(labels.astype(np.uint8), np.pad(table, (0, 256 - len(table))))
    return np.take(table, labels)


def digit_mask(labels: np.ndarray, box, group) -> np.ndarray:
    """uint8 (h, w) mask (ink = 255) of the components in `group` inside (x, y, w, h) `box`.

    Only the digit's own components are kept, so a neighbour's stroke or a line end reaching into the box
    does not enter the crop.
    """
    x, y, w, h = box.tolist()
    window = labels[y:y + h, x:x + w]
    mask = window == group[0]
    for label in group[1:]:
        mask |= window == label
    return mask.view(np.uint8) * np.uint8(255)
