"""ioukit.sklearn's surface without scikit-learn: parameter validation (scikit-learn's messages),
argument binding, the warning class, and an import that pulls in neither scikit-learn nor scipy
(checked in fresh interpreters).
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import ioukit.sklearn as twins
from ioukit import ParameterError, UndefinedMetricWarning
from ioukit.sklearn import (
    InvalidParameterError,
    confusion_matrix,
    jaccard_score,
    multilabel_confusion_matrix,
)

BOOL = "an instance of 'bool' or an instance of 'numpy.bool'"


def _raises(message: str) -> Any:
    return pytest.raises(InvalidParameterError, match=f"^{re.escape(message)}$")


def test_public_names() -> None:
    assert twins.__all__ == [
        "InvalidParameterError",
        "confusion_matrix",
        "jaccard_score",
        "multilabel_confusion_matrix",
        "precision_recall_curve",
        "roc_curve",
    ]
    for name in twins.__all__:
        assert getattr(twins, name).__doc__, name
    # the error is both a ValueError and a TypeError, like scikit-learn's
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)
    assert issubclass(InvalidParameterError, ParameterError)  # ioukit's error tree


def test_signatures() -> None:
    # scikit-learn's parameter names, defaults and kinds (options keyword-only)
    sig = inspect.signature(jaccard_score)
    assert list(sig.parameters) == [
        "y_true",
        "y_pred",
        "labels",
        "pos_label",
        "average",
        "sample_weight",
        "zero_division",
    ]
    assert sig.parameters["average"].default == "binary"
    assert sig.parameters["zero_division"].default == "warn"
    assert sig.parameters["labels"].kind is inspect.Parameter.KEYWORD_ONLY
    roc = inspect.signature(twins.roc_curve).parameters
    prc = inspect.signature(twins.precision_recall_curve).parameters
    names = ["y_true", "y_score", "pos_label", "sample_weight", "drop_intermediate"]
    assert list(roc) == list(prc) == names
    assert roc["drop_intermediate"].default is True
    assert prc["drop_intermediate"].default is False


def test_invalid_parameters() -> None:
    with _raises(
        "The 'zero_division' parameter of jaccard_score must be a float among {0, 1} or a str "
        "among {'warn'}. Got 0.5 instead."
    ):
        jaccard_score([0, 1], [0, 1], zero_division=0.5)
    with _raises(
        "The 'pos_label' parameter of jaccard_score must be an instance of 'float', an instance "
        f"of 'str', {BOOL} or None. Got [1] instead."
    ):
        jaccard_score([0, 1], [0, 1], pos_label=[1])
    with _raises(
        "The 'labels' parameter of jaccard_score must be an array-like or None. Got 5 instead."
    ):
        jaccard_score([0, 1], [0, 1], labels=5)
    with _raises(
        "The 'y_pred' parameter of jaccard_score must be an array-like or a sparse array or "
        "matrix. Got 'ab' instead."
    ):
        jaccard_score([0, 1], "ab")
    with _raises(
        f"The 'samplewise' parameter of multilabel_confusion_matrix must be {BOOL}. Got 1 instead."
    ):
        multilabel_confusion_matrix([0, 1], [0, 1], samplewise=1)
    with _raises(
        "The 'labels' parameter of confusion_matrix must be an array-like or None. Got 3 instead."
    ):
        confusion_matrix([0, 1], [0, 1], labels=3)
    # the options of a set are listed in set order, as scikit-learn does
    pattern = (
        r"^The 'average' parameter of jaccard_score must be a str among \{[a-z', ]+\} or None\. "
        r"Got 'foo' instead\.$"
    )
    with pytest.raises(InvalidParameterError, match=pattern) as info:
        jaccard_score([0, 1], [0, 1], average="foo")
    listed = re.search(r"\{(.*)\}", str(info.value))
    assert listed is not None
    assert sorted(listed.group(1).split(", ")) == [
        "'binary'",
        "'macro'",
        "'micro'",
        "'samples'",
        "'weighted'",
    ]
    with pytest.raises(InvalidParameterError, match=r"'normalize' parameter of confusion_matrix"):
        confusion_matrix([0, 1], [0, 1], normalize="x")
    # accepted values of the same parameters
    assert jaccard_score([0, 1], [0, 1], zero_division=np.float64(1.0)) == 1.0
    assert jaccard_score([0, 1], [0, 1], pos_label=np.int64(1)) == 1.0


def test_binding_errors() -> None:
    # Python's own binding errors, as with scikit-learn's decorator
    with pytest.raises(TypeError, match="missing a required argument: 'y_pred'"):
        jaccard_score([0, 1])  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="too many positional arguments"):
        jaccard_score([0, 1], [0, 1], "macro")  # type: ignore[misc]
    with pytest.raises(TypeError, match="got an unexpected keyword argument 'foo'"):
        jaccard_score([0, 1], [0, 1], foo=1)  # type: ignore[call-arg]


def _python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return result.stdout.strip()


def test_import_pulls_in_neither_sklearn_nor_scipy() -> None:
    code = (
        "import sys, ioukit, ioukit.sklearn\n"
        "print(sorted(m for m in ('sklearn', 'scipy', 'numba') if m in sys.modules))"
    )
    assert _python(code) == "[]"


def test_warning_class_without_sklearn() -> None:
    # without scikit-learn in sys.modules (absent, or blocked), the class is exactly ioukit's
    code = (
        "import sys, warnings\n"
        "{block}"
        "from ioukit.sklearn import jaccard_score\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    jaccard_score(['a', 'a'], ['a', 'a'])\n"
        "import ioukit\n"
        "print(w[0].category is ioukit.UndefinedMetricWarning, 'sklearn' in sys.modules)"
    )
    assert _python(code.format(block="")) == "True False"
    blocked = code.format(block="sys.modules['sklearn'] = None\n")
    assert _python(blocked) == "True True"


def test_warning_is_ioukits() -> None:
    # ioukit's class in every case (a subclass of it while scikit-learn is imported)
    with pytest.warns(UndefinedMetricWarning, match="Jaccard is ill-defined") as record:
        jaccard_score(["a", "a"], ["a", "a"])  # pos_label 1 is not a label: 0/0
    assert len(record) == 1
    assert issubclass(record[0].category, UserWarning)
