"""Digits → lines → numbers, from synthetic boxes."""

import math

import pytest

from camera_digits.grouping import group, group_lines, split_numbers, writing_slant
from camera_digits.results import Box, Digit


def digits_at(*placements, height=40):
    """Digits from (x, y, digit) triples, 24 px wide and `height` tall."""
    return [Digit(Box(x, y, 24, height), digit, 0.9 - 0.01 * index) for index, (x, y, digit) in
            enumerate(placements)]


@pytest.mark.parametrize("placements, texts", [
    # one number, digits 6 px apart
    ([(10, 10, 1), (40, 12, 2), (70, 9, 3)], ["123"]),
    # the same digits given out of order
    ([(70, 9, 3), (10, 10, 1), (40, 12, 2)], ["123"]),
    # a gap wider than the digit height splits two numbers on one line
    ([(10, 10, 4), (40, 10, 2), (140, 10, 7)], ["42", "7"]),
    # two lines, read top line first
    ([(10, 100, 5), (40, 100, 6), (10, 10, 1), (40, 10, 0)], ["10", "56"]),
    # a slanted line: each digit 12 px lower than the previous one stays in the line
    ([(10, 10, 1), (40, 22, 2), (70, 34, 3), (100, 46, 4)], ["1234"]),
    # a number turned by 30°: each digit 21 px lower than the previous one, more than half its height
    ([(10, 10, 1), (46, 31, 2), (82, 52, 3), (118, 73, 4)], ["1234"]),
    # a digit half its height lower than a number and half its height away: not a digit of the number
    ([(10, 100, 5), (40, 100, 6), (84, 125, 7)], ["56", "7"]),
    # a vertical column: three lines of one digit
    ([(10, 10, 7), (10, 70, 8), (10, 130, 9)], ["7", "8", "9"]),
    # nothing at all
    ([], []),
])
def test_numbers_in_reading_order(placements, texts):
    ordered, numbers = group(digits_at(*placements))
    assert [number.text for number in numbers] == texts
    assert "".join(texts) == "".join(str(digit.digit) for digit in ordered)


def test_number_box_and_confidence():
    digits = digits_at((10, 10, 1), (40, 14, 2))
    (number,) = group(digits)[1]
    assert number.box == Box(10, 10, 54, 44)
    assert number.confidence == min(digit.confidence for digit in digits)
    assert number.digits == tuple(digits)


def test_lines_follow_the_vertical_centre_rule():
    # the third digit's centre (y = 85) lies below the first line's bottom (50): a new line
    lines = group_lines(digits_at((10, 10, 1), (40, 10, 2), (70, 65, 3)))
    assert [[digit.digit for digit in line] for line in lines] == [[1, 2], [3]]


@pytest.mark.parametrize("gap_ratio, count", [(0.1, 3), (0.6, 2), (5.0, 1)])
def test_gap_ratio_controls_splitting(gap_ratio, count):
    line = digits_at((0, 0, 1), (30, 0, 2), (90, 0, 3))   # gaps of 6 and 36 px at height 40
    assert len(split_numbers(line, gap_ratio)) == count


@pytest.mark.parametrize("gap_px, were_joined, count", [
    # 28 px at height 40 is 0.7 heights: over the 0.6 limit, one number only if it was one before
    (28, None, 2),
    (28, True, 1),
    (28, False, 2),
    # 22 px (0.55 heights) is under it: two numbers only if they were two before
    (22, None, 1),
    (22, True, 1),
    (22, False, 2),
    # far apart (1.25 heights): two numbers whatever came before
    (50, True, 2),
])
def test_a_pair_keeps_its_last_grouping_unless_its_gap_clearly_changed(gap_px, were_joined, count):
    line = digits_at((0, 0, 1), (24 + gap_px, 0, 2))
    assert len(split_numbers(line, 0.6, lambda left, right: were_joined)) == count


def turned_rows(rows, degrees, spacing_px=120, row_gap_px=200):
    """Placements of `rows` (lists of digits) written `spacing_px` apart, on a page turned by `degrees` (the
    rows rise to the right for positive angles, as under a camera rolled counter-clockwise)."""
    slope = -math.tan(math.radians(degrees))
    return [(20 + spacing_px * column, 400 + row_gap_px * row + round(slope * spacing_px * column), digit)
            for row, digits in enumerate(rows) for column, digit in enumerate(digits)]


@pytest.mark.parametrize("degrees", [-25, -12, -5, 5, 12, 25])
def test_a_row_written_far_apart_on_a_turned_page_stays_one_line(degrees):
    # digits three heights apart: turned by 12° each stands 25 px (0.6 heights) off its neighbour's level; by 5°
    # (10 px) the level rule alone keeps them together, and the slant must not part them
    lines = group_lines(digits_at(*turned_rows([[1, 2, 3, 4, 5]], degrees)))
    assert [[digit.digit for digit in line] for line in lines] == [[1, 2, 3, 4, 5]]


@pytest.mark.parametrize("degrees", [-12, 12])
def test_the_rows_of_a_turned_page_are_read_top_row_first(degrees):
    digits = digits_at(*turned_rows([[1, 2, 3, 4], [5, 6, 7, 8]], degrees))
    assert [[digit.digit for digit in line] for line in group_lines(digits)] == [[1, 2, 3, 4], [5, 6, 7, 8]]
    ordered, numbers = group(digits)
    assert [digit.digit for digit in ordered] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert len(numbers) == 8  # three heights apart: no two are one number


def test_a_short_turned_number_whose_baseline_wanders_agrees_on_its_slant():
    # three digits 1.75 heights apart on a page turned by 20°, the middle one written 7 px (0.175 heights) high:
    # the two steps point 25° and 15° up, each 4.7° off their median, yet each neighbour lies within a fifth
    # of a height of where that median puts it
    placements = [(x, y + (-7 if digit == 2 else 0), digit) for x, y, digit in turned_rows([[1, 2, 3]], 20, 70)]
    digits = digits_at(*placements)
    assert math.degrees(math.atan(-writing_slant(digits))) == pytest.approx(20, abs=1)
    assert [[digit.digit for digit in line] for line in group_lines(digits)] == [[1, 2, 3]]


def test_scattered_digits_agree_on_no_slant_and_lines_stay_level():
    # each digit's nearest neighbour to the right lies another way (27° down, 34° up)
    digits = digits_at((10, 100, 1), (150, 170, 2), (340, 40, 3))
    assert writing_slant(digits) == 0.0
    assert [[digit.digit for digit in line] for line in group_lines(digits)] == [[3], [1], [2]]


def test_the_slant_is_the_direction_most_neighbours_agree_on():
    # a row turned by 10° and a digit right of its end, 22° below it: that one direction does not move the median
    placements = turned_rows([[1, 2, 3, 4, 5]], 10) + [(560, 340, 9)]
    assert math.degrees(math.atan(-writing_slant(digits_at(*placements)))) == pytest.approx(10, abs=1)
