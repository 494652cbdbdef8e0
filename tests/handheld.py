"""A hand-held camera filming a still picture: the frames of a short clip, synthesized in memory.

The hand drifts and trembles, the camera zooms in and out a little and rolls a degree or two, the light
brightens, dims and moves across the page, fast moves smear, and the sensor adds noise. Each frame is the
still warped by one affine map, so the truth moves with it.
"""

from __future__ import annotations

import cv2
import numpy as np

from tests.scenes import SceneTruth, TruthDigit

FRAME_RATE = 30.0  # frames per second of the clips: sets how far the hand moves between frames


def camera_path(rng, frames: int) -> np.ndarray:
    """Per frame (dx, dy, zoom, roll in degrees, light gain, light slope): smooth, with a tremor on top.

    Drift is a random walk of the hand's velocity (up to 2 % of the view per second), zoom swings by
    ±5 %, roll by ±2°, and the light by ±15 % with a gradient across the view of up to ±15 %.
    """
    time = np.arange(frames) / FRAME_RATE
    velocity = np.cumsum(rng.normal(0, 0.004, (frames, 2)), axis=0) + rng.uniform(-0.01, 0.01, 2)
    drift = np.cumsum(np.clip(velocity, -0.02, 0.02), axis=0) / FRAME_RATE
    tremor = rng.normal(0, 0.0012, (frames, 2))
    phase = rng.uniform(0, 2 * np.pi, 4)
    zoom = 1.0 + 0.05 * np.sin(2 * np.pi * time / rng.uniform(2, 4) + phase[0])
    roll = 2.0 * np.sin(2 * np.pi * time / rng.uniform(3, 6) + phase[1])
    gain = 1.0 + 0.15 * np.sin(2 * np.pi * time / rng.uniform(1.5, 3) + phase[2])
    slope = 0.15 * np.sin(2 * np.pi * time / rng.uniform(2, 5) + phase[3])
    return np.column_stack([drift + tremor, zoom, roll, gain, slope])


def view_matrix(size: tuple[int, int], dx: float, dy: float, zoom: float, roll: float) -> np.ndarray:
    """The 2×3 map from still pixels to frame pixels: turn and zoom about the centre, then shift by (dx, dy)
    fractions of the view."""
    height, width = size
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), roll, zoom)
    matrix[:, 2] += dx * width, dy * height
    return matrix


def film(still: np.ndarray, frames: int, seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A clip of `frames` BGR uint8 frames of the still (same size) and the still → frame map of each.

    Where the view leaves the still its edge pixels are repeated, like paper going on beyond the picture.
    """
    rng = np.random.default_rng(seed)
    cv2.setRNGSeed(seed)  # the sensor noise comes from OpenCV's generator: faster than numpy's
    height, width = still.shape[:2]
    ramp = np.linspace(-0.5, 0.5, width, dtype=np.float32)
    # Four noise fields drawn once and taken in turn, split into what they add and what they take away, so
    # that a frame is changed by saturating uint8 sums: float frames would cost more than the recognizer.
    noise = [np.round(cv2.randn(np.empty(still.shape, np.float32), 0.0, 2.5)) for _ in range(4)]
    noise = [(np.clip(field, 0, 255).astype(np.uint8), np.clip(-field, 0, 255).astype(np.uint8)) for field in noise]
    clip, matrices = [], []
    previous = None
    for index, (dx, dy, zoom, roll, gain, slope) in enumerate(camera_path(rng, frames)):
        matrix = view_matrix((height, width), dx, dy, zoom, roll)
        frame = cv2.warpAffine(still, matrix, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
        if previous is not None:
            frame = smear(frame, matrix[:, 2] - previous[:, 2])
        light = np.clip(gain * (1.0 + slope * ramp) * 128, 0, 255).astype(np.uint8)  # per column, in 1/128
        frame = cv2.multiply(frame, np.ascontiguousarray(np.broadcast_to(light[None, :, None], frame.shape)),
                             scale=1 / 128)
        brighter, darker = noise[index % len(noise)]
        clip.append(cv2.subtract(cv2.add(frame, brighter), darker))
        matrices.append(matrix)
        previous = matrix
    return clip, matrices


def smear(frame: np.ndarray, shift_px: np.ndarray) -> np.ndarray:
    """Motion blur along the move since the last frame (half of it: the shutter is open half the time)."""
    return motion_blur(frame, np.asarray(shift_px, np.float64) / 2)


def motion_blur(frame: np.ndarray, move_px: np.ndarray) -> np.ndarray:
    """The frame as a camera moving by `move_px` (x, y) pixels while its shutter is open takes it: smeared along
    a line as long as the move, rounded up to an odd number of pixels; a move under 1.5 px leaves it as it is."""
    length = float(np.hypot(*move_px))
    if length < 1.5:
        return frame
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    direction = move_px / length * (size // 2)
    centre = size // 2
    cv2.line(kernel, (int(round(centre - direction[0])), int(round(centre - direction[1]))),
             (int(round(centre + direction[0])), int(round(centre + direction[1]))), 1.0, 1)
    return cv2.filter2D(frame, -1, kernel / kernel.sum())


def moved_truth(truth: SceneTruth, matrix: np.ndarray, size: tuple[int, int]) -> SceneTruth:
    """The truth seen through one frame's map: each box the bounds of its moved corners, clipped to the view;
    a digit that leaves the view by more than a quarter is no longer counted."""
    height, width = size
    digits, kept_labels = [], []
    for digit in truth.digits:
        x, y, w, h = digit.box
        corners = np.float32([[x, y], [x + w, y], [x, y + h], [x + w, y + h]])
        moved = corners @ matrix[:, :2].T + matrix[:, 2]
        (x0, y0), (x1, y1) = moved.min(axis=0), moved.max(axis=0)
        cx0, cy0, cx1, cy1 = max(0.0, x0), max(0.0, y0), min(float(width), x1), min(float(height), y1)
        inside = max(0.0, cx1 - cx0) * max(0.0, cy1 - cy0) / ((x1 - x0) * (y1 - y0))
        kept_labels.append(inside >= 0.75)
        if inside == 0:
            continue
        box = (int(cx0), int(cy0), int(np.ceil(cx1 - cx0)), int(np.ceil(cy1 - cy0)))
        digits.append(TruthDigit(box, digit.label, clipped=digit.clipped or inside < 0.75))
    numbers = truth.numbers if all(kept_labels) else ()
    return SceneTruth(tuple(digits), numbers, (), truth.paper)
