"""Scene cuts: a frame that differs from the one before far more than a hand-held camera's drift, a
change of focus or of light would make it (a new sheet, a cut in a video), so tracking starts afresh.

Frames are compared as small blurred thumbnails, each normalized to zero mean and unit contrast, so
that brightness and exposure changes cancel and only the layout of the ink and the paper counts.
"""

from __future__ import annotations

import cv2
import numpy as np

from camera_digits.segment import to_gray

THUMBNAIL_SIZE = (32, 24)  # (W, H): a digit is a blob of a pixel or two, drift is a fraction of a pixel
CUT_DIFFERENCE = 0.4  # mean absolute difference of normalized thumbnails above which a frame is a cut
CONTRAST_FLOOR = 4.0  # gray levels: keeps a blank frame's noise from being stretched into a pattern


def thumbnail(frame: np.ndarray) -> np.ndarray:
    """float32 (24, 32): `frame` (any image the recognizer takes) shrunk, blurred and normalized."""
    gray = to_gray(frame)
    small = cv2.resize(gray, THUMBNAIL_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)
    small = cv2.GaussianBlur(small, (0, 0), 1.0)
    return (small - small.mean()) / max(float(small.std()), CONTRAST_FLOOR)


class CutDetector:
    """Call `is_cut(frame)` once per frame, in order: True where the scene changed."""

    def __init__(self, threshold: float = CUT_DIFFERENCE):
        self.threshold = threshold
        self.previous: np.ndarray | None = None

    def difference(self, frame: np.ndarray) -> float:
        """How far `frame` is from the previous one (0 for the first frame); remembers `frame`."""
        current = thumbnail(frame)
        previous, self.previous = self.previous, current
        return 0.0 if previous is None else float(np.abs(current - previous).mean())

    def is_cut(self, frame: np.ndarray) -> bool:
        return self.difference(frame) > self.threshold
