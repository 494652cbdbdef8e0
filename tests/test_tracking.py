"""Tracker: digits appear when steady, are held through short dropouts, follow motion, and do not flicker."""

import pytest

from camera_digits import grouping
from camera_digits.results import Box, Digit, Reading
from camera_digits.tracking import Tracker, match_boxes


def reading_of(*digits):
    """A Reading of (x, label) or (x, label, confidence) digits, 40×60 boxes on one line at y = 100."""
    made = []
    for spec in digits:
        x, label, confidence = (*spec, 0.9) if len(spec) == 2 else spec
        made.append(Digit(Box(x, 100, 40, 60), label, confidence))
    return Reading(tuple(made), (), {"total": 1.0})


def labels_over(tracker, readings):
    """The labels shown after each reading, e.g. [[], [7], [7]]."""
    return [[digit.digit for digit in tracker.update(reading).digits] for reading in readings]


@pytest.mark.parametrize("seen, shown", [
    # one frame alone is not enough
    ([True], [[]]),
    # seen twice in a row: shown from the second frame
    ([True, True], [[], [7]]),
    # 2 of the last 3 frames, with a gap
    ([True, False, True], [[], [], [7]]),
    # a one-frame dropout does not hide it
    ([True, True, False, True], [[], [7], [7], [7]]),
    # unread for two frames, as many as it may be held: still shown
    ([True, True, True, False, False], [[], [7], [7], [7], [7]]),
    # unread for three: hidden
    ([True, True, True, False, False, False], [[], [7], [7], [7], [7], []]),
    # read every other frame once shown: it stays
    ([True, True, False, True, False, True, False], [[], [7], [7], [7], [7], [7], [7]]),
])
def test_a_digit_appears_when_steady_and_is_held_through_short_dropouts(seen, shown):
    readings = [reading_of((100, 7)) if present else reading_of() for present in seen]
    assert labels_over(Tracker(window=3, min_hits=2, hold_frames=2), readings) == shown


def test_a_digit_never_shown_is_not_held():
    readings = [reading_of((100, 7)), reading_of(), reading_of(), reading_of((300, 1))]
    assert labels_over(Tracker(window=3, min_hits=2, hold_frames=5), readings) == [[], [], [], []]


def test_a_lost_track_is_forgotten_so_a_new_digit_there_starts_fresh():
    tracker = Tracker(hold_frames=2)
    labels_over(tracker, [reading_of((100, 7))] * 3 + [reading_of()] * 3)
    assert tracker.tracks == []
    assert labels_over(tracker, [reading_of((100, 1))] * 2) == [[], [1]]


def test_a_held_digit_moves_with_the_digits_read_around_it():
    tracker = Tracker(hold_frames=3)
    labels_over(tracker, [reading_of((100, 4), (145, 2), (190, 5))] * 2)
    for step in range(1, 4):  # the camera pans 12 px a frame; the 2 goes unread
        shown = tracker.update(reading_of((100 + 12 * step, 4), (190 + 12 * step, 5)))
    held = next(digit for digit in shown.digits if digit.digit == 2)
    assert held.box.x == 145 + 12 * 3
    assert [number.text for number in shown.numbers] == ["425"]


def test_a_held_digit_gives_way_to_a_digit_read_where_it_stood():
    tracker = Tracker(hold_frames=5)
    labels_over(tracker, [reading_of((100, 0), (140, 0))] * 2)
    wide = Digit(Box(100, 100, 80, 60), 8, 0.9)  # the glued pair now read as one wide digit
    shown = [tracker.update(Reading((wide,), (), {})).digits for _ in range(3)]
    assert [len(digits) for digits in shown] == [1, 1, 1]  # the other 0, held, is under the wide box
    assert shown[-1][0].digit == 8  # ... and the wide digit's label takes over once its votes outweigh


def test_a_held_digit_under_another_is_hidden_not_forgotten():
    tracker = Tracker(hold_frames=5)
    labels_over(tracker, [reading_of((100, 0), (140, 0))] * 2)
    wide = Digit(Box(100, 100, 80, 60), 0, 0.9)  # one frame reads the pair as one wide digit ...
    assert len(tracker.update(Reading((wide,), (), {})).digits) == 1
    assert labels_over(tracker, [reading_of((100, 0), (140, 0))]) == [[0, 0]]  # ... the next, both again at once


@pytest.mark.parametrize("raw_labels, steady_label", [
    # one wrong frame in a run
    ([7, 7, 1, 7, 7, 1, 7], 7),
    # alternating 1/7 with 7 slightly more often
    ([7, 1, 7, 1, 7, 7, 1], 7),
    # a confident 4 outweighs two unsure 9s
    ([4, 4, 9, 9, 4], 4),
])
def test_labels_do_not_flicker(raw_labels, steady_label):
    tracker = Tracker()
    shown = labels_over(tracker, [reading_of((100, label)) for label in raw_labels])
    visible = [labels[0] for labels in shown if labels]
    assert visible and set(visible) == {steady_label}


def test_a_lasting_change_of_label_is_taken_over():
    tracker = Tracker(vote_frames=5)
    shown = labels_over(tracker, [reading_of((100, 3))] * 5 + [reading_of((100, 8))] * 5)
    visible = [labels[0] for labels in shown if labels]
    assert visible[-1] == 8 and visible.count(8) >= 2
    changes = sum(first != second for first, second in zip(visible, visible[1:]))
    assert changes == 1  # 3 → 8 once, no back and forth


def test_ties_keep_the_current_label():
    tracker = Tracker(vote_frames=4)
    shown = labels_over(tracker, [reading_of((100, 5, 0.9))] * 2 + [reading_of((100, 6, 0.9))] * 2)
    assert shown[-1] == [5]  # 5 and 6 have equal weight: the label stays


@pytest.mark.parametrize("step_px", [
    # slow drift: boxes overlap from frame to frame
    3,
    # fast pan: boxes overlap little, centres are still close
    20,
    # faster still: no overlap at all, centres 0.58 box heights apart
    35,
])
def test_a_moving_digit_stays_one_track(step_px):
    tracker = Tracker()
    for frame in range(10):
        tracker.update(reading_of((100 + step_px * frame, 2)))
    assert len(tracker.tracks) == 1 and tracker.tracks[0].label == 2
    assert tracker.tracks[0].box.x > 100 + step_px * 7  # the box followed the digit


def test_two_neighbours_keep_their_own_labels_and_are_grouped_into_a_number():
    tracker = Tracker()
    readings = [reading_of((100, 4), (145, 2))] * 3
    result = tracker.update(readings[0]) and tracker.update(readings[1])
    assert [digit.digit for digit in result.digits] == [4, 2]
    assert [number.text for number in result.numbers] == ["42"]


def test_the_reading_keeps_its_source_frame_and_timings():
    reading = Reading((), (), {"total": 2.5}, source="clip.mp4", frame_index=9)
    result = Tracker().update(reading)
    assert (result.source, result.frame_index, result.timings_ms) == ("clip.mp4", 9, {"total": 2.5})


@pytest.mark.parametrize("old, new, expected", [
    # identical boxes match
    ([Box(0, 0, 10, 10)], [Box(0, 0, 10, 10)], {0: 0}),
    # far apart: no match
    ([Box(0, 0, 10, 10)], [Box(100, 100, 10, 10)], {}),
    # each old box takes its best new box, one to one
    ([Box(0, 0, 10, 10), Box(20, 0, 10, 10)], [Box(21, 0, 10, 10), Box(1, 0, 10, 10)], {0: 1, 1: 0}),
    # two old boxes near one new box: only the closer one gets it
    ([Box(0, 0, 10, 10), Box(4, 0, 10, 10)], [Box(5, 0, 10, 10)], {1: 0}),
])
def test_match_boxes(old, new, expected):
    assert match_boxes(old, new) == expected


def test_min_hits_must_fit_the_window():
    with pytest.raises(ValueError, match="min_hits must be in 1..window"):
        Tracker(window=2, min_hits=3)


def test_hold_frames_cannot_be_negative():
    with pytest.raises(ValueError, match="hold_frames must be 0 or more"):
        Tracker(hold_frames=-1)


def test_a_number_whose_gap_wavers_at_the_limit_stays_one_number():
    tracker = Tracker()
    raw, shown = [], []
    for frame in range(12):  # the gap swings between 0.5 and 0.7 digit heights (the limit is 0.6)
        reading = reading_of((100, 1), (140 + (30 if frame % 2 else 42), 2))
        raw.append([number.text for number in grouping.group(reading.digits)[1]])
        shown.append([number.text for number in tracker.update(reading).numbers])
    assert raw[1:3] == [["12"], ["1", "2"]]  # read frame by frame, the number splits every other frame
    assert shown[1:] == [["12"]] * 11
