"""Soak run: many frames headless through the whole app loop (recognize, track, draw, record, JSON).

Prints frames per second in the first and last tenth of the run and resident memory before loading,
after a warm-up and at the end. Targets: memory growth after the warm-up ≤ 20 MB, no slowdown.

    python benchmarks/soak.py [--frames 10000] [--model PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))  # camera_digits and tests.scenes, when run from a checkout

from camera_digits.app import Loop  # noqa: E402
from camera_digits.capture import Frame, FrameSource  # noqa: E402
from camera_digits.recognizer import DigitRecognizer  # noqa: E402
from camera_digits.sinks import JsonSink, VideoSink  # noqa: E402
from camera_digits.tracking import Tracker  # noqa: E402
from tests.scenes import render_video_frames  # noqa: E402

WARM_UP_FRAMES = 30
MAX_GROWTH_MB = 20.0


def resident_mb() -> float:
    """This process's resident memory in MiB (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class CyclingSource(FrameSource):
    """`count` frames taken round and round from a short clip, like a camera looking at a moving page."""

    def __init__(self, clip: list, count: int, start: int = 0):
        super().__init__("soak")
        self.clip, self.count, self.start = clip, count, start

    def __iter__(self):
        for index in range(self.start, self.start + self.count):
            yield Frame(self.clip[index % len(self.clip)], index, self.name)


class FrameClock:
    """A sink that notes when each frame was done, for frame rates that a pause of the machine skews little."""

    def __init__(self):
        self.times: list[float] = []

    def write(self, processed) -> None:
        self.times.append(time.perf_counter())


@dataclass
class SoakResult:
    frames: int
    fps_per_tenth: list  # frames / seconds of each tenth of the run
    fastest_fps_per_tenth: list  # 1 / the shortest frame interval of each tenth: a busy machine only adds time
    memory_mb: dict  # "before load", "after warm-up", "end"

    @property
    def slowdown(self) -> float:
        """The last tenth's fastest frame rate over the first's: 1.0 is no slowdown.

        With 300 frames or more every tenth goes round the whole clip, so its fastest frame is the same work
        each time: what the code costs, while other processes on the machine can only stretch the slower frames.
        """
        return self.fastest_fps_per_tenth[-1] / self.fastest_fps_per_tenth[0]

    @property
    def growth_mb(self) -> float:
        return self.memory_mb["end"] - self.memory_mb["after warm-up"]


def soak(frames: int, model_path: str | None = None) -> SoakResult:
    """Run `frames` (at least 10) frames after a warm-up through Loop with a video and a JSON sink, headless."""
    memory = {"before load": resident_mb()}
    recognizer = DigitRecognizer.load(model_path)
    clip = render_video_frames(seed=1, n_frames=30)[0]
    tenth = frames // 10
    with tempfile.TemporaryDirectory() as folder, VideoSink(Path(folder) / "soak.mp4", 15.0) as video, \
            JsonSink(os.devnull) as json_lines:
        clock = FrameClock()
        loop = Loop(recognizer, Tracker(), [video, json_lines, clock], None)
        loop.run(CyclingSource(clip, WARM_UP_FRAMES), None)
        memory["after warm-up"] = resident_mb()
        fps, fastest_fps = [], []
        for index in range(10):
            start = index * tenth
            count = tenth if index < 9 else frames - start  # the last tenth takes what is left over
            started = time.perf_counter()
            clock.times = [started]
            loop.run(CyclingSource(clip, count, WARM_UP_FRAMES + start), None)
            fps.append(count / (time.perf_counter() - started))
            fastest_fps.append(1.0 / float(np.min(np.diff(clock.times))))
        memory["end"] = resident_mb()
    return SoakResult(frames, fps, fastest_fps, memory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--model", help="model to load (default: the shipped model)")
    args = parser.parse_args(argv)
    if args.frames < 10:
        parser.error("--frames must be at least 10 (one tenth of the run is compared with another)")
    result = soak(args.frames, args.model)
    first, last = result.fps_per_tenth[0], result.fps_per_tenth[-1]
    print(f"frames: {result.frames} at 640x480 (recognize + track + draw + mp4 + JSON), headless")
    print("fps per tenth: " + " ".join(f"{fps:.0f}" for fps in result.fps_per_tenth))
    print(f"fps first tenth {first:.1f}, last tenth {last:.1f} (last/first = {last / first:.2f}); "
          f"fastest frame last/first = {result.slowdown:.2f}")
    print("resident memory MB: " + ", ".join(f"{stage} {mb:.1f}" for stage, mb in result.memory_mb.items()))
    print(f"growth after warm-up: {result.growth_mb:+.1f} MB (target <= {MAX_GROWTH_MB:.0f} MB)")
    return 0 if result.growth_mb <= MAX_GROWTH_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
