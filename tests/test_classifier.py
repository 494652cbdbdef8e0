"""Model backends: loading by suffix, batched prediction, and one clear error for each bad model file."""

import numpy as np
import pytest

from camera_digits import classifier
from camera_digits.errors import ModelError

keras = pytest.importorskip("keras")


def export_pair(folder, input_shape=(28, 28, 1), classes=11):
    """A small random model saved as .keras (logits) and .tflite (probabilities), like train.py writes."""
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input(input_shape), keras.layers.Conv2D(4, 3), keras.layers.Flatten(),
                              keras.layers.Dense(classes)])
    model.save(folder / "tiny.keras")
    keras.Sequential([model, keras.layers.Softmax()]).export(str(folder / "tiny.tflite"), format="litert",
                                                             verbose=False)
    return folder / "tiny.keras", folder / "tiny.tflite"


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    return export_pair(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def crops(mnist_test):
    return mnist_test[0][:7, ..., None].astype(np.float32) / 255.0


def test_backends_agree_and_return_probabilities(tiny_models, crops):
    keras_path, tflite_path = tiny_models
    litert, keras_backend = classifier.load(tflite_path), classifier.load(keras_path)
    assert isinstance(litert, classifier.LiteRTClassifier) and litert.num_classes == 11
    from_litert, from_keras = litert.predict(crops), keras_backend.predict(crops)
    assert from_litert.shape == (7, 11) and from_litert.dtype == np.float32
    np.testing.assert_allclose(from_litert.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(from_litert, from_keras, atol=1e-5)


def test_batch_size_may_change_between_calls(tiny_models, crops):
    litert = classifier.load(tiny_models[1])
    whole = litert.predict(crops)
    np.testing.assert_allclose(litert.predict(crops[:2]), whole[:2], atol=1e-6)
    assert litert.predict(crops[:0]).shape == (0, 11)
    np.testing.assert_allclose(litert.predict(crops), whole, atol=1e-6)


@pytest.mark.parametrize("bad_crops", [
    np.zeros((28, 28), np.float32),        # a single image without batch and channel axes
    np.zeros((2, 32, 32, 1), np.float32),  # wrong size
    np.zeros((2, 28, 28, 3), np.float32),  # colour
])
def test_wrong_crops_are_a_value_error_with_the_expected_shape(tiny_models, bad_crops):
    with pytest.raises(ValueError, match=r"crops must be \(N, 28, 28, 1\) float32"):
        classifier.load(tiny_models[1]).predict(bad_crops)


def test_default_model_honours_the_environment(monkeypatch, tiny_models):
    monkeypatch.setenv("CAMERA_DIGITS_MODEL", str(tiny_models[1]))
    assert classifier.load().path == tiny_models[1]


def truncated(source, folder):
    path = folder / f"truncated{source.suffix}"
    path.write_bytes(source.read_bytes()[: len(source.read_bytes()) // 2])
    return path


def garbage(source, folder):
    path = folder / f"garbage{source.suffix}"
    path.write_bytes(b"this is not a model" * 100)
    return path


@pytest.mark.parametrize("backend", [0, 1], ids=["keras", "tflite"])
@pytest.mark.parametrize("damage", [truncated, garbage])
def test_damaged_model_file_is_one_clear_line(tmp_path, tiny_models, backend, damage):
    path = damage(tiny_models[backend], tmp_path)
    with pytest.raises(ModelError) as error:
        classifier.load(path)
    message = str(error.value)
    assert str(path) in message and "python train.py" in message and "\n" not in message


def test_missing_model_says_how_to_get_one(tmp_path):
    with pytest.raises(ModelError, match=r'no model at .*nowhere.tflite; run "python train.py" or pass --model PATH'):
        classifier.load(tmp_path / "nowhere.tflite")


def test_unknown_suffix(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"x")
    with pytest.raises(ModelError, match="not a .tflite or .keras model"):
        classifier.load(path)


@pytest.mark.parametrize("input_shape, classes, message", [
    ((32, 32, 1), 11, "takes input"),      # another input size
    ((28, 28, 1), 5, "outputs shape"),     # not digit classes
])
def test_wrong_shaped_model(tmp_path, input_shape, classes, message):
    for path in export_pair(tmp_path, input_shape, classes):
        with pytest.raises(ModelError, match=message):
            classifier.load(path)


def test_keras_models_load_in_safe_mode(tmp_path):
    # A Lambda layer holds Python bytecode; safe mode refuses to deserialize it.
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(lambda x: x * 2),
                              keras.layers.Flatten(), keras.layers.Dense(10)])
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ModelError, match="not a readable Keras model"):
        classifier.load(tmp_path / "lambda.keras")
