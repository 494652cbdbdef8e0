"""Where each processed frame goes besides the window: the annotated video or image, JSON lines, and crops.

Every sink is a context manager: `write(processed)` per frame, and on exit it finalizes its file,
so a recording is playable after a normal end, Ctrl-C, SIGTERM or a lost camera alike.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from camera_digits.classifier import CLASS_FOLDERS, REJECT_FOLDER
from camera_digits.draw import as_bgr, draw_reading
from camera_digits.errors import CameraDigitsError
from camera_digits.files import atomic_path
from camera_digits.results import Reading

VIDEO_CODECS = {".mp4": "mp4v", ".avi": "MJPG"}  # both ship with opencv-python's FFmpeg
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
MIN_VIDEO_SIDE_PX = 16  # the smallest frame the encoders accept reliably


class SinkError(CameraDigitsError):
    """An output file cannot be written."""


@dataclass(frozen=True)
class Processed:
    """One frame's results: the reading, the frame it was read from (BGR uint8 (H, W, 3)), and the recognizer's
    DebugImages when the debug view is on or crops are saved (else None)."""

    reading: Reading
    frame: np.ndarray
    debug: object | None

    @cached_property
    def annotated(self) -> np.ndarray:
        """The frame with the reading drawn; drawn once, and only if a window or recording asks for it."""
        return draw_reading(self.frame, self.reading)


class ReaderGone(CameraDigitsError):
    """Whoever read the JSON lines on stdout stopped reading (`... --json - | head`)."""


def write_image(path: Path, image: np.ndarray) -> None:
    with atomic_path(path) as temporary:
        if not cv2.imwrite(str(temporary), image):
            raise SinkError(f"could not write image {path}; use a .png or .jpg name in a writable folder")


def check_writable(path: Path) -> None:
    """Raise SinkError now, not at the first frame, if `path` cannot be created."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SinkError(f"cannot write --output {path}: {error.strerror} ({error.filename})") from None
    if not os.access(path.parent, os.W_OK):
        raise SinkError(f"cannot write --output {path}: the folder {path.parent} is not writable")


class JsonSink:
    """One JSON line per frame (`Reading.to_dict()`), flushed at once so a reader can follow along.

    Unlike the video, the file is written in place, line by line: a reader can follow it while the
    app runs, and every line in it is whole.
    """

    def __init__(self, target: str):
        self.to_stdout = target == "-"
        try:
            self.stream = sys.stdout if self.to_stdout else open(target, "w", encoding="utf-8")
        except OSError as error:
            raise SinkError(f"cannot write --json {target}: {error.strerror}") from None

    def __enter__(self) -> JsonSink:
        return self

    def __exit__(self, *exc_info) -> None:
        if not self.to_stdout:
            self.stream.close()

    def write(self, processed: Processed) -> None:
        try:
            self.stream.write(json.dumps(processed.reading.to_dict()) + "\n")
            self.stream.flush()
        except BrokenPipeError:
            # Point stdout at /dev/null so that Python's own flush at exit does not fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())
            raise ReaderGone("the reader of the JSON lines closed the pipe") from None


class ImageSink:
    """The annotated image of a still input, written (atomically) when the run ends."""

    def __init__(self, path: Path):
        self.path = path
        self.annotated: np.ndarray | None = None

    def __enter__(self) -> ImageSink:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.annotated is not None:
            write_image(self.path, self.annotated)

    def write(self, processed: Processed) -> None:
        self.annotated = processed.annotated


class VideoSink:
    """The annotated video. It is written under a temporary name and renamed when closed, so the
    named file is always a finished, playable video. Frames of another size are letterboxed into
    the first frame's size."""

    def __init__(self, path: Path, fps: float):
        self.path, self.fps = path, fps
        self.size: tuple[int, int] | None = None  # (width, height)
        self.writer: cv2.VideoWriter | None = None
        self.temporary = contextlib.ExitStack()

    def __enter__(self) -> VideoSink:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.writer is not None:
            self.writer.release()
        self.temporary.close()  # renames the finished file over `path`

    def write(self, processed: Processed) -> None:
        if self.writer is None:
            self.open(processed.annotated.shape)
        self.writer.write(letterbox(processed.annotated, self.size))

    def open(self, shape: tuple[int, ...]) -> None:
        height, width = shape[:2]
        self.size = (even(max(width, MIN_VIDEO_SIDE_PX)), even(max(height, MIN_VIDEO_SIDE_PX)))
        temporary = self.temporary.enter_context(atomic_path(self.path))
        fourcc = cv2.VideoWriter_fourcc(*VIDEO_CODECS[self.path.suffix.lower()])
        self.writer = cv2.VideoWriter(str(temporary), fourcc, self.fps, self.size)
        if not self.writer.isOpened():
            self.writer = None
            self.temporary.__exit__(SinkError, None, None)  # deletes the temporary file instead of keeping it
            width, height = self.size
            raise SinkError(f"could not write video {self.path} ({width}×{height}); try an .avi name")


def even(pixels: int) -> int:
    """Round up to an even number: the MPEG-4 encoder needs even frame sides."""
    return pixels + pixels % 2


def letterbox(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`image` (BGR uint8) scaled to fit `size` (width, height), keeping its aspect ratio, on black."""
    width, height = size
    if image.shape[1] == width and image.shape[0] == height:
        return image
    factor = min(width / image.shape[1], height / image.shape[0])
    fitted_w, fitted_h = max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor))
    canvas = np.zeros((height, width, 3), np.uint8)
    left, top = (width - fitted_w) // 2, (height - fitted_h) // 2
    fitted = cv2.resize(as_bgr(image), (fitted_w, fitted_h), interpolation=cv2.INTER_AREA)
    canvas[top:top + fitted_h, left:left + fitted_w] = fitted
    return canvas


def output_sink(path: Path, fps: float, still_image: bool):
    """The sink for `--output path`: a video by its suffix, or an image when the input is one image."""
    suffix = path.suffix.lower()
    if suffix not in VIDEO_CODECS and suffix not in IMAGE_SUFFIXES:
        raise SinkError(f"--output {path}: unknown file type; use .mp4 or .avi (or .png/.jpg for an image input)")
    if suffix in IMAGE_SUFFIXES and not still_image:
        raise SinkError(f"--output {path}: an image file needs an image input; use .mp4 or .avi for videos, "
                        "cameras and folders")
    check_writable(path)
    return VideoSink(path, fps) if suffix in VIDEO_CODECS else ImageSink(path)


class CropSink:
    """Every crop the model read, as the 28×28 PNG it saw (white ink on black), in `folder/<digit>/`, or in
    `folder/reject/` when it found no digit there. Named `<source>-<frame>-<crop>.png`. A user moves the misread
    ones into the right folder and trains on them with `train.py --extra folder`."""

    def __init__(self, folder: Path):
        self.folder = folder
        try:  # every class folder, so a misread crop has somewhere to be moved to
            for name in CLASS_FOLDERS:
                (folder / name).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SinkError(f"cannot write --save-crops {folder}: {error.strerror} ({error.filename})") from None

    def __enter__(self) -> CropSink:
        return self

    def __exit__(self, *exc_info) -> None:
        pass

    def write(self, processed: Processed) -> None:
        if processed.debug is None:
            return
        reading = processed.reading
        stem = f"{source_label(reading.source)}-{reading.frame_index:06d}"
        for index, (crop, label) in enumerate(zip(processed.debug.crops, processed.debug.labels.tolist())):
            path = self.folder / (str(label) if label >= 0 else REJECT_FOLDER) / f"{stem}-{index:02d}.png"
            write_image(path, np.round(crop[..., 0] * 255).astype(np.uint8))


def source_label(name: str | None) -> str:
    """A file-name-safe label for a source: a file's stem, "camera_0", a stream's last path part."""
    label = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name or "frame").stem).strip("_")
    return label or "frame"
