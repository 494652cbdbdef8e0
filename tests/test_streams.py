"""Live streams against a real MJPEG-over-HTTP server on 127.0.0.1: every deadline holds, every run
ends with its documented exit code, and the app's stderr carries only its own lines."""

import os
import subprocess
import sys
import threading
import time

import pytest

from camera_digits import capture
from camera_digits.capture import Deadlines, open_source
from camera_digits.errors import SourceError
from tests.conftest import REPO_DIR
from tests.mjpeg_server import MjpegServer, SilentServer, refused_url

TIMEOUT_S = 1.0  # --timeout of the runs below: the open and reconnect deadlines
STARTUP_S = 4.0  # a fresh interpreter starting or exiting while other processes share the two cores
SHORT = Deadlines.of(TIMEOUT_S)


def start_app(url, *flags):
    command = [sys.executable, "run_camera.py", "--device", url, "--headless", "--json", os.devnull,
               "--timeout", f"{TIMEOUT_S:g}", *flags]
    return subprocess.Popen(command, cwd=REPO_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def run_app(url, *flags, limit_s=30):
    """(exit code, seconds, stderr lines) of one run of the app on `url`."""
    started = time.monotonic()
    process = start_app(url, *flags)
    _, stderr = process.communicate(timeout=limit_s)
    return process.returncode, time.monotonic() - started, stderr.splitlines()


def finish(process, results):
    """Wait for `process` on a thread of its own, so each exit is timed when it happens."""
    def wait():
        _, stderr = process.communicate(timeout=60)
        results.append((process.returncode, time.monotonic(), stderr.splitlines()))
    thread = threading.Thread(target=wait)
    thread.start()
    return thread


def test_a_server_that_never_answers_exits_2_on_every_run():
    """The capture thread is still inside FFmpeg's open when the deadline passes; the process must
    neither abort ("terminate called without an active exception", exit 134) nor hang. Each run's
    deadline is timed from the connection the server accepted to the process's exit, which leaves
    out the interpreters' start on a busy machine."""
    runs = []
    with SilentServer() as server:
        for _ in range(4):  # 4 rounds of 5 at once: 20 runs
            for waiter in [finish(start_app(server.url), runs) for _ in range(5)]:
                waiter.join()
        accepted = sorted(server.accepted_at)
    assert [code for code, _, _ in runs] == [2] * 20
    assert all(lines == [f"error: could not open {server.url} (no frame within {TIMEOUT_S:g} s); "
                         "check the address and that the stream is running"] for _, _, lines in runs)
    assert len(accepted) == 20
    waits = [exited - connected for (_, exited, _), connected in zip(sorted(runs, key=lambda run: run[1]), accepted)]
    assert TIMEOUT_S - 0.1 <= min(waits) and max(waits) < TIMEOUT_S + STARTUP_S, waits  # exits slow down under load


def test_a_server_that_never_answers_fails_at_the_open_deadline():
    with SilentServer() as server:
        code, _, lines = run_app(server.url)
        exited = time.monotonic()
    assert code == 2 and len(lines) == 1 and "no frame within 1 s" in lines[0]
    assert TIMEOUT_S <= exited - server.accepted_at[0] < TIMEOUT_S + STARTUP_S


def test_a_refused_connection_exits_2_at_once():
    url = refused_url()
    code, seconds, lines = run_app(url)
    assert code == 2 and seconds < 2 * STARTUP_S
    assert lines == [f"error: could not open {url}; check the address and that the stream is running"]


def test_a_stream_that_stalls_stops_the_run_at_the_reconnect_deadline():
    with MjpegServer(lambda connection: 15 if connection == 0 else 0) as server:
        code, seconds, lines = run_app(server.url)
        assert server.connections >= 2  # it was reopened before the run gave up
    assert code == 1
    assert lines[0].startswith(f"warning: no frames from {server.url}; reconnecting")
    assert lines[1] == (f"error: {server.url} stopped delivering frames and did not come back within "
                        f"{TIMEOUT_S:g} s; check the connection and run again")
    assert len(lines) == 2  # nothing from FFmpeg or OpenCV
    assert seconds < 15 / 25 + TIMEOUT_S + 2 * STARTUP_S  # 15 frames at 25 fps, then the deadline


def test_a_stream_that_comes_back_says_reconnected_and_carries_on():
    with MjpegServer(lambda connection: 15 if connection == 0 else None) as server:
        code, _, lines = run_app(server.url, "--max-frames", "40")
    assert code == 0
    assert lines[0].startswith(f"warning: no frames from {server.url}; reconnecting")
    assert lines[1] == f"{server.url} reconnected"
    assert lines[2].startswith("processed 40 frames")


def test_verbose_shows_the_libraries_messages():
    url = refused_url()
    _, _, quiet = run_app(url)
    _, _, verbose = run_app(url, "--verbose")
    assert len(quiet) == 1
    assert len(verbose) > 1 and any("tcp" in line or "VIDEOIO" in line for line in verbose)
    assert verbose[-1] == quiet[-1]


def frame_levels(source, count):
    """Gray levels of the next `count` frames that have an image (the server numbers its frames by level)."""
    levels = []
    for frame in source:
        if frame.image is not None:
            levels.append(int(frame.image.mean()))
        if len(levels) == count:
            return levels
    return levels


def test_stream_frames_arrive_in_order_and_the_reader_ends_with_the_source():
    with MjpegServer() as server, open_source(server.url, deadlines=SHORT) as source:
        levels = frame_levels(source, 5)
        assert source.is_live and source.fps == pytest.approx(25.0)
    assert levels == sorted(levels) and levels[0] < levels[-1]
    assert not source.reader.is_alive() and not capture.readers_still_running()


def test_stream_stall_raises_within_the_deadline_counted_from_the_last_frame():
    with MjpegServer(lambda connection: 5 if connection == 0 else 0) as server:
        with open_source(server.url, deadlines=SHORT) as source, pytest.raises(SourceError, match="within 1 s"):
            placeholders, last_frame_at = 0, time.monotonic()
            for frame in source:
                if frame.image is None:
                    placeholders += 1
                else:
                    last_frame_at = time.monotonic()
    assert time.monotonic() - last_frame_at < TIMEOUT_S + 0.5
    assert placeholders > 0 and not source.reader.is_alive()


def test_the_source_deadlines_are_stated_in_the_help():
    result = subprocess.run([sys.executable, "run_camera.py", "--help"], cwd=REPO_DIR, capture_output=True, text=True)
    help_text = " ".join(result.stdout.split())
    assert result.returncode == 0 and help_text.startswith("usage: camera-digits ")
    assert f"the first frame must come within {capture.OPEN_TIMEOUT_S:g} s of opening (else exit 2)" in help_text
    assert f"after {capture.STALL_S:g} s without a frame the source is reopened" in help_text
    assert f"{capture.LOST_TIMEOUT_S:g} s after its last frame the run stops (exit 1)" in help_text
