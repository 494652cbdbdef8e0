"""Glyphs drawn with handwriting fonts: letters and punctuation for the reject class, digits for checking it.

The fonts are the free handwriting-style fonts beside the repository (`../shared/data/fonts/`). One of them
is kept out of training, so the rejection of letters can be measured in a hand the model has never seen.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

FONTS_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "fonts"
FONT_SUFFIXES = (".ttf", ".otf")
# Kept out of training for the held-out figure: the plainest everyday hand of the seven, so the figure
# speaks for ordinary handwriting rather than for one calligraphic style.
HELD_OUT_FONT = "Rufscript010.ttf"
GLYPH_SIZE_PX = 96  # font size the glyphs are drawn at, about the scale of the reject class's canvas
# Letters and punctuation people write beside digits. Shapes that a digit can look like in some hand are left
# out: O o Q D U u C c (0), I i l j | ! ( ) [ ] / (1), Z z (2), S s $ (5), G b L < (6), T (7), B (8),
# q g y (9).
REJECT_GLYPHS = "AEFHKMNPRVWXYaehkmnrtvwx?@%&#>~^*+=-"


def font_paths(folder: Path = FONTS_DIR, held_out: bool = False) -> list[Path]:
    """The font files in `folder`, sorted: all but HELD_OUT_FONT, or (held_out=True) only that one."""
    if not folder.is_dir():
        return []
    paths = sorted(path for path in folder.iterdir() if path.suffix.lower() in FONT_SUFFIXES)
    return [path for path in paths if (path.name == HELD_OUT_FONT) == held_out]


@lru_cache(maxsize=32)
def load_font(path: Path, size_px: int = GLYPH_SIZE_PX):
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size_px)


def glyph_mask(text: str, font_path: Path, stroke_px: int = 0) -> np.ndarray:
    """uint8 ink mask (ink = 255) of `text` drawn in the font, tight around the ink; empty if the font lacks it.

    `stroke_px` > 0 thickens the font's strokes, as a broader pen would.
    """
    from PIL import Image, ImageDraw

    font = load_font(font_path)
    side = 3 * GLYPH_SIZE_PX
    image = Image.new("L", (side, side), 0)
    ImageDraw.Draw(image).text((side // 2, side // 2), text, fill=255, font=font, anchor="mm",
                               stroke_width=stroke_px, stroke_fill=255)
    mask = np.where(np.asarray(image) >= 128, 255, 0).astype(np.uint8)
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return np.zeros((0, 0), np.uint8)
    return mask[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]

