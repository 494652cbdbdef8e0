"""Stress scenes: one generator per way real paper differs from the project's own scenes, with ground truth.

Each class draws what the plain scenes (tests/scenes.py) never do: digits of very different sizes in one
frame, hair-line pens on large digits and markers on small ones, handwriting fonts as well as MNIST writers,
touching and overlapping neighbours, letters and punctuation in the same hand, digits cut by the frame edge,
coloured ballpoint on grey and coloured paper, whole pages of small digits on plain and on ruled paper, slanted
rules across the digits, chalk on a board among words, rotated numbers, blurred 320x240 frames, a sheet in a
room with wood, fabric or furniture around it, a camera focused past the page, a washed-out frame, a webcam
in a dim room, a shadow's hard edge across the page, a whole sheet seen from afar and a camera held close to
one number.

A scene is named by its class and seed. Seeds come in two ranges kept apart: `tune` (constants and training
mixes may be chosen on it) and `report` (only measured; the published figures). The fonts are read from
../shared/data/fonts beside the repository, or from other font files (use_fonts).

Scoring: digits cut by the frame edge by more than CLIPPED_LEGIBLE of their height or width are optional:
reading one right counts neither way, missing it is no error, but reading it as another digit is a false
digit. A digit cut by less is still plainly legible and counts like any other.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from camera_digits.training import handwriting
from camera_digits.training.handwriting import FONTS_DIR
from tests.handheld import motion_blur
from tests.scenes import SceneOptions, SceneTruth, TruthDigit, degrade, ink_glyph, mnist_test, paper_background
from tests.scenes import overlaps, shifted_truth, write_ink

FONT_FILES = ("CabinSketch-Regular.ttf", "DancingScript-Bold.otf", "DancingScript-Regular.otf",
              "Havana-Regular.otf", "Joscelyn-Regular.otf", "Rufscript010.ttf", "lobster.otf")
FONT_RENDER_PX = 120      # fonts are rendered once at this size and scaled from there
SPLITS = {"tune": 0, "report": 1_000_000}  # first seed of each range; a range holds a million seeds
CLIPPED_LEGIBLE = 0.08    # a digit cut by at most this fraction of its size must still be read
COVERAGE_LEVEL = 0.2      # ink coverage that counts as part of a digit's box (as tests/scenes.py)

# Letters and punctuation people write beside digits. Look-alikes of digits (O o D l I i S s Z z B g q T)
# are left out: one glyph alone cannot tell them from a digit.
DISTRACTOR_CHARS = "?@%&#AMKWxXHNkwmEFRYVhnur!"
WORDS = ("Name", "Mark", "Key", "Hw", "Ex", "Fr", "Km", "Ave", "Rue", "Max", "Park", "Wax", "New", "Year", "Week",
         "Hut", "Area", "Menu", "Rank", "Fax")
INKS = {  # multiplicative BGR factors: what a pen does to the paper's colour
    "black": (0.14, 0.13, 0.12), "blue": (0.72, 0.32, 0.14), "red": (0.2, 0.2, 0.78),
    "green": (0.35, 0.6, 0.2), "violet": (0.62, 0.2, 0.45),
}
PAPERS = {  # BGR paper colours
    "grey": (0.62, 0.62, 0.62), "yellow": (0.5, 0.88, 0.93), "pink": (0.8, 0.7, 0.96),
    "blue": (0.93, 0.8, 0.66), "green": (0.66, 0.9, 0.7), "kraft": (0.45, 0.6, 0.72),
}


# ---------------------------------------------------------------------------------------------- glyphs

@dataclass(frozen=True)
class Glyph:
    """Ink coverage float32 (h, w) in [0, 1] cropped to the ink, and where its top is: pixels above (< 0)
    or below the baseline it is written on."""

    coverage: np.ndarray
    top: float


font_folders: dict[str, Path] = {}  # where fonts other than the shared ones are (use_fonts)


@lru_cache(maxsize=None)
def load_font(name: str):
    path = font_folders.get(name, FONTS_DIR) / name
    if not path.is_file():
        raise FileNotFoundError(f"font {path} missing: the stress scenes read the fonts from ../shared/data/fonts")
    return handwriting.load_font(path, FONT_RENDER_PX)


def use_fonts(paths: list[Path]) -> None:
    """Draw the font hands of the scenes (the digits of half of them, the letters of all) in these font
    files instead of the shared fonts: hands the model was never trained on, to check how far the figures
    carry over to other writers."""
    global FONT_FILES
    missing = [str(path) for path in paths if not path.is_file()]
    if missing or not paths:
        raise FileNotFoundError(f"no font file at {', '.join(missing) or 'none given'}")
    names = [path.name for path in paths]
    if len(set(names)) < len(names):
        raise ValueError(f"two font files share a name among {', '.join(map(str, paths))}: copy one")
    FONT_FILES = tuple(names)
    font_folders.update((path.name, path.parent) for path in paths)
    load_font.cache_clear()
    font_render.cache_clear()


@lru_cache(maxsize=None)
def font_render(name: str, char: str) -> Glyph:
    """One character of a font at FONT_RENDER_PX, cropped to its ink, top relative to the baseline."""
    from PIL import Image, ImageDraw

    font, pad = load_font(name), 4
    left, top, right, bottom = font.getbbox(char, anchor="ls")
    image = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad))
    ImageDraw.Draw(image).text((pad - left, pad - top), char, fill=255, font=font, anchor="ls")
    coverage = np.asarray(image, np.float32) / 255.0
    rows, cols = np.nonzero(coverage > 0.1)
    crop = coverage[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    return Glyph(np.ascontiguousarray(crop), float(rows.min() - (pad - top)))


def font_glyph(rng, name: str, char: str, digit_height_px: float) -> Glyph:
    """A font character scaled so that the font's digits are `digit_height_px` tall, slanted and widened a
    little at random so that no two copies of a character are the same."""
    scale = digit_height_px / font_render(name, "0").coverage.shape[0]
    glyph = font_render(name, char)
    height = max(2, round(glyph.coverage.shape[0] * scale))
    width = max(1, round(glyph.coverage.shape[1] * scale * rng.uniform(0.85, 1.15)))
    coverage = np.clip(cv2.resize(glyph.coverage, (width, height), interpolation=cv2.INTER_AREA), 0, 1)
    return Glyph(shear(coverage, rng.uniform(-0.15, 0.15)), glyph.top * scale)


def shear(coverage: np.ndarray, slope: float) -> np.ndarray:
    """Slant a glyph: each row moves right by `slope` × its height above the bottom row."""
    height, width = coverage.shape
    extra = int(np.ceil(abs(slope) * height))
    matrix = np.float32([[1, -slope, max(slope, 0.0) * (height - 1)], [0, 1, 0]])
    return crop_to_ink(cv2.warpAffine(coverage, matrix, (width + extra, height), flags=cv2.INTER_LINEAR))


def crop_to_ink(coverage: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(coverage > 0.02)
    if rows.size == 0:
        return coverage
    return np.ascontiguousarray(coverage[rows.min():rows.max() + 1, cols.min():cols.max() + 1])


def skeleton(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a boolean mask to one-pixel-wide centre lines (uint8 0/1)."""
    image = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p2, p3, p4 = image[:-2, 1:-1], image[:-2, 2:], image[1:-1, 2:]
            p5, p6, p7 = image[2:, 2:], image[2:, 1:-1], image[2:, :-2]
            p8, p9 = image[1:-1, :-2], image[:-2, :-2]
            ring = (p2, p3, p4, p5, p6, p7, p8, p9, p2)
            neighbours = sum(p.astype(np.int32) for p in ring[:8])
            transitions = sum(((a == 0) & (b == 1)).astype(np.int32) for a, b in zip(ring, ring[1:]))
            remove = (image[1:-1, 1:-1] == 1) & (neighbours >= 2) & (neighbours <= 6) & (transitions == 1)
            if step == 0:
                remove &= (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                remove &= (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            if remove.any():
                image[1:-1, 1:-1][remove] = 0
                changed = True
        if not changed:
            return image[1:-1, 1:-1]


SKELETON_PX = 64  # glyphs are thinned at this height at most: centre lines need no more detail


def restroke(coverage: np.ndarray, stroke_px: float) -> np.ndarray:
    """The same glyph drawn again along its centre lines with a pen `stroke_px` wide (a ballpoint on a large
    digit, a marker on a small one)."""
    height, width = coverage.shape
    factor = min(1.0, SKELETON_PX / height)
    small = cv2.resize(coverage, (max(2, round(width * factor)), max(2, round(height * factor))),
                       interpolation=cv2.INTER_AREA)
    centre = skeleton(small > 0.5)
    ys, xs = np.nonzero(centre)
    pad = int(np.ceil(stroke_px / 2)) + 2
    canvas = np.zeros((height + 2 * pad, width + 2 * pad), np.uint8)
    links = []
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):  # each pair of neighbouring centre pixels once
        to_y, to_x = ys + dy, xs + dx
        inside = (to_y < centre.shape[0]) & (to_x >= 0) & (to_x < centre.shape[1])
        linked = np.zeros_like(inside)
        linked[inside] = centre[to_y[inside], to_x[inside]] == 1
        links.append(np.column_stack([xs, ys, to_x, to_y])[linked])
    links = np.concatenate(links).reshape(-1, 2, 2)
    if len(links) == 0:  # a dot-sized glyph: keep it as it was
        return coverage
    ends = np.round(((links + 0.5) / factor - 0.5 + pad) * 16).astype(np.int32)
    cv2.polylines(canvas, list(ends), False, 255, 1, cv2.LINE_8, shift=4)
    # The pen covers what lies within half its width of the centre line, with a one-pixel soft edge.
    distance = cv2.distanceTransform(cv2.bitwise_not(canvas), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return crop_to_ink(np.clip(stroke_px / 2 + 0.5 - distance, 0.0, 1.0))


@lru_cache(maxsize=1)
def indices_by_label() -> tuple[np.ndarray, ...]:
    labels = mnist_test()[1]
    return tuple(np.flatnonzero(labels == digit) for digit in range(10))


@dataclass(frozen=True)
class Hand:
    """Who writes: MNIST writers (font None) or a handwriting font, and optionally the pen's stroke width as
    a fraction of the digit height (None: the hand's own). Letters of an MNIST hand come from `letters_font`
    drawn with an MNIST-like pen, so that digits and letters look written by one person."""

    font: str | None
    letters_font: str
    stroke: float | None = None

    def digit(self, rng, label: int, height_px: float) -> Glyph:
        if self.font is None:
            index = int(rng.choice(indices_by_label()[label]))
            glyph = Glyph(ink_glyph(mnist_test()[0][index], max(2, round(height_px))), -height_px)
        else:
            glyph = font_glyph(rng, self.font, str(label), height_px)
        return self.pen(glyph, height_px)

    def char(self, rng, char: str, height_px: float) -> Glyph:
        glyph = font_glyph(rng, self.font or self.letters_font, char, height_px)
        if self.font is None and self.stroke is None:
            return Glyph(restroke(glyph.coverage, rng.uniform(0.09, 0.13) * height_px), glyph.top)
        return self.pen(glyph, height_px)

    def pen(self, glyph: Glyph, height_px: float) -> Glyph:
        if self.stroke is None:
            return glyph
        return Glyph(restroke(glyph.coverage, self.stroke * height_px), glyph.top)


def random_hand(rng, stroke: float | None = None, fonts_only: bool = False) -> Hand:
    """Half the scenes in MNIST writers' hands, half in one of the fonts."""
    font = None if not fonts_only and rng.random() < 0.5 else str(rng.choice(FONT_FILES))
    return Hand(font, str(rng.choice(FONT_FILES)), stroke)


# ---------------------------------------------------------------------------------------------- writing

@dataclass
class Item:
    """Something written in one go (a number, a word, a number with a sign beside it): the ink of each glyph
    on the item's own canvas, its digit label (None for a letter or sign), and the numbers it holds as
    (text, indices of its parts)."""

    parts: list[tuple[np.ndarray, int | None]]
    numbers: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int]:
        return self.parts[0][0].shape

    @property
    def coverage(self) -> np.ndarray:
        return np.maximum.reduce([coverage for coverage, _ in self.parts])


def write(hand: Hand, rng, text: str, height_px: float, gaps=(0.25, 0.6), wobble: float = 0.04) -> Item:
    """Write `text` (digits, letters and signs, no spaces) on a baseline.

    gaps: the range of the space between neighbours as a fraction of their mean width (negative: overlap).
    wobble: the baseline moves up and down by this fraction of the height from glyph to glyph.
    """
    placed, x, previous_width = [], 0.0, 0
    for char in text:
        size = height_px * rng.uniform(0.92, 1.08)
        glyph = hand.digit(rng, int(char), size) if char.isdigit() else hand.char(rng, char, size)
        width = glyph.coverage.shape[1]
        if placed:
            x += rng.uniform(*gaps) * (previous_width + width) / 2
        top = glyph.top + rng.uniform(-wobble, wobble) * height_px
        placed.append((glyph.coverage, int(char) if char.isdigit() else None, x, top))
        x += width
        previous_width = width
    return compose_item(placed)


def compose_item(placed) -> Item:
    """Glyphs at (x, top) → an Item whose canvas just holds them; runs of digits become its numbers."""
    left = min(x for _, _, x, _ in placed)
    top = min(t for _, _, _, t in placed)
    width = int(np.ceil(max(x + c.shape[1] for c, _, x, _ in placed) - left)) + 1
    height = int(np.ceil(max(t + c.shape[0] for c, _, _, t in placed) - top)) + 1
    parts = []
    for coverage, label, x, t in placed:
        canvas = np.zeros((height, width), np.float32)
        col, row = int(round(x - left)), int(round(t - top))
        h, w = coverage.shape
        canvas[row:row + h, col:col + w] = coverage[:height - row, :width - col]
        parts.append((canvas, label))
    numbers, run = [], []
    for index, (_, label) in enumerate(parts + [(None, None)]):
        if label is not None:
            run.append(index)
        elif run:
            numbers.append(("".join(str(parts[i][1]) for i in run), tuple(run)))
            run = []
    return Item(parts, numbers)


def rotated(item: Item, degrees: float) -> Item:
    """The item turned by `degrees` (counter-clockwise) about its centre, on a canvas that holds it."""
    height, width = item.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(np.ceil(width * cos + height * sin)) + 2, int(np.ceil(width * sin + height * cos)) + 2
    matrix[:, 2] += (new_w - width) / 2, (new_h - height) / 2
    parts = [(cv2.warpAffine(coverage, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR), label)
             for coverage, label in item.parts]
    return Item(parts, item.numbers)


def random_digits(rng, low: int, high: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(low, high + 1))))


# ---------------------------------------------------------------------------------------------- scenes

def paper(rng, size: tuple[int, int], colour=None) -> np.ndarray:
    """Lit paper float32 (H, W, 3) in [0, 1]: tests/scenes.py's paper drawn at most 640 px wide (light and
    shadows are smooth) and enlarged; `colour` (BGR) replaces its random tint."""
    height, width = size
    factor = min(1.0, 640 / max(size))
    small = (max(8, round(height * factor)), max(8, round(width * factor)))
    sheet = paper_background(rng, small, SceneOptions(size=small))
    if colour is not None:
        sheet = sheet / sheet.reshape(-1, 3).max(axis=0) * np.float32(colour)
    return cv2.resize(sheet, (width, height), interpolation=cv2.INTER_LINEAR) if factor < 1 else sheet


def place(rng, size: tuple[int, int], items: list[Item], margin_px: int = 6, tries: int = 60):
    """Random free spots for the items, in their order: [(item, x, y)]; items that do not fit are left out."""
    height, width = size
    placed, boxes = [], []
    for item in items:
        h, w = item.shape
        if h + 8 > height or w + 8 > width:
            continue
        for _ in range(tries):
            x, y = int(rng.integers(4, width - w - 3)), int(rng.integers(4, height - h - 3))
            if not any(overlaps((x, y, w, h), box, margin_px) for box in boxes):
                placed.append((item, x, y))
                boxes.append((x, y, w, h))
                break
    return placed


def draw(sheet: np.ndarray, placed, ink) -> tuple[list[TruthDigit], list[str], list[tuple]]:
    """Write the placed items in `ink` (a BGR factor, > 1 for chalk on a board), clipped to the sheet.

    Returns the digits (boxes of their visible ink, clipped flag for digits cut beyond legibility), the
    numbers whose digits all count, and the boxes of the letters and signs.
    """
    height, width = sheet.shape[:2]
    ink = np.asarray(ink, np.float32)
    digits, numbers, marks = [], [], []
    for item, x, y in placed:
        h, w = item.shape
        x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
        if x1 <= x0 or y1 <= y0:
            continue
        window = (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))
        visible = item.coverage[window]
        if visible.max() > COVERAGE_LEVEL:
            write_ink(sheet, visible, x0, y0, ink)
        counted = set()
        for index, (coverage, label) in enumerate(item.parts):
            full, seen = ink_box(coverage), ink_box(coverage[window])
            if seen is None:
                continue
            box = (seen[0] + x0, seen[1] + y0, seen[2], seen[3])
            if label is None:
                marks.append(box)
                continue
            cut = max(1 - seen[2] / full[2], 1 - seen[3] / full[3])
            digits.append(TruthDigit(box, label, clipped=cut > CLIPPED_LEGIBLE))
            if cut <= CLIPPED_LEGIBLE:
                counted.add(index)
        numbers += [text for text, indices in item.numbers if set(indices) <= counted]
    return digits, numbers, marks


def ink_box(coverage: np.ndarray):
    rows = np.flatnonzero((coverage > COVERAGE_LEVEL).any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero((coverage > COVERAGE_LEVEL).any(axis=0))
    return (int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))


def finish(rng, sheet, placed, ink, kind: str, camera: bool = True) -> tuple[np.ndarray, SceneTruth]:
    """Draw the items, then the camera (blur, noise, JPEG): the frame and its truth."""
    digits, numbers, marks = draw(sheet, placed, ink)
    frame = degrade(rng, sheet) if camera else np.clip(sheet * 255 + 0.5, 0, 255).astype(np.uint8)
    return frame, SceneTruth(tuple(digits), tuple(numbers), tuple(marks), kind)


def any_frame_size(rng) -> tuple[int, int]:
    return ((480, 640), (720, 1280))[int(rng.integers(2))]


def dark_ink(rng):
    return INKS[str(rng.choice(["black", "blue"]))]


def mixed_sizes(rng):
    """Digits 12–250 px tall in one frame, the largest up to 4× the smallest."""
    size = any_frame_size(rng)
    small = rng.uniform(12, min(62, size[0] * 0.5 / 4))
    large = min(250, size[0] * 0.45, small * rng.uniform(2.0, 4.0))
    hand = random_hand(rng)
    heights = [small, large] + list(np.exp(rng.uniform(np.log(small), np.log(large), int(rng.integers(2, 6)))))
    items = [write(hand, rng, random_digits(rng, 1, 4), height) for height in heights]
    return finish(rng, paper(rng, size), place(rng, size, items, margin_px=int(small)), dark_ink(rng), "mixed_sizes")


def thin_pen(rng):
    """Large digits (120–250 px) drawn with a ballpoint 1–2 % of their height wide, on grey paper with a
    soft crease shadow."""
    size = any_frame_size(rng)
    height = rng.uniform(120, min(250, size[0] * 0.55))
    hand = random_hand(rng, stroke=rng.uniform(0.01, 0.02))
    items = [write(hand, rng, random_digits(rng, 1, 3), height * rng.uniform(0.9, 1.0))
             for _ in range(int(rng.integers(1, 3)))]
    sheet = paper(rng, size, colour=np.full(3, rng.uniform(0.55, 0.8)))
    crease(rng, sheet)
    ink = pressed(INKS[str(rng.choice(["blue", "black"]))], rng.uniform(0.6, 1.0))
    return finish(rng, sheet, place(rng, size, items, margin_px=int(height * 0.3)), ink, "thin_pen")


def pressed(ink, pressure: float) -> np.ndarray:
    """A pen's colour at a lighter touch: `pressure` 1 is the full ink, 0 no ink at all."""
    return 1.0 - pressure * (1.0 - np.float32(ink))


def crease(rng, sheet: np.ndarray) -> None:
    """A soft dark band along a random line across the sheet, in place: a fold in the paper."""
    height, width = sheet.shape[:2]
    angle = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    distance = np.cos(angle) * (xx - rng.uniform(0, width)) + np.sin(angle) * (yy - rng.uniform(0, height))
    band = 1.0 - rng.uniform(0.08, 0.2) * np.exp(-(distance / rng.uniform(4, 16)) ** 2)
    sheet *= band[..., None]


def thick_marker(rng):
    """Small digits (14–32 px) in a marker whose stroke is 15–25 % of their height (much thicker and the
    loops close up)."""
    size = (480, 640)
    hand = random_hand(rng, stroke=rng.uniform(0.15, 0.25))
    height = rng.uniform(14, 32)
    items = [write(hand, rng, random_digits(rng, 1, 4), height) for _ in range(int(rng.integers(3, 8)))]
    return finish(rng, paper(rng, size), place(rng, size, items, margin_px=int(height)), INKS["black"],
                  "thick_marker")


def fonts(rng):
    """Numbers in one of the handwriting fonts, 20–90 px tall."""
    size = (480, 640)
    hand = random_hand(rng, fonts_only=True)
    height = rng.uniform(20, 90)
    items = [write(hand, rng, random_digits(rng, 1, 4), height) for _ in range(int(rng.integers(2, 7)))]
    return finish(rng, paper(rng, size), place(rng, size, items, margin_px=int(height * 0.6)), dark_ink(rng),
                  "fonts")


def touching(rng):
    """Phone-number-like runs of 3–11 small digits whose neighbours touch or overlap: gaps from −15 % to
    +10 % of a digit's width."""
    size = (480, 640)
    hand = random_hand(rng)
    height = rng.uniform(15, 60)
    items = [write(hand, rng, random_digits(rng, 3, 11), height, gaps=(-0.15, 0.10), wobble=0.02)
             for _ in range(int(rng.integers(2, 6)))]
    return finish(rng, paper(rng, size), place(rng, size, items, margin_px=int(height * 0.6)), dark_ink(rng),
                  "touching")


def distractors(rng):
    """Numbers among letters and punctuation in the same hand: words alone, and signs right beside numbers
    (#12, 40%, A7)."""
    size = (480, 640)
    hand = random_hand(rng)
    height = rng.uniform(22, 70)
    items = []
    for _ in range(int(rng.integers(2, 5))):
        number = random_digits(rng, 1, 4)
        sign = str(rng.choice(list(DISTRACTOR_CHARS)))
        where = rng.random()
        text = sign + number if where < 0.25 else number + sign if where < 0.5 else number
        items.append(write(hand, rng, text, height))
    for _ in range(int(rng.integers(2, 6))):
        word = "".join(rng.choice(list(DISTRACTOR_CHARS), int(rng.integers(1, 4))))
        items.append(write(hand, rng, word if rng.random() < 0.5 else str(rng.choice(WORDS)), height))
    return finish(rng, paper(rng, size), place(rng, size, items, margin_px=int(height * 0.6)), dark_ink(rng),
                  "distractors")


def frame_edge(rng):
    """Numbers inside the frame and single digits or pairs cut by its edge: from touching it (still legible,
    counted) to cut by 45 % (optional)."""
    size = (480, 640)
    hand = random_hand(rng)
    height = rng.uniform(28, 90)
    inside = [write(hand, rng, random_digits(rng, 1, 3), height) for _ in range(int(rng.integers(1, 3)))]
    placed = place(rng, size, inside, margin_px=int(height))
    for side in rng.choice(4, int(rng.integers(2, 5)), replace=False):
        item = write(hand, rng, random_digits(rng, 1, 2), height)
        placed.append((item, *edge_position(rng, size, item, int(side))))
    placed = [entry for entry in placed if not crowded(entry, placed)]
    return finish(rng, paper(rng, size), placed, dark_ink(rng), "frame_edge")


def edge_position(rng, size, item: Item, side: int) -> tuple[int, int]:
    """Where to put an item so that its outermost digit on `side` (0 left, 1 right, 2 top, 3 bottom) is cut
    by 0–45 % of its size."""
    height, width = size
    h, w = item.shape
    boxes = [ink_box(coverage) for coverage, _ in item.parts]
    cut = rng.uniform(0.0, 0.45) if rng.random() < 0.6 else rng.uniform(0.0, CLIPPED_LEGIBLE)
    along_x, along_y = int(rng.integers(4, width - w - 3)), int(rng.integers(4, height - h - 3))
    if side == 0:
        first = min(boxes, key=lambda b: b[0])
        return -first[0] - int(cut * first[2]), along_y
    if side == 1:
        last = max(boxes, key=lambda b: b[0] + b[2])
        return width - (last[0] + last[2]) + int(cut * last[2]), along_y
    top = min(b[1] for b in boxes)
    if side == 2:
        return along_x, -top - int(cut * h)
    bottom = max(b[1] + b[3] for b in boxes)
    return along_x, height - bottom + int(cut * h)


def crowded(entry, placed) -> bool:
    """True for an edge item overlapping an item placed before it (the edge items are placed blindly)."""
    item, x, y = entry
    h, w = item.shape
    for other, ox, oy in placed:
        if other is item:
            return False
        oh, ow = other.shape
        if overlaps((x, y, w, h), (ox, oy, ow, oh), margin=8):
            return True
    return False


def colour_ink(rng):
    """Coloured ballpoint (blue, red, green, violet) 4–9 % of the height wide on grey or coloured paper."""
    size = (480, 640)
    hand = random_hand(rng, stroke=rng.uniform(0.04, 0.09))
    height = rng.uniform(25, 90)
    items = [write(hand, rng, random_digits(rng, 1, 4), height) for _ in range(int(rng.integers(2, 6)))]
    sheet = paper(rng, size, colour=PAPERS[str(rng.choice(list(PAPERS)))])
    ink = pressed(INKS[str(rng.choice(["blue", "red", "green", "violet"]))], rng.uniform(0.7, 1.0))
    return finish(rng, sheet, place(rng, size, items, margin_px=int(height * 0.6)), ink, "colour_ink")


def page(rng):
    """A whole page (2000–4000 px long side) with a table of small numbers: 1.6–3 % of the page's long side,
    10–19 px once the page is shrunk to 640 px."""
    size, height, hand = page_layout(rng)
    placed = table(rng, size, height, hand)
    return finish(rng, paper(rng, size), placed, dark_ink(rng), "page")


def ruled_page(rng):
    """page()'s table on ruled (sometimes squared) paper whose lines, 2–5 px wide and up to 3° off level, run
    1.1–1.6 times the writing's height apart, across the digits: read finer, the lines are as wide as the pen."""
    size, height, hand = page_layout(rng)
    sheet = paper(rng, size)
    slanted_lines(rng, sheet, height * rng.uniform(1.1, 1.6), rng.uniform(-3, 3), grid=rng.random() < 0.3,
                  width_px=int(rng.integers(2, 6)))
    return finish(rng, sheet, table(rng, size, height, hand), dark_ink(rng), "ruled_page")


def page_layout(rng) -> tuple[tuple[int, int], float, Hand]:
    """A page's size (2000–4000 px long side, portrait or landscape A4), the height its numbers are written at
    (1.6–3 % of the long side) and the hand that writes them."""
    long_side = int(rng.uniform(2000, 4000))
    size = (long_side, int(long_side / 1.414)) if rng.random() < 0.5 else (int(long_side / 1.414), long_side)
    return size, long_side * rng.uniform(0.016, 0.03), random_hand(rng)


def table(rng, size: tuple[int, int], height: float, hand: Hand) -> list[tuple[Item, int, int]]:
    """A table of 1–3 digit numbers in 6–12 rows and 3–7 columns over the page, each at a random spot in its
    cell, written `height` tall or less where the cells are too small for that. A number overlapping one
    placed before it is left out: some hands write far larger than their height, and a number written through
    another is no number."""
    rows, cols = int(rng.integers(6, 13)), int(rng.integers(3, 8))
    pitch_y, pitch_x = size[0] * 0.85 / rows, size[1] * 0.85 / cols
    if pitch_y < 1.6 * height or pitch_x < 3.5 * height:
        height = min(pitch_y / 1.6, pitch_x / 3.5)
    placed, boxes = [], []
    for row in range(rows):
        for col in range(cols):
            item = write(hand, rng, random_digits(rng, 1, 3), height)
            x = int(size[1] * 0.07 + col * pitch_x + rng.uniform(0, 0.2) * pitch_x)
            y = int(size[0] * 0.07 + row * pitch_y + rng.uniform(0, 0.2) * pitch_y)
            box = (x, y, item.shape[1], item.shape[0])
            on_page = x + item.shape[1] < size[1] - 4 and y + item.shape[0] < size[0] - 4
            if on_page and not any(overlaps(box, other) for other in boxes):
                placed.append((item, x, y))
                boxes.append(box)
    return placed


def slanted_rules(rng):
    """Ruled (sometimes squared) paper whose lines run up to 8° off the writing, crossing the digits;
    the rules 1–3 px wide, the numbers 2–10 digits."""
    return ruled_numbers(rng, "slanted_rules")


def moved_rules(rng):
    """The slanted_rules page under a camera moving while its shutter is open (a phone over a notebook): smeared
    along a straight move 0.4–1.2 % of the frame's longer side in any direction, then the camera's own blur,
    noise and JPEG. A move across the rules widens them as much as it smears the strokes."""
    frame, truth = ruled_numbers(rng, "moved_rules", camera=False)
    angle = rng.uniform(0, np.pi)
    move_px = rng.uniform(0.004, 0.012) * max(frame.shape[:2]) * np.array([np.cos(angle), np.sin(angle)])
    return degrade(rng, motion_blur(frame.astype(np.float32) / 255, move_px)), truth


def ruled_numbers(rng, kind: str, camera: bool = True) -> tuple[np.ndarray, SceneTruth]:
    """Numbers of 2–10 digits 25–75 px tall at 640×480 (twice at 1280×960) on ruled (sometimes squared) paper
    whose 1–3 px lines run up to 8° off the writing, crossing the digits (see finish for `camera`)."""
    size = ((480, 640), (960, 1280))[int(rng.integers(2))]
    scale = size[0] / 480
    height = rng.uniform(25, 75) * scale
    hand = random_hand(rng)
    items = [write(hand, rng, random_digits(rng, 2, 10), height) for _ in range(int(rng.integers(1, 4)))]
    sheet = paper(rng, size)
    spacing = height * rng.uniform(0.9, 1.5)
    slanted_lines(rng, sheet, spacing, rng.uniform(-8, 8), grid=rng.random() < 0.25, width_px=int(rng.integers(1, 4)))
    return finish(rng, sheet, place(rng, size, items, margin_px=int(height * 0.6)), dark_ink(rng), kind, camera)


def slanted_lines(rng, sheet: np.ndarray, spacing_px: float, degrees: float, grid: bool, width_px: int) -> None:
    """Parallel lines `spacing_px` apart at `degrees` off horizontal across the whole sheet, in place
    (and their perpendiculars for squared paper)."""
    height, width = sheet.shape[:2]
    colour = tuple(float(v) for v in sheet[height // 2, width // 2] * np.float32(INKS["blue"]) ** 0.5
                   * rng.uniform(0.8, 1.0))
    angle = np.radians(degrees)
    direction = np.array([np.cos(angle), np.sin(angle)])
    normal = np.array([-np.sin(angle), np.cos(angle)])
    reach = np.hypot(height, width)
    centre = np.array([width / 2, height / 2])
    for axis, across in ((direction, normal), (normal, direction))[:2 if grid else 1]:
        for offset in np.arange(-reach / 2, reach / 2, spacing_px) + rng.uniform(0, spacing_px):
            start, end = centre + across * offset - axis * reach, centre + across * offset + axis * reach
            cv2.line(sheet, tuple(np.round(start * 16).astype(int)), tuple(np.round(end * 16).astype(int)),
                     colour, width_px, cv2.LINE_AA, shift=4)


def dark_board(rng):
    """Chalk on a black or green board: numbers among chalk words, grainy strokes, smudged board."""
    size = (480, 640)
    hand = random_hand(rng)
    height = rng.uniform(25, 80)
    items = [write(hand, rng, random_digits(rng, 1, 4), height) for _ in range(int(rng.integers(2, 5)))]
    items += [write(hand, rng, str(rng.choice(WORDS)), height) for _ in range(int(rng.integers(2, 5)))]
    for item in items:
        grain = cv2.GaussianBlur(rng.uniform(0.45, 1.0, item.shape).astype(np.float32), (0, 0), 0.7)
        item.parts = [(coverage * grain, label) for coverage, label in item.parts]
    board_colour = (0.12, 0.12, 0.12) if rng.random() < 0.5 else (0.16, 0.27, 0.13)
    board = paper(rng, size, colour=board_colour)
    smudge = cv2.resize(rng.uniform(0.85, 1.25, (6, 8)).astype(np.float32), size[::-1], interpolation=cv2.INTER_CUBIC)
    board *= smudge[..., None]
    chalk = rng.uniform(0.7, 0.92) / np.float32(board_colour)
    return finish(rng, board, place(rng, size, items, margin_px=int(height * 0.6)), chalk, "dark_board")


def rotated_numbers(rng):
    """Numbers turned by up to ±30° (a tilted page, a rolled camera)."""
    size = (480, 640)
    hand = random_hand(rng)
    height = rng.uniform(28, 80)
    items = [rotated(write(hand, rng, random_digits(rng, 1, 4), height), rng.uniform(-30, 30))
             for _ in range(int(rng.integers(2, 5)))]
    return finish(rng, paper(rng, size), place(rng, size, items, margin_px=int(height * 0.5)), dark_ink(rng),
                  "rotated")


def low_res(rng):
    """A 320×240 camera: digits 15–28 px, a whiteboard marker or pen, blur, noise and heavy JPEG."""
    size = (240, 320)
    hand = random_hand(rng)
    height = rng.uniform(15, 28)
    items = [write(hand, rng, random_digits(rng, 1, 4), height) for _ in range(int(rng.integers(2, 6)))]
    sheet = paper(rng, size)
    frame, truth = finish(rng, sheet, place(rng, size, items, margin_px=int(height * 0.6)), dark_ink(rng),
                          "low_res", camera=False)
    blurred = cv2.GaussianBlur(frame.astype(np.float32), (0, 0), rng.uniform(0.8, 1.6))
    noisy = np.clip(blurred + rng.normal(0, rng.uniform(2, 8), frame.shape), 0, 255).astype(np.uint8)
    quality = int(rng.integers(35, 80))
    return cv2.imdecode(cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR), truth


def pen_numbers(rng, kind: str, least_px: float) -> tuple[np.ndarray, SceneTruth, float]:
    """1–4 numbers in a pen or felt-tip 2.5–8 % of their height wide, each 0.8–1 times a height drawn from
    `least_px` to 120 px at 640×480 (1.5 times at 1280×720): the frame (uint8, before any blur or camera), its
    truth and its scale against 640×480 (the defocus and moved scenes)."""
    size = any_frame_size(rng)
    scale = size[0] / 480
    height = rng.uniform(least_px, 120) * scale
    hand = random_hand(rng, stroke=rng.uniform(0.025, 0.08))
    items = [write(hand, rng, random_digits(rng, 1, 4), height * rng.uniform(0.8, 1.0))
             for _ in range(int(rng.integers(1, 5)))]
    sheet = paper(rng, size)
    frame, truth = finish(rng, sheet, place(rng, size, items, margin_px=int(height * 0.5)), dark_ink(rng), kind,
                          camera=False)
    return frame, truth, scale


def defocus(rng):
    """A camera focused past the page (a fixed-focus webcam and a sheet held close to it): pen and felt-tip
    digits 24–120 px tall at 640×480 blurred by 1.2–3 px (1.5 times both at 1280×720), then the camera's own
    blur, noise and JPEG."""
    frame, truth, scale = pen_numbers(rng, "defocus", 30)
    blurred = cv2.GaussianBlur(frame.astype(np.float32) / 255, (0, 0), rng.uniform(1.2, 3.0) * scale)
    return degrade(rng, blurred), truth


def moved(rng):
    """A camera moving while its shutter is open (a hand-held phone or a sheet held up to a webcam): pen and
    felt-tip digits 19–120 px tall at 640×480 (1.5 times at 1280×720) smeared along a straight move 0.4–1.2 % of
    the frame's longer side in any direction, then the camera's own blur, noise and JPEG. A move smears a
    stroke across its width when it runs across the stroke, so one digit's strokes fade unevenly."""
    frame, truth, _ = pen_numbers(rng, "moved", 24)
    angle = rng.uniform(0, np.pi)
    move_px = rng.uniform(0.004, 0.012) * max(frame.shape[:2]) * np.array([np.cos(angle), np.sin(angle)])
    return degrade(rng, motion_blur(frame.astype(np.float32) / 255, move_px)), truth


def washed_out(rng):
    """A washed-out frame (a camera exposing for a bright room, glare on the sheet, a pencil or a pen running
    dry): digits 20–100 px tall at 640×480 (1.5 times at 1280×720) on a page whose contrast is pressed to
    20–50 % of itself about its mean, then the camera's blur, noise and JPEG."""
    size = any_frame_size(rng)
    heights = rng.uniform(20, 100, int(rng.integers(2, 6))) * size[0] / 480
    hand = random_hand(rng)
    items = [write(hand, rng, random_digits(rng, 1, 4), height) for height in heights]
    sheet = paper(rng, size)
    frame, truth = finish(rng, sheet, place(rng, size, items, margin_px=int(heights.min() * 0.5)), dark_ink(rng),
                          "washed_out", camera=False)
    image = frame.astype(np.float32) / 255
    mean = float(image.mean())
    return degrade(rng, mean + (image - mean) * rng.uniform(0.2, 0.5)), truth


def dim_light(rng):
    """A webcam in a dim room: ballpoint digits 20–80 px tall at 640×480 (1.5 times at 1280×720), their stroke
    3–7 % of their height, on a page lit at 25–45 % of full light, with the sensor noise (2–6 gray levels) that
    the camera's gain raises with it, then the camera's blur, noise and JPEG."""
    size = any_frame_size(rng)
    heights = rng.uniform(20, 80, int(rng.integers(2, 6))) * size[0] / 480
    hand = random_hand(rng, stroke=rng.uniform(0.03, 0.07))
    items = [write(hand, rng, random_digits(rng, 1, 4), height) for height in heights]
    sheet = paper(rng, size)
    frame, truth = finish(rng, sheet, place(rng, size, items, margin_px=int(heights.min() * 0.5)), dark_ink(rng),
                          "dim_light", camera=False)
    image = frame.astype(np.float32) / 255 * rng.uniform(0.25, 0.45)
    noise = rng.normal(0, rng.uniform(2, 6) / 255, image.shape).astype(np.float32)
    return degrade(rng, image + noise), truth


def hard_shadow(rng):
    """A sharp-edged shadow across the page (a phone, a hand or a lamp's arm under a point light): digits
    20–100 px tall at 640×480 (1.5 times at 1280×720), the light in the shadow 35–70 % of the rest, its edge a
    straight line at any angle through one of the digits, soft over at most 6 px; then the camera's blur, noise
    and JPEG."""
    size = any_frame_size(rng)
    heights = rng.uniform(20, 100, int(rng.integers(2, 6))) * size[0] / 480
    hand = random_hand(rng)
    items = [write(hand, rng, random_digits(rng, 1, 4), height) for height in heights]
    sheet = paper(rng, size)
    placed = place(rng, size, items, margin_px=int(heights.min() * 0.5))
    frame, truth = finish(rng, sheet, placed, dark_ink(rng), "hard_shadow", camera=False)
    image = frame.astype(np.float32) / 255 * shade_edge(rng, size, truth)[..., None]
    return degrade(rng, image), truth


def far_page(rng):
    """A camera that takes in a whole sheet from afar, or a low-resolution one (a webcam across a desk, a
    robot's camera): 4–10 numbers of digits 9–14 px tall at 320×240, 640×480 or 1280×720, in any hand; then the
    camera's blur, noise and JPEG."""
    size = ((240, 320), (480, 640), (720, 1280))[int(rng.integers(3))]
    height = rng.uniform(9, 14)
    hand = random_hand(rng)
    items = [write(hand, rng, random_digits(rng, 1, 4), height) for _ in range(int(rng.integers(4, 11)))]
    return finish(rng, paper(rng, size), place(rng, size, items, margin_px=int(height)), dark_ink(rng), "far_page")


def close_up(rng):
    """A camera held close to one digit or a short number: 1–4 digits 45–95 % of the frame's height (less where
    the number would not fit across), at 640×480 or 1280×720, in any hand with its own pen, a ballpoint 1 % of
    their height or a marker up to 22 %; then the camera's blur, noise and JPEG."""
    size = any_frame_size(rng)
    stroke = None if rng.random() < 1 / 3 else rng.uniform(0.01, 0.22)
    hand = random_hand(rng, stroke=stroke)
    text, height = random_digits(rng, 1, 4), size[0] * rng.uniform(0.45, 0.95)
    item = write(hand, rng, text, height)
    while item.shape[0] + 8 > size[0] or item.shape[1] + 8 > size[1]:
        height *= 0.9
        item = write(hand, rng, text, height)
    return finish(rng, paper(rng, size), place(rng, size, [item]), dark_ink(rng), "close_up")


def shade_edge(rng, size: tuple[int, int], truth: SceneTruth) -> np.ndarray:
    """The light over a frame of `size` (H, W): 1, and 0.35–0.7 in a shadow whose edge crosses one of the
    digits of `truth`."""
    height, width = size
    x, y, w, h = truth.digits[int(rng.integers(len(truth.digits)))].box if truth.digits else (0, 0, width, height)
    angle = rng.uniform(0, 2 * np.pi)  # the shadow on any side of its edge
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    centre_x, centre_y = x + w * rng.uniform(0.2, 0.8), y + h * rng.uniform(0.2, 0.8)
    distance = np.cos(angle) * (columns - centre_x) + np.sin(angle) * (rows - centre_y)
    half_penumbra = rng.uniform(0.0, 3.0)  # px
    lit = np.clip(0.5 + distance / (2 * max(half_penumbra, 1e-3)), 0, 1)
    darkness = rng.uniform(0.35, 0.7)
    return darkness + (1 - darkness) * lit


def cluttered(rng):
    """A sheet held up to the camera or lying on a desk: it fills 35–85 % of the frame, and around it are
    wood grain, fabric or furniture, which are neither paper nor writing."""
    size = (480, 640)
    side = float(np.sqrt(rng.uniform(0.35, 0.85)))
    sheet_size = (int(size[0] * side), int(size[1] * side))
    hand = random_hand(rng)
    height = rng.uniform(18, 60)
    items = [write(hand, rng, random_digits(rng, 1, 4), height) for _ in range(int(rng.integers(2, 6)))]
    sheet = paper(rng, sheet_size)
    digits, numbers, marks = draw(sheet, place(rng, sheet_size, items, margin_px=int(height * 0.6)), dark_ink(rng))
    frame = surroundings(rng, size)
    left, top = int(rng.integers(0, size[1] - sheet_size[1] + 1)), int(rng.integers(0, size[0] - sheet_size[0] + 1))
    frame[top:top + sheet_size[0], left:left + sheet_size[1]] = sheet
    on_sheet = SceneTruth(tuple(digits), tuple(numbers), tuple(marks), "cluttered")
    return degrade(rng, frame), shifted_truth(on_sheet, left, top)


def surroundings(rng, size: tuple[int, int]) -> np.ndarray:
    """What lies around a sheet, float32 BGR (H, W, 3) in [0, 1]: wood grain, fabric or furniture."""
    return (wood_grain, fabric, furniture)[int(rng.integers(3))](rng, size)


def wood_grain(rng, size: tuple[int, int]) -> np.ndarray:
    """A brown board with wavy dark grain a few pixels apart (a table, a door)."""
    rows, columns = np.mgrid[0:size[0], 0:size[1]].astype(np.float32)
    across_grain, along_grain = (columns, rows) if rng.random() < 0.5 else (rows, columns)
    spacing, bend, bend_length = rng.uniform(3, 9), rng.uniform(2, 5), rng.uniform(25, 80)
    grain = np.sin(across_grain / spacing + bend * np.sin(along_grain / bend_length))  # bending as it runs
    shade = 0.45 + rng.uniform(0.08, 0.2) * grain + rng.normal(0, 0.03, size).astype(np.float32)
    return shade[..., None] * np.float32((0.45, 0.7, 0.95)) * np.float32(rng.uniform(0.6, 1.1))


def fabric(rng, size: tuple[int, int]) -> np.ndarray:
    """A cloth of any colour, mottled at three scales (a sweater, a sofa, a carpet)."""
    height, width = size
    mottle = np.zeros(size, np.float32)
    for cell in (3, 12, 48):
        noise = rng.random((height // cell + 2, width // cell + 2)).astype(np.float32)
        mottle += cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC) / 3
    return np.clip(0.3 + 0.7 * mottle, 0, 1)[..., None] * rng.uniform(0.2, 0.8, 3).astype(np.float32)


def furniture(rng, size: tuple[int, int]) -> np.ndarray:
    """A room: flat shapes, outlines and edges of many shades and colours, slightly out of focus."""
    height, width = size
    room = np.empty((height, width, 3), np.float32)
    room[:] = rng.uniform(0.15, 0.5, 3)
    for _ in range(int(rng.integers(10, 30))):
        colour = tuple(float(v) for v in rng.uniform(0.05, 0.9, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        thickness = int(rng.choice([-1, -1, 2, 5]))
        if rng.random() < 0.5:
            corner = (x + int(rng.integers(10, 250)), y + int(rng.integers(10, 250)))
            cv2.rectangle(room, (x, y), corner, colour, thickness)
        else:
            axes = (int(rng.integers(5, 90)), int(rng.integers(5, 90)))
            cv2.ellipse(room, (x, y), axes, float(rng.uniform(0, 180)), 0, 360, colour, thickness)
    return cv2.GaussianBlur(room, (0, 0), rng.uniform(0.8, 2.0))


STRESS_CLASSES = {
    "mixed_sizes": mixed_sizes, "thin_pen": thin_pen, "thick_marker": thick_marker, "fonts": fonts,
    "touching": touching, "distractors": distractors, "frame_edge": frame_edge, "colour_ink": colour_ink,
    "page": page, "slanted_rules": slanted_rules, "dark_board": dark_board, "rotated": rotated_numbers,
    "low_res": low_res, "cluttered": cluttered, "defocus": defocus,
    "washed_out": washed_out, "dim_light": dim_light, "ruled_page": ruled_page, "hard_shadow": hard_shadow,
    "far_page": far_page, "close_up": close_up, "moved": moved, "moved_rules": moved_rules,
}
PAGE_CLASSES = ("page", "ruled_page")  # whole pages of 2000-4000 px, each holding the digits of several scenes


def split_seeds(split: str, count: int) -> range:
    """The first `count` seeds of the "tune" or "report" range."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    return range(SPLITS[split], SPLITS[split] + count)


def render_stress(name: str, seed: int) -> tuple[np.ndarray, SceneTruth]:
    """Scene `seed` of stress class `name`: a BGR uint8 frame and its truth. Each class has its own random
    stream, so adding a class or changing one leaves the others' scenes as they were."""
    return STRESS_CLASSES[name](np.random.default_rng([seed, zlib.crc32(name.encode())]))
