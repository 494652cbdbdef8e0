"""The reject class: how often it swallows digits, and how often it catches letters, punctuation and glued pairs.

    python benchmarks/reject.py [--model PATH] [--fonts ../shared/data/fonts]

Prints, for the model (default: the shipped one):
- MNIST test digits: accuracy and false-reject rate (read as "not a digit", or below the app's 0.5 confidence);
- MNIST test digits turned by ±15° and ±30°: accuracy and false-reject rate;
- digits drawn in each handwriting font (never trained on), upright and turned by ±15°: accuracy and
  false-reject rate;
- letters and punctuation (handwriting.REJECT_GLYPHS) in the font kept out of training and in the training
  fonts: the share rejected;
- two MNIST test digits glued together (gaps -15 % to +5 %) and parts of MNIST test digits: the share rejected.
Every glyph goes through the camera path's normalization (normalize.mnist_glyph), pen widths 0, 2 and 4 px.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from camera_digits import classifier as classifiers  # noqa: E402
from camera_digits.normalize import mnist_glyph, to_unit_range  # noqa: E402
from camera_digits.training.handwriting import (FONTS_DIR, HELD_OUT_FONT, REJECT_GLYPHS, font_paths,  # noqa: E402
                                                glyph_mask)
from camera_digits.training.nondigits import DigitFragment, GluedPair, draw  # noqa: E402
from tests.scenes import mnist_test  # noqa: E402

PEN_WIDTHS_PX = (0, 2, 4)
FONT_DIGIT_TURNS_DEG = (-15, 0, 15)
MIN_CONFIDENCE = 0.5  # the app's default
SHAPES_PER_KIND = 2000


def rejected(probabilities: np.ndarray) -> np.ndarray:
    """Per crop: True when the camera path would not report it as a digit."""
    digit = probabilities[:, :10].max(axis=1) < MIN_CONFIDENCE
    if probabilities.shape[1] > 10:
        digit |= probabilities.argmax(axis=1) == 10
    return digit


def turned(mask: np.ndarray, degrees: float) -> np.ndarray:
    """An ink mask uint8 (h, w) turned by `degrees` (counter-clockwise) about its centre, nothing cut off."""
    if degrees == 0:
        return mask
    height, width = mask.shape
    side = int(np.ceil(np.hypot(height, width))) + 2
    padded = np.zeros((side, side), np.uint8)
    top, left = (side - height) // 2, (side - width) // 2
    padded[top:top + height, left:left + width] = mask
    rotation = cv2.getRotationMatrix2D((side / 2, side / 2), degrees, 1.0)
    return cv2.warpAffine(padded, rotation, (side, side), flags=cv2.INTER_LINEAR)


def glyph_crops(texts: str, font: Path, turns_deg=(0,)) -> np.ndarray:
    """MNIST-style crops float32 (N, 28, 28, 1) of each character of `texts` at each pen width and turn."""
    glyphs = [mnist_glyph(turned(mask, degrees)) for text in texts for width in PEN_WIDTHS_PX
              if (mask := glyph_mask(text, font, width)).size for degrees in turns_deg]
    return to_unit_range(np.stack(glyphs)[..., None])


def report_digits(model, fonts: list[Path]) -> None:
    images, labels = mnist_test()
    probabilities = model.predict(to_unit_range(images[..., None]))
    print(f"MNIST test digits ({len(labels)}): accuracy {(probabilities.argmax(axis=1) == labels).mean():.4f}, "
          f"false rejects {rejected(probabilities).mean():.4f} ({rejected(probabilities).sum()})")
    for degrees in (15, 30):
        crops = [mnist_glyph(turned(image, degrees * sign)) for sign in (-1, 1) for image in images]
        probabilities = model.predict(to_unit_range(np.stack(crops)[..., None]))
        truth = np.tile(labels, 2)
        print(f"  turned by ±{degrees}°: accuracy {(probabilities.argmax(axis=1) == truth).mean():.4f}, "
              f"false rejects {rejected(probabilities).mean():.4f}")
    print("digits in handwriting fonts (0-9, pens 0/2/4 px, turned by -15°, 0° and 15°):")
    for font in fonts:
        probabilities = model.predict(glyph_crops("0123456789", font, FONT_DIGIT_TURNS_DEG))
        truth = np.repeat(np.arange(10), len(PEN_WIDTHS_PX) * len(FONT_DIGIT_TURNS_DEG))
        held_out = " (kept out of training)" if font.name == HELD_OUT_FONT else ""
        print(f"  {font.name:26s} accuracy {(probabilities.argmax(axis=1) == truth).mean():.3f}  false rejects "
              f"{rejected(probabilities).mean():.3f}{held_out}")


def report_letters(model, folder: Path) -> None:
    print(f"letters and punctuation ({REJECT_GLYPHS}, pens 0/2/4 px): share rejected")
    for name, fonts in (("kept-out font", font_paths(folder, held_out=True)), ("training fonts", font_paths(folder))):
        crops = [glyph_crops(REJECT_GLYPHS, font) for font in fonts]
        if crops:
            probabilities = model.predict(np.concatenate(crops))
            names = ", ".join(font.name for font in fonts)
            print(f"  {name:15s} {rejected(probabilities).mean():.4f} of {len(probabilities)}  ({names})")


def report_digit_shapes(model) -> None:
    images, _ = mnist_test()
    rng = np.random.default_rng(0)
    painters = {"glued MNIST test pairs": GluedPair(images), "parts of MNIST test digits": DigitFragment(images)}
    for name, painter in painters.items():
        crops = to_unit_range(np.stack([draw(painter, rng) for _ in range(SHAPES_PER_KIND)])[..., None])
        print(f"{name} ({SHAPES_PER_KIND}): share rejected {rejected(model.predict(crops)).mean():.4f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model file (default: the shipped model)")
    parser.add_argument("--fonts", type=Path, default=FONTS_DIR, help="folder of handwriting fonts")
    args = parser.parse_args(argv)
    model = classifiers.load(args.model)
    print(f"model: {getattr(model, 'path', model)} ({model.num_classes} classes)")
    fonts = font_paths(args.fonts) + font_paths(args.fonts, held_out=True)
    if not fonts:
        print(f"no fonts at {args.fonts}; pass --fonts PATH")
    report_digits(model, fonts)
    report_letters(model, args.fonts)
    report_digit_shapes(model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
