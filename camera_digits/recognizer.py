"""DigitRecognizer: frame → segment → normalize (+ pieces of possibly glued digits) → one classifier call →
the most probable reading of each candidate → grouping → Reading."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from camera_digits import grouping, normalize, segment, split
from camera_digits.classifier import REJECT_CLASS
from camera_digits.normalize import CROP_SIZE_PX
from camera_digits.results import Box, Digit, Reading

# A digit cut by the frame edge lacks part of its shape: it is read only when the model is this sure of it.
CLIPPED_MIN_CONFIDENCE = 0.9
# A candidate with a dark side lighter than itself all round (segment.Segmentation.in_shade) is a digit in the
# shade beside a shadow's edge, or the dark side of an edge in the shade: it is read only when the model is this
# sure of it, and never as a "1", which a straight piece of an edge reads as. On the tune seeds hard shadows read
# 836 of 881 digits (813 with such candidates dropped; 837 at 0.9, 834 at 0.999) and cluttered scenes made 30
# false digits (32; 36 at 0.9, 30 at 0.999); with "1"s read, 837 digits and 32 false ones.
IN_SHADE_MIN_CONFIDENCE = 0.99
# A mark at most this many of a digit's heights beside it stands in its word or number (writing gaps run to
# about 0.6), and a digit that has such neighbours, all refused, stands among letters, where a letter is read
# as a digit far more often than a digit is written: it is read only when the model is this sure of it. On
# the tune seeds, against no such bar: 0.95 lost 2 of 7,858 digits read right for 29 of 139 false digits
# fewer, 0.99 4 for 39, 0.999 13 for 45; reaches of 0.3 and 1.0 (at 0.99) left 19 and 2 more false digits.
WORD_REACH = 0.6
AMONG_LETTERS_MIN_CONFIDENCE = 0.99
# OpenCV's worker threads cost more than they save on a frame's small images, and spin while LiteRT classifies:
# benchmarks/latency.py on two cores, run alternately with --opencv-threads 2, timed the crowded page at 47-81
# against 29-30 ms; the 10-digit frames and the 12-megapixel photo moved within the sitting's noise.
OPENCV_THREADS = 1
POLARITY_SURE_CONFIDENCE = 0.9  # digits that count towards a polarity's reading (segment.POLARITY_AMBIGUITY)


def no_crops() -> np.ndarray:
    """An empty batch of crops, float32 (0, 28, 28, 1)."""
    return np.zeros((0, CROP_SIZE_PX, CROP_SIZE_PX, 1), np.float32)


@dataclass(frozen=True)
class Candidates:
    """One segmentation of a frame and what goes from it into the classify call: the MNIST-style crops of its
    candidates, and the cut hypotheses of those that may be glued digits with the crops of their pieces."""

    found: segment.Segmentation
    crops: np.ndarray
    hypotheses: list[split.Hypotheses]
    pieces: np.ndarray

    @classmethod
    def of(cls, found: segment.Segmentation) -> Candidates:
        crops = normalize.normalize(found.labels, found.boxes, found.groups, found.contrast)
        hypotheses, pieces = split.propose(found.labels, found.boxes, found.groups, found.contrast)
        return cls(found, crops, hypotheses, pieces)


def sure_confidence(digits: list[Digit]) -> float:
    """The summed confidence of the digits read at least POLARITY_SURE_CONFIDENCE sure: how much of a frame
    the model reads with conviction, to choose between its polarities."""
    return sum(digit.confidence for digit in digits if digit.confidence >= POLARITY_SURE_CONFIDENCE)


@dataclass(frozen=True)
class DebugImages:
    """What the recognizer saw: the segmentation at the processed size, the crops float32 (N, 28, 28, 1)
    in [0, 1] of its candidates, in candidate order, and those of the pieces of possibly glued digits
    (M, 28, 28, 1), all classified in one call, with the cut hypotheses they came from (their boxes); and the
    digit reported for each candidate crop, int (N,), -1 where none was (refused, or read as its pieces)."""

    segmentation: segment.Segmentation
    crops: np.ndarray
    pieces: np.ndarray = field(default_factory=no_crops)
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    hypotheses: list[split.Hypotheses] = field(default_factory=list)

    @property
    def binary(self) -> np.ndarray:
        """uint8 (h, w) ink mask (ink = 255) at the processed size."""
        return self.segmentation.binary


class DigitRecognizer:
    """Reads the handwritten digits in camera frames with one batched classifier call per frame.

    Args:
        classifier: any object with `.predict(crops (N, 28, 28, 1) float32) -> (N, num_classes)` and
            `.num_classes` (10, or 11 where class 10 means "not a digit").
        polarity: "dark" for dark ink on light paper, "light" for light ink on a dark board, "auto" (the
            default) to decide per frame, and where the guess is close to read the frame both ways in the
            one predict call, keeping the surer reading (segment.polarities_to_read).
        min_confidence: a candidate whose best digit probability is lower is not reported; higher = fewer
            false digits, more missed ones.
        max_side_px: frames are first segmented on a copy whose longest side is at most this (small writing
            is then segmented again finer, see `segment.segment`); boxes are still reported in the original
            frame's pixels.
    """

    def __init__(self, classifier, polarity: str = "auto", min_confidence: float = 0.5,
                 max_side_px: int = segment.MAX_SIDE_PX):
        if polarity not in segment.POLARITIES:
            raise ValueError(f"polarity must be one of {', '.join(segment.POLARITIES)}; got {polarity!r}")
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be between 0 and 1; got {min_confidence}")
        self.classifier = classifier
        self.polarity = polarity
        self.min_confidence = min_confidence
        self.max_side_px = max_side_px

    @classmethod
    def load(cls, path=None, polarity: str = "auto", min_confidence: float = 0.5) -> DigitRecognizer:
        """A recognizer over the model at `path` (None = the shipped model); raises ModelError if unusable.

        It also sets OpenCV's threads, for the whole process, to OPENCV_THREADS (see there).
        """
        from camera_digits import classifier

        cv2.setNumThreads(OPENCV_THREADS)
        return cls(classifier.load(path), polarity=polarity, min_confidence=min_confidence)

    def recognize(self, frame) -> Reading:
        """Read a BGR uint8 (H, W, 3) frame (gray, BGRA, uint16 and float [0, 1] frames are converted)."""
        return self.recognize_debug(frame)[0]

    def recognize_debug(self, frame) -> tuple[Reading, DebugImages]:
        """Like recognize(), and also return the segmentation and the crops that were classified (the
        candidates' and the pieces of possibly glued digits)."""
        started = time.perf_counter()
        gray = segment.to_gray(frame)
        segmentations = segment.segment_each_way(gray, self.polarity, self.max_side_px)
        segmented = time.perf_counter()
        options = [Candidates.of(found) for found in segmentations]
        normalized = time.perf_counter()
        readings = self.classify_all(options, gray.shape)
        # Read both ways, the polarity the model is surer of wins; the guess, first, wins ties.
        best = max(range(len(options)), key=lambda index: sure_confidence(readings[index][0]))
        (digits, labels), chosen = readings[best], options[best]
        classified = time.perf_counter()
        ordered, numbers = grouping.group(digits)
        grouped = time.perf_counter()
        timings_ms = {
            "segment": (segmented - started) * 1e3, "normalize": (normalized - segmented) * 1e3,
            "classify": (classified - normalized) * 1e3, "group": (grouped - classified) * 1e3,
            "total": (grouped - started) * 1e3,
        }
        debug = DebugImages(chosen.found, chosen.crops, chosen.pieces, labels, chosen.hypotheses)
        return Reading(ordered, numbers, timings_ms), debug

    def classify_all(self, options: list[Candidates], frame_shape) -> list[tuple[list[Digit], np.ndarray]]:
        """classify() for the candidates of each segmentation of one frame, in one predict call."""
        batches = [np.concatenate([option.crops, option.pieces]) for option in options]
        if not any(len(batch) for batch in batches):
            return [([], np.zeros(0, np.int64)) for _ in options]
        batch = batches[0] if len(batches) == 1 else np.concatenate(batches)
        probabilities = np.asarray(self.classifier.predict(batch), np.float32)
        readings, start = [], 0
        for option, batch in zip(options, batches):
            share = probabilities[start:start + len(batch)]
            start += len(batch)
            readings.append(self.digits_from(share, option, frame_shape) if len(option.crops) else
                            ([], np.zeros(0, np.int64)))
        return readings

    def classify(self, crops: np.ndarray, found: segment.Segmentation, frame_shape,
                 hypotheses: list[split.Hypotheses] = (),
                 pieces: np.ndarray | None = None) -> tuple[list[Digit], np.ndarray]:
        """Digits for the crops the model accepts, boxes mapped back to frame pixels (one predict call), and
        the digit reported for each candidate crop (-1: none; see DebugImages.labels).

        A candidate with cut `hypotheses` is read as whichever of itself or its pieces (crops `pieces`, in
        the same call) is the more probable reading. A candidate cut by the frame edge, and a piece of it
        that touches the edge, is read only when the model is at least CLIPPED_MIN_CONFIDENCE sure; a candidate
        in the shade (segment.Segmentation.in_shade) is read whole, only as a digit other than "1" the model is
        at least IN_SHADE_MIN_CONFIDENCE sure of. Context refuses three more: a "1" with a pen's dot right above
        or below it (segment.Segmentation.dotted), a "1" left alone by a cut (lone_one_refused) and an unsure
        digit among letters (unsure_among_letters).
        """
        option = Candidates(found, crops, list(hypotheses), no_crops() if pieces is None else pieces)
        return self.classify_all([option], frame_shape)[0]

    def digits_from(self, probabilities: np.ndarray, option: Candidates,
                    frame_shape) -> tuple[list[Digit], np.ndarray]:
        """classify() once the model has given `probabilities` for the option's crops, then its pieces."""
        found, hypotheses = option.found, option.hypotheses
        crops = option.crops
        whole, piece_probabilities = probabilities[:len(crops)], probabilities[len(crops):]
        clipped = found.clipped
        labels, confidences = accepted(whole, self.min_confidence_of(clipped))
        in_shade = found.in_shade if found.in_shade is not None else np.zeros(len(crops), bool)
        labels[unsure_in_shade(labels, confidences, in_shade)] = -1
        for index in np.flatnonzero(labels == 1):
            if found.dotted(index):
                labels[index] = -1
        readings = [(found.boxes[index], int(labels[index]), float(confidences[index]), bool(clipped[index]))
                    for index in range(len(crops))]
        owners = list(range(len(crops)))
        candidate_labels = labels.astype(np.int64)
        digit_beside = digit_neighbours(found.boxes, labels, hypotheses)
        for candidate in hypotheses:
            if candidate.needs_digit_beside and not digit_beside[candidate.candidate]:
                continue  # a run of letters, not of digits: read as the whole
            if in_shade[candidate.candidate]:
                continue  # its pieces would pass a lower bar than its whole: read as the whole
            whole_reading, readings[candidate.candidate] = readings[candidate.candidate], None
            candidate_labels[candidate.candidate] = -1
            piece_readings = []
            for span, label in split.best_reading(whole[candidate.candidate], piece_probabilities, candidate):
                if span < 0:
                    readings.append(whole_reading)
                    owners.append(candidate.candidate)
                    candidate_labels[candidate.candidate] = whole_reading[1]
                elif label >= 0:
                    piece_readings.append(self.piece_reading(candidate, span, label, piece_probabilities, found))
            readings += lone_one_refused(piece_readings)
            owners += [candidate.candidate] * len(piece_readings)
        among_letters = unsure_among_letters(readings, owners, found.boxes)
        candidate_labels[among_letters] = -1
        readings = [refused(reading) if reading is not None and among_letters[owner] else reading
                    for reading, owner in zip(readings, owners)]
        digits = [Digit(to_frame_box(box, found.scale, frame_shape), label, confidence, is_clipped)
                  for box, label, confidence, is_clipped in filter(None, readings) if label >= 0]
        return digits, candidate_labels

    def piece_reading(self, candidate: split.Hypotheses, span: int, label: int, piece_probabilities: np.ndarray,
                      found: segment.Segmentation) -> tuple:
        """(box, label or -1 when the model is not sure enough, confidence, clipped) of one piece of a cut."""
        box = candidate.boxes[span]
        clipped = bool(segment.touches_frame(box[None], found.labels.shape)[0])
        confidence = float(piece_probabilities[candidate.first_row + span, label])
        bar = max(split.PIECE_MIN_CONFIDENCE, float(self.min_confidence_of(clipped)))
        return box, label if confidence >= bar else -1, confidence, clipped

    def min_confidence_of(self, clipped):
        """The confidence a digit needs: higher where it is cut by the frame edge (bool or bool array)."""
        return np.where(clipped, max(self.min_confidence, CLIPPED_MIN_CONFIDENCE), self.min_confidence)


def accepted(probabilities: np.ndarray, min_confidence) -> tuple[np.ndarray, np.ndarray]:
    """Per crop: the digit (-1 if rejected) and its probability, for probabilities (N, 10 or 11).

    A crop is rejected when an eleven-class model's most likely class is "not a digit", or when its best
    digit probability is below min_confidence (one bar for all crops, or one per crop).
    """
    digit_scores = probabilities[:, :REJECT_CLASS]
    labels = digit_scores.argmax(axis=1)
    confidences = digit_scores.max(axis=1)
    rejected = confidences < min_confidence
    if probabilities.shape[1] > REJECT_CLASS:
        rejected |= probabilities.argmax(axis=1) == REJECT_CLASS
    return np.where(rejected, -1, labels), confidences


def refused(reading: tuple) -> tuple:
    """A (box, label, confidence, clipped) reading with its label taken back (-1)."""
    box, _, confidence, clipped = reading
    return box, -1, confidence, clipped


def unsure_in_shade(labels: np.ndarray, confidences: np.ndarray, in_shade: np.ndarray) -> np.ndarray:
    """bool (N,): the candidates in the shade (segment.Segmentation.in_shade) read as a "1" or less than
    IN_SHADE_MIN_CONFIDENCE sure, given each candidate's digit `labels` (-1: none) and `confidences`."""
    return in_shade & ((labels == 1) | (confidences < IN_SHADE_MIN_CONFIDENCE))


def lone_one_refused(piece_readings: list[tuple]) -> list[tuple]:
    """The piece readings of one cut candidate, with a "1" refused when it is the only piece reported as a
    digit (the others refused, or read too unsurely).

    Any straight stroke cut off a letter (the legs of N, M, K, h) reads as a sure "1", while the rest of the
    letter is refused; glued digits leave other digits beside their "1"s. On the tune seeds this took the
    false digits among letters and on chalk boards from 112 to 102, for one touching digit.
    """
    digits = [label for _, label, _, _ in piece_readings if label >= 0]
    return [refused(reading) for reading in piece_readings] if digits == [1] else piece_readings


def unsure_among_letters(readings: list[tuple | None], owners: list[int], boxes: np.ndarray) -> np.ndarray:
    """bool per candidate: its one digit has neighbours in its line (within WORD_REACH), all refused, and
    the model is less than AMONG_LETTERS_MIN_CONFIDENCE sure of it.

    readings[i] comes from candidate owners[i]; None where a candidate gave way to its pieces.
    """
    digit_count = np.zeros(len(boxes), np.int64)
    confidence = np.ones(len(boxes))
    for reading, owner in zip(readings, owners, strict=True):
        if reading is not None and reading[1] >= 0:
            digit_count[owner] += 1
            confidence[owner] = reading[2]
    unsure = (digit_count == 1) & (confidence < AMONG_LETTERS_MIN_CONFIDENCE)
    if not unsure.any():
        return unsure  # most frames: nothing to look around for
    beside = split.line_neighbours(boxes, WORD_REACH)
    return unsure & beside.any(axis=1) & ~(beside & (digit_count > 0)).any(axis=1)


def digit_neighbours(boxes: np.ndarray, labels: np.ndarray, hypotheses: list[split.Hypotheses]) -> np.ndarray:
    """bool (N,): whether a candidate has a neighbour in its line (split.line_neighbours) read as a digit,
    whole, or as a run of glued digits cut by its own shape."""
    if not any(candidate.needs_digit_beside for candidate in hypotheses):
        return np.zeros(len(boxes), bool)
    digit = labels >= 0
    for candidate in hypotheses:
        if not candidate.needs_digit_beside:
            digit[candidate.candidate] = True
    return (split.line_neighbours(boxes) & digit[None, :]).any(axis=1)


def to_frame_box(box: np.ndarray, scale: float, frame_shape) -> Box:
    """A processed-pixel (x, y, w, h) box in original frame pixels, clipped to the frame (H, W)."""
    height, width = frame_shape[:2]
    x, y, w, h = box.tolist()  # Python ints: numpy scalar arithmetic costs microseconds per operation
    x0, y0 = min(int(x / scale), width - 1), min(int(y / scale), height - 1)
    x1, y1 = min(width, math.ceil((x + w) / scale)), min(height, math.ceil((y + h) / scale))
    return Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0))
