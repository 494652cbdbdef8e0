"""The hand-held camera of the flicker benchmark: clips are reproducible, move like a hand, and the truth moves
with the picture."""

import cv2
import numpy as np

from tests.handheld import camera_path, film, moved_truth
from tests.stress import render_stress, split_seeds


def test_a_seed_names_one_clip():
    still, _ = render_stress("fonts", 1)
    first, _ = film(still, 4, seed=7)
    again, _ = film(still, 4, seed=7)
    other, _ = film(still, 4, seed=8)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[3], other[3])


def test_the_camera_moves_a_little_and_smoothly():
    path = camera_path(np.random.default_rng(3), 90)
    shifts, zoom, roll, gain = path[:, :2], path[:, 2], path[:, 3], path[:, 4]
    assert np.abs(shifts).max() < 0.08 and np.abs(np.diff(shifts, axis=0)).max() < 0.01
    assert 0.94 <= zoom.min() and zoom.max() <= 1.06 and np.ptp(zoom) > 0.01
    assert np.abs(roll).max() <= 2.0 and np.abs(gain - 1).max() <= 0.15


def test_the_truth_moves_with_the_picture():
    """In every frame each counted digit's moved box still holds its ink."""
    still, truth = render_stress("fonts", split_seeds("tune", 1)[0])
    clip, matrices = film(still, 12, seed=2)
    for frame, matrix in zip(clip, matrices):
        seen = moved_truth(truth, matrix, frame.shape[:2])
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.int32)
        for digit in (digit for digit in seen.digits if not digit.clipped):
            x, y, w, h = digit.box
            inner = gray[y + h // 4:y + h - h // 4, x + w // 4:x + w - w // 4]
            ring = np.concatenate([gray[max(0, y - 6):y, x:x + w].ravel(), gray[y + h:y + h + 6, x:x + w].ravel()])
            assert np.median(ring) - inner.min() > 40, digit
        assert len(seen.digits) >= len(truth.digits) - 1
