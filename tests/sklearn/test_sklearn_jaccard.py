"""ioukit.sklearn.jaccard_score by hand: every average, zero_division, labels, pos_label,
multilabel targets and sample weights. No scikit-learn needed (tests/reference/ compares with it).
"""

from __future__ import annotations

import numpy as np
import pytest

from ioukit import UndefinedMetricWarning
from ioukit.sklearn import jaccard_score

# multiclass: pairs (true, pred) = (0,0) (1,2) (2,2) (2,1) (1,1) (0,1)
MC_T = [0, 1, 2, 2, 1, 0]
MC_P = [0, 2, 2, 1, 1, 1]
# class 0: true {0, 5}, pred {0}          -> tp 1, fp 0, fn 1 -> 1/2
# class 1: true {1, 4}, pred {3, 4, 5}    -> tp 1, fp 2, fn 1 -> 1/4
# class 2: true {2, 3}, pred {1, 2}       -> tp 1, fp 1, fn 1 -> 1/3
MC_PER_CLASS = [1 / 2, 1 / 4, 1 / 3]

# multilabel (2 samples, 3 labels)
ML_T = np.array([[0, 1, 1], [1, 1, 0]])
ML_P = np.array([[1, 1, 1], [1, 0, 0]])
# column 0: true {1}, pred {0, 1} -> 1/2 ; column 1: true {0, 1}, pred {0} -> 1/2
# column 2: true {0}, pred {0}    -> 1
# row 0: true {1, 2}, pred {0, 1, 2} -> 2/3 ; row 1: true {0, 1}, pred {0} -> 1/2


def test_binary() -> None:
    # tp at 1, 4; fp at 3; fn at 2 -> 2 / (2 + 1 + 1)
    assert jaccard_score([0, 1, 1, 0, 1], [0, 1, 0, 1, 1]) == 0.5
    # pos_label=0: true {0, 3}, pred {0, 2} -> tp 1, fp 1, fn 1 -> 1/3
    assert jaccard_score([0, 1, 1, 0, 1], [0, 1, 0, 1, 1], pos_label=0) == pytest.approx(1 / 3)
    # strings with pos_label: "a" true {0, 2}, pred {0} -> 1/2
    assert jaccard_score(["a", "b", "a"], ["a", "b", "b"], pos_label="a") == 0.5
    # the result of an average is a Python float
    assert type(jaccard_score([0, 1], [0, 1])) is float


def test_multiclass_averages() -> None:
    np.testing.assert_allclose(jaccard_score(MC_T, MC_P, average=None), MC_PER_CLASS)
    # micro: tp 1+1+1 = 3, fp 0+2+1 = 3, fn 1+1+1 = 3 -> 3/9
    assert jaccard_score(MC_T, MC_P, average="micro") == pytest.approx(1 / 3)
    # macro: (1/2 + 1/4 + 1/3) / 3 = 13/36
    assert jaccard_score(MC_T, MC_P, average="macro") == pytest.approx(13 / 36)
    # weighted by support 2, 2, 2: the same as macro here
    assert jaccard_score(MC_T, MC_P, average="weighted") == pytest.approx(13 / 36)
    # unequal supports: class 0 true {0,1,2} pred {0,1} -> 2/3 ; class 1 true {3} pred {2,3} -> 1/2
    # weighted: (3 * 2/3 + 1 * 1/2) / 4 = 0.625 ; macro: (2/3 + 1/2) / 2 = 7/12
    assert jaccard_score([0, 0, 0, 1], [0, 0, 1, 1], average="weighted") == 0.625
    assert jaccard_score([0, 0, 0, 1], [0, 0, 1, 1], average="macro") == pytest.approx(7 / 12)


def test_labels() -> None:
    # a subset in a new order
    np.testing.assert_allclose(
        jaccard_score(MC_T, MC_P, labels=[2, 0], average=None), [1 / 3, 1 / 2]
    )
    assert jaccard_score(MC_T, MC_P, labels=[1], average="macro") == 0.25
    # micro over labels 0 and 2 only: tp 2, fp 1, fn 2 -> 2/5
    assert jaccard_score(MC_T, MC_P, labels=[0, 2], average="micro") == pytest.approx(2 / 5)
    # a label absent from both inputs: 0/0 -> zero_division
    out = jaccard_score(MC_T, MC_P, labels=[0, 7], average=None, zero_division=1)
    np.testing.assert_allclose(out, [1 / 2, 1.0])
    # string labels: ant true {1, 4} pred {0, 1, 4} -> 2/3 ; bird true {5} -> 0 ; cat -> 2/4
    t = ["cat", "ant", "cat", "cat", "ant", "bird"]
    p = ["ant", "ant", "cat", "cat", "ant", "cat"]
    np.testing.assert_allclose(jaccard_score(t, p, average=None), [2 / 3, 0.0, 1 / 2])


def test_multilabel_averages() -> None:
    np.testing.assert_array_equal(jaccard_score(ML_T, ML_P, average=None), [0.5, 0.5, 1.0])
    # micro: tp 1+1+1 = 3, fp 1, fn 1 -> 3/5
    assert jaccard_score(ML_T, ML_P, average="micro") == 0.6
    # macro: (1/2 + 1/2 + 1) / 3 = 2/3 ; weighted by support 1, 2, 1: (1/2 + 1 + 1) / 4
    assert jaccard_score(ML_T, ML_P, average="macro") == pytest.approx(2 / 3)
    assert jaccard_score(ML_T, ML_P, average="weighted") == 0.625
    # samples: (2/3 + 1/2) / 2 = 7/12
    assert jaccard_score(ML_T, ML_P, average="samples") == pytest.approx(7 / 12)
    # labels are column indices: columns 2 and 0
    np.testing.assert_array_equal(
        jaccard_score(ML_T, ML_P, labels=[2, 0], average=None), [1.0, 0.5]
    )
    # bool and list inputs give the same numbers
    assert jaccard_score(ML_T.astype(bool), ML_P.astype(bool), average="micro") == 0.6
    assert jaccard_score(ML_T.tolist(), ML_P.tolist(), average="micro") == 0.6


def test_sample_weight() -> None:
    # binary, weights 1, 2, 3: tp = w1 = 2, fp = w0 = 1, fn = w2 = 3 -> 2/6
    w = [1, 2, 3]
    assert jaccard_score([0, 1, 1], [1, 1, 0], sample_weight=w) == pytest.approx(1 / 3)
    # float weights give the same
    assert jaccard_score([0, 1, 1], [1, 1, 0], sample_weight=[0.5, 1.0, 1.5]) == pytest.approx(
        1 / 3
    )
    # multiclass micro with weights 1, 2, 3, 4 on (0,0) (1,1) (1,2) (2,2):
    # tp = 1 + 2 + 4 = 7, fp = 3 (pred 2 for true 1), fn = 3 -> 7/13
    j = jaccard_score([0, 1, 1, 2], [0, 1, 2, 2], average="micro", sample_weight=[1, 2, 3, 4])
    assert j == pytest.approx(7 / 13)
    # samples average with weights 1, 3: (2/3 * 1 + 1/2 * 3) / 4 = 13/24
    j = jaccard_score(ML_T, ML_P, average="samples", sample_weight=[1, 3])
    assert j == pytest.approx(13 / 24)
    # per-label with weights 1, 3: column 0 tp 3, fp 1 -> 3/4; column 1 tp 1, fn 3 -> 1/4
    np.testing.assert_allclose(
        jaccard_score(ML_T, ML_P, average=None, sample_weight=[1, 3]), [3 / 4, 1 / 4, 1.0]
    )


def test_zero_division() -> None:
    # no positive in either input: 0/0
    with pytest.warns(UndefinedMetricWarning, match="ill-defined and being set to 0.0 due to"):
        assert jaccard_score([0, 0], [0, 0]) == 0.0
    assert jaccard_score([0, 0], [0, 0], zero_division=1) == 1.0
    assert jaccard_score([0, 0], [0, 0], zero_division=0.0) == 0.0  # no warning (errors here)
    # samples: row 0 empty (0/0), row 1 true {0} pred {0, 1} -> 1/2
    t = np.array([[0, 0], [1, 0]])
    p = np.array([[0, 0], [1, 1]])
    assert jaccard_score(t, p, average="samples", zero_division=1) == 0.75  # (1 + 1/2) / 2
    with pytest.warns(UndefinedMetricWarning, match="in samples with no true or predicted labels"):
        assert jaccard_score(t, p, average="samples") == 0.25  # (0 + 1/2) / 2
    # per label: label 0 has tp 1 -> 1; label 5 is absent: 0/0 -> 0.0 with a warning
    with pytest.warns(UndefinedMetricWarning, match="in labels with no true or predicted samples"):
        out = jaccard_score([0, 1], [0, 1], labels=[0, 5], average=None)
    np.testing.assert_array_equal(out, [1.0, 0.0])


def test_errors_and_warnings() -> None:
    with pytest.raises(ValueError, match=r"Target is multiclass but average='binary'"):
        jaccard_score(MC_T, MC_P)
    with pytest.raises(ValueError, match=r"Target is multilabel-indicator but average='binary'"):
        jaccard_score(ML_T, ML_P)
    with pytest.raises(ValueError, match=r"pos_label=2 is not a valid label. It should be one of"):
        jaccard_score([0, 1], [0, 1], pos_label=2)
    with pytest.raises(ValueError, match="Samplewise metrics are not available outside"):
        jaccard_score(MC_T, MC_P, average="samples")
    with pytest.raises(ValueError, match="inconsistent numbers of samples: \\[2, 1\\]"):
        jaccard_score([1, 0], [1])
    with pytest.raises(ValueError, match="Classification metrics can't handle a mix of"):
        jaccard_score([1, 0], [0.5, 0])
    with pytest.raises(ValueError, match="Mix of label input types"):
        jaccard_score(["a", "b"], [1, 0], average="macro")
    with pytest.raises(TypeError, match="labels represented as bytes is not supported"):
        jaccard_score([b"a", b"b"], [b"a", b"b"])
    with pytest.warns(UserWarning, match=r"pos_label \(set to 2\) is ignored"):
        jaccard_score(MC_T, MC_P, average="macro", pos_label=2)
