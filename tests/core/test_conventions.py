"""mIoU conventions on hand-made counts, with the arithmetic in comments; bad input; nanmean.
Bodies with the ``xp`` fixture run on every array library of the matrix."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import ioukit
from ioukit import Counts, InputError, ParameterError
from ioukit.core.conventions import CONVENTIONS, mean_iou_from_counts, needs_per_image
from ioukit.core.reduce import nanmean

NAMES = [
    "ioukit",
    "sklearn",
    "torchmetrics",
    "torchmetrics-meaniou",
    "mmseg",
    "smp-micro",
    "smp-macro",
    "smp-micro-imagewise",
    "smp-macro-imagewise",
    "monai",
    "keras",
]
PER_IMAGE = {"torchmetrics-meaniou", "smp-micro-imagewise", "smp-macro-imagewise", "monai"}

# Two images, four classes. Each image has 5 valid pixels; tn = 5 - tp - fp - fn.
#              class:   0  1  2  3
# image 0  tp          [3, 1, 0, 0]
#          fp          [1, 0, 0, 0]
#          fn          [0, 1, 0, 0]     a class-1 pixel predicted 0
# image 1  tp          [0, 2, 0, 0]
#          fp          [2, 0, 1, 0]     class 0 predicted on an image without it; class 2 only
#          fn          [0, 3, 0, 0]     predicted; class 3 absent everywhere
# total    tp [3, 3, 0, 0]  fp [3, 0, 1, 0]  fn [0, 4, 0, 0]
PER_IMAGE_COUNTS = {
    "tp": [[3, 1, 0, 0], [0, 2, 0, 0]],
    "fp": [[1, 0, 0, 0], [2, 0, 1, 0]],
    "fn": [[0, 1, 0, 0], [0, 3, 0, 0]],
    "tn": [[1, 3, 5, 5], [3, 0, 4, 5]],
}

# Dataset IoU per class: 3/6, 3/7, 0/1, NaN (0/0).
# Per-image IoU:  image 0: 3/4, 1/2, NaN, NaN;  image 1: 0/2, 2/5, 0/1, NaN.
HAND = {
    # mean over classes with a union: (1/2 + 3/7 + 0) / 3 = 13/42
    "ioukit": 13 / 42,
    "sklearn": 13 / 42,
    "torchmetrics": 13 / 42,
    "mmseg": 13 / 42,
    "keras": 13 / 42,
    # (image, class) pairs with a union: (3/4 + 1/2 + 0 + 2/5 + 0) / 5 = 0.33
    "torchmetrics-meaniou": 0.33,
    # Σ tp / Σ (tp + fp + fn) = 6 / (6 + 4 + 4) = 3/7
    "smp-micro": 3 / 7,
    # absent class 3 scores 1: (1/2 + 3/7 + 0 + 1) / 4 = 27/56
    "smp-macro": 27 / 56,
    # image 0: 4 / (4 + 1 + 1) = 2/3; image 1: 2 / (2 + 3 + 3) = 1/4; mean 11/24
    "smp-micro-imagewise": 11 / 24,
    # 0/0 pairs score 1: (3/4 + 1/2 + 1 + 1 + 0 + 2/5 + 0 + 1) / 8 = 4.65 / 8
    "smp-macro-imagewise": 4.65 / 8,
    # classes without target pixels in an image are NaN (class 0 of image 1 too):
    # image 0: (3/4 + 1/2) / 2 = 5/8; image 1: 2/5; mean (5/8 + 2/5) / 2 = 41/80
    "monai": 41 / 80,
}

# The same counts with class 2 ignored (ignore_index=2): it has no target pixel, and its one
# prediction on a valid pixel of image 1 is already a false negative of class 1.
HAND_IGNORED_2 = {
    # dropped: (1/2 + 3/7) / 2 = 13/28
    "ioukit": 13 / 28,
    "torchmetrics": 13 / 28,
    # kept as a class: 0/1 = 0 stays in the mean, as above
    "sklearn": 13 / 42,
    "mmseg": 13 / 42,
    "keras": 13 / 42,
    "torchmetrics-meaniou": 0.33,
    # dropped: Σ over classes 0, 1, 3: 6 / (6 + 3 + 4) = 6/13
    "smp-micro": 6 / 13,
    # (1/2 + 3/7 + 1) / 3 = 9/14
    "smp-macro": 9 / 14,
    # image 0: 4 / (4 + 1 + 1) = 2/3; image 1: 2 / (2 + 2 + 3) = 2/7; mean 10/21
    "smp-micro-imagewise": 10 / 21,
    # (3/4 + 1/2 + 1 + 0 + 2/5 + 1) / 6 = 3.65 / 6
    "smp-macro-imagewise": 3.65 / 6,
    # class 2 has no target pixel anyway: 41/80
    "monai": 41 / 80,
}


def hand(xp: Any, ignored: tuple[int, ...] = (), **arrays: Any) -> Counts:
    a = {k: xp.asarray(v, dtype="int64") for k, v in {**PER_IMAGE_COUNTS, **arrays}.items()}
    return Counts(
        a["tp"],
        a["fp"],
        a["fn"],
        a["tn"],
        task="multiclass",
        per_sample=True,
        ignored_classes=ignored,
    )


def test_names_in_order() -> None:
    assert list(CONVENTIONS) == NAMES
    assert all(isinstance(v, str) and v and "\n" not in v for v in CONVENTIONS.values())
    assert {n for n in NAMES if needs_per_image(n)} == PER_IMAGE


@pytest.mark.parametrize(("ignored", "expected"), [((), HAND), ((2,), HAND_IGNORED_2)])
def test_hand_counts(xp: Any, ignored: tuple[int, ...], expected: dict[str, float]) -> None:
    per_image = hand(xp, ignored)
    assert set(expected) == set(NAMES)
    for name, value in expected.items():
        got = mean_iou_from_counts(per_image.total(), per_image, convention=name)
        assert isinstance(got, float)
        assert got == pytest.approx(value, rel=1e-14, abs=1e-15), name
        # per-sample counts alone serve as both arguments
        assert mean_iou_from_counts(per_image, convention=name) == got


def test_ioukit_is_macro_jaccard(xp: Any) -> None:
    rng = np.random.default_rng(0)
    pred, target = rng.integers(0, 5, (3, 6, 6)), rng.integers(0, 4, (3, 6, 6))
    target[0, :2] = 255
    for ignore in (255, (1, 255)):
        counts = ioukit.multiclass_counts(
            xp.asarray(pred), xp.asarray(target), num_classes=5, ignore_index=ignore
        )
        expected = float(xp.to_numpy(ioukit.jaccard(counts, average="macro")))
        assert mean_iou_from_counts(counts) == expected


def test_anchor_example_from_label_maps(xp: Any) -> None:
    # 2 images 4×4, 3 classes; see the conventions module docstring and anchors §0
    target = np.zeros((2, 4, 4), dtype=np.int64)
    pred = np.zeros_like(target)
    target[0, 1:3, 1:3] = pred[0, 1:3, 1:3] = 1
    target[1] = 1
    pred[1, :2] = 1
    per_image = ioukit.multiclass_counts(
        xp.asarray(pred), xp.asarray(target), num_classes=3, per_sample=True
    )
    # dataset: class 0 12/20, class 1 12/20, class 2 absent
    # per image: (1, 1, -) and (0/8, 8/16, -)
    expected = [0.6, 0.6, 0.6, 0.625, 0.6, 0.6, 11 / 15, 2 / 3, 0.75, 0.75, 0.6]
    got = [mean_iou_from_counts(per_image, convention=n) for n in NAMES]
    assert got == pytest.approx(expected, abs=1e-15)


def test_no_pixels(xp: Any) -> None:
    # every target pixel void: all counts 0
    zeros = {k: [[0, 0, 0]] for k in ("tp", "fp", "fn", "tn")}
    per_image = hand(xp, **zeros)
    expected = {
        "ioukit": math.nan,  # nothing to average
        "torchmetrics": math.nan,
        "torchmetrics-meaniou": math.nan,
        "mmseg": math.nan,
        "smp-micro": math.nan,  # 0 / 0, smp applies no zero_division to micro
        "smp-macro": 1.0,  # every class 0/0 -> 1
        "smp-micro-imagewise": 1.0,
        "smp-macro-imagewise": 1.0,
        "monai": 0.0,  # MONAI's aggregate of nothing
        "keras": 0.0,  # Σ iou / (0 + epsilon)
    }
    for name, value in expected.items():
        got = mean_iou_from_counts(per_image, convention=name)
        assert got == value or (math.isnan(got) and math.isnan(value)), name
    with pytest.raises(ParameterError, match=r"'sklearn'.*empty input"):
        mean_iou_from_counts(per_image, convention="sklearn")


# ------------------------------------------------------------------------------- bad input


def test_unknown_convention() -> None:
    counts = hand(np).total()
    with pytest.raises(ParameterError, match=r"unknown `convention` 'pytorch'.*'ioukit', "):
        mean_iou_from_counts(counts, convention="pytorch")
    with pytest.raises(ParameterError, match="needs_per_image: unknown `convention` None"):
        needs_per_image(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(PER_IMAGE))
def test_per_image_convention_needs_per_image_counts(name: str) -> None:
    with pytest.raises(ParameterError, match=rf"{name!r} averages per-image.*per_sample=True"):
        mean_iou_from_counts(hand(np).total(), convention=name)


def test_bad_counts() -> None:
    per_image = hand(np)
    total = per_image.total()
    with pytest.raises(ParameterError, match=r"`counts` must be a Counts object.*ndarray"):
        mean_iou_from_counts(np.zeros(3))  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"`counts` must be a Counts object.*NoneType"):
        mean_iou_from_counts(None)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="`per_image` must be a Counts object"):
        mean_iou_from_counts(total, [1, 2])  # type: ignore[arg-type]
    binary = ioukit.binary_counts(np.array([1, 0]), np.array([1, 1]))
    with pytest.raises(InputError, match=r"`counts` must be multiclass counts.*'binary'"):
        mean_iou_from_counts(binary)
    with pytest.raises(InputError, match="`per_image` must be per-sample counts"):
        mean_iou_from_counts(total, total, convention="monai")
    with pytest.raises(InputError, match="`counts` must be dataset-level"):
        mean_iou_from_counts(per_image, per_image)
    other = hand(np, tp=[[3, 1, 0, 0], [0, 1, 0, 0]])  # not the data of `total`
    with pytest.raises(InputError, match="same data as `counts`"):
        mean_iou_from_counts(total, other, convention="monai")
    with pytest.raises(InputError, match="same data as `counts`"):
        mean_iou_from_counts(total, hand(np, ignored=(2,)), convention="monai")


def test_weighted_counts_only_for_ioukit() -> None:
    rng = np.random.default_rng(1)
    pred, target = rng.integers(0, 3, (2, 5)), rng.integers(0, 3, (2, 5))
    weights = np.array([1.0, 2.0])
    per_image = ioukit.multiclass_counts(
        pred, target, num_classes=3, per_sample=True, sample_weight=weights
    )
    total = ioukit.multiclass_counts(pred, target, num_classes=3, sample_weight=weights)
    expected = float(ioukit.jaccard(total, average="macro"))
    assert mean_iou_from_counts(total) == expected
    assert mean_iou_from_counts(total, per_image) == expected
    for name, counts, images in (("keras", total, None), ("monai", per_image.total(), per_image)):
        with pytest.raises(ParameterError, match=f"{name!r} reproduces a library that does not"):
            mean_iou_from_counts(counts, images, convention=name)


def test_torchmetrics_takes_one_ignored_class() -> None:
    pred = np.array([[0, 1, 3, 2]])
    target = np.array([[0, 1, 1, 2]])  # the class-2 pixel is void
    one = ioukit.multiclass_counts(pred, target, num_classes=4, ignore_index=(2, 255))
    # class 0: 1/1, class 1: 1/2, class 3: 0/1 (predicted on a class-1 pixel); mean 1/2
    assert mean_iou_from_counts(one, convention="torchmetrics") == 0.5
    two = ioukit.multiclass_counts(pred, target, num_classes=4, ignore_index=(2, 3))
    with pytest.raises(ParameterError, match=r"'torchmetrics' takes one ignore_index.*\(2, 3\)"):
        mean_iou_from_counts(two, convention="torchmetrics")


# --------------------------------------------------------------------------------- nanmean


def test_nanmean(xp: Any) -> None:
    values = xp.asarray([[0.5, math.nan, 1.0], [math.nan, math.nan, math.nan]])
    assert float(xp.to_numpy(nanmean(values))) == 0.75  # (0.5 + 1.0) / 2
    rows = xp.to_numpy(nanmean(values, axis=1))
    assert rows[0] == 0.75
    assert math.isnan(rows[1])  # nothing to average
    np.testing.assert_array_equal(xp.to_numpy(nanmean(values, axis=0)), [0.5, math.nan, 1.0])
    weights = xp.asarray([[3.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    assert float(xp.to_numpy(nanmean(values, weights=weights))) == 0.625  # (1.5 + 1) / 4
    zero_weights = xp.asarray([[0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    assert math.isnan(float(xp.to_numpy(nanmean(values, weights=zero_weights))))
    result = nanmean(xp.asarray([1, 2]))  # integers are averaged as floats
    xp.check(result, like=values)
    assert float(xp.to_numpy(result)) == 1.5


def test_nanmean_bad_input() -> None:
    with pytest.raises(ParameterError, match=r"nanmean: `weights` must have the shape.*\(2,\)"):
        nanmean(np.array([1.0, 2.0]), weights=np.array([1.0]))
    with pytest.raises(ParameterError, match="nanmean: `axis` must be None or an axis"):
        nanmean(np.array([1.0, 2.0]), axis=1)
