"""Counting: hand-computed counts, ignore_index, per-sample, weights, argmax, thresholds,
N-D inputs, dtypes and the numba kernels against a NumPy oracle. Every body runs on each
array library of the ``xp`` matrix (see conftest.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ioukit
from ioukit import Counts, binary_counts, multiclass_counts, multilabel_counts


def to_np(x: Any) -> np.ndarray[Any, Any]:
    """A NumPy copy of an array of any library of the matrix."""
    if hasattr(x, "detach"):  # torch
        return np.asarray(x.detach().cpu().numpy())
    return np.asarray(np.from_dlpack(x))


def as_np(counts: Counts) -> tuple[np.ndarray[Any, Any], ...]:
    """(tp, fp, fn, tn) of ``counts`` as NumPy arrays."""
    return tuple(to_np(a) for a in (counts.tp, counts.fp, counts.fn, counts.tn))


def assert_counts(counts: Counts, tp: Any, fp: Any, fn: Any, tn: Any) -> None:
    for got, want in zip(as_np(counts), (tp, fp, fn, tn), strict=True):
        np.testing.assert_array_equal(got, np.asarray(want))


def oracle_confusion(
    pred: Any, target: Any, c: int, ignore: tuple[int, ...] = ()
) -> np.ndarray[Any, Any]:
    """Confusion matrix (rows = target) by np.bincount on ``target * C + pred``."""
    p = np.asarray(pred).astype(np.int64).ravel()
    t = np.asarray(target).astype(np.int64).ravel()
    keep = ~np.isin(t, ignore)
    return np.bincount(t[keep] * c + p[keep], minlength=c * c).reshape(c, c)


def oracle_counts(cm: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], ...]:
    tp = np.diag(cm)
    fp = cm.sum(0) - tp
    fn = cm.sum(1) - tp
    return tp, fp, fn, cm.sum() - tp - fp - fn


# ------------------------------------------------------------------------------ seed examples


def test_binary_seed(xp):
    # pred   = [1, 0, 0, 0, 1, 1]
    # target = [1, 1, 0, 0, 1, 0]
    # tp: positions 0, 4 -> 2; fp: position 5 -> 1; fn: position 1 -> 1; tn: positions 2, 3 -> 2
    pred, target = xp.asarray([1, 0, 0, 0, 1, 1]), xp.asarray([1, 1, 0, 0, 1, 0])
    c = binary_counts(pred, target)
    assert_counts(c, [2], [1], [1], [2])
    assert c.task == "binary"
    assert c.num_classes == 1
    assert not c.per_sample
    assert c.num_samples is None
    assert c.ignored_classes == ()
    xp.check(c.tp, like=target)
    assert xp.to_numpy(c.tp).dtype == np.int64


def test_multiclass_seed(xp):
    # pred   = [0, 2, 2, 1, 1, 0]
    # target = [0, 1, 2, 2, 1, 0]
    # (target, pred) pairs: (0,0) (1,2) (2,2) (2,1) (1,1) (0,0)
    # confusion (rows = target): [[2, 0, 0], [0, 1, 1], [0, 1, 1]]
    # tp = diag = [2, 1, 1]; fp = column sums - tp = [0, 1, 1]; fn = row sums - tp = [0, 1, 1]
    # tn = 6 - tp - fp - fn = [4, 3, 3]
    pred, target = xp.asarray([0, 2, 2, 1, 1, 0]), xp.asarray([0, 1, 2, 2, 1, 0])
    cm = ioukit.multiclass_confusion_matrix(pred, target, num_classes=3)
    xp.check(cm, like=target)
    np.testing.assert_array_equal(xp.to_numpy(cm), [[2, 0, 0], [0, 1, 1], [0, 1, 1]])
    assert xp.to_numpy(cm).dtype == np.int64
    c = multiclass_counts(pred, target, num_classes=3)
    assert_counts(c, [2, 1, 1], [0, 1, 1], [0, 1, 1], [4, 3, 3])
    assert c.task == "multiclass"
    assert c.num_classes == 3
    xp.check(c.tp, like=target)
    np.testing.assert_array_equal(xp.to_numpy(c.support), [2, 2, 2])


def test_confusion_matrix_rows_are_target(xp):
    # one element: target 0, predicted 1 -> cm[target=0, pred=1] = 1
    cm = ioukit.multiclass_confusion_matrix(xp.asarray([1]), xp.asarray([0]), num_classes=2)
    np.testing.assert_array_equal(xp.to_numpy(cm), [[0, 1], [0, 0]])


def test_multilabel_hand(xp):
    # pred = [[1, 1, 1],      target = [[0, 1, 1],
    #         [1, 0, 0]]                [1, 1, 0]]
    # label 0: t=[0,1] p=[1,1] -> tp 1 fp 1 fn 0 tn 0
    # label 1: t=[1,1] p=[1,0] -> tp 1 fp 0 fn 1 tn 0
    # label 2: t=[1,0] p=[1,0] -> tp 1 fp 0 fn 0 tn 1
    pred = xp.asarray([[1, 1, 1], [1, 0, 0]])
    target = xp.asarray([[0, 1, 1], [1, 1, 0]])
    c = multilabel_counts(pred, target)
    assert_counts(c, [1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1])
    assert c.task == "multilabel"
    assert c.num_classes == 3
    xp.check(c.tp, like=target)


def test_multilabel_nd_labels_on_axis_1(xp):
    # (N, L, K) = (2, 2, 2): label 0 holds [[1, 0], [1, 1]] vs target [[1, 1], [0, 1]]
    #   -> elements (p,t): (1,1) (0,1) (1,0) (1,1): tp 2 fp 1 fn 1 tn 0
    # label 1 is all zeros in both -> tn 4
    pred = xp.asarray([[[1, 0], [0, 0]], [[1, 1], [0, 0]]])
    target = xp.asarray([[[1, 1], [0, 0]], [[0, 1], [0, 0]]])
    c = multilabel_counts(pred, target)
    assert_counts(c, [2, 0], [1, 0], [1, 0], [0, 4])


# -------------------------------------------------------------------------------- ignore_index


def test_multiclass_ignore_single_value(xp):
    # pred   = [0, 1, 2, 2, 0]
    # target = [0, 1, 255, 2, 1]   position 2 is removed
    # kept (t, p): (0,0) (1,1) (2,2) (1,0)
    # tp = [1, 1, 1]; fp: class 0 predicted twice (one correct) -> [1, 0, 0]
    # fn: class 1 has two target elements, one correct -> [0, 1, 0]; tn = 4 - ... = [2, 2, 3]
    pred, target = xp.asarray([0, 1, 2, 2, 0]), xp.asarray([0, 1, 255, 2, 1])
    c = multiclass_counts(pred, target, num_classes=3, ignore_index=255)
    assert_counts(c, [1, 1, 1], [1, 0, 0], [0, 1, 0], [2, 2, 3])
    assert c.ignored_classes == ()  # 255 is not a class


def test_multiclass_ignore_several_values_one_inside_range(xp):
    # same data, ignore_index=(0, 255): positions 0 (target 0) and 2 (target 255) are removed
    # kept (t, p): (1,1) (2,2) (1,0)
    # tp = [0, 1, 1]; fp = [1, 0, 0] (class 0 predicted on a class-1 element); fn = [0, 1, 0]
    # tn = 3 - tp - fp - fn = [2, 1, 2]; class 0 is an ignored class
    pred, target = xp.asarray([0, 1, 2, 2, 0]), xp.asarray([0, 1, 255, 2, 1])
    c = multiclass_counts(pred, target, num_classes=3, ignore_index=(0, 255))
    assert_counts(c, [0, 1, 1], [1, 0, 0], [0, 1, 0], [2, 1, 2])
    assert c.ignored_classes == (0,)
    # ignored class: NaN per class, and left out of every average
    # J = [nan, 1/(1+0+1), 1/1] = [nan, 0.5, 1.0]
    j = ioukit.jaccard(c, average="none")
    xp.check(j, like=target)
    np.testing.assert_allclose(xp.to_numpy(j), [np.nan, 0.5, 1.0])
    # macro = (0.5 + 1) / 2 = 0.75
    assert float(xp.to_numpy(ioukit.jaccard(c, average="macro"))) == pytest.approx(0.75)
    # micro over classes 1, 2 only: (1 + 1) / ((1+0+1) + (1+0+0)) = 2/3
    assert float(xp.to_numpy(ioukit.jaccard(c, average="micro"))) == pytest.approx(2 / 3)
    # weighted by support (tp + fn) of classes 1, 2 = (2, 1): (2*0.5 + 1*1) / 3 = 2/3
    assert float(xp.to_numpy(ioukit.jaccard(c, average="weighted"))) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "ignore_index",
    [(255,), [255], {255}, range(255, 256), np.array([255]), np.array(255), np.uint8(255)],
    ids=repr,
)
def test_ignore_index_sequence_forms(ignore_index):
    a = multiclass_counts([0, 1, 1], [0, 1, 255], num_classes=2, ignore_index=ignore_index)
    b = multiclass_counts([0, 1, 1], [0, 1, 255], num_classes=2, ignore_index=255)
    for x, y in zip(as_np(a), as_np(b), strict=True):
        np.testing.assert_array_equal(x, y)


def test_multiclass_ignore_outside_range(xp):
    # target [0, -1, 1, 7], pred [0, 1, 1, 0], ignore (-1, 7): kept (0,0) (1,1)
    # -> tp [1, 1], nothing else; no class is ignored (-1 and 7 are not classes)
    c = multiclass_counts(
        xp.asarray([0, 1, 1, 0]), xp.asarray([0, -1, 1, 7]), num_classes=2, ignore_index=(-1, 7)
    )
    assert_counts(c, [1, 1], [0, 0], [0, 0], [1, 1])
    assert c.ignored_classes == ()


def test_ignored_position_may_hold_any_prediction(xp):
    # pred 9 is out of range but sits where the target is ignored: not an error, not counted
    c = multiclass_counts(xp.asarray([9, 1]), xp.asarray([255, 1]), num_classes=2, ignore_index=255)
    assert_counts(c, [0, 1], [0, 0], [0, 0], [1, 0])


def test_binary_ignore(xp):
    # pred   = [1, 0, 0, 0, 1, 1]
    # target = [1, 255, 0, 0, 1, 0]: the binary seed with its one fn (position 1) removed
    # -> tp 2, fp 1, fn 0, tn 2
    pred = xp.asarray([1, 0, 0, 0, 1, 1])
    c = binary_counts(pred, xp.asarray([1, 255, 0, 0, 1, 0]), ignore_index=255)
    assert_counts(c, [2], [1], [0], [2])
    # several values: target [1, 255, 0, 254, 1, 0] with pred [1, 0, 0, 1, 1, 1], (254, 255)
    # kept (t, p): (1,1) (0,0) (1,1) (0,1) -> tp 2, fp 1, fn 0, tn 1
    c = binary_counts(
        xp.asarray([1, 0, 0, 1, 1, 1]), xp.asarray([1, 255, 0, 254, 1, 0]), ignore_index=(254, 255)
    )
    assert_counts(c, [2], [1], [0], [1])


def test_binary_ignore_position_may_hold_soft_prediction(xp):
    # pred 0.7 is not a 0/1 label, but its target is ignored: no error, not counted
    c = binary_counts(xp.asarray([0.7, 1.0]), xp.asarray([255.0, 1.0]), ignore_index=255)
    assert_counts(c, [1], [0], [0], [0])


def test_multilabel_ignore(xp):
    # the multilabel hand case with target[0, 2] = 255 (ignored):
    # label 2 keeps only sample 1 (t 0, p 0) -> tn 1; labels 0 and 1 are unchanged
    pred = xp.asarray([[1, 1, 1], [1, 0, 0]])
    target = xp.asarray([[0, 1, 255], [1, 1, 0]])
    c = multilabel_counts(pred, target, ignore_index=255)
    assert_counts(c, [1, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1])


# ------------------------------------------------------------------------- per-sample, weights


def test_multiclass_per_sample(xp):
    # sample 0: pred [0, 2, 2] target [0, 1, 2] -> tp [1,0,1] fp [0,0,1] fn [0,1,0] tn [2,2,1]
    # sample 1: pred [1, 1, 0] target [2, 1, 0] -> tp [1,1,0] fp [0,1,0] fn [0,0,1] tn [2,1,2]
    pred = xp.asarray([[0, 2, 2], [1, 1, 0]])
    target = xp.asarray([[0, 1, 2], [2, 1, 0]])
    c = multiclass_counts(pred, target, num_classes=3, per_sample=True)
    assert c.per_sample
    assert c.num_samples == 2
    assert tuple(c.tp.shape) == (2, 3)
    assert_counts(
        c,
        [[1, 0, 1], [1, 1, 0]],
        [[0, 0, 1], [0, 1, 0]],
        [[0, 1, 0], [0, 0, 1]],
        [[2, 2, 1], [2, 1, 2]],
    )
    xp.check(c.tp, like=target)
    # summed over samples: the dataset-level seed counts
    assert_counts(c.total(), [2, 1, 1], [0, 1, 1], [0, 1, 1], [4, 3, 3])


def test_binary_per_sample(xp):
    # the binary seed as two samples of three elements
    # sample 0: pred [1,0,0] target [1,1,0] -> tp 1 fp 0 fn 1 tn 1
    # sample 1: pred [0,1,1] target [0,1,0] -> tp 1 fp 1 fn 0 tn 1
    c = binary_counts(
        xp.asarray([[1, 0, 0], [0, 1, 1]]), xp.asarray([[1, 1, 0], [0, 1, 0]]), per_sample=True
    )
    assert tuple(c.tp.shape) == (2, 1)
    assert_counts(c, [[1], [1]], [[0], [1]], [[1], [0]], [[1], [1]])


def test_multilabel_per_sample(xp):
    # multilabel hand case, per sample:
    # sample 0: p [1,1,1] t [0,1,1] -> tp [0,1,1] fp [1,0,0] fn [0,0,0] tn [0,0,0]
    # sample 1: p [1,0,0] t [1,1,0] -> tp [1,0,0] fp [0,0,0] fn [0,1,0] tn [0,0,1]
    c = multilabel_counts(
        xp.asarray([[1, 1, 1], [1, 0, 0]]), xp.asarray([[0, 1, 1], [1, 1, 0]]), per_sample=True
    )
    assert tuple(c.tp.shape) == (2, 3)
    assert_counts(
        c,
        [[0, 1, 1], [1, 0, 0]],
        [[1, 0, 0], [0, 0, 0]],
        [[0, 0, 0], [0, 1, 0]],
        [[0, 0, 0], [0, 0, 1]],
    )


def test_multiclass_sample_weight(xp):
    # per-sample counts as in test_multiclass_per_sample, weights (1, 2):
    # tp = 1*[1,0,1] + 2*[1,1,0] = [3, 2, 1]; fp = [0,0,1] + 2*[0,1,0] = [0, 2, 1]
    # fn = [0,1,0] + 2*[0,0,1] = [0, 1, 2];   tn = [2,2,1] + 2*[2,1,2] = [6, 4, 5]
    pred = xp.asarray([[0, 2, 2], [1, 1, 0]])
    target = xp.asarray([[0, 1, 2], [2, 1, 0]])
    w = xp.asarray([1.0, 2.0])
    c = multiclass_counts(pred, target, num_classes=3, sample_weight=w)
    assert not c.per_sample
    assert xp.to_numpy(c.tp).dtype == np.float64
    assert_counts(c, [3, 2, 1], [0, 2, 1], [0, 1, 2], [6, 4, 5])
    cm = ioukit.multiclass_confusion_matrix(pred, target, num_classes=3, sample_weight=w)
    # sample 0 (t,p): (0,0) (1,2) (2,2) -> [[1,0,0],[0,0,1],[0,0,1]]  (rows = target)
    # sample 1 (t,p): (2,1) (1,1) (0,0) -> [[1,0,0],[0,1,0],[0,1,0]]
    # 1 * sample 0 + 2 * sample 1 = [[3,0,0],[0,2,1],[0,2,1]]
    np.testing.assert_array_equal(xp.to_numpy(cm), [[3, 0, 0], [0, 2, 1], [0, 2, 1]])
    # per-sample counts keep integers and carry the weights
    ps = multiclass_counts(pred, target, num_classes=3, per_sample=True, sample_weight=w)
    assert xp.to_numpy(ps.tp).dtype == np.int64
    np.testing.assert_array_equal(xp.to_numpy(ps.sample_weight), [1.0, 2.0])
    assert_counts(ps.total(), [3, 2, 1], [0, 2, 1], [0, 1, 2], [6, 4, 5])


def test_binary_and_multilabel_sample_weight(xp):
    # binary per-sample counts (see test_binary_per_sample) with weights (3, 0.5):
    # tp = 3*1 + 0.5*1 = 3.5; fp = 0.5; fn = 3; tn = 3.5
    c = binary_counts(
        xp.asarray([[1, 0, 0], [0, 1, 1]]),
        xp.asarray([[1, 1, 0], [0, 1, 0]]),
        sample_weight=xp.asarray([3.0, 0.5]),
    )
    assert_counts(c, [3.5], [0.5], [3.0], [3.5])
    # multilabel hand case with integer weights (2, 1):
    # tp = 2*[0,1,1] + [1,0,0] = [1, 2, 2]; fp = [2, 0, 0]; fn = [0, 1, 0]; tn = [0, 0, 1]
    c = multilabel_counts(
        xp.asarray([[1, 1, 1], [1, 0, 0]]),
        xp.asarray([[0, 1, 1], [1, 1, 0]]),
        sample_weight=xp.asarray([2, 1]),
    )
    assert xp.to_numpy(c.tp).dtype == np.float64
    assert_counts(c, [1, 2, 2], [2, 0, 0], [0, 1, 0], [0, 0, 1])


# ---------------------------------------------------------------------- argmax, threshold, floats


def test_class_axis_argmax_ties_to_lowest(xp):
    # scores (N=3, C=3):
    #   [0.5, 0.5, 0.0] -> tie between 0 and 1 -> 0
    #   [0.1, 0.2, 0.7] -> 2
    #   [0.3, 0.3, 0.3] -> three-way tie -> 0
    # pred labels [0, 2, 0] vs target [0, 2, 1]: (t,p) = (0,0) (2,2) (1,0)
    # tp [1, 0, 1]; fp [1, 0, 0]; fn [0, 1, 0]; tn = 3 - ... = [1, 2, 2]
    scores = xp.asarray([[0.5, 0.5, 0.0], [0.1, 0.2, 0.7], [0.3, 0.3, 0.3]])
    target = xp.asarray([0, 2, 1])
    for axis in (1, -1):
        c = multiclass_counts(scores, target, num_classes=3, class_axis=axis)
        assert_counts(c, [1, 0, 1], [1, 0, 0], [0, 1, 0], [1, 2, 2])
    # the scores may also be integers (logit counts, votes)
    votes = xp.asarray([[2, 2, 0], [0, 1, 3], [1, 1, 1]])
    c = multiclass_counts(votes, target, num_classes=3, class_axis=1)
    assert_counts(c, [1, 0, 1], [1, 0, 0], [0, 1, 0], [1, 2, 2])


def test_class_axis_nd(xp):
    rng = np.random.default_rng(0)
    scores = rng.random((2, 4, 3, 5))  # (N, C, H, W)
    target = rng.integers(0, 4, (2, 3, 5))
    want = oracle_counts(oracle_confusion(scores.argmax(1), target, 4))
    c = multiclass_counts(xp.asarray(scores), xp.asarray(target), num_classes=4, class_axis=1)
    assert_counts(c, *want)
    # channels last (N, H, W, C)
    last = np.moveaxis(scores, 1, -1)
    c = multiclass_counts(xp.asarray(last), xp.asarray(target), num_classes=4, class_axis=-1)
    assert_counts(c, *want)
    j = ioukit.multiclass_jaccard(
        xp.asarray(last), xp.asarray(target), num_classes=4, class_axis=3, average="none"
    )
    tp, fp, fn, _ = want
    np.testing.assert_allclose(xp.to_numpy(j), tp / (tp + fp + fn))


def test_threshold(xp):
    # scores [0.9, 0.5, 0.49, 0.1] >= 0.5 -> [1, 1, 0, 0] (equality counts as positive)
    # target [1, 1, 0, 0] -> tp 2, tn 2
    scores, target = xp.asarray([0.9, 0.5, 0.49, 0.1]), xp.asarray([1, 1, 0, 0])
    assert_counts(binary_counts(scores, target, threshold=0.5), [2], [0], [0], [2])
    # threshold 0.95: everything negative -> fn 2, tn 2
    assert_counts(binary_counts(scores, target, threshold=0.95), [0], [0], [2], [2])
    # logits with threshold 0.0: [2.0, -1.0, 0.0] >= 0 -> [1, 0, 1] vs [1, 0, 0] -> tp 1 fp 1 tn 1
    c = binary_counts(xp.asarray([2.0, -1.0, 0.0]), xp.asarray([1, 0, 0]), threshold=0.0)
    assert_counts(c, [1], [1], [0], [1])
    # multilabel: [[0.8, 0.2], [0.6, 0.7]] >= 0.65 -> [[1, 0], [0, 1]] vs [[1, 1], [0, 1]]
    # label 0: (p,t) (1,1) (0,0) -> tp 1 tn 1; label 1: (0,1) (1,1) -> tp 1 fn 1
    c = multilabel_counts(
        xp.asarray([[0.8, 0.2], [0.6, 0.7]]), xp.asarray([[1, 1], [0, 1]]), threshold=0.65
    )
    assert_counts(c, [1, 1], [0, 0], [0, 1], [1, 0])


def test_float_labels_with_integral_values(xp):
    # the multiclass seed, as floats: same counts
    pred = xp.asarray([0.0, 2.0, 2.0, 1.0, 1.0, 0.0])
    target = xp.asarray([0.0, 1.0, 2.0, 2.0, 1.0, 0.0])
    assert_counts(
        multiclass_counts(pred, target, num_classes=3), [2, 1, 1], [0, 1, 1], [0, 1, 1], [4, 3, 3]
    )
    # and with an ignored float value 255.0
    c = multiclass_counts(
        pred, xp.asarray([0.0, 1.0, 2.0, 2.0, 1.0, 255.0]), num_classes=3, ignore_index=255
    )
    # kept (t, p): (0,0) (1,2) (2,2) (2,1) (1,1) -> cm [[1,0,0],[0,1,1],[0,1,1]]
    # tp [1, 1, 1]; fp = column sums - tp = [0, 1, 1]; fn = row sums - tp = [0, 1, 1]
    # tn = 5 - tp - fp - fn = [4, 2, 2]
    assert_counts(c, [1, 1, 1], [0, 1, 1], [0, 1, 1], [4, 2, 2])
    # binary 0.0/1.0 labels need no threshold
    c = binary_counts(
        xp.asarray([1.0, 0.0, 0.0, 0.0, 1.0, 1.0]), xp.asarray([1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    )
    assert_counts(c, [2], [1], [1], [2])


def test_zero_dim_inputs(xp):
    # one element, as 0-d arrays: target 1, pred 1 -> tp 1
    assert_counts(binary_counts(xp.asarray(1), xp.asarray(1)), [1], [0], [0], [0])
    # multiclass: target 2, pred 0 -> fn of class 2, fp of class 0
    c = multiclass_counts(xp.asarray(0), xp.asarray(2), num_classes=3)
    assert_counts(c, [0, 0, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0])


def test_python_lists_become_numpy():
    c = multiclass_counts([0, 2, 2, 1, 1, 0], [0, 1, 2, 2, 1, 0], num_classes=3)
    assert isinstance(c.tp, np.ndarray)
    assert_counts(c, [2, 1, 1], [0, 1, 1], [0, 1, 1], [4, 3, 3])


# --------------------------------------------------------------------------- N-D and dtypes


@pytest.mark.parametrize("shape", [(2, 5, 7), (2, 3, 4, 5)], ids=["NHW", "NDHW"])
def test_nd_against_oracle(xp, shape):
    rng = np.random.default_rng(1)
    c = 4
    target = rng.integers(0, c, shape)
    target[rng.random(shape) < 0.2] = 255
    pred = rng.integers(0, c, shape)
    cm = oracle_confusion(pred, target, c, (255,))
    got = ioukit.multiclass_confusion_matrix(
        xp.asarray(pred), xp.asarray(target), num_classes=c, ignore_index=255
    )
    np.testing.assert_array_equal(xp.to_numpy(got), cm)
    counts = multiclass_counts(
        xp.asarray(pred), xp.asarray(target), num_classes=c, ignore_index=255
    )
    assert_counts(counts, *oracle_counts(cm))
    per = multiclass_counts(
        xp.asarray(pred), xp.asarray(target), num_classes=c, ignore_index=255, per_sample=True
    )
    for n in range(shape[0]):
        want = oracle_counts(oracle_confusion(pred[n], target[n], c, (255,)))
        for got_a, want_a in zip(as_np(per), want, strict=True):
            np.testing.assert_array_equal(got_a[n], want_a)
    # binary masks of the same shape: positives = class 1
    bt = np.where(target == 255, 255, target == 1).astype(np.int64)
    bp = (pred == 1).astype(np.int64)
    keep = bt != 255
    want_b = [
        [np.sum((bp == 1) & (bt == 1) & keep)],
        [np.sum((bp == 1) & (bt == 0) & keep)],
        [np.sum((bp == 0) & (bt == 1) & keep)],
        [np.sum((bp == 0) & (bt == 0) & keep)],
    ]
    assert_counts(binary_counts(xp.asarray(bp), xp.asarray(bt), ignore_index=255), *want_b)


INT_DTYPES = ["uint8", "uint16", "int8", "int32", "int64", "bool"]


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_label_dtypes(xp, dtype):
    rng = np.random.default_rng(2)
    c = 2 if dtype == "bool" else 3
    pred = rng.integers(0, c, (3, 8)).astype(dtype)
    target = rng.integers(0, c, (3, 8)).astype(dtype)
    want = oracle_counts(oracle_confusion(pred, target, c))
    got = multiclass_counts(xp.asarray(pred), xp.asarray(target), num_classes=c)
    assert_counts(got, *want)
    got = multiclass_counts(xp.asarray(pred), xp.asarray(target), num_classes=c, per_sample=True)
    assert_counts(got.total(), *want)
    # binary and multilabel masks of this dtype
    bp, bt = (pred % 2).astype(dtype), (target % 2).astype(dtype)
    p1, t1 = bp.astype(bool), bt.astype(bool)
    # binary: counts over all elements
    want_b = [[np.sum(p1 & t1)], [np.sum(p1 & ~t1)], [np.sum(~p1 & t1)], [np.sum(~p1 & ~t1)]]
    assert_counts(binary_counts(xp.asarray(bp), xp.asarray(bt)), *want_b)
    # multilabel (N, L) = (3, 8): counts per label = sums over axis 0
    want_m = [np.sum(m, axis=0) for m in (p1 & t1, p1 & ~t1, ~p1 & t1, ~p1 & ~t1)]
    assert_counts(multilabel_counts(xp.asarray(bp), xp.asarray(bt)), *want_m)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32"])
def test_ignore_value_outside_dtype_range(xp, dtype):
    # ignore_index values that the label dtype cannot hold match nothing: -1 for uint8,
    # 255 for int8. They must neither fail nor wrap around to another value (uint8 255 is
    # not -1, int8 -1 is not 255).
    info = np.iinfo(dtype)
    odd = int(info.max) if info.min == 0 else -1  # a value of this dtype that is not a label
    target = np.array([0, 1, odd], dtype=dtype)
    pred = np.array([0, 1, 1], dtype=dtype)
    outside = -1 if info.min == 0 else 1 << (8 * np.dtype(dtype).itemsize)
    with pytest.raises(ioukit.InputError, match="outside"):
        multiclass_counts(xp.asarray(pred), xp.asarray(target), num_classes=2, ignore_index=outside)
    c = multiclass_counts(
        xp.asarray(pred), xp.asarray(target), num_classes=2, ignore_index=(outside, odd)
    )
    assert_counts(c, [1, 1], [0, 0], [0, 0], [1, 1])
    bt = np.array([0, 1, odd], dtype=dtype)
    with pytest.raises(ioukit.InputError, match="only 0 and 1"):
        binary_counts(xp.asarray(pred), xp.asarray(bt), ignore_index=outside)


def test_num_classes_beyond_dtype_range(xp):
    # uint8 labels with num_classes=256 (every uint8 value is a class): nothing is out of range
    target = np.array([0, 255, 7], dtype=np.uint8)
    pred = np.array([0, 255, 8], dtype=np.uint8)
    c = multiclass_counts(xp.asarray(pred), xp.asarray(target), num_classes=300)
    tp = xp.to_numpy(c.tp)
    assert tp.shape == (300,)
    assert tp[0] == 1
    assert tp[255] == 1
    assert tp.sum() == 2


# ------------------------------------------------------------------ numba kernels (NumPy path)


def test_parallel_kernel_against_oracle():
    # >= 2**20 elements takes the threaded numba kernel
    rng = np.random.default_rng(3)
    n = (1 << 20) + 4099
    c = 7
    target = rng.integers(0, c, n).astype(np.uint8)
    target[rng.random(n) < 0.05] = 255
    pred = rng.integers(0, c, n).astype(np.uint8)
    cm = ioukit.multiclass_confusion_matrix(pred, target, num_classes=c, ignore_index=255)
    np.testing.assert_array_equal(cm, oracle_confusion(pred, target, c, (255,)))
    assert int(cm.sum()) == int(np.sum(target != 255))
    # same numbers from the serial kernel, batch by batch
    half = n // 2
    a = multiclass_counts(pred[:half], target[:half], num_classes=c, ignore_index=255)
    b = multiclass_counts(pred[half:], target[half:], num_classes=c, ignore_index=255)
    assert_counts(a + b, *oracle_counts(cm))
    # per-sample (threaded over samples) and N-D
    shaped_p, shaped_t = pred[: 4 * 512 * 512].reshape(4, 512, 512), target[: 4 * 512 * 512]
    shaped_t = shaped_t.reshape(4, 512, 512)
    per = multiclass_counts(shaped_p, shaped_t, num_classes=c, ignore_index=255, per_sample=True)
    assert_counts(per.total(), *oracle_counts(oracle_confusion(shaped_p, shaped_t, c, (255,))))


def test_parallel_kernel_reports_out_of_range():
    n = (1 << 20) + 1
    target = np.zeros(n, dtype=np.int32)
    pred = np.zeros(n, dtype=np.int32)
    target[n - 1] = 9
    pred[3] = -2
    with pytest.raises(ioukit.InputError, match=r"`target` has 1 label\(s\) outside \[0, 2\)"):
        multiclass_counts(pred, target, num_classes=2)
    target[n - 1] = 0
    with pytest.raises(ioukit.InputError, match=r"`pred` has 1 label\(s\) outside \[0, 2\).*-2"):
        multiclass_counts(pred, target, num_classes=2)


def test_parallel_binary_kernel_against_oracle():
    # >= 2**20 elements: the binary kernel splits the data between threads
    rng = np.random.default_rng(5)
    n = (1 << 20) + 12345  # not a multiple of the kernel's row length: a remainder row too
    target = rng.integers(0, 2, n).astype(np.uint8)
    target[rng.random(n) < 0.05] = 255
    pred = rng.random(n) >= 0.5
    keep = target != 255
    t1, p1 = (target == 1) & keep, pred & keep
    want = [
        [np.sum(t1 & p1)],
        [np.sum(~t1 & p1 & keep)],
        [np.sum(t1 & ~p1)],
        [np.sum(~t1 & ~p1 & keep)],
    ]
    assert_counts(binary_counts(pred, target, ignore_index=255), *want)
    # multilabel (N, L, K) with 2**20 elements and per-sample counts
    ml_t = np.where(target == 255, 0, target)[: 4 * 4 * 65536].reshape(4, 4, 65536)
    ml_p = pred[: 4 * 4 * 65536].reshape(4, 4, 65536)
    per = multilabel_counts(ml_p, ml_t, per_sample=True)
    tp = np.sum(ml_p & (ml_t == 1), axis=2)
    np.testing.assert_array_equal(per.tp, tp)
    np.testing.assert_array_equal(per.fp, np.sum(ml_p & (ml_t == 0), axis=2))
    np.testing.assert_array_equal(per.fn, np.sum(~ml_p & (ml_t == 1), axis=2))
    assert_counts(multilabel_counts(ml_p, ml_t), *as_np(per.total()))
    # one bad value is found by whichever thread reads it (threaded part, remainder row)
    target[1000] = 255  # ignored: its prediction does not count
    for pos in (600_000, n - 7):
        bad = pred.astype(np.uint8)
        bad[pos], bad[1000] = 2, 3
        target[pos] = 1
        with pytest.raises(ioukit.InputError, match=r"1 element\(s\) with other values \[2\]"):
            binary_counts(bad, target, ignore_index=255)


def test_non_contiguous_numpy_input():
    rng = np.random.default_rng(4)
    target = rng.integers(0, 3, (6, 8))
    pred = rng.integers(0, 3, (8, 6)).T  # Fortran-ordered view
    cm = ioukit.multiclass_confusion_matrix(pred, target, num_classes=3)
    np.testing.assert_array_equal(cm, oracle_confusion(pred, target, 3))
    c = binary_counts(pred[:, ::2] % 2, target[:, ::2] % 2)
    t, p = target[:, ::2] % 2, pred[:, ::2] % 2
    assert_counts(
        c,
        [np.sum(t & p)],
        [np.sum(p & (1 - t))],
        [np.sum(t & (1 - p))],
        [np.sum((1 - t) & (1 - p))],
    )
