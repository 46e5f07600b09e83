"""One-call Jaccard of label arrays: the seed examples and every option, by hand, on every
library of the matrix; the multilabel seed also against scikit-learn."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import ioukit


def value(xp: Any, x: Any) -> Any:
    out = xp.to_numpy(x)
    return float(out) if out.ndim == 0 else out


# ----------------------------------------------------------------------------------- binary


def test_binary_seed(xp):
    # y_true [1, 1, 0, 0, 1, 0] vs y_pred [1, 0, 0, 0, 1, 1]: (tp, fp, fn, tn) = (2, 1, 1, 2)
    # J = 2 / (2 + 1 + 1) = 0.5
    pred, target = xp.asarray([1, 0, 0, 0, 1, 1]), xp.asarray([1, 1, 0, 0, 1, 0])
    j = ioukit.binary_jaccard(pred, target)
    xp.check(j, like=target)
    assert tuple(j.shape) == ()
    assert value(xp, j) == 0.5
    # IoU is symmetric in its arguments
    assert value(xp, ioukit.binary_jaccard(target, pred)) == 0.5


def test_binary_masks_2d(xp):
    # a 3x3 square of ones vs the same square moved one column right, in a 4x5 image
    # |P| = |T| = 9, overlap = 3 rows x 2 columns = 6, union = 9 + 9 - 6 = 12 -> J = 1/2
    t = np.zeros((4, 5), dtype=np.uint8)
    p = np.zeros((4, 5), dtype=np.uint8)
    t[0:3, 0:3] = 1
    p[0:3, 1:4] = 1
    assert value(xp, ioukit.binary_jaccard(xp.asarray(p), xp.asarray(t))) == 0.5
    # as bool masks
    assert value(xp, ioukit.binary_jaccard(xp.asarray(p, "bool"), xp.asarray(t, "bool"))) == 0.5


def test_binary_per_sample(xp):
    # sample 0: p [1,1,0] t [1,1,1] -> tp 2 fp 0 fn 1 -> 2/3
    # sample 1: p [0,1,1] t [0,1,0] -> tp 1 fp 1 fn 0 -> 1/2
    # sample 2: empty prediction and target -> 0/0
    pred = xp.asarray([[1, 1, 0], [0, 1, 1], [0, 0, 0]])
    target = xp.asarray([[1, 1, 1], [0, 1, 0], [0, 0, 0]])
    j = ioukit.binary_jaccard(pred, target, per_sample=True)
    xp.check(j, like=target)
    assert tuple(j.shape) == (3,)
    np.testing.assert_allclose(value(xp, j), [2 / 3, 0.5, math.nan])
    j1 = ioukit.binary_jaccard(pred, target, per_sample=True, zero_division=1.0)
    np.testing.assert_allclose(value(xp, j1), [2 / 3, 0.5, 1.0])
    # dataset level: tp 3, fp 1, fn 1 -> 3/5
    assert value(xp, ioukit.binary_jaccard(pred, target)) == pytest.approx(3 / 5)


def test_binary_sample_weight(xp):
    # per-sample counts as above (samples 0 and 1), weights (1, 3):
    # tp = 2 + 3*1 = 5, fp = 0 + 3*1 = 3, fn = 1 + 0 = 1 -> J = 5/9
    pred = xp.asarray([[1, 1, 0], [0, 1, 1]])
    target = xp.asarray([[1, 1, 1], [0, 1, 0]])
    got = ioukit.binary_jaccard(pred, target, sample_weight=xp.asarray([1.0, 3.0]))
    assert value(xp, got) == pytest.approx(5 / 9)


def test_binary_threshold_and_ignore(xp):
    # scores [0.9, 0.2, 0.7] >= 0.5 -> [1, 0, 1] vs target [1, 0, 0]: tp 1 fp 1 -> 1/2
    assert (
        value(
            xp,
            ioukit.binary_jaccard(
                xp.asarray([0.9, 0.2, 0.7]), xp.asarray([1, 0, 0]), threshold=0.5
            ),
        )
        == 0.5
    )
    # the same with the false positive's target ignored: tp 1 -> 1/1
    assert (
        value(
            xp,
            ioukit.binary_jaccard(
                xp.asarray([0.9, 0.2, 0.7]),
                xp.asarray([1, 0, 255]),
                threshold=0.5,
                ignore_index=255,
            ),
        )
        == 1.0
    )


def test_binary_empty_masks(xp):
    # nothing predicted, nothing to find: 0/0
    z = xp.asarray([0, 0, 0])
    assert math.isnan(value(xp, ioukit.binary_jaccard(z, z)))
    assert value(xp, ioukit.binary_jaccard(z, z, zero_division=1.0)) == 1.0
    with pytest.warns(ioukit.UndefinedMetricWarning):
        assert value(xp, ioukit.binary_jaccard(z, z, zero_division="warn")) == 0.0


# ------------------------------------------------------------------------------- multiclass


def test_multiclass_seed(xp):
    # pred [0, 2, 2, 1, 1, 0] vs target [0, 1, 2, 2, 1, 0] (3 classes)
    # per class J = tp / (tp + fp + fn): class 0 2/2, class 1 1/3, class 2 1/3
    # macro = (1 + 1/3 + 1/3) / 3 = 5/9 = 0.5556; micro = 4 / (4 + 2 + 2) = 0.5
    # weighted: supports (2, 2, 2) -> the macro value 5/9
    pred, target = xp.asarray([0, 2, 2, 1, 1, 0]), xp.asarray([0, 1, 2, 2, 1, 0])

    def mj(**kw: Any) -> Any:
        out = ioukit.multiclass_jaccard(pred, target, num_classes=3, **kw)
        xp.check(out, like=target)
        return value(xp, out)

    assert mj() == pytest.approx(5 / 9)
    assert round(mj(average="macro"), 4) == 0.5556
    assert mj(average="micro") == 0.5
    assert mj(average="weighted") == pytest.approx(5 / 9)
    np.testing.assert_allclose(mj(average="none"), [1.0, 1 / 3, 1 / 3])
    # "samples" treats every element of a 1-D input as a sample: 4 of 6 are correct (J = 1),
    # the others have J = 0 / (0 + 1 + 1) = 0 -> 4/6
    assert mj(average="samples") == pytest.approx(2 / 3)


def test_multiclass_absent_class(xp):
    # class 3 appears nowhere: NaN per class and skipped by macro (default zero_division)
    pred, target = xp.asarray([0, 2, 2, 1, 1, 0]), xp.asarray([0, 1, 2, 2, 1, 0])
    none = ioukit.multiclass_jaccard(pred, target, num_classes=4, average="none")
    np.testing.assert_allclose(value(xp, none), [1.0, 1 / 3, 1 / 3, math.nan])
    assert value(xp, ioukit.multiclass_jaccard(pred, target, num_classes=4)) == pytest.approx(5 / 9)
    # with zero_division=1 it counts: (1 + 1/3 + 1/3 + 1) / 4 = 2/3
    assert value(xp, ioukit.multiclass_jaccard(pred, target, num_classes=4, zero_division=1)) == (
        pytest.approx(2 / 3)
    )
    # with "warn" it is 0 and warns: (1 + 1/3 + 1/3 + 0) / 4 = 5/12
    with pytest.warns(ioukit.UndefinedMetricWarning):
        got = ioukit.multiclass_jaccard(pred, target, num_classes=4, zero_division="warn")
    assert value(xp, got) == pytest.approx(5 / 12)


def test_multiclass_ignore(xp):
    # seed with target[3] = 255 (it was a class-2 element predicted as 1):
    # kept (t,p): (0,0) (1,2) (2,2) (1,1) (0,0)
    # class 0: 2/2; class 1: tp 1, fn 1 -> 1/2; class 2: tp 1, fp 1 -> 1/2
    # macro = (1 + 1/2 + 1/2) / 3 = 2/3
    pred, target = xp.asarray([0, 2, 2, 1, 1, 0]), xp.asarray([0, 1, 2, 255, 1, 0])
    got = ioukit.multiclass_jaccard(pred, target, num_classes=3, ignore_index=255, average="none")
    np.testing.assert_allclose(value(xp, got), [1.0, 0.5, 0.5])
    # ignore (0, 255): class 0 is ignored -> [nan, 1/2, 1/2], macro = 1/2
    # micro over classes 1, 2: tp 2, fp + fn = 2 -> 2/4
    for avg, want in (("macro", 0.5), ("micro", 0.5), ("weighted", 0.5)):
        got = ioukit.multiclass_jaccard(
            pred, target, num_classes=3, ignore_index=(0, 255), average=avg
        )
        assert value(xp, got) == pytest.approx(want), avg


def test_multiclass_samples_with_weights(xp):
    # sample 0: pred [0,1,2] target [0,1,2] -> all correct, J = 1
    # sample 1: pred [1,1,0] target [2,1,0] -> tp 2 (classes 1 and 0), fp 1, fn 1 -> 2/4
    # samples = (1 + 1/2) / 2 = 3/4; weights (1, 3): (1 + 3/2) / 4 = 5/8
    pred = xp.asarray([[0, 1, 2], [1, 1, 0]])
    target = xp.asarray([[0, 1, 2], [2, 1, 0]])
    got = ioukit.multiclass_jaccard(pred, target, num_classes=3, average="samples")
    assert value(xp, got) == pytest.approx(0.75)
    got = ioukit.multiclass_jaccard(
        pred, target, num_classes=3, average="samples", sample_weight=xp.asarray([1.0, 3.0])
    )
    assert value(xp, got) == pytest.approx(5 / 8)


def test_multiclass_class_axis(xp):
    # one-hot-ish scores of the multiclass seed prediction, classes on axis 1: same result
    pred = np.array([0, 2, 2, 1, 1, 0])
    scores = np.eye(3)[pred] * 0.8 + 0.05  # argmax = pred
    target = xp.asarray([0, 1, 2, 2, 1, 0])
    got = ioukit.multiclass_jaccard(xp.asarray(scores), target, num_classes=3, class_axis=1)
    assert value(xp, got) == pytest.approx(5 / 9)


# ------------------------------------------------------------------------------- multilabel

# Multilabel seed, found once by a brute-force search over 4x3 0/1 matrices (per label the
# columns were enumerated, then combined and checked against every average):
#
#   y_true = [[0, 0, 0],      y_pred = [[0, 0, 0],
#             [0, 1, 0],                [0, 1, 0],
#             [1, 1, 0],                [0, 1, 0],
#             [1, 0, 1]]                [1, 1, 1]]
#
# per label (column): label 0: t [0,0,1,1] p [0,0,0,1] -> 1/2
#                     label 1: t [0,1,1,0] p [0,1,1,1] -> 2/3
#                     label 2: t [0,0,0,1] p [0,0,0,1] -> 1/1
# macro    = (1/2 + 2/3 + 1) / 3 = 13/18 = 0.7222
# micro    = (1 + 2 + 1) / (2 + 3 + 1) = 4/6 = 0.6667
# weighted = supports (2, 2, 1): (2*1/2 + 2*2/3 + 1*1) / 5 = 2/3 = 0.6667
# samples  = per row: row 0 empty -> zero_division 1; row 1 {1} vs {1} -> 1;
#            row 2 {0,1} vs {1} -> 1/2; row 3 {0,2} vs {0,1,2} -> 2/3
#            mean = (1 + 1 + 1/2 + 2/3) / 4 = 19/24 = 0.7917
ML_TRUE = [[0, 0, 0], [0, 1, 0], [1, 1, 0], [1, 0, 1]]
ML_PRED = [[0, 0, 0], [0, 1, 0], [0, 1, 0], [1, 1, 1]]
ML_EXPECTED = {
    "samples": 19 / 24,
    "micro": 2 / 3,
    "macro": 13 / 18,
    "weighted": 2 / 3,
    "none": [0.5, 2 / 3, 1.0],
}


@pytest.mark.parametrize("average", list(ML_EXPECTED))
def test_multilabel_seed(xp, average):
    want = ML_EXPECTED[average]
    target, pred = xp.asarray(ML_TRUE), xp.asarray(ML_PRED)
    got = ioukit.multilabel_jaccard(pred, target, average=average, zero_division=1.0)
    xp.check(got, like=target)
    np.testing.assert_allclose(value(xp, got), want, rtol=1e-12)


def test_multilabel_seed_rounded():
    # the seed numbers as usually quoted
    got = {
        avg: np.round(
            ioukit.multilabel_jaccard(ML_PRED, ML_TRUE, average=avg, zero_division=1.0), 4
        )
        for avg in ML_EXPECTED
    }
    assert got["samples"] == 0.7917
    assert got["micro"] == 0.6667
    assert got["macro"] == 0.7222
    assert got["weighted"] == 0.6667
    assert got["none"].tolist() == [0.5, 0.6667, 1.0]
    # with the default zero_division="nan", the empty row 0 is left out of "samples":
    # (1 + 1/2 + 2/3) / 3 = 13/18
    assert float(ioukit.multilabel_jaccard(ML_PRED, ML_TRUE, average="samples")) == (
        pytest.approx(13 / 18)
    )


@pytest.mark.parametrize("average", ["samples", "micro", "macro", "weighted", None])
def test_multilabel_seed_matches_sklearn(average):
    metrics = pytest.importorskip("sklearn.metrics")
    # scikit-learn's argument order is (y_true, y_pred); ioukit's is (pred, target)
    want = metrics.jaccard_score(ML_TRUE, ML_PRED, average=average, zero_division=1)
    got = ioukit.multilabel_jaccard(
        np.array(ML_PRED), np.array(ML_TRUE), average=average or "none", zero_division=1.0
    )
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(want, ML_EXPECTED[average or "none"], rtol=1e-12)


def test_multilabel_docstring_case(xp):
    # pred [[1,1,1],[1,0,0]] vs target [[0,1,1],[1,1,0]]: per label 1/2, 1/2, 1/1
    # samples: row 0 {0,1,2} vs {1,2} -> 2/3; row 1 {0} vs {0,1} -> 1/2; mean 7/12
    pred, target = xp.asarray([[1, 1, 1], [1, 0, 0]]), xp.asarray([[0, 1, 1], [1, 1, 0]])
    np.testing.assert_allclose(
        value(xp, ioukit.multilabel_jaccard(pred, target, average="none")), [0.5, 0.5, 1.0]
    )
    assert value(xp, ioukit.multilabel_jaccard(pred, target, average="samples")) == (
        pytest.approx(7 / 12)
    )
    # micro = 3 / (3 + 1 + 1) = 3/5
    assert value(xp, ioukit.multilabel_jaccard(pred, target, average="micro")) == (
        pytest.approx(3 / 5)
    )


def test_multilabel_threshold_ignore_weights(xp):
    # scores >= 0.5 give the docstring case's pred; target[0, 0] = 255 removes its fp
    scores = xp.asarray([[0.9, 0.5, 0.6], [0.7, 0.1, 0.0]])
    target = xp.asarray([[255, 1, 1], [1, 1, 0]])
    # label 0: only row 1 (p 1, t 1) -> 1/1; labels 1, 2 as before: 1/2, 1/1
    got = ioukit.multilabel_jaccard(scores, target, threshold=0.5, ignore_index=255, average="none")
    np.testing.assert_allclose(value(xp, got), [1.0, 0.5, 1.0])
    # samples with weights (3, 1): row 0 {1,2} vs {1,2} (label 0 ignored) -> 1;
    # row 1 -> 1/2; (3*1 + 1/2) / 4 = 7/8
    got = ioukit.multilabel_jaccard(
        scores,
        target,
        threshold=0.5,
        ignore_index=255,
        average="samples",
        sample_weight=xp.asarray([3, 1]),
    )
    assert value(xp, got) == pytest.approx(7 / 8)
