"""Latency: median per-frame time by stage at 640×480 with 10 digits, against the tutorial's way
(Keras `model.predict` called once per crop) measured in the same run; and startup time.

    python benchmarks/latency.py [--frames 200] [--model PATH] [--keras-model PATH]

Targets: ≤ 5 ms per frame (median), ≥ 50× faster than one predict per crop, ≤ 1 s to the first frame.
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
from camera_digits.recognizer import DigitRecognizer  # noqa: E402
from tests.scenes import SceneOptions, render_scene  # noqa: E402

DIGITS_IN_SCENE = 10
TUTORIAL_FRAMES = 10  # one predict per crop takes tens of ms: a few frames give a stable median
STARTUP_RUNS = 3
IN_PROCESS_STARTUP = (
    "import sys, time; started = time.perf_counter(); from camera_digits.app import main; "
    "code = main(sys.argv[1:]); print(time.perf_counter() - started); raise SystemExit(code)"
)


def ten_digit_scene() -> np.ndarray:
    """The first seeded 640×480 paper scene with exactly 10 digits: BGR uint8 (480, 640, 3)."""
    for seed in range(1000):
        frame, truth = render_scene(seed, SceneOptions(size=(480, 640)))
        if len(truth.digits) == DIGITS_IN_SCENE:
            return frame
    raise RuntimeError("no seed gives a 10-digit scene")


def time_recognizer(recognizer: DigitRecognizer, frame: np.ndarray, frames: int) -> tuple[dict[str, float], int]:
    """Median ms per stage (from reading.timings_ms), of the whole recognize() call, and its CPU time;
    and how many digits were read."""
    for _ in range(10):
        recognizer.recognize(frame)  # warm-up: interpreter allocation, caches
    stages: dict[str, list[float]] = {}
    for _ in range(frames):
        started, started_cpu = time.perf_counter(), time.process_time()
        reading = recognizer.recognize(frame)
        stages.setdefault("recognize() call", []).append((time.perf_counter() - started) * 1e3)
        # CPU time is what the frame cost this process; wall time also counts waiting for a shared CPU.
        stages.setdefault("recognize() CPU time", []).append((time.process_time() - started_cpu) * 1e3)
        for stage, ms in reading.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
    return {stage: statistics.median(values) for stage, values in stages.items()}, len(reading.digits)


def time_tutorial_way(recognizer: DigitRecognizer, keras_model, frame: np.ndarray) -> dict[str, float]:
    """The same segmentation and crops, then `keras_model.predict` once per crop, as the tutorial does."""
    totals, predicts = [], []
    for _ in range(TUTORIAL_FRAMES):
        started = time.perf_counter()
        _, debug = recognizer.recognize_debug(frame)  # segment + normalize (+ our classify, subtracted below)
        prepared = time.perf_counter()
        for crop in debug.crops:
            keras_model.predict(crop[None], verbose=0)
        finished = time.perf_counter()
        predicts.append((finished - prepared) * 1e3)
        totals.append((finished - started) * 1e3)
    return {"predict per crop, summed": statistics.median(predicts), "total": statistics.median(totals),
            "crops": len(debug.crops)}


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


def wall_seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO_DIR, capture_output=True, check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--model", default=str(classifier.default_model_path()), help=".tflite model (ours)")
    parser.add_argument("--keras-model", help="Keras model for the tutorial's way (default: --model as .keras)")
    args = parser.parse_args(argv)
    keras_path = args.keras_model or str(Path(args.model).with_suffix(".keras"))
    frame = ten_digit_scene()
    recognizer = DigitRecognizer.load(args.model)
    ours, found = time_recognizer(recognizer, frame, args.frames)
    print(f"640x480 scene with {DIGITS_IN_SCENE} digits ({found} read), {args.frames} frames, model {args.model}")
    for stage, ms in ours.items():
        print(f"  ours  {stage:<26} {ms:8.2f} ms (median)")

    import keras  # only the baseline needs it

    tutorial = time_tutorial_way(recognizer, keras.saving.load_model(keras_path, compile=False), frame)
    print(f"tutorial's way ({tutorial['crops']} crops, one model.predict each, {keras_path}):")
    print(f"  predict per crop, summed   {tutorial['predict per crop, summed']:8.2f} ms (median)")
    print(f"  total per frame            {tutorial['total']:8.2f} ms (median)")
    ratio = tutorial["total"] / ours["recognize() call"]
    print(f"per-frame speed-up: {ratio:.0f}x (target >= 50x); ours {ours['recognize() call']:.2f} ms wall, "
          f"{ours['recognize() CPU time']:.2f} ms CPU (target <= 5 ms)")
    print(f"classify stage alone: {tutorial['predict per crop, summed'] / ours['classify']:.0f}x")

    app_s, empty_s, in_process_s = startup_seconds(frame, args.model)
    print(f"startup to first processed frame: run_camera.py {app_s:.2f} s - empty interpreter {empty_s:.2f} s "
          f"= {app_s - empty_s:.2f} s; in-process import to first reading {in_process_s:.2f} s (target <= 1 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
