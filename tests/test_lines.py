"""Ruled and grid line finding and removal on synthetic contrast images with known lines."""

import cv2
import numpy as np
import pytest

from camera_digits import lines

LINE_CONTRAST = 60     # a printed ruling: faint next to pen ink
STROKE_CONTRAST = 200  # pen ink


def contrast_image(size=(480, 640)):
    """uint8 contrast (255 = black) with a 1 px horizontal ruling at row 100, a vertical one at column 300 and a
    7 px thick horizontal pen stroke (rows 300-306, columns 100-399) longer than a third of the frame."""
    contrast = np.zeros(size, np.uint8)
    contrast[100, :] = LINE_CONTRAST
    contrast[:, 300] = LINE_CONTRAST
    contrast[300:307, 100:400] = STROKE_CONTRAST
    return contrast


def masks(contrast):
    faint = cv2.threshold(contrast, lines.LINE_CONTRAST - 1, 255, cv2.THRESH_BINARY)[1]
    ink = cv2.threshold(contrast, 47, 255, cv2.THRESH_BINARY)[1]
    return faint, ink


@pytest.mark.parametrize("size", [
    (480, 640),  # both sides multiples of the squeeze
    (301, 533),  # neither: the frame is padded for tracing, the mask comes back at its own size
])
def test_rulings_are_found_and_thick_strokes_are_not(size):
    rulings = lines.find_lines(*masks(contrast_image(size)))
    found = rulings.mask
    assert rulings.horizontal and rulings.vertical
    assert found.shape == size and found.dtype == np.uint8
    assert np.all(found[100, :] == 255) and np.all(found[:, 300] == 255)
    assert not found[302:305, 110:290].any() and not found[302:305, 310:390].any()
    assert not found[150:250, 10:290].any()  # blank paper between the lines stays out


def test_lines_may_be_wider_in_an_image_read_larger_than_the_first_pass():
    assert lines.max_line_width_px((240, 320)) == lines.max_line_width_px((480, 640)) == lines.MAX_LINE_WIDTH_PX
    assert lines.max_line_width_px((1200, 1600)) == 10 and lines.max_line_width_px((2560, 1810)) == 16


def test_a_rule_as_wide_as_a_pen_is_a_line_in_a_large_image_but_not_in_a_small_one():
    # a 6 px rule: a stroke in a 640 px image, a line in an image read at 1600 px
    for width, is_line in ((640, False), (1600, True)):
        contrast = np.zeros((400, width), np.uint8)
        contrast[200:206, :] = 120
        found = lines.find_lines(*masks(contrast)).mask
        assert found[203].all() if is_line else not found.any()


def wide_ruling(rule_px=6, spacing_px=60, size=(480, 640)):
    """uint8 contrast of a page ruled every `spacing_px` with rules `rule_px` wide (as a camera moving across
    them while its shutter is open smears a 2 px ruling), a 3 px pen stroke crossing the rule at row 180, a 12 px
    thick pen stroke (rows 300-311, columns 100-399) and a 5 px one (rows 335-339, columns 100-399) along it."""
    contrast = np.zeros(size, np.uint8)
    for top in range(spacing_px, size[0] - rule_px, spacing_px):
        contrast[top:top + rule_px, :] = LINE_CONTRAST
    contrast[150:230, 201:204] = STROKE_CONTRAST
    contrast[300:312, 100:400] = STROKE_CONTRAST
    contrast[335:340, 100:400] = STROKE_CONTRAST
    return contrast


@pytest.mark.parametrize("rule_px", [6, 10])
def test_a_ruling_as_wide_as_a_pen_is_found_by_its_own_width(rule_px):
    # Wider than MAX_LINE_WIDTH_PX, the rules were taken for pen strokes all along and left in the ink.
    contrast = wide_ruling(rule_px)
    contrast[:, 480:][contrast[:, 480:] == LINE_CONTRAST] = 0
    for top in range(60, 474, 60):
        contrast[top:top + rule_px + 1, 480:] = LINE_CONTRAST  # a pixel wider over the last quarter: smeared unevenly
    found = lines.find_lines(*masks(contrast)).mask
    assert found[60:60 + rule_px].all() and found[180:180 + rule_px, :190].all()
    assert found[420:421 + rule_px, 480:].all()
    assert not found[150:175, 201:204].any() and not found[195:230, 201:204].any()  # the crossing stroke stays
    assert not found[303:309, 110:390].any()  # the thick stroke is still a stroke


def squared_paper(vertical_px, horizontal_px=2, spacing_px=60, size=(480, 640)):
    """uint8 contrast of squared paper: vertical lines `vertical_px` wide, horizontal ones `horizontal_px`."""
    contrast = np.zeros(size, np.uint8)
    for left in range(spacing_px, size[1] - vertical_px, spacing_px):
        contrast[:, left:left + vertical_px] = LINE_CONTRAST
    for top in range(spacing_px, size[0] - horizontal_px, spacing_px):
        contrast[top:top + horizontal_px, :] = LINE_CONTRAST
    return contrast


def test_squared_paper_smeared_across_its_vertical_lines_is_found_by_their_own_width():
    found = lines.find_lines(*masks(squared_paper(vertical_px=6))).mask
    assert found[:, 60:66].all() and found[:, 540:546].all() and found[60:62].all()


def test_a_close_up_of_upright_strokes_side_by_side_is_no_ruling():
    # Three 8 px "1"s filling the height stand side by side as a ruling's lines do, but no horizontal lines cross
    # them: they stay strokes.
    contrast = np.zeros((480, 640), np.uint8)
    for left in (150, 320, 490):
        contrast[60:420, left:left + 8] = STROKE_CONTRAST
    assert not lines.find_lines(*masks(contrast)).mask.any()


@pytest.mark.parametrize("degrees", [-3.0, 5.0])
def test_a_wide_ruling_off_level_is_found_by_its_own_width(degrees):
    contrast = np.zeros((480, 640), np.uint8)
    slope = np.tan(np.radians(degrees))
    for left_y in range(-40, 520, 60):
        cv2.line(contrast, (0, left_y), (639, round(left_y + 639 * slope)), LINE_CONTRAST, 6)
    found = lines.find_lines(*masks(contrast)).mask
    on_rules = contrast > 0
    assert np.count_nonzero(found[on_rules]) >= 0.95 * np.count_nonzero(on_rules)


@pytest.mark.parametrize("degrees, measured", [(0.0, [True]), (5.0, [False, True])])
def test_only_the_search_that_follows_the_rules_measures_them(monkeypatch, degrees, measured):
    # Off level, the level search finds only pieces of the rules, which measured as wide as the rules took
    # the strokes of digits along them away (slanted-rules scenes).
    contrast = np.zeros((480, 640), np.uint8)
    for left_y in range(-40, 520, 60):
        cv2.line(contrast, (0, left_y), (639, round(left_y + 639 * np.tan(np.radians(degrees)))), LINE_CONTRAST, 3)
    searches = []
    find_level_lines = lines.find_level_lines

    def recorded(faint, ink, max_width_px, measure=False):
        searches.append(measure)
        return find_level_lines(faint, ink, max_width_px, measure)

    monkeypatch.setattr(lines, "find_level_lines", recorded)
    lines.find_lines(*masks(contrast))
    assert searches == measured


@pytest.mark.parametrize("rule_px, spacing_px", [(4, 60), (2, 60), (6, 160), (18, 60)],
                         ids=["as wide as a line may be", "thin", "two rules", "wider than rules are"])
def test_rulings_within_the_usual_width_or_of_two_lines_are_found_as_before(monkeypatch, rule_px, spacing_px):
    faint, ink = masks(wide_ruling(rule_px, spacing_px))
    found = lines.find_lines(faint, ink).mask
    monkeypatch.setattr(lines, "ruling_width_px", lambda on_lines: None)  # no ruling is ever measured
    usual = lines.find_lines(faint, ink).mask
    assert np.array_equal(found, usual)
    assert found[spacing_px:spacing_px + rule_px].all() == (rule_px <= lines.MAX_LINE_WIDTH_PX)


def rows_of_lines(widths, rows=100):
    """A squeezed mask (rows, ...) crossed in every row by vertical lines of the given `widths`, 30 px apart."""
    mask = np.zeros((rows, 30 * (len(widths) + 1)), np.uint8)
    for index, width in enumerate(widths):
        left = 20 + index * 30
        mask[:, left:left + width] = 255
    return mask


@pytest.mark.parametrize("mask, expected", [
    (rows_of_lines([5, 5, 5, 5]), 5.0),                           # a ruling
    (rows_of_lines([5, 6, 5, 6]), 5.5),                           # ... of about one width
    (rows_of_lines([5, 5]), None),                                # two long marks: no ruling
    (np.vstack([rows_of_lines([3] * 4, 50), rows_of_lines([9] * 4, 50)]), None),  # lines widening: texture
    (rows_of_lines([3] * 8 + [12] * 2), None),                    # thin rules and thick bars
    (np.pad(rows_of_lines([5, 5, 5]), ((0, 200), (0, 0))), None),  # crossing a third of the page
], ids=["ruling", "about one width", "two marks", "uneven", "rules and bars", "a third of the page"])
def test_a_ruling_is_measured_only_where_its_lines_cross_the_page_at_one_width(mask, expected):
    assert lines.ruling_width_px(mask) == expected


def test_a_pen_stroke_crossing_a_ruling_leaves_the_ruling_whole():
    contrast = contrast_image()
    contrast[60:140, 201:204] = STROKE_CONTRAST  # a 3 px stroke crossing the ruling at row 100
    found = lines.find_lines(*masks(contrast)).mask
    assert np.all(found[100, 190:215] == 255)
    assert not found[60:95, 201:204].any() and not found[106:140, 201:204].any()


def test_short_and_blank_frames_have_no_lines():
    blank = np.zeros((480, 640), np.uint8)
    rulings, removable = lines.line_pixels(blank, blank)
    assert not rulings.mask.any() and not removable.any()
    assert not rulings.horizontal and not rulings.vertical
    tiny = np.zeros((110, 170), np.uint8)  # too small for a line MIN_LINE_LENGTH_PX long
    tiny[60, :] = LINE_CONTRAST
    tiny[:, 75] = LINE_CONTRAST
    assert not lines.find_lines(*masks(tiny)).mask.any()


def test_dark_strokes_along_a_line_are_kept_as_ink():
    contrast = contrast_image()
    contrast[100, 440:460] = STROKE_CONTRAST  # a short pen stroke traced along the ruling
    faint, ink = masks(contrast)
    rulings, removable = lines.line_pixels(contrast, ink)
    assert rulings.mask[100, 450] and not removable[100, 450]
    assert removable[100, 50] and removable[100, 600]


def test_a_ruled_page_has_horizontal_lines_only():
    contrast = np.zeros((480, 640), np.uint8)
    contrast[40::40, :] = LINE_CONTRAST
    rulings = lines.find_lines(*masks(contrast))
    assert rulings.horizontal and not rulings.vertical
    assert np.all(rulings.mask[40::40, :] == 255)


@pytest.mark.parametrize("horizontal", [True, False])
def test_removing_a_line_rejoins_the_stroke_that_crossed_it(horizontal):
    binary = np.zeros((200, 300), np.uint8)
    binary[100, :] = 255        # the line
    binary[60:140, 149:152] = 255  # a 3 px stroke crossing it
    line_mask = np.zeros_like(binary)
    line_mask[99:102, :] = 255
    cleaned = lines.remove_lines(binary, line_mask, horizontal=horizontal, vertical=True)
    assert not cleaned[100, :140].any() and not cleaned[100, 160:].any()
    # Strokes are re-joined across horizontal lines only when the mask is said to hold some.
    pieces = cv2.connectedComponents(cleaned, connectivity=8)[0] - 1
    assert pieces == (1 if horizontal else 2)


def test_a_stroke_is_rejoined_across_a_bold_line_but_strokes_farther_apart_are_not():
    binary = np.zeros((200, 300), np.uint8)
    binary[97:104, :] = 255                          # a bold line 7 px wide, its mask a pixel wider each side
    binary[60:140, 100:103] = 255                    # a stroke crossing it: a 9 px gap once the line is gone
    binary[60:96, 200:203] = binary[111:140, 200:203] = 255  # two strokes 15 px apart across it
    line_mask = np.zeros_like(binary)
    line_mask[96:105, :] = 255
    cleaned = lines.remove_lines(binary, line_mask)
    assert cleaned[96:105, 100:103].all()
    assert not cleaned[96:111, 200:203].any()
    assert cv2.connectedComponents(cleaned, connectivity=8)[0] - 1 == 3


@pytest.mark.parametrize("blocks", [(1, 1), (3, 5)])
def test_squeezing_keeps_a_pixel_wherever_one_of_its_block_was_set(blocks):
    factor = lines.LINE_SQUEEZE
    height, width = blocks[0] * factor, blocks[1] * factor
    binary = np.where(np.random.default_rng(height).random((height, width)) < 0.1, 255, 0).astype(np.uint8)
    by_rows = binary.reshape(height, width // factor, factor).max(axis=2)
    by_columns = binary.reshape(height // factor, factor, width).max(axis=1)
    assert np.array_equal(lines.squeeze_width(binary), by_rows)
    assert np.array_equal(lines.squeeze_height(binary), by_columns)
    # whole=True: set only where every pixel of the block is (a dense mask, so that some blocks are).
    dense = cv2.bitwise_not(binary)
    assert np.array_equal(lines.squeeze_width(dense, whole=True), dense.reshape(height, -1, factor).min(axis=2))
    assert np.array_equal(lines.squeeze_height(dense, whole=True), dense.reshape(-1, factor, width).min(axis=1))
    assert np.array_equal(lines.stretch_width(by_rows), np.repeat(by_rows, factor, axis=1))
    assert np.array_equal(lines.stretch_height(by_columns), np.repeat(by_columns, factor, axis=0))


def test_flat_marks_on_a_line_are_remnants_and_upright_ones_are_not():
    binary = np.zeros((200, 300), np.uint8)
    binary[99:102, 20:80] = 255    # a leftover piece of the line
    binary[60:140, 199:202] = 255  # a 1 written along a (vertical) crossing of the same line
    line_mask = np.zeros_like(binary)
    line_mask[99:102, :] = 255
    line_mask[:, 199:202] = 255
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    near_lines = cv2.bitwise_and(cv2.dilate(line_mask, None), binary)
    near_lines_px = np.bincount(labels[near_lines > 0], minlength=count)
    remnant = lines.line_remnants(stats, near_lines_px)
    assert remnant[labels[100, 50]] and not remnant[labels[120, 200]]


CREASE = ((20, 40), (420, 330))  # a line at 36° across a 400 x 480 contrast image
ON_CREASE = (200, 160, 40, 40)   # a box around the part of it that the threshold kept as a mark
AT_THE_TOP = (164, 0, 30, 30)    # ... and around the end of a steeper line at the top edge of the frame


def crease(contrast=60, ends=CREASE):
    """uint8 contrast image (255 = black) with a 3 px line from one (x, y) end to the other."""
    image = np.zeros((400, 480), np.uint8)
    cv2.line(image, *ends, contrast, 3)
    return image


def only_in(image, box):
    """`image` with everything outside (x, y, w, h) `box` blanked: the mark alone, nothing beyond it."""
    x, y, w, h = box
    alone = np.zeros_like(image)
    alone[y:y + h, x:x + w] = image[y:y + h, x:x + w]
    return alone


def with_bar(image):
    """The crease with the bar of a "7" drawn from the top end of the piece on it."""
    image = image.copy()
    cv2.line(image, (200, 170), (236, 170), 60, 3)
    return image


def dark_stroke_on(image):
    """A pen stroke (STROKE_CONTRAST) drawn over the piece of the crease, the faint crease running on."""
    return np.maximum(image, only_in(crease(STROKE_CONTRAST), ON_CREASE))


@pytest.mark.parametrize("image, box, expected", [
    (crease(), ON_CREASE, True),                             # a piece of a long line at 36° runs on
    (crease(ends=((150, -30), (420, 390))), AT_THE_TOP, True),  # ... also where one end is out of the frame
    (only_in(crease(), ON_CREASE), ON_CREASE, False),         # the same mark alone: a pen stroke, a "1"
    (dark_stroke_on(crease()), ON_CREASE, False),            # a stroke along a faint line, far darker than it
    (with_bar(crease()), ON_CREASE, False),                  # a "7" whose stem lies on the line: not straight
], ids=["crease", "crease_at_the_edge", "alone", "stroke_on_a_line", "bent"])
def test_only_a_straight_mark_that_runs_on_as_dark_is_a_piece_of_a_line(image, box, expected):
    x, y, w, h = box
    mask = cv2.threshold(image[y:y + h, x:x + w], 0, 255, cv2.THRESH_BINARY)[1]
    assert lines.runs_on(image, mask, (x, y)) == expected
