"""Scene cuts: a new sheet is a cut; a drifting, refocusing, dimming camera on the same sheet is not."""

import cv2
import numpy as np
import pytest

from camera_digits.cuts import CutDetector
from tests.scenes import SceneOptions, render_scene, render_video_frames


def test_a_drifting_camera_on_one_sheet_never_cuts():
    frames, _ = render_video_frames(seed=5, n_frames=30)
    detector = CutDetector()
    assert not any(detector.is_cut(frame) for frame in frames)


@pytest.mark.parametrize("change", ["darker", "blurred", "moved 12 px", "noisier"])
def test_light_focus_and_shake_are_not_cuts(change):
    frame, _ = render_scene(3, SceneOptions(degrade=False))
    changed = {
        "darker": lambda: (frame * 0.6).astype(np.uint8),
        "blurred": lambda: cv2.GaussianBlur(frame, (0, 0), 2.5),
        "moved 12 px": lambda: cv2.warpAffine(frame, np.float32([[1, 0, 12], [0, 1, -8]]), frame.shape[1::-1],
                                              borderMode=cv2.BORDER_REPLICATE),
        "noisier": lambda: np.clip(frame + np.random.default_rng(0).normal(0, 8, frame.shape), 0, 255).astype(np.uint8),
    }[change]()
    detector = CutDetector()
    detector.is_cut(frame)
    assert not detector.is_cut(changed)


@pytest.mark.parametrize("first, second", [(1, 2), (5, 8), (8, 13), (13, 1)])
def test_another_sheet_is_a_cut(first, second):
    detector = CutDetector()
    detector.is_cut(render_video_frames(first, 1)[0][0])
    assert detector.is_cut(render_video_frames(second, 1)[0][0])


def test_the_first_frame_and_blank_frames_are_not_cuts():
    detector = CutDetector()
    rng = np.random.default_rng(1)
    blanks = [np.clip(200 + rng.normal(0, 2, (480, 640, 3)), 0, 255).astype(np.uint8) for _ in range(3)]
    assert [detector.is_cut(blank) for blank in blanks] == [False] * 3
