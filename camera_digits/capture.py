"""Frame sources: a camera index, a stream URL, a video file, an image file or a folder of images.

`open_source(spec)` picks the kind from `spec` and returns a context manager that yields BGR uint8
frames and always releases what it opened. Live sources (cameras, streams) are read on a capture
thread that keeps only the newest frame, so a slow consumer never works through a backlog.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np

from camera_digits.errors import SourceError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm"})
FIRST_FRAME_TIMEOUT_S = 3.0  # a camera that opens but sends nothing for this long is busy or broken
RECONNECT_TIMEOUT_S = 5.0  # how long a live source may stay silent before we give up
RECONNECT_INTERVAL_S = 0.5  # pause between attempts to reopen a lost live source
STREAM_TIMEOUT_MS = 5000  # FFmpeg's open and read timeouts for stream URLs
SOURCE_HINT = "pass a camera index (--device 0), a video file, an image, a folder of images, or --demo"


@dataclass(frozen=True)
class Frame:
    """One frame from a source.

    `image` is BGR uint8 (H, W, 3), or None while a live source is reconnecting;
    `name` says where it came from (the image path for folders, the source otherwise).
    """

    image: np.ndarray | None
    index: int
    name: str


class FrameSource:
    """Base of all sources: iterate for `Frame`s; use as a context manager so `close()` always runs."""

    is_live = False  # frames arrive in real time and may be dropped
    is_still = False  # frames are unrelated photos: no tracking across them
    fps = 15.0  # the rate a recording of this source should play at

    def __init__(self, name: str):
        self.name = name

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        """Release whatever the source opened; safe to call twice."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def open_source(spec: str, width: int | None = None, height: int | None = None) -> FrameSource:
    """Open `spec`: a camera index ("0"), a URL ("rtsp://..."), an image, a video or a folder.

    `width`/`height` ask a camera or stream for that resolution (the driver may pick the nearest one).
    Raises SourceError, naming the source and what to try instead, if it cannot be opened.
    """
    spec = str(spec)
    if spec.isdigit():
        return LiveSource(f"camera {spec}", lambda: open_camera(int(spec), width, height), camera_hint(spec))
    if "://" in spec:
        stream_hint = "check the address and that the stream is running"
        return LiveSource(spec, lambda: open_stream(spec, width, height), stream_hint)
    path = Path(spec)
    if path.is_dir():
        return FolderSource(path)
    if not path.exists():
        raise SourceError(f"no such file or folder: {spec}; {SOURCE_HINT}")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(path)
    return VideoFileSource(path)


def camera_hint(index: str) -> str:
    return f"is another program using it? try --device {int(index) + 1}, a video file, or --demo"


def open_camera(index: int, width: int | None, height: int | None) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(index)
    request_size(capture, width, height)
    return capture


def open_stream(url: str, width: int | None, height: int | None) -> cv2.VideoCapture:
    timeouts = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, STREAM_TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC, STREAM_TIMEOUT_MS]
    capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG, timeouts)
    request_size(capture, width, height)
    return capture


def request_size(capture: cv2.VideoCapture, width: int | None, height: int | None) -> None:
    if width:
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
    if height:
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)


class ImageSource(FrameSource):
    """A single image file: one frame."""

    is_still = True

    def __init__(self, path: Path):
        super().__init__(str(path))
        self.image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if self.image is None:
            raise SourceError(f"could not read image {path}; the file is corrupt or not an image OpenCV can decode")

    def __iter__(self) -> Iterator[Frame]:
        yield Frame(self.image, 0, self.name)


class FolderSource(FrameSource):
    """Every image in a folder, in name order; unreadable ones are skipped with a warning and counted."""

    is_still = True

    def __init__(self, folder: Path):
        super().__init__(str(folder))
        self.paths = sorted(path for path in folder.iterdir() if path.suffix.lower() in IMAGE_SUFFIXES)
        if not self.paths:
            raise SourceError(f"no images in folder {folder} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
        self.skipped: list[Path] = []

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        for path in self.paths:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                log.warning("skipping %s: not an image OpenCV can decode", path)
                self.skipped.append(path)
                continue
            yield Frame(image, index, str(path))
            index += 1
        if index == 0:
            raise SourceError(f"none of the {len(self.paths)} images in {self.name} could be read")


class VideoFileSource(FrameSource):
    """A video file, read frame by frame in order (nothing dropped)."""

    def __init__(self, path: Path):
        super().__init__(str(path))
        self.capture = cv2.VideoCapture(str(path))
        ok, self.first = self.capture.read() if self.capture.isOpened() else (False, None)
        if not ok:
            self.capture.release()
            raise SourceError(f"could not read video {path}; the file is corrupt or not a video OpenCV can decode")
        reported_fps = self.capture.get(cv2.CAP_PROP_FPS)
        self.fps = reported_fps if 1 <= reported_fps <= 240 else FrameSource.fps

    def __iter__(self) -> Iterator[Frame]:
        image, index = self.first, 0
        while image is not None:
            yield Frame(image, index, self.name)
            ok, image = self.capture.read()
            index += 1

    def close(self) -> None:
        self.capture.release()


class LiveSource(FrameSource):
    """A camera or stream read on a capture thread; yields the newest frame, dropping older ones.

    While the source is silent it yields `Frame(None, ...)` so the caller can show "reconnecting";
    if it stays silent for RECONNECT_TIMEOUT_S the iteration raises SourceError.
    """

    is_live = True

    def __init__(self, name: str, opener: Callable[[], cv2.VideoCapture], hint: str):
        super().__init__(name)
        self.reader = LatestFrameReader(opener)
        self.reader.start()
        try:
            opened = self.reader.wait_for_first_frame(FIRST_FRAME_TIMEOUT_S)
        except BaseException:  # Ctrl-C or SIGTERM while waiting: still release the camera
            self.close()
            raise
        if not opened:
            self.close()
            raise SourceError(f"could not open {name}; {hint}")
        self.fps = self.reader.fps or FrameSource.fps

    @property
    def reconnecting(self) -> bool:
        return self.reader.state == "reconnecting"

    def __iter__(self) -> Iterator[Frame]:
        index, seen = 0, 0
        while True:
            image, seen = self.reader.next_frame(after=seen, timeout_s=RECONNECT_INTERVAL_S)
            if self.reader.state == "lost":
                raise SourceError(
                    f"{self.name} stopped delivering frames and did not come back within "
                    f"{RECONNECT_TIMEOUT_S:g} s; check the connection and run again"
                )
            if self.reader.state == "stopped":
                return
            if image is not None:
                yield Frame(image, index, self.name)
                index += 1
            elif self.reconnecting:
                yield Frame(None, index, self.name)

    def close(self) -> None:
        self.reader.stop()


class LatestFrameReader(threading.Thread):
    """Owns a cv2.VideoCapture on its own thread: opens it, keeps the newest frame, reopens it
    when it goes silent, and releases it when stopped (imutils' WebcamVideoStream never releases).

    `state` goes opening → live ⇄ reconnecting, and ends as failed (never delivered a frame),
    lost (silent for longer than RECONNECT_TIMEOUT_S) or stopped.
    """

    def __init__(self, opener: Callable[[], cv2.VideoCapture]):
        super().__init__(name="frame-reader", daemon=True)
        self.opener = opener
        self.state = "opening"
        self.fps: float | None = None
        self._capture: cv2.VideoCapture | None = None
        self._image: np.ndarray | None = None
        self._count = 0  # frames delivered so far; consumers ask for one newer than they saw
        self._changed = threading.Condition()
        self._stopping = threading.Event()

    def run(self) -> None:
        try:
            self._capture = self.opener()
            if self._read_once():
                self._note_fps()
                self._set_state("live")
                self._read_until_stopped()
        finally:
            if self._capture is not None:
                self._capture.release()
            if self.state in ("opening", "live", "reconnecting"):
                self._set_state("failed" if self._count == 0 else "stopped")

    def _read_until_stopped(self) -> None:
        while not self._stopping.is_set():
            if not self._read_once() and not self._reconnect():
                self._set_state("lost")
                return

    def _read_once(self) -> bool:
        ok, image = self._capture.read() if self._capture.isOpened() else (False, None)
        if not ok or image is None:
            return False
        with self._changed:
            self._image, self._count = image, self._count + 1
            self._changed.notify_all()
        return True

    def _reconnect(self) -> bool:
        """Reopen the source until it delivers a frame again or RECONNECT_TIMEOUT_S passes."""
        self._set_state("reconnecting")
        log.warning("no frames from the source; reconnecting for up to %g s", RECONNECT_TIMEOUT_S)
        deadline = time.monotonic() + RECONNECT_TIMEOUT_S
        while time.monotonic() < deadline and not self._stopping.wait(RECONNECT_INTERVAL_S):
            self._capture.release()
            self._capture = self.opener()
            if self._read_once():
                self._set_state("live")
                return True
        return self._stopping.is_set()

    def _note_fps(self) -> None:
        reported = self._capture.get(cv2.CAP_PROP_FPS)
        self.fps = reported if 1 <= reported <= 240 else None

    def _set_state(self, state: str) -> None:
        with self._changed:
            self.state = state
            self._changed.notify_all()

    def wait_for_first_frame(self, timeout_s: float) -> bool:
        with self._changed:
            self._changed.wait_for(lambda: self._count > 0 or self.state == "failed", timeout_s)
            return self._count > 0

    def next_frame(self, after: int, timeout_s: float) -> tuple[np.ndarray | None, int]:
        """The newest frame if one newer than frame number `after` arrives within `timeout_s`,
        else None; with the number of the frame returned (or `after`)."""
        with self._changed:
            self._changed.wait_for(lambda: self._count > after or self.state in ("lost", "stopped"), timeout_s)
            if self._count > after:
                return self._image, self._count
            return None, after

    def stop(self) -> None:
        self._stopping.set()
        if self.is_alive():
            # A driver stuck in read() cannot be interrupted; the daemon thread then dies with the process.
            self.join(timeout=2.0)
