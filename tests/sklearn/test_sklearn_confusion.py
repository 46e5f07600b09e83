"""ioukit.sklearn.confusion_matrix and multilabel_confusion_matrix by hand: labels, normalize,
integer / floating / object sample weights, samplewise. No scikit-learn needed.
"""

from __future__ import annotations

import numpy as np
import pytest

from ioukit.sklearn import confusion_matrix, multilabel_confusion_matrix

# pairs (true, pred): (2,0) (0,0) (2,2) (2,2) (0,0) (1,2)
T = [2, 0, 2, 2, 0, 1]
P = [0, 0, 2, 2, 0, 2]
# rows = true, columns = predicted
CM = [[2, 0, 0], [0, 0, 1], [1, 0, 2]]
STR_T = ["cat", "ant", "cat", "cat", "ant", "bird"]
STR_P = ["ant", "ant", "cat", "cat", "ant", "cat"]


def test_counts_and_labels() -> None:
    cm = confusion_matrix(T, P)
    assert cm.dtype == np.int64
    assert cm.tolist() == CM
    # labels pick rows and columns in their order: [[C22, C20], [C02, C00]]
    assert confusion_matrix(T, P, labels=[2, 0]).tolist() == [[2, 1], [0, 2]]
    # a label absent from the data gives a zero row and column
    assert confusion_matrix(T, P, labels=[0, 5]).tolist() == [[2, 0], [0, 0]]
    # strings: ant -> ant twice; bird -> cat; cat -> ant once, cat twice
    cm = confusion_matrix(STR_T, STR_P, labels=["ant", "bird", "cat"])
    assert cm.tolist() == [[2, 0, 0], [0, 0, 1], [1, 0, 2]]
    # binary: tn, fp, fn, tp in ravel order; pairs (0,1) (1,1) (0,1) (1,0)
    assert confusion_matrix([0, 1, 0, 1], [1, 1, 1, 0]).ravel().tolist() == [0, 2, 1, 1]


def test_normalize() -> None:
    # rows sums 2, 1, 3
    np.testing.assert_allclose(
        confusion_matrix(T, P, normalize="true"), [[1, 0, 0], [0, 0, 1], [1 / 3, 0, 2 / 3]]
    )
    # column sums 3, 0, 3: the empty column stays 0 (0/0 -> 0)
    np.testing.assert_allclose(
        confusion_matrix(T, P, normalize="pred"),
        [[2 / 3, 0, 0], [0, 0, 1 / 3], [1 / 3, 0, 2 / 3]],
    )
    np.testing.assert_allclose(confusion_matrix(T, P, normalize="all"), np.array(CM) / 6)
    assert confusion_matrix(T, P, normalize="all").dtype == np.float64


def test_sample_weight() -> None:
    w = [1, 2, 3, 4, 5, 6]
    # (0,0): w2 + w5 = 2 + 5 ; (1,2): w6 ; (2,0): w1 ; (2,2): w3 + w4 = 3 + 4
    cm = confusion_matrix(T, P, sample_weight=w)
    assert cm.dtype == np.int64
    assert cm.tolist() == [[7, 0, 0], [0, 0, 6], [1, 0, 7]]
    cm = confusion_matrix(T, P, sample_weight=np.array(w) / 2)
    assert cm.dtype == np.float64
    assert cm.tolist() == [[3.5, 0, 0], [0, 0, 3.0], [0.5, 0, 3.5]]
    # normalize with weights: row 2 is 1 and 7 over 8
    np.testing.assert_allclose(
        confusion_matrix(T, P, sample_weight=w, normalize="true")[2], [1 / 8, 0, 7 / 8]
    )
    with pytest.raises(ValueError, match="at least one non-zero number"):
        confusion_matrix(T, P, sample_weight=[0] * 6)
    with pytest.raises(ValueError, match=r"Input sample_weight contains NaN\."):
        confusion_matrix([0, 1], [0, 1], sample_weight=[1.0, np.nan])


def test_object_sample_weight() -> None:
    # as scikit-learn: object weights are summed as float64
    # pairs (0,0) w 1 ; (1,1) w 2.5 ; (1,0) w 1
    cm = confusion_matrix([0, 1, 1], [0, 1, 0], sample_weight=np.array([1, 2.5, 1], dtype=object))
    assert cm.dtype == np.float64
    assert cm.tolist() == [[1.0, 0.0], [1.0, 2.5]]
    # integer objects are floats too (scikit-learn keeps int64 only for integer dtypes)
    cm = confusion_matrix([0, 1, 1], [0, 1, 0], sample_weight=np.array([1, 2, 1], dtype=object))
    assert cm.dtype == np.float64
    assert cm.tolist() == [[1.0, 0.0], [1.0, 2.0]]
    # None becomes NaN in float64, and NaN cells are reported as 0 (nan_to_num)
    cm = confusion_matrix([0, 1, 1], [0, 1, 0], sample_weight=np.array([None, 1, 1], dtype=object))
    assert cm.tolist() == [[0.0, 0.0], [1.0, 1.0]]
    # a sample dropped by `labels` is never converted: its weight may be anything
    cm = confusion_matrix(
        [0, 1, 2], [0, 1, 2], labels=[0, 1], sample_weight=np.array([2, 3, "x"], dtype=object)
    )
    assert cm.tolist() == [[2.0, 0.0], [0.0, 3.0]]
    with pytest.raises(ValueError, match=r"^Input contains NaN$"):
        confusion_matrix([0, 1], [0, 1], sample_weight=np.array([1, np.nan], dtype=object))
    with pytest.raises(ValueError, match="could not convert string to float: 'a'"):
        confusion_matrix([0, 1], [0, 1], sample_weight=np.array([1, "a"], dtype=object))


def test_confusion_errors_and_warnings() -> None:
    with pytest.warns(UserWarning, match="A single label was found in 'y_true' and 'y_pred'"):
        assert confusion_matrix([0, 0], [0, 0]).tolist() == [[2]]
    with pytest.raises(ValueError, match=r"'labels' should contain at least one label\."):
        confusion_matrix(T, P, labels=[])
    with pytest.raises(ValueError, match="At least one label specified must be in y_true"):
        confusion_matrix(T, P, labels=[7])
    with pytest.raises(ValueError, match="multilabel-indicator is not supported"):
        confusion_matrix(np.eye(2, dtype=int), np.eye(2, dtype=int))
    with pytest.raises(ValueError, match=r"Found array with dim 3, while dim <= 2 is required."):
        confusion_matrix(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="Found empty input array"):
        confusion_matrix([], [], labels=[1, 2])


def test_multilabel_confusion_matrix() -> None:
    t = np.array([[1, 0, 1], [0, 1, 0]])
    p = np.array([[1, 0, 0], [0, 1, 1]])
    # entry k: [[tn, fp], [fn, tp]] of column k
    # column 0: tp 1 (row 0), tn 1 ; column 1: tp 1 (row 1), tn 1 ; column 2: fn row 0, fp row 1
    mcm = multilabel_confusion_matrix(t, p)
    assert mcm.dtype == np.int64
    assert mcm.tolist() == [[[1, 0], [0, 1]], [[1, 0], [0, 1]], [[0, 1], [1, 0]]]
    # samplewise: row 0 true {0, 2}, pred {0} -> tp 1, fn 1, tn 3 - 2 = 1
    #             row 1 true {1}, pred {1, 2} -> tp 1, fp 1, tn 1
    mcm = multilabel_confusion_matrix(t, p, samplewise=True)
    assert mcm.tolist() == [[[1, 0], [1, 1]], [[1, 1], [0, 1]]]
    # labels: columns 2 then 0
    assert multilabel_confusion_matrix(t, p, labels=[2, 0]).tolist() == [
        [[0, 1], [1, 0]],
        [[1, 0], [0, 1]],
    ]
    # multiclass targets, one-vs-rest: ant true {1, 4} pred {0, 1, 4} -> tp 2, fp 1, tn 3;
    # bird true {5} -> fn 1, tn 5; cat true {0, 2, 3} pred {2, 3, 5} -> tp 2, fp 1, fn 1, tn 2
    mcm = multilabel_confusion_matrix(STR_T, STR_P, labels=["ant", "bird", "cat"])
    assert mcm.tolist() == [[[3, 1], [0, 2]], [[5, 0], [1, 0]], [[2, 1], [1, 2]]]


def test_multilabel_confusion_matrix_weights() -> None:
    # y_true [0, 1, 1], y_pred [1, 1, 0], weights 1, 2, 3 (total 6)
    # class 0: true at sample 0, predicted at sample 2 -> tp 0, fp w2 = 3, fn w0 = 1,
    #          tn 6 - 3 - 1 = 2
    # class 1: true at samples 1, 2, predicted at samples 0, 1 -> tp w1 = 2, fp w0 = 1,
    #          fn w2 = 3, tn 6 - 2 - 1 - 3 = 0
    mcm = multilabel_confusion_matrix([0, 1, 1], [1, 1, 0], sample_weight=[1, 2, 3])
    assert mcm.tolist() == [[[2, 3], [1, 0]], [[0, 1], [3, 2]]]
    # multilabel rows weighted 1 and 3: column 0 of t, p below is true at row 1 only and
    # predicted at both rows -> tp 3, fp 1
    t = np.array([[0, 1], [1, 1]])
    p = np.array([[1, 1], [1, 0]])
    mcm = multilabel_confusion_matrix(t, p, sample_weight=np.array([1.0, 3.0]))
    assert mcm.dtype == np.float64
    # column 1: true at both rows, predicted at row 0 -> tp 1, fn 3
    assert mcm.tolist() == [[[0.0, 1.0], [0.0, 3.0]], [[0.0, 0.0], [3.0, 1.0]]]
    with pytest.raises(ValueError, match="Samplewise metrics are not available outside"):
        multilabel_confusion_matrix([0, 1], [0, 1], samplewise=True)
    with pytest.raises(ValueError, match=r"All labels must be in \[0, n labels\)"):
        multilabel_confusion_matrix(t, p, labels=[2])
