"""Scores from counts: every score function, every average, every zero_division mode, on
hand-made counts with the arithmetic in comments. Bodies run on every library of the matrix."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import ioukit
from ioukit import Counts, UndefinedMetricWarning

# Three classes (task "multilabel", so accuracy is (tp + tn) / total), 10 elements each:
#            tp  fp  fn  tn   support (tp + fn)
# class 0     3   1   2   4   5
# class 1     1   2   1   6   2
# class 2     0   0   0  10   0      <- absent from target and prediction: most scores are 0/0
HAND = {"tp": [3, 1, 0], "fp": [1, 2, 0], "fn": [2, 1, 0], "tn": [4, 6, 10]}


def hand_counts(xp: Any, task: str = "multilabel", **arrays: list[Any]) -> Counts:
    a = {k: xp.asarray(v, dtype="int64") for k, v in {**HAND, **arrays}.items()}
    return Counts(a["tp"], a["fp"], a["fn"], a["tn"], task=task)  # type: ignore[arg-type]


def value(xp: Any, x: Any) -> Any:
    out = xp.to_numpy(x)
    return float(out) if out.ndim == 0 else out


# Expected scores of HAND. Per class (nan = 0/0), then micro, macro (NaN skipped), weighted.
EXPECTED = {
    # J = tp / (tp + fp + fn): 3/6, 1/4, 0/0
    # micro = (3+1) / (6+4) = 0.4; macro = (0.5 + 0.25) / 2 = 0.375
    # weighted = (5*0.5 + 2*0.25) / 7 = 3/7
    ioukit.jaccard: ([0.5, 0.25, math.nan], 0.4, 0.375, 3 / 7),
    # D = 2tp / (2tp + fp + fn): 6/9, 2/5, 0/0
    # micro = 8 / (8 + 3 + 3) = 4/7; macro = (2/3 + 2/5) / 2 = 8/15
    # weighted = (5*2/3 + 2*2/5) / 7 = (50/15 + 12/15) / 7 = 62/105
    ioukit.dice: ([2 / 3, 0.4, math.nan], 4 / 7, 8 / 15, 62 / 105),
    # P = tp / (tp + fp): 3/4, 1/3, 0/0
    # micro = 4 / 7; macro = (3/4 + 1/3) / 2 = 13/24; weighted = (5*3/4 + 2*1/3) / 7 = 53/84
    ioukit.precision: ([0.75, 1 / 3, math.nan], 4 / 7, 13 / 24, 53 / 84),
    # R = tp / (tp + fn): 3/5, 1/2, 0/0
    # micro = 4 / 7; macro = (0.6 + 0.5) / 2 = 0.55; weighted = (5*0.6 + 2*0.5) / 7 = 4/7
    ioukit.recall: ([0.6, 0.5, math.nan], 4 / 7, 0.55, 4 / 7),
    # S = tn / (tn + fp): 4/5, 6/8, 10/10 (defined for the absent class)
    # micro = 20 / 23; macro = (0.8 + 0.75 + 1) / 3 = 0.85
    # weighted = (5*0.8 + 2*0.75 + 0*1) / 7 = 5.5/7
    ioukit.specificity: ([0.8, 0.75, 1.0], 20 / 23, 0.85, 5.5 / 7),
    # A = (tp + tn) / total: 7/10, 7/10, 10/10
    # micro = 24 / 30 = 0.8; macro = 0.8; weighted = (5*0.7 + 2*0.7) / 7 = 0.7
    ioukit.accuracy: ([0.7, 0.7, 1.0], 0.8, 0.8, 0.7),
}


@pytest.mark.parametrize("score", list(EXPECTED), ids=lambda f: f.__name__)
def test_scores_on_hand_counts(xp, score):
    per_class, micro, macro, weighted = EXPECTED[score]
    c = hand_counts(xp)
    none = score(c, average="none")
    xp.check(none, like=c.tp)
    np.testing.assert_allclose(value(xp, none), per_class, rtol=1e-12)
    assert value(xp, score(c, average=None)) == pytest.approx(per_class, nan_ok=True)
    for avg, want in (("micro", micro), ("macro", macro), ("weighted", weighted)):
        got = score(c, average=avg)
        xp.check(got, like=c.tp)
        assert tuple(got.shape) == ()
        assert value(xp, got) == pytest.approx(want, rel=1e-12), avg
        assert xp.to_numpy(got).dtype == np.float64


def test_fbeta(xp):
    c = hand_counts(xp)
    # beta = 2 (b² = 4): (1+4) tp / ((1+4) tp + 4 fn + fp)
    #   class 0: 15 / (15 + 8 + 1) = 15/24; class 1: 5 / (5 + 4 + 2) = 5/11
    #   micro: 20 / (20 + 4*3 + 3) = 20/35 = 4/7; macro = (15/24 + 5/11) / 2
    f2 = ioukit.fbeta(c, beta=2, average="none")
    np.testing.assert_allclose(value(xp, f2), [15 / 24, 5 / 11, math.nan])
    assert value(xp, ioukit.fbeta(c, beta=2, average="micro")) == pytest.approx(4 / 7)
    assert value(xp, ioukit.fbeta(c, beta=2)) == pytest.approx((15 / 24 + 5 / 11) / 2)
    # beta = 0.5 (b² = 0.25): class 0: 3.75 / (3.75 + 0.5 + 1) = 5/7
    #                         class 1: 1.25 / (1.25 + 0.25 + 2) = 5/14
    f05 = ioukit.fbeta(c, beta=0.5, average="none")
    np.testing.assert_allclose(value(xp, f05), [5 / 7, 5 / 14, math.nan])
    # beta = 1 is Dice
    np.testing.assert_array_equal(
        value(xp, ioukit.fbeta(c, beta=1.0, average="none")),
        value(xp, ioukit.dice(c, average="none")),
    )


# --------------------------------------------------------------------------------- zero_division


def test_zero_division_nan_is_skipped_by_averages(xp):
    c = hand_counts(xp)
    # class 2 is NaN and does not count: macro = (0.5 + 0.25) / 2
    assert value(xp, ioukit.jaccard(c, zero_division="nan")) == pytest.approx(0.375)
    assert value(xp, ioukit.jaccard(c)) == pytest.approx(0.375)  # "nan" is the default


def test_zero_division_number_is_averaged(xp):
    c = hand_counts(xp)
    # class 2 becomes 1.0: macro = (0.5 + 0.25 + 1) / 3 = 7/12
    np.testing.assert_allclose(
        value(xp, ioukit.jaccard(c, average="none", zero_division=1.0)), [0.5, 0.25, 1.0]
    )
    assert value(xp, ioukit.jaccard(c, zero_division=1.0)) == pytest.approx(7 / 12)
    # class 2 becomes 0: macro = (0.5 + 0.25 + 0) / 3 = 0.25; integers are accepted
    assert value(xp, ioukit.jaccard(c, zero_division=0)) == pytest.approx(0.25)
    # weighted: class 2 has support 0, so its value has weight 0: still 3/7
    assert value(xp, ioukit.jaccard(c, average="weighted", zero_division=1.0)) == pytest.approx(
        3 / 7
    )
    # micro never divides per class: (3+1) / (6+4) whatever zero_division is
    assert value(xp, ioukit.jaccard(c, average="micro", zero_division=1.0)) == pytest.approx(0.4)


def test_zero_division_warn(xp):
    c = hand_counts(xp)
    with pytest.warns(UndefinedMetricWarning, match=r"jaccard: the score is 0/0 for some classes"):
        j = ioukit.jaccard(c, average="none", zero_division="warn")
    np.testing.assert_array_equal(value(xp, j), [0.5, 0.25, 0.0])
    with pytest.warns(UndefinedMetricWarning, match="zero_division='nan'"):
        m = ioukit.jaccard(c, average="macro", zero_division="warn")
    # macro = (0.5 + 0.25 + 0) / 3 = 0.25
    assert value(xp, m) == pytest.approx(0.25)
    # defined everywhere: no warning (filterwarnings=error would fail the test)
    assert value(xp, ioukit.jaccard(c, average="micro", zero_division="warn")) == pytest.approx(0.4)
    assert value(xp, ioukit.specificity(c, average="macro", zero_division="warn")) == (
        pytest.approx(0.85)
    )


def test_all_nan_average_is_nan(xp):
    # nothing anywhere: every class is 0/0
    zeros = hand_counts(xp, tp=[0, 0], fp=[0, 0], fn=[0, 0], tn=[5, 5])
    for avg in ("micro", "macro", "weighted"):
        assert math.isnan(value(xp, ioukit.jaccard(zeros, average=avg))), avg
    assert value(xp, ioukit.jaccard(zeros, zero_division=0.0)) == 0.0
    assert value(xp, ioukit.jaccard(zeros, average="micro", zero_division=1.0)) == 1.0
    with pytest.warns(UndefinedMetricWarning, match="micro average"):
        assert value(xp, ioukit.jaccard(zeros, average="micro", zero_division="warn")) == 0.0
    # weighted with no support anywhere but a defined score: no weight at all -> NaN
    only_fp = hand_counts(xp, tp=[0], fp=[3], fn=[0], tn=[1])
    assert value(xp, ioukit.jaccard(only_fp, average="macro")) == 0.0
    assert math.isnan(value(xp, ioukit.jaccard(only_fp, average="weighted")))


# ---------------------------------------------------------------------------- samples average


def per_sample_counts(xp: Any, weights: Any = None) -> Counts:
    # two samples, two classes
    #   sample 0: tp [1, 0], fp [1, 0], fn [0, 1], tn [2, 3] -> J = 1 / (1+0 + 1+0 + 0+1) = 1/3
    #   sample 1: tp [2, 1], fp [0, 0], fn [0, 1], tn [2, 2] -> J = 3 / (3 + 0 + 1) = 3/4
    arrays = {
        "tp": [[1, 0], [2, 1]],
        "fp": [[1, 0], [0, 0]],
        "fn": [[0, 1], [0, 1]],
        "tn": [[2, 3], [2, 2]],
    }
    a = {k: xp.asarray(v, dtype="int64") for k, v in arrays.items()}
    w = None if weights is None else xp.asarray(weights, dtype="float64")
    return Counts(
        a["tp"], a["fp"], a["fn"], a["tn"], task="multilabel", per_sample=True, sample_weight=w
    )


def test_samples_average(xp):
    c = per_sample_counts(xp)
    # mean of (1/3, 3/4) = 13/24
    s = ioukit.jaccard(c, average="samples")
    xp.check(s, like=c.tp)
    assert value(xp, s) == pytest.approx(13 / 24)
    # weights (1, 3): (1/3 + 3 * 3/4) / 4 = 31/48
    assert value(xp, ioukit.jaccard(per_sample_counts(xp, [1, 3]), average="samples")) == (
        pytest.approx(31 / 48)
    )
    # average="none" keeps (N, C): sample 0 [1/2, 0], sample 1 [1, 1/2]
    none = ioukit.jaccard(c, average="none")
    assert tuple(none.shape) == (2, 2)
    np.testing.assert_allclose(value(xp, none), [[0.5, 0.0], [1.0, 0.5]])
    # dataset averages use the summed counts: tp [3, 1], fp [1, 0], fn [0, 2]
    # -> J = [3/4, 1/3]; macro = 13/24, micro = 4 / (4 + 1 + 2) = 4/7
    assert value(xp, ioukit.jaccard(c, average="macro")) == pytest.approx(13 / 24)
    assert value(xp, ioukit.jaccard(c, average="micro")) == pytest.approx(4 / 7)


def test_samples_average_with_weights_on_totals(xp):
    # weights (1, 3) also weight the dataset-level totals:
    # tp = [1, 0] + 3 [2, 1] = [7, 3]; fp = [1, 0]; fn = [0, 1] + 3 [0, 1] = [0, 4]
    # micro = 10 / (10 + 1 + 4) = 2/3
    c = per_sample_counts(xp, [1, 3])
    assert value(xp, ioukit.jaccard(c, average="micro")) == pytest.approx(2 / 3)


def test_samples_average_skips_undefined_samples(xp):
    # sample 1 is empty (0/0): skipped with "nan", counted with a number
    tp = xp.asarray([[1], [0]], dtype="int64")
    fp = xp.asarray([[1], [0]], dtype="int64")
    zero = xp.asarray([[0], [0]], dtype="int64")
    c = Counts(tp, fp, zero, zero, task="binary", per_sample=True)
    # sample 0: J = 1/2; sample 1: 0/0
    assert value(xp, ioukit.jaccard(c, average="samples")) == pytest.approx(0.5)
    # with zero_division=1: (1/2 + 1) / 2 = 3/4
    assert value(xp, ioukit.jaccard(c, average="samples", zero_division=1)) == pytest.approx(0.75)
    with pytest.warns(UndefinedMetricWarning, match="samples"):
        got = ioukit.jaccard(c, average="samples", zero_division="warn")
    assert value(xp, got) == pytest.approx(0.25)  # (1/2 + 0) / 2
    # all samples with weight 0: no weight at all -> NaN
    w0 = Counts(
        tp, fp, zero, zero, task="binary", per_sample=True, sample_weight=xp.asarray([0.0, 0.0])
    )
    assert math.isnan(value(xp, ioukit.jaccard(w0, average="samples")))


# ----------------------------------------------------------------------- accuracy semantics


def test_multiclass_accuracy_is_class_recall(xp):
    # target [0, 0, 0, 1], pred [0, 0, 1, 0]
    # confusion (rows = target): [[2, 1], [1, 0]]
    # per class accuracy = recall = tp / (tp + fn): class 0 2/3, class 1 0/1
    # micro = pixel accuracy = (2 + 0) / 4 = 0.5; macro = mean class accuracy = (2/3 + 0) / 2
    c = ioukit.multiclass_counts(xp.asarray([0, 0, 1, 0]), xp.asarray([0, 0, 0, 1]), num_classes=2)
    np.testing.assert_allclose(value(xp, ioukit.accuracy(c, average="none")), [2 / 3, 0.0])
    assert value(xp, ioukit.accuracy(c)) == pytest.approx(0.5)  # default average is micro
    assert value(xp, ioukit.accuracy(c, average="macro")) == pytest.approx(1 / 3)
    np.testing.assert_array_equal(
        value(xp, ioukit.accuracy(c, average="none")), value(xp, ioukit.recall(c, average="none"))
    )


def test_multiclass_accuracy_seed(xp):
    # multiclass seed: 4 of 6 elements correct -> pixel accuracy 2/3
    c = ioukit.multiclass_counts(
        xp.asarray([0, 2, 2, 1, 1, 0]), xp.asarray([0, 1, 2, 2, 1, 0]), num_classes=3
    )
    assert value(xp, ioukit.accuracy(c)) == pytest.approx(2 / 3)


def test_binary_accuracy_seed(xp):
    # binary seed (tp, fp, fn, tn) = (2, 1, 1, 2): accuracy = (2 + 2) / 6 = 2/3, J = 2/4
    c = ioukit.binary_counts(xp.asarray([1, 0, 0, 0, 1, 1]), xp.asarray([1, 1, 0, 0, 1, 0]))
    assert value(xp, ioukit.accuracy(c)) == pytest.approx(2 / 3)
    assert value(xp, ioukit.jaccard(c)) == 0.5
    assert value(xp, ioukit.jaccard(c, average="micro")) == 0.5
    # dice = 2*2 / (4 + 1 + 1) = 2/3; precision = recall = 2/3; specificity = 2/3
    for score in (ioukit.dice, ioukit.precision, ioukit.recall, ioukit.specificity):
        assert value(xp, score(c)) == pytest.approx(2 / 3), score.__name__


def test_multilabel_accuracy_is_one_minus_hamming(xp):
    # multilabel hand case: pred [[1,1,1],[1,0,0]] vs target [[0,1,1],[1,1,0]]
    # 2 of 6 entries wrong -> micro accuracy = 4/6
    c = ioukit.multilabel_counts(
        xp.asarray([[1, 1, 1], [1, 0, 0]]), xp.asarray([[0, 1, 1], [1, 1, 0]])
    )
    assert value(xp, ioukit.accuracy(c)) == pytest.approx(4 / 6)


# --------------------------------------------------------------------------- ignored classes


def test_ignored_class_is_nan_and_never_averaged(xp):
    # HAND counts with class 1 ignored (as ignore_index=1 would mark it)
    a = {k: xp.asarray(v, dtype="int64") for k, v in HAND.items()}
    c = Counts(a["tp"], a["fp"], a["fn"], a["tn"], task="multiclass", ignored_classes=(1,))
    # per class: [0.5, nan, nan]; macro = 0.5; micro = 3 / 6; weighted = 0.5
    np.testing.assert_allclose(
        value(xp, ioukit.jaccard(c, average="none")), [0.5, math.nan, math.nan]
    )
    for avg in ("micro", "macro", "weighted"):
        assert value(xp, ioukit.jaccard(c, average=avg)) == pytest.approx(0.5), avg
    # a number for 0/0 fills class 2 but never the ignored class: macro = (0.5 + 1) / 2
    np.testing.assert_allclose(
        value(xp, ioukit.jaccard(c, average="none", zero_division=1)), [0.5, math.nan, 1.0]
    )
    assert value(xp, ioukit.jaccard(c, zero_division=1)) == pytest.approx(0.75)


def test_warn_ignores_ignored_classes(xp):
    # the only 0/0 class is ignored: its score is NaN whatever zero_division says, so no warning
    a = {k: xp.asarray(v, dtype="int64") for k, v in HAND.items()}
    c = Counts(a["tp"], a["fp"], a["fn"], a["tn"], task="multiclass", ignored_classes=(2,))
    # macro = (0.5 + 0.25) / 2
    assert value(xp, ioukit.jaccard(c, zero_division="warn")) == pytest.approx(0.375)
    assert math.isnan(value(xp, ioukit.jaccard(c, average="none", zero_division="warn"))[2])


# ----------------------------------------------------------------------- F1 <-> Jaccard


def test_f1_jaccard_conversion():
    # J = F1 / (2 - F1): F1 0.5 -> 0.5 / 1.5 = 1/3; F1 1 -> 1; F1 0 -> 0
    assert ioukit.f1_to_jaccard(0.5) == pytest.approx(1 / 3)
    assert ioukit.f1_to_jaccard(1.0) == 1.0
    assert ioukit.f1_to_jaccard(0.0) == 0.0
    # F1 = 2J / (1 + J): J 0.5 -> 1 / 1.5 = 2/3
    assert ioukit.jaccard_to_f1(0.5) == pytest.approx(2 / 3)
    j = np.linspace(0, 1, 101)
    np.testing.assert_allclose(ioukit.f1_to_jaccard(ioukit.jaccard_to_f1(j)), j, atol=1e-15)
    np.testing.assert_allclose(ioukit.jaccard_to_f1(ioukit.f1_to_jaccard(j)), j, atol=1e-15)


def test_f1_jaccard_conversion_matches_per_class_scores(xp):
    c = hand_counts(xp)
    j = ioukit.jaccard(c, average="none")
    d = ioukit.dice(c, average="none")
    xp.check(ioukit.jaccard_to_f1(j), like=j)
    np.testing.assert_allclose(value(xp, ioukit.jaccard_to_f1(j)), value(xp, d), rtol=1e-14)
    np.testing.assert_allclose(value(xp, ioukit.f1_to_jaccard(d)), value(xp, j), rtol=1e-14)


def test_zero_division_float_nan_is_the_default_policy() -> None:
    # absent class 2: 0/0 → NaN with zero_division=float("nan"), exactly as with "nan"
    counts = ioukit.multiclass_counts(np.array([0, 1]), np.array([0, 0]), num_classes=3)
    a = ioukit.jaccard(counts, average="none", zero_division=float("nan"))
    b = ioukit.jaccard(counts, average="none")
    np.testing.assert_array_equal(a, b)  # [1/2, 0/1, nan]
