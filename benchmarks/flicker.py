"""How steady the reading is under a hand-held camera: clips filmed from the dev photos and the stress scenes.

    python benchmarks/flicker.py [--frames 30] [--photos ../shared/dev-photos] [--stress-clips 3]
                                 [--split report|tune] [--model PATH] [--polarity dark|light|auto]

Each clip films a still (a dev photo shrunk to at most 1280 px, or a stress scene) with tests/handheld.py's
camera: drift, tremor, zoom, roll, light changes, motion blur and noise, 30 frames a second. The frames go
through the recognizer and the tracker as the app reads a video. Printed per kind of clip: how often the
shown reading (the set of numbers read) changes between consecutive frames, the share of frames read exactly and
the digits read right; the same without the tracker is the baseline. The first two frames of a clip are
left out: the tracker shows a digit from its second sighting on.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from camera_digits.recognizer import DigitRecognizer  # noqa: E402
from camera_digits.tracking import Tracker  # noqa: E402
from tests.handheld import film, moved_truth  # noqa: E402
from tests.photos import PHOTOS_DIR, edit_distance, labelled_photos, shrunk  # noqa: E402
from tests.scenes import score_reading  # noqa: E402
from tests.stress import PAGE_CLASSES, STRESS_CLASSES, render_stress, split_seeds  # noqa: E402

WARM_UP_FRAMES = 2
MAX_STILL_SIDE_PX = 1280  # a camera's frame: larger photos are shrunk to it before filming
STRESS_CLIP_CLASSES = [name for name in STRESS_CLASSES if name not in PAGE_CLASSES]  # pages are not filmed at 1280 px


@dataclass
class Steadiness:
    """Counts over the scored frames of some clips."""

    pairs: int = 0        # consecutive scored frames
    changes: int = 0      # ... whose readings differ
    frames: int = 0
    exact: int = 0        # frames read exactly
    digits: int = 0
    right: int = 0        # digits read right (1 - edit distance for photos)

    def add(self, changed: bool | None, exact: bool, digits: int, right: float) -> None:
        if changed is not None:
            self.pairs += 1
            self.changes += changed
        self.frames += 1
        self.exact += exact
        self.digits += digits
        self.right += right

    def line(self) -> str:
        return (f"changes {self.changes / max(self.pairs, 1):6.1%} of frames, read exactly "
                f"{self.exact / max(self.frames, 1):6.1%}, digits read right {self.right / max(self.digits, 1):6.1%}")


def shown_numbers(reading) -> list[str]:
    """What the viewer sees change: the numbers read, in any order (a roll of the camera may reorder the
    lines without anything on screen changing)."""
    return sorted(number.text for number in reading.numbers)


def play(recognizer, frames, score_frame, raw: Steadiness, tracked: Steadiness) -> None:
    """Read a clip as the app does (recognizer, then tracker) and without the tracker; score both."""
    tracker = Tracker()
    previous = {"raw": None, "tracked": None}
    for index, frame in enumerate(frames):
        reading = recognizer.recognize(frame)
        shown = tracker.update(reading)
        if index < WARM_UP_FRAMES:
            previous = {"raw": shown_numbers(reading), "tracked": shown_numbers(shown)}
            continue
        for name, result, totals in (("raw", reading, raw), ("tracked", shown, tracked)):
            changed = None if index == WARM_UP_FRAMES else shown_numbers(result) != previous[name]
            totals.add(changed, *score_frame(index, result))
            previous[name] = shown_numbers(result)


def photo_clips(recognizer, folder: Path, photos: list, frames: int, seed: int):
    raw, tracked = Steadiness(), Steadiness()
    for number, photo in enumerate(photos):
        still = shrunk(cv2.imread(str(folder / photo.file), cv2.IMREAD_COLOR), MAX_STILL_SIDE_PX)
        clip, _ = film(still, frames, seed + number)

        def score_frame(_, reading, expected=photo.digits):
            got = "".join(str(digit.digit) for digit in reading.digits)
            return got == expected, len(expected), len(expected) - min(len(expected), edit_distance(expected, got))

        play(recognizer, clip, score_frame, raw, tracked)
    return raw, tracked


def stress_clips(recognizer, per_class: int, frames: int, split: str) -> dict[str, tuple[Steadiness, Steadiness]]:
    """(untracked, tracked) counts per stress class."""
    results = {}
    for name in STRESS_CLIP_CLASSES:
        raw, tracked = results.setdefault(name, (Steadiness(), Steadiness()))
        for seed in split_seeds(split, per_class):
            still, truth = render_stress(name, seed)
            clip, matrices = film(still, frames, seed)

            def score_frame(index, reading, truth=truth, matrices=matrices, size=still.shape[:2]):
                seen = moved_truth(truth, matrices[index], size)
                found = [(digit.box.to_list(), digit.digit) for digit in reading.digits]
                score = score_reading(found, seen, [number.text for number in reading.numbers])
                exact = score.correct == score.truths and score.found == score.matched
                return exact, score.truths, score.correct

            play(recognizer, clip, score_frame, raw, tracked)
    return results


def combined(counts: list[Steadiness]) -> Steadiness:
    total = Steadiness()
    for count in counts:
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(count, name))
    return total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30, help="frames per clip (30 a second)")
    parser.add_argument("--photos", type=Path, default=PHOTOS_DIR, help="folder with labels.tsv")
    parser.add_argument("--stress-clips", type=int, default=3, help="clips per stress class")
    parser.add_argument("--split", default="report", choices=("report", "tune"), help="seed range of the scenes")
    parser.add_argument("--model", type=Path, default=None, help="model file (default: the shipped model)")
    parser.add_argument("--polarity", default="auto", choices=("dark", "light", "auto"),
                        help="as run_camera.py's flag (default auto)")
    args = parser.parse_args(argv)
    if args.frames <= WARM_UP_FRAMES + 1:
        parser.error(f"--frames must be more than {WARM_UP_FRAMES + 1}")
    recognizer = DigitRecognizer.load(args.model, polarity=args.polarity)
    seed = split_seeds(args.split, 1)[0]
    kinds = []
    if (args.photos / "labels.tsv").is_file():
        photos = labelled_photos(args.photos)
        kinds.append((f"dev photos ({len(photos)} clips)", photo_clips(recognizer, args.photos, photos,
                                                                      args.frames, seed)))
    else:
        print(f"photos: none at {args.photos}; pass --photos PATH")
    per_class = stress_clips(recognizer, args.stress_clips, args.frames, args.split) if args.stress_clips > 0 else {}
    if per_class:
        clips = args.stress_clips * len(per_class)
        kinds.append((f"stress scenes ({clips} clips)", (combined([raw for raw, _ in per_class.values()]),
                                                         combined([tracked for _, tracked in per_class.values()]))))
    print(f"{args.frames} frames per clip, the first {WARM_UP_FRAMES} left out; split {args.split}")
    for name, (raw, tracked) in kinds:
        print(f"{name}:")
        print(f"  tracked (as the app)  {tracked.line()}")
        print(f"  untracked (baseline)  {raw.line()}")
        ratio = raw.changes / max(raw.pairs, 1) / max(tracked.changes / max(tracked.pairs, 1), 1e-9)
        print(f"  the tracker changes the reading {ratio:.1f}x less often" if tracked.changes else
              "  the tracked reading never changes")
    if per_class:
        print(f"stress scenes per class ({args.stress_clips} clips each), tracked:")
        for name, (_, tracked) in per_class.items():
            print(f"  {name:14s} {tracked.line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
