"""Where a finished run is published: a folder that holds a model is never made worse.

A run replaces the model in `--out` only when its MNIST test accuracy is at least that model's; a run that
starts from that model (`--finetune`, which trades a little MNIST accuracy for the user's own handwriting, or
`--reject-branch`, which refuses more non-digits) only when it keeps FINETUNE_MIN_ACCURACY on MNIST and does
not do worse on the held-back extra crops. Otherwise, unless
`--force`, it goes to runs/DATE-TIME/ beside `--out`, and the summary says where and why.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

FINETUNE_MIN_ACCURACY = 0.995  # the shipped model has 99.61 %; a fine-tuned one may give up a little of it
SMOKE_ACCURACY = 0.90  # below this a model misreads one digit in ten: it has not learnt yet
MODEL_STEM = "digits"  # digits.keras, digits.tflite, digits.json, digits.png


def current_accuracy(out: Path) -> float | None:
    """The test accuracy of the model in `out`, or None where there is none (or its metadata is unreadable)."""
    try:
        metadata = json.loads((out / f"{MODEL_STEM}.json").read_text())
        return float(metadata["test_accuracy"]) if (out / f"{MODEL_STEM}.tflite").is_file() else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def destination(out: Path, metadata: dict, args) -> tuple[Path, str | None]:
    """The folder to publish into, and a line saying why it is not `out` (None when it is)."""
    reason = None if args.force else worse_because(out, metadata, bool(args.finetune or args.reject_branch))
    if reason is None:
        return out, None
    runs = out.parent / "runs" / time.strftime("%Y%m%d-%H%M%S")
    return runs, f"published into {runs}/, not {out}/: {reason} (--force publishes there anyway)"


def worse_because(out: Path, metadata: dict, finetuned: bool) -> str | None:
    """Why the run would make the model in `out` worse, or None if it would not (or `out` holds none)."""
    current = current_accuracy(out)
    if current is None:
        return None
    accuracy = metadata["test_accuracy"]
    if finetuned:
        extra = metadata.get("extra") or {}
        before, after = extra.get("held_back_accuracy_before"), extra.get("held_back_accuracy_after")
        if accuracy < FINETUNE_MIN_ACCURACY:
            return (f"the fine-tuned model's MNIST test accuracy {accuracy:.2%} is below the "
                    f"{FINETUNE_MIN_ACCURACY:.1%} a fine-tuned model must keep")
        if before is not None and after is not None and after < before:
            return f"on the held-back extra crops it reads {after:.1%}, the model there {before:.1%}"
        return None
    if accuracy < current:
        return f"its test accuracy {accuracy:.2%} is below the {current:.2%} of the model there"
    return None


def smoke_note(metadata: dict, full_train_count: int) -> str | None:
    """A plain warning for a run too short to learn anything, else None. A fine-tuned model learnt before the
    run, so only its accuracy counts."""
    seen = len(metadata["history"].get("accuracy", [])) * metadata["train_images"]
    if seen < full_train_count and not (metadata.get("finetune") or metadata.get("reject_branch")):
        why = f"it saw {seen} training images, less than one epoch of the {full_train_count} there are"
    elif metadata["test_accuracy"] < SMOKE_ACCURACY:
        why = f"its test accuracy {metadata['test_accuracy']:.1%} is below {SMOKE_ACCURACY:.0%}"
    else:
        return None
    return f"this was a smoke test: {why}; the model only shows that training runs, it is not fit to read digits"
