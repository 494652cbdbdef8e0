"""Training augmentation and the reject-class shapes."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from camera_digits.training.augment import augment_batch  # noqa: E402
from camera_digits.training.nondigits import render_nondigits  # noqa: E402


def centre_of_mass(images):
    rows, columns = np.mgrid[:28, :28]
    mass = images.sum(axis=(1, 2))
    return np.stack([(images * rows).sum(axis=(1, 2)) / mass, (images * columns).sum(axis=(1, 2)) / mass], axis=1)


def test_augmentation_changes_images_but_keeps_them_digit_like(mnist_test):
    tf.random.set_seed(0)
    originals = mnist_test[0][:256, ..., None].astype(np.float32) / 255.0
    augmented = augment_batch(tf.constant(originals)).numpy()
    assert augmented.shape == originals.shape and augmented.dtype == np.float32
    assert augmented.min() >= 0.0 and augmented.max() <= 1.0
    assert np.abs(augmented - originals).mean() > 0.02  # it does something
    drift = np.abs(centre_of_mass(augmented[..., 0]) - centre_of_mass(originals[..., 0]))
    assert np.percentile(drift, 95) < 4.0  # the digit stays near the centre
    ink_ratio = augmented.sum(axis=(1, 2, 3)) / originals.sum(axis=(1, 2, 3))
    assert ink_ratio.min() > 0.2 and ink_ratio.max() < 3.0  # strokes thin or thicken, never vanish


def test_nondigits_are_reproducible_fitted_shapes():
    images = render_nondigits(110, seed=3)
    assert images.shape == (110, 28, 28) and images.dtype == np.uint8
    assert np.array_equal(images, render_nondigits(110, seed=3))
    assert (images.reshape(110, -1).max(axis=1) > 128).all()  # every image has ink
    for image in images:
        rows, columns = np.nonzero(image > 32)
        extent = (np.ptp(rows) + 1, np.ptp(columns) + 1)
        assert 18 <= max(extent) <= 21  # fitted into 20×20 like an MNIST digit
