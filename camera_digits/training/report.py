"""The training report: curves and the confusion matrix, as one PNG a person can read at a glance."""

from __future__ import annotations

import os

import numpy as np


def write_report_png(path: str | os.PathLike, history: dict[str, list[float]], confusion: np.ndarray,
                     title: str) -> None:
    """Draw training curves and the test confusion matrix (rows: true digit, columns: predicted)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    import matplotlib.pyplot as plt

    figure, (accuracy_axes, loss_axes, confusion_axes) = plt.subplots(1, 3, figsize=(16, 5),
                                                                     gridspec_kw={"width_ratios": [1, 1, 1.2]})
    plot_curves(accuracy_axes, history, "accuracy", "accuracy")
    plot_curves(loss_axes, history, "loss", "loss (cross-entropy)")
    plot_confusion(confusion_axes, confusion)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100, format="png")
    plt.close(figure)


def plot_curves(axes, history: dict[str, list[float]], metric: str, label: str) -> None:
    epochs = np.arange(1, len(history.get(metric, [])) + 1)
    axes.plot(epochs, history.get(metric, []), marker="o", label="training (augmented)")
    axes.plot(epochs, history.get(f"val_{metric}", []), marker="o", label="validation")
    axes.set_xlabel("epoch")
    axes.set_ylabel(label)
    axes.grid(alpha=0.3)
    axes.legend()


def plot_confusion(axes, confusion: np.ndarray) -> None:
    # Log colours: the diagonal holds ~1000 per digit and the errors a handful.
    axes.imshow(np.log1p(confusion), cmap="Blues")
    predicted_labels = [str(digit) for digit in range(10)] + (["reject"] if confusion.shape[1] == 11 else [])
    axes.set_xticks(range(confusion.shape[1]), predicted_labels)
    axes.set_yticks(range(confusion.shape[0]), [str(digit) for digit in range(confusion.shape[0])])
    axes.set_xlabel("predicted")
    axes.set_ylabel("true digit")
    axes.set_title("test confusion matrix")
    threshold = confusion.max() / 2
    for (row, column), count in np.ndenumerate(confusion):
        if count:
            colour = "white" if count > threshold else "black"
            axes.text(column, row, str(count), ha="center", va="center", fontsize=7, color=colour)
