"""Touching digits split by recognition: cut hypotheses, the reading picked by the dynamic program, and the
recognizer end to end on synthetic glued MNIST test pairs."""

import itertools
from unittest import mock

import cv2
import numpy as np
import pytest

from camera_digits import segment, split
from camera_digits.recognizer import DigitRecognizer
from tests.test_recognizer import MODEL_PATH, FakeClassifier
from tests.touching import render_touching, read_pairs

TOUCHING_GATE = 0.67  # glued MNIST test pairs read exactly: 0.706 (0.472 unsplit) with the shipped model
# (0.683 before strokes were evened closer to MNIST's; straight cuts with a 95 % bar for pieces read 0.706
# then, with fewer touching stress digits and more letters read as digits)


def two_bars(bridge_px: int = 2) -> np.ndarray:
    """A "11" whose strokes touch: two 40 px bars joined by a thin bridge at the bottom."""
    mask = np.zeros((40, 30), np.uint8)
    mask[:, 2:8] = mask[:, 22:28] = 255
    mask[-bridge_px:, 8:22] = 255
    return mask


def test_touching_strokes_get_a_cut_between_them():
    assert split.may_hold_several(two_bars())
    paths = split.cut_paths(two_bars())
    assert (paths[0] == 0).all() and (paths[-1] == 30).all()
    assert any(8 <= path.mean() <= 22 for path in paths[1:-1])


def interlocked_pair() -> tuple[np.ndarray, np.ndarray]:
    """An "L" whose thick foot runs under the next digit's body without touching it, as when a "2"'s base
    or a "7"'s tail reaches under its neighbour: (the mask, which of its pixels are the "L"'s)."""
    first = np.zeros((22, 24), np.uint8)
    first[:, :4] = 255
    first[15:, :12] = 255
    second = np.zeros_like(first)
    second[:10, 10:] = 255
    return first | second, first > 0


def test_a_cut_goes_round_a_stroke_that_reaches_under_the_neighbour():
    mask, first = interlocked_pair()
    second = (mask > 0) & ~first
    assert np.nonzero(first)[1].max() >= np.nonzero(second)[1].min(), "a straight cut would do"
    paths = split.cut_paths(mask)
    pieces = [np.pad(piece, ((0, 0), (start, mask.shape[1] - start - piece.shape[1]))) > 0
              for left, right in itertools.combinations(range(len(paths)), 2)
              for piece, start in [split.between(mask, paths[left], paths[right], left > 0, right < len(paths) - 1)]]
    assert any(np.array_equal(piece, first) for piece in pieces), "no piece is the L, whole and alone"
    assert any(np.array_equal(piece, second) for piece in pieces)


@pytest.mark.parametrize("mask", [
    np.full((40, 8), 255, np.uint8),                                             # a "1": too narrow to split
    cv2.ellipse(np.zeros((40, 24), np.uint8), (12, 20), (9, 17), 0, 0, 360, 255, -1),  # a solid narrow blob
])
def test_single_narrow_marks_get_no_cut(mask):
    assert not split.may_hold_several(mask) and not split.may_hold_several(mask, in_line=True)


def probabilities(label: int, probability: float) -> np.ndarray:
    """Eleven-class probabilities: `probability` on `label`, the rest spread evenly."""
    row = np.full(11, (1 - probability) / 10, np.float32)
    row[label] = probability
    return row


def one_cut(whole, left, right) -> tuple[split.Hypotheses, np.ndarray, np.ndarray]:
    """One candidate 14 px tall and two usual digits wide, cut once in the middle."""
    boxes = np.array([[0, 0, 10, 14], [10, 0, 10, 14]])
    hypotheses = split.Hypotheses(0, (0, 10, 20), ((0, 1), (1, 2)), boxes, 0, 14)
    return hypotheses, whole, np.stack([left, right])


@pytest.mark.parametrize("whole, left, right, reading", [
    # a glued pair: "not a digit" as a whole, two sure digits as pieces
    (probabilities(10, 0.95), probabilities(2, 0.97), probabilities(3, 0.96), [(0, 2), (1, 3)]),
    # one wide digit: sure as a whole, its halves look like parts of digits
    (probabilities(0, 0.97), probabilities(10, 0.9), probabilities(10, 0.9), [(-1, 0)]),
    # a letter: not a digit as a whole, and its halves are no sure digits either
    (probabilities(10, 0.99), probabilities(1, 0.55), probabilities(10, 0.6), [(-1, -1)]),
    # a doubtful wide digit whose halves are doubtful digits too (a looped 2 is no "12"): it stays whole
    (probabilities(2, 0.6), probabilities(1, 0.7), probabilities(2, 0.7), [(-1, 2)]),
])
def test_the_most_probable_reading_wins(whole, left, right, reading):
    hypotheses, whole, pieces = one_cut(whole, left, right)
    assert split.best_reading(whole, pieces, hypotheses) == reading


def test_a_long_refused_run_keeps_its_sure_digits_beside_a_doubtful_piece():
    # Four glued digits 14 px tall, one usual digit wide each: the last piece is cut badly.
    positions = (0, 10, 20, 30, 40)
    spans = ((0, 1), (1, 2), (2, 3), (3, 4))
    boxes = np.array([[10 * index, 0, 10, 14] for index in range(4)])
    hypotheses = split.Hypotheses(0, positions, spans, boxes, 0, 14)
    pieces = np.stack([probabilities(4, 0.97), probabilities(0, 0.97), probabilities(7, 0.97),
                       probabilities(10, 0.9)])
    reading = split.best_reading(probabilities(10, 0.99), pieces, hypotheses)
    assert reading == [(0, 4), (1, 0), (2, 7), (3, -1)]


def test_pieces_share_the_frame_s_one_classify_call():
    fake = FakeClassifier(num_classes=11)
    frame, _ = render_touching(0)
    reading, debug = DigitRecognizer(fake).recognize_debug(frame)
    assert len(fake.calls) == 1 and len(debug.pieces) > 0
    assert fake.calls[0][0] == len(debug.crops) + len(debug.pieces)


def read_touching(recognizer, seeds) -> float:
    right = total = 0
    for seed in seeds:
        frame, pairs = render_touching(seed)
        reading = recognizer.recognize(frame)
        right += sum(pair.text == text for pair, text in zip(pairs, read_pairs(reading.digits, pairs)))
        total += len(pairs)
    return right / total


@pytest.mark.skipif(not MODEL_PATH.is_file(), reason=f"no model at {MODEL_PATH}")
def test_real_model_splits_glued_mnist_test_pairs():
    recognizer = DigitRecognizer.load(MODEL_PATH)
    seeds = range(500, 520)
    with_splits = read_touching(recognizer, seeds)
    no_split = ([], np.zeros((0, 28, 28, 1), np.float32))
    with mock.patch.object(split, "propose", return_value=no_split):
        without = read_touching(recognizer, seeds)
    print(f"glued pairs read exactly: {with_splits:.3f} split, {without:.3f} unsplit")
    assert with_splits >= TOUCHING_GATE and with_splits >= without + 0.15



def two_overlapping_rings() -> np.ndarray:
    """A "00" whose rings overlap: 44 px wide, 40 tall, and no column with little ink to cut at."""
    mask = np.zeros((40, 44), np.uint8)
    for centre_x in (13, 30):
        cv2.ellipse(mask, (centre_x, 20), (11, 18), 0, 0, 360, 255, 4)
    return mask


def test_an_overlapping_pair_is_cut_only_in_a_line_of_writing():
    mask = two_overlapping_rings()
    assert not split.may_hold_several(mask) and split.may_hold_several(mask, in_line=True)
    paths = split.cut_paths(mask)
    assert (paths[0] == 0).all() and (paths[-1] == 44).all() and len(paths) > 2


def test_line_neighbours_are_level_of_a_similar_height_and_close():
    boxes = np.array([
        [0, 0, 30, 40],      # 0
        [33, 2, 20, 38],     # 1: 3 px to the right of 0, level with it
        [0, 60, 30, 40],     # 2: below 0
        [100, 0, 30, 40],    # 3: level with 0, but 44 px to the right of 1
        [55, 10, 8, 12],     # 4: right of 1 but a fraction of its height
    ])
    beside = split.line_neighbours(boxes)
    assert beside[0, 1] and beside[1, 0]
    assert not beside[0, 2] and not beside[0, 3] and not beside[1, 3] and not beside[1, 4]
    assert not beside.diagonal().any()


class TableClassifier:
    """Answers the i-th crop of the batch with the i-th row of `table`."""

    num_classes = 11

    def __init__(self, table):
        self.table = np.stack(table)

    def predict(self, crops):
        assert len(crops) == len(self.table)
        return self.table


@pytest.mark.parametrize("neighbour, only_in_line, read", [
    (probabilities(7, 0.99), True, [0, 0, 7]),    # beside a digit: the pieces count
    (probabilities(10, 0.99), True, []),          # beside a letter: read whole, and refused
    (probabilities(10, 0.99), False, [0, 0]),     # cut by its own shape: the pieces count anywhere
])
def test_a_pair_cut_for_its_line_is_read_as_pieces_only_beside_a_digit(neighbour, only_in_line, read):
    boxes = np.array([[10, 10, 44, 40], [56, 10, 20, 40]], np.int32)
    found = segment.Segmentation(np.zeros((100, 200), np.int32), np.zeros(3, np.uint8), boxes, ((1,), (2,)), 1.0)
    pieces = np.array([[10, 10, 22, 40], [32, 10, 22, 40]], np.int32)
    cut = split.Hypotheses(0, (0, 22, 44), ((0, 1), (1, 2)), pieces, 0, 40, only_in_line)
    table = [probabilities(10, 0.99), neighbour, probabilities(0, 0.99), probabilities(0, 0.99)]
    crops = np.zeros((2, 28, 28, 1), np.float32)
    digits, _ = DigitRecognizer(TableClassifier(table)).classify(crops, found, (100, 200), [cut], crops.copy())
    assert sorted(digit.digit for digit in digits) == read


@pytest.mark.parametrize("left, right, read", [
    (probabilities(10, 0.99), probabilities(1, 0.99), []),      # the leg of a letter: refused with it
    (probabilities(7, 0.99), probabilities(1, 0.99), [1, 7]),   # a "71" glued: both read
    (probabilities(1, 0.99), probabilities(1, 0.99), [1, 1]),   # an "11" glued: both read
    (probabilities(10, 0.99), probabilities(4, 0.99), [4]),     # a sign glued to a "4": the 4 read
])
def test_a_one_cut_off_refused_ink_is_refused_with_it(left, right, read):
    boxes = np.array([[10, 10, 44, 40]], np.int32)
    found = segment.Segmentation(np.zeros((100, 200), np.int32), np.zeros(2, np.uint8), boxes, ((1,),), 1.0)
    pieces = np.array([[10, 10, 22, 40], [32, 10, 22, 40]], np.int32)
    cut = split.Hypotheses(0, (0, 22, 44), ((0, 1), (1, 2)), pieces, 0, 40)
    table = [probabilities(10, 0.99), left, right]
    crops = np.zeros((1, 28, 28, 1), np.float32)
    pieces_crops = np.zeros((2, 28, 28, 1), np.float32)
    digits, _ = DigitRecognizer(TableClassifier(table)).classify(crops, found, (100, 200), [cut], pieces_crops)
    assert sorted(digit.digit for digit in digits) == read


@pytest.mark.parametrize("digit, neighbour_x, neighbour, read", [
    (probabilities(7, 0.9), 50, probabilities(10, 0.99), []),       # an unsure "7" among letters: a letter
    (probabilities(7, 0.995), 50, probabilities(10, 0.99), [7]),    # a sure one is read even so
    (probabilities(7, 0.9), 50, probabilities(4, 0.99), [4, 7]),    # beside a digit: a number
    (probabilities(7, 0.9), 80, probabilities(10, 0.99), [7]),      # a refused mark a height away: not its word
])
def test_an_unsure_digit_among_refused_marks_is_refused(digit, neighbour_x, neighbour, read):
    boxes = np.array([[10, 10, 30, 40], [neighbour_x, 10, 30, 40]], np.int32)
    found = segment.Segmentation(np.zeros((100, 200), np.int32), np.zeros(3, np.uint8), boxes, ((1,), (2,)), 1.0)
    crops = np.zeros((2, 28, 28, 1), np.float32)
    digits, labels = DigitRecognizer(TableClassifier([digit, neighbour])).classify(crops, found, (100, 200))
    assert sorted(digit.digit for digit in digits) == read
    assert (labels[0] == 7) == (7 in read)  # what --save-crops files the crop under


@pytest.mark.parametrize("digit, in_shade, read", [
    (probabilities(8, 0.995), True, [8]),     # beside a shadow's edge, a sure digit is read
    (probabilities(8, 0.95), True, []),       # an unsure one is not
    (probabilities(1, 0.999), True, []),      # nor a "1", which an edge's straight piece reads as
    (probabilities(8, 0.95), False, [8]),     # with paper all round, the usual bar
])
def test_a_candidate_in_the_shade_is_read_only_as_a_sure_digit_other_than_one(digit, in_shade, read):
    boxes = np.array([[10, 10, 30, 40]], np.int32)
    found = segment.Segmentation(np.zeros((100, 200), np.int32), np.zeros(2, np.uint8), boxes, ((1,),), 1.0,
                                 in_shade=np.array([in_shade]))
    crops = np.zeros((1, 28, 28, 1), np.float32)
    digits, labels = DigitRecognizer(TableClassifier([digit])).classify(crops, found, (100, 200))
    assert [digit.digit for digit in digits] == read
    assert (labels[0] >= 0) == bool(read)  # what --save-crops files the crop under


@pytest.mark.parametrize("in_shade, read", [(True, []), (False, [1, 1])])
def test_a_candidate_in_the_shade_is_read_whole_not_as_its_pieces(in_shade, read):
    # Its pieces would pass the bar of a piece (split.PIECE_MIN_CONFIDENCE): an edge's dark side cut in two read
    # as "11".
    boxes = np.array([[10, 10, 44, 40]], np.int32)
    found = segment.Segmentation(np.zeros((100, 200), np.int32), np.zeros(2, np.uint8), boxes, ((1,),), 1.0,
                                 in_shade=np.array([in_shade]))
    pieces = np.array([[10, 10, 22, 40], [32, 10, 22, 40]], np.int32)
    cut = split.Hypotheses(0, (0, 22, 44), ((0, 1), (1, 2)), pieces, 0, 40)
    table = [probabilities(10, 0.99), probabilities(1, 0.985), probabilities(1, 0.985)]
    crops, pieces_crops = np.zeros((1, 28, 28, 1), np.float32), np.zeros((2, 28, 28, 1), np.float32)
    digits, _ = DigitRecognizer(TableClassifier(table)).classify(crops, found, (100, 200), [cut], pieces_crops)
    assert sorted(digit.digit for digit in digits) == read


@pytest.mark.parametrize("left, right, read", [
    (probabilities(10, 0.99), probabilities(4, 0.985), []),       # a cut leaves one unsure digit: a letter's
    (probabilities(7, 0.985), probabilities(4, 0.985), [4, 7]),   # two digits of a cut are a number
])
def test_the_pieces_of_a_cut_beside_a_letter_count_as_one_candidate(left, right, read):
    boxes = np.array([[10, 10, 44, 40], [56, 10, 30, 40]], np.int32)
    found = segment.Segmentation(np.zeros((100, 200), np.int32), np.zeros(3, np.uint8), boxes, ((1,), (2,)), 1.0)
    pieces = np.array([[10, 10, 22, 40], [32, 10, 22, 40]], np.int32)
    cut = split.Hypotheses(0, (0, 22, 44), ((0, 1), (1, 2)), pieces, 0, 40)
    table = [probabilities(10, 0.99), probabilities(10, 0.99), left, right]
    crops = np.zeros((2, 28, 28, 1), np.float32)
    digits, _ = DigitRecognizer(TableClassifier(table)).classify(crops, found, (100, 200), [cut], crops.copy())
    assert sorted(digit.digit for digit in digits) == read
