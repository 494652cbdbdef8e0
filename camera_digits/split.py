"""Touching digits, split by recognition: cut hypotheses for candidates that may hold several digits, and the
reading the classifier likes best.

A candidate wide for its height, or whose ink falls into two columns with a deep valley between, may be two or
more glued digits. Its cut hypotheses are paths from its top to its bottom that cross the least ink, stepping
sideways where that goes round a stroke, so that a digit whose stroke reaches under its neighbour comes apart
from it whole (a straight cut would leave part of each in the other); every piece between two cuts is
normalized like a whole candidate and goes into the frame's one classify call. A short dynamic program over
the cuts, left to right, then picks the reading with the highest joint probability, "not a digit" being an
answer for any piece (or the whole), weighed by how many digits the piece could hold, so a long run refused as
a whole does not outweigh its sure digits. Digits glued with overlap leave no valley: a candidate standing in
a run of writing is cut even so, and its pieces count only where a neighbour in its line reads as a digit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from camera_digits.classifier import REJECT_CLASS
from camera_digits.normalize import CROP_SIZE_PX, candidate_ink, mnist_glyph, to_unit_range
from camera_digits.pixels import digit_mask

# Chosen on glued pairs of MNIST training digits (tests/touching.py, gaps -15 % to +5 %), scenes of seeds 200-299
# and the `tune` seeds of the touching and distractor stress scenes, with fine-tuned and shipped models alike:
SPLIT_MIN_ASPECT = 1.3     # width / height from which a candidate may be two digits (1.15: 3 % more, 2× crops)
MIN_VALLEY_ASPECT = 0.7    # narrower candidates ("1", "7") are never split (0.45 read no more pairs, slower)
# Two digits glued with overlap leave no valley and can be as narrow as one wide digit. A candidate with a
# neighbour of its height right beside it (a run of handwriting) is cut from this aspect even so, and its
# pieces are read only where a neighbour reads as a digit, so letters in words are not cut into digits. On
# the touching tune seeds 1.3 (no such cuts) read 74.7 %, 1.0 80.7 %, 0.9 81.7 % (LINE_REACH 0.2); the
# distractor, chalk-board, plain and other stress scenes read the same. Cutting every candidate from 1.0,
# with no line and no digit neighbour, cost 9.5 points of precision on chalk boards and 5.7 among letters.
IN_LINE_SPLIT_MIN_ASPECT = 0.9
# A neighbour at most this many heights away is beside it: on the touching tune seeds 0.2 read 81.7 % and 0.1
# 81.6 %, but 0.2 also cut the digits of numbers written with usual gaps (4.9 piece crops per plain scene, 1.4).
LINE_REACH = 0.1
LINE_HEIGHT_RATIO = 0.6    # ... and at least this share of its height, or at most its inverse (not tuned)
DEEP_VALLEY = 0.2          # a valley under this share of the lower of its two side peaks separates two strokes
MIN_PIECE_ASPECT = 0.12    # piece width / candidate height: a "1" is about this narrow
MAX_PIECE_ASPECT = 1.3     # a wider piece would itself be several digits
MIN_CUT_SPACING = 0.2      # cuts at least this share of the height apart: one gap between digits, one cut
CUT_EVERY_ASPECT = 0.6     # one cut hypothesis per this much width / height: more than the digits need, as spares
TYPICAL_ASPECT = 0.7       # a handwritten digit's usual width / height (MNIST's median is 0.75)
BOUNDARY_WEIGHT = 0.5      # ink pixels a cut may cross more to sit one pixel nearer where two digits would meet
MAX_CUTS = 10              # a run of 11 glued digits (5: 1 point fewer touching digits on the tune seeds)
MAX_SPAN_CUTS = 3          # a piece spans at most this many cut intervals
SCRAP_SHARE = 0.2          # a cut-off scrap of the neighbour smaller than this share of a piece's ink is dropped
# A cut path pays this many ink pixels for each column it steps sideways from one row to the next, so it goes
# round the end of a stroke that reaches under its neighbour but not along a stroke. On the touching tune
# seeds: 1.0 read 82.0 %, 2.0 82.8 %, 3.0 82.0 %, straight cuts 81.3 %; letters and chalk words the same.
SEAM_STEP_COST = 2.0
MAX_EXTRA_CROPS = 100      # per frame, so a page of scribbles cannot flood the classifier (40 cut off glued pairs)
# Glued digits look like "not a digit" as a whole, and so do parts of digits, so for a candidate with cuts that
# answer is weaker evidence than a digit: it counts at this weight per digit the whole or piece could hold.
# Both chosen together on the tune seeds of the touching, distractor and chalk board scenes: at 0.5 / 0.95,
# 1 point more touching digits, 2 and 5 points less precision among letters and chalk words; 0.8: 6.5 fewer.
REJECT_WEIGHT = 0.7
# A piece is reported as a digit only this sure: a letter's parts look like digits more often than a digit does.
# On the tune seeds 0.95 read 0.7 points more touching digits but made 4 more false digits among letters
# and 7 on chalk boards; 0.98 read more than straight cuts at 0.95 did, with fewer false digits (0.97: in
# between). With an unsure digit among letters refused (recognizer.AMONG_LETTERS_MIN_CONFIDENCE), 0.95 read
# 16 more tune digits for 4 more false ones, which did not carry over to the report seeds (19 more for 20).
PIECE_MIN_CONFIDENCE = 0.98
# Most candidates are one digit: each piece of a reading costs this factor, so a split must be clearly better.
PIECE_PRIOR = 0.8  # 1.0 read a looped "2" as "12"; 0.5 lost a fifth of the touching digits


@dataclass(frozen=True)
class Hypotheses:
    """The cut hypotheses of one candidate.

    candidate: index of the candidate in the segmentation's boxes.
    positions: the cuts' mean columns within its box, from 0 to its width, in order (they tell how wide
        a piece is).
    spans: pieces as (i, j) position indices, i < j, the whole (0, last) left out (it has its own crop).
    boxes: int32 (len(spans), 4) each piece's ink box (x, y, w, h) in processed pixels.
    first_row: row of the first piece's crop among the frame's piece crops.
    height: the candidate's height in processed pixels.
    needs_digit_beside: whether the pieces count only when a neighbour in its line reads as a digit (a
        candidate cut only because it stands in a run of handwriting).
    """

    candidate: int
    positions: tuple[int, ...]
    spans: tuple[tuple[int, int], ...]
    boxes: np.ndarray
    first_row: int
    height: int
    needs_digit_beside: bool = False

    def digits_in(self, first: int, end: int) -> int:
        """How many digits of a usual width fit between cuts `first` and `end` (at least one)."""
        width = self.positions[end] - self.positions[first]
        return max(1, round(width / (TYPICAL_ASPECT * self.height)))


def valley_columns(projection: np.ndarray, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The local minima of an ink column projection (ink pixels per column of a candidate `height` tall),
    smoothed and away from its sides, and the (smoothed) ink crossing each."""
    width = len(projection)
    smooth = np.convolve(projection, np.ones(3) / 3, mode="same")
    margin = max(1, round(MIN_PIECE_ASPECT * height))
    inner = np.arange(margin, width - margin)
    columns = inner[(smooth[inner] <= smooth[inner - 1]) & (smooth[inner] <= smooth[inner + 1])]
    return columns, smooth[columns]


def boundary_distance(columns: np.ndarray, width: int, height: int) -> np.ndarray:
    """Each column's distance in pixels to the nearest place where equally wide digits would meet."""
    digits = max(2, round(width / (TYPICAL_ASPECT * height)))
    boundaries = width * np.arange(1, digits) / digits
    return np.abs(columns[:, None] - boundaries[None, :]).min(axis=1)


def spaced_best_first(columns: np.ndarray, cost: np.ndarray, height: int) -> list[int]:
    """The columns by increasing `cost`, each at least MIN_CUT_SPACING × `height` from those before it:
    one per dip of the cost."""
    spacing = MIN_CUT_SPACING * height
    chosen: list[int] = []
    for column in columns[np.argsort(cost, kind="stable")].tolist():
        if all(abs(column - other) >= spacing for other in chosen):
            chosen.append(column)
    return chosen


def deep_valley(projection: np.ndarray, column: int) -> bool:
    """Whether far less ink crosses `column` than the tallest columns on both sides of it."""
    lower_peak = min(projection[:column].max(initial=0), projection[column:].max(initial=0))
    return projection[column] < DEEP_VALLEY * lower_peak


def may_hold_several(mask: np.ndarray, in_line: bool = False) -> bool:
    """Whether a candidate's mask may hold several digits and is worth cutting: at least SPLIT_MIN_ASPECT
    wide for its height, or, if `in_line` (see line_neighbours), IN_LINE_SPLIT_MIN_ASPECT, or its ink falls
    into two columns with a deep valley between; in each case its column projection has a valley at all."""
    height, width = mask.shape
    aspect = width / max(height, 1)
    if aspect < MIN_VALLEY_ASPECT:
        return False
    projection = np.count_nonzero(mask, axis=0)
    columns, ink = valley_columns(projection, height)
    if columns.size == 0:
        return False
    return (aspect >= SPLIT_MIN_ASPECT or deep_valley(projection, int(columns[np.argmin(ink)]))
            or (in_line and aspect >= IN_LINE_SPLIT_MIN_ASPECT))


def seams(mask: np.ndarray) -> np.ndarray:
    """float32 (height, width): in each row, the least cost of a cut path from the top of an ink mask down
    to each column of that row, a path paying for the ink it crosses and SEAM_STEP_COST per sideways step.
    Paths keep MIN_PIECE_ASPECT × height away from the sides (their cost there is infinite)."""
    height, width = mask.shape
    ink = (mask > 0).astype(np.float32)
    margin = max(1, round(MIN_PIECE_ASPECT * height))
    ink[:, :margin] = ink[:, width - margin:] = np.inf
    costs = np.empty_like(ink)
    costs[0] = ink[0]
    beside = np.full(width + 2, np.inf, np.float32)
    for row in range(1, height):
        beside[1:-1] = costs[row - 1]
        costs[row] = np.minimum(costs[row - 1], np.minimum(beside[:-2], beside[2:]) + SEAM_STEP_COST) + ink[row]
    return costs


def trace(costs: np.ndarray, ends: list[int]) -> np.ndarray:
    """int (len(ends), height) the columns, top to bottom, of the cheapest cut paths (see seams) that end
    in the bottom row's columns `ends`."""
    # One step per row: for a few paths, plain Python on lists is faster than numpy on each row.
    rows, last = costs.tolist(), costs.shape[1] - 1
    paths = []
    for end in ends:
        path = [end]
        for above in reversed(rows[:-1]):
            column = path[-1]
            best, cheapest = column, above[column]  # straight up wins ties
            if column > 0 and above[column - 1] + SEAM_STEP_COST < cheapest:
                best, cheapest = column - 1, above[column - 1] + SEAM_STEP_COST
            if column < last and above[column + 1] + SEAM_STEP_COST < cheapest:
                best = column + 1
            path.append(best)
        paths.append(path[::-1])
    return np.array(paths, np.intp).reshape(len(ends), len(rows))


def cut_paths(mask: np.ndarray) -> np.ndarray:
    """Cut paths int (K, height) for a candidate's mask, its left side (0) and right side (width) included as
    the first and last: the ends of the cheapest paths (see seams), each pixel nearer to where two digits would
    meet counting as BOUNDARY_WEIGHT pixels of ink less; just the sides if no path is worth taking."""
    height, width = mask.shape
    costs = seams(mask)
    cost = costs[-1]
    inner = np.arange(1, width - 1)
    ends = inner[np.isfinite(cost[inner]) & (cost[inner] <= cost[inner - 1]) & (cost[inner] <= cost[inner + 1])]
    wanted = min(MAX_CUTS, max(1, round(width / max(height, 1) / CUT_EVERY_ASPECT)))
    chosen = spaced_best_first(ends, cost[ends] + BOUNDARY_WEIGHT * boundary_distance(ends, width, height),
                               height)[:wanted]
    paths = trace(costs, chosen)
    paths = np.concatenate([np.zeros((1, height), np.intp), paths[np.argsort(paths.mean(axis=1))],
                            np.full((1, height), width, np.intp)])
    # Paths may meet; were two to swap places from one row to the next, the pieces between them stay apart.
    return np.maximum.accumulate(paths, axis=0)


def line_neighbours(boxes: np.ndarray, reach: float = LINE_REACH) -> np.ndarray:
    """bool (N, N): whether box j stands beside box i in a line of writing: of a similar height, level with
    it, and at most `reach` of i's height away to the left or right."""
    x, y, w, h = (boxes[:, k].astype(np.float64) for k in range(4))
    ratio = h[None, :] / np.maximum(h[:, None], 1)
    overlap = np.minimum(y + h, (y + h)[:, None]) - np.maximum(y, y[:, None])
    gap = np.maximum(x[None, :] - (x + w)[:, None], x[:, None] - (x + w)[None, :])
    beside = ((ratio >= LINE_HEIGHT_RATIO) & (ratio <= 1 / LINE_HEIGHT_RATIO)
              & (overlap >= 0.5 * np.minimum(h, h[:, None])) & (gap <= reach * h[:, None]))
    np.fill_diagonal(beside, False)
    return beside


def piece_spans(positions: tuple[int, ...], height: int) -> list[tuple[int, int]]:
    """The (i, j) pieces worth classifying: not the whole, not too many intervals, plausible widths."""
    last = len(positions) - 1
    spans = []
    for first in range(last):
        for end in range(first + 1, min(last, first + MAX_SPAN_CUTS) + 1):
            width = positions[end] - positions[first]
            if (first, end) != (0, last) and MIN_PIECE_ASPECT * height <= width <= MAX_PIECE_ASPECT * height:
                spans.append((first, end))
    return spans


def propose(labels: np.ndarray, boxes: np.ndarray, groups,
            contrast: np.ndarray | None) -> tuple[list[Hypotheses], np.ndarray]:
    """Cut hypotheses for the candidates that may hold several digits, widest first, and the MNIST-style
    crops float32 (M, 28, 28, 1) of all their pieces, at most MAX_EXTRA_CROPS."""
    aspects = boxes[:, 2] / np.maximum(boxes[:, 3], 1)
    in_line = line_neighbours(boxes).any(axis=1) if len(boxes) else np.zeros(0, bool)
    hypotheses, glyphs = [], []
    for candidate in np.argsort(-aspects, kind="stable").tolist():
        if aspects[candidate] < MIN_VALLEY_ASPECT:
            break  # the rest are narrower still
        box, group = boxes[candidate], groups[candidate]
        mask = digit_mask(labels, box, group)
        by_shape = may_hold_several(mask)
        if not by_shape and not (in_line[candidate] and may_hold_several(mask, in_line=True)):
            continue
        paths = cut_paths(mask)
        positions = tuple(np.rint(paths.mean(axis=1)).astype(int).tolist())
        spans = piece_spans(positions, int(box[3]))
        if not spans or len(glyphs) + len(spans) > MAX_EXTRA_CROPS:
            continue
        # The pieces are cut from the same anti-aliased ink the whole candidate's crop is made of.
        ink = candidate_ink(labels, box, group, contrast, mask)
        piece_boxes, (left, top) = [], box[:2].tolist()
        for first, end in spans:
            piece, start = between(ink, paths[first], paths[end], first > 0, end < len(positions) - 1)
            glyphs.append(mnist_glyph(piece))
            x, y, w, h = cv2.boundingRect(piece)
            piece_boxes.append((left + start + x, top + y, max(w, 1), max(h, 1)))
        hypotheses.append(Hypotheses(candidate, positions, tuple(spans), np.array(piece_boxes, np.int32),
                                     len(glyphs) - len(spans), int(box[3]), not by_shape))
    crops = np.zeros((len(glyphs), CROP_SIZE_PX, CROP_SIZE_PX, 1), np.uint8)
    if glyphs:
        crops[..., 0] = np.stack(glyphs)
    return hypotheses, to_unit_range(crops)


def between(ink: np.ndarray, left: np.ndarray, right: np.ndarray, cut_left: bool,
            cut_right: bool) -> tuple[np.ndarray, int]:
    """The ink between two cut paths (`left` inclusive, `right` exclusive, per row) in a window of `ink` from
    the leftmost column of `left`: (the piece uint8, that column). Small bits of the neighbours that a cut
    leaves along it (under SCRAP_SHARE of the piece's ink) are dropped on the sides `cut_left`, `cut_right`
    that are cuts."""
    # Where the two paths meet, a row of the piece is empty; the window is at least a column wide.
    start, stop = int(left.min()), max(int(right.max()), int(left.min()) + 1)
    piece = ink[:, start:stop]
    if left.max() > start or right.min() < stop:  # most cuts are straight, and then the window is the piece
        columns = np.arange(start, stop)
        piece = np.where((columns >= left[:, None]) & (columns < right[:, None]), piece, 0).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats((piece > 0).view(np.uint8), connectivity=8)
    if count <= 2:
        return piece, start
    rows, last = np.arange(len(left)), stop - start - 1
    along_cut = np.zeros(count, bool)
    if cut_left:
        along_cut[labels[rows, np.minimum(left - start, last)]] = True
    if cut_right:
        along_cut[labels[rows, np.maximum(np.minimum(right - 1 - start, last), 0)]] = True
    areas = stats[:, cv2.CC_STAT_AREA]
    scrap = along_cut & (areas < SCRAP_SHARE * areas[1:].sum())
    scrap[0] = False
    if not scrap.any():
        return piece, start
    return np.where(scrap[labels], 0, piece).astype(np.uint8), start


def piece_score(probabilities: np.ndarray, digits: int) -> tuple[float, int]:
    """(score, label) of one piece as wide as `digits` digits: its best digit, or "not a digit" (-1) at
    REJECT_WEIGHT per digit it could hold, so that refusing a long run of glued digits as a whole weighs
    as much as refusing each of its pieces."""
    digit = int(probabilities[:REJECT_CLASS].argmax())
    digit_probability = float(probabilities[digit])
    refused = float(probabilities[REJECT_CLASS]) if len(probabilities) > REJECT_CLASS else 0.0
    reject = REJECT_WEIGHT ** digits * refused
    return (digit_probability, digit) if digit_probability >= reject else (reject, -1)


def best_reading(whole: np.ndarray, pieces: np.ndarray, hypotheses: Hypotheses) -> list[tuple[int, int]]:
    """The pieces of the most probable reading of one candidate, left to right, as (span index, label);
    span index -1 is the whole candidate, label -1 "not a digit".

    whole: probabilities (classes,) of the whole candidate; pieces: probabilities (M, classes) of the frame's
    piece crops.
    """
    last = len(hypotheses.positions) - 1
    scores = {(0, last): piece_score(whole, hypotheses.digits_in(0, last))}
    for offset, (first, end) in enumerate(hypotheses.spans):
        scores[first, end] = piece_score(pieces[hypotheses.first_row + offset], hypotheses.digits_in(first, end))
    # best[j]: the highest log probability of reading the ink left of cut j, and the span that ends there.
    best = [(0.0, None)] + [(-math.inf, None)] * last
    for end in range(1, last + 1):
        for first in range(end):
            score = scores.get((first, end))
            if score is not None and best[first][0] > -math.inf:
                total = best[first][0] + math.log(max(score[0], 1e-12) * PIECE_PRIOR)
                if total > best[end][0]:
                    best[end] = (total, (first, end))
    reading, end = [], last
    while end > 0:
        first, _ = best[end][1]
        span_index = -1 if (first, end) == (0, last) else hypotheses.spans.index((first, end))
        reading.append((span_index, scores[(first, end)][1]))
        end = first
    return reading[::-1]
