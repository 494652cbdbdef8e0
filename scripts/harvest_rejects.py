"""Reject-class crops as the camera path makes them: what it proposes on stress scenes that is not a digit.

    python scripts/harvest_rejects.py --out crops/ [--scenes 300]

Every candidate and every piece of a cut that the recognizer proposes on the *tune* seeds of the stress scenes
(`tests/stress.py`: letters and words beside digits, chalk words on boards, crease shadows, line pieces) and of
the plain scenes (`tests/scenes.py`: + = x marks) and that overlaps no drawn digit is saved as the 28×28 crop the
model sees, `OUT/reject/<kind>-<seed>-<n>.png`, the layout `train.py --extra` reads. What is proposed does not
depend on the model. The report seeds stay unseen, so `benchmarks/accuracy.py` still measures
the model on scenes it was not trained on.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from camera_digits.classifier import CLASS_FOLDERS, REJECT_FOLDER  # noqa: E402
from camera_digits.recognizer import DigitRecognizer, to_frame_box  # noqa: E402
from camera_digits.sinks import write_image  # noqa: E402
from tests.scenes import overlaps, render_scene  # noqa: E402
from tests.stress import STRESS_CLASSES, render_stress, split_seeds  # noqa: E402

MARGIN_PX = 1  # a crop whose box, grown by this, touches a drawn digit's may hold part of it: not surely a non-digit
# seed → (frame, truth) for every kind of scene harvested
SCENE_KINDS = {**{name: partial(render_stress, name) for name in STRESS_CLASSES}, "scenes": render_scene}
# Scenes per kind, as a share of --scenes: a page takes ten times as long to read; a plain scene has few
# non-digits (179 crops in 300 scenes, against 5,326 in 300 of letters), so five times as many are read.
SCENE_SHARE = {"page": 0.1, "scenes": 5.0}


def off_digits(boxes: list[list[int]], truth, margin_px: int = MARGIN_PX) -> list[bool]:
    """Per (x, y, w, h) frame box: True when, grown by `margin_px`, it touches no drawn digit's box."""
    return [not any(overlaps(box, digit.box, margin_px) for digit in truth.digits) for box in boxes]


def non_digit_crops(recognizer: DigitRecognizer, frame: np.ndarray, truth) -> np.ndarray:
    """uint8 (N, 28, 28) crops, ink = 255, of the candidates and cut pieces in `frame` that are no drawn digit."""
    _, debug = recognizer.recognize_debug(frame)
    found = debug.segmentation
    piece_boxes = [box for candidate in debug.hypotheses for box in candidate.boxes]
    boxes = [to_frame_box(box, found.scale, frame.shape).to_list() for box in [*found.boxes, *piece_boxes]]
    crops = np.concatenate([debug.crops, debug.pieces])[..., 0]
    return np.round(crops[off_digits(boxes, truth)] * 255).astype(np.uint8)


def harvest(out: Path, scenes: int, recognizer: DigitRecognizer) -> dict[str, int]:
    """Write the non-digit crops of `scenes` tune scenes of each kind (times its SCENE_SHARE); counts per kind."""
    for name in CLASS_FOLDERS:  # every class folder, as --save-crops makes them
        (out / name).mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, render in SCENE_KINDS.items():
        counts[name] = 0
        for seed in split_seeds("tune", max(1, round(scenes * SCENE_SHARE.get(name, 1.0)))):
            for index, crop in enumerate(non_digit_crops(recognizer, *render(seed))):
                write_image(out / REJECT_FOLDER / f"{name}-{seed:06d}-{index:03d}.png", crop)
                counts[name] += 1
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="folder to write OUT/reject/*.png into")
    parser.add_argument("--scenes", type=int, default=300,
                        help="tune scenes of each kind (pages: a tenth, plain scenes: five times as many)")
    args = parser.parse_args(argv)
    counts = harvest(args.out, args.scenes, DigitRecognizer.load())
    for name, count in counts.items():
        print(f"{name:14s} {count:6d}")
    print(f"{'all':14s} {sum(counts.values()):6d} crops in {args.out / REJECT_FOLDER}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
