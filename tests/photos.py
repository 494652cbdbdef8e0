"""The labelled real photos beside the repository (../shared/dev-photos): labels, sources and edit-distance scoring.

The photos are not part of the repository; the benchmark and the real-photo test read them from there.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

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
        return [Photo(row["file"], row["digits"].replace("|", "").replace(" ", ""), row.get("source_repo") or row["file"])
                for row in rows]


def photo_labels(folder: Path) -> list[tuple[str, str]]:
    """(file, digits as one string in reading order) per labelled photo in `folder`/labels.tsv."""
    return [(photo.file, photo.digits) for photo in labelled_photos(folder)]
