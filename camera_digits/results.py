"""What the recognizer returns: plain frozen dataclasses, free of OpenCV and Keras."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in frame pixels: top-left corner (x, y), width w, height h."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    @property
    def area(self) -> int:
        return self.w * self.h

    def scaled(self, factor: float) -> Box:
        """The same box in an image `factor` times larger."""
        return Box(
            round(self.x * factor), round(self.y * factor),
            max(1, round(self.w * factor)), max(1, round(self.h * factor)),
        )

    def moved(self, dx: float, dy: float) -> Box:
        """The same box shifted by (dx, dy) pixels."""
        return Box(round(self.x + dx), round(self.y + dy), self.w, self.h)

    def union(self, other: Box) -> Box:
        x, y = min(self.x, other.x), min(self.y, other.y)
        return Box(x, y, max(self.right, other.right) - x, max(self.bottom, other.bottom) - y)

    def overlap(self, other: Box) -> int:
        """The area, in pixels, that the two boxes share."""
        overlap_w = min(self.right, other.right) - max(self.x, other.x)
        overlap_h = min(self.bottom, other.bottom) - max(self.y, other.y)
        return max(overlap_w, 0) * max(overlap_h, 0)

    def iou(self, other: Box) -> float:
        """Intersection over union, 0 for disjoint boxes, 1 for equal ones."""
        overlap = self.overlap(other)
        return overlap / (self.area + other.area - overlap) if overlap else 0.0

    def to_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]


@dataclass(frozen=True)
class Digit:
    """One recognized digit: where it is, which digit, and the model's probability for it.

    `clipped` digits reach the frame's border and may be cut by it: a consumer may want to ignore them.
    """

    box: Box
    digit: int
    confidence: float
    clipped: bool = False

    def to_dict(self) -> dict:
        entry = {"box": self.box.to_list(), "digit": self.digit, "confidence": round(self.confidence, 4)}
        if self.clipped:  # only when set, so readers of the earlier output see the same keys
            entry["clipped"] = True
        return entry


@dataclass(frozen=True)
class Number:
    """Adjacent digits on one line read as a number; confidence is the least confident digit's."""

    text: str
    box: Box
    confidence: float
    digits: tuple[Digit, ...] = ()

    def to_dict(self) -> dict:
        return {"text": self.text, "box": self.box.to_list(), "confidence": round(self.confidence, 4)}


@dataclass(frozen=True)
class Reading:
    """Everything read from one frame. `to_dict()` is one line of the JSON output."""

    digits: tuple[Digit, ...] = ()
    numbers: tuple[Number, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    source: str = ""
    frame_index: int = 0

    @property
    def text(self) -> str:
        """The numbers in reading order, separated by spaces."""
        return " ".join(number.text for number in self.numbers)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "frame": self.frame_index,
            "digits": [digit.to_dict() for digit in self.digits],
            "numbers": [number.to_dict() for number in self.numbers],
            "timings_ms": {stage: round(ms, 3) for stage, ms in self.timings_ms.items()},
        }
