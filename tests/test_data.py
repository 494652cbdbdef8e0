"""MNIST loading: every source, the order they are tried in, and a clear error for each bad file."""

import gzip

import numpy as np
import pytest

from camera_digits.training.data import IDX_STEMS, load_mnist, read_idx
from camera_digits.errors import DataError


def idx_bytes(array: np.ndarray) -> bytes:
    magic = 2051 if array.ndim == 3 else 2049
    header = magic.to_bytes(4, "big") + b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_folder(folder, images, labels, gzipped=False, dotted=False):
    arrays = {"x_train": images[:300], "y_train": labels[:300], "x_test": images[300:400], "y_test": labels[300:400]}
    folder.mkdir()
    for key, stem in IDX_STEMS.items():
        name = stem.replace("-idx", ".idx") if dotted else stem
        data = idx_bytes(arrays[key])
        if gzipped:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return arrays


def test_npz_loads_with_shapes_and_checksum(small_mnist_npz, mnist_test):
    mnist = load_mnist(small_mnist_npz)
    assert mnist.x_train.shape == (600, 28, 28) and mnist.x_test.shape == (200, 28, 28)
    assert np.array_equal(mnist.y_test, mnist_test[1][600:800])
    assert len(mnist.sha256) == 64 and mnist.sha256 == load_mnist(small_mnist_npz).sha256


@pytest.mark.parametrize("gzipped, dotted", [
    (False, False),  # plain IDX files as published
    (True, False),   # the .gz files as downloaded
    (False, True),   # "train-images.idx3-ubyte" spelling
])
def test_idx_folder_loads_same_arrays(tmp_path, mnist_test, gzipped, dotted):
    arrays = write_idx_folder(tmp_path / "idx", *mnist_test, gzipped=gzipped, dotted=dotted)
    mnist = load_mnist(tmp_path / "idx")
    assert np.array_equal(mnist.x_train, arrays["x_train"]) and np.array_equal(mnist.y_test, arrays["y_test"])


def test_environment_variable_used_when_no_path(monkeypatch, small_mnist_npz):
    monkeypatch.setenv("CAMERA_DIGITS_DATA", str(small_mnist_npz))
    assert load_mnist().source == str(small_mnist_npz)


def test_explicit_path_wins_over_environment(monkeypatch, tmp_path, small_mnist_npz):
    monkeypatch.setenv("CAMERA_DIGITS_DATA", str(tmp_path / "elsewhere.npz"))
    assert load_mnist(small_mnist_npz).source == str(small_mnist_npz)


def test_keras_cache_used_after_environment(tmp_path, small_mnist_npz, monkeypatch):
    cache = tmp_path / "home" / ".keras" / "datasets"
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes(small_mnist_npz.read_bytes())
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_mnist().source.endswith(".keras/datasets/mnist.npz")


def test_download_is_last_and_its_failure_is_one_clear_line(monkeypatch):
    import keras

    def offline():
        raise OSError("Name or service not known")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DataError, match=r"could not download MNIST .*pass --data PATH"):
        load_mnist()


def malformed_npz(path, mnist_test, **overrides):
    images, labels = mnist_test
    arrays = dict(x_train=images[:100], y_train=labels[:100], x_test=images[100:150], y_test=labels[100:150])
    arrays.update(overrides)
    np.savez(path, **{key: value for key, value in arrays.items() if value is not None})


@pytest.mark.parametrize("overrides, message", [
    ({"y_test": None}, "missing arrays y_test"),                                   # a key is missing
    ({"x_train": np.zeros((100, 28, 28), np.float32)}, r"expected uint8 \(N, 28, 28\)"),  # wrong dtype
    ({"x_train": np.zeros((100, 32, 32), np.uint8)}, r"expected uint8 \(N, 28, 28\)"),    # wrong shape
    ({"y_train": np.full(99, 3, np.uint8)}, "100 images but 99 labels"),          # count mismatch
    ({"y_test": np.full(50, 12, np.uint8)}, "labels outside 0..9"),               # label range
    ({"y_train": np.array(["a"] * 100, dtype=object)}, "not a readable .npz"),    # pickled objects refused
])
def test_malformed_npz_names_the_problem(tmp_path, mnist_test, overrides, message):
    path = tmp_path / "bad.npz"
    malformed_npz(path, mnist_test, **overrides)
    with pytest.raises(DataError, match=message) as error:
        load_mnist(path)
    assert str(path) in str(error.value) and "--data" in str(error.value)


def test_truncated_npz(tmp_path, small_mnist_npz):
    path = tmp_path / "truncated.npz"
    path.write_bytes(small_mnist_npz.read_bytes()[:5000])
    with pytest.raises(DataError, match="not a readable .npz"):
        load_mnist(path)


def test_missing_path(tmp_path):
    with pytest.raises(DataError, match="no such file or folder"):
        load_mnist(tmp_path / "nowhere.npz")


@pytest.mark.parametrize("damage, message", [
    (lambda data: data[:-10], "truncated"),                         # cut short
    (lambda data: b"\x00\x00\x08\x99" + data[4:], "magic number"),  # wrong magic
    (lambda data: data[:6], "too short"),                           # header cut
])
def test_malformed_idx_file(tmp_path, mnist_test, damage, message):
    write_idx_folder(tmp_path / "idx", *mnist_test)
    path = tmp_path / "idx" / IDX_STEMS["x_train"]
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(DataError, match=message):
        load_mnist(tmp_path / "idx")


def test_corrupt_gzip(tmp_path, mnist_test):
    write_idx_folder(tmp_path / "idx", *mnist_test, gzipped=True)
    path = tmp_path / "idx" / f"{IDX_STEMS['y_test']}.gz"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(DataError, match="cannot be read or decompressed"):
        read_idx(path)


def test_idx_folder_missing_a_file(tmp_path, mnist_test):
    write_idx_folder(tmp_path / "idx", *mnist_test)
    (tmp_path / "idx" / IDX_STEMS["y_train"]).unlink()
    with pytest.raises(DataError, match="no train-labels-idx1-ubyte file"):
        load_mnist(tmp_path / "idx")
