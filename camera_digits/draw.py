"""Drawing: pure functions from a frame and what was read on it to a new image; nothing is shown here.

Sizes scale with the frame (a 480-pixel-high frame is the reference), so labels stay readable on a
320×240 thumbnail and on a 4K frame alike. Colours are BGR.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from camera_digits.results import Box, Digit, Reading
from camera_digits.segment import to_uint8

REFERENCE_HEIGHT_PX = 480  # frame height at which every size below is used as is
FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_SCALE = 0.6
LINE_TYPE = cv2.LINE_AA  # smooth text
BOX_THICKNESS_PX = 2
LABEL_MARGIN_PX = 4  # padding around label text inside its tag
HUD_MARGIN_PX = 10  # gap between the HUD panel and the frame edge
HUD_OPACITY = 0.6  # 0 = invisible panel, 1 = opaque
CROP_TILE_PX = 56  # a 28×28 crop drawn 2× larger in the debug view
CROP_GAP_PX = 4

CONFIDENT = 0.8  # at or above: green; below: amber
CONFIDENT_COLOR = (90, 200, 70)
UNSURE_COLOR = (40, 170, 250)
CLIPPED_COLOR = (170, 170, 170)  # a digit cut by the frame edge: grey, whatever its confidence
NUMBER_COLOR = (230, 140, 40)
TEXT_ON_TAG_COLOR = (20, 20, 20)
HUD_TEXT_COLOR = (240, 240, 240)
HUD_PANEL_COLOR = (30, 30, 30)
STATE_COLOR = (40, 170, 250)


def ui_scale(image: np.ndarray) -> float:
    """How much larger than at REFERENCE_HEIGHT_PX to draw on `image`; never below 0.5."""
    return max(0.5, min(image.shape[0], image.shape[1] * 3 / 4) / REFERENCE_HEIGHT_PX)


def as_bgr(frame: np.ndarray) -> np.ndarray:
    """Any gray/BGR/BGRA frame of uint8, uint16 or float in [0, 1] as a new BGR uint8 (H, W, 3) image."""
    image = to_uint8(np.asarray(frame))
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image.copy()


DIGIT_PLACES = ("above", "below", "left", "right", "inside")  # where a digit's label may go, best first
NUMBER_PLACES = ("below", "right", "left", "above")


@dataclass(frozen=True)
class Tag:
    """A filled label: `text` on `color`, at `box` (the filled area), drawn at `scale`."""

    text: str
    box: Box
    color: tuple
    scale: float


def draw_reading(frame: np.ndarray, reading: Reading) -> np.ndarray:
    """A copy of `frame` (as BGR uint8) with each digit boxed and labelled, and each number's text.

    Digit labels read "7 98%" (or "7" where that does not fit), green when confident, amber when not and
    grey when the digit is cut by the frame edge; a number of two or more digits is underlined and its text
    tagged. Each tag goes at the first place around its box where it covers nothing, or is left out (see
    `place_tags`).
    """
    image = as_bgr(frame)
    scale = ui_scale(image)
    for digit in reading.digits:
        draw_box(image, digit.box, digit_color(digit), scale)
    for number in reading.numbers:
        if len(number.text) > 1:
            draw_underline(image, number.box, scale)
    for tag in place_tags(image.shape, reading, scale):
        draw_tag(image, tag)
    return image


def digit_color(digit: Digit) -> tuple:
    if digit.clipped:
        return CLIPPED_COLOR
    return CONFIDENT_COLOR if digit.confidence >= CONFIDENT else UNSURE_COLOR


def place_tags(shape: tuple[int, ...], reading: Reading, scale: float) -> list[Tag]:
    """Every digit's label, then every number's text, each at the first of its places where, inside
    the frame, it covers no digit's box and no tag placed before it, trying the short label ("7") and
    a smaller number text before giving up. A tag with no free place is left out: its box and
    underline still show, and a crowded page stays readable."""
    taken = [grown(digit.box, box_thickness(scale)) for digit in reading.digits]
    tags = []
    for digit, own_box in zip(reading.digits, list(taken)):
        texts = dict.fromkeys((digit_label(digit, scale), str(digit.digit)))
        tags += free_tag(shape, [(text, scale) for text in texts], digit.box, digit_color(digit), DIGIT_PLACES, taken,
                         own_box)
    for number in reading.numbers:
        if len(number.text) > 1:
            sizes = [(number.text, scale * 1.3), (number.text, scale)]
            tags += free_tag(shape, sizes, number.box, NUMBER_COLOR, NUMBER_PLACES, taken)
    return tags


def free_tag(shape, texts: list[tuple[str, float]], box: Box, color: tuple, places: tuple[str, ...],
             taken: list[Box], own_box: Box | None = None) -> list[Tag]:
    """[the first Tag of `texts` × `places` around `box` that covers nothing in `taken` but
    `own_box` (which only "inside" may cover)] or []; the tag found is added to `taken`."""
    for text, scale in texts:
        size = text_size(text, scale)
        for place in places:
            tag = tag_box(shape, size, box, scale, place)
            if place == "above" and tag.bottom > box.y:
                continue  # no room above: "above" pushed down into the box would hide the digit
            if place == "inside" and 4 * tag.h > box.h:
                continue  # only a box far larger than its label (one filling the frame) is labelled inside
            mine = own_box if place == "inside" else None
            if not any(covers(tag, other) for other in taken if other is not mine):
                taken.append(tag)
                return [Tag(text, tag, color, scale)]
    return []


def grown(box: Box, pixels: int) -> Box:
    return Box(box.x - pixels, box.y - pixels, box.w + 2 * pixels, box.h + 2 * pixels)


def covers(first: Box, second: Box) -> bool:
    """True if two drawn rectangles share a pixel (drawing fills x..right and y..bottom inclusive)."""
    return (first.x <= second.right and second.x <= first.right
            and first.y <= second.bottom and second.y <= first.bottom)


def digit_label(digit: Digit, scale: float) -> str:
    """"7 98%" when that fits over the box, else just "7"."""
    full = f"{digit.digit} {digit.confidence:.0%}"
    text_w = text_size(full, scale)[0][0]
    return full if text_w + 2 * LABEL_MARGIN_PX * scale <= digit.box.w * 1.2 else str(digit.digit)


def box_thickness(scale: float) -> int:
    """Pixels of a box's outline and a number's underline at `scale`."""
    return max(1, round(BOX_THICKNESS_PX * scale))


def text_thickness(scale: float) -> int:
    """Pixels of a tag's text strokes at `scale`."""
    return max(1, round(scale * 1.5))


def text_size(text: str, scale: float) -> tuple[tuple[int, int], int]:
    """((width, height), baseline) in pixels of `text` written at `scale`."""
    return cv2.getTextSize(text, FONT, FONT_SCALE * scale, text_thickness(scale))


def draw_box(image: np.ndarray, box: Box, color: tuple, scale: float) -> None:
    # LINE_8: crisp, the box is axis-aligned
    cv2.rectangle(image, (box.x, box.y), (box.right, box.bottom), color, box_thickness(scale), cv2.LINE_8)


def draw_underline(image: np.ndarray, box: Box, scale: float) -> None:
    y = box.bottom + round(LABEL_MARGIN_PX * scale)
    cv2.line(image, (box.x, y), (box.right, y), NUMBER_COLOR, box_thickness(scale), cv2.LINE_8)


def tag_box(shape: tuple[int, ...], size: tuple[tuple[int, int], int], box: Box, scale: float,
            place: str) -> Box:
    """Where a tag of a text of `size` (text_size) goes: "above", "below", "left", "right" of or "inside"
    `box`, moved inside a frame of `shape`."""
    (text_w, text_h), baseline = size
    margin = round(LABEL_MARGIN_PX * scale)
    gap = 2 * margin + box_thickness(scale)  # clear of the box's outline and underline
    tag_w, tag_h = text_w + 2 * margin, text_h + baseline + 2 * margin
    left, top = {
        "above": (box.x, box.y - tag_h - gap // 2),
        "below": (box.x, box.bottom + gap),
        "left": (box.x - tag_w - gap, box.y + (box.h - tag_h) // 2),
        "right": (box.right + gap, box.y + (box.h - tag_h) // 2),
        "inside": (box.x + gap, box.y + gap),
    }[place]
    left = int(np.clip(left, 0, max(0, shape[1] - 1 - tag_w)))
    top = int(np.clip(top, 0, max(0, shape[0] - 1 - tag_h)))
    return Box(left, top, tag_w, tag_h)


def draw_tag(image: np.ndarray, tag: Tag) -> None:
    """The tag's filled box with its text in it."""
    box, scale = tag.box, tag.scale
    margin, thickness = round(LABEL_MARGIN_PX * scale), text_thickness(scale)
    cv2.rectangle(image, (box.x, box.y), (box.right, box.bottom), tag.color, cv2.FILLED)
    (_, text_h), _ = text_size(tag.text, scale)
    origin = (box.x + margin, box.y + margin + text_h)
    cv2.putText(image, tag.text, origin, FONT, FONT_SCALE * scale, TEXT_ON_TAG_COLOR, thickness, LINE_TYPE)


def draw_hud(image: np.ndarray, fps: float | None, timings_ms: dict[str, float], state: str = "") -> np.ndarray:
    """A copy of `image` (BGR uint8) with a translucent panel of the frame rate and per-stage times
    (ms) in the top-left corner, and `state` ("paused", "reconnecting") as a banner at the bottom centre."""
    image = image.copy()
    scale = ui_scale(image)
    lines = hud_lines(fps, timings_ms)
    if lines:
        draw_panel(image, lines, (round(HUD_MARGIN_PX * scale),) * 2, scale)
    if state:
        draw_banner(image, state.upper(), scale)
    return image


def hud_lines(fps: float | None, timings_ms: dict[str, float]) -> list[str]:
    """Two short lines: "29.7 fps | total 3.1 ms" and "segment 1.9 | classify 0.8 | ... ms"."""
    first = [f"{fps:.1f} fps"] if fps else []
    if "total" in timings_ms:
        first.append(f"total {timings_ms['total']:.1f} ms")
    stages = [f"{stage} {ms:.1f}" for stage, ms in timings_ms.items() if stage != "total"]
    second = " | ".join(stages) + " ms" if stages else ""
    return [line for line in (" | ".join(first), second) if line]


def draw_panel(image: np.ndarray, lines: list[str], origin: tuple[int, int], scale: float) -> None:
    font_scale, thickness = FONT_SCALE * scale * 0.8, max(1, round(scale))
    sizes = [cv2.getTextSize(line, FONT, font_scale, thickness)[0] for line in lines]
    margin, line_h = round(LABEL_MARGIN_PX * scale * 1.5), round(max(h for _, h in sizes) * 1.8)
    x, y = origin
    panel_w = min(image.shape[1] - x, max(w for w, _ in sizes) + 2 * margin)
    panel_h = min(image.shape[0] - y, line_h * len(lines) + margin)
    blend_rectangle(image, (x, y, panel_w, panel_h), HUD_PANEL_COLOR, HUD_OPACITY)
    for row, line in enumerate(lines):
        baseline_y = y + margin + round(line_h * (row + 0.6))
        cv2.putText(image, line, (x + margin, baseline_y), FONT, font_scale, HUD_TEXT_COLOR, thickness, LINE_TYPE)


def draw_banner(image: np.ndarray, text: str, scale: float) -> None:
    font_scale, thickness = FONT_SCALE * scale * 1.4, max(1, round(scale * 2))
    (text_w, text_h), _ = cv2.getTextSize(text, FONT, font_scale, thickness)
    margin = round(LABEL_MARGIN_PX * scale * 2)
    x = max(0, (image.shape[1] - text_w) // 2 - margin)
    y = max(0, image.shape[0] - round(HUD_MARGIN_PX * scale) - text_h - 2 * margin)
    blend_rectangle(image, (x, y, text_w + 2 * margin, text_h + 2 * margin), HUD_PANEL_COLOR, HUD_OPACITY)
    cv2.putText(image, text, (x + margin, y + margin + text_h), FONT, font_scale, STATE_COLOR, thickness, LINE_TYPE)


def blend_rectangle(image: np.ndarray, rect: tuple[int, int, int, int], color: tuple, opacity: float) -> None:
    """Darken a rectangle (x, y, w, h) of `image` in place towards `color`; clipped to the image."""
    x, y, w, h = rect
    region = image[max(0, y):max(0, y + h), max(0, x):max(0, x + w)]
    if region.size:
        region[:] = cv2.addWeighted(region, 1 - opacity, np.full_like(region, color), opacity, 0)


def draw_debug(frame_shape: tuple[int, ...], binary: np.ndarray, crops: np.ndarray) -> np.ndarray:
    """What the model sees, as a BGR uint8 image of `frame_shape`'s height and width.

    binary: uint8 (h, w) ink mask (ink = 255) of any size, stretched to the frame, drawn dim blue;
    crops: float32 (N, 28, 28, 1) in [0, 1], tiled 2× larger along the bottom in reading order.
    """
    height, width = frame_shape[:2]
    mask = cv2.resize(to_uint8(np.asarray(binary)), (width, height), interpolation=cv2.INTER_NEAREST)
    image = np.zeros((height, width, 3), np.uint8)
    image[mask > 0] = (200, 120, 40)
    tile_crops(image, crops, ui_scale(image))
    return image


def tile_crops(image: np.ndarray, crops: np.ndarray, scale: float) -> None:
    """Paste each crop as a white-on-black tile along the bottom rows of `image`; extra crops are left out."""
    tile, gap = round(CROP_TILE_PX * scale), round(CROP_GAP_PX * scale)
    columns = max(1, (image.shape[1] - gap) // (tile + gap))
    rows = max(1, (image.shape[0] // 3) // (tile + gap))
    for index, crop in enumerate(np.asarray(crops)[: columns * rows]):
        row, column = divmod(index, columns)
        x, y = gap + column * (tile + gap), image.shape[0] - (row + 1) * (tile + gap)
        if y < 0 or x + tile > image.shape[1]:
            return  # the frame is too small for another tile
        gray = (np.clip(crop[..., 0], 0, 1) * 255).astype(np.uint8)
        pixels = cv2.resize(gray, (tile, tile), interpolation=cv2.INTER_NEAREST)
        image[y:y + tile, x:x + tile] = pixels[..., None]
        cv2.rectangle(image, (x, y), (x + tile - 1, y + tile - 1), HUD_TEXT_COLOR, 1)
