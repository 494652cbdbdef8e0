"""The model shipped in models/: accuracy gate on the MNIST test split, and Keras/LiteRT agreement."""

import json

import numpy as np
import pytest

from camera_digits import classifier

SHIPPED = classifier.DEFAULT_MODEL_PATH
MIN_TEST_ACCURACY = 0.996


@pytest.fixture(scope="module")
def test_split():
    from tests.conftest import MNIST_TEST_PATH

    with np.load(MNIST_TEST_PATH, allow_pickle=False) as archive:
        return archive["x_test"][..., None].astype(np.float32) / 255.0, archive["y_test"]


@pytest.fixture(scope="module")
def litert_probabilities(test_split):
    # classifier.load() with no path is what the camera app runs.
    return classifier.load().predict(test_split[0])


def test_shipped_model_reaches_the_accuracy_target(litert_probabilities, test_split):
    predicted = litert_probabilities.argmax(axis=1)  # a digit read as "not a digit" counts as an error
    accuracy = (predicted == test_split[1]).mean()
    assert accuracy >= MIN_TEST_ACCURACY, f"test accuracy {accuracy:.4f}"


def test_metadata_describes_the_shipped_model(litert_probabilities, test_split):
    metadata = json.loads(SHIPPED.with_suffix(".json").read_text())
    accuracy = (litert_probabilities.argmax(axis=1) == test_split[1]).mean()
    assert metadata["test_accuracy"] == pytest.approx(accuracy, abs=2e-4)
    assert len(metadata["classes"]) == litert_probabilities.shape[1]
    assert np.array(metadata["confusion_matrix"]).sum() == len(test_split[1])


def test_tflite_export_gives_the_keras_predictions(litert_probabilities, test_split):
    keras_probabilities = classifier.load(SHIPPED.with_suffix(".keras")).predict(test_split[0])
    assert (keras_probabilities.argmax(axis=1) == litert_probabilities.argmax(axis=1)).all()
    np.testing.assert_allclose(keras_probabilities, litert_probabilities, atol=1e-4)
