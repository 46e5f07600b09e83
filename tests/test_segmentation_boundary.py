"""SegmentationEvaluator(boundary=ratio): Boundary IoU per class, as counts.

Checked against a direct computation: per image and class, the bands of ``pred == c`` and
``target == c`` (ignored target pixels joined to the class, then left out of the counts) by a
transcription of boundary-iou-api's ``mask_to_boundary`` with OpenCV; intersections and band
pixels summed over the images, divided once per class.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from geometry_helpers import reference_band
from ioukit import InputError, ParameterError, SegmentationEvaluator

cv2 = pytest.importorskip("cv2")


def _direct(pred, target, c_count, ignore, ratio):  # type: ignore[no-untyped-def]
    inter = np.zeros(c_count, dtype=np.int64)
    union = np.zeros(c_count, dtype=np.int64)
    for p, t in zip(pred, target, strict=True):
        valid = ~np.isin(t, ignore)
        for c in range(c_count):
            bp = reference_band(p == c, ratio) & valid
            bt = reference_band((t == c) | ~valid, ratio) & valid
            inter[c] += int((bp & bt).sum())
            union[c] += int((bp | bt).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union == 0, np.nan, inter / union), inter, union


def _maps(rng: np.random.Generator, n: int, h: int, w: int, c: int) -> np.ndarray:
    """Blocky label maps (regions of random classes), some void (255)."""
    small = rng.integers(0, c, size=(n, h // 8 + 1, w // 8 + 1))
    maps = np.kron(small, np.ones((8, 8), dtype=np.int64))[:, :h, :w]
    maps[rng.random((n, h, w)) < 0.03] = rng.integers(0, c)
    return maps


@pytest.mark.parametrize("per_image", [True, False])
@pytest.mark.parametrize("ratio", [0.02, 0.05])
def test_matches_direct_computation(per_image: bool, ratio: float) -> None:
    rng = np.random.default_rng(int(ratio * 100))
    c, h, w = 5, 60, 90
    target = _maps(rng, 6, h, w, c)
    target[:, :5, :20] = 255
    pred = _maps(rng, 6, h, w, c)
    pred[0] = np.where(target[0] == 255, 0, target[0])  # one perfect image
    ev = SegmentationEvaluator(c, ignore_index=255, per_image=per_image, boundary=ratio)
    ev.update(pred[:2], target[:2])
    for p, t in zip(pred[2:], target[2:], strict=True):
        ev.update(p, t)
    r = ev.result()
    expected, inter, union = _direct(pred, target, c, [255], ratio)
    np.testing.assert_array_equal(r.boundary_counts.tp, inter)
    np.testing.assert_array_equal(
        r.boundary_counts.tp + r.boundary_counts.fp + r.boundary_counts.fn, union
    )
    np.testing.assert_allclose(r.boundary_iou, expected, rtol=0, atol=1e-15)
    assert r.mean_boundary_iou == pytest.approx(float(np.nanmean(expected)))
    # the mask IoU is unchanged by the option
    plain = SegmentationEvaluator(c, ignore_index=255, per_image=per_image)
    plain.update(pred, target)
    np.testing.assert_array_equal(plain.result().iou, r.iou)
    assert plain.result().boundary_iou is None
    assert plain.result().mean_boundary_iou is None


def test_scores_input_merge_and_save(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    c = 3
    target = _maps(rng, 4, 40, 33, c)
    scores = rng.random((4, c, 40, 33))
    pred = scores.argmax(axis=1)
    one = SegmentationEvaluator(c, boundary=0.05)
    one.update(scores, target)  # class scores are argmaxed
    a, b = SegmentationEvaluator(c, boundary=0.05), SegmentationEvaluator(c, boundary=0.05)
    a.update(pred[:1], target[:1])
    b.update(pred[1:], target[1:])
    merged = (a + b).result()
    expected, _, _ = _direct(pred, target, c, [], 0.05)
    np.testing.assert_allclose(one.result().boundary_iou, expected, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(merged.boundary_iou, one.result().boundary_iou)
    for suffix in (".json", ".npz"):
        path = tmp_path / f"state{suffix}"
        one.save(path)
        back = SegmentationEvaluator.load(path)
        assert back.boundary == 0.05
        np.testing.assert_array_equal(back.result().boundary_iou, one.result().boundary_iou)
    state = one.state_dict()
    fresh = SegmentationEvaluator(c, boundary=0.05)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.result().boundary_iou, one.result().boundary_iou)
    with pytest.raises(InputError, match="differs in boundary"):
        SegmentationEvaluator(c).load_state_dict(state)
    with pytest.raises(InputError, match="differ in boundary"):
        SegmentationEvaluator(c) + one


@pytest.mark.parametrize("seed", range(6))
def test_scattered_ignores_and_foreign_predictions(seed: int) -> None:
    """Ignored pixels scattered and in blocks (two ignore values), classes that only touch
    ignored pixels, predictions outside [0, C) at ignored pixels (the ignore value among
    them), and images small enough for whole masks to be band: the direct computation's
    counts."""
    rng = np.random.default_rng(seed)
    c = 4
    h, w = (int(v) for v in rng.integers(3, 70, 2))
    ratio = float(rng.choice([0.01, 0.05, 0.3]))
    target = _maps(rng, 3, h, w, c)
    target[rng.random(target.shape) < 0.1] = 255
    target[:, : h // 3, : w // 4] = 254
    target[1] = np.where(target[1] == 3, 255, target[1])  # class 3 only beside ignores there
    pred = _maps(rng, 3, h, w, c)
    ignored = target >= 254  # where a prediction may be any label: 4, 5 and 255 are no class
    pred[ignored] = np.where(rng.random(pred.shape) < 0.5, pred, rng.choice([4, 5, 255]))[ignored]
    if seed % 2:  # uint8 maps, as read from PNG files
        pred, target = pred.astype(np.uint8), target.astype(np.uint8)
    ev = SegmentationEvaluator(c, ignore_index=[254, 255], per_image=True, boundary=ratio)
    ev.update(pred, target)
    r = ev.result()
    _, inter, union = _direct(pred, target, c, [254, 255], ratio)
    np.testing.assert_array_equal(r.boundary_counts.tp, inter)
    np.testing.assert_array_equal(
        r.boundary_counts.tp + r.boundary_counts.fp + r.boundary_counts.fn, union
    )


def test_binary_maps_hand_computed() -> None:
    # a 6×6 square of class 1 in a 20×20 map, d = round(0.05 * 28.28) = 1: its band is the
    # 20-pixel ring; the prediction is shifted by one column: rings share 2 × 5 pixels of the
    # horizontal edges, 10 / (20 + 20 - 10) = 1/3
    t = np.zeros((20, 20), dtype=np.int64)
    t[5:11, 5:11] = 1
    p = np.roll(t, 1, axis=1)
    ev = SegmentationEvaluator(2, boundary=0.05)
    ev.update(p, t)
    assert ev.result().boundary_iou[1] == pytest.approx(1 / 3)


@pytest.mark.parametrize("bad", [0, -0.1, math.nan, True, "0.02"])
def test_bad_boundary(bad: object) -> None:
    with pytest.raises(ParameterError, match="SegmentationEvaluator: `boundary` must be"):
        SegmentationEvaluator(3, boundary=bad)  # type: ignore[arg-type]


def test_boundary_needs_label_maps() -> None:
    with pytest.raises(ParameterError, match="spatial_dims=3"):
        SegmentationEvaluator(3, boundary=0.02, spatial_dims=3)
    ev = SegmentationEvaluator(3, boundary=0.02)
    with pytest.raises(InputError, match=r"add_confusion_matrix: .*Boundary IoU"):
        ev.add_confusion_matrix(np.eye(3, dtype=np.int64))


def test_to_dict_carries_the_boundary_scores() -> None:
    import json

    rng = np.random.default_rng(3)
    target = rng.integers(0, 3, (2, 32, 32))
    pred = np.where(rng.random(target.shape) < 0.8, target, 0)
    for convention in ("ioukit", "detectron2"):
        ev = SegmentationEvaluator(3, boundary=0.05, boundary_convention=convention)
        ev.update(pred, target)
        r = ev.result()
        out = json.loads(json.dumps(r.to_dict(), allow_nan=False))["boundary"]
        assert out["dilation_ratio"] == 0.05
        assert out["convention"] == convention
        want = [None if np.isnan(v) else float(v) for v in r.boundary_iou]
        assert out["iou"] == want
        assert out["mean_iou"] == r.mean_boundary_iou
    plain = SegmentationEvaluator(3)
    plain.update(pred, target)
    assert "boundary" not in plain.result().to_dict()
