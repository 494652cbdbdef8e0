"""Video smoothing: match digits across frames and vote, so labels hold still while the camera moves.

A digit is shown once it was seen in `min_hits` of the last `window` frames. Once shown, it stays shown
through up to `hold_frames` frames in a row in which it is not read (a glint, a blurred frame, a piece
of a glued pair the splitter reads one frame and not the next), moving with the digits around it, and
is hidden sooner only where another digit now stands. Its label is the confidence-weighted vote over
its last `vote_frames` readings, and changes only when another label clearly wins, so a digit never
flickers between two labels.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field, replace

import numpy as np

from camera_digits import grouping
from camera_digits.results import Box, Digit, Number, Reading

# Frames a shown digit stays shown unread: 0.13 s at 30 frames a second. On the flicker benchmark's tune split
# the stress clips changed reading on 4.4 % of frames with 2, 3.9 % with 3 and 3.7 % with 4 (7.8 % holding 1, as
# before); 8 held a little more, and read fewer frames exactly.
HOLD_FRAMES = 4
MIN_IOU = 0.3  # boxes overlapping this much are the same digit
MAX_CENTER_SHIFT = 0.6  # ...or centres closer than this fraction of the box height (fast motion)
MAX_RESIZE = 0.25  # a matched box that changed size by more than this share tells nothing of the camera's move
MAX_COVERED = 0.5  # a held digit more than half under a digit read now is not shown: it is the same ink;
                   # on the flicker tune split 0.3 hid touching pieces whose neighbour's cut moved (0.5, 0.7: same)


@dataclass
class Track:
    """One digit followed across frames."""

    box: Box
    label: int
    seen: deque = field(default_factory=deque)  # bool per frame over the presence window, newest last
    votes: deque = field(default_factory=deque)  # (digit, confidence) of the last readings
    clipped: bool = False  # whether its newest box reaches the frame's border
    shown: bool = False  # whether it has been steady enough to show
    misses: int = 0  # frames in a row, up to now, in which it was not read
    number: int | None = None  # which of the last frame's numbers it was in (None: not shown then)

    def vote(self) -> tuple[int, float]:
        """The winning label and its mean confidence; the current label keeps ties (hysteresis)."""
        weights = Counter()
        for digit, confidence in self.votes:
            weights[digit] += confidence
        best = max(weights, key=lambda digit: (weights[digit], digit == self.label))
        confidences = [confidence for digit, confidence in self.votes if digit == best]
        return best, sum(confidences) / len(confidences)


class Tracker:
    """Smooths a stream of `Reading`s; call `update()` once per frame, in order.

    Args:
        window: frames over which presence is counted.
        min_hits: a digit is shown once seen in this many of the last `window` frames;
            higher hides more one-frame false detections but shows new digits later.
        vote_frames: readings a label vote looks back over; higher is steadier but slower to change.
        hold_frames: frames in a row a shown digit may go unread and stay shown; higher is steadier but
            leaves a digit that really left on screen longer.
    """

    def __init__(self, window: int = 3, min_hits: int = 2, vote_frames: int = 7, hold_frames: int = HOLD_FRAMES):
        if not 1 <= min_hits <= window:
            raise ValueError(f"min_hits must be in 1..window ({window}); got {min_hits}")
        if hold_frames < 0:
            raise ValueError(f"hold_frames must be 0 or more; got {hold_frames}")
        self.window, self.min_hits, self.vote_frames, self.hold_frames = window, min_hits, vote_frames, hold_frames
        self.tracks: list[Track] = []

    def update(self, reading: Reading) -> Reading:
        """The smoothed reading: the steadily seen digits with voted labels, regrouped into numbers."""
        matches = match_boxes([track.box for track in self.tracks], [digit.box for digit in reading.digits])
        shift = camera_shift([(self.tracks[old].box, reading.digits[new].box) for old, new in matches.items()])
        for track_index, track in enumerate(self.tracks):
            digit = reading.digits[matches[track_index]] if track_index in matches else None
            self._observe(track, digit, shift)
        matched_digits = set(matches.values())
        for digit_index, digit in enumerate(reading.digits):
            if digit_index not in matched_digits:
                self.tracks.append(self._new_track(digit))
        self.tracks = [track for track in self.tracks if track.shown or any(track.seen)]
        read_now = [track.box for track in self.tracks if track.shown and track.misses == 0]
        digits, numbers = self._group([track for track in self.tracks if track.shown and visible(track, read_now)])
        return replace(reading, digits=digits, numbers=numbers)

    def reset(self) -> None:
        """Forget every digit: the scene changed (see `camera_digits.cuts`), and what was on the
        last one must not be shown, or written, over the new one."""
        self.tracks = []

    def _new_track(self, digit: Digit) -> Track:
        track = Track(digit.box, digit.digit, deque(maxlen=self.window), deque(maxlen=self.vote_frames))
        self._observe(track, digit, (0.0, 0.0))
        return track

    def _observe(self, track: Track, digit: Digit | None, shift: tuple[float, float]) -> None:
        track.seen.append(digit is not None)
        if digit is None:
            track.misses += 1
            track.box = track.box.moved(*shift)  # the paper moved under it
            track.shown = track.shown and track.misses <= self.hold_frames
            return
        track.misses = 0
        track.box = digit.box  # the newest box: averaging boxes would trail behind a moving camera
        track.clipped = digit.clipped
        track.votes.append((digit.digit, digit.confidence))
        track.label, _ = track.vote()
        track.shown = track.shown or sum(track.seen) >= self.min_hits

    def _group(self, shown: list[Track]) -> tuple[tuple[Digit, ...], tuple[Number, ...]]:
        """The shown digits in reading order and their numbers, each pair of neighbours kept as it was
        grouped in the last frame unless its gap clearly changed (`grouping.JOIN_HYSTERESIS`)."""
        digits = [self._shown_digit(track) for track in shown]
        track_of = {id(digit): track for digit, track in zip(digits, shown)}  # by identity: equal digits differ

        def were_joined(left: Digit, right: Digit) -> bool | None:
            first, second = track_of[id(left)].number, track_of[id(right)].number
            return None if first is None or second is None else first == second

        ordered, numbers = grouping.group(digits, were_joined=were_joined)
        for track in self.tracks:
            track.number = None
        for index, number in enumerate(numbers):
            for digit in number.digits:
                track_of[id(digit)].number = index
        return ordered, numbers

    def _shown_digit(self, track: Track) -> Digit:
        label, confidence = track.vote()
        return Digit(track.box, label, confidence, track.clipped)


def visible(track: Track, read_now: list[Box]) -> bool:
    """Whether a shown track is drawn this frame: read now, or held where no shown digit read now stands."""
    return track.misses == 0 or not any(track.box.overlap(box) > MAX_COVERED * track.box.area for box in read_now)


def camera_shift(moves: list[tuple[Box, Box]]) -> tuple[float, float]:
    """How far the paper moved since the last frame: the median move of the digits read in both whose
    boxes kept their size (a box that grew or shrank, a digit read whole after a piece of it, moved its
    centre without the paper moving)."""
    steps = [np.subtract(new.center, old.center) for old, new in moves
             if abs(new.w - old.w) <= MAX_RESIZE * old.w and abs(new.h - old.h) <= MAX_RESIZE * old.h]
    if not steps:
        return 0.0, 0.0
    dx, dy = np.median(np.array(steps), axis=0)
    return float(dx), float(dy)


def match_boxes(old_boxes: list[Box], new_boxes: list[Box]) -> dict[int, int]:
    """Greedy one-to-one matching, best pairs first: {old index: new index}.

    Pairs match on overlap (IoU ≥ MIN_IOU) or, for fast motion, on nearby centres.
    """
    pairs = []
    for old_index, old in enumerate(old_boxes):
        for new_index, new in enumerate(new_boxes):
            score = closeness(old, new)
            if score > 0:
                pairs.append((score, old_index, new_index))
    matches: dict[int, int] = {}
    used_new: set[int] = set()
    for _, old_index, new_index in sorted(pairs, reverse=True):
        if old_index not in matches and new_index not in used_new:
            matches[old_index] = new_index
            used_new.add(new_index)
    return matches


def closeness(old: Box, new: Box) -> float:
    """A match score in (0, 2] for boxes that may be the same digit, 0 for boxes that are not."""
    iou = old.iou(new)
    if iou >= MIN_IOU:
        return 1.0 + iou
    (old_x, old_y), (new_x, new_y) = old.center, new.center
    shift = ((old_x - new_x) ** 2 + (old_y - new_y) ** 2) ** 0.5 / max(old.h, new.h, 1)
    return 1.0 - shift / MAX_CENTER_SHIFT if shift < MAX_CENTER_SHIFT else 0.0

