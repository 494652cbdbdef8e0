"""Render the shipped demo clip, camera_digits/assets/demo.mp4, and its ground truth, tests/data/demo_truth.json:
four sheets of handwriting (MNIST test digits, and handwriting fonts) on plain, ruled and grid paper, each
filmed by a hand-held camera that drifts, tilts, loses focus for a moment and passes through changing light.

    python scripts/make_demo_clip.py [--output PATH] [--fonts DIR] [--seconds-per-sheet 2.8] [--fps 15]

The fonts are read from ../shared/data/fonts (or --fonts); they are not part of the project.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))  # tests.scenes and camera_digits, when run from a checkout

from camera_digits.files import atomic_path  # noqa: E402
from camera_digits.training.handwriting import FONTS_DIR, load_font  # noqa: E402
from tests.scenes import ink_glyph, mnist_test  # noqa: E402

DEFAULT_OUTPUT = REPO_DIR / "camera_digits" / "assets" / "demo.mp4"
DEFAULT_TRUTH = REPO_DIR / "tests" / "data" / "demo_truth.json"
FRAME_SIZE = (480, 640)  # (H, W) of the clip
SHEET_SIZE = (560, 760)  # (H, W) of the paper; the camera sees most of it
RULE_PITCH_PX, RULE_FIRST_PX = 96, 60  # ruled paper: line spacing and the first line
MAX_BYTES = 1_500_000

# Each sheet: paper, ink (BGR in [0, 1]) and lines of words. A word is "mnist:305" (MNIST test digits),
# "FONT:1984" (digits in a font) or "FONT:km!" (a trailing "!" marks letters or signs that must not be read).
SHEETS = [
    {"paper": "plain", "ink": (0.45, 0.2, 0.1), "height": 58,
     "lines": [["mnist:7", "mnist:42", "mnist:305"], ["mnist:2024", "Rufscript010.ttf:km!", "mnist:86"]]},
    {"paper": "ruled", "ink": (0.12, 0.12, 0.14), "height": 54,
     "lines": [["DancingScript-Bold.otf:1984", "DancingScript-Bold.otf:37"],
               ["DancingScript-Regular.otf:650", "DancingScript-Regular.otf:N!", "DancingScript-Regular.otf:2"],
               ["mnist:5193", "mnist:80"]]},
    {"paper": "grid", "ink": (0.5, 0.22, 0.12), "height": 46,
     "lines": [["mnist:38", "Rufscript010.ttf:+!", "mnist:57", "Rufscript010.ttf:=!", "mnist:95"],
               ["mnist:128", "Rufscript010.ttf:+!", "mnist:6", "Rufscript010.ttf:=!", "mnist:134"]]},
    {"paper": "plain", "ink": (0.2, 0.18, 0.2), "height": 60,
     "lines": [["lobster.otf:250", "lobster.otf:7"], ["Rufscript010.ttf:1066", "Rufscript010.ttf:mm!"],
               ["mnist:4913", "mnist:27"]]},
]
PAPER_TINTS = {"plain": (0.93, 0.95, 0.96), "ruled": (0.9, 0.95, 0.97), "grid": (0.95, 0.96, 0.95)}
MNIST_FIRST_INDEX = {0: 3, 1: 2, 2: 1, 3: 18, 4: 4, 5: 8, 6: 11, 7: 0, 8: 61, 9: 7}  # a test image of each digit


@dataclass
class Sheet:
    """A sheet of paper: float32 BGR image in [0, 1], each digit's (x, y, w, h) box and label, its numbers."""

    image: np.ndarray
    digits: list
    numbers: list


def paper(kind: str, rng: np.random.Generator) -> np.ndarray:
    """Paper with a faint grain, and ruled (with a margin) or squared lines."""
    height, width = SHEET_SIZE
    sheet = np.ones((height, width, 3), np.float32) * np.float32(PAPER_TINTS[kind])
    grain = cv2.GaussianBlur(rng.normal(0, 0.012, (height, width)).astype(np.float32), (0, 0), 1.2)
    sheet += grain[..., None]
    line_colour = (0.78, 0.68, 0.55)
    if kind == "ruled":
        for y in range(RULE_FIRST_PX, height, RULE_PITCH_PX):
            cv2.line(sheet, (0, y), (width, y), line_colour, 2, cv2.LINE_AA)
        cv2.line(sheet, (70, 0), (70, height), (0.5, 0.5, 0.9), 2, cv2.LINE_AA)
    if kind == "grid":
        for step in range(0, max(height, width), 26):
            cv2.line(sheet, (0, step), (width, step), line_colour, 1, cv2.LINE_AA)
            cv2.line(sheet, (step, 0), (step, height), line_colour, 1, cv2.LINE_AA)
    return sheet


def font_glyphs(font_path: Path, text: str, height_px: int) -> list[np.ndarray]:
    """Each character of `text` in the font as float32 ink coverage, digits `height_px` tall, signs and
    letters at their own size relative to them, all on a common baseline box."""
    font = load_font(font_path, 4 * height_px)
    top = min(font.getbbox(digit)[1] for digit in "0123456789")
    bottom = max(font.getbbox(digit)[3] for digit in "0123456789")
    scale = height_px / (bottom - top)
    glyphs = []
    for character in text:
        left, _, right, _ = font.getbbox(character)
        canvas = Image.new("L", (right - left + 8, bottom - top + 8), 0)
        ImageDraw.Draw(canvas).text((4 - left, 4 - top), character, font=font, fill=255)
        ink = np.asarray(canvas, np.float32) / 255.0
        size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
        glyphs.append(cv2.resize(ink, size, interpolation=cv2.INTER_AREA))
    return glyphs


def mnist_glyphs(text: str, height_px: int, rng: np.random.Generator) -> list[np.ndarray]:
    images, labels = mnist_test()
    glyphs = []
    for character in text:
        choices = np.flatnonzero(labels == int(character))[:40]
        index = MNIST_FIRST_INDEX[int(character)] if rng.random() < 0.5 else int(rng.choice(choices))
        glyph = ink_glyph(images[index], height_px)
        glyphs.append(np.pad(glyph, ((2, 2), (2, 2))))
    return glyphs


def write(sheet: np.ndarray, glyph: np.ndarray, x: int, y: int, ink: np.ndarray) -> tuple[int, int, int, int]:
    """Ink a glyph onto the sheet at (x, y); its tight (x, y, w, h) ink box."""
    height, width = glyph.shape
    region = sheet[y:y + height, x:x + width]
    coverage = glyph[: region.shape[0], : region.shape[1], None]
    region[:] = region * (1 - coverage) + ink * coverage
    rows, cols = np.nonzero(glyph > 0.3)
    return x + int(cols.min()), y + int(rows.min()), int(np.ptp(cols)) + 1, int(np.ptp(rows)) + 1


def render_sheet(spec: dict, fonts: Path, seed: int) -> Sheet:
    """The sheet's lines, each centred across the page, the block of lines centred down it."""
    rng = np.random.default_rng(seed)
    image = paper(spec["paper"], rng)
    ink, height_px = np.float32(spec["ink"]), spec["height"]
    digits, numbers = [], []
    ruled = spec["paper"] == "ruled"
    pitch = RULE_PITCH_PX if ruled else int(height_px * 1.9)
    first_bottom = (SHEET_SIZE[0] - pitch * (len(spec["lines"]) - 1) + height_px) // 2
    if ruled:  # written on the rules
        first_bottom = RULE_FIRST_PX + pitch * round((first_bottom - RULE_FIRST_PX) / pitch) - 4
    for line_number, words in enumerate(spec["lines"]):
        line = [(word, *glyphs_of(word, fonts, height_px, rng)) for word in words]
        gaps = [[int(height_px * rng.uniform(0.08, 0.2)) for _ in glyphs] for _, _, glyphs in line]
        word_gap = int(height_px * 0.9)
        width = sum(sum(g.shape[1] for g in glyphs) + sum(gap) for (_, _, glyphs), gap in zip(line, gaps))
        x = (SHEET_SIZE[1] - width - word_gap * (len(line) - 1)) // 2 + int(rng.integers(-10, 11))
        bottom = first_bottom + line_number * pitch
        for (word, text, glyphs), word_gaps in zip(line, gaps):
            read = not word.endswith("!")
            for character, glyph, gap in zip(text, glyphs, word_gaps):
                box = write(image, glyph, x, bottom - glyph.shape[0] + int(rng.integers(-3, 4)), ink)
                if read:
                    digits.append((box, int(character)))
                x += glyph.shape[1] + gap
            if read:
                numbers.append(text)
            x += word_gap
    return Sheet(image, digits, numbers)


def glyphs_of(word: str, fonts: Path, height_px: int, rng: np.random.Generator) -> tuple[str, list]:
    source, text = word.rstrip("!").split(":")
    glyphs = mnist_glyphs(text, height_px, rng) if source == "mnist" else font_glyphs(fonts / source, text, height_px)
    return text, glyphs


def camera_path(frame_count: int, rng: np.random.Generator) -> list[dict]:
    """Per frame: the hand's shift (px), rotation (degrees), zoom, tilt, focus blur (sigma) and light."""
    phase = rng.uniform(0, 2 * np.pi, 6)
    shake = np.cumsum(rng.normal(0, 0.35, (frame_count, 2)), axis=0)
    views = []
    for index in range(frame_count):
        t = index / max(frame_count - 1, 1)
        focus = 0.5 + 2.2 * np.exp(-((t - 0.55) / 0.06) ** 2)  # the autofocus hunts once, mid-sheet
        views.append({
            "shift": (14 * np.sin(2 * np.pi * 0.7 * t + phase[0]) + shake[index, 0],
                      9 * np.sin(2 * np.pi * 0.5 * t + phase[1]) + shake[index, 1]),
            "angle": 3.0 * np.sin(2 * np.pi * 0.4 * t + phase[2]),
            "zoom": 1.0 + 0.05 * np.sin(2 * np.pi * 0.3 * t + phase[3]),
            "tilt": 0.035 * np.sin(2 * np.pi * 0.35 * t + phase[4]),
            "focus": focus,
            "light": 0.86 + 0.12 * np.sin(2 * np.pi * 0.6 * t + phase[5]),
            "shadow": t,
        })
    return views


def view_homography(view: dict) -> np.ndarray:
    """Sheet → frame: the camera centred on the sheet, moved by the hand."""
    sheet_h, sheet_w = SHEET_SIZE
    frame_h, frame_w = FRAME_SIZE
    scale = view["zoom"] * frame_w / (sheet_w - 90)
    similarity = cv2.getRotationMatrix2D((sheet_w / 2, sheet_h / 2), view["angle"], scale)
    similarity[:, 2] += np.float64([frame_w / 2 - sheet_w / 2, frame_h / 2 - sheet_h / 2]) + view["shift"]
    tilt = np.float64([[1, 0, 0], [0, 1, 0], [view["tilt"] / frame_w, 0, 1]])  # the phone turned about its axis
    centre = np.float64([[1, 0, -frame_w / 2], [0, 1, -frame_h / 2], [0, 0, 1]])
    return np.linalg.inv(centre) @ tilt @ centre @ np.vstack([similarity, [0, 0, 1]])


def film(sheet: Sheet, view: dict, rng: np.random.Generator) -> tuple[np.ndarray, list]:
    """One BGR uint8 frame of the sheet seen by the camera, and the digits' boxes in it."""
    frame_h, frame_w = FRAME_SIZE
    homography = view_homography(view)
    desk = (0.32, 0.4, 0.5)
    image = cv2.warpPerspective(sheet.image, homography, (frame_w, frame_h), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=desk)
    image = cv2.GaussianBlur(image, (0, 0), view["focus"])
    yy, xx = np.mgrid[0:frame_h, 0:frame_w].astype(np.float32)
    sweep = (xx / frame_w + 0.3 * yy / frame_h) - 1.6 * view["shadow"] + 0.2  # a soft shadow crossing the page
    light = view["light"] * (1 - 0.22 / (1 + np.exp(-sweep * 12)))
    vignette = 1 - 0.25 * (((xx - frame_w / 2) / frame_w) ** 2 + ((yy - frame_h / 2) / frame_h) ** 2)
    image = image * (light * vignette)[..., None] + rng.normal(0, 0.0025, image.shape).astype(np.float32)
    frame = np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8)
    return frame, [(list(map(int, moved_box(box, homography))), label) for box, label in sheet.digits]


def moved_box(box, homography: np.ndarray) -> tuple[int, int, int, int]:
    x, y, w, h = box
    corners = np.float32([[x, y], [x + w, y], [x, y + h], [x + w, y + h]])[None]
    moved = cv2.perspectiveTransform(corners, homography)[0]
    left, top = moved.min(axis=0)
    right, bottom = moved.max(axis=0)
    return round(left), round(top), round(right - left), round(bottom - top)


def render_clip(fonts: Path, seconds_per_sheet: float, fps: float):
    """The frames, and per sheet its first frame, its numbers and each frame's digit boxes."""
    frames_per_sheet = round(seconds_per_sheet * fps)
    frames, truth = [], []
    for number, spec in enumerate(SHEETS):
        rng = np.random.default_rng(100 + number)
        sheet = render_sheet(spec, fonts, seed=number)
        boxes = []
        for view in camera_path(frames_per_sheet, rng):
            frame, digits = film(sheet, view, rng)
            frames.append(frame)
            boxes.append(digits)
        truth.append({"first_frame": number * frames_per_sheet, "frames": frames_per_sheet, "paper": spec["paper"],
                      "numbers": sheet.numbers, "digits": boxes})
    return frames, truth


def write_clip(frames: list, path: Path, fps: float) -> None:
    height, width = FRAME_SIZE
    with atomic_path(path) as temporary:
        writer = cv2.VideoWriter(str(temporary), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
        for frame in frames:
            writer.write(frame)
        writer.release()


def write_truth(truth: list, path: Path) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps({"sheets": truth}, separators=(",", ":")))


def count_readable_frames(path: Path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--truth", type=Path, default=DEFAULT_TRUTH)
    parser.add_argument("--fonts", type=Path, default=FONTS_DIR)
    parser.add_argument("--seconds-per-sheet", type=float, default=2.8)
    parser.add_argument("--fps", type=float, default=15.0)
    args = parser.parse_args(argv)
    if not args.fonts.is_dir():
        print(f"error: no fonts folder {args.fonts}; pass --fonts DIR", file=sys.stderr)
        return 2
    frames, truth = render_clip(args.fonts, args.seconds_per_sheet, args.fps)
    write_clip(frames, args.output, args.fps)
    write_truth(truth, args.truth)
    readable, size = count_readable_frames(args.output), args.output.stat().st_size
    print(f"wrote {args.output}: {readable} of {len(frames)} frames readable, {size / 1e6:.2f} MB")
    print(f"wrote {args.truth}")
    if readable != len(frames) or size > MAX_BYTES:
        print(f"error: the clip must read back whole and stay under {MAX_BYTES / 1e6:.1f} MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
