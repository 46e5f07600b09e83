"""ioukit.sklearn.precision_recall_curve and roc_curve by hand: values, drop_intermediate,
pos_label, sample weights, warnings and scikit-learn's errors. No scikit-learn needed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from ioukit._errors import InputError, UndefinedMetricWarning
from ioukit.sklearn import InvalidParameterError, precision_recall_curve, roc_curve

# descending scores 0.9 (+), 0.8 (+), 0.3 (-), 0.2 (-): tp 1, 2, 2, 2 ; fp 0, 0, 1, 2
Y = [1, 1, 0, 0]
S = [0.9, 0.8, 0.3, 0.2]


def test_twins_hand() -> None:
    p, r, thr = precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    # 0.8: 1/1 ; 0.4: 1/2 ; 0.35: 2/3 ; 0.1: 2/4 (reversed to increasing thresholds)
    np.testing.assert_allclose(p, [0.5, 2 / 3, 0.5, 1.0, 1.0])
    np.testing.assert_array_equal(r, [1.0, 1.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(thr, [0.1, 0.35, 0.4, 0.8])
    fpr, _tpr, thr = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    np.testing.assert_array_equal(thr, [np.inf, 0.8, 0.4, 0.35, 0.1])
    with pytest.warns(UndefinedMetricWarning, match="No positive class found"):
        _, r, _ = precision_recall_curve([0, 0], [0.1, 0.2])
    assert r.tolist() == [1.0, 1.0, 0.0]
    with pytest.warns(UndefinedMetricWarning, match="No negative samples"):
        fpr, _, _ = roc_curve([1, 1], [0.1, 0.2])
    assert np.isnan(fpr).all()
    # pos_label with string labels
    _, r, _ = precision_recall_curve(np.array(["a", "b", "b"]), [0.3, 0.2, 0.9], pos_label="b")
    assert r.tolist() == [1.0, 0.5, 0.5, 0.0]  # >= 0.2: 2/2, >= 0.3: 1/2, >= 0.9: 1/2


def test_roc_drop_intermediate() -> None:
    # all points: fp 0, 0, 1, 2 over N = 2 ; tp 1, 2, 2, 2 over P = 2
    fpr, tpr, thr = roc_curve(Y, S, drop_intermediate=False)
    assert thr.tolist() == [np.inf, 0.9, 0.8, 0.3, 0.2]
    assert fpr.tolist() == [0.0, 0.0, 0.0, 0.5, 1.0]
    assert tpr.tolist() == [0.0, 0.5, 1.0, 1.0, 1.0]
    # second differences x[i+1] - 2 x[i] + x[i-1]: at 0.8, fp 1 - 0 + 0 = 1 (kept); at 0.3,
    # fp 2 - 2 + 0 = 0 and tp 2 - 4 + 2 = 0: on the line from 0.8 to 0.2, so dropped
    fpr, tpr, thr = roc_curve(Y, S)
    assert thr.tolist() == [np.inf, 0.9, 0.8, 0.2]
    assert fpr.tolist() == [0.0, 0.0, 0.0, 1.0]
    assert tpr.tolist() == [0.0, 0.5, 1.0, 1.0]
    assert thr.dtype == fpr.dtype == tpr.dtype == np.float64


def test_precision_recall_drop_intermediate() -> None:
    # precision at 0.9: 1/1, 0.8: 2/2, 0.3: 2/3, 0.2: 2/4 ; recall 1/2, 1, 1, 1
    p, r, thr = precision_recall_curve(Y, S)
    assert thr.tolist() == [0.2, 0.3, 0.8, 0.9]
    np.testing.assert_allclose(p, [0.5, 2 / 3, 1.0, 1.0, 1.0])
    assert r.tolist() == [1.0, 1.0, 1.0, 0.5, 0.0]
    # tp 1, 2, 2, 2: at 0.3, tp equals the previous and the next value -> dropped
    p, r, thr = precision_recall_curve(Y, S, drop_intermediate=True)
    assert thr.tolist() == [0.2, 0.8, 0.9]
    assert p.tolist() == [0.5, 1.0, 1.0, 1.0]
    assert r.tolist() == [1.0, 1.0, 0.5, 0.0]


def test_pos_label_and_label_sets() -> None:
    # {-1, 1} needs no pos_label
    fpr, tpr, _ = roc_curve([-1, 1], [0.1, 0.2])
    assert (fpr.tolist(), tpr.tolist()) == ([0.0, 0.0, 1.0], [0.0, 1.0, 1.0])
    # pos_label=0 swaps the classes: positives at 0.3 and 0.2
    fpr, tpr, _ = roc_curve(Y, S, pos_label=0, drop_intermediate=False)
    assert fpr.tolist() == [0.0, 0.5, 1.0, 1.0, 1.0]
    assert tpr.tolist() == [0.0, 0.0, 0.0, 0.5, 1.0]
    # multiclass y_true with pos_label: the other classes are negative. 2 at 0.3 only
    p, r, thr = precision_recall_curve([0, 1, 2], [0.1, 0.2, 0.3], pos_label=2)
    assert thr.tolist() == [0.1, 0.2, 0.3]
    np.testing.assert_allclose(p, [1 / 3, 1 / 2, 1.0, 1.0])
    assert r.tolist() == [1.0, 1.0, 1.0, 0.0]
    # a pos_label absent from y_true: no positive sample
    with pytest.warns(UndefinedMetricWarning, match="No positive samples in y_true"):
        fpr, tpr, _ = roc_curve(["a", "b"], [0.1, 0.2], pos_label="c")
    assert fpr.tolist() == [0.0, 0.5, 1.0]
    assert np.isnan(tpr).all()
    # integer scores keep their dtype in the thresholds of the precision-recall curve
    _, _, thr = precision_recall_curve([0, 1, 1], np.array([3, 1, 2], dtype=np.int32))
    assert thr.dtype == np.int32
    assert thr.tolist() == [1, 2, 3]


def test_sample_weight() -> None:
    # descending 0.6 (+, w 1), 0.4 (+, w 0.5), 0.2 (-, w 2): tp 1, 1.5, 1.5 ; fp 0, 0, 2
    y, s = [0, 1, 1], [0.2, 0.6, 0.4]
    fpr, tpr, thr = roc_curve(y, s, sample_weight=[2, 1, 0.5], drop_intermediate=False)
    assert thr.tolist() == [np.inf, 0.6, 0.4, 0.2]
    assert fpr.tolist() == [0.0, 0.0, 0.0, 1.0]
    np.testing.assert_allclose(tpr, [0.0, 1 / 1.5, 1.0, 1.0])
    # precision 1/1, 1.5/1.5, 1.5/3.5 (increasing thresholds reversed)
    p, r, thr = precision_recall_curve(y, s, sample_weight=[2, 1, 0.5])
    np.testing.assert_allclose(p, [1.5 / 3.5, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(r, [1.0, 1.0, 1 / 1.5, 0.0])
    # a zero weight removes the sample, even as a threshold
    _, _, thr = roc_curve(y, s, sample_weight=[2, 1, 0], drop_intermediate=False)
    assert thr.tolist() == [np.inf, 0.6, 0.2]


def test_bad_input() -> None:
    # the existing ioukit-style errors (InputError, a ValueError) with scikit-learn's text
    with pytest.raises(InputError, match=r"pos_label is not specified"):
        roc_curve([0, 2], [0.1, 0.2])
    with pytest.raises(InputError, match=r"multiclass format is not supported"):
        roc_curve([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(InputError, match=r"inconsistent numbers of samples: \[2, 3\]"):
        precision_recall_curve([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(InputError, match=r"at least one non-zero"):
        precision_recall_curve([0, 1], [0.1, 0.2], sample_weight=[0, 0])
    with pytest.raises(InputError, match=r"y_true takes value in \{1, 2\} and pos_label"):
        roc_curve([1, 2], [0.1, 0.2])
    with pytest.raises(InputError, match=r"multilabel-indicator format is not supported"):
        roc_curve(np.eye(2, dtype=int), [0.1, 0.2])
    with pytest.raises(InputError, match=r"continuous format is not supported"):
        roc_curve([0.5, 1.0], [0.1, 0.2])
    # scikit-learn's own checks, type and text
    with pytest.raises(ValueError, match=r"^y should be a 1d array, got an array of shape"):
        roc_curve([0, 1], np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"^Input contains NaN\.$"):
        roc_curve([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match=r"^Input sample_weight contains NaN\.$"):
        roc_curve([0, 1], [0.1, 0.2], sample_weight=[1.0, np.nan])
    with pytest.raises(ValueError, match=r"^Input y_true contains NaN\.$"):
        roc_curve([0.0, np.nan], [0.1, 0.2])


BYTES = (
    "Support for labels represented as bytes is not supported. Convert the labels to a string "
    "or integer format."
)


@pytest.mark.parametrize("func", [roc_curve, precision_recall_curve])
def test_bytes_labels(func: Callable[..., Any]) -> None:
    for y_true in (np.array([b"a", b"b"]), [b"a", b"b"]):
        for kwargs in ({}, {"pos_label": "b"}):
            with pytest.raises(TypeError, match=f"^{re.escape(BYTES)}$") as info:
                func(y_true, [0.1, 0.2], **kwargs)
            assert type(info.value) is TypeError


@pytest.mark.parametrize("func", [roc_curve, precision_recall_curve])
def test_rejected_parameters(func: Callable[..., Any]) -> None:
    name = func.__name__
    pos_types = (
        "an instance of 'float', an instance of 'str', an instance of 'bool' or an instance of "
        "'numpy.bool' or None"
    )
    for value in (b"b", [1], {1}):
        message = f"The 'pos_label' parameter of {name} must be {pos_types}. Got {value!r} instead."
        with pytest.raises(InvalidParameterError, match=f"^{re.escape(message)}$"):
            func(np.array([b"a", b"b"]), [0.1, 0.2], pos_label=value)  # before the bytes check
    message = (
        f"The 'drop_intermediate' parameter of {name} must be an instance of 'bool' or an "
        "instance of 'numpy.bool'. Got 1 instead."
    )
    with pytest.raises(InvalidParameterError, match=f"^{re.escape(message)}$"):
        func([0, 1], [0.1, 0.2], drop_intermediate=1)
    message = f"The 'y_true' parameter of {name} must be an array-like. Got 5 instead."
    with pytest.raises(InvalidParameterError, match=f"^{re.escape(message)}$"):
        func(5, [0.1, 0.2])
    # accepted: numpy booleans and numbers
    func([0, 1], [0.1, 0.2], drop_intermediate=np.bool_(True), pos_label=np.int64(1))
