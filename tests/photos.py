"""The labelled real photos beside the repository (../shared/dev-photos): labels and edit-distance scoring.

The photos are not part of the repository; the benchmark and the optional test read them from there.
"""

from __future__ import annotations

import csv
from pathlib import Path

PHOTOS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "dev-photos"


def edit_distance(first: str, second: str) -> int:
    """Levenshtein distance: misses, extras and wrong labels each count one."""
    previous = list(range(len(second) + 1))
    for i, char in enumerate(first, 1):
        current = [i]
        for j, other in enumerate(second, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def photo_labels(folder: Path) -> list[tuple[str, str]]:
    """(file, digits as one string in reading order) per labelled photo in `folder`/labels.tsv."""
    with open(folder / "labels.tsv", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return [(row["file"], row["digits"].replace("|", "").replace(" ", "")) for row in rows]
