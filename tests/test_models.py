"""Architectures: shapes, and `seed` matching the tutorial's CNN layer for layer."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from camera_digits.training.models import ARCHITECTURES, build, shift_reject_bias, with_reject_branch  # noqa: E402

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


def trainable_layer_names(model) -> set[str]:
    return {variable.path.split("/")[0] for variable in model.trainable_weights}


@pytest.mark.parametrize("name", ["seed", "separable"])
def test_a_reject_branch_keeps_every_digit_logit_and_trains_only_itself(name):
    model = build(name)
    crops = np.random.default_rng(0).random((6, 28, 28, 1)).astype(np.float32)
    digit_logits = np.asarray(model(crops))[:, :10]
    branched = with_reject_branch(model)
    assert branched.output_shape == (None, 11) and branched.name == name
    np.testing.assert_allclose(np.asarray(branched(crops))[:, :10], digit_logits, atol=1e-5)
    assert trainable_layer_names(branched) == {"reject_hidden", "reject_logit"}
    rebranched = with_reject_branch(branched)  # a fresh branch in place of the old one, not a second one
    assert len(rebranched.layers) == len(branched.layers)
    np.testing.assert_allclose(np.asarray(rebranched(crops))[:, :10], digit_logits, atol=1e-5)
    assert not np.allclose(np.asarray(rebranched(crops))[:, 10], np.asarray(branched(crops))[:, 10])


def test_shifting_the_reject_bias_moves_only_the_reject_logit():
    branched = with_reject_branch(build("seed"))
    crops = np.random.default_rng(1).random((4, 28, 28, 1)).astype(np.float32)
    before = np.asarray(branched(crops))
    shift_reject_bias(branched, -2.5)
    after = np.asarray(branched(crops))
    np.testing.assert_allclose(after[:, :10], before[:, :10], atol=1e-6)
    np.testing.assert_allclose(after[:, 10], before[:, 10] - 2.5, atol=1e-5)
