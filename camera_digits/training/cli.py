"""`train.py` and `camera-digits-train`: parse the command line, quiet TensorFlow, then train.

The command line is parsed before anything heavy is imported, so `--help` and argument errors answer at once,
and a missing TensorFlow is one line naming the command that installs it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

# The names of models.ARCHITECTURES, which cannot be imported without Keras (a test keeps them equal).
ARCHITECTURES = ("separable", "digitnet", "compact", "seed")
DEFAULT_ARCHITECTURE = "separable"
DEFAULT_EPOCHS = {"seed": 5, "digitnet": 15, "separable": 30, "compact": 20}
FINETUNE_EPOCHS = 3
REJECT_BRANCH_EPOCHS = 6  # the validation loss stopped falling after 5-6 epochs
DISTRIBUTE_MODES = ("auto", "none", "mirrored", "multi-worker")
CONSOLE_SCRIPT = "camera-digits-train"
CHECKOUT_DIR = Path(__file__).resolve().parents[2]
# C++ log levels: 0 all, 1 no info (oneDNN, CPU features, SavedModel loading), 2 no warnings, 3 no errors.
QUIET_LOG_LEVEL = "3"


def program_name() -> str:
    """How the user called the trainer: the console script, or the script in a checkout."""
    return CONSOLE_SCRIPT if Path(sys.argv[0]).name == CONSOLE_SCRIPT else "train.py"


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or program_name(),
        description="Train the digit CNN on MNIST (and your own crops) and publish it: .keras, .tflite, "
        "metadata JSON and a report PNG. A folder that holds a model is never made worse: a run that "
        "does not beat it is published into runs/DATE-TIME/ instead.",
    )
    parser.add_argument("--arch", choices=ARCHITECTURES, default=DEFAULT_ARCHITECTURE,
                        help=f"architecture (default {DEFAULT_ARCHITECTURE}; seed is the tutorial's CNN)")
    default_epochs = ", ".join(f"{epochs} for {name}" for name, epochs in DEFAULT_EPOCHS.items())
    parser.add_argument("--epochs", type=positive_int,
                        help=f"epochs (default: {default_epochs}; {FINETUNE_EPOCHS} with --finetune, "
                        f"{REJECT_BRANCH_EPOCHS} with --reject-branch)")
    parser.add_argument("--batch-size", type=positive_int, default=128,
                        help="images per batch on each replica (default 128); the global batch is this times "
                        "the number of GPUs or workers")
    parser.add_argument("--data", help="MNIST .npz (Keras layout) or folder of IDX files (default: see README)")
    parser.add_argument("--out", default="models", help="output folder (default models/)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--limit", type=positive_int, help="train on the first N training images only")
    parser.add_argument("--no-augment", action="store_true", help="train on the plain MNIST images")
    parser.add_argument("--resume", action="store_true", help="continue the interrupted run in --out")
    parser.add_argument("--extra", metavar="DIR",
                        help="also train on your own crops: DIR/0/ .. DIR/9/ (and DIR/reject/) of 28x28 images, "
                        "as run_camera.py --save-crops writes them; a fifth is held back to measure the model")
    parser.add_argument("--finetune", action="store_true",
                        help=f"start from the current model (in --out, else the shipped one) for "
                        f"{FINETUNE_EPOCHS} epochs instead of from scratch")
    parser.add_argument("--reject-branch", action="store_true",
                        help="start from the current model, freeze it and train only a new \"not a digit\" "
                        "branch on its features: which digit a crop is read as stays the same, only what is "
                        "refused changes (add --extra DIR with DIR/reject/ crops, e.g. from "
                        "scripts/harvest_rejects.py)")
    parser.add_argument("--force", action="store_true",
                        help="publish into --out even if the model there is better")
    parser.add_argument("--distribute", choices=DISTRIBUTE_MODES, default="auto",
                        help="none: one device; mirrored: every local GPU; multi-worker: the machines in "
                        "TF_CONFIG; auto (default): mirrored when more than one GPU is visible")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's own log lines")
    return parser


def parse_args(argv=None, prog: str | None = None) -> argparse.Namespace:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.resume and args.distribute == "multi-worker":
        parser.error("--resume continues a run on one machine; start a multi-worker run afresh")
    if args.finetune and args.reject_branch:
        parser.error("--finetune trains the whole model, --reject-branch only a new reject branch; choose one")
    if (args.finetune or args.reject_branch) and args.arch != DEFAULT_ARCHITECTURE:
        parser.error("--finetune and --reject-branch continue the current model's architecture; leave out --arch")
    if args.reject_branch and args.distribute == "multi-worker":
        parser.error("--reject-branch trains on one machine; leave out --distribute multi-worker")
    args.epochs = args.epochs or (FINETUNE_EPOCHS if args.finetune else
                                  REJECT_BRANCH_EPOCHS if args.reject_branch else DEFAULT_EPOCHS[args.arch])
    return args


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv=None) -> int:
    """Parse, import TensorFlow (quietly unless --verbose), train; returns the process exit code."""
    args = parse_args(argv)
    if not args.verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", QUIET_LOG_LEVEL)
    try:
        import_training_libraries(args.verbose)
    except ImportError as error:
        missing = error.name or "TensorFlow"
        print(f"error: training needs TensorFlow, Keras and matplotlib ({missing} is not installed); "
              f"install them with: {install_command()}", file=sys.stderr)
        return 2
    from camera_digits.training import trainer

    return trainer.main(args)


def import_training_libraries(verbose: bool) -> None:
    """Import TensorFlow and Keras. TensorFlow's C++ side announces oneDNN and CPU features while it loads, before
    its log level applies, so unless `verbose` its stderr is silenced for the import (Python errors still show)."""
    from camera_digits.classifier import native_stderr_silenced

    with contextlib.nullcontext() if verbose else native_stderr_silenced():
        import keras  # noqa: F401
        import matplotlib  # noqa: F401
        import tensorflow as tf
    if not verbose:
        import absl.logging

        tf.get_logger().setLevel("ERROR")
        absl.logging.set_verbosity(absl.logging.ERROR)


def install_command() -> str:
    """The pip command that adds the [train] extra to the Python running this."""
    python = sys.executable
    with contextlib.suppress(ValueError):
        relative = os.path.relpath(python)
        python = relative if not relative.startswith("..") else python
    if (CHECKOUT_DIR / "setup.cfg").is_file():
        target = "." if Path.cwd().resolve() == CHECKOUT_DIR else str(CHECKOUT_DIR)
        return f'{python} -m pip install -e "{target}[train]"'
    return f'{python} -m pip install "camera-digits[train]"'
