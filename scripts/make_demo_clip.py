"""Render the shipped demo clip, camera_digits/assets/demo.mp4: handwritten MNIST test digits on paper
under a drifting camera and changing light, three scenes in a row.

    python scripts/make_demo_clip.py [--output PATH] [--seconds-per-scene 2.0] [--fps 15]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))  # tests.scenes and camera_digits, when run from a checkout

from camera_digits.files import atomic_path  # noqa: E402
from tests.scenes import render_video_frames  # noqa: E402

DEFAULT_OUTPUT = REPO_DIR / "camera_digits" / "assets" / "demo.mp4"
SCENE_SEEDS = (1, 5, 8)  # scenes with several multi-digit numbers each
FRAME_SIZE = (480, 640)  # (H, W)
MAX_BYTES = 3_000_000


def render_clip(seconds_per_scene: float, fps: float) -> list:
    """BGR uint8 (480, 640, 3) frames: each seed's scene for `seconds_per_scene`."""
    frames_per_scene = round(seconds_per_scene * fps)
    frames = []
    for seed in SCENE_SEEDS:
        frames += render_video_frames(seed, frames_per_scene, FRAME_SIZE)[0]
    return frames


def write_clip(frames: list, path: Path, fps: float) -> None:
    height, width = FRAME_SIZE
    with atomic_path(path) as temporary:
        writer = cv2.VideoWriter(str(temporary), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
        for frame in frames:
            writer.write(frame)
        writer.release()


def count_readable_frames(path: Path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--seconds-per-scene", type=float, default=2.0)
    parser.add_argument("--fps", type=float, default=15.0)
    args = parser.parse_args(argv)
    frames = render_clip(args.seconds_per_scene, args.fps)
    write_clip(frames, args.output, args.fps)
    readable, size = count_readable_frames(args.output), args.output.stat().st_size
    print(f"wrote {args.output}: {readable} of {len(frames)} frames readable, {size / 1e6:.2f} MB")
    if readable != len(frames) or size > MAX_BYTES:
        print(f"error: the clip must read back whole and stay under {MAX_BYTES / 1e6:.0f} MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
