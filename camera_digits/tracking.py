"""Video smoothing: match digits across frames and vote, so labels hold still while the camera moves.

A digit is shown once it was seen in `min_hits` of the last `window` frames and hidden as soon as
it falls below that; its label is the confidence-weighted vote over its last `vote_frames` readings,
and changes only when another label clearly wins, so a digit never flickers between two labels.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field, replace

from camera_digits import grouping
from camera_digits.results import Box, Digit, Reading

MIN_IOU = 0.3  # boxes overlapping this much are the same digit
MAX_CENTER_SHIFT = 0.6  # ...or centres closer than this fraction of the box height (fast motion)


@dataclass
class Track:
    """One digit followed across frames."""

    box: Box
    label: int
    seen: deque = field(default_factory=deque)  # bool per frame over the presence window, newest last
    votes: deque = field(default_factory=deque)  # (digit, confidence) of the last readings
    clipped: bool = False  # whether its newest box reaches the frame's border

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
    """

    def __init__(self, window: int = 3, min_hits: int = 2, vote_frames: int = 7):
        if not 1 <= min_hits <= window:
            raise ValueError(f"min_hits must be in 1..window ({window}); got {min_hits}")
        self.window, self.min_hits, self.vote_frames = window, min_hits, vote_frames
        self.tracks: list[Track] = []

    def update(self, reading: Reading) -> Reading:
        """The smoothed reading: the steadily seen digits with voted labels, regrouped into numbers."""
        matches = match_boxes([track.box for track in self.tracks], [digit.box for digit in reading.digits])
        matched_digits = set(matches.values())
        for track_index, track in enumerate(self.tracks):
            digit = reading.digits[matches[track_index]] if track_index in matches else None
            self._observe(track, digit)
        for digit_index, digit in enumerate(reading.digits):
            if digit_index not in matched_digits:
                self.tracks.append(self._new_track(digit))
        self.tracks = [track for track in self.tracks if any(track.seen)]
        shown = [self._shown_digit(track) for track in self.tracks if sum(track.seen) >= self.min_hits]
        digits, numbers = grouping.group(shown)
        return replace(reading, digits=digits, numbers=numbers)

    def reset(self) -> None:
        """Forget every digit: the scene changed (see `camera_digits.cuts`), and what was on the
        last one must not be shown, or written, over the new one."""
        self.tracks = []

    def _new_track(self, digit: Digit) -> Track:
        track = Track(digit.box, digit.digit, deque(maxlen=self.window), deque(maxlen=self.vote_frames))
        self._observe(track, digit)
        return track

    def _observe(self, track: Track, digit: Digit | None) -> None:
        track.seen.append(digit is not None)
        if digit is None:
            return
        track.box = digit.box  # the newest box: averaging boxes would trail behind a moving camera
        track.clipped = digit.clipped
        track.votes.append((digit.digit, digit.confidence))
        track.label, _ = track.vote()

    def _shown_digit(self, track: Track) -> Digit:
        label, confidence = track.vote()
        return Digit(track.box, label, confidence, track.clipped)


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

