"""Training-time augmentation that imitates what the camera path feeds the model.

A crop from paper under a camera, after MNIST-style normalization, differs from an MNIST digit in
slant, size, position, stroke width (ballpoint to marker), sharpness, noise and ink contrast. Every
step here works on a whole batch with TensorFlow ops, so it runs inside the `tf.data` pipeline.
"""

from __future__ import annotations

import math

import tensorflow as tf

MAX_ROTATION_DEG = 12.0
MAX_SHEAR = 0.25
SCALE_RANGE = (0.85, 1.12)
MAX_SHIFT_PX = 2.5  # imperfect centring of a crop
STROKE_RANGE = (-0.5, 0.8)  # < 0 thins strokes (erosion), > 0 thickens them (dilation)
BLUR_PROBABILITY = 0.3
NOISE_PROBABILITY = 0.3
MAX_NOISE_STD = 0.08
GAIN_RANGE = (0.7, 1.0)  # camera ink rarely normalizes to pure white


def augment_batch(images: tf.Tensor) -> tf.Tensor:
    """Augment a batch of (B, 28, 28, 1) float32 images in [0, 1], white ink on black."""
    images = random_affine(images)
    images = random_stroke_width(images)
    images = random_blur(images)
    images = random_gain_and_noise(images)
    return tf.clip_by_value(images, 0.0, 1.0)


def uniform(batch_size, low, high):
    return tf.random.uniform([batch_size], low, high)


def random_affine(images: tf.Tensor) -> tf.Tensor:
    """Rotate, shear, scale and shift each image about its centre by its own random amount."""
    batch_size = tf.shape(images)[0]
    angle = uniform(batch_size, -1.0, 1.0) * math.radians(MAX_ROTATION_DEG)
    shear = uniform(batch_size, -MAX_SHEAR, MAX_SHEAR)
    scale_x = uniform(batch_size, *SCALE_RANGE)
    scale_y = scale_x * uniform(batch_size, 0.92, 1.08)
    shift_x = uniform(batch_size, -MAX_SHIFT_PX, MAX_SHIFT_PX)
    shift_y = uniform(batch_size, -MAX_SHIFT_PX, MAX_SHIFT_PX)
    cos, sin = tf.cos(angle), tf.sin(angle)
    # The transform maps output pixels to input pixels, so it is the inverse of the wanted motion:
    # a = R(angle) · Shear · S(scale), inverted, about the centre (13.5, 13.5).
    a00, a01 = cos / scale_x, (cos * shear - sin) / scale_y
    a10, a11 = sin / scale_x, (sin * shear + cos) / scale_y
    determinant = a00 * a11 - a01 * a10
    i00, i01, i10, i11 = a11 / determinant, -a01 / determinant, -a10 / determinant, a00 / determinant
    center = 13.5
    offset_x = center - i00 * (center + shift_x) - i01 * (center + shift_y)
    offset_y = center - i10 * (center + shift_x) - i11 * (center + shift_y)
    zeros = tf.zeros_like(angle)
    transforms = tf.stack([i00, i01, offset_x, i10, i11, offset_y, zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=tf.shape(images)[1:3],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT",
    )


def random_stroke_width(images: tf.Tensor) -> tf.Tensor:
    """Blend each image towards its 3×3 dilation or erosion: thick marker to thin ballpoint."""
    amount = uniform(tf.shape(images)[0], *STROKE_RANGE)[:, None, None, None]
    dilated = tf.nn.max_pool2d(images, 3, 1, "SAME")
    eroded = -tf.nn.max_pool2d(-images, 3, 1, "SAME")
    target = tf.where(amount > 0, dilated, eroded)
    return images + tf.abs(amount) * (target - images)


GAUSSIAN_3X3 = tf.constant([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0


def random_blur(images: tf.Tensor) -> tf.Tensor:
    """Blend a random share of the images towards a Gaussian blur (an out-of-focus camera)."""
    batch_size = tf.shape(images)[0]
    blurred = tf.nn.conv2d(images, GAUSSIAN_3X3[:, :, None, None], 1, "SAME")
    amount = uniform(batch_size, 0.0, 1.0) * tf.cast(uniform(batch_size, 0, 1) < BLUR_PROBABILITY, tf.float32)
    amount = amount[:, None, None, None]
    return images + amount * (blurred - images)


def random_gain_and_noise(images: tf.Tensor) -> tf.Tensor:
    """Scale ink brightness and add sensor-like Gaussian noise to a random share of the images."""
    batch_size = tf.shape(images)[0]
    gain = uniform(batch_size, *GAIN_RANGE)[:, None, None, None]
    noisy = tf.cast(uniform(batch_size, 0, 1) < NOISE_PROBABILITY, tf.float32)
    noise_std = (uniform(batch_size, 0.0, MAX_NOISE_STD) * noisy)[:, None, None, None]
    return images * gain + tf.random.normal(tf.shape(images)) * noise_std
