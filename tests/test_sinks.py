"""Output sinks: atomic, playable recordings whatever the frame sizes, and the output type rules."""

import cv2
import numpy as np
import pytest

from camera_digits.results import Reading
from camera_digits.sinks import ImageSink, Processed, SinkError, VideoSink, letterbox, output_sink


def processed(image):
    return Processed(Reading(), image, None)


@pytest.mark.parametrize("shape, size, content_box", [
    # same size: untouched
    ((48, 64, 3), (64, 48), (0, 0, 64, 48)),
    # wider than the target: bars above and below
    ((10, 64, 3), (64, 48), (0, 19, 64, 10)),
    # taller: bars left and right
    ((96, 32, 3), (64, 48), (24, 0, 16, 48)),
])
def test_letterbox_keeps_the_aspect_ratio(shape, size, content_box):
    boxed = letterbox(np.full(shape, 255, np.uint8), size)
    assert boxed.shape == (size[1], size[0], 3)
    x, y, w, h = content_box
    assert (boxed[y:y + h, x:x + w] == 255).all() and boxed.sum() == 255 * 3 * w * h


def test_video_sink_writes_under_a_temporary_name_until_closed(tmp_path):
    path = tmp_path / "out.mp4"
    with VideoSink(path, 10.0) as video:
        video.write(processed(np.zeros((31, 41, 3), np.uint8)))  # odd sides: rounded up to even
        video.write(processed(np.zeros((100, 100, 3), np.uint8)))  # another size: letterboxed
        assert not path.exists() and len(list(tmp_path.iterdir())) == 1
    reader = cv2.VideoCapture(str(path))
    shapes = []
    while (result := reader.read())[0]:
        shapes.append(result[1].shape)
    assert shapes == [(32, 42, 3)] * 2 and list(tmp_path.iterdir()) == [path]


def test_a_sink_that_got_no_frames_leaves_no_file(tmp_path):
    with VideoSink(tmp_path / "out.mp4", 10.0), ImageSink(tmp_path / "out.png"):
        pass
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name, still_image, sink_type", [
    ("out.mp4", False, VideoSink),
    ("OUT.AVI", False, VideoSink),
    ("out.png", True, ImageSink),
    ("out.mp4", True, VideoSink),  # a one-frame video of an image is allowed
])
def test_output_sink_is_chosen_by_suffix(tmp_path, name, still_image, sink_type):
    assert isinstance(output_sink(tmp_path / name, 15.0, still_image), sink_type)


@pytest.mark.parametrize("name, still_image, message", [
    ("out.png", False, "an image file needs an image input"),
    ("out.gif", True, "unknown file type"),
])
def test_output_sink_refuses_what_it_cannot_write(tmp_path, name, still_image, message):
    with pytest.raises(SinkError, match=message):
        output_sink(tmp_path / name, 15.0, still_image)
