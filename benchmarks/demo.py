"""How well the shipped app reads its own demo clip: runs `run_camera.py --demo --headless --json -` and
scores each frame against the clip's ground truth (tests/data/demo_truth.json, written with the clip).

Prints, per sheet and over the clip: the digits read right at their boxes, the false digits (boxes at no
digit: the clip's letters and signs must not be read) and the frames in which every number was read.

    python benchmarks/demo.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

from tests.scenes import labels_at  # noqa: E402

TRUTH = REPO_DIR / "tests" / "data" / "demo_truth.json"
MIN_IOU = 0.4  # the truth boxes are the warped ink boxes: a little looser than the segmenter's


def read_demo() -> list[dict]:
    command = [sys.executable, str(REPO_DIR / "run_camera.py"), "--demo", "--headless", "--json", "-"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in output.splitlines()]


def score_frame(line: dict, truth_digits: list) -> tuple[int, int]:
    """(digits read right at their true box, digits read at no true box) for one JSON line."""
    labels, unmatched = labels_at(line, [box for box, _ in truth_digits], MIN_IOU)
    return sum(label == true_label for label, (_, true_label) in zip(labels, truth_digits)), unmatched


def main() -> int:
    lines = read_demo()
    sheets = json.loads(TRUTH.read_text())["sheets"]
    totals = [0, 0, 0, 0, 0, 0, 0]  # right, digits, false, frames with every number, frames, the first two after
    for sheet in sheets:
        right = digits = false = whole = 0
        for offset in range(sheet["frames"]):
            line = lines[sheet["first_frame"] + offset]
            frame_right, frame_false = score_frame(line, sheet["digits"][offset])
            right, digits, false = right + frame_right, digits + len(sheet["digits"][offset]), false + frame_false
            whole += set(sheet["numbers"]) <= {number["text"] for number in line["numbers"]}
            if offset > 0:
                totals[5] += frame_right
                totals[6] += len(sheet["digits"][offset])
        print(f"{sheet['paper']:6} {' '.join(sheet['numbers']):28} digits {right}/{digits} ({right / digits:.1%}), "
              f"false {false}, all numbers in {whole}/{sheet['frames']} frames")
        for index, value in enumerate((right, digits, false, whole, sheet["frames"])):
            totals[index] += value
    right, digits, false, whole, frames, later_right, later_digits = totals
    print(f"clip: {right}/{digits} digits read right ({right / digits:.1%}) over {frames} frames, {false} false "
          f"digits, every number in {whole}/{frames} frames ({whole / frames:.1%})")
    print(f"from each sheet's second frame on: {later_right}/{later_digits} ({later_right / later_digits:.1%}); "
          "the first is empty by design (a cut: tracking shows a digit from its second sighting)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
