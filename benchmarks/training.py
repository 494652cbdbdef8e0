"""Train `seed` (the tutorial's CNN) and `digitnet` for the same short budget; print accuracy and speed.

    python benchmarks/training.py --data ../shared/data/mnist.npz --epochs 2 --limit 20000

Both runs use the same data, epochs, batch size and augmentation setting, so the printed ratio
compares the architectures alone. Outputs go to a temporary folder, never to models/.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from camera_digits.training import cli, trainer


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="MNIST .npz or IDX folder (default: the loader's search order)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=20000, help="training images per run")
    parser.add_argument("--no-augment", action="store_true")
    return parser.parse_args(argv)


def train_one(arch: str, args, out: Path) -> dict:
    argv = ["--arch", arch, "--epochs", str(args.epochs), "--limit", str(args.limit), "--out", str(out)]
    argv += (["--data", args.data] if args.data else []) + (["--no-augment"] if args.no_augment else [])
    if cli.main(argv) != 0:
        raise SystemExit(f"training {arch} failed")
    return json.loads((out / f"{trainer.MODEL_STEM}.json").read_text())


def main(argv=None) -> int:
    args = parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for arch in ("seed", "digitnet"):
            results[arch] = train_one(arch, args, Path(folder) / arch)
    print(f"\n{args.epochs} epochs on {args.limit} training images, augmentation "
          f"{'off' if args.no_augment else 'on'}:")
    print(f"{'architecture':<12} {'test accuracy':>13} {'test errors':>11} {'s/epoch':>8}")
    for arch, metadata in results.items():
        errors = round((1 - metadata["test_accuracy"]) * 10000)
        print(f"{arch:<12} {metadata['test_accuracy']:>13.2%} {errors:>11} {metadata['seconds_per_epoch']:>8.1f}")
    seed, digitnet = results["seed"], results["digitnet"]
    print(f"digitnet makes {(1 - digitnet['test_accuracy']) / max(1e-9, 1 - seed['test_accuracy']):.2f}× the "
          f"errors of seed at {digitnet['seconds_per_epoch'] / seed['seconds_per_epoch']:.1f}× its time per epoch")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
