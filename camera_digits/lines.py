"""Ruled and grid lines: finding them in the ink contrast image and taking them out of the ink mask.

Notebook rulings, squared paper and paper edges are long, thin, nearly straight marks. They are traced among
all faint marks (where they are whole), kept apart from the pen strokes that cross or follow them, and removed
from the ink mask with the strokes re-joined across the gap. A piece of a line at any angle that the threshold
left as a mark of its own (a crease, an edge) is told from a pen stroke by running on beyond its ends. All
images are uint8 (h, w) at the processed size, marks = 255.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

from camera_digits.pixels import enlarge, rect, shrink

LINE_CONTRAST = 20            # lines are traced among all marks this dark, where they are whole
MIN_LINE_LENGTH_PX = 60       # frames too small for a line this long have no lines worth removing
LINE_SQUEEZE = 4              # lines are traced on a copy 4× shorter along them: long kernels get cheap
LINE_TILT_PX = 7              # a line may drift this much across a third of the frame (about 1°)
MAX_LINE_WIDTH_PX = 4         # lines are thinner; the long straight strokes of big digits are thicker
# MAX_LINE_WIDTH_PX is for an image LINE_WIDTH_SIDE_PX long (segment.MAX_SIDE_PX, the first pass's size). A page
# read larger (small writing is read finer) has its lines as many times wider, as wide as its pen: 2-5 px rules on
# a 2000-4000 px page, read where its digits are 36 px tall, would pass for pen strokes at 4 px and be left in,
# joining the digits they cross: on the tune pages of ruled paper (seeds 0-59) 4,891 of 5,413 digits read at 4 px
# (81 false), 5,138 with the limit grown (77 false).
LINE_WIDTH_SIDE_PX = 640
# A camera moving across a ruling while its shutter is open widens every line as much as it smears the strokes
# (0.75 % of a 640 px frame: 2 px rules become 5 px), and so does a bold rule. Lines as wide as that all along
# would pass for pen strokes and be left in, joining every digit they touch into one mark. Where the lines of a
# ruling (at least MIN_RULING_LINES crossing each of half the frame's columns, of about one width: the widest
# tenth at most RULING_WIDTH_SPREAD times the narrowest, so not a sheet's edges, wood grain or bars beside rules)
# are wider than MAX_LINE_WIDTH_PX, a line may be as wide as they are and RULING_WIDTH_MARGIN_PX more, up to
# MAX_RULING_WIDTH_SHARE times the search's usual limit (wider are a close-up's strokes). Chosen on the tune
# seeds of the moved_rules scenes: 927 of 1,059 digits read before, 1,013 with spreads of 2.0 and 2.5 (978 at
# 1.5, 992 at 1.75); with the spread of the rows' mean widths instead of the lines' own, 1,024 with a margin of 1
# px, 1,022 at 2 px, 1,019 at 3 px. Measuring as few as two lines (a close-up's strokes), lines of uneven width
# (a sheet's edges) or the level search's pieces of a page ruled off level cost close-up, cluttered and
# slanted-rules digits there.
MIN_RULING_LINES = 3
RULING_WIDTH_SPREAD = 2.0
RULING_WIDTH_MARGIN_PX = 1
MAX_RULING_WIDTH_SHARE = 3
LINE_WINDOW_PX = 101          # a line's own darkness is measured over this neighbourhood
LINE_LEVEL_SCALE = 4          # ... on a 4× smaller copy (a power of two): it varies slowly along the page
LINE_INK_RATIO = 2.0          # a pixel on a line this much darker than the line is a pen stroke crossing it
# A stroke cut by a removed line is joined again across a gap up to this long: a bold or slanted line leaves a
# wide gap. On the slanted-rules tune scenes 7 read 96.4 % (98.6 % precision), 9 96.7 %, 11 97.0 % (99.4 %),
# 13 96.8 %; the plain tune scenes read the same at each.
BRIDGE_PX = 11
MAX_SLANT_DEG = 8.0           # ruled lines are searched for up to this far off level (a page held askew)
MIN_SLANT_DEG = 1.0           # ... when they run further off than the level search's LINE_TILT_PX drift allows
# Where no ruling is found within MAX_SLANT_DEG, one is searched for between it and WIDE_SLANT_DEG on either
# side (a camera's roll turns a page further), a mark voting wherever it runs WIDE_SLANT_RUN_PX along the
# squeezed row (a 12° line runs 4.7 px a row step). The dev photos turned by -10° read 93.3 -> 96.0 % in
# reading order (two pages of ruled paper), and 100 tune scenes of each of eight classes and the plain ones
# the same. One search up to 12° with such runs on every page lost 4 of 1,093 tune digits on rulings within
# 8°. A page without rules pays for the wider search: 0.10 ms a 10-digit frame (benchmarks/latency.py's plain
# paper).
WIDE_SLANT_DEG = 12.0
WIDE_SLANT_RUN_PX = 3
# Where none is found within 12° either, one is searched for up to WIDEST_SLANT_DEG, a mark voting wherever it
# runs WIDEST_SLANT_RUN_PX along the squeezed row (a 22° line runs 2.5 px a row step). A ruled page turned past
# 12° had its lines join every digit they crossed into one mark: the dev photos turned by ±20° read 93.25 ->
# 96.1 % in reading order (two pages of ruled paper), every other change of them the same. On the tune seeds of
# every stress class and the plain scenes the digits read the same, with one false digit fewer (cluttered); runs
# of 1 px read the photos as well. Not tuned further: past about 25° the squeezed rows no longer hold runs.
# A frame with no ruling pays 0.17 ms more (benchmarks/latency.py's plain-paper frames, the search timed alone).
WIDEST_SLANT_DEG = 22.0
WIDEST_SLANT_RUN_PX = 2
TURNED_LINE_GROWTH_PX = 1     # a turned line is this much wider: on the slanted-rules tune scenes 94.9 % read
                              # with it, 81.5 % without (a 3 px rule with its soft edges, turned, is 5 px)
SLANT_COVERAGE = 32           # a LINE_SQUEEZE-smaller pixel is on a mark when an eighth of its block is (a
                              # one-pixel line covers a quarter of its blocks); not tuned
SLANT_STEP_DEG = 0.5          # the slant is found to half a degree: on 40 slanted-rules tune scenes a whole
                              # degree, at half the cost, read 92.1 % instead of 96.3 %
SLANT_RUN_PX = 5              # a mark votes for a slant only where it runs this long along the squeezed row: an
                              # 8° line still does (7 px a row step); not tuned
# A straight mark that runs on, about as dark, beyond its ends is a piece of a longer line at any angle (a crease,
# a paper or table edge, a grid line the ruling search missed) that the threshold broke up. Chosen on 1,100
# candidates of the tune scenes (thin pen, slanted rules, plain, frame edge; 25 each of seven more classes): with
# the constants below every straight line piece among them is dropped and no digit.
MAX_PIECE_BEND = 0.12         # a straight mark's ink lies within this share of its length of its axis (95 % of
MAX_PIECE_BEND_PX = 1.5       # it), plus this (a stroke's own width); 0.2 took digits for straight
RUN_ON_REACH = 1.0            # the line is followed this many of the mark's lengths beyond each end
RUN_ON_BAND_PX = 2            # ... within this many pixels of where the mark's ink lies across its axis
RUN_ON_DARKNESS = 0.55        # ... at least this share as dark as on the mark: line pieces measured 0.79-1.0, digits
                              # (a pen is darker than a grid line it follows) at most 0.33
MIN_RUN_ON = 0.8              # the mark is a line piece where the line runs on over this share of its reach


class Rulings(NamedTuple):
    """The ruled and grid lines of a page: `mask` uint8 (h, w), 255 on the lines and a pixel around them
    (their anti-aliased edges), and whether horizontal and vertical ones were found."""

    mask: np.ndarray
    horizontal: bool
    vertical: bool


def line_pixels(contrast: np.ndarray, ink: np.ndarray) -> tuple[Rulings, np.ndarray]:
    """The ruled and grid lines, and those of their pixels to remove from the `ink` mask (uint8 (h, w)).

    Where a digit's stroke runs along a line, the stroke is usually darker than the line: pixels clearly
    darker than the line around them (its mean contrast within LINE_WINDOW_PX) are kept as ink.
    """
    _, faint = cv2.threshold(contrast, LINE_CONTRAST - 1, 255, cv2.THRESH_BINARY)
    rulings = find_lines(faint, ink)
    if not cv2.hasNonZero(rulings.mask):
        return rulings, rulings.mask
    level = line_level(contrast, cv2.bitwise_and(rulings.mask, faint))
    return rulings, cv2.bitwise_and(rulings.mask, cv2.compare(contrast, level, cv2.CMP_LE))


def line_level(contrast: np.ndarray, core: np.ndarray) -> np.ndarray:
    """uint8 (h, w): LINE_INK_RATIO × the mean contrast of the `core` line pixels around each pixel."""
    height, width = contrast.shape
    line_sum = shrink(cv2.bitwise_and(contrast, core), LINE_LEVEL_SCALE)
    line_count = shrink(core, LINE_LEVEL_SCALE)
    side = LINE_WINDOW_PX // LINE_LEVEL_SCALE
    # Window sums, not means: their ratio is the same. The count's floor (as if one pixel in 255 were line)
    # keeps a window with next to no line from dividing by next to nothing.
    window_sum = cv2.boxFilter(line_sum, cv2.CV_32F, (side, side), normalize=False)
    window_count = cv2.boxFilter(line_count, cv2.CV_32F, (side, side), normalize=False)
    level = cv2.divide(window_sum, cv2.max(window_count, float(side * side)), scale=255.0 * LINE_INK_RATIO)
    # The level is smooth over LINE_WINDOW_PX: blocks of LINE_LEVEL_SCALE pixels tell it as well as interpolation.
    return enlarge(np.clip(level, 0, 255).astype(np.uint8), LINE_LEVEL_SCALE, (width, height))


def find_lines(faint: np.ndarray, ink: np.ndarray) -> Rulings:
    """Long thin structures (ruled and grid lines, paper edges), level or slanted (ruling_slant).

    A page whose long faint marks run off level is searched again turned by their slant. The search that finds
    the page's ruling (level, or turned) lets its lines be as wide as they are (see find_level_lines); the level
    search of a page ruled off level finds only pieces of its lines, and does not.
    """
    width_px = max_line_width_px(faint.shape)
    degrees = ruling_slant(faint)
    level = abs(degrees) < MIN_SLANT_DEG
    rulings = find_level_lines(faint, ink, width_px, level)
    if level:
        return rulings
    turn, back, canvas = rotations(faint.shape, degrees)
    # Interpolated and thresholded, a turned one-pixel line stays unbroken; the ink only needs its strokes.
    turned_faint = cv2.warpAffine(faint, turn, canvas, flags=cv2.INTER_LINEAR)
    turned_faint = cv2.threshold(turned_faint, 0, 255, cv2.THRESH_BINARY)[1]
    turned_ink = cv2.warpAffine(ink, turn, canvas, flags=cv2.INTER_NEAREST)
    turned = find_level_lines(turned_faint, turned_ink, width_px + TURNED_LINE_GROWTH_PX, True)
    if not turned.horizontal:
        return rulings
    height, width = faint.shape
    mask = cv2.warpAffine(turned.mask, back, (width, height), flags=cv2.INTER_NEAREST)
    return Rulings(cv2.bitwise_or(rulings.mask, mask), True, rulings.vertical or turned.vertical)


def max_line_width_px(shape: tuple[int, int]) -> int:
    """The widest a line may be in an image of `shape` (h, w): MAX_LINE_WIDTH_PX, as many times more as the
    image is larger than LINE_WIDTH_SIDE_PX."""
    return max(MAX_LINE_WIDTH_PX, round(MAX_LINE_WIDTH_PX * max(shape) / LINE_WIDTH_SIDE_PX))


def ruling_slant(faint: np.ndarray) -> float:
    """The angle in degrees (within ±MAX_SLANT_DEG, or beyond it up to ±WIDE_SLANT_DEG where there is none
    within, then up to ±WIDEST_SLANT_DEG where there is none within ±WIDE_SLANT_DEG either) of the longest
    straight faint marks running about horizontally, found by a Hough transform on a LINE_SQUEEZE times
    smaller copy; 0 if there are none.

    A ruling is several parallel lines: the median angle of the strongest few is its slant.
    """
    small = cv2.threshold(shrink(faint, LINE_SQUEEZE), SLANT_COVERAGE - 1, 255, cv2.THRESH_BINARY)[1]
    votes = max(MIN_LINE_LENGTH_PX // LINE_SQUEEZE, small.shape[1] // 2)
    # Only runs along the row can vote: vertical grid lines and most strokes leave, halving the Hough's work.
    runs = cv2.erode(small, rect(SLANT_RUN_PX, 1))
    slant = np.deg2rad(MAX_SLANT_DEG)
    found = cv2.HoughLines(runs, 1, np.deg2rad(SLANT_STEP_DEG), votes,
                           min_theta=np.pi / 2 - slant, max_theta=np.pi / 2 + slant)
    if found is not None and len(found) >= 2:
        return float(np.rad2deg(np.median(found[:5, 0, 1])) - 90.0)
    degrees = wide_slant(cv2.erode(small, rect(WIDE_SLANT_RUN_PX, 1)), votes, MAX_SLANT_DEG, WIDE_SLANT_DEG)
    if degrees != 0.0:
        return degrees
    return wide_slant(cv2.erode(small, rect(WIDEST_SLANT_RUN_PX, 1)), votes, WIDE_SLANT_DEG, WIDEST_SLANT_DEG)


def wide_slant(runs: np.ndarray, votes: int, nearest_deg: float, farthest_deg: float) -> float:
    """The angle in degrees of the strongest few long straight marks of `runs` between `nearest_deg` and
    `farthest_deg` off level, on either side (two narrow searches cost about half of one across the whole
    range); 0 if there are fewer than two."""
    found = []
    for low, high in ((-farthest_deg, -nearest_deg), (nearest_deg, farthest_deg)):
        band = cv2.HoughLinesWithAccumulator(runs, 1, np.deg2rad(SLANT_STEP_DEG), votes,
                                             min_theta=np.pi / 2 + np.deg2rad(low),
                                             max_theta=np.pi / 2 + np.deg2rad(high))
        if band is not None:
            found.append(band.reshape(-1, 3))  # rho, theta, votes
    found = np.concatenate(found) if found else np.zeros((0, 3), np.float32)
    if len(found) < 2:
        return 0.0
    strongest = found[np.argsort(-found[:, 2], kind="stable")[:5]]
    return float(np.rad2deg(np.median(strongest[:, 1])) - 90.0)


def rotations(shape: tuple[int, int], degrees: float) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Affine matrices turning an image of `shape` (h, w) so lines at `degrees` become level, onto a canvas
    large enough to hold all of it, and back; and the canvas size (w, h)."""
    height, width = shape
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(turn[0, 0]), abs(turn[0, 1])
    size = (int(np.ceil(width * cos + height * sin)), int(np.ceil(width * sin + height * cos)))
    turn[:, 2] += (size[0] - width) / 2, (size[1] - height) / 2
    return turn, cv2.invertAffineTransform(turn), size


def find_level_lines(faint: np.ndarray, ink: np.ndarray, max_width_px: int = MAX_LINE_WIDTH_PX,
                     measure: bool = False) -> Rulings:
    """Long thin horizontal and vertical structures (ruled and grid lines, paper edges).

    Lines are traced in `faint` (all marks slightly darker than the paper, where lines are whole) and must
    be thin in `ink` (the marks dark enough to be writing). Both happen on copies squeezed along the lines,
    which keep the full resolution across them. With `measure`, the lines of a ruling wider than `max_width_px`
    may be as wide as they are (ruling_width_px); vertical ones only on squared paper, where the horizontal ones
    are a ruling too: a close-up of "1"s stands side by side as a ruling's lines do.
    """
    height, width = faint.shape
    faint, ink = pad_to_squeeze(faint), pad_to_squeeze(ink)
    found = []
    ruled = False
    # Lines are traced upright, where OpenCV's long kernels run fastest: horizontal ones on a transposed copy.
    horizontal = trace_lines(cv2.transpose(squeeze_width(faint)), int(width / 3))
    if horizontal is not None:
        on_ink = cv2.bitwise_and(horizontal, cv2.transpose(squeeze_width(ink, whole=True)))
        ruling_px = ruling_width_px(on_ink) if measure else None
        ruled = ruling_px is not None
        thin = thin_marks(horizontal, on_ink, widest_line_px(max_width_px, ruling_px))
        found.append(cv2.bitwise_and(stretch_width(cv2.transpose(thin)), faint))
    # Vertical lines must be longer: the stem of a digit half the frame tall is a long straight stroke too.
    vertical = trace_lines(squeeze_height(faint), int(height / 2))
    if vertical is not None:
        on_ink = cv2.bitwise_and(vertical, squeeze_height(ink, whole=True))
        ruling_px = ruling_width_px(on_ink) if ruled else None
        thin = thin_marks(vertical, on_ink, widest_line_px(max_width_px, ruling_px))
        found.append(cv2.bitwise_and(stretch_height(thin), faint))
    if not found:
        return Rulings(np.zeros((height, width), np.uint8), False, False)
    lines = found[0] if len(found) == 1 else cv2.bitwise_or(*found)
    return Rulings(cv2.dilate(lines[:height, :width], None), horizontal is not None, vertical is not None)


def pad_to_squeeze(image: np.ndarray) -> np.ndarray:
    """`image` with blank rows and columns added so both sides are multiples of LINE_SQUEEZE."""
    bottom, right = -image.shape[0] % LINE_SQUEEZE, -image.shape[1] % LINE_SQUEEZE
    if bottom == right == 0:
        return image
    return cv2.copyMakeBorder(image, 0, bottom, 0, right, cv2.BORDER_CONSTANT, value=0)


def trace_lines(squeezed: np.ndarray, min_length_px: int) -> np.ndarray | None:
    """Vertical lines in a `squeezed` mask: runs at least `min_length_px` long (before squeezing), and the
    shorter pieces in line with them (a line interrupted by digits or fading into a shadow); None if there
    are none.

    The runs are thickened across by LINE_TILT_PX so slightly tilted lines still count.
    """
    if min_length_px < MIN_LINE_LENGTH_PX:
        return None
    length = min_length_px // LINE_SQUEEZE
    seeds = straight_runs(squeezed, length, LINE_TILT_PX)
    if seeds is None:
        return None
    pieces = straight_runs(squeezed, length // 3, 3)
    if pieces is None:  # the seeds wander more than pieces may
        return seeds
    # A piece counts in the columns of a seed, give or take half LINE_TILT_PX: one row of seed columns is
    # several times cheaper to grow than the seeds themselves. (numpy finds it ten times faster than
    # cv2.reduce.)
    seed_columns = cv2.dilate(seeds.max(axis=0, keepdims=True), rect(LINE_TILT_PX, 1))
    in_line = cv2.repeat(seed_columns, seeds.shape[0], 1)
    return cv2.bitwise_or(seeds, cv2.bitwise_and(pieces, in_line))


def thin_marks(found: np.ndarray, on_ink: np.ndarray, max_width_px: int = MAX_LINE_WIDTH_PX) -> np.ndarray:
    """The squeezed vertical lines `found`, less the pen strokes thicker than `max_width_px` across them
    (the long strokes of large digits).

    `on_ink` is `found` where the ink, squeezed the same way, fills every pixel of a block: a pen stroke
    crossing a line fills no block unless it is as wide as one, so thin crossings leave the line whole.
    """
    stroke_cores = cv2.erode(on_ink, rect(max_width_px + 1, 1))
    # The opening's dilation and a pixel of margin across, in one dilation.
    strokes = cv2.dilate(stroke_cores, rect(max_width_px + 3, 1))
    return cv2.subtract(found, strokes)


def widest_line_px(max_width_px: int, ruling_px: float | None) -> int:
    """How wide a line may be: `max_width_px`, or where a ruling's lines are `ruling_px` wide, more than that but
    at most MAX_RULING_WIDTH_SHARE times as much, as wide as they are and RULING_WIDTH_MARGIN_PX more."""
    if ruling_px is None or not max_width_px < ruling_px <= MAX_RULING_WIDTH_SHARE * max_width_px:
        return max_width_px
    return round(ruling_px) + RULING_WIDTH_MARGIN_PX


def ruling_width_px(on_lines: np.ndarray) -> float | None:
    """The width across of the vertical lines of a ruling in a squeezed mask `on_lines` (the traced lines
    where they are ink): the median width of the lines crossing its rows; None unless MIN_RULING_LINES or more
    cross at least half of its rows, all about as wide (see RULING_WIDTH_SPREAD)."""
    rows, columns = on_lines.shape
    # Each line crossing a row is a run of ink in it: where the row, padded with paper, changes from paper to ink
    # and back, in that order (found in one pass over the flattened rows, as the rows' pairs of edges).
    padded = np.zeros((rows, columns + 2), bool)
    padded[:, 1:-1] = on_lines > 0
    edges = np.flatnonzero(padded[:, 1:] != padded[:, :-1])
    starts, ends = edges[0::2], edges[1::2]
    row_of = starts // (columns + 1)
    lines_per_row = np.bincount(row_of, minlength=rows)
    ruled = lines_per_row >= MIN_RULING_LINES
    if not rows or np.count_nonzero(ruled) < 0.5 * rows:
        return None
    widths = (ends - starts)[ruled[row_of]]
    narrow, typical, wide = np.percentile(widths, [10, 50, 90])
    return float(typical) if wide <= RULING_WIDTH_SPREAD * narrow else None


# Lines are traced on copies squeezed LINE_SQUEEZE times along them, which makes the long kernels cheap.
def squeeze_width(binary: np.ndarray, whole: bool = False) -> np.ndarray:
    """(h, w) mask → (h, w / LINE_SQUEEZE): a pixel is set where any (`whole`: every one) of its LINE_SQUEEZE
    pixels in the row is."""
    # Four neighbouring bytes read as one int32 are non-zero exactly when one of them is, -1 when all are 255.
    # numpy, not cv2.compare: OpenCV reads a four-element array such as a one-word-wide strip as a scalar.
    words = np.ascontiguousarray(binary).view(np.int32)
    return (words == -1 if whole else words != 0).view(np.uint8) * np.uint8(255)


def stretch_width(squeezed: np.ndarray) -> np.ndarray:
    """The inverse of squeeze_width for a 0/255 mask: each pixel repeated LINE_SQUEEZE times along the row."""
    # 255 read as int8 is -1, which widens to an int32 of four 255 bytes.
    return squeezed.view(np.int8).astype(np.int32).view(np.uint8)


def squeeze_height(binary: np.ndarray, whole: bool = False) -> np.ndarray:
    """(h, w) mask → (h / LINE_SQUEEZE, w): a pixel is set where any (`whole`: every one) of its LINE_SQUEEZE
    pixels in the column is."""
    combine = cv2.bitwise_and if whole else cv2.bitwise_or
    squeezed = binary[0::LINE_SQUEEZE]
    for offset in range(1, LINE_SQUEEZE):
        squeezed = combine(squeezed, binary[offset::LINE_SQUEEZE])
    return squeezed


def stretch_height(squeezed: np.ndarray) -> np.ndarray:
    """The inverse of squeeze_height: each row repeated LINE_SQUEEZE times."""
    return np.repeat(squeezed, LINE_SQUEEZE, axis=0)


def straight_runs(binary: np.ndarray, length: int, drift: int) -> np.ndarray | None:
    """The pixels of `binary` on vertical runs at least `length` long that may wander `drift` columns;
    None if there are none."""
    band = cv2.dilate(binary, rect(drift, 1))
    # An opening, in its two halves: most pages without lines are settled after the first.
    cores = cv2.erode(band, rect(1, length))
    if not cv2.hasNonZero(cores):
        return None
    runs = cv2.dilate(cores, rect(1, length))
    return cv2.bitwise_and(cv2.erode(runs, rect(drift, 1)), binary)


def remove_lines(binary: np.ndarray, lines: np.ndarray, horizontal: bool = True, vertical: bool = True) -> np.ndarray:
    """`binary` without the `lines` mask; pen strokes the lines crossed are re-joined across the gap.

    `horizontal` and `vertical` tell which lines the mask holds: strokes are re-joined across those only.
    """
    lines = cv2.bitwise_and(lines, binary)
    if not cv2.hasNonZero(lines):
        return binary
    cleaned = cv2.subtract(binary, lines)
    bridged = cleaned
    if horizontal:
        bridged = cv2.morphologyEx(bridged, cv2.MORPH_CLOSE, rect(3, BRIDGE_PX))
    if vertical:
        bridged = cv2.morphologyEx(bridged, cv2.MORPH_CLOSE, rect(BRIDGE_PX, 3))
    return cv2.bitwise_or(cleaned, cv2.bitwise_and(bridged, lines))


def line_remnants(stats: np.ndarray, near_lines_px: np.ndarray) -> np.ndarray:
    """Boolean per component (stats rows of x, y, w, h, area): a flat mark lying along a removed line, so a
    piece of the line, not of a digit; `near_lines_px` counts its pixels within a pixel of the lines.

    Upright marks are kept: they may be a 1 written along a grid line.
    """
    flat = stats[:, cv2.CC_STAT_HEIGHT] * 2 <= stats[:, cv2.CC_STAT_WIDTH]
    return flat & (near_lines_px >= 0.8 * stats[:, cv2.CC_STAT_AREA])


class InkAxis(NamedTuple):
    """The principal axis of a mark's ink: its centre (x, y), unit vectors along and across it, half its
    length, and how far its ink spreads across it (the standard deviation), in pixels."""

    centre: np.ndarray
    along: np.ndarray
    across: np.ndarray
    half_length_px: float
    across_spread_px: float


def runs_on(contrast: np.ndarray, mask: np.ndarray, origin: tuple[int, int]) -> bool:
    """Whether a mark is a straight piece of a longer line: its ink lies along a straight axis, and the
    `contrast` image (uint8 (h, w), the processed frame) stays about as dark as the mark along that axis for
    RUN_ON_REACH of its length beyond its ends. A pen stroke ends where the pen was lifted; a crease, an edge
    or a grid line broken into pieces by the threshold runs on.

    mask: uint8 (h, w) the mark's ink (255), its top-left corner at `origin` (x, y) in `contrast`.
    """
    axis = ink_axis(mask)
    if axis is None:
        return False
    max_bend_px = MAX_PIECE_BEND * 2 * axis.half_length_px + MAX_PIECE_BEND_PX
    # Most marks are curved: their spread across the axis, from the moments alone, already tells.
    if axis.across_spread_px > max_bend_px:
        return False
    rows, columns = np.nonzero(mask)
    centre, along, across = axis.centre, axis.along, axis.across
    off_axis_px = np.abs((columns - centre[0]) * across[0] + (rows - centre[1]) * across[1])
    nearly_all = int(0.95 * (len(off_axis_px) - 1))  # a stray pixel of the anti-aliased edge does not count
    half_width_px = float(np.partition(off_axis_px, nearly_all)[nearly_all])
    if half_width_px > max_bend_px:
        return False  # curved or branched: a digit's strokes
    in_frame, band_px, half_length_px = centre + origin, half_width_px + RUN_ON_BAND_PX, axis.half_length_px
    reach = np.arange(half_length_px + 1, half_length_px + 1 + RUN_ON_REACH * 2 * half_length_px)
    beyond = darkest_across(contrast, band_places(in_frame, along, across, np.concatenate([reach, -reach]), band_px))
    if beyond.size < RUN_ON_REACH * half_length_px:
        return False  # most of the way on lies outside the frame: nothing to tell by
    on_mark = np.arange(-half_length_px, half_length_px + 1)
    within = darkest_across(contrast, band_places(in_frame, along, across, on_mark, band_px))
    # The same measure on the mark and beyond it: the darkest place across the axis, step by step.
    level = float(np.median(within)) if within.size else 0.0
    return float(np.mean(beyond >= RUN_ON_DARKNESS * level)) >= MIN_RUN_ON


def ink_axis(mask: np.ndarray) -> InkAxis | None:
    """The principal axis of a mask's ink, from its second moments (centre in mask pixels); None for a mark
    of under three pixels. An even stroke spreads its length / sqrt(12) along its axis."""
    moments = cv2.moments(mask, binaryImage=True)
    area = moments["m00"]
    if area < 3:
        return None
    # In closed form: numpy's eigh costs more than the whole test on a 2 × 2 matrix.
    spread_x, spread_y, skew = moments["mu20"] / area, moments["mu02"] / area, moments["mu11"] / area
    middle, radius = (spread_x + spread_y) / 2, math.hypot((spread_x - spread_y) / 2, skew)
    angle = 0.5 * math.atan2(2 * skew, spread_x - spread_y)
    along, across = np.array([math.cos(angle), math.sin(angle)]), np.array([-math.sin(angle), math.cos(angle)])
    centre = np.array([moments["m10"] / area, moments["m01"] / area])
    return InkAxis(centre, along, across, math.sqrt(3 * (middle + radius)), math.sqrt(max(middle - radius, 0.0)))


def band_places(centre: np.ndarray, along: np.ndarray, across: np.ndarray, steps: np.ndarray,
                half_band_px: float) -> np.ndarray:
    """float (K, B, 2): the (x, y) places `steps` (K,) pixels from `centre` along the unit vector `along`, each
    with the B places across it (the unit vector `across`) within `half_band_px`, one pixel apart."""
    offsets = np.arange(-round(half_band_px), round(half_band_px) + 1)
    return centre + steps[:, None, None] * along + offsets[None, :, None] * across


def darkest_across(contrast: np.ndarray, places: np.ndarray) -> np.ndarray:
    """The highest `contrast` in each row of (x, y) `places` (K, B, 2), for the rows wholly inside the
    frame: uint8 (K',), K' ≤ K."""
    height, width = contrast.shape
    columns, rows = np.rint(places[..., 0]).astype(np.int64), np.rint(places[..., 1]).astype(np.int64)
    inside = ((columns >= 0) & (columns < width) & (rows >= 0) & (rows < height)).all(axis=1)
    return contrast[rows[inside], columns[inside]].max(axis=1, initial=0)
