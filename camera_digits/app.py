"""The camera app: `main(argv)` parses the flags, opens the model and the source, and runs the loop.

The loop reads a frame, recognizes it, smooths it over time (video only), and hands the result to
its sinks: the window (with keys), the annotated recording, the JSON lines. Every sink and the
source are closed on the way out, whether the run ends normally, on Ctrl-C, SIGTERM or camera loss.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from camera_digits import capture
from camera_digits.capture import Deadlines, Frame, FrameSource, ImageSource, open_source
from camera_digits.cuts import CutDetector
from camera_digits.draw import draw_debug, draw_hud
from camera_digits.errors import CameraDigitsError, SourceError
from camera_digits.shutdown import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, sigterm_raises
from camera_digits.sinks import CropSink, JsonSink, Processed, ReaderGone, output_sink, write_image
from camera_digits.tracking import Tracker

log = logging.getLogger("camera_digits")

DEMO_CLIP = Path(__file__).resolve().parent / "assets" / "demo.mp4"
WINDOW_TITLE = "camera-digits"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
QUIT_KEYS = (ord("q"), 27)  # q, Esc
PAUSE_KEY, SNAPSHOT_KEY, DEBUG_KEY = ord(" "), ord("s"), ord("d")
NEXT_KEYS = (ord(" "), ord("n"), 13)  # space, n, Enter: the next image of a folder
FPS_SMOOTHING = 0.1  # weight of the newest frame interval in the displayed frame rate


class UsageError(CameraDigitsError):
    """The command line asks for something impossible."""


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="camera-digits",
        description="Read handwritten digits and numbers from a webcam, a video, an image or a folder of images.",
        epilog="Keys in the window: q/Esc quit, space pause (next image for images), s save a snapshot, "
        f"d debug view. Cameras and streams: the first frame must come within {capture.OPEN_TIMEOUT_S:g} s of "
        f"opening (else exit 2); after {capture.STALL_S:g} s without a frame the source is reopened "
        f"(\"reconnecting\"), and {capture.LOST_TIMEOUT_S:g} s after its last frame the run stops (exit 1); "
        "--timeout sets both outer deadlines. Exit codes: "
        "0 done, 1 the source failed mid-run, 2 bad input, 130 Ctrl-C, 143 SIGTERM.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--device", metavar="SOURCE",
                        help="camera index, video file, image, folder of images or stream URL (default 0)")
    source.add_argument("--demo", action="store_true",
                        help="play the shipped demo clip (loops in the window until q/Esc; once headless)")
    parser.add_argument("--width", type=positive_int, metavar="PX", help="ask the camera for this frame width")
    parser.add_argument("--height", type=positive_int, metavar="PX", help="ask the camera for this frame height")
    parser.add_argument("--model", metavar="PATH", help="a .tflite or .keras model (default: the shipped model)")
    parser.add_argument("--polarity", choices=("dark", "light", "auto"), default="auto",
                        help="dark ink on light paper, light ink on a dark board, or auto: decided per frame")
    parser.add_argument("--min-confidence", type=probability, default=0.5, metavar="P",
                        help="hide digits the model is less sure of (0..1); higher = fewer false digits")
    parser.add_argument("--headless", action="store_true", help="no window; use with --output and/or --json")
    parser.add_argument("--output", metavar="FILE",
                        help="write the annotated video (.mp4, .avi), or image (.png, .jpg) for an image input")
    parser.add_argument("--json", metavar="FILE", help="write one JSON line per frame to FILE, or - for stdout")
    parser.add_argument("--max-frames", type=positive_int, metavar="N", help="stop after N frames")
    parser.add_argument("--save-crops", metavar="DIR",
                        help="save every 28x28 crop the model read in DIR/<digit>/ (refused ones in DIR/reject/), "
                        "to train on with train.py --extra DIR")
    parser.add_argument("--timeout", type=positive_seconds, metavar="S",
                        help=f"seconds a camera or stream has for its first frame, and may stay silent before "
                        f"the run stops (default {capture.OPEN_TIMEOUT_S:g} s to open, {capture.LOST_TIMEOUT_S:g} s "
                        "silent)")
    parser.add_argument("--verbose", action="store_true", help="also show OpenCV's, FFmpeg's and Qt's own messages")
    return parser


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(f"{message} (see --help)")


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1; got {text!r}")
    return int(text)


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0.0 < value <= 3600.0:
        raise argparse.ArgumentTypeError(f"expected seconds above 0 (at most 3600); got {text!r}")
    return value


def probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1; got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run the app; returns the process exit code (see the parser's epilog). Run as a command
    (`argv` None), it exits at once if a camera driver still holds a capture thread."""
    code = run_main(argv)
    if argv is None and capture.readers_still_running():
        # The interpreter's shutdown would destroy OpenCV's objects under that thread and abort
        # ("terminate called without an active exception"); every output is already closed.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def run_main(argv: list[str] | None) -> int:
    try:
        with sigterm_raises():
            args = build_parser().parse_args(argv)
            configure_logging(args.verbose)
            return run(args)
    except KeyboardInterrupt:
        print("stopped by Ctrl-C", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("stopped by SIGTERM", file=sys.stderr)
        return EXIT_TERMINATED
    except CameraDigitsError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE


def configure_logging(verbose: bool = False) -> None:
    """The app's own messages go to stderr (`warning: ...` lines for warnings); OpenCV's, FFmpeg's
    and Qt's messages only with `verbose`: the app's one line says what failed and what to do."""
    if not verbose:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET; read at FFmpeg's first use
        os.environ.setdefault("QT_LOGGING_RULES", "*.debug=false;*.info=false;*.warning=false")
    else:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_WARNING)
    if not any(isinstance(handler, MessageLines) for handler in log.handlers):
        log.addHandler(MessageLines())
        log.setLevel(logging.INFO)


class MessageLines(logging.Handler):
    """Writes one line per message to sys.stderr as it is at the time (not as it was when created):
    `warning: ...` for warnings, the message alone for news ("camera 0 reconnected")."""

    def emit(self, record: logging.LogRecord) -> None:
        prefix = "warning: " if record.levelno >= logging.WARNING else ""
        print(f"{prefix}{record.getMessage()}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Open everything, run the loop, close everything; returns the exit code."""
    check_display(args.headless)
    spec = demo_clip() if args.demo else (args.device or "0")
    from camera_digits.recognizer import DigitRecognizer  # imported here: the model runtime is heavy

    recognizer = DigitRecognizer.load(args.model, polarity=args.polarity, min_confidence=args.min_confidence)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        loop_demo = args.demo and not args.headless  # a window shows the demo until q or Esc
        source = stack.enter_context(open_source(spec, args.width, args.height, Deadlines.of(args.timeout), loop_demo))
        if (args.width or args.height) and not source.is_live:
            log.warning("--width/--height apply to cameras and streams; %s is read at its own size", source.name)
        sinks = open_sinks(stack, args, source)
        window = stack.enter_context(Window()) if not args.headless else None
        loop = Loop(recognizer, None if source.is_still else Tracker(), sinks, window)
        try:
            loop.run(source, args.max_frames)
        except ReaderGone:
            return EXIT_OK  # `--json - | head` got what it wanted
        except SourceError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_FAILED
    report_summary(loop.count, time.perf_counter() - started, source, args)
    return EXIT_OK


def demo_clip() -> str:
    if not DEMO_CLIP.is_file():
        raise SourceError(f"the demo clip {DEMO_CLIP} is missing; run python scripts/make_demo_clip.py")
    if DEMO_CLIP.is_relative_to(Path.cwd()):
        return str(DEMO_CLIP.relative_to(Path.cwd()))  # the JSON's "source" as short as a path typed here
    return str(DEMO_CLIP)


def check_display(headless: bool) -> None:
    """Fail early where a window cannot open (Qt would abort the process instead of raising)."""
    has_display = any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))
    if not headless and sys.platform.startswith("linux") and not has_display:
        raise UsageError("no display to open a window on; pass --headless (with --output or --json)")


def report_summary(count: int, seconds: float, source: FrameSource, args: argparse.Namespace) -> None:
    skipped = len(getattr(source, "skipped", ()))
    line = f"processed {count} frames in {seconds:.1f} s ({count / max(seconds, 1e-9):.1f} fps)"
    line += f"; skipped {skipped} unreadable images" if skipped else ""
    line += f"; wrote {args.output}" if args.output and count else ""
    print(line, file=sys.stderr)


class Loop:
    """Frame → reading → tracked reading → sinks; reacts to the window's keys."""

    def __init__(self, recognizer, tracker: Tracker | None, sinks: list, window: Window | None):
        self.recognizer, self.tracker, self.sinks, self.window = recognizer, tracker, sinks, window
        self.cuts = CutDetector()
        self.count = 0
        self.fps = FpsMeter()
        self.keeps_crops = any(isinstance(sink, CropSink) for sink in sinks)

    def run(self, source: FrameSource, max_frames: int | None) -> None:
        # A file is read much faster than it plays; in the window it plays at its own frame rate.
        pacer = Pacer(source.fps) if self.window and not (source.is_live or source.is_still) else None
        for frame in source:
            if frame.image is None:
                if self.window and self.window.show_state("reconnecting"):
                    return
                continue
            processed = self.process(frame)
            for sink in self.sinks:
                sink.write(processed)
            self.count += 1
            if pacer:
                pacer.wait()
            if self.window and self.window.react(processed, self.fps.tick(), hold=source.is_still):
                return
            if max_frames and self.count >= max_frames:
                return

    def process(self, frame: Frame) -> Processed:
        debug = None
        if self.keeps_crops or (self.window and self.window.debug):
            reading, debug = self.recognizer.recognize_debug(frame.image)
        else:
            reading = self.recognizer.recognize(frame.image)
        reading = replace(reading, source=frame.name, frame_index=frame.index)
        if self.tracker is not None:
            started = time.perf_counter()
            if self.cuts.is_cut(frame.image):
                self.tracker.reset()
            reading = self.tracker.update(reading)
            track_ms = (time.perf_counter() - started) * 1e3
            reading = replace(reading, timings_ms={**reading.timings_ms, "track": track_ms})
        return Processed(reading, frame.image, debug)


class Pacer:
    """Waits out the rest of each frame interval so that frames follow each other at `fps`."""

    def __init__(self, fps: float):
        self.interval_s = 1.0 / fps
        self.due_s: float | None = None

    def wait(self) -> None:
        now = time.perf_counter()
        if self.due_s is not None and now < self.due_s:
            time.sleep(self.due_s - now)
        self.due_s = max(now, self.due_s or now) + self.interval_s


class FpsMeter:
    """Frames per second, smoothed over recent frames."""

    def __init__(self):
        self.last: float | None = None
        self.fps: float | None = None

    def tick(self) -> float | None:
        now = time.perf_counter()
        if self.last is not None and now > self.last:
            current = 1.0 / (now - self.last)
            self.fps = current if self.fps is None else self.fps + FPS_SMOOTHING * (current - self.fps)
        self.last = now
        return self.fps


class Window:
    """The cv2.imshow window: shows each annotated frame with the HUD and turns keys into actions."""

    def __init__(self):
        self.debug = False
        self.paused = False
        self.last: Processed | None = None
        self.last_size: tuple[int, int] | None = None

    def __enter__(self) -> Window:
        # Resizable, keeping the frame's aspect, without the toolbar of OpenCV's Qt build.
        cv2.namedWindow(WINDOW_TITLE, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
        return self

    def __exit__(self, *exc_info) -> None:
        cv2.destroyWindow(WINDOW_TITLE)
        cv2.waitKey(1)  # lets the GUI thread actually close the window

    def react(self, processed: Processed, fps: float | None, hold: bool = False) -> bool:
        """Show `processed` and handle keys, staying while paused, or with `hold` (still images) until
        space, n or Enter moves on. True when the user quits."""
        self.last = processed
        if self.handle(self.show(self.compose(processed, fps, ""))):
            return True
        while self.paused or hold:
            key = self.show(self.compose(processed, fps, "paused" if self.paused else ""), wait_ms=30)
            if hold and key in NEXT_KEYS:
                return False
            if self.handle(key):
                return True
        return False

    def show_state(self, state: str) -> bool:
        """Show the last frame with `state` ("reconnecting") written over it. True when the user quits."""
        if self.last is None:
            return self.handle(cv2.waitKey(1) & 0xFF)
        return self.handle(self.show(self.compose(self.last, None, state)))

    def compose(self, processed: Processed, fps: float | None, state: str) -> np.ndarray:
        image = processed.annotated
        if self.debug and processed.debug is not None:
            image = draw_debug(image.shape, processed.debug.binary, processed.debug.crops)
        return draw_hud(image, fps, processed.reading.timings_ms, state)

    def show(self, image: np.ndarray, wait_ms: int = 1) -> int:
        """Display `image`; the key pressed within `wait_ms` (q when the window was closed, else 255 for none)."""
        if self.last_size != image.shape[:2]:
            # A resizable window opens small: start it at the frame's own size.
            cv2.resizeWindow(WINDOW_TITLE, image.shape[1], image.shape[0])
            self.last_size = image.shape[:2]
        cv2.imshow(WINDOW_TITLE, image)
        key = cv2.waitKey(wait_ms) & 0xFF
        if cv2.getWindowProperty(WINDOW_TITLE, cv2.WND_PROP_VISIBLE) < 1:
            return QUIT_KEYS[0]
        return key

    def handle(self, key: int) -> bool:
        if key in QUIT_KEYS:
            return True
        if key == PAUSE_KEY:
            self.paused = not self.paused
        elif key == DEBUG_KEY:
            self.debug = not self.debug
        elif key == SNAPSHOT_KEY and self.last is not None:
            save_snapshot(self.last)
        return False


def save_snapshot(processed: Processed) -> Path:
    """Write the annotated frame to snapshot-<time>-<frame>.png in the working folder."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = Path(f"snapshot-{stamp}-{processed.reading.frame_index:06d}.png")
    write_image(path, processed.annotated)
    print(f"saved {path}", file=sys.stderr)
    return path


def open_sinks(stack: contextlib.ExitStack, args: argparse.Namespace, source: FrameSource) -> list:
    """The file sinks the flags ask for, each registered on `stack` so it is closed on any exit."""
    sinks = []
    if args.output:
        still_image = isinstance(source, ImageSource)
        sinks.append(stack.enter_context(output_sink(Path(args.output), source.fps, still_image)))
    if args.json:
        sinks.append(stack.enter_context(JsonSink(args.json)))
    if args.save_crops:
        sinks.append(stack.enter_context(CropSink(Path(args.save_crops))))
    return sinks
