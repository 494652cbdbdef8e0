"""Synthetic camera scenes with ground truth: MNIST test digits written as ink on paper-like backgrounds.

Each scene has lines of numbers drawn from the MNIST test split at one scale per scene, on tinted paper with
optional ruled or grid lines, lighting gradients, a shadow, vignetting, non-digit marks (+, -, =, x, scribbles,
blobs), blur, noise and JPEG compression. Everything is drawn from a seeded RNG, so a seed names a scene.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from camera_digits.results import Box

MNIST_TEST_PATH = Path(__file__).resolve().parent / "data" / "mnist_test.npz"


@dataclass(frozen=True)
class TruthDigit:
    """One drawn digit: its tight (x, y, w, h) box in frame pixels and its label.

    clipped: the frame edge cuts so much of it that reading it is optional; misreading it is still an error.
    """

    box: tuple[int, int, int, int]
    label: int
    clipped: bool = False


@dataclass(frozen=True)
class SceneTruth:
    """What a scene contains: digits in reading order, the numbers' texts per line, and the marks drawn."""

    digits: tuple[TruthDigit, ...]
    numbers: tuple[str, ...]
    marks: tuple[tuple[int, int, int, int], ...] = ()
    paper: str = "plain"  # "plain", "ruled" or "grid"

    @property
    def text(self) -> str:
        return " ".join(self.numbers)


@dataclass
class SceneOptions:
    """Which nuisances a scene may have; `render_scene` draws each enabled one with some probability."""

    size: tuple[int, int] = (480, 640)           # (H, W) of the frame
    digit_height_px: tuple[int, int] = (28, 90)  # range for the scene's digit height
    lines: tuple[int, int] = (1, 3)
    numbers_per_line: tuple[int, int] = (1, 3)
    digits_per_number: tuple[int, int] = (1, 4)
    paper: bool = True                          # tint, gradient, shadow, vignetting
    rules: bool = True                          # ruled or grid lines
    marks: bool = True                          # non-digit symbols
    degrade: bool = True                        # blur, noise, JPEG


@lru_cache(maxsize=1)
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """The MNIST test split: images uint8 (10000, 28, 28) white on black, labels uint8 (10000,)."""
    with np.load(MNIST_TEST_PATH) as data:
        return data["x_test"], data["y_test"]


def ink_glyph(image: np.ndarray, height_px: int) -> np.ndarray:
    """An MNIST image cropped to its ink and scaled to `height_px` tall: float32 ink coverage in [0, 1]."""
    rows, cols = np.nonzero(image > 30)
    crop = image[rows.min():rows.max() + 1, cols.min():cols.max() + 1].astype(np.float32) / 255.0
    scale = height_px / crop.shape[0]
    width = max(1, round(crop.shape[1] * scale))
    return np.clip(cv2.resize(crop, (width, height_px), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)


def paper_background(rng: np.random.Generator, size: tuple[int, int], options: SceneOptions) -> np.ndarray:
    """A float32 (H, W, 3) BGR paper in [0, 1]: tinted, lit unevenly, possibly shadowed and vignetted."""
    height, width = size
    tint = rng.uniform(0.75, 1.0, 3) if options.paper else np.ones(3)
    paper = np.ones((height, width, 3), np.float32) * tint.astype(np.float32)
    if not options.paper:
        return paper * 0.92
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / width + np.sin(angle) * yy / height)
    light = 1.0 - rng.uniform(0.0, 0.45) * (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6)
    if rng.random() < 0.5:
        light *= shadow(rng, size)
    if rng.random() < 0.5:
        radius = np.hypot((xx - width / 2) / width, (yy - height / 2) / height)
        light *= 1.0 - rng.uniform(0.2, 0.6) * radius ** 2
    return paper * light[..., None]


def shadow(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A darker region behind a soft straight edge (a hand's or a phone's shadow): float32 (H, W) factor in (0, 1]."""
    height, width = size
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    edge = rng.uniform(0.3, 0.7) * np.hypot(height, width) / 2
    distance = np.cos(angle) * (xx - width / 2) + np.sin(angle) * (yy - height / 2) - edge + np.hypot(height, width) / 4
    softness = max(2.0, min(size) * rng.uniform(0.01, 0.05))
    inside = 1.0 / (1.0 + np.exp(-distance / softness))
    return 1.0 - rng.uniform(0.25, 0.5) * inside


def draw_rules(rng: np.random.Generator, paper: np.ndarray, spacing_px: int) -> str:
    """Ruled (horizontal) or grid (squared) lines, in place, lighter than ink; returns "ruled" or "grid"."""
    height, width = paper.shape[:2]
    colour = tuple(float(value) for value in paper[height // 2, width // 2] * rng.uniform(0.55, 0.8, 3))
    offset = int(rng.integers(0, spacing_px))
    for y in range(offset, height, spacing_px):
        cv2.line(paper, (0, y), (width - 1, y + int(rng.integers(-2, 3))), colour, 1, cv2.LINE_AA)
    if rng.random() >= 0.5:
        return "ruled"
    for x in range(offset, width, spacing_px):
        cv2.line(paper, (x, 0), (x + int(rng.integers(-2, 3)), height - 1), colour, 1, cv2.LINE_AA)
    return "grid"


def layout(rng: np.random.Generator, options: SceneOptions, height_px: int):
    """Rows of numbers: a list of lines, each a list of (x, y, MNIST indices, ink glyphs) numbers."""
    images, _ = mnist_test()
    frame_h, frame_w = options.size
    line_count = int(rng.integers(options.lines[0], options.lines[1] + 1))
    line_pitch = int(height_px * rng.uniform(1.6, 2.2))
    top = int(rng.integers(height_px // 2 + 2, max(height_px // 2 + 3, frame_h - line_pitch * line_count)))
    lines = []
    for line in range(line_count):
        y = top + line * line_pitch
        if y + height_px >= frame_h - 4:
            break
        x = int(rng.integers(6, max(7, frame_w // 8)))
        numbers = []
        for _ in range(int(rng.integers(options.numbers_per_line[0], options.numbers_per_line[1] + 1))):
            count = int(rng.integers(options.digits_per_number[0], options.digits_per_number[1] + 1))
            picks = [int(index) for index in rng.integers(0, len(images), count)]
            glyphs = [ink_glyph(images[index], height_px) for index in picks]
            width = sum(glyph.shape[1] for glyph in glyphs) + int(0.25 * height_px) * (count - 1)
            if x + width >= frame_w - 6:
                break
            numbers.append((x, y, picks, glyphs))
            x += width + int(height_px * rng.uniform(1.2, 2.0))
        lines.append(numbers)
    return lines


def write_ink(paper: np.ndarray, glyph: np.ndarray, x: int, y: int, ink: np.ndarray) -> tuple[int, int, int, int]:
    """Blend a glyph's coverage onto the paper in ink colour, in place; returns its tight (x, y, w, h) box."""
    region = paper[y:y + glyph.shape[0], x:x + glyph.shape[1]]
    glyph = glyph[:region.shape[0], :region.shape[1]]  # a glyph running off the paper is cut by its edge
    coverage = glyph[..., None]
    region[:] = region * (1 - coverage) + ink * coverage * region
    rows, cols = np.nonzero(glyph > 0.2)
    return (x + int(cols.min()), y + int(rows.min()), int(np.ptp(cols)) + 1, int(np.ptp(rows)) + 1)


def draw_digits(rng: np.random.Generator, paper: np.ndarray, lines, ink: np.ndarray):
    """Draw every number of the layout; returns (TruthDigits in reading order, number texts)."""
    labels = mnist_test()[1]
    digits, numbers = [], []
    for line in lines:
        for x, y, picks, glyphs in line:
            text = ""
            for index, glyph in zip(picks, glyphs):
                jitter = int(rng.integers(-2, 3))
                box = write_ink(paper, glyph, x, y + jitter, ink)
                digits.append(TruthDigit(box, int(labels[index])))
                text += str(int(labels[index]))
                x += glyph.shape[1] + int(rng.uniform(0.15, 0.35) * glyph.shape[0])
            numbers.append(text)
    return digits, numbers


def draw_marks(rng: np.random.Generator, paper: np.ndarray, size_px: int, occupied: list, ink) -> list:
    """Non-digit marks (+, -, =, x, a scribble, a blob) in free places; returns their (x, y, w, h) boxes."""
    height, width = paper.shape[:2]
    colour = tuple(float(value) for value in ink * paper[height // 2, width // 2])
    thickness = max(1, size_px // 12)
    boxes = []
    for _ in range(int(rng.integers(1, 4))):
        side = int(size_px * rng.uniform(0.5, 0.9))
        x, y = int(rng.integers(4, width - side - 4)), int(rng.integers(4, height - side - 4))
        box = (x, y, side, side)
        if any(overlaps(box, other, margin=size_px // 2) for other in occupied + boxes):
            continue
        draw_mark(rng, paper, box, colour, thickness)
        boxes.append(box)
    return boxes


def draw_mark(rng: np.random.Generator, paper: np.ndarray, box, colour, thickness: int) -> None:
    """One symbol inside (x, y, w, h)."""
    x, y, side, _ = box
    kind = rng.choice(["plus", "minus", "equals", "times", "scribble", "blob"])
    mid_x, mid_y, end_x, end_y = x + side // 2, y + side // 2, x + side, y + side
    if kind in ("plus", "minus"):
        cv2.line(paper, (x, mid_y), (end_x, mid_y), colour, thickness, cv2.LINE_AA)
    if kind == "plus":
        cv2.line(paper, (mid_x, y), (mid_x, end_y), colour, thickness, cv2.LINE_AA)
    if kind == "equals":
        for row in (y + side // 3, y + 2 * side // 3):
            cv2.line(paper, (x, row), (end_x, row), colour, thickness, cv2.LINE_AA)
    if kind == "times":
        cv2.line(paper, (x, y), (end_x, end_y), colour, thickness, cv2.LINE_AA)
        cv2.line(paper, (x, end_y), (end_x, y), colour, thickness, cv2.LINE_AA)
    if kind == "scribble":
        points = rng.integers(0, side, (6, 2)) + np.array([x, y])
        cv2.polylines(paper, [points.astype(np.int32)], False, colour, thickness, cv2.LINE_AA)
    if kind == "blob":
        cv2.ellipse(paper, (mid_x, mid_y), (side // 3, side // 5), float(rng.uniform(0, 180)), 0, 360, colour, -1)


def overlaps(first, second, margin: int = 0) -> bool:
    """True if two (x, y, w, h) boxes, grown by margin, intersect."""
    return not (first[0] + first[2] + margin < second[0] or second[0] + second[2] + margin < first[0]
                or first[1] + first[3] + margin < second[1] or second[1] + second[3] + margin < first[1])


def degrade(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Camera effects on a float32 BGR image in [0, 1]: blur, sensor noise, JPEG; returns BGR uint8."""
    if rng.random() < 0.6:
        image = cv2.GaussianBlur(image, (0, 0), sigmaX=rng.uniform(0.5, 1.2))
    image = image + rng.normal(0, rng.uniform(0.0, 0.03), image.shape).astype(np.float32)
    frame = np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        quality = int(rng.integers(55, 95))
        frame = cv2.imdecode(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR)
    return frame


def render_scene(seed: int, options: SceneOptions | None = None) -> tuple[np.ndarray, SceneTruth]:
    """A BGR uint8 (H, W, 3) frame of handwritten numbers on paper and its ground truth."""
    options = options or SceneOptions()
    rng = np.random.default_rng(seed)
    height_px = int(rng.integers(options.digit_height_px[0], options.digit_height_px[1] + 1))
    paper = paper_background(rng, options.size, options)
    kind = "plain"
    if options.rules and rng.random() < 0.5:
        kind = draw_rules(rng, paper, int(height_px * rng.uniform(0.45, 1.3)))
    ink = rng.uniform(0.05, 0.3, 3).astype(np.float32)
    digits, numbers = draw_digits(rng, paper, layout(rng, options, height_px), ink)
    marks = []
    if options.marks and rng.random() < 0.6:
        marks = draw_marks(rng, paper, height_px, [digit.box for digit in digits], ink)
    frame = degrade(rng, paper) if options.degrade else np.clip(paper * 255 + 0.5, 0, 255).astype(np.uint8)
    return frame, SceneTruth(tuple(digits), tuple(numbers), tuple(marks), kind)


def render_video_frames(seed: int, n_frames: int = 30, size: tuple[int, int] = (480, 640)):
    """A short clip of one scene under a slowly moving camera and changing light.

    Returns (frames, truths): BGR uint8 (H, W, 3) frames and one SceneTruth per frame, its boxes moved with
    the camera.
    """
    options = SceneOptions(size=size, rules=False, marks=False, degrade=False, digit_height_px=(36, 70))
    still, truth = render_scene(seed, options)
    rng = np.random.default_rng(seed + 1)
    drift = rng.uniform(-0.4, 0.4, 2)
    frames, truths = [], []
    for index in range(n_frames):
        shift = drift * index + rng.normal(0, 0.6, 2)
        moved = cv2.warpAffine(still, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]), size[::-1],
                               borderMode=cv2.BORDER_REPLICATE)
        brightness = 1.0 - 0.15 * np.sin(index / max(n_frames, 1) * np.pi)
        noisy = moved * brightness + rng.normal(0, 2.0, moved.shape)
        frames.append(np.clip(noisy, 0, 255).astype(np.uint8))
        truths.append(shifted_truth(truth, int(round(shift[0])), int(round(shift[1]))))
    return frames, truths


def shifted_truth(truth: SceneTruth, dx: int, dy: int) -> SceneTruth:
    """The same truth with every box moved by (dx, dy) pixels."""
    digits = tuple(replace(d, box=(d.box[0] + dx, d.box[1] + dy, d.box[2], d.box[3])) for d in truth.digits)
    marks = tuple((m[0] + dx, m[1] + dy, m[2], m[3]) for m in truth.marks)
    return SceneTruth(digits, truth.numbers, marks, truth.paper)


def digit_sheet(indices: np.ndarray, height_px: int, columns: int = 20, seed: int = 0) -> tuple[np.ndarray, list]:
    """MNIST test digits in a grid on clean paper at `height_px`: BGR uint8 frame and each digit's box.

    Digits are spaced a full height apart so segmentation, not layout, is what is measured.
    """
    images, _ = mnist_test()
    rng = np.random.default_rng(seed)
    pitch = 2 * height_px
    rows = -(-len(indices) // columns)
    paper = np.full((rows * pitch + height_px, columns * pitch + height_px, 3), 0.9, np.float32)
    ink = np.float32([0.15, 0.12, 0.1])
    boxes = []
    for position, index in enumerate(indices):
        row, column = divmod(position, columns)
        glyph = ink_glyph(images[index], height_px)
        x = column * pitch + height_px // 2 + int(rng.integers(0, height_px // 4))
        boxes.append(write_ink(paper, glyph, x, row * pitch + height_px // 2, ink))
    return np.clip(paper * 255 + 0.5, 0, 255).astype(np.uint8), boxes


@dataclass
class Score:
    """Counts for digit recall, precision and label accuracy over one or more scenes."""

    truths: int = 0
    found: int = 0
    matched: int = 0
    correct: int = 0
    numbers: int = 0
    numbers_read: int = 0
    on_marks: int = 0  # found "digits" that are the scene's non-digit marks
    clipped_read: int = 0  # digits cut by the frame edge read right: counted neither way
    clipped_misread: int = 0  # ... read as another digit: counted as found and not matched

    @property
    def recall(self) -> float:
        return self.matched / max(self.truths, 1)

    @property
    def precision(self) -> float:
        return self.matched / max(self.found, 1)

    @property
    def precision_off_marks(self) -> float:
        """Precision not counting the non-digit marks, which only a model with a reject class can refuse."""
        return self.matched / max(self.found - self.on_marks, 1)

    @property
    def label_accuracy(self) -> float:
        """Correct labels among matched digits."""
        return self.correct / max(self.matched, 1)

    @property
    def digit_accuracy(self) -> float:
        """End to end: truths found and labelled correctly."""
        return self.correct / max(self.truths, 1)

    @property
    def number_accuracy(self) -> float:
        return self.numbers_read / max(self.numbers, 1)

    def add(self, other: Score) -> None:
        for name in ("truths", "found", "matched", "correct", "numbers", "numbers_read", "on_marks",
                     "clipped_read", "clipped_misread"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def box_iou(first, second) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    overlap_w = min(first[0] + first[2], second[0] + second[2]) - max(first[0], second[0])
    overlap_h = min(first[1] + first[3], second[1] + second[3]) - max(first[1], second[1])
    if overlap_w <= 0 or overlap_h <= 0:
        return 0.0
    overlap = overlap_w * overlap_h
    return overlap / (first[2] * first[3] + second[2] * second[3] - overlap)


def score_reading(found: list[tuple[tuple[int, int, int, int], int]], truth: SceneTruth,
                  numbers_read: list[str] = (), min_iou: float = 0.5) -> Score:
    """Match found ((x, y, w, h), digit) pairs to the truth one to one, best overlap first.

    A clipped truth digit is optional: found and read right, it counts neither as a truth nor as a find;
    found and read wrong, it is a find that matches nothing (a false digit); not found, nothing.
    """
    pairs = sorted(
        ((box_iou(box, digit.box), f, t) for f, (box, _) in enumerate(found) for t, digit in enumerate(truth.digits)),
        reverse=True,
    )
    used_found, used_truth, correct, clipped_read, clipped_misread = set(), set(), 0, 0, 0
    for iou, f, t in pairs:
        if iou < min_iou:
            break
        if f in used_found or t in used_truth:
            continue
        used_found.add(f)
        used_truth.add(t)
        right = found[f][1] == truth.digits[t].label
        if truth.digits[t].clipped:
            clipped_read += right
            clipped_misread += not right
        else:
            correct += right
    read = sum(text in numbers_read for text in set(truth.numbers))
    on_marks = sum(any(box_iou(box, mark) > 0.1 for mark in truth.marks)
                   for f, (box, _) in enumerate(found) if f not in used_found)
    clipped_truths = sum(digit.clipped for digit in truth.digits)
    clipped_found = clipped_read + clipped_misread
    return Score(len(truth.digits) - clipped_truths, len(found) - clipped_read, len(used_found) - clipped_found,
                 correct, len(set(truth.numbers)), read, on_marks, clipped_read, clipped_misread)


def labels_at(line: dict, boxes, min_iou: float = 0.5) -> tuple[list, int]:
    """The digit a JSON reading line has at each true (x, y, w, h) box, None where it has none, and how many of
    its digits lie at no true box. Boxes are taken in order, each to the unused digit it overlaps most."""
    found = [Box(*digit["box"]) for digit in line["digits"]]
    labels, used = [], set()
    for box in boxes:
        overlaps = [(candidate.iou(Box(*box)), index) for index, candidate in enumerate(found) if index not in used]
        best_iou, best = max(overlaps, default=(0.0, None))
        if best_iou < min_iou:
            labels.append(None)
            continue
        used.add(best)
        labels.append(line["digits"][best]["digit"])
    return labels, len(found) - len(used)
