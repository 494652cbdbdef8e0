"""The app end to end, in-process: `main([...])` on real files, then read back what it wrote."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from camera_digits import app, capture
from camera_digits.draw import STATE_COLOR
from camera_digits.recognizer import DigitRecognizer
from camera_digits.results import Box
from tests.scenes import SceneOptions, labels_at, render_scene, render_video_frames

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VideoCapture = cv2.VideoCapture  # the real one, for reading outputs back while a test fakes the camera


def write_video(path, frames, fps=15.0):
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def count_frames(path):
    reader = VideoCapture(str(path))
    count, size = 0, None
    while True:
        ok, frame = reader.read()
        if not ok:
            break
        count, size = count + 1, frame.shape
    reader.release()
    return count, size


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def scene_video(tmp_path_factory):
    """A 20-frame 640×480 clip of one paper scene under a drifting camera, and its per-frame truths."""
    frames, truths = render_video_frames(seed=5, n_frames=20)
    return write_video(tmp_path_factory.mktemp("video") / "scene.mp4", frames), truths


def test_video_file_to_json_and_annotated_video(model_path, scene_video, tmp_path, capsys):
    video, truths = scene_video
    output = tmp_path / "out.mp4"
    assert app.main(["--device", str(video), "--headless", "--json", "-", "--output", str(output),
                     "--model", model_path]) == 0
    lines = json_lines(capsys.readouterr().out)
    assert [line["frame"] for line in lines] == list(range(20))
    assert all(line["source"] == str(video) and "segment" in line["timings_ms"] for line in lines)
    assert count_frames(output) == (20, (480, 640, 3))
    assert not list(tmp_path.glob(".out*"))  # no temporary file left behind
    read, truth_count, extras = 0, 0, 0
    for line, truth in zip(lines[2:], truths[2:]):  # the tracker shows a digit from its second sighting
        labels, unmatched = labels_at(line, [digit.box for digit in truth.digits])
        read += sum(label == digit.label for label, digit in zip(labels, truth.digits))
        truth_count, extras = truth_count + len(truth.digits), extras + unmatched
    assert read >= 0.9 * truth_count and extras == 0, (read, truth_count, extras)


def test_a_cut_to_another_sheet_drops_the_last_sheets_digits(model_path, tmp_path, capsys):
    first, first_truths = render_video_frames(seed=1, n_frames=8)
    second, second_truths = render_video_frames(seed=8, n_frames=8)
    video = write_video(tmp_path / "cut.mp4", first + second)
    assert app.main(["--device", str(video), "--headless", "--json", "-", "--model", model_path]) == 0
    lines = json_lines(capsys.readouterr().out)
    assert len(lines) == 16
    before, after = lines[7], lines[8:]
    labels = labels_at(before, [digit.box for digit in first_truths[7].digits])[0]
    assert labels.count(None) <= 1  # the first sheet was being read
    stale = [Box(*digit.box) for digit in first_truths[7].digits
             if not any(Box(*digit.box).iou(Box(*new.box)) > 0 for new in second_truths[0].digits)]
    assert stale  # the test needs digits of the first sheet where the second has none
    for line in after:
        assert not any(Box(*digit["box"]).iou(old) > 0.3 for digit in line["digits"] for old in stale), line["frame"]
        assert not {number["text"] for number in line["numbers"]} & set(first_truths[0].numbers)
    labels, extras = labels_at(after[1], [digit.box for digit in second_truths[1].digits])
    assert extras == 0 and labels.count(None) <= 1  # the new sheet is read from its second frame


def test_image_folder_gives_one_line_per_image(model_path, tmp_path, capsys):
    folder = tmp_path / "pages"
    folder.mkdir()
    truths = {}
    for seed in (1, 2, 3):
        frame, truths[f"page{seed}.png"] = render_scene(seed, SceneOptions(marks=False, rules=False))
        cv2.imwrite(str(folder / f"page{seed}.png"), frame)
    (folder / "broken.png").write_bytes(b"not an image")
    result = tmp_path / "readings.jsonl"
    assert app.main(["--device", str(folder), "--headless", "--json", str(result), "--model", model_path]) == 0
    lines = json_lines(result.read_text())
    assert [os.path.basename(line["source"]) for line in lines] == ["page1.png", "page2.png", "page3.png"]
    assert [line["frame"] for line in lines] == [0, 1, 2]
    assert sum(len(line["digits"]) for line in lines) >= sum(len(t.digits) for t in truths.values()) // 2
    error = capsys.readouterr().err
    assert f"warning: skipping {folder / 'broken.png'}" in error and "skipped 1 unreadable images" in error


def test_still_image_writes_an_annotated_image(model_path, tmp_path):
    frame, truth = render_scene(11, SceneOptions(marks=False))
    cv2.imwrite(str(tmp_path / "page.png"), frame)
    output = tmp_path / "annotated.png"
    assert app.main(["--device", str(tmp_path / "page.png"), "--headless", "--output", str(output),
                     "--model", model_path]) == 0
    annotated = cv2.imread(str(output))
    assert annotated.shape == frame.shape and (annotated != frame).any()


DEMO_TRUTH = Path(REPO_DIR) / "tests" / "data" / "demo_truth.json"  # written with the clip by make_demo_clip.py


def test_demo_clip_reads_the_numbers_of_its_sheets(model_path, capsys):
    """Every digit of every sheet, at its box, in every frame but each sheet's first (the tracker waits for
    a second sighting); the letters and signs on the sheets are not read."""
    assert app.main(["--demo", "--headless", "--json", "-", "--model", model_path]) == 0
    lines = json_lines(capsys.readouterr().out)
    sheets = json.loads(DEMO_TRUTH.read_text())["sheets"]
    assert len(lines) == sum(sheet["frames"] for sheet in sheets)
    for sheet in sheets:
        right, total, extras, numbers_read = 0, 0, 0, 0
        for offset in range(1, sheet["frames"]):
            line = lines[sheet["first_frame"] + offset]
            digits = sheet["digits"][offset]
            labels, unmatched = labels_at(line, [box for box, _ in digits], min_iou=0.4)
            right += sum(label == true_label for label, (_, true_label) in zip(labels, digits))
            total, extras = total + len(digits), extras + unmatched
            numbers_read += set(sheet["numbers"]) <= {number["text"] for number in line["numbers"]}
        assert right >= 0.95 * total and extras <= 2, (sheet["paper"], right, total, extras)
        assert numbers_read >= 0.8 * (sheet["frames"] - 1), (sheet["numbers"], numbers_read)
        assert lines[sheet["first_frame"]]["digits"] == []  # a cut: nothing of the sheet before


def test_demo_loops_in_the_window_until_quit(model_path, monkeypatch, capsys):
    frames = sum(sheet["frames"] for sheet in json.loads(DEMO_TRUTH.read_text())["sheets"])
    monkeypatch.setattr(app.Pacer, "wait", lambda self: None)  # as fast as it goes
    FakeGui(monkeypatch, [255] * (frames + 9) + [ord("q")])
    assert app.main(["--demo", "--json", "-", "--model", model_path]) == 0
    lines = json_lines(capsys.readouterr().out)
    assert [line["frame"] for line in lines] == list(range(frames + 10))  # round again, numbered on
    assert lines[frames]["digits"] == [] and lines[frames + 5]["digits"]  # the loop is a cut, then read again


def test_demo_clip_runs_headless(model_path, capsys):
    assert app.main(["--demo", "--headless", "--max-frames", "7", "--json", "-", "--model", model_path]) == 0
    captured = capsys.readouterr()
    lines = json_lines(captured.out)
    assert len(lines) == 7 and lines[-1]["source"].endswith("demo.mp4")
    assert any(line["digits"] for line in lines)
    assert "processed 7 frames" in captured.err


def label_changes_per_digit(lines, boxes):
    """For each true box, how often the label read at that place changed from one frame to the next."""
    changes = []
    for truth in boxes:
        labels = []
        for line in lines:
            near = [d["digit"] for d in line["digits"] if Box(*d["box"]).iou(Box(*truth)) > 0.3]
            if near:
                labels.append(near[0])
        changes.append(sum(first != second for first, second in zip(labels, labels[1:])))
    return changes


@pytest.mark.slow
@pytest.mark.parametrize("seed", [8, 13])
def test_labels_do_not_flicker_on_a_steady_scene(model_path, tmp_path, capsys, seed):
    """A still page with fresh sensor noise in every frame: each digit keeps one label, while the
    frame-by-frame readings of the same video change labels at least as often."""
    page, truth = render_scene(seed, SceneOptions(marks=False, rules=False, digit_height_px=(30, 40), lines=(2, 3)))
    rng = np.random.default_rng(0)
    frames = [np.clip(page + rng.normal(0, 12, page.shape), 0, 255).astype(np.uint8) for _ in range(40)]
    video = write_video(tmp_path / "steady.avi", frames)
    assert app.main(["--device", str(video), "--headless", "--json", "-", "--model", model_path]) == 0
    boxes = [digit.box for digit in truth.digits]
    tracked = label_changes_per_digit(json_lines(capsys.readouterr().out), boxes)
    recognizer = DigitRecognizer.load(model_path)
    with capture.open_source(str(video)) as source:
        untracked = label_changes_per_digit([recognizer.recognize(frame.image).to_dict() for frame in source], boxes)
    assert max(tracked) <= 1 and sum(tracked) <= sum(untracked)


def test_still_inputs_are_not_tracked(model_path, tmp_path, capsys):
    frame, _ = render_scene(4, SceneOptions(marks=False))
    cv2.imwrite(str(tmp_path / "page.png"), frame)
    assert app.main(["--device", str(tmp_path / "page.png"), "--headless", "--json", "-", "--model", model_path]) == 0
    (line,) = json_lines(capsys.readouterr().out)
    assert line["digits"] and "track" not in line["timings_ms"]  # seen once is enough for a photo


@pytest.mark.parametrize("argv, message", [
    # a file that is not there
    (["--device", "nowhere.mp4"], "error: no such file or folder: nowhere.mp4"),
    # an unknown flag
    (["--fps", "3"], "error: unrecognized arguments: --fps 3"),
    # confidence out of range
    (["--min-confidence", "2"], "error: argument --min-confidence: expected a number between 0 and 1"),
    # zero frames
    (["--max-frames", "0"], "error: argument --max-frames: expected a whole number of at least 1"),
    # a polarity that does not exist
    (["--polarity", "dim"], "error: argument --polarity: invalid choice"),
    # both a device and the demo
    (["--device", "0", "--demo"], "error: argument --demo: not allowed with argument --device"),
    # a model that is not there
    (["--model", "missing.tflite"], "error: no model at missing.tflite"),
    # an output type the app cannot write
    (["--output", "{tmp}/out.txt"], "error: --output {tmp}/out.txt: unknown file type"),
    # an image output for a video input
    (["--output", "{tmp}/out.png"], "error: --output {tmp}/out.png: an image file needs an image input"),
    # a JSON file in a folder that does not exist
    (["--json", "{tmp}/no/such/dir/out.jsonl"], "error: cannot write --json {tmp}/no/such/dir/out.jsonl"),
    # a video in a "folder" that is a device file
    (["--output", "/dev/null/out.mp4"], "error: cannot write --output /dev/null/out.mp4"),
])
def test_bad_input_gives_one_error_line_and_exit_code_2(model_path, scene_video, tmp_path, capsys, argv, message):
    defaults = ["--headless", "--device", str(scene_video[0]), "--model", model_path]  # a later flag wins
    assert app.main(defaults + [part.format(tmp=tmp_path) for part in argv]) == 2
    error = capsys.readouterr().err
    error_lines = [line for line in error.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and error_lines[0].startswith(message.format(tmp=tmp_path))
    assert "Traceback" not in error and not list(tmp_path.iterdir())  # nothing half-written


def test_missing_camera_is_an_error_with_advice(model_path, monkeypatch, capsys):
    monkeypatch.setattr(capture.cv2, "VideoCapture", lambda *args: ClosedCamera())
    assert app.main(["--device", "0", "--headless", "--model", model_path]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: could not open camera 0; is another program using it? try --device 1, a video file, or --demo"
    )


class ClosedCamera:
    def isOpened(self):
        return False

    def read(self):
        return False, None

    def release(self):
        pass


def test_window_needs_a_display(model_path, monkeypatch, capsys):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert app.main(["--demo", "--model", model_path]) == 2
    assert "error: no display to open a window on; pass --headless" in capsys.readouterr().err


class DyingCamera:
    """A camera that delivers `frames` 64×48 frames and then nothing, and cannot be reopened."""

    made = []

    def __init__(self, frames):
        self.left, self.released = frames, False
        DyingCamera.made.append(self)

    def isOpened(self):
        return True

    def read(self):
        time.sleep(0.01)
        if self.left <= 0:
            return False, None
        self.left -= 1
        return True, np.full((48, 64, 3), 200, np.uint8)

    def get(self, prop):
        return 10.0

    def set(self, prop, value):
        return True

    def release(self):
        self.released = True


def test_camera_loss_mid_run_stops_cleanly_with_outputs_finalized(model_path, monkeypatch, tmp_path, capsys):
    DyingCamera.made = []
    monkeypatch.setattr(capture, "LOST_TIMEOUT_S", 0.5)
    monkeypatch.setattr(capture, "RECONNECT_INTERVAL_S", 0.05)
    monkeypatch.setattr(capture.cv2, "VideoCapture", lambda *args: DyingCamera(6 if not DyingCamera.made else 0))
    output, readings = tmp_path / "out.mp4", tmp_path / "out.jsonl"
    assert app.main(["--device", "0", "--headless", "--output", str(output), "--json", str(readings),
                     "--model", model_path]) == 1
    error = capsys.readouterr().err
    assert "reconnecting" in error
    assert "error: camera 0 stopped delivering frames and did not come back within 0.5 s" in error
    frames_read = len(json_lines(readings.read_text()))
    assert frames_read >= 1 and count_frames(output) == (frames_read, (48, 64, 3))
    assert len(DyingCamera.made) > 1 and all(camera.released for camera in DyingCamera.made)


def interrupts_as_in_a_terminal() -> None:
    """Run in the child before the app starts: a shell starts its background jobs with SIGINT ignored, the
    child inherits that, and Python then installs no Ctrl-C handler. A terminal's Ctrl-C is what is tested."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize("send, exit_code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_and_terminate_finalize_the_recording(model_path, tmp_path, send, exit_code):
    frames, _ = render_video_frames(seed=9, n_frames=30)
    video = write_video(tmp_path / "long.mp4", frames * 20)  # 600 frames: far longer than the test waits
    output, readings = tmp_path / "out.mp4", tmp_path / "out.jsonl"
    command = [sys.executable, "run_camera.py", "--device", str(video), "--headless", "--model", model_path,
               "--output", str(output), "--json", str(readings)]
    process = subprocess.Popen(command, cwd=REPO_DIR, stderr=subprocess.PIPE, text=True,
                               preexec_fn=interrupts_as_in_a_terminal)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not readings.exists() or len(readings.read_text().splitlines()) < 5):
        time.sleep(0.05)
    process.send_signal(send)
    _, error = process.communicate(timeout=30)
    assert process.returncode == exit_code, error
    assert error.splitlines()[-1] == {130: "stopped by Ctrl-C", 143: "stopped by SIGTERM"}[exit_code]
    assert "Traceback" not in error
    written = len(json_lines(readings.read_text()))
    recorded, size = count_frames(output)
    assert 5 <= written < 600 and size == (480, 640, 3)
    assert recorded in (written, written + 1)  # the signal may land between the video and the JSON write


class FakeGui:
    """Stands in for OpenCV's window functions: records what is shown, answers keys from a script."""

    def __init__(self, monkeypatch, keys, visible=1.0):
        self.keys, self.visible, self.shown = list(keys), visible, []
        for name in ("namedWindow", "destroyWindow", "resizeWindow"):
            monkeypatch.setattr(app.cv2, name, lambda *args: None)
        monkeypatch.setattr(app.cv2, "imshow", lambda title, image: self.shown.append(image))
        monkeypatch.setattr(app.cv2, "waitKey", lambda delay: self.keys.pop(0) if self.keys else 255)
        monkeypatch.setattr(app.cv2, "getWindowProperty", lambda *args: self.visible)
        monkeypatch.setenv("DISPLAY", ":0")


def test_window_keys_debug_pause_snapshot_quit(model_path, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    keys = [255, ord("d"), 255, ord(" "), ord("s"), ord(" "), 255, ord("q")]
    gui = FakeGui(monkeypatch, keys)
    assert app.main(["--demo", "--json", "-", "--model", model_path]) == 0
    assert len(json_lines(capsys.readouterr().out)) == 6  # q on the sixth frame ended the run
    assert len(gui.shown) == 6 + 2  # six frames, and the fourth twice more while paused (s, space)
    debug_view, paused_view = gui.shown[2], gui.shown[4]
    assert (debug_view.mean(axis=2) < 60).mean() > 0.5  # the debug view is mostly black
    assert (paused_view[-60:, 250:390] != gui.shown[3][-60:, 250:390]).any()  # the PAUSED banner
    (snapshot,) = tmp_path.glob("snapshot-*.png")
    assert cv2.imread(str(snapshot)).shape == (480, 640, 3)


def test_a_video_plays_at_its_own_frame_rate_in_the_window(model_path, monkeypatch, capsys):
    FakeGui(monkeypatch, keys=[])
    started = time.perf_counter()
    assert app.main(["--demo", "--max-frames", "8", "--model", model_path]) == 0
    assert time.perf_counter() - started >= 7 / 15  # the demo clip is 15 fps: 8 frames span 7 intervals


def test_closing_the_window_ends_the_run(model_path, monkeypatch, capsys):
    FakeGui(monkeypatch, [], visible=0.0)
    assert app.main(["--demo", "--json", "-", "--model", model_path]) == 0
    assert len(json_lines(capsys.readouterr().out)) == 1


def test_a_still_image_stays_in_the_window_until_quit(model_path, monkeypatch, tmp_path):
    frame, _ = render_scene(4, SceneOptions(marks=False))
    cv2.imwrite(str(tmp_path / "page.png"), frame)
    gui = FakeGui(monkeypatch, [255, 255, 255, 27])
    assert app.main(["--device", str(tmp_path / "page.png"), "--model", model_path]) == 0
    assert len(gui.shown) == 4 and not gui.keys  # shown until Esc


def test_the_window_shows_reconnecting_while_the_camera_is_silent(model_path, monkeypatch):
    DyingCamera.made = []
    monkeypatch.setattr(capture, "LOST_TIMEOUT_S", 0.5)
    monkeypatch.setattr(capture, "RECONNECT_INTERVAL_S", 0.05)
    monkeypatch.setattr(capture.cv2, "VideoCapture", lambda *args: DyingCamera(3 if not DyingCamera.made else 0))
    gui = FakeGui(monkeypatch, [])
    assert app.main(["--device", "0", "--model", model_path]) == 1
    has_banner = [bool((image == STATE_COLOR).all(axis=2).any()) for image in gui.shown]
    assert not has_banner[0] and has_banner[-1] and has_banner == sorted(has_banner)  # frames, then the banner


def test_a_folder_in_the_window_moves_on_at_space(model_path, monkeypatch, tmp_path, capsys):
    for seed in (1, 2, 3):
        cv2.imwrite(str(tmp_path / f"page{seed}.png"), render_scene(seed)[0])
    gui = FakeGui(monkeypatch, [255, 255, ord(" "), 255, ord("n"), ord("q")])
    assert app.main(["--device", str(tmp_path), "--json", "-", "--model", model_path]) == 0
    assert len(json_lines(capsys.readouterr().out)) == 3 and len(gui.shown) == 6


def test_json_to_a_pipe_that_closes_early_ends_quietly(model_path):
    reader = subprocess.Popen(["head", "-n", "2"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    app_run = subprocess.run([sys.executable, "run_camera.py", "--demo", "--headless", "--json", "-",
                              "--model", model_path], cwd=REPO_DIR, stdout=reader.stdin, stderr=subprocess.PIPE,
                             text=True, timeout=60)
    reader.stdin.close()
    assert len(reader.stdout.read().splitlines()) == 2 and reader.wait() == 0
    assert app_run.returncode == 0 and "Traceback" not in app_run.stderr and "error" not in app_run.stderr
    assert "processed" not in app_run.stderr  # it stopped when the pipe closed, before the end of the clip


def test_width_and_height_for_a_file_are_ignored_with_a_warning(model_path, scene_video, capsys):
    assert app.main(["--device", str(scene_video[0]), "--headless", "--width", "320", "--max-frames", "1",
                     "--model", model_path]) == 0
    assert "warning: --width/--height apply to cameras and streams" in capsys.readouterr().err
