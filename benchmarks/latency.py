"""Latency: median per-frame time by stage at 640×480 with 10 digits on plain, ruled and grid paper, against
the tutorial's way (Keras `model.predict` called once per crop) measured in the same run; a crowded 640×480
page of 60 small digits, some touching; a 12-megapixel photo of a page of small digits; and startup time.

    python benchmarks/latency.py [--frames 100] [--scenes 5] [--model PATH] [--keras-model PATH]
                                 [--opencv-threads N]

Each paper kind is timed on its first `--scenes` synthetic 10-digit scenes, `--frames` frames each; the
overall figure is the median over all of them. Line removal makes ruled and grid paper the slower ones.
Targets: ≤ 5 ms per frame (median), ≥ 50× faster than one predict per crop, ≤ 12 ms for the crowded page,
≤ 150 ms for the 12-megapixel photo, ≤ 1 s to the first frame.
Startup is timed twice in fresh interpreters: `run_camera.py --device page.png --headless --max-frames 1`
minus an empty interpreter's start, and in-process from `import camera_digits.app` to main() returning.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))  # camera_digits and tests.scenes, when run from a checkout

from camera_digits import classifier  # noqa: E402
from camera_digits.recognizer import OPENCV_THREADS, DigitRecognizer  # noqa: E402
from tests.scenes import SceneOptions, ink_glyph, mnist_test, render_scene, write_ink  # noqa: E402
from tests.stress import render_stress, split_seeds  # noqa: E402

DIGITS_IN_SCENE = 10
PAPERS = ("plain", "ruled", "grid")
TUTORIAL_FRAMES = 3  # one predict per crop takes tens of ms: a few frames per scene give a stable median
STARTUP_RUNS = 3
IN_PROCESS_STARTUP = (
    "import sys, time; started = time.perf_counter(); from camera_digits.app import main; "
    "code = main(sys.argv[1:]); print(time.perf_counter() - started); raise SystemExit(code)"
)


def ten_digit_scenes(per_paper: int) -> dict[str, list[np.ndarray]]:
    """The first `per_paper` seeded 640×480 scenes with exactly 10 digits of each paper kind: BGR uint8."""
    scenes: dict[str, list[np.ndarray]] = {paper: [] for paper in PAPERS}
    for seed in range(10_000):
        frame, truth = render_scene(seed, SceneOptions(size=(480, 640)))
        if len(truth.digits) == DIGITS_IN_SCENE and len(scenes[truth.paper]) < per_paper:
            scenes[truth.paper].append(frame)
        if all(len(frames) == per_paper for frames in scenes.values()):
            return scenes
    raise RuntimeError("not enough 10-digit scenes of every paper kind")


def crowded_pages(count: int) -> list[np.ndarray]:
    """`count` 640×480 BGR pages of 60 MNIST test digits 22–30 px tall in 6 rows of 10, neighbours from
    overlapping by 15 % of a digit's height to 30 % apart, so some touch."""
    images, _ = mnist_test()
    pages = []
    for seed in range(count):
        rng = np.random.default_rng(seed)
        paper = np.full((480, 640, 3), 0.9, np.float32)
        for row in range(6):
            height, x = int(rng.integers(22, 31)), 20
            for _ in range(10):
                glyph = ink_glyph(images[int(rng.integers(len(images)))], height)
                write_ink(paper, glyph, x, 30 + row * 75, np.float32([0.15, 0.12, 0.1]))
                x += glyph.shape[1] + int(rng.uniform(-0.15, 0.3) * height)
        pages.append(np.clip(paper * 255 + 0.5, 0, 255).astype(np.uint8))
    return pages


def twelve_megapixel_photo() -> np.ndarray:
    """A 4000×3000 BGR frame: the first A4 stress page (a table of digits about 70 px tall at 3508 px, ~80 at
    4000) enlarged to a 12-megapixel phone photo's size: small writing, so the slow path is timed."""
    for seed in split_seeds("tune", 20):
        frame, _ = render_stress("page", seed)
        if max(frame.shape) > 3000:
            return cv2.resize(frame, (4000, 3000) if frame.shape[1] > frame.shape[0] else (3000, 4000))
    raise RuntimeError("no A4-sized page among the stress scenes")


def time_recognizer(recognizer: DigitRecognizer, frames: list[np.ndarray], repeats: int) -> dict[str, list[float]]:
    """Per stage (from reading.timings_ms), for the whole recognize() call and for its CPU time: the ms of
    every timed frame, each of `frames` processed `repeats` times after a warm-up."""
    stages: dict[str, list[float]] = {}
    for frame in frames:
        for _ in range(5):
            recognizer.recognize(frame)  # warm-up: interpreter allocation for this crop count, caches
        for _ in range(repeats):
            started, started_cpu = time.perf_counter(), time.process_time()
            reading = recognizer.recognize(frame)
            stages.setdefault("recognize() call", []).append((time.perf_counter() - started) * 1e3)
            # CPU time is what the frame cost this process; wall time also counts waiting for a shared CPU.
            stages.setdefault("recognize() CPU time", []).append((time.process_time() - started_cpu) * 1e3)
            for stage, ms in reading.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
    return stages


def time_tutorial_way(recognizer: DigitRecognizer, keras_model, frames: list[np.ndarray]) -> list[float]:
    """ms per frame with the same segmentation and crops, then `keras_model.predict` once per crop, as the
    tutorial does."""
    totals = []
    for frame in frames:
        for _ in range(TUTORIAL_FRAMES):
            started = time.perf_counter()
            _, debug = recognizer.recognize_debug(frame)  # segment + normalize (+ our classify)
            for crop in debug.crops:
                keras_model.predict(crop[None], verbose=0)
            totals.append((time.perf_counter() - started) * 1e3)
    return totals


def startup_seconds(frame: np.ndarray, model: str) -> tuple[float, float, float]:
    """Median over STARTUP_RUNS of: run_camera.py wall time, an empty interpreter's, and in-process time."""
    with tempfile.TemporaryDirectory() as folder:
        image = Path(folder) / "page.png"
        cv2.imwrite(str(image), frame)
        flags = ["--device", str(image), "--headless", "--max-frames", "1", "--model", model]
        app_runs, empty_runs, in_process = [], [], []
        for _ in range(STARTUP_RUNS):
            app_runs.append(wall_seconds([sys.executable, "run_camera.py", *flags]))
            empty_runs.append(wall_seconds([sys.executable, "-c", "pass"]))
            result = subprocess.run([sys.executable, "-c", IN_PROCESS_STARTUP, *flags], cwd=REPO_DIR,
                                    capture_output=True, text=True, check=True)
            in_process.append(float(result.stdout.strip().splitlines()[-1]))
    return statistics.median(app_runs), statistics.median(empty_runs), statistics.median(in_process)


def report_case(recognizer: DigitRecognizer, name: str, frames: list[np.ndarray], repeats: int,
                target_ms: float) -> None:
    times = time_recognizer(recognizer, frames, repeats)
    stages = ", ".join(f"{stage} {statistics.median(ms):.2f}" for stage, ms in times.items()
                       if not stage.startswith("recognize"))
    found = len(recognizer.recognize(frames[0]).digits)
    print(f"{name}: {statistics.median(times['recognize() call']):.2f} ms per frame (CPU "
          f"{statistics.median(times['recognize() CPU time']):.2f} ms; target <= {target_ms} ms), median ms per "
          f"stage: {stages}; {found} digits read on the first")


def wall_seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO_DIR, capture_output=True, check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100, help="timed frames per scene")
    parser.add_argument("--scenes", type=int, default=5, help="10-digit scenes per paper kind")
    parser.add_argument("--model", default=str(classifier.default_model_path()), help=".tflite model (ours)")
    parser.add_argument("--keras-model", help="Keras model for the tutorial's way (default: --model as .keras)")
    parser.add_argument("--opencv-threads", type=int, default=OPENCV_THREADS,
                        help=f"OpenCV threads for the timed frames, to compare with the recognizer's choice "
                             f"({OPENCV_THREADS}); the startup runs keep it")
    args = parser.parse_args(argv)
    keras_path = args.keras_model or str(Path(args.model).with_suffix(".keras"))
    scenes = ten_digit_scenes(args.scenes)
    recognizer = DigitRecognizer.load(args.model)
    cv2.setNumThreads(args.opencv_threads)
    ours = {paper: time_recognizer(recognizer, frames, args.frames) for paper, frames in scenes.items()}
    ours["all"] = {stage: sum((ours[paper][stage] for paper in PAPERS), []) for stage in ours["plain"]}
    print(f"640x480, {DIGITS_IN_SCENE} digits, {args.scenes} scenes per paper kind x {args.frames} frames, "
          f"model {args.model}, {args.opencv_threads} OpenCV thread(s); median ms per frame:")
    print(f"  {'stage':<22}" + "".join(f"{paper:>9}" for paper in ours))
    for stage in ours["all"]:
        print(f"  {stage:<22}" + "".join(f"{statistics.median(times[stage]):9.2f}" for times in ours.values()))

    import keras  # only the baseline needs it

    keras_model = keras.saving.load_model(keras_path, compile=False)
    tutorial = {paper: time_tutorial_way(recognizer, keras_model, frames[:1]) for paper, frames in scenes.items()}
    tutorial["all"] = sum(tutorial.values(), [])
    print(f"tutorial's way (one model.predict per crop, {keras_path}), first scene of each kind:")
    print(f"  {'ms per frame':<22}" + "".join(f"{statistics.median(times):9.2f}" for times in tutorial.values()))
    ours_ms = {paper: statistics.median(times["recognize() call"]) for paper, times in ours.items()}
    print(f"  {'speed-up':<22}" + "".join(f"{statistics.median(tutorial[paper]) / ours_ms[paper]:8.0f}x"
                                            for paper in ours))
    print(f"ours: {ours_ms['all']:.2f} ms per frame over all papers (target <= 5 ms); slowest paper "
          f"{max(PAPERS, key=ours_ms.get)} {max(ours_ms[paper] for paper in PAPERS):.2f} ms; speed-up "
          f"{statistics.median(tutorial['all']) / ours_ms['all']:.0f}x (target >= 50x)")

    report_case(recognizer, "crowded 640x480 page, 60 small digits", crowded_pages(args.scenes), args.frames, 12)
    report_case(recognizer, "12-megapixel photo of a page of small digits", [twelve_megapixel_photo()], 5, 150)

    app_s, empty_s, in_process_s = startup_seconds(scenes["plain"][0], args.model)
    print(f"startup to first processed frame: run_camera.py {app_s:.2f} s - empty interpreter {empty_s:.2f} s "
          f"= {app_s - empty_s:.2f} s; in-process import to first reading {in_process_s:.2f} s (target <= 1 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
