"""Training augmentation and the reject-class shapes."""

from pathlib import Path

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


FIXTURE_FONTS = [Path(__file__).resolve().parent / "data" / "fonts" / "DancingScript-Regular.otf"]


def test_reject_class_draws_letters_in_fonts_and_shapes_cut_from_digits(mnist_test):
    digits = mnist_test[0][:500]
    images = render_nondigits(240, seed=4, digits=digits, fonts=FIXTURE_FONTS)
    assert images.shape == (240, 28, 28) and np.array_equal(images, render_nondigits(240, seed=4, digits=digits,
                                                                                       fonts=FIXTURE_FONTS))
    assert (images.reshape(240, -1).max(axis=1) > 128).all()
    plain = render_nondigits(240, seed=4)
    assert not np.array_equal(images, plain)  # the fonts and the digits add kinds of shapes


def test_the_judge_keeps_digit_like_fragments_out(mnist_test):
    digits = mnist_test[0][:500]
    says_digit = lambda crops: np.tile(np.eye(11)[3], (len(crops), 1))  # noqa: E731 - everything is a 3
    judged = render_nondigits(240, seed=4, digits=digits, fonts=FIXTURE_FONTS, judge=says_digit)
    unjudged = render_nondigits(240, seed=4, digits=digits, fonts=FIXTURE_FONTS)
    blank = judged.reshape(240, -1).max(axis=1) == 0  # a judged shape that stays digit-like is left blank
    assert 0.1 < blank.mean() < 0.5 and not (unjudged.reshape(240, -1).max(axis=1) == 0).any()
    # only the judged kinds (fragments, parts of letters, scribbles, smudges) are touched
    assert np.array_equal(judged[~blank], unjudged[~blank])


def test_one_font_is_kept_out_of_training():
    from camera_digits.training.handwriting import FONTS_DIR, HELD_OUT_FONT, font_paths

    if not FONTS_DIR.is_dir():
        pytest.skip(f"no fonts at {FONTS_DIR}")
    training, held_out = font_paths(), font_paths(held_out=True)
    assert [path.name for path in held_out] == [HELD_OUT_FONT]
    assert training and HELD_OUT_FONT not in {path.name for path in training}
