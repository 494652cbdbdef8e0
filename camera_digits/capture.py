"""Frame sources: a camera index, a stream URL, a video file, an image file or a folder of images.

`open_source(spec)` picks the kind from `spec` and returns a context manager that yields BGR uint8
frames and always releases what it opened. Live sources (cameras, streams) are read on a capture
thread that keeps only the newest frame, so a slow consumer never works through a backlog.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np

from camera_digits.errors import SourceError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm"})
# The deadlines of a live source (camera or stream), each counted on the monotonic clock:
OPEN_TIMEOUT_S = 5.0  # open: the first frame must arrive this long after opening began, or exit 2
STALL_S = 2.0  # stall: silent this long since the last frame, the source is reopened ("reconnecting")
LOST_TIMEOUT_S = 5.0  # reconnect: silent this long since the last frame, the run stops with exit 1
RECONNECT_INTERVAL_S = 0.5  # pause between attempts to reopen a silent source
POLL_S = 0.1  # how often the consumer looks at the clock while no frame comes
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


@dataclass(frozen=True)
class Deadlines:
    """Seconds a live source is given: to deliver its first frame (`open_s`), before a silent one is
    reopened (`stall_s`) and before a silent one is given up (`lost_s`, counted from its last frame)."""

    open_s: float
    stall_s: float
    lost_s: float

    @classmethod
    def of(cls, timeout_s: float | None = None) -> Deadlines:
        """The default deadlines, or `timeout_s` for opening and for giving up; a stall is then half
        of it, at most STALL_S."""
        open_s, lost_s = timeout_s or OPEN_TIMEOUT_S, timeout_s or LOST_TIMEOUT_S
        return cls(open_s, min(STALL_S, lost_s / 2), lost_s)


def open_source(spec: str, width: int | None = None, height: int | None = None,
                deadlines: Deadlines | None = None, loop: bool = False) -> FrameSource:
    """Open `spec`: a camera index ("0"), a URL ("rtsp://..."), an image, a video or a folder.

    `width`/`height` ask a camera or stream for that resolution (the driver may pick the nearest one);
    `deadlines` bound a live source's waits (default `Deadlines.of()`); `loop` plays a video file
    over and over.
    Raises SourceError, naming the source and what to try instead, if it cannot be opened.
    """
    spec = str(spec)
    deadlines = deadlines or Deadlines.of()
    if spec.isdigit():
        camera = partial(open_camera, int(spec), width, height)
        return LiveSource(f"camera {spec}", camera, camera_hint(spec), deadlines)
    if "://" in spec:
        stream_hint = "check the address and that the stream is running"
        return LiveSource(spec, partial(open_stream, spec, width, height), stream_hint, deadlines)
    path = Path(spec)
    if path.is_dir():
        return FolderSource(path)
    if not path.exists():
        raise SourceError(f"no such file or folder: {spec}; {SOURCE_HINT}")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(path)
    return VideoFileSource(path, loop)


def camera_hint(index: str) -> str:
    return f"is another program using it? try --device {int(index) + 1}, a video file, or --demo"


def open_camera(index: int, width: int | None, height: int | None, open_s: float, read_s: float) -> cv2.VideoCapture:
    """Camera drivers take no timeouts: `open_s` and `read_s` are watched by LiveSource instead."""
    capture = cv2.VideoCapture(index)
    request_size(capture, width, height)
    return capture


def open_stream(url: str, width: int | None, height: int | None, open_s: float, read_s: float) -> cv2.VideoCapture:
    """FFmpeg gives up opening after `open_s` and each read after `read_s`, so no call outlives a deadline."""
    timeouts = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, max(1, round(open_s * 1e3)),
                cv2.CAP_PROP_READ_TIMEOUT_MSEC, max(1, round(read_s * 1e3))]
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
    """A video file, read frame by frame in order (nothing dropped); with `loop`, from the start again
    at its end, frame numbers counting on."""

    def __init__(self, path: Path, loop: bool = False):
        super().__init__(str(path))
        self.path, self.loop = path, loop
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
            if not ok and self.loop:
                self.capture.release()
                self.capture = cv2.VideoCapture(str(self.path))
                ok, image = self.capture.read()
            index += 1
            image = image if ok else None

    def close(self) -> None:
        self.capture.release()


class LiveSource(FrameSource):
    """A camera or stream read on a capture thread; yields the newest frame, dropping older ones.

    Opening raises SourceError unless a first frame comes within `deadlines.open_s`. Once live, a
    source silent for `deadlines.stall_s` yields `Frame(None, ...)` so the caller can show
    "reconnecting" while it is reopened; silent for `deadlines.lost_s` since its last frame, the
    iteration raises SourceError. The clock is watched here, so a driver stuck in a call cannot
    stretch a deadline.
    """

    is_live = True

    def __init__(self, name: str, opener: Opener, hint: str, deadlines: Deadlines):
        super().__init__(name)
        self.deadlines = deadlines
        self.reader = LatestFrameReader(opener, deadlines)
        started = time.monotonic()
        self.reader.start()
        try:
            opened = self.reader.wait_for_first_frame(deadlines.open_s)
        except BaseException:  # Ctrl-C or SIGTERM while waiting: still release the camera
            self.close()
            raise
        if not opened:
            # Waited out the deadline (FFmpeg's own open timeout ends at about the same time), or refused at once?
            timed_out = time.monotonic() - started >= 0.9 * deadlines.open_s
            self.close()
            why = f" (no frame within {deadlines.open_s:g} s)" if timed_out else ""
            raise SourceError(f"could not open {name}{why}; {hint}")
        self.fps = self.reader.fps or FrameSource.fps

    def __iter__(self) -> Iterator[Frame]:
        index, seen, reconnects, silent = 0, 0, 0, False
        while True:
            image, seen = self.reader.next_frame(after=seen, timeout_s=POLL_S)
            if image is not None:
                if self.reader.reconnects > reconnects:
                    log.info("%s reconnected", self.name)
                    reconnects, silent = self.reader.reconnects, False
                yield Frame(image, index, self.name)
                index += 1
                continue
            if self.reader.state == "stopped":
                return
            silence_s = self.reader.silence_s()
            if silence_s >= self.deadlines.lost_s or self.reader.state == "lost":
                raise SourceError(
                    f"{self.name} stopped delivering frames and did not come back within "
                    f"{self.deadlines.lost_s:g} s; check the connection and run again"
                )
            if silence_s >= self.deadlines.stall_s or self.reader.state == "reconnecting":
                if not silent:
                    log.warning("no frames from %s; reconnecting, for up to %g s after the last frame",
                                self.name, self.deadlines.lost_s)
                    silent = True
                yield Frame(None, index, self.name)

    def close(self) -> None:
        self.reader.stop()


Opener = Callable[[float, float], cv2.VideoCapture]  # (open timeout s, read timeout s) -> an opened capture
_readers: weakref.WeakSet = weakref.WeakSet()


def readers_still_running() -> list[threading.Thread]:
    """Capture threads still inside a driver call after their source was closed (a camera driver
    that does not return). The interpreter must not shut down around one: OpenCV would abort."""
    return [reader for reader in list(_readers) if reader.is_alive()]


class LatestFrameReader(threading.Thread):
    """Owns a cv2.VideoCapture on its own thread: opens it, keeps the newest frame, reopens it
    when it goes silent, and releases it when stopped (imutils' WebcamVideoStream never releases).

    `state` goes opening → live ⇄ reconnecting, and ends as failed (could not open, or no first
    frame by the open deadline), lost (no frame by the reconnect deadline) or stopped. Stream
    calls carry FFmpeg timeouts that end by those deadlines, so the thread never outlives them long.
    """

    def __init__(self, opener: Opener, deadlines: Deadlines):
        super().__init__(name="frame-reader", daemon=True)
        self.opener, self.deadlines = opener, deadlines
        self.state = "opening"
        self.fps: float | None = None
        self.reconnects = 0  # times the source came back after going silent
        self._capture: cv2.VideoCapture | None = None
        self._image: np.ndarray | None = None
        self._count = 0  # frames delivered so far; consumers ask for one newer than they saw
        self._last_frame_at = time.monotonic()
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        _readers.add(self)

    def run(self) -> None:
        try:
            if self._open_until(time.monotonic() + self.deadlines.open_s, first=True):
                self._set_state("live")
                self._read_until_stopped()
        finally:
            if self._capture is not None:
                self._capture.release()
            if self.state in ("opening", "live", "reconnecting"):
                self._set_state("failed" if self._count == 0 else "stopped")

    def _open_until(self, deadline: float, first: bool) -> bool:
        """Open the source and read a frame before `deadline`. A first open that fails outright
        (no such camera, connection refused) fails at once; a reopen tries again until the deadline."""
        while not self._stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._capture is not None:
                self._capture.release()
            self._capture = self.opener(remaining, min(self.deadlines.stall_s, remaining))
            if not self._capture.isOpened() and first:
                return False
            self._note_fps()  # before the first frame, which the consumer may be waiting on
            while self._capture.isOpened() and time.monotonic() < deadline and not self._stopping.is_set():
                if self._read_once():
                    return True
                if not first:
                    break  # a reopened source that fails its first read is reopened again
            if self._stopping.wait(RECONNECT_INTERVAL_S):
                return False
        return False

    def _read_until_stopped(self) -> None:
        while not self._stopping.is_set():
            if self._read_once():
                continue
            self._set_state("reconnecting")
            if not self._open_until(self._last_frame_at + self.deadlines.lost_s, first=False):
                if not self._stopping.is_set():
                    self._set_state("lost")
                return
            self.reconnects += 1
            self._set_state("live")

    def _read_once(self) -> bool:
        ok, image = self._capture.read() if self._capture.isOpened() else (False, None)
        if not ok or image is None:
            return False
        with self._changed:
            self._image, self._count = image, self._count + 1
            self._last_frame_at = time.monotonic()
            self._changed.notify_all()
        return True

    def _note_fps(self) -> None:
        reported = self._capture.get(cv2.CAP_PROP_FPS) if self._capture.isOpened() else 0.0
        self.fps = reported if 1 <= reported <= 240 else self.fps

    def _set_state(self, state: str) -> None:
        with self._changed:
            self.state = state
            self._changed.notify_all()

    def silence_s(self) -> float:
        """Seconds since the last frame arrived."""
        return time.monotonic() - self._last_frame_at

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
            # Stream calls end within their FFmpeg timeout (at most the stall deadline); a camera driver
            # stuck in read() cannot be interrupted, and `readers_still_running()` reports it.
            self.join(timeout=self.deadlines.stall_s + 1.0)
