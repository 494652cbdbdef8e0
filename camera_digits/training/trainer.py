"""Train a digit CNN on MNIST and publish it: `.keras`, `.tflite`, metadata JSON and a report PNG.

Every file in the output folder is replaced atomically and only after the whole run succeeded, so an
interrupted or failed run leaves the previous model in place, and a model that is worse than the one
there goes to runs/ instead (`gate.py`). Each epoch is checkpointed (the last one for `--resume`, the
best one by validation accuracy for publishing). Several GPUs or machines train one model together
through tf.distribute (`distribute.py`); only the chief publishes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import platform
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from camera_digits.classifier import MODELS_DIR, REJECT_CLASS
from camera_digits.errors import CameraDigitsError
from camera_digits.files import atomic_path, write_text_atomic
from camera_digits.shutdown import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, sigterm_raises
from camera_digits.training import distribute, gate
from camera_digits.training.augment import augment_batch
from camera_digits.training.data import load_mnist
from camera_digits.training.extra import EXTRA_SHARE, load_extra, oversampled
from camera_digits.training.gate import MODEL_STEM
from camera_digits.training.handwriting import font_paths
from camera_digits.training.models import (build, finetune_optimizer, optimizer_for, shift_reject_bias,
                                           with_reject_branch)
from camera_digits.training.nondigits import render_nondigits
from camera_digits.training.report import write_report_png

PREPROCESSING_VERSION = 2  # bump when the crops the camera path feeds the model change
VALIDATION_SIZE = 5000
REJECT_SHARE = 0.1  # non-digit images added per digit image, for models with a reject class
# A reject branch learns only "not a digit", so it sees more of them; on the validation split 0.4 caught more
# reject shapes than 0.1 at the same refused digits.
REJECT_BRANCH_SHARE = 0.4
# A refused digit costs eight times a shape read as a digit. A branch on the features alone refused 13 of
# the 5,000 validation digits before calibration with weight 1, 5 with weight 4; once calibrated, 8 caught a
# little more of a held-out half of the harvested crops than 4 (88.6 % against 88.0 %) at the same MNIST
# accuracy.
REJECT_BRANCH_DIGIT_WEIGHT = 8.0
REJECT_BRANCH_CLASS_WEIGHT = {**{digit: REJECT_BRANCH_DIGIT_WEIGHT for digit in range(10)}, REJECT_CLASS: 1.0}
# Crops the camera path proposed (scripts/harvest_rejects.py) are the reject material most like real
# mistakes: a branch run gives them a larger share of the epoch than a fine-tune gives a user's crops.
REJECT_BRANCH_EXTRA_SHARE = 0.3
BIAS_STEP = 0.25  # the reject bias is lowered in these steps until few enough validation digits are refused
AUGMENTED_COPIES = 2  # of the validation digits, for calibrating the reject bias
MAX_BIAS_SHIFT = 10.0


@dataclass(frozen=True)
class Split:
    images: np.ndarray  # (N, 28, 28) uint8, ink = 255
    labels: np.ndarray  # (N,) int


def main(args) -> int:
    """Train with the parsed command line (`cli.parse_args`); returns the process exit code."""
    try:
        with sigterm_raises():
            summary = train(args)
    except CameraDigitsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: could not write to {args.out} ({error.strerror or error}); free space or pick another --out, "
              "then run again with --resume", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Terminated) as error:
        print(f"\ninterrupted; {args.out}/ is unchanged; {resume_hint(args)}", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(error, Terminated) else EXIT_INTERRUPTED
    print(summary)
    return 0


def resume_hint(args) -> str:
    state = checkpoint_dir(args) / "state.json"
    if not state.is_file():
        return "no epoch had finished, so there is nothing to resume"
    epoch = json.loads(state.read_text())["epoch"]
    return f"epoch {epoch} is checkpointed in {checkpoint_dir(args)}/: run again with --resume to continue"


def checkpoint_dir(args) -> Path:
    return Path(args.out) / "checkpoints" / args.arch


def train(args) -> str:
    """Run training end to end; return the summary printed at the end."""
    strategy = distribute.strategy_for(args.distribute)  # first: a multi-worker strategy must precede other ops
    chief = distribute.is_chief(strategy)
    keras.utils.set_random_seed(args.seed)
    mnist = load_mnist(args.data)
    out = Path(args.out)
    with strategy.scope():
        start = finetune_start(args, out) if args.finetune or args.reject_branch else None
        model = build_or_resume(args, with_reject_branch(start) if args.reject_branch else start)
    with_reject = model.output_shape[-1] == 11
    judge = probabilities_of(start) if start is not None and with_reject else None
    train_split, validation_split = split_validation(mnist, args, with_reject, judge)
    test = Split(mnist.x_test, mnist.y_test.astype(np.int64))
    extra = read_extra(args, with_reject, len(train_split.labels)) if args.extra else None
    if extra:
        extra.before = measure_current(out, extra.held_back, test, start) if chief else None
        train_split = Split(np.concatenate([train_split.images, extra.train.images]),
                            np.concatenate([train_split.labels, extra.train.labels]))
    started = time.monotonic()
    history = fit(model, train_split, validation_split, args, strategy, checkpoint_dir(args) if chief else None)
    seconds = time.monotonic() - started
    if not chief:
        return distribute.worker_summary(strategy, weights_fingerprint(model))
    best = keras.saving.load_model(checkpoint_dir(args) / "best.keras", safe_mode=True)
    calibration = calibrate_reject_bias(best, validation_split, start) if args.reject_branch else None
    evaluation = evaluate(best, test)
    metadata = describe(args, mnist, history, evaluation, seconds, len(train_split.labels))
    if calibration:
        metadata["reject_branch"] = calibration
    metadata["distribute"] = distribute.describe(strategy, args.batch_size)
    if extra:
        metadata["extra"] = extra.describe(accuracy_on(best, extra.held_back))
    destination, note = gate.destination(out, metadata, args)
    paths = publish(best, metadata, history, evaluation, destination)
    remove_checkpoints(args)
    fingerprint = weights_fingerprint(model) if distribute.worker_count(strategy) > 1 else None
    return summarize(metadata, paths, [note, gate.smoke_note(metadata, full_train_count(mnist)), fingerprint])


@dataclass
class ExtraRun:
    """The extra crops of a run: those held back to measure the model, the oversampled rest it trains on (each
    crop `repeats` times), and the current model's figures on them before training (`measure_current`)."""

    held_back: Split
    train: Split
    repeats: int
    skipped: int  # reject crops left out: the model has no reject class
    before: dict | None = None

    def describe(self, held_back_accuracy_after: float) -> dict:
        return {
            "train_crops": len(self.train.labels) // max(1, self.repeats), "repeats": self.repeats,
            "held_back_crops": len(self.held_back.labels), "skipped_reject_crops": self.skipped,
            "held_back_accuracy_before": (self.before or {}).get("held_back_accuracy"),
            "held_back_accuracy_after": held_back_accuracy_after,
            "mnist_test_accuracy_before": (self.before or {}).get("mnist_test_accuracy"),
            "model_before": (self.before or {}).get("path"),
        }


def read_extra(args, with_reject: bool, mnist_count: int) -> ExtraRun:
    extra_train, held_back, skipped = load_extra(args.extra, with_reject, args.seed)
    share = REJECT_BRANCH_EXTRA_SHARE if args.reject_branch else EXTRA_SHARE
    images, labels, repeats = oversampled(extra_train, mnist_count, args.seed, share)
    return ExtraRun(Split(*held_back), Split(images, labels), repeats, skipped)


def measure_current(out: Path, held_back: Split, test: Split, current=None) -> dict | None:
    """The current model's accuracy on the held-back crops and on MNIST: the "before" of a run with --extra.

    `current`: that model when the run has loaded it already (--finetune starts from it), else it is read here.
    """
    path = current_model_path(out)
    if not path.is_file() or len(held_back.labels) == 0:
        return None
    model = current if current is not None else keras.saving.load_model(path, safe_mode=True, compile=False)
    if model.output_shape[-1] < int(held_back.labels.max()) + 1:
        return None  # a ten-class model cannot be scored on reject crops
    return {"path": str(path), "held_back_accuracy": accuracy_on(model, held_back),
            "mnist_test_accuracy": accuracy_on(model, test)}


def current_model_path(out: Path) -> Path:
    """The model a user has now: the one in `out`, else the shipped one."""
    in_out = out / f"{MODEL_STEM}.keras"
    return in_out if in_out.is_file() else MODELS_DIR / f"{MODEL_STEM}.keras"


def full_train_count(mnist) -> int:
    """Training images in one epoch of the whole data set (what --limit cuts down)."""
    return len(mnist.y_train) - min(VALIDATION_SIZE, len(mnist.y_train) // 10)


def weights_fingerprint(model) -> str:
    """A short hash of every weight: workers that trained in step print the same one."""
    digest = hashlib.sha256()
    for weights in model.get_weights():
        digest.update(np.ascontiguousarray(weights).tobytes())
    return f"weights fingerprint {digest.hexdigest()[:16]}"


def remove_checkpoints(args) -> None:
    """A finished run has nothing to resume: drop its checkpoints (and their folder once empty)."""
    shutil.rmtree(checkpoint_dir(args), ignore_errors=True)
    with contextlib.suppress(OSError):
        checkpoint_dir(args).parent.rmdir()


def finetune_start(args, out: Path):
    """The model --finetune starts from, the current one; its architecture becomes the run's, so that the
    checkpoints (a resumed run's too) and the metadata name it."""
    path = current_model_path(out)
    if not path.is_file():
        raise CameraDigitsError(f"nothing to fine-tune: no model at {path}; train one first, without --finetune")
    model = keras.saving.load_model(path, safe_mode=True, compile=False)
    model.trainable = True  # a model with a reject branch is saved with its trunk frozen
    args.arch = model.name
    return model


def build_or_resume(args, start=None):
    """The model to train: the last checkpoint with --resume, else `start` (fine-tuning) or a new one."""
    last = checkpoint_dir(args) / "last.keras"
    if args.resume:
        if not last.is_file():
            raise CameraDigitsError(f"nothing to resume: no checkpoint at {last}; run without --resume")
        return keras.saving.load_model(last, safe_mode=True)
    return start if start is not None else build(args.arch)


def probabilities_of(model):
    """crops float32 (N, 28, 28, 1) → class probabilities (N, classes), by `model` (which gives logits)."""
    return lambda crops: keras.ops.convert_to_numpy(keras.ops.softmax(model.predict(crops, batch_size=1000,
                                                                                     verbose=0)))


def split_validation(mnist, args, with_reject: bool, judge=None) -> tuple[Split, Split]:
    """Hold out the last VALIDATION_SIZE shuffled training images; add reject-class shapes if wanted.

    The reject shapes made of digits are cut from the same split's digits, so validation stays unseen; a
    `judge` (crops → probabilities) keeps digit-like fragments out of the reject class.
    """
    order = np.random.default_rng(args.seed).permutation(len(mnist.y_train))
    validation_size = min(VALIDATION_SIZE, len(order) // 10)
    train_index, validation_index = order[:-validation_size], order[-validation_size:]
    if args.limit:
        train_index = train_index[:args.limit]
    splits = []
    for index, seed in ((train_index, args.seed + 1), (validation_index, args.seed + 2)):
        images, labels = mnist.x_train[index], mnist.y_train[index].astype(np.int64)
        if with_reject:
            share = REJECT_BRANCH_SHARE if args.reject_branch else REJECT_SHARE
            extra = render_nondigits(max(1, int(len(labels) * share)), seed=seed, digits=images,
                                     fonts=font_paths(), judge=judge)
            images = np.concatenate([images, extra])
            labels = np.concatenate([labels, np.full(len(extra), REJECT_CLASS)])
        splits.append(Split(images, labels))
    return splits[0], splits[1]


def dataset(split: Split, batch_size: int, augment: bool, shuffle_seed: int | None):
    """A tf.data pipeline of (images (B, 28, 28, 1) float32 in [0, 1], labels), augmented in batches.

    Across workers each one reads every n-th batch element of the same shuffled order (the data is in
    memory, not in files to hand out)."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    data = tf.data.Dataset.from_tensor_slices((split.images[..., None], split.labels)).with_options(options)
    if shuffle_seed is not None:
        data = data.shuffle(len(split.labels), seed=shuffle_seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size).map(lambda images, labels: (tf.cast(images, tf.float32) / 255.0, labels),
                                      num_parallel_calls=tf.data.AUTOTUNE)
    if augment:
        data = data.map(lambda images, labels: (augment_batch(images), labels), num_parallel_calls=tf.data.AUTOTUNE)
    return data.prefetch(tf.data.AUTOTUNE)


def fit(model, train_split: Split, validation_split: Split, args, strategy,
        folder: Path | None) -> dict[str, list[float]]:
    """Train `model` (built in `strategy`'s scope); checkpoint each epoch into `folder` (None: no checkpoints,
    as on a worker that is not the chief)."""
    state = read_state(args) if args.resume else {"epoch": 0, "history": {}, "best": 0.0}
    batch_size = args.batch_size * strategy.num_replicas_in_sync
    if not args.resume:
        steps = args.epochs * int(np.ceil(len(train_split.labels) / batch_size))
        with strategy.scope():
            optimizer = finetune_optimizer(steps) if args.finetune else optimizer_for(args.arch, steps)
            model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          metrics=["accuracy"])
    checkpoint = EpochCheckpoint(folder, state)
    train_data = dataset(train_split, batch_size, not args.no_augment, args.seed)
    validation_data = dataset(validation_split, 1000, False, None)
    if distribute.worker_count(strategy) > 1:
        distribute.fit_across_workers(model, train_data, validation_data, strategy, args.epochs, state["epoch"],
                                      checkpoint, batch_size)
        return checkpoint.state["history"]
    model.fit(
        train_data, validation_data=validation_data,
        epochs=args.epochs, initial_epoch=state["epoch"], callbacks=[checkpoint],
        class_weight=REJECT_BRANCH_CLASS_WEIGHT if args.reject_branch else None,
        verbose="auto" if sys.stdout.isatty() else 2,  # a log file gets one line per epoch, not progress bars
        shuffle=False,  # the dataset reshuffles itself every epoch
    )
    return checkpoint.state["history"]


def read_state(args) -> dict:
    path = checkpoint_dir(args) / "state.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CameraDigitsError(f"cannot resume: {path} is unreadable ({error}); run without --resume") from None


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves the last epoch (model + optimizer, for --resume) and the best one, each atomically; keeps only
    the history when `folder` is None."""

    def __init__(self, folder: Path | None, state: dict):
        super().__init__()
        self.folder, self.state = folder, state

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for name, value in logs.items():
            self.state["history"].setdefault(name, []).append(float(value))
        self.state["epoch"] = epoch + 1
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        if logs.get("val_accuracy", 0.0) >= self.state["best"]:
            self.state["best"] = float(logs.get("val_accuracy", 0.0))
            save_model_atomic(self.model, self.folder / "best.keras")
        save_model_atomic(self.model, self.folder / "last.keras")
        write_text_atomic(self.folder / "state.json", json.dumps(self.state))


def save_model_atomic(model, path: Path) -> None:
    with atomic_path(path) as temporary:
        model.save(temporary)


def evaluate(model, test: Split) -> dict:
    """Test-set accuracy, per-class accuracy and confusion matrix; run once, after training."""
    logits = logits_on(model, test)
    predicted = logits.argmax(axis=1)
    confusion = np.zeros((10, logits.shape[1]), np.int64)
    np.add.at(confusion, (test.labels, predicted), 1)
    per_class = confusion.diagonal() / confusion.sum(axis=1)
    return {
        "accuracy": float((predicted == test.labels).mean()),
        "per_class_accuracy": {str(digit): round(float(value), 5) for digit, value in enumerate(per_class)},
        "confusion": confusion,
    }


def calibrate_reject_bias(model, validation: Split, start) -> dict:
    """Lower the reject bias of a branched `model` until it refuses no more validation digits than `start`
    refused, clean or augmented (the digit logits are the same, so only refusals can cost MNIST accuracy);
    what it did, for the metadata."""
    digits = as_crops(validation.images[validation.labels < REJECT_CLASS])
    # Camera crops are less clean than MNIST's: the augmented copies stand in for them.
    augmented = np.concatenate([np.asarray(augment_batch(tf.constant(digits))) for _ in range(AUGMENTED_COPIES)])
    sets = [digits, augmented]
    with_reject = start.output_shape[-1] > REJECT_CLASS
    allowed = [refused_count(predicted(start, crops)) if with_reject else 0 for crops in sets]
    logits = [predicted(model, crops) for crops in sets]
    shift = 0.0
    while any(refused_count(each, shift) > most for each, most in zip(logits, allowed)) and shift > -MAX_BIAS_SHIFT:
        shift -= BIAS_STEP
    shift_reject_bias(model, shift)
    caught = predicted(model, as_crops(validation.images[validation.labels == REJECT_CLASS])).argmax(axis=1)
    return {"bias_shift": shift,
            "validation_digits_refused": {"clean": refused_count(logits[0], shift),
                                          "augmented": refused_count(logits[1], shift)},
            "validation_digits_refused_before": {"clean": allowed[0], "augmented": allowed[1]},
            "validation_rejects_caught": round(float((caught == REJECT_CLASS).mean()), 4)}


def refused_count(logits: np.ndarray, reject_shift: float = 0.0) -> int:
    """How many crops are read as "not a digit" once `reject_shift` is added to the reject logit."""
    return int((logits[:, REJECT_CLASS] + reject_shift > logits[:, :REJECT_CLASS].max(axis=1)).sum())


def accuracy_on(model, split: Split) -> float:
    """The share of `split` whose most likely class (the reject class included) is its label."""
    return float((logits_on(model, split).argmax(axis=1) == split.labels).mean())


def logits_on(model, split: Split) -> np.ndarray:
    """The model's outputs (N, classes) for the uint8 images of `split`."""
    return predicted(model, as_crops(split.images))


def predicted(model, crops: np.ndarray) -> np.ndarray:
    """The model's outputs (N, classes) for crops float32 (N, 28, 28, 1) in [0, 1]."""
    return model.predict(crops, batch_size=1000, verbose=0)


def as_crops(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) images → crops float32 (N, 28, 28, 1) in [0, 1], as the model takes them."""
    return images[..., None].astype(np.float32) / 255.0


def describe(args, mnist, history, evaluation, seconds: float, train_count: int) -> dict:
    epochs_run = len(history.get("accuracy", []))
    return {
        "architecture": args.arch,
        "classes": [str(digit) for digit in range(10)] + (["reject"] if evaluation["confusion"].shape[1] == 11 else []),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "augment": not args.no_augment,
        "finetune": bool(args.finetune),
        "seed": args.seed,
        "train_images": train_count,
        "validation_accuracy": max(history.get("val_accuracy", [0.0])),
        "test_accuracy": evaluation["accuracy"],
        "per_class_accuracy": evaluation["per_class_accuracy"],
        "confusion_matrix": evaluation["confusion"].tolist(),
        "history": history,
        "train_seconds": round(seconds, 1),
        "seconds_per_epoch": round(seconds / max(1, epochs_run), 1),
        "data_source": mnist.source,
        "data_sha256": mnist.sha256,
        "preprocessing_version": PREPROCESSING_VERSION,
        "input": "(N, 28, 28, 1) float32 in [0, 1], white ink on black, fitted to 20x20, centred by mass",
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
                     "numpy": np.__version__},
    }


def publish(model, metadata: dict, history: dict, evaluation: dict, out: Path) -> list[Path]:
    """Write every output to a temporary name first, then rename them all into `out`."""
    paths = [out / f"{MODEL_STEM}{suffix}" for suffix in (".keras", ".tflite", ".json", ".png")]
    title = (f"{metadata['architecture']}: test accuracy {metadata['test_accuracy']:.2%} "
             f"after {metadata['epochs']} epochs")
    with contextlib.ExitStack() as stack:
        keras_path, tflite_path, json_path, png_path = (stack.enter_context(atomic_path(path)) for path in paths)
        model.save(keras_path)
        probabilities = keras.Sequential([model, keras.layers.Softmax()], name=f"{model.name}_probabilities")
        probabilities.export(str(tflite_path), format="litert", verbose=False)
        json_path.write_text(json.dumps(metadata, indent=2) + "\n")
        write_report_png(png_path, history, evaluation["confusion"], title)
    return paths


def summarize(metadata: dict, paths: list[Path], notes: list[str | None]) -> str:
    lines = [
        f"architecture {metadata['architecture']}: test accuracy {metadata['test_accuracy']:.2%} "
        f"(validation {metadata['validation_accuracy']:.2%}), {metadata['epochs']} epochs in "
        f"{metadata['train_seconds']:.0f} s",
        *extra_lines(metadata),
        *(f"wrote {path}" for path in paths),
        *(note for note in notes if note),
    ]
    return "\n".join(lines)


def extra_lines(metadata: dict) -> list[str]:
    """Before and after on the held-back extra crops, and on MNIST."""
    extra = metadata.get("extra")
    if not extra:
        return []
    before = extra["held_back_accuracy_before"]
    before_text = f"{before:.1%} before (the model at {extra['model_before']}) → " if before is not None else ""
    lines = [f"extra crops: {extra['train_crops']} trained on (each {extra['repeats']}× per epoch), "
             f"{extra['held_back_crops']} held back: {before_text}{extra['held_back_accuracy_after']:.1%} after"]
    if extra["mnist_test_accuracy_before"] is not None:
        lines.append(f"MNIST test accuracy {extra['mnist_test_accuracy_before']:.2%} before → "
                     f"{metadata['test_accuracy']:.2%} after")
    if extra["skipped_reject_crops"]:
        lines.append(f"skipped {extra['skipped_reject_crops']} reject crops: {metadata['architecture']} has no "
                     "reject class")
    return lines
