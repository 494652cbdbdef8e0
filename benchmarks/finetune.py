"""Fine-tuning on a user's own handwriting, end to end: before and after on held-back crops, and on MNIST.

    nice python benchmarks/finetune.py --data ../shared/data/mnist.npz --limit 20000

Stands in for a user: sheets of digits are drawn in the free handwriting fonts of ../shared/data/fonts/ (the
user's hand), read by `run_camera.py --save-crops`, and every crop is moved into the folder of the digit really
drawn there, as a user moves the misread ones. Then `train.py --extra --finetune` trains into a temporary
folder (never models/) and prints the held-back crops' accuracy before and after, and MNIST's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from camera_digits import DigitRecognizer, app  # noqa: E402
from camera_digits.training import cli  # noqa: E402
from camera_digits.training.handwriting import font_paths, load_font  # noqa: E402

ROWS, COLUMNS, CELL_W_PX, CELL_H_PX = 4, 10, 80, 120
PAPER, INK = 232, 45


def draw_sheet(font_path: Path, rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[tuple, int]]]:
    """A BGR sheet of ROWS × COLUMNS digits in one font, and each cell's (x, y, w, h) box with its digit."""
    paper = np.full((ROWS * CELL_H_PX + 40, COLUMNS * CELL_W_PX + 40), PAPER, np.float32)
    truth = []
    for row in range(ROWS):
        for column in range(COLUMNS):
            digit = int(rng.integers(10))
            font = load_font(font_path, int(rng.uniform(56, 84)))
            glyph = Image.new("L", (CELL_W_PX, CELL_H_PX), 0)
            ImageDraw.Draw(glyph).text((CELL_W_PX / 2, CELL_H_PX / 2), str(digit), fill=255, font=font, anchor="mm")
            alpha = np.asarray(glyph.rotate(float(rng.uniform(-8, 8)), Image.BILINEAR), np.float32) / 255.0
            x, y = 20 + column * CELL_W_PX, 20 + row * CELL_H_PX
            cell = paper[y:y + CELL_H_PX, x:x + CELL_W_PX]
            cell[:] = cell * (1 - alpha) + INK * alpha
            truth.append(((x, y, CELL_W_PX, CELL_H_PX), digit))
    noisy = paper + rng.normal(0, 3, paper.shape)
    return cv2.cvtColor(np.clip(noisy, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR), truth


def true_digit(box, truth) -> int | None:
    """The digit drawn in the cell that holds the centre of `box`, if any."""
    centre_x, centre_y = box.x + box.w / 2, box.y + box.h / 2
    for (x, y, w, h), digit in truth:
        if x <= centre_x < x + w and y <= centre_y < y + h:
            return digit
    return None


def sort_crops(sheets: dict[str, tuple[np.ndarray, list]], saved: Path, sorted_dir: Path) -> dict[str, int]:
    """Move each crop --save-crops wrote into the folder of the digit really drawn there (a crop off every cell
    stays in reject/); count the crops the model had read right, misread and refused."""
    from camera_digits.recognizer import to_frame_box

    recognizer = DigitRecognizer.load()
    counts = {"read right": 0, "misread": 0, "refused": 0}
    for stem, (image, truth) in sheets.items():
        segmentation = recognizer.recognize_debug(image)[1].segmentation
        for index, box in enumerate(segmentation.boxes):
            frame_box = to_frame_box(box, segmentation.scale, image.shape)
            found = list(saved.glob(f"*/{stem}-*-{index:02d}.png"))
            if not found:
                continue
            read_as, actual = found[0].parent.name, true_digit(frame_box, truth)
            target = "reject" if actual is None else str(actual)
            if actual is not None:
                counts["read right" if read_as == target else "refused" if read_as == "reject" else "misread"] += 1
            (sorted_dir / target).mkdir(parents=True, exist_ok=True)
            shutil.move(found[0], sorted_dir / target / found[0].name)
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="MNIST .npz (default: the loader's search order)")
    parser.add_argument("--limit", type=int, default=20000, help="MNIST training images per epoch")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--sheets-per-font", type=int, default=3)
    parser.add_argument("--keep", help="keep the sheets, crops and model in this folder")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    fonts = sorted(font_paths() + font_paths(held_out=True))
    work = Path(args.keep or tempfile.mkdtemp(prefix="finetune-"))
    sheets = {}
    for font in fonts:
        for number in range(args.sheets_per_font):
            stem = f"{font.stem}-{number}"
            sheets[stem] = draw_sheet(font, rng)
            (work / "sheets").mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(work / "sheets" / f"{stem}.png"), sheets[stem][0])
    app.main(["--device", str(work / "sheets"), "--headless", "--save-crops", str(work / "saved")])
    counts = sort_crops(sheets, work / "saved", work / "crops")
    print(f"{len(fonts)} fonts, {len(sheets)} sheets, {sum(len(truth) for _, truth in sheets.values())} digits drawn; "
          f"the shipped model read {counts}")
    argv = ["--extra", str(work / "crops"), "--finetune", "--out", str(work / "model"), "--limit", str(args.limit),
            "--epochs", str(args.epochs)] + (["--data", args.data] if args.data else [])
    if cli.main(argv) != 0:
        return 1
    extra = json.loads((work / "model" / "digits.json").read_text())["extra"]
    print(json.dumps(extra, indent=2))
    if not args.keep:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
