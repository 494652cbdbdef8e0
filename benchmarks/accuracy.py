"""End-to-end accuracy of the recognizer against the tutorial way, on synthetic scenes and on real photos.

    python benchmarks/accuracy.py [--scenes 200] [--photos ../shared/dev-photos] [--model PATH]

Synthetic scenes (tests/scenes.py) give digit recall, precision, label accuracy and number accuracy; the
photos (labels.tsv: digits in reading order, rows separated by "|") give 1 - edit distance / digits. The
baseline is the common tutorial pipeline: one global Otsu threshold, external contours, the gray crop resized
to 28×28 as it is (no inversion, no aspect-preserving fit, no centring), one predict call per crop.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from camera_digits import classifier as classifiers  # noqa: E402
from camera_digits.grouping import group, group_lines  # noqa: E402
from camera_digits.recognizer import DigitRecognizer  # noqa: E402
from camera_digits.results import Box, Digit  # noqa: E402
from tests.photos import PHOTOS_DIR, edit_distance, photo_labels  # noqa: E402
from tests.scenes import Score, render_scene, score_reading  # noqa: E402


class TutorialReader:
    """The tutorial pipeline: global threshold + contours, plain resize of the crop, per-crop predict."""

    def __init__(self, model, min_height_px: int = 10):
        self.model = model
        self.min_height_px = min_height_px

    def read(self, frame: np.ndarray) -> list[Digit]:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
        contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        digits = []
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            if h < self.min_height_px or h > 0.8 * gray.shape[0]:
                continue
            crop = cv2.resize(gray[y:y + h, x:x + w], (28, 28)).astype(np.float32) / 255.0
            probabilities = self.model.predict(crop[None, :, :, None])[0][:10]
            digits.append(Digit(Box(x, y, w, h), int(probabilities.argmax()), float(probabilities.max())))
        return [digit for line in group_lines(digits) for digit in line]


class OurReader:
    """The recognizer as a reader (frame → digits in reading order) that keeps each frame's stage timings."""

    def __init__(self, recognizer: DigitRecognizer):
        self.recognizer = recognizer
        self.timings_ms: list[dict[str, float]] = []

    def read(self, frame: np.ndarray) -> list[Digit]:
        reading = self.recognizer.recognize(frame)
        self.timings_ms.append(reading.timings_ms)
        return list(reading.digits)

    def median_timings_ms(self) -> dict[str, float]:
        stages = self.timings_ms[0].keys() if self.timings_ms else ()
        return {stage: float(np.median([timing[stage] for timing in self.timings_ms])) for stage in stages}


def numbers_of(digits: list[Digit]) -> list[str]:
    return [number.text for number in group(digits)[1]]


def synthetic(read, count: int) -> tuple[Score, float]:
    """Score a reader over `count` seeded scenes; also the median milliseconds per frame."""
    total, times = Score(), []
    for seed in range(count):
        frame, truth = render_scene(seed)
        started = time.perf_counter()
        digits = read(frame)
        times.append((time.perf_counter() - started) * 1e3)
        found = [(digit.box.to_list(), digit.digit) for digit in digits]
        total.add(score_reading(found, truth, numbers_of(digits)))
    return total, float(np.median(times))


def photos(read, folder: Path, name: str) -> float:
    """Score a reader on the photos; prints each failure and returns 1 - edit distance / digits."""
    distance = digits = 0
    for file, expected in photo_labels(folder):
        frame = cv2.imread(str(folder / file), cv2.IMREAD_COLOR)
        got = "".join(str(digit.digit) for digit in read(frame))
        errors = edit_distance(expected, got)
        distance, digits = distance + errors, digits + len(expected)
        if errors and name == "ours":
            print(f"  {file:22s} expected {expected:36s} got {got}")
    return 1 - distance / digits


def report_synthetic(score: Score, name: str, median_ms: float) -> None:
    print(f"  {name:9s} recall {score.recall:.4f}  precision {score.precision:.4f} ({score.precision_off_marks:.4f} "
          f"off the +, =, x marks)  label accuracy {score.label_accuracy:.4f}  digit accuracy "
          f"{score.digit_accuracy:.4f}  numbers {score.number_accuracy:.4f}  ({score.truths} digits, "
          f"{score.numbers} numbers, {median_ms:.1f} ms/frame)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=200, help="synthetic scenes to score")
    parser.add_argument("--photos", type=Path, default=PHOTOS_DIR, help="folder with labels.tsv")
    parser.add_argument("--model", type=Path, default=None, help="model file (default: the shipped model)")
    parser.add_argument("--polarity", default="dark", choices=("dark", "light", "auto"))
    args = parser.parse_args(argv)
    model = classifiers.load(args.model)
    our_reader = OurReader(DigitRecognizer(model, polarity=args.polarity))
    readers = {"ours": our_reader.read, "tutorial": TutorialReader(model).read}
    print(f"model: {getattr(model, 'path', model)} ({model.num_classes} classes)")
    print(f"synthetic scenes ({args.scenes}, 640x480):")
    scores = {name: synthetic(read, args.scenes) for name, read in readers.items()}
    for name, (score, median_ms) in scores.items():
        report_synthetic(score, name, median_ms)
    stages = ", ".join(f"{stage} {ms:.2f}" for stage, ms in our_reader.median_timings_ms().items())
    print(f"  ours, median ms per stage: {stages}")
    ratio = scores["ours"][0].digit_accuracy / max(scores["tutorial"][0].digit_accuracy, 1e-9)
    print(f"  digit accuracy ours / tutorial = {ratio:.2f}x")
    if not (args.photos / "labels.tsv").is_file():
        print(f"photos: none at {args.photos}; pass --photos PATH")
        return 0
    print(f"photos ({args.photos}):")
    accuracy = {name: photos(read, args.photos, name) for name, read in readers.items()}
    for name, value in accuracy.items():
        print(f"  {name:9s} accuracy {value:.4f} (1 - edit distance / digits)")
    print(f"  ours - tutorial = {accuracy['ours'] - accuracy['tutorial']:+.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
