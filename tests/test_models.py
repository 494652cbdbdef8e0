"""Architectures: shapes, and `seed` matching the tutorial's CNN layer for layer."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from camera_digits.training.models import ARCHITECTURES, build  # noqa: E402

# The tutorial's model.summary(): (layer type, output shape, parameters).
TUTORIAL_SEED_LAYERS = [
    ("Conv2D", (None, 26, 26, 32), 320),
    ("MaxPooling2D", (None, 13, 13, 32), 0),
    ("Conv2D", (None, 11, 11, 64), 18496),
    ("MaxPooling2D", (None, 5, 5, 64), 0),
    ("Conv2D", (None, 3, 3, 64), 36928),
    ("Flatten", (None, 576), 0),
    ("Dense", (None, 64), 36928),
    ("Dense", (None, 10), 650),
]


def test_seed_matches_the_tutorial_layer_for_layer():
    model = build("seed")
    layers = [(type(layer).__name__, tuple(layer.output.shape), layer.count_params()) for layer in model.layers[1:]]
    assert layers == TUTORIAL_SEED_LAYERS
    assert model.count_params() == 93322


@pytest.mark.parametrize("name, classes", [("seed", 10), ("digitnet", 11), ("separable", 11), ("compact", 11)])
def test_architectures_map_crops_to_class_logits(name, classes):
    model = build(name)
    logits = model(np.zeros((3, 28, 28, 1), np.float32), training=False)
    assert tuple(logits.shape) == (3, classes)


@pytest.mark.parametrize("name", ["digitnet", "separable", "compact"])
def test_reject_class_models_stay_small_enough_for_realtime_cpu(name):
    assert build(name).count_params() < 1_000_000


def test_unknown_architecture_lists_the_choices():
    with pytest.raises(ValueError, match="choose one of " + ", ".join(ARCHITECTURES)):
        build("resnet")
