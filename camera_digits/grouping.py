"""Grouping: recognized digits → lines (top to bottom) → numbers (left to right), by geometry alone."""

from __future__ import annotations

import math
from statistics import median
from typing import Callable, Iterable, Optional, Sequence

import numpy as np

from camera_digits.results import Digit, Number

NUMBER_GAP_RATIO = 0.6  # digits closer than 0.6 × their height belong to one number; larger = longer numbers
# On video a gap near the limit would join and split its number from frame to frame: a pair joined in the
# last frame splits only past this many times the limit, a pair split joins only below the limit over it.
# On the flicker benchmark's tune split the photo clips changed reading on 4.3 % of frames without it and on
# 1.1 % with 1.2, 1.3 or 1.45; 1.3 is the middle.
JOIN_HYSTERESIS = 1.3
# A number turned far enough steps out of its line's height from one digit to the next. A digit that close
# beside one of a line (a gap under SLOPE_GAP_RATIO of its height: a turned number's boxes crowd each other)
# joins it when it lies at most MAX_LINE_SLOPE pixels lower or higher per pixel along. On the tune seeds of
# ten stress and plain kinds, numbers read exactly: 1,556 of 1,826 without this; slope 0.7 with a gap ratio
# of 0.2, 0.3, 0.4 or 0.6: 1,561, 1,564, 1,569, 1,567 (0.6 joined single digits to numbers beside them);
# gap ratio 0.4 with a slope of 0.5, 0.6, 0.9: 1,560, 1,565, 1,569 (0.9 joined two thin-pen numbers).
MAX_LINE_SLOPE = 0.7
SLOPE_GAP_RATIO = 0.4
# A page held askew or a camera's roll turns every line of the frame alike, and digits written far apart then
# step out of their line's height from one to the next, which no closeness rule can see. The frame's slant is
# the median direction from each digit to its nearest neighbour on its right (at most MAX_SLANT_DEG off level,
# at most NEIGHBOUR_HEIGHT_RATIO times taller or shorter, among the SLANT_WINDOW digits next to its right);
# it counts only where at least MIN_SLANT_PAIRS of those neighbours, and half of them, lie within
# SLANT_AGREEMENT of the smaller digit's height of where that slant puts them (scattered digits point every
# way). Not tuned: 35° takes in the ±30° a camera's roll may bring, a digit half as tall is of another line, and
# a table would need over 64 rows to hide a digit's neighbour in the next column from it. The agreement was an
# angle of 4° (about how far one hand's baseline wanders over a few digits' widths), but a baseline wanders by
# a share of the digits' height, whatever their distance: near neighbours' directions spread wider, and a
# short turned number did not agree on its slant. On the tune seeds of 16 stress kinds and the plain scenes,
# numbers read exactly: 5,361 of 6,043 with 4°, 5,358, 5,360, 5,360, 5,360 and 5,359 with 0.1, 0.15, 0.2, 0.25
# and 0.3 of a height; 0.2 is the middle of the plateau.
MAX_SLANT_DEG = 35.0
SLANT_AGREEMENT = 0.2
MIN_SLANT_PAIRS = 2
NEIGHBOUR_HEIGHT_RATIO = 2.0
SLANT_WINDOW = 64

# Whether two neighbours were in one number in the last frame (None: not both shown then).
WereJoined = Callable[[Digit, Digit], Optional[bool]]


def group_lines(digits: Iterable[Digit]) -> list[list[Digit]]:
    """Split digits into lines, each sorted left to right, lines sorted top to bottom.

    Heights are measured across the frame's writing slant (writing_slant). A digit joins a line when its
    centre lies between the line's top and bottom (the line's extent grows as digits join), or when it stands
    right beside one of the line's digits along a slope (a turned number, see MAX_LINE_SLOPE); digits are
    taken from the top down so the first of each line seeds it.
    """
    digits = list(digits)
    slope = writing_slant(digits)
    # Each digit's height across the slant: how far its centre lies below the line through the frame's origin.
    levels = [digit.box.center[1] - slope * digit.box.center[0] for digit in digits]
    lines: list[list[Digit]] = []
    extents: list[list[float]] = []
    for index in sorted(range(len(digits)), key=levels.__getitem__):
        digit, centre_y = digits[index], levels[index]
        line = next((index for index, (top, bottom) in enumerate(extents) if top <= centre_y <= bottom), None)
        if line is None:
            line = next((index for index, members in enumerate(lines)
                         if any(along_slope(member, digit) for member in members)), None)
        top, bottom = centre_y - digit.box.h / 2, centre_y + digit.box.h / 2
        if line is None:
            lines.append([digit])
            extents.append([top, bottom])
        else:
            lines[line].append(digit)
            extents[line] = [min(extents[line][0], top), max(extents[line][1], bottom)]
    order = sorted(range(len(lines)), key=lambda index: extents[index][0])
    return [sorted(lines[index], key=lambda each: each.box.x) for index in order]


def writing_slant(digits: Sequence[Digit]) -> float:
    """The slope (pixels down per pixel right) the frame's lines of writing run along, 0 where its digits do
    not agree on one (see MAX_SLANT_DEG)."""
    if len(digits) <= MIN_SLANT_PAIRS:  # too few digits for that many neighbour pairs
        return 0.0
    boxes = np.array([(digit.box.x, digit.box.y, digit.box.w, digit.box.h) for digit in digits], np.float64)
    boxes = boxes[np.argsort(boxes[:, 0] + boxes[:, 2] / 2, kind="stable")]
    x, y, height = boxes[:, 0] + boxes[:, 2] / 2, boxes[:, 1] + boxes[:, 3] / 2, boxes[:, 3]
    # Left to right, each digit's neighbours on its right are the next ones (the last stands in for those
    # beyond the end, and is no neighbour of itself).
    count = len(boxes)
    beside = np.minimum(np.arange(count)[:, None] + np.arange(1, min(count, SLANT_WINDOW + 1))[None, :], count - 1)
    along, across = x[beside] - x[:, None], y[beside] - y[:, None]
    height_ratio = height[beside] / np.maximum(height[:, None], 1)
    on_right = ((along > 0) & (np.abs(across) <= math.tan(math.radians(MAX_SLANT_DEG)) * along)
                & (height_ratio >= 1 / NEIGHBOUR_HEIGHT_RATIO) & (height_ratio <= NEIGHBOUR_HEIGHT_RATIO))
    rows = np.flatnonzero(on_right.any(axis=1))
    if len(rows) < MIN_SLANT_PAIRS:
        return 0.0
    nearest = np.where(on_right, np.hypot(along, across), np.inf)[rows].argmin(axis=1)
    step_along, step_across = along[rows, nearest], across[rows, nearest]
    angles = np.degrees(np.arctan2(step_across, step_along)).tolist()
    slope = math.tan(math.radians(median(angles)))  # statistics' median: numpy's costs microseconds more here
    # How far each neighbour lies above or below the line the slant draws through its digit, in the pair's
    # smaller height.
    smaller = np.minimum(height[rows], height[beside[rows, nearest]])
    agreeing = int(np.count_nonzero(np.abs(step_across - slope * step_along) <= SLANT_AGREEMENT * smaller))
    if agreeing < MIN_SLANT_PAIRS or 2 * agreeing < len(angles):
        return 0.0
    return slope


def along_slope(first: Digit, second: Digit) -> bool:
    """Whether two digits stand as close as the digits of a turned number (SLOPE_GAP_RATIO), one beside the
    other along a line at most MAX_LINE_SLOPE steep."""
    height = min(first.box.h, second.box.h)  # a small digit beside a large one is no digit of its number
    gap = max(second.box.x - first.box.right, first.box.x - second.box.right)
    along = abs(second.box.center[0] - first.box.center[0])
    across = abs(second.box.center[1] - first.box.center[1])
    return gap <= SLOPE_GAP_RATIO * height and across <= MAX_LINE_SLOPE * along


def split_numbers(line: Sequence[Digit], gap_ratio: float = NUMBER_GAP_RATIO,
                  were_joined: WereJoined | None = None) -> list[list[Digit]]:
    """Split one line (sorted left to right) where the gap between neighbours exceeds gap_ratio × digit height,
    the limit widened for pairs `were_joined` and narrowed for pairs that were not."""
    if not line:
        return []
    height = median(digit.box.h for digit in line)
    numbers = [[line[0]]]
    for previous, digit in zip(line, line[1:]):
        joined = were_joined(previous, digit) if were_joined else None
        ratio = gap_ratio if joined is None else gap_ratio * JOIN_HYSTERESIS ** (1 if joined else -1)
        if digit.box.x - previous.box.right > ratio * height:
            numbers.append([digit])
        else:
            numbers[-1].append(digit)
    return numbers


def make_number(digits: Sequence[Digit]) -> Number:
    """A Number from digits in left-to-right order; its confidence is the least confident digit's."""
    box = digits[0].box
    for digit in digits[1:]:
        box = box.union(digit.box)
    text = "".join(str(digit.digit) for digit in digits)
    return Number(text, box, min(digit.confidence for digit in digits), tuple(digits))


def group(digits: Iterable[Digit], gap_ratio: float = NUMBER_GAP_RATIO,
          were_joined: WereJoined | None = None) -> tuple[tuple[Digit, ...], tuple[Number, ...]]:
    """Digits in reading order and the numbers they form, line by line."""
    lines = group_lines(digits)
    ordered = tuple(digit for line in lines for digit in line)
    numbers = tuple(make_number(part) for line in lines for part in split_numbers(line, gap_ratio, were_joined))
    return ordered, numbers

