"""The stress scenes: what the generator draws (checked against its own truth), how clipped digits are scored,
and the shipped recognizer on each class, gated near what it reads today."""

from functools import lru_cache

import cv2
import numpy as np
import pytest

from camera_digits import DigitRecognizer
from camera_digits.grouping import group
from tests import stress
from tests.scenes import Score, SceneTruth, TruthDigit, score_reading
from tests.stress import (FONT_FILES, STRESS_CLASSES, font_render, render_stress, restroke,
                          skeleton, split_seeds)

# Per class: (scenes read, least share of digits read right end to end, least precision). The scenes are the
# first of the tune range. Each gate is what the shipped recognizer reads on these scenes less a margin of
# 1.5 standard errors of a proportion over this many digits (at least two digits' worth), rounded down: a
# change that is better on the whole may lose a digit or two here, not more. Raise a gate when the
# recognizer reads a class better. Read today with the app's defaults (digits right, finds that are digits):
GATES = {
    "mixed_sizes": (8, 0.97, 0.98),  # 104 of 105, 105 of 105
    "thin_pen": (16, 0.94, 0.94),  # 35 of 35, 35 of 36
    "thick_marker": (8, 0.83, 0.97),  # 80 of 90, 88 of 88
    "fonts": (8, 0.94, 0.97),  # 72 of 74, 73 of 73
    "touching": (8, 0.88, 0.98),  # 193 of 211, 196 of 196
    "distractors": (8, 0.97, 0.94),  # 76 of 76, 76 of 78 (75, 75 before a 5's flag written apart was joined)
    "frame_edge": (8, 0.86, 0.92),  # 37 of 40, 39 of 41
    "colour_ink": (8, 0.92, 0.95),  # 48 of 51, 49 of 49
    "page": (2, 0.98, 0.98),  # 206 of 207, 207 of 208 (205, 206 before a 5's flag written apart was joined)
    "ruled_page": (2, 0.95, 0.98),  # 149 of 153, 153 of 153
    "slanted_rules": (8, 0.90, 0.93),  # 40 of 42, 40 of 41
    "dark_board": (8, 0.96, 0.91),  # 62 of 62, 62 of 65 (61, 61 before a 5's flag written apart was joined)
    "rotated": (8, 0.94, 0.96),  # 58 of 59, 59 of 59
    "low_res": (8, 0.95, 0.96),  # 63 of 64, 63 of 63
    "cluttered": (16, 0.95, 0.93),  # 150 of 154, 151 of 159 (151 of 154, 152 of 160 before a "1" under a pen's
    # dot was refused: a speck of texture over a "1")
    "defocus": (24, 0.89, 0.96),  # 93 of 100, 97 of 98 (92, 96 before a 5's flag written apart was joined)
    "washed_out": (24, 0.92, 0.97),  # 212 of 224, 215 of 218
    "dim_light": (24, 0.86, 0.97),  # 193 of 215, 201 of 203
    "hard_shadow": (24, 0.955, 0.98),  # 184 of 189, 184 of 184 (180 of 189 before a digit in the shade beside
    # a shadow's edge was left to the classifier)
    "far_page": (24, 0.79, 0.99),  # 363 of 441, 378 of 378 (221 of 441 before small writing was enlarged)
    "close_up": (48, 0.91, 0.96),  # 116 of 123, 118 of 120 (110 of 123 before a marker's strokes were judged
    # against a wider window, 102 before marks up to 95 % of the frame counted)
    "moved": (60, 0.91, 0.96),  # 311 of 333, 318 of 326 (310 of 333, 317 of 325 before a "1" under a pen's dot
    # was refused; 299 of 333, 311 of 330 before the pieces of a smeared digit were joined)
    "moved_rules": (40, 0.93, 0.99),  # 377 of 396, 383 of 383 (366 of 396, 372 of 372 before lines as wide as a
    # ruling's were taken for lines)
}


@lru_cache(maxsize=None)
def scene(name: str, seed: int):
    """A stress scene, drawn once for all the tests that look at it (a page takes a second)."""
    return render_stress(name, seed)


def test_every_class_has_a_gate():
    assert set(GATES) == set(STRESS_CLASSES)


def test_a_seed_names_one_scene_and_the_splits_do_not_overlap():
    first, truth = render_stress("touching", 3)
    again, truth_again = render_stress("touching", 3)
    other, _ = render_stress("touching", 4)
    assert np.array_equal(first, again) and truth == truth_again
    assert not np.array_equal(first, other)
    assert not set(split_seeds("tune", 5000)) & set(split_seeds("report", 5000))
    with pytest.raises(ValueError, match="split"):
        split_seeds("test", 3)


@pytest.mark.parametrize("name", STRESS_CLASSES)
def test_truth_boxes_hold_the_ink(name):
    """Every truth digit lies in the frame and its box holds ink that stands out from the paper around it."""
    for seed in split_seeds("tune", 2):
        frame, truth = scene(name, seed)
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.int32)
        height, width = gray.shape
        assert truth.digits and truth.numbers
        for digit in truth.digits:
            x, y, w, h = digit.box
            assert 0 <= x and 0 <= y and x + w <= width and y + h <= height and 0 <= digit.label <= 9
            inside = gray[y:y + h, x:x + w]
            around = gray[max(0, y - h // 2):y + h + h // 2, max(0, x - w // 2):x + w + w // 2]
            stands_out = np.median(around) - inside.min() if name != "dark_board" else inside.max() - np.median(around)
            # out of focus or written small, a pen's darkest pixel is spread over its neighbours by the blur, and
            # washed out, all ink is pressed toward the paper: the stroke is fainter
            faint = name in ("defocus", "washed_out", "far_page")
            assert stands_out > (20 if faint else 40), f"{name} seed {seed}: no ink in {digit}"


def test_mixed_sizes_mix_sizes_up_to_four_to_one():
    ratios = []
    for seed in split_seeds("tune", 6):
        frame, truth = scene("mixed_sizes", seed)
        heights = [digit.box[3] for digit in truth.digits if digit.label != 1]
        ratios.append(max(heights) / min(heights))
        assert frame.shape[:2] in ((480, 640), (720, 1280))
        assert 10 <= min(heights) and max(heights) <= 1.1 * 250
    assert max(ratios) > 2.5 and all(ratio < 5 for ratio in ratios)


def test_touching_neighbours_touch_or_overlap():
    """Most right-hand neighbours start before the digit on their left ends (boxes of the ink, > 20 %)."""
    touching = apart = 0
    for seed in split_seeds("tune", 4):
        _, truth = scene("touching", seed)
        for digit in truth.digits:
            x, y, w, h = digit.box
            beside = [other.box for other in truth.digits if other.box[0] > x and abs(other.box[1] - y) < h / 2]
            if beside:
                right = min(beside)
                touching += right[0] <= x + w + 1
                apart += right[0] > x + w + 1
    assert touching > 1.5 * apart and apart > 0


def test_distractor_scenes_hold_letters_and_signs():
    marks = sum(len(scene("distractors", seed)[1].marks) for seed in split_seeds("tune", 4))
    assert marks >= 12


def test_frame_edge_scenes_cut_digits_and_only_cut_ones_are_optional():
    clipped = legible = 0
    for seed in split_seeds("tune", 8):
        frame, truth = scene("frame_edge", seed)
        height, width = frame.shape[:2]
        for digit in truth.digits:
            x, y, w, h = digit.box
            on_edge = x == 0 or y == 0 or x + w == width or y + h == height
            assert on_edge or not digit.clipped
            clipped += digit.clipped
            legible += on_edge and not digit.clipped
    assert clipped >= 4 and legible >= 2


def test_pages_and_low_res_frames_have_their_sizes():
    page, truth = scene("page", 0)
    assert 2000 <= max(page.shape[:2]) <= 4000 and len(truth.digits) >= 20
    assert max(digit.box[3] for digit in truth.digits) < 0.04 * max(page.shape[:2])
    assert scene("low_res", 0)[0].shape == (240, 320, 3)


def test_a_page_never_writes_a_number_through_another():
    # seed 111 of the tune range draws a hand that writes far larger than its height: its numbers overflow
    # their cells, and those that would overlap one already written are left out
    _, truth = render_stress("page", 111)
    boxes = [digit.box for digit in truth.digits]
    centres = [(x + w / 2, y + h / 2) for x, y, w, h in boxes]
    assert len(boxes) >= 20
    assert not any(x <= cx <= x + w and y <= cy <= y + h
                   for i, (x, y, w, h) in enumerate(boxes) for j, (cx, cy) in enumerate(centres) if i != j)


def test_a_ruled_page_has_rules_and_a_page_has_none():
    for name, least, most in (("ruled_page", 10, None), ("page", 0, 0)):
        page, truth = scene(name, 0)
        assert 2000 <= max(page.shape[:2]) <= 4000 and len(truth.digits) >= 20
        # Left of the table lie no digits: there a rule is a row darker than the rows 8 px above and below it.
        margin = cv2.cvtColor(page[:, :int(0.05 * page.shape[1])], cv2.COLOR_BGR2GRAY).mean(axis=1)
        thin_dark = margin[8:-8] < np.minimum(margin[:-16], margin[16:]) - 8
        rules = np.count_nonzero(np.diff(thin_dark.astype(np.int8)) == 1)
        assert rules >= least and (most is None or rules <= most), f"{name}: {rules} rules"


def test_a_hard_shadows_edge_crosses_a_digit_of_the_scene():
    for seed in range(6):
        rng = np.random.default_rng(seed)
        truth = SceneTruth((TruthDigit((100, 80, 40, 60), 3), TruthDigit((300, 200, 40, 60), 5)), ("3", "5"))
        light = stress.shade_edge(rng, (480, 640), truth)
        darkness = light.min()
        assert 0.35 <= darkness <= 0.7 and light.max() == 1.0
        assert ((light == 1.0) | (light == darkness)).mean() > 0.98  # a sharp edge: little of the frame between
        crossed = [light[y:y + h, x:x + w] for (x, y, w, h) in (digit.box for digit in truth.digits)]
        assert any((box == 1.0).any() and (box == darkness).any() for box in crossed)


def test_a_far_page_holds_numbers_written_small_in_a_small_frame():
    heights = []
    for seed in range(12):
        frame, truth = render_stress("far_page", seed)
        assert frame.shape[:2] in ((240, 320), (480, 640), (720, 1280)) and len(truth.numbers) >= 4
        heights += [digit.box[3] for digit in truth.digits]
    # Written 9-14 px tall: most digits are under the 16 px below which writing is read enlarged; a flourish of
    # a calligraphic font's figure may reach further.
    assert np.mean(np.array(heights) < 16) > 0.8 and min(heights) >= 8


def test_a_close_up_fills_most_of_the_frame_with_one_short_number():
    shares, inked = [], []
    for seed in range(12):
        frame, truth = render_stress("close_up", seed)
        assert frame.shape[:2] in ((480, 640), (720, 1280)) and len(truth.numbers) == 1
        assert 1 <= len(truth.digits) <= 4 and not any(digit.clipped for digit in truth.digits)
        shares.append(max(digit.box[3] for digit in truth.digits) / frame.shape[0])
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        for x, y, w, h in (digit.box for digit in truth.digits):
            inside = gray[y:y + h, x:x + w]
            inked.append(np.mean(inside < (int(inside.min()) + int(np.median(gray))) / 2))
    # 45-95 % of the frame's height, less where a number of several digits would not fit across
    assert 0.25 <= min(shares) and max(shares) <= 0.98 and max(shares) > 0.8
    # from a ballpoint's hair-line to a marker's band: the share of a digit's box its ink covers
    assert min(inked) < 0.12 and max(inked) > 0.35


def edge_energy(frame: np.ndarray, truth: SceneTruth) -> np.ndarray:
    """How much the gray level changes inside the digits' boxes across each of 12 directions, 15° apart."""
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
    inked = np.zeros(gray.shape, bool)
    for x, y, w, h in (digit.box for digit in truth.digits):
        inked[y:y + h, x:x + w] = True
    across_x, across_y = cv2.Sobel(gray, cv2.CV_32F, 1, 0)[inked], cv2.Sobel(gray, cv2.CV_32F, 0, 1)[inked]
    return np.array([np.sum((np.cos(angle) * across_x + np.sin(angle) * across_y) ** 2)
                     for angle in np.radians(np.arange(0, 180, 15))])


# moved_rules draws digits up to 150 px tall at 1280×960, whose strokes a move of 0.4 % blurs less
@pytest.mark.parametrize("name, most_kept, least_ratio", [("moved", 0.5, 1.4), ("moved_rules", 0.7, 1.2)])
def test_a_moved_scene_is_smeared_along_one_direction(monkeypatch, name, most_kept, least_ratio):
    """Against the same scene drawn with the camera held still, the smear takes many of the edges running
    across the move away and far fewer of those along it (a focus blur would take them alike)."""
    for seed in split_seeds("tune", 6):
        smeared, truth = scene(name, seed)
        with monkeypatch.context() as patched:
            patched.setattr(stress, "motion_blur", lambda frame, move_px: frame)
            still, still_truth = render_stress(name, seed)
        assert truth == still_truth and smeared.shape == still.shape and smeared.shape[1] in (640, 1280)
        kept = edge_energy(smeared, truth) / edge_energy(still, truth)
        assert kept.min() < most_kept and kept.max() > least_ratio * kept.min(), f"seed {seed}: {np.round(kept, 2)}"


@pytest.mark.parametrize("surroundings", [stress.wood_grain, stress.fabric, stress.furniture])
def test_what_lies_around_a_sheet_is_textured_and_in_range(surroundings):
    image = surroundings(np.random.default_rng(0), (120, 160))
    assert image.shape == (120, 160, 3) and 0 <= image.min() and image.max() <= 1
    assert cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).std() > 0.02  # grain, mottle or shapes: not a plain wall


def test_restroke_draws_the_pen_width_asked_for():
    glyph = font_render(FONT_FILES[5], "8").coverage
    for stroke_px in (1.5, 3.0, 6.0):
        coverage = restroke(glyph, stroke_px)
        width = coverage.sum() / skeleton(coverage > 0.5).sum()  # ink per pixel of centre line
        assert 0.8 * stroke_px <= width <= 1.25 * stroke_px


def test_other_font_files_write_every_hand_of_the_scenes(tmp_path, monkeypatch):
    # use_fonts rebinds the module's fonts: put them back for the other tests.
    monkeypatch.setattr(stress, "FONT_FILES", FONT_FILES)
    monkeypatch.setattr(stress, "font_folders", {})
    other = tmp_path / "OtherHand.ttf"
    other.write_bytes((stress.FONTS_DIR / FONT_FILES[5]).read_bytes())
    stress.use_fonts([other])
    hands = [stress.random_hand(np.random.default_rng(seed)) for seed in range(20)]
    assert {hand.letters_font for hand in hands} == {"OtherHand.ttf"}
    assert {hand.font for hand in hands} == {None, "OtherHand.ttf"}  # half the scenes in MNIST writers' hands
    frame, truth = render_stress("fonts", 1)
    assert len(truth.digits) >= 2 and frame.std() > 5
    with pytest.raises(FileNotFoundError, match="Missing.ttf"):
        stress.use_fonts([tmp_path / "Missing.ttf"])
    (tmp_path / "copy").mkdir()
    namesake = tmp_path / "copy" / "OtherHand.ttf"
    namesake.write_bytes(other.read_bytes())
    with pytest.raises(ValueError, match="share a name"):
        stress.use_fonts([other, namesake])


def test_a_clipped_digit_may_be_read_or_missed_but_not_misread():
    truth = SceneTruth((TruthDigit((10, 10, 20, 30), 4), TruthDigit((0, 50, 12, 30), 7, clipped=True)), ("4",))
    whole, clipped = ((10, 10, 20, 30), 4), ((0, 50, 12, 30), 7)
    read_right = score_reading([whole, clipped], truth, ["4"])
    missed = score_reading([whole], truth, ["4"])
    misread = score_reading([whole, (clipped[0], 1)], truth, ["4"])
    for score in (read_right, missed):
        assert (score.truths, score.found, score.matched, score.correct) == (1, 1, 1, 1)
    assert read_right.clipped_read == 1
    assert (misread.found, misread.matched, misread.clipped_misread) == (2, 1, 1)
    assert misread.precision == 0.5


@pytest.fixture(scope="module")
def recognizer():
    return DigitRecognizer.load()  # the app's defaults: polarity decided per frame


@pytest.mark.parametrize("name", STRESS_CLASSES)
def test_stress_class_is_read_at_least_as_well_as_today(recognizer, name):
    count, min_read, min_precision = GATES[name]
    total = Score()
    for seed in split_seeds("tune", count):
        frame, truth = scene(name, seed)
        digits = list(recognizer.recognize(frame).digits)
        numbers = [number.text for number in group(digits)[1]]
        total.add(score_reading([(digit.box.to_list(), digit.digit) for digit in digits], truth, numbers))
    assert total.digit_accuracy >= min_read, f"{name}: {total.correct} of {total.truths} read right"
    assert total.precision >= min_precision, f"{name}: {total.matched} of {total.found} found are digits"
