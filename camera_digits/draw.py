"""Drawing: pure functions from a frame and what was read on it to a new image; nothing is shown here.

Sizes scale with the frame (a 480-pixel-high frame is the reference), so labels stay readable on a
320×240 thumbnail and on a 4K frame alike. Colours are BGR.
"""

from __future__ import annotations

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


def draw_reading(frame: np.ndarray, reading: Reading) -> np.ndarray:
    """A copy of `frame` (as BGR uint8) with each digit boxed and labelled, and each number's text.

    Digit labels read "7 98%" (or "7" over a narrow box) above their box, green when confident and
    amber when not, grey when the digit is cut by the frame edge; a number of two or more digits is
    underlined and its text written below it, or beside it where the next line's digits would hide it.
    """
    image = as_bgr(frame)
    scale = ui_scale(image)
    taken = [digit.box for digit in reading.digits]
    for digit in reading.digits:
        color = CONFIDENT_COLOR if digit.confidence >= CONFIDENT else UNSURE_COLOR
        color = CLIPPED_COLOR if digit.clipped else color
        draw_box(image, digit.box, color, scale)
        taken.append(draw_tag(image, digit_label(digit, scale), digit.box, color, scale, ("above", "below")))
    for number in reading.numbers:
        if len(number.text) > 1:
            draw_underline(image, number.box, scale)
            places = [place for place in ("below", "right") if not overlaps_any(
                tag_box(image, number.text, number.box, scale * 1.3, place), taken)]
            tag = draw_tag(image, number.text, number.box, NUMBER_COLOR, scale * 1.3, places or ("below",))
            taken.append(tag)
    return image


def overlaps_any(box: Box, others: list[Box]) -> bool:
    return any(box.iou(other) > 0 for other in others)


def digit_label(digit: Digit, scale: float) -> str:
    """"7 98%" when that fits over the box, else just "7", so neighbours' labels do not overlap."""
    full = f"{digit.digit} {digit.confidence:.0%}"
    text_w = cv2.getTextSize(full, FONT, FONT_SCALE * scale, max(1, round(scale * 1.5)))[0][0]
    return full if text_w + 2 * LABEL_MARGIN_PX * scale <= digit.box.w * 1.2 else str(digit.digit)


def draw_box(image: np.ndarray, box: Box, color: tuple, scale: float) -> None:
    thickness = max(1, round(BOX_THICKNESS_PX * scale))
    cv2.rectangle(image, (box.x, box.y), (box.right, box.bottom), color, thickness, cv2.LINE_8)  # crisp: axis-aligned


def draw_underline(image: np.ndarray, box: Box, scale: float) -> None:
    thickness = max(1, round(BOX_THICKNESS_PX * scale))
    offset = round(LABEL_MARGIN_PX * scale)
    y = box.bottom + offset
    cv2.line(image, (box.x, y), (box.right, y), NUMBER_COLOR, thickness, cv2.LINE_8)


def tag_box(image: np.ndarray, text: str, box: Box, scale: float, place: str) -> Box:
    """Where a tag of `text` goes: "above", "below" or "right" of `box`, moved inside the image."""
    (text_w, text_h), baseline = cv2.getTextSize(text, FONT, FONT_SCALE * scale, max(1, round(scale * 1.5)))
    margin = round(LABEL_MARGIN_PX * scale)
    tag_w, tag_h = text_w + 2 * margin, text_h + baseline + 2 * margin
    left, top = {
        "above": (box.x, box.y - tag_h),
        "below": (box.x, box.bottom + 2 * margin),
        "right": (box.right + 2 * margin, box.y + (box.h - tag_h) // 2),
    }[place]
    left = int(np.clip(left, 0, max(0, image.shape[1] - tag_w)))
    top = int(np.clip(top, 0, max(0, image.shape[0] - tag_h)))
    return Box(left, top, tag_w, tag_h)


def draw_tag(image: np.ndarray, text: str, box: Box, color: tuple, scale: float, places: tuple[str, ...]) -> Box:
    """`text` on a filled tag of `color` at the first of `places` that lies inside the image (the last
    one otherwise); returns the tag's box."""
    tags = [tag_box(image, text, box, scale, place) for place in places]
    tag = next((tag for tag, place in zip(tags, places) if place != "above" or tag.bottom <= box.y), tags[-1])
    margin = round(LABEL_MARGIN_PX * scale)
    cv2.rectangle(image, (tag.x, tag.y), (tag.right, tag.bottom), color, cv2.FILLED)
    (_, text_h), _ = cv2.getTextSize(text, FONT, FONT_SCALE * scale, max(1, round(scale * 1.5)))
    origin = (tag.x + margin, tag.y + margin + text_h)
    cv2.putText(image, text, origin, FONT, FONT_SCALE * scale, TEXT_ON_TAG_COLOR, max(1, round(scale * 1.5)), LINE_TYPE)
    return tag


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
