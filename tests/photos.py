"""The labelled real photos beside the repository (../shared/dev-photos): labels, sources and edit-distance scoring.

The photos are not part of the repository; the benchmark and the real-photo test read them from there.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tests.handheld import motion_blur

PHOTOS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "dev-photos"


@dataclass(frozen=True)
class Photo:
    """One labelled photo: its file name, its digits as one string in reading order, and where it came from
    (the repository that published it: photos of one source share a writer, a camera and a paper)."""

    file: str
    digits: str
    source: str


def edit_distance(first: str, second: str) -> int:
    """Levenshtein distance: misses, extras and wrong labels each count one."""
    previous = list(range(len(second) + 1))
    for i, char in enumerate(first, 1):
        current = [i]
        for j, other in enumerate(second, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def labelled_photos(folder: Path) -> list[Photo]:
    """Every photo listed in `folder`/labels.tsv (rows of digits separated by "|" in the file)."""
    with open(folder / "labels.tsv", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return [Photo(row["file"], row["digits"].replace("|", "").replace(" ", ""),
                      row.get("source_repo") or row["file"]) for row in rows]


def accuracy(photos: list[Photo], errors: dict[str, int]) -> float:
    """1 - edit distance / digits over the photos."""
    return 1 - sum(errors[photo.file] for photo in photos) / max(1, sum(len(photo.digits) for photo in photos))


def by_source(photos: list[Photo]) -> dict[str, list[Photo]]:
    """The photos grouped by source, in order of first appearance."""
    sources = defaultdict(list)
    for photo in photos:
        sources[photo.source].append(photo)
    return dict(sources)


def leave_one_source_out(photos: list[Photo], runs: dict[str, dict[str, int]]) -> tuple[float, dict[str, str]]:
    """Errors of settings chosen without each source, on that source: (accuracy, {source: setting chosen}).

    runs: per candidate setting, the errors per photo file; ties go to the first setting. With one setting
    there is nothing to choose and the figure is the all-in one.
    """
    errors, chosen = {}, {}
    for source, held_out in by_source(photos).items():
        others = [photo for photo in photos if photo.source != source]
        best = max(runs, key=lambda setting: (accuracy(others, runs[setting]), setting == next(iter(runs))))
        chosen[source] = best
        errors.update({photo.file: runs[best][photo.file] for photo in held_out})
    return accuracy(photos, errors), chosen


def turned(frame: np.ndarray, degrees: float) -> np.ndarray:
    """The frame turned by `degrees` (counter-clockwise), as a camera's roll turns the page, on a canvas that
    holds all of it; the corners carry the border's pixels on, as the world around a page would be."""
    height, width = frame.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = round(width * cos + height * sin), round(width * sin + height * cos)
    matrix[:, 2] += (new_w - width) / 2, (new_h - height) / 2
    return cv2.warpAffine(frame, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def blurred(frame: np.ndarray, share: float) -> np.ndarray:
    """The frame out of focus: a Gaussian blur whose sigma is `share` of its longer side."""
    return cv2.GaussianBlur(frame, (0, 0), share * max(frame.shape[:2]))


def washed_out(frame: np.ndarray, share: float) -> np.ndarray:
    """The frame over-exposed or in glare: its contrast pressed to `share` of itself about its mean."""
    mean = float(frame.mean())
    return np.clip(mean + (frame.astype(np.float32) - mean) * share + 0.5, 0, 255).astype(np.uint8)


def under_glare(frame: np.ndarray, strength: float = 0.6) -> np.ndarray:
    """The frame under a glare spot (a lamp on glossy paper): white light added up to `strength` at its centre,
    right of the middle and above it, falling off over a quarter of the longer side."""
    height, width = frame.shape[:2]
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    radius = 0.25 * max(height, width)
    light = strength * np.exp(-((columns - 0.6 * width) ** 2 + (rows - 0.4 * height) ** 2) / (2 * radius ** 2))
    return np.clip(frame * (1 - light[..., None]) + 255 * light[..., None] + 0.5, 0, 255).astype(np.uint8)


def hard_shadow(frame: np.ndarray, darkness: float = 0.5, edge_x: float | None = None) -> np.ndarray:
    """The frame with a sharp-edged shadow (a phone or a hand under a point light) over its right part, the
    light there `darkness` of the rest, its edge through column `edge_x` at mid height (default: 45 % of the
    width), leaning by 0.3 of the height."""
    height, width = frame.shape[:2]
    edge_x = 0.45 * width if edge_x is None else edge_x
    rows, columns = np.mgrid[0:height, 0:width]
    shade = np.where(columns > edge_x + 0.3 * (rows - height / 2), darkness, 1.0).astype(np.float32)
    return np.clip(frame * shade[..., None] + 0.5, 0, 255).astype(np.uint8)


def moved(frame: np.ndarray, share: float, across: bool = False) -> np.ndarray:
    """The frame as a camera moving during its exposure takes it: smeared along a straight move `share` of its
    longer side long (motion_blur), left to right or, `across`, top to bottom."""
    length = share * max(frame.shape[:2])
    return motion_blur(frame, np.array([0.0, length] if across else [length, 0.0]))


def shrunk(frame: np.ndarray, side_px: int) -> np.ndarray:
    """The frame as a camera of fewer pixels takes it: shrunk, area-averaged, until its longer side is at most
    `side_px` (a smaller frame as it is)."""
    scale = side_px / max(frame.shape[:2])
    if scale >= 1:
        return frame
    return cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def dimmed(frame: np.ndarray, light: float = 0.35, noise: float = 6.0) -> np.ndarray:
    """The frame from a camera in a dim room: its light `light` of full, with sensor noise of `noise` gray
    levels per colour channel (about two thirds of that once gray; the same noise for every frame of a size,
    so a reading can be repeated)."""
    grain = np.random.default_rng(0).normal(0, noise, frame.shape).astype(np.float32)
    return np.clip(frame * np.float32(light) + grain + 0.5, 0, 255).astype(np.uint8)


# The photos as other cameras would take them: per way a camera differs, the changes of a frame that show it.
CAMERA_CHANGES = {
    "turned by ±5° (a camera's roll)": (lambda frame: turned(frame, -5), lambda frame: turned(frame, 5)),
    "turned by ±10°": (lambda frame: turned(frame, -10), lambda frame: turned(frame, 10)),
    "turned by ±20°": (lambda frame: turned(frame, -20), lambda frame: turned(frame, 20)),
    "blurred by 0.2 % of the longer side (out of focus)": (lambda frame: blurred(frame, 0.002),),
    "blurred by 0.3 %": (lambda frame: blurred(frame, 0.003),),
    "washed out to 40 % of their contrast (over-exposed, glare)": (lambda frame: washed_out(frame, 0.4),),
    "washed out to 25 %": (lambda frame: washed_out(frame, 0.25),),
    "under a glare spot": (under_glare,),
    "under a hard shadow's edge": (hard_shadow,),
    "dimmed to 35 % with sensor noise (a dim room)": (dimmed,),
    "shrunk to 320 px on the longer side (a 320×240 camera)": (lambda frame: shrunk(frame, 320),),
    "moved by 0.75 % of the longer side during the exposure (along and across)":
        (lambda frame: moved(frame, 0.0075), lambda frame: moved(frame, 0.0075, across=True)),
}
