"""MNIST loading and validation: a Keras-layout `.npz`, a folder of IDX files, or the Keras download.

Sources are tried in order: an explicit path (`--data`), the CAMERA_DIGITS_DATA environment
variable, the Keras cache (~/.keras/datasets/mnist.npz), then `keras.datasets.mnist.load_data()`.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from camera_digits.errors import DataError

KERAS_CACHE = Path("~/.keras/datasets/mnist.npz")
DATA_HINT = (
    "pass --data PATH (a Keras-layout mnist.npz or a folder with the four MNIST IDX files), "
    "set CAMERA_DIGITS_DATA, or put mnist.npz in ~/.keras/datasets/"
)
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
IDX_STEMS = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class Mnist:
    """The four MNIST arrays, where they came from, and a checksum of their contents."""

    x_train: np.ndarray  # (N, 28, 28) uint8, ink = 255
    y_train: np.ndarray  # (N,) uint8 in 0..9
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        for array in (self.x_train, self.y_train, self.x_test, self.y_test):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()


def load_mnist(path: str | os.PathLike | None = None) -> Mnist:
    """Load and validate MNIST from `path`, else from the first source that exists (see module doc)."""
    if path is not None:
        return read_mnist(Path(path))
    if os.environ.get("CAMERA_DIGITS_DATA"):
        return read_mnist(Path(os.environ["CAMERA_DIGITS_DATA"]))
    cache = KERAS_CACHE.expanduser()
    if cache.is_file():
        return read_mnist(cache)
    return download_mnist()


def read_mnist(path: Path) -> Mnist:
    """Read an `.npz` file or an IDX folder and validate it."""
    if path.is_dir():
        arrays = read_idx_folder(path)
    elif path.is_file():
        arrays = read_npz(path)
    else:
        raise DataError(f"{path}: no such file or folder; {DATA_HINT}")
    return validated(arrays, str(path))


def download_mnist() -> Mnist:
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # urllib, ssl and socket errors all mean "no download"
        raise DataError(f"could not download MNIST ({type(error).__name__}: {error}); {DATA_HINT}") from None
    arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return validated(arrays, str(KERAS_CACHE))


def read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in NPZ_KEYS if key not in archive.files]
            if missing:
                raise DataError(f"{path}: missing arrays {', '.join(missing)}; {DATA_HINT}")
            return {key: archive[key] for key in NPZ_KEYS}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{path}: not a readable .npz file ({error}); {DATA_HINT}") from None


def read_idx_folder(folder: Path) -> dict[str, np.ndarray]:
    return {key: read_idx(find_idx_file(folder, stem)) for key, stem in IDX_STEMS.items()}


def find_idx_file(folder: Path, stem: str) -> Path:
    # The files circulate both as "train-images-idx3-ubyte" and "train-images.idx3-ubyte".
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, dotted, f"{stem}.gz", f"{dotted}.gz"):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder}: no {stem} file (plain or .gz); {DATA_HINT}")


def read_idx(path: Path) -> np.ndarray:
    """Parse one IDX file (optionally gzipped): a magic number, big-endian sizes, then uint8 data."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as error:
        raise DataError(f"{path}: cannot be read or decompressed ({error}); {DATA_HINT}") from None
    if len(raw) < 8:
        raise DataError(f"{path}: too short for an IDX header ({len(raw)} bytes); {DATA_HINT}")
    magic = int.from_bytes(raw[:4], "big")
    if magic not in (IMAGES_MAGIC, LABELS_MAGIC):
        raise DataError(f"{path}: magic number {magic} is not an IDX uint8 file (2051 or 2049); {DATA_HINT}")
    dimensions = 3 if magic == IMAGES_MAGIC else 1
    header_size = 4 + 4 * dimensions
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dimensions))
    expected = header_size + int(np.prod(shape))
    if len(raw) != expected:
        raise DataError(f"{path}: {len(raw)} bytes, expected {expected} for shape {shape} (truncated?); {DATA_HINT}")
    return np.frombuffer(raw, np.uint8, offset=header_size).reshape(shape)


def validated(arrays: dict[str, np.ndarray], source: str) -> Mnist:
    """Check shapes, dtypes, label range and counts; raise DataError naming the first problem."""
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        problem = split_problem(images, labels)
        if problem:
            raise DataError(f"{source}: {split} split {problem}; {DATA_HINT}")
    return Mnist(
        arrays["x_train"], arrays["y_train"].astype(np.uint8), arrays["x_test"], arrays["y_test"].astype(np.uint8),
        source,
    )


def split_problem(images: np.ndarray, labels: np.ndarray) -> str | None:
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        return f"images are {images.dtype} {images.shape}, expected uint8 (N, 28, 28)"
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        return f"labels are {labels.dtype} {labels.shape}, expected integers (N,)"
    if len(images) != len(labels):
        return f"has {len(images)} images but {len(labels)} labels"
    if len(images) == 0:
        return "is empty"
    if labels.min() < 0 or labels.max() > 9:
        return f"has labels outside 0..9 (min {labels.min()}, max {labels.max()})"
    return None
