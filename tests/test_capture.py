"""Frame sources: every kind of input, its failures, and the live reader's threading, with fake cameras."""

import contextlib
import logging
import threading
import time

import cv2
import numpy as np
import pytest

from camera_digits import capture
from camera_digits.capture import open_source
from camera_digits.errors import SourceError


def write_video(path, frame_count, size=(64, 48), fps=10.0):
    """A video whose frame i is filled with gray level 10 * i (so frames can be told apart)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for index in range(frame_count):
        writer.write(np.full((size[1], size[0], 3), 10 * index, np.uint8))
    writer.release()
    return path


def write_images(folder, names):
    folder.mkdir(exist_ok=True)
    for level, name in enumerate(names):
        cv2.imwrite(str(folder / name), np.full((20, 30, 3), 40 * level, np.uint8))
    return folder


class FakeCamera:
    """Stands in for cv2.VideoCapture on a camera index: frames numbered 1, 2, ... in pixel (0, 0).

    opens: whether the device exists; frames_before_failure: reads that succeed before the camera
    goes silent (None = never); reopen_works: whether reopening after that brings it back.
    """

    instances = []

    def __init__(self, index, opens=True, frames_before_failure=None, reopen_works=False, delay_s=0.002):
        self.opened, self.failure_after, self.delay_s = opens, frames_before_failure, delay_s
        self.reopen_works = reopen_works
        self.reads, self.released, self.settings = 0, False, {}
        FakeCamera.instances.append(self)

    def isOpened(self):
        return self.opened

    def read(self):
        time.sleep(self.delay_s)
        if not self.opened or (self.failure_after is not None and self.reads >= self.failure_after):
            return False, None
        self.reads += 1
        return True, np.full((4, 4, 3), self.reads % 256, np.uint8)

    def set(self, prop, value):
        self.settings[prop] = value
        return True

    def get(self, prop):
        return 30.0 if prop == cv2.CAP_PROP_FPS else 0.0

    def release(self):
        self.released = True


@pytest.fixture
def fake_camera(monkeypatch):
    """Install FakeCamera with the given options in place of cv2.VideoCapture; returns the instances made."""
    FakeCamera.instances = []
    monkeypatch.setattr(capture, "LOST_TIMEOUT_S", 0.6)
    monkeypatch.setattr(capture, "STALL_S", 0.2)
    monkeypatch.setattr(capture, "RECONNECT_INTERVAL_S", 0.05)
    monkeypatch.setattr(capture, "OPEN_TIMEOUT_S", 1.0)

    def install(**options):
        def make(index, *rest):
            first = not FakeCamera.instances
            reopen = {} if first else {"opens": options.get("reopen_works", False), "frames_before_failure": None}
            return FakeCamera(index, **{**options, **reopen})
        monkeypatch.setattr(capture.cv2, "VideoCapture", make)
        return FakeCamera.instances

    return install


def test_video_file_yields_every_frame_in_order(tmp_path):
    path = write_video(tmp_path / "clip.mp4", 12)
    with open_source(str(path)) as source:
        frames = list(source)
        assert not source.is_live and not source.is_still and source.fps == pytest.approx(10.0)
    assert [frame.index for frame in frames] == list(range(12))
    assert all(frame.image.dtype == np.uint8 and frame.image.shape == (48, 64, 3) for frame in frames)
    levels = [int(frame.image.mean()) for frame in frames]
    assert levels == sorted(levels) and levels[-1] - levels[0] > 90  # in order, none repeated


def test_image_file_is_one_still_frame(tmp_path):
    path = tmp_path / "page.png"
    cv2.imwrite(str(path), np.full((20, 30), 128, np.uint8))  # gray on disk: read back as BGR
    with open_source(str(path)) as source:
        frames = list(source)
    assert source.is_still and len(frames) == 1 and frames[0].image.shape == (20, 30, 3)


def test_folder_yields_images_in_name_order(tmp_path):
    folder = write_images(tmp_path / "pages", ["b.png", "a.jpg", "c.bmp"])
    (folder / "notes.txt").write_text("not an image")
    with open_source(str(folder)) as source:
        names = [frame.name for frame in source]
    assert names == [str(folder / name) for name in ("a.jpg", "b.png", "c.bmp")]


def test_folder_skips_unreadable_images_with_one_warning_each(tmp_path, caplog):
    folder = write_images(tmp_path / "pages", ["1.png", "3.png"])
    (folder / "2.png").write_bytes(b"not a png at all")
    (folder / "4.jpg").write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="camera_digits"), open_source(str(folder)) as source:
        frames = list(source)
    assert [frame.index for frame in frames] == [0, 1]
    assert [path.name for path in source.skipped] == ["2.png", "4.jpg"]
    assert len([record for record in caplog.records if "skipping" in record.getMessage()]) == 2


@pytest.mark.parametrize("make, message", [
    # a path that is not there
    (lambda tmp: tmp / "missing.mp4", "no such file or folder"),
    # a folder with no images in it
    (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", "no images in folder"),
    # a video file full of garbage
    (lambda tmp: (tmp / "broken.mp4").write_bytes(b"\x00garbage" * 100) and tmp / "broken.mp4", "could not read video"),
    # a file of an unknown type
    (lambda tmp: (tmp / "notes.txt").write_text("hello") and tmp / "notes.txt", "could not read video"),
    # an image file that is not an image
    (lambda tmp: (tmp / "photo.jpg").write_bytes(b"\xff\xd8 truncated") and tmp / "photo.jpg", "could not read image"),
    # an unreachable stream (nothing listens on the discard port)
    (lambda tmp: "http://127.0.0.1:9/stream.mjpg", "could not open http://127.0.0.1:9/stream.mjpg"),
])
def test_bad_sources_raise_one_line_source_errors(tmp_path, make, message):
    with pytest.raises(SourceError, match=message) as raised:
        open_source(str(make(tmp_path)))
    assert "\n" not in str(raised.value)


def test_folder_where_no_image_can_be_read_fails_after_warnings(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "1.png").write_bytes(b"junk")
    with open_source(str(folder)) as source, pytest.raises(SourceError, match="none of the 1 images"):
        list(source)


def test_missing_camera_fails_fast_with_advice(fake_camera):
    cameras = fake_camera(opens=False)
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"could not open camera 0; is another program using it\? try --device 1"):
        open_source("0")
    assert time.monotonic() - started < 2.0  # no waiting on a device that is not there
    assert cameras[0].released


def test_busy_camera_that_sends_nothing_fails_within_the_first_frame_timeout(fake_camera):
    cameras = fake_camera(frames_before_failure=0)
    with pytest.raises(SourceError, match="could not open camera 0"):
        open_source("0")
    assert len(cameras) == 1 and cameras[0].released  # no silent retry, no fallback


def test_camera_is_asked_for_the_requested_size(fake_camera):
    cameras = fake_camera()
    with open_source("0", width=1280, height=720):
        pass
    assert cameras[0].settings == {cv2.CAP_PROP_FRAME_WIDTH: 1280, cv2.CAP_PROP_FRAME_HEIGHT: 720}


def test_live_source_drops_old_frames_instead_of_queueing_them(fake_camera):
    fake_camera()
    with open_source("0") as source:
        seen = []
        for frame in source:
            seen.append(int(frame.image[0, 0, 0]))
            time.sleep(0.05)  # a slow consumer: the camera makes ~10 frames meanwhile
            if len(seen) == 5:
                break
    gaps = np.diff(seen)
    assert source.is_live and gaps.min() >= 2  # every read skipped the frames that went stale


@pytest.mark.parametrize("leave", ["normally", "on an exception"])
def test_camera_is_released_however_the_block_is_left(fake_camera, leave):
    cameras = fake_camera()
    with pytest.raises(RuntimeError) if leave == "on an exception" else contextlib.nullcontext():
        with open_source("0") as source:
            next(iter(source))
            if leave == "on an exception":
                raise RuntimeError("the loop failed")
    assert cameras[0].released and not source.reader.is_alive()


def test_camera_that_goes_silent_reconnects_then_gives_up(fake_camera):
    cameras = fake_camera(frames_before_failure=3)
    frames = []
    with open_source("0") as source, pytest.raises(SourceError, match="camera 0 stopped delivering frames"):
        for frame in source:
            frames.append(frame)
    images = [frame for frame in frames if frame.image is not None]
    assert len(images) == 3 and len(frames) > 3  # frames, then "reconnecting" placeholders
    assert all(frame.image is None for frame in frames[3:])
    assert len(cameras) > 2 and all(camera.released for camera in cameras)  # reopened, each released


def test_camera_that_comes_back_carries_on(fake_camera):
    cameras = fake_camera(frames_before_failure=3, reopen_works=True)
    with open_source("0") as source:
        images = []
        for frame in source:
            if frame.image is not None:
                images.append(frame.image)
            if len(images) == 8:
                break
        assert source.reader.state == "live"
    assert len(cameras) == 2 and all(camera.released for camera in cameras)


def test_reader_threads_do_not_outlive_their_sources(fake_camera):
    fake_camera(reopen_works=True)
    before = threading.active_count()
    for _ in range(3):
        with open_source("0") as source:
            next(iter(source))
    assert threading.active_count() == before


def test_ctrl_c_while_waiting_for_the_first_frame_still_releases_the_camera(fake_camera, monkeypatch):
    cameras = fake_camera()

    def interrupted(self, timeout_s):
        time.sleep(0.05)  # the reader has opened the camera by now
        raise KeyboardInterrupt

    monkeypatch.setattr(capture.LatestFrameReader, "wait_for_first_frame", interrupted)
    with pytest.raises(KeyboardInterrupt):
        open_source("0")
    assert cameras and cameras[0].released


def test_a_looping_video_starts_again_at_its_end_numbering_on(tmp_path):
    path = write_video(tmp_path / "clip.mp4", 6)
    with open_source(str(path), loop=True) as source:
        frames = [frame for _, frame in zip(range(15), source)]
    assert [frame.index for frame in frames] == list(range(15))
    levels = [int(frame.image.mean()) for frame in frames]
    assert levels[:6] == levels[6:12] == sorted(levels[:6]) and levels[12:] == levels[:3]
