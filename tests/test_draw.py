"""Drawing: pure functions that return new BGR images, readable on any frame size and type."""

from dataclasses import replace

import numpy as np
import pytest

from camera_digits.draw import (
    CLIPPED_COLOR,
    CONFIDENT_COLOR,
    NUMBER_COLOR,
    UNSURE_COLOR,
    as_bgr,
    draw_debug,
    draw_hud,
    covers,
    draw_reading,
    grown,
    place_tags,
    ui_scale,
)
from camera_digits.grouping import group
from camera_digits.results import Box, Digit, Reading


def reading_with(*digits):
    ordered, numbers = group(digits)
    return Reading(ordered, numbers, {"segment": 1.25, "classify": 0.5})


SEVEN = Digit(Box(100, 100, 40, 60), 7, 0.98)
TWO = Digit(Box(145, 100, 40, 60), 2, 0.55)


def gray_frame(height=240, width=320, level=200):
    return np.full((height, width, 3), level, np.uint8)


def test_draw_reading_returns_a_new_image_and_leaves_the_frame_alone():
    frame = gray_frame()
    before = frame.copy()
    image = draw_reading(frame, reading_with(SEVEN))
    assert image is not frame and image.shape == frame.shape and image.dtype == np.uint8
    np.testing.assert_array_equal(frame, before)


def test_an_empty_reading_draws_nothing():
    frame = gray_frame()
    np.testing.assert_array_equal(draw_reading(frame, Reading()), frame)


@pytest.mark.parametrize("digit, color", [
    # confident: green box
    (SEVEN, CONFIDENT_COLOR),
    # unsure: amber box
    (TWO, UNSURE_COLOR),
    # cut by the frame edge: grey, however sure
    (replace(SEVEN, clipped=True), CLIPPED_COLOR),
])
def test_boxes_are_coloured_by_confidence(digit, color):
    image = draw_reading(gray_frame(), reading_with(digit))
    left_edge = image[digit.box.y + 20: digit.box.bottom - 5, digit.box.x - 1: digit.box.x + 2]
    assert (left_edge == color).all(axis=2).any(axis=1).all()
    assert (image[digit.box.y + 20, digit.box.x + 15] == 200).all()  # the inside stays clear


def test_labels_go_above_the_box_and_numbers_below():
    image = draw_reading(gray_frame(), reading_with(SEVEN, TWO))
    changed = (image != 200).any(axis=2)
    assert changed[70:100, 100:185].any()  # digit tags above
    assert changed[165:200, 100:185].any()  # the number "72" below


def test_number_text_moves_beside_the_number_when_the_next_line_is_right_below():
    # "72" with a second line "35" just under it: text below "72" would cover the 3 and the 5.
    lower = [Digit(Box(100, 185, 40, 50), 3, 0.99), Digit(Box(145, 185, 40, 50), 5, 0.99)]
    image = draw_reading(gray_frame(height=300), reading_with(SEVEN, TWO, *lower))
    number_pixels = (image == NUMBER_COLOR).all(axis=2)
    assert number_pixels[100:160, 190:260].any()  # beside "72"
    assert not number_pixels[165:235, 100:185].any()  # nothing over the second line


@pytest.mark.parametrize("box, where", [
    # top-left corner: no room above, the tag hangs under the box
    (Box(0, 0, 30, 40), lambda tag, box: tag.y > box.bottom and tag.x == 0),
    # bottom-right corner: the tag is pushed inside the frame, above the box
    (Box(290, 200, 30, 40), lambda tag, box: tag.bottom < box.y and tag.right <= 319),
    # bigger than the frame: the tag is inside the frame, over the box (it covers no other box)
    (Box(-10, -10, 400, 300), lambda tag, box: tag.x == 0),
])
def test_labels_at_the_edges_stay_inside_the_frame(box, where):
    reading = Reading((Digit(box, 3, 0.9),), (), {})
    (tag,) = place_tags((240, 320, 3), reading, ui_scale(gray_frame()))
    assert 0 <= tag.box.x and tag.box.right < 320 and 0 <= tag.box.y and tag.box.bottom < 240
    assert where(tag.box, box), tag.box
    image = draw_reading(gray_frame(), reading)
    assert (image[tag.box.y + 1, tag.box.x + 1] == CONFIDENT_COLOR).all()  # drawn where it was placed


def crowded_reading(line_pitch, digit_gap, rows=4, numbers_per_row=4, size=(40, 50), seed=0):
    """Rows of numbers of 1-4 digits, `line_pitch` apart (digit height 50), digits `digit_gap` apart."""
    rng = np.random.default_rng(seed)
    digits = []
    for row in range(rows):
        x = 10
        for _ in range(numbers_per_row):
            for _ in range(int(rng.integers(1, 5))):
                digits.append(Digit(Box(x, 20 + row * line_pitch, *size), int(rng.integers(0, 10)),
                                    float(rng.uniform(0.5, 1.0))))
                x += size[0] + digit_gap
            x += 2 * size[1]
    return reading_with(*digits)


@pytest.mark.parametrize("line_pitch, digit_gap, labelled_share, numbers_share", [
    # crowded numbers on widely spaced lines: every tag finds a place
    (120, 2, 1.0, 1.0),
    # lines half a digit height apart: no room between them for a tag; labels move beside numbers
    (75, 10, 0.8, 0.6),
    # lines nearly touching: only the first line's labels above and the last one's below fit
    (56, 6, 0.6, 0.3),
    # both
    (54, 3, 0.6, 0.3),
])
def test_labels_and_number_tags_never_cover_another_label_or_box(line_pitch, digit_gap, labelled_share,
                                                                 numbers_share):
    reading = crowded_reading(line_pitch, digit_gap)
    shape = (20 + 4 * line_pitch + 60, 1280, 3)
    tags = place_tags(shape, reading, 1.0)
    for index, tag in enumerate(tags):
        assert 0 <= tag.box.x and tag.box.right < shape[1] and 0 <= tag.box.y and tag.box.bottom < shape[0]
        assert not any(covers(tag.box, other.box) for other in tags[index + 1:]), tag
        assert not any(covers(tag.box, grown(digit.box, 2)) for digit in reading.digits), tag
    labelled = sum(tag.color != NUMBER_COLOR for tag in tags)
    assert labelled >= labelled_share * len(reading.digits)  # tags move where there is room
    numbers = [number for number in reading.numbers if len(number.text) > 1]
    assert sum(tag.color == NUMBER_COLOR for tag in tags) >= numbers_share * len(numbers)


def test_a_number_tag_does_not_hide_the_next_lines_label():
    # "98" right above "38": below "98" is the 3's label, so the text goes beside "98".
    upper = [Digit(Box(100, 40, 30, 40), 9, 0.99), Digit(Box(135, 40, 30, 40), 8, 0.99)]
    lower = [Digit(Box(100, 110, 30, 40), 3, 0.99), Digit(Box(135, 110, 30, 40), 8, 0.99)]
    reading = reading_with(*upper, *lower)
    tags = place_tags((240, 320, 3), reading, 1.0)
    number_tags = {tag.text: tag.box for tag in tags if tag.color == NUMBER_COLOR}
    three_label = next(tag.box for tag in tags if tag.text.startswith("3"))
    assert set(number_tags) == {"98", "38"} and not covers(number_tags["98"], three_label)
    assert number_tags["98"].x > upper[1].box.right  # beside the number


@pytest.mark.parametrize("frame", [
    # gray uint8
    np.full((60, 80), 128, np.uint8),
    # BGRA
    np.full((60, 80, 4), 128, np.uint8),
    # 16-bit
    np.full((60, 80, 3), 40000, np.uint16),
    # float in [0, 1]
    np.full((60, 80, 3), 0.5, np.float32),
    # a single pixel
    np.zeros((1, 1, 3), np.uint8),
    # a single-channel image with a channel axis
    np.zeros((60, 80, 1), np.uint8),
])
def test_any_frame_type_is_drawn_as_bgr_uint8(frame):
    image = draw_reading(frame, reading_with(SEVEN))
    assert image.shape == frame.shape[:2] + (3,) and image.dtype == np.uint8
    assert image.shape == draw_hud(image, 30.0, {"total": 2.0}, "paused").shape


def test_as_bgr_scales_16_bit_and_float_to_8_bit():
    assert as_bgr(np.full((2, 2), 65535, np.uint16)).max() == 255
    assert as_bgr(np.full((2, 2, 3), 1.0, np.float64)).min() == 255


def test_sizes_grow_with_the_frame():
    assert ui_scale(gray_frame(480, 640)) == 1.0
    assert ui_scale(gray_frame(2160, 3840)) == pytest.approx(4.5)
    assert ui_scale(gray_frame(120, 160)) == 0.5  # never smaller than half size
    small = draw_reading(gray_frame(480, 640), reading_with(SEVEN))
    large = draw_reading(gray_frame(1920, 2560), reading_with(Digit(SEVEN.box.scaled(4), 7, 0.98)))
    assert (large != 200).any(axis=2).sum() > 10 * (small != 200).any(axis=2).sum()


def test_hud_shows_rate_and_stage_times_in_the_corner_and_state_at_the_bottom():
    frame = gray_frame(480, 640)
    plain = draw_hud(frame, 29.7, {"segment": 1.2, "total": 3.0})
    with_state = draw_hud(frame, 29.7, {"segment": 1.2, "total": 3.0}, "reconnecting")
    assert (plain[10:80, 10:150] != 200).any() and (plain[300:, 300:] == 200).all()
    assert (with_state[420:, 220:420] != plain[420:, 220:420]).any()
    assert (frame == 200).all()  # drawn on a copy


def test_hud_without_rate_or_times_draws_only_the_state():
    frame = gray_frame()
    np.testing.assert_array_equal(draw_hud(frame, None, {}), frame)
    assert (draw_hud(frame, None, {}, "paused") != 200).any()


def test_debug_view_shows_the_mask_and_the_crops():
    binary = np.zeros((120, 160), np.uint8)
    binary[10:30, 10:30] = 255
    crops = np.zeros((3, 28, 28, 1), np.float32)
    crops[:, 8:20, 12:16] = 1.0  # a "1" in each crop
    image = draw_debug((480, 640, 3), binary, crops)
    assert image.shape == (480, 640, 3) and image.dtype == np.uint8
    assert image[60, 60].any() and not image[200, 600].any()  # mask scaled up 4×, paper black
    bottom = image[480 - 60:, :]
    assert (bottom == 255).all(axis=2).sum() == 3 * (12 * 2) * (4 * 2)  # three 12×4 strokes, drawn 2× larger


@pytest.mark.parametrize("count", [0, 500])
def test_debug_view_copes_with_no_crops_and_with_too_many(count):
    image = draw_debug((240, 320, 3), np.zeros((60, 80), np.uint8), np.ones((count, 28, 28, 1), np.float32))
    assert image.shape == (240, 320, 3)
    assert (image[:80] == 0).all()  # extra crops are left out, not piled onto the top of the view


def test_debug_view_of_a_tiny_frame():
    assert draw_debug((1, 1, 3), np.zeros((1, 1), np.uint8), np.ones((2, 28, 28, 1), np.float32)).shape == (1, 1, 3)
