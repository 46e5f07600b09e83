"""ioukit.sklearn against scikit-learn: same numbers (bit for bit), same errors, same warnings.

Every test calls the scikit-learn function and its ioukit twin with the same arguments and
compares the outcomes: the returned value (type, dtype, shape and bytes), or the exception
(type and message), and the ``UserWarning``s emitted (category name and message; numpy's
incidental ``RuntimeWarning``s are not compared). Hypothesis draws the inputs; explicit cases
cover the documented edge cases.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sk_metrics = pytest.importorskip("sklearn.metrics")

from ioukit import UndefinedMetricWarning  # noqa: E402
from ioukit import sklearn as twins  # noqa: E402

pytestmark = pytest.mark.reference

FUNCS = ("jaccard_score", "confusion_matrix", "multilabel_confusion_matrix")
AVERAGES = (None, "binary", "micro", "macro", "weighted", "samples")
ZERO_DIVISIONS = ("warn", 0, 1, 0.0, 1.0)
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ------------------------------------------------------------------------------ comparison


@dataclass
class Outcome:
    value: Any
    error: BaseException | None
    warnings: list[tuple[str, str]]
    categories: list[type[Warning]]


def _run(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Outcome:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value, error = func(*args, **kwargs), None
        except Exception as exc:  # compared below
            value, error = None, exc
    user = [w for w in caught if issubclass(w.category, UserWarning)]
    return Outcome(
        value,
        error,
        [(w.category.__name__, str(w.message)) for w in user],
        [w.category for w in user],
    )


def _sorted_sets(message: str) -> str:
    """Sort the items of ``{...}`` in a message: scikit-learn lists a set of options in set
    iteration order, which depends on the process's string hashes."""
    return re.sub(
        r"\{([^{}]*)\}", lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", message
    )


def _same_value(got: Any, expected: Any) -> None:
    assert type(got) is type(expected), (type(got), type(expected))
    got_a, exp_a = np.asarray(got), np.asarray(expected)
    np.testing.assert_array_equal(got_a, exp_a, strict=True)
    if exp_a.dtype == object:  # the bytes are pointers: compare each element's type and bytes
        for g, e in zip(got_a.ravel().tolist(), exp_a.ravel().tolist(), strict=True):
            assert type(g) is type(e), (got, expected)
            assert np.asarray(g).tobytes() == np.asarray(e).tobytes(), (got, expected)
    else:
        assert got_a.tobytes() == exp_a.tobytes(), (got, expected)  # -0.0, NaN payloads, bits


def assert_same(name: str, *args: Any, **kwargs: Any) -> Outcome:
    """Call ``name`` from scikit-learn and from ioukit.sklearn and compare the outcomes."""
    expected = _run(getattr(sk_metrics, name), args, kwargs)
    got = _run(getattr(twins, name), args, kwargs)
    if expected.error is not None:
        assert got.error is not None, f"scikit-learn raised {expected.error!r}, not {got.value!r}"
        exp_type = type(expected.error)
        assert type(got.error).__name__ == exp_type.__name__, (got.error, expected.error)
        if exp_type.__name__ == "InvalidParameterError":
            assert isinstance(got.error, twins.InvalidParameterError)
            assert _sorted_sets(str(got.error)) == _sorted_sets(str(expected.error))
        else:
            assert isinstance(got.error, exp_type)
            assert str(got.error) == str(expected.error)
    else:
        assert got.error is None, f"ioukit raised {got.error!r}, not {expected.value!r}"
        _same_value(got.value, expected.value)
    assert got.warnings == expected.warnings
    for ours, theirs in zip(got.categories, expected.categories, strict=True):
        # a filter or pytest.warns on scikit-learn's class catches ours too
        assert issubclass(ours, theirs), (ours, theirs)
        if ours.__name__ == "UndefinedMetricWarning":
            assert issubclass(ours, UndefinedMetricWarning)  # and on ioukit's class
    return got


# ------------------------------------------------------------------------------ strategies

INT_DTYPES = ("int64", "int32", "int8", "uint8", "uint16")
FLOAT_DTYPES = ("float64", "float32")


@st.composite
def container(draw: st.DrawFn, values: list[Any], dtype: str | None) -> Any:
    """``values`` as an array of ``dtype``, a list, or a column vector."""
    form = draw(st.sampled_from(["array", "array", "list", "column"]))
    if form == "list":
        return [v.item() if isinstance(v, np.generic) else v for v in values]
    arr = np.asarray(values, dtype=dtype)
    return arr.reshape(-1, 1) if form == "column" else arr


@st.composite
def targets_1d(draw: st.DrawFn) -> tuple[Any, Any, list[Any]]:
    """Binary or multiclass y_true, y_pred, and the pool of values they were drawn from."""
    n = draw(st.integers(1, 24))
    kind = draw(
        st.sampled_from(["int", "int", "negative", "bool", "float", "mixed", "str", "wide"])
    )
    if kind == "str":
        pool: list[Any] = ["ant", "bird", "cat", "dog"]
        dt_t: str | None = None
        dt_p: str | None = None
    elif kind == "bool":
        pool, dt_t, dt_p = [False, True], "bool", "bool"
    elif kind == "negative":
        pool, dt_t, dt_p = [-2, -1, 0, 1, 3], "int64", draw(st.sampled_from(["int64", "int8"]))
    elif kind == "float":
        pool, dt_t, dt_p = [0.0, 1.0, 2.0, 4.0], draw(st.sampled_from(FLOAT_DTYPES)), "float64"
    elif kind == "mixed":  # integer y_true, integral floats in y_pred
        pool, dt_t, dt_p = [0, 1, 2, 3], "int64", "float64"
    elif kind == "wide":
        pool, dt_t, dt_p = [0, 3, 700, 70_000], "int64", "int64"
    else:
        pool = [0, 1, 2, 3, 4]
        dt_t = draw(st.sampled_from(INT_DTYPES))
        dt_p = draw(st.sampled_from([dt_t, "int64"]))
    k = draw(st.integers(1, len(pool)))
    sub = pool[:k] if draw(st.booleans()) else pool
    t = draw(st.lists(st.sampled_from(sub), min_size=n, max_size=n))
    p = draw(st.lists(st.sampled_from(sub), min_size=n, max_size=n))
    return draw(container(t, dt_t)), draw(container(p, dt_p)), pool


@st.composite
def targets_multilabel(draw: st.DrawFn) -> tuple[Any, Any, int]:
    """Multilabel indicator y_true, y_pred (dense, lists or sparse) and their label count."""
    n = draw(st.integers(1, 12))
    n_labels = draw(st.integers(2, 5))
    values = draw(st.sampled_from([(0, 1), (0, 1), (0, 1), (0, 2), (-1, 1)]))
    if values == (0, 1):
        dtype = draw(st.sampled_from(["int64", "bool", "float64", "float32", "uint8", "int32"]))
    else:
        dtype = draw(st.sampled_from(["int64", "float64", "int8"]))
    rows = st.lists(st.sampled_from(values), min_size=n_labels, max_size=n_labels)
    t = np.asarray(draw(st.lists(rows, min_size=n, max_size=n)), dtype=dtype)
    p = np.asarray(draw(st.lists(rows, min_size=n, max_size=n)), dtype=dtype)
    form = draw(st.sampled_from(["array", "array", "array", "list", "sparse"]))
    if form == "list":
        return t.tolist(), p.tolist(), n_labels
    if form == "sparse":
        sparse = pytest.importorskip("scipy.sparse")
        return sparse.csr_array(t), draw(st.sampled_from([p, sparse.csr_matrix(p)])), n_labels
    return t, p, n_labels


@st.composite
def sample_weights(draw: st.DrawFn, n: int) -> Any:
    kind = draw(
        st.sampled_from(["none", "none", "int", "list", "float", "float32", "signed", "object"])
    )
    if kind == "none":
        return None
    if kind in ("int", "list"):
        w = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
        return w if kind == "list" else np.asarray(w)
    if kind == "object":  # Python ints and floats in an object array
        values = st.one_of(st.integers(0, 4), st.sampled_from([0.5, 1.25, 3.0]))
        return np.asarray(draw(st.lists(values, min_size=n, max_size=n)), dtype=object)
    finite = st.floats(0, 10, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    if kind == "signed":
        finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    w = np.asarray(draw(st.lists(finite, min_size=n, max_size=n)))
    return w.astype(np.float32) if kind == "float32" else w


def _n(y: Any) -> int:
    return int(y.shape[0]) if hasattr(y, "shape") else len(y)


def labels_from(pool: list[Any], extra: list[Any]) -> st.SearchStrategy[Any]:
    """None, or a list of labels: present ones, absent ones, repeats, any order."""
    return st.one_of(
        st.none(),
        st.none(),
        st.lists(st.sampled_from(pool + extra), min_size=1, max_size=4),
        st.just([]),
    )


# ---------------------------------------------------------------------- differential tests


@SETTINGS
@given(data=st.data())
def test_jaccard_score_binary_multiclass(data: st.DataObject) -> None:
    y_true, y_pred, pool = data.draw(targets_1d())
    kwargs: dict[str, Any] = {
        "average": data.draw(st.sampled_from(AVERAGES)),
        "zero_division": data.draw(st.sampled_from(ZERO_DIVISIONS)),
        "labels": data.draw(labels_from(pool, [9, "zebra"])),
        "sample_weight": data.draw(sample_weights(_n(y_true))),
    }
    pos_label = data.draw(st.sampled_from([None, "default", *pool[:3], 9, "zebra"]))
    if pos_label != "default":
        kwargs["pos_label"] = pos_label
    assert_same("jaccard_score", y_true, y_pred, **kwargs)


@SETTINGS
@given(data=st.data())
def test_jaccard_score_multilabel(data: st.DataObject) -> None:
    y_true, y_pred, n_labels = data.draw(targets_multilabel())
    kwargs: dict[str, Any] = {
        "average": data.draw(st.sampled_from(AVERAGES)),
        "zero_division": data.draw(st.sampled_from(ZERO_DIVISIONS)),
        "labels": data.draw(labels_from(list(range(n_labels)), [n_labels, -1])),
        "sample_weight": data.draw(sample_weights(_n(y_true))),
    }
    assert_same("jaccard_score", y_true, y_pred, **kwargs)


@SETTINGS
@given(data=st.data())
def test_confusion_matrix(data: st.DataObject) -> None:
    y_true, y_pred, pool = data.draw(targets_1d())
    assert_same(
        "confusion_matrix",
        y_true,
        y_pred,
        labels=data.draw(labels_from(pool, [9, "zebra"])),
        sample_weight=data.draw(sample_weights(_n(y_true))),
        normalize=data.draw(st.sampled_from([None, "true", "pred", "all"])),
    )


@SETTINGS
@given(data=st.data())
def test_multilabel_confusion_matrix(data: st.DataObject) -> None:
    if data.draw(st.booleans()):
        y_true, y_pred, pool = data.draw(targets_1d())
        labels = data.draw(labels_from(pool, [9, "zebra"]))
    else:
        y_true, y_pred, n_labels = data.draw(targets_multilabel())
        labels = data.draw(labels_from(list(range(n_labels)), [n_labels, -1]))
    assert_same(
        "multilabel_confusion_matrix",
        y_true,
        y_pred,
        labels=labels,
        sample_weight=data.draw(sample_weights(_n(y_true))),
        samplewise=data.draw(st.booleans()),
    )


# --------------------------------------------------------------------------- explicit cases

Y3 = np.array([[0, 1, 1], [1, 0, 1], [0, 0, 1]])
P3 = np.array([[0, 1, 0], [1, 1, 1], [1, 0, 0]])
STR_T = ["cat", "ant", "cat", "cat", "ant", "bird"]
STR_P = ["ant", "ant", "cat", "cat", "ant", "cat"]

J, C, M = FUNCS
Z23 = np.zeros((2, 3))

EXPLICIT: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    # string labels and pos_label
    (J, (STR_T, STR_P), {"average": None}),
    (J, (["a", "b", "a"], ["a", "b", "b"]), {"pos_label": "a"}),
    (J, (["a", "b"], ["a", "b"]), {}),  # pos_label=1 is not a label
    (J, (["a", "a"], ["a", "a"]), {}),  # one label: pos_label=1 scores 0/0
    (J, (["a", "b"], [1, 0]), {}),  # strings and numbers mixed
    (J, ([0, 1, 1], [0, 1, 0]), {"pos_label": 0}),
    (J, ([0, 1], [0, 1]), {"pos_label": 2, "average": "macro"}),
    (J, ([0.0, 1.0], [0, 1]), {"pos_label": 2}),
    (J, ([True, False], [1, 0]), {"pos_label": 4}),
    (J, ([1, 1], [1, 1]), {"pos_label": None}),
    (C, (STR_T, STR_P), {"labels": ["ant", "bird", "cat"]}),
    (M, (STR_T, STR_P), {"labels": ["ant", "bird", "cat"]}),
    # labels: subset, order, absent, repeated, other types
    (J, ([0, 1, 2, 2], [0, 2, 1, 2]), {"labels": [2, 0, 7], "average": None}),
    (J, ([0, 1, 2], [0, 1, 1]), {"labels": [1, 1], "average": None}),
    (J, ([0, 1, 2], [0, 1, 1]), {"labels": [1.5], "average": "macro"}),
    (J, ([0, 1, 2], [0, 1, 1]), {"labels": [], "average": None}),
    (J, (["a", "b"], ["a", "b"]), {"labels": [0, 1], "average": None}),
    (J, (Y3, P3), {"labels": [2, 0], "average": None}),
    (J, (Y3, P3), {"labels": [3], "average": None}),
    (J, (Y3, P3), {"labels": [-1], "average": None}),
    (J, (Y3, P3), {"labels": [1.9], "average": None}),
    (C, ([0, 1, 2], [0, 1, 1]), {"labels": [2, 0]}),
    (C, ([0, 1, 2], [0, 1, 1]), {"labels": [1, 1]}),
    (C, ([0, 1, 2], [0, 1, 1]), {"labels": [5]}),
    (C, ([0, 1, 2], [0, 1, 1]), {"labels": []}),
    (C, ([0, 1, 2], [0, 1, 1]), {"labels": [2, 9]}),
    (M, ([0, 1, 2], [0, 1, 1]), {"labels": [2, 9]}),
    # sample_weight
    (J, ([0, 1, 1, 2], [0, 1, 2, 2]), {"average": "weighted", "sample_weight": [1, 2, 3, 4]}),
    (J, ([0, 1, 1, 2], [0, 1, 2, 2]), {"average": "micro", "sample_weight": [0.1, 0.2, 0.3, 0.7]}),
    (J, (Y3, P3), {"average": "samples", "sample_weight": [0.1, 0.7, 0.2]}),
    (J, (Y3, P3), {"average": "samples", "sample_weight": [0, 0, 0]}),
    (J, (Z23, Z23), {"average": "samples", "sample_weight": [-1, 1]}),
    (J, ([1, 0], [1, 0]), {"sample_weight": [1]}),
    (J, ([1, 0], [1, 0]), {"sample_weight": [np.nan, 1.0]}),
    (J, ([1, 0], [1, 0]), {"sample_weight": [[1], [2]]}),
    (C, ([0, 1, 1], [1, 1, 0]), {"sample_weight": [1, 2, 3]}),
    (C, ([0, 1, 1], [1, 1, 0]), {"sample_weight": [0.5, 2.0, 3.25]}),
    (C, ([0, 1, 1], [1, 1, 0]), {"sample_weight": np.array([1, 2, 3], np.uint8)}),
    (C, ([0, 1], [0, 1]), {"sample_weight": [1, -1], "normalize": "true"}),
    (M, (Y3, P3), {"sample_weight": np.array([1, 0, 3], np.uint8), "samplewise": True}),
    (M, (Y3, P3), {"sample_weight": np.array([True, False, True])}),
    (M, ([0, 1], [1, 0]), {"sample_weight": [1, 2]}),
    (M, ([0, 1], [1, 0]), {}),  # no true positive: float64
    # object sample_weight: float64 sums in confusion_matrix, a cast error in the others
    *[
        (C, ([0, 1, 1], [0, 1, 0]), {"sample_weight": np.array(w, dtype=object)})
        for w in ([1, 2.5, 1], [1, 2, 1], [True, False, True], [None, 1, 1], ["1", "2.5", "1"])
    ],
    *[
        (C, ([0, 1, 1], [0, 1, 0]), {"sample_weight": np.array(w, dtype=object)})
        for w in ([1, np.nan, 1], [1, np.inf, 1], [1, "a", 1], [1, 2, 3 + 1j], [0, 0.0, 0])
    ],
    (C, ([0, 1, 2], [0, 1, 2]), {"labels": [0, 1], "sample_weight": np.array([2, 3, "x"], "O")}),
    (C, ([0, 1, 1], [0, 1, 0]), {"sample_weight": np.array([1, 2.5, 1], "O"), "normalize": "all"}),
    (J, ([0, 1, 1], [0, 1, 0]), {"sample_weight": np.array([1, 2.5, 1], dtype=object)}),
    (J, (Y3, P3), {"average": "macro", "sample_weight": np.array([1, 2.5, 1], dtype=object)}),
    (J, (Y3, P3), {"average": "samples", "sample_weight": np.array([1, 2.5, 1], dtype=object)}),
    (M, (Y3, P3), {"sample_weight": np.array([1, 2.5, 1], dtype=object)}),
    (M, ([0, 1, 1], [0, 1, 0]), {"sample_weight": np.array([1, np.nan, 1], dtype=object)}),
    (M, (Z23, Z23), {"sample_weight": np.array([1, 2.5], dtype=object)}),  # nothing to sum
    (J, (Z23, Z23), {"average": "macro", "sample_weight": np.array([1, 2.5], dtype=object)}),
    (M, (Y3, P3), {"sample_weight": ["1", "2", "3"]}),
    (C, ([0, 1, 1], [0, 1, 0]), {"sample_weight": ["1", "2", "3"]}),
    # zero_division
    *[(J, ([0, 0], [0, 0]), {"zero_division": z}) for z in ZERO_DIVISIONS],
    *[
        (J, (Z23, Z23), {"average": a, "zero_division": z})
        for a in ("samples", "weighted", None)
        for z in ("warn", 1)
    ],
    (J, ([0, 0], [0, 0]), {"zero_division": np.float64(1.0)}),
    (J, ([0, 0], [0, 0]), {"zero_division": True}),
    # column vectors, lists, normalize
    (J, ([[0], [1], [1]], [[0], [1], [0]]), {}),
    (C, (np.array([[0], [1], [2]]), np.array([0, 2, 2])), {"normalize": "true"}),
    (C, ([0, 1], [0, 0]), {"normalize": "pred"}),
    (C, ([0, 1], [0, 0]), {"normalize": "all"}),
    (C, ([0, 0], [0, 0]), {}),  # single label: UserWarning
    # empty input, mismatched lengths, wrong types
    (J, ([], []), {}),
    (C, ([], []), {}),
    (C, ([], []), {"labels": [1, 2]}),
    (M, ([], []), {}),
    (J, ([1, 0], [1]), {}),
    (C, ([1, 0], [1]), {}),
    (M, ([1, 0], [1, 0]), {"sample_weight": [1, 2, 3]}),
    (J, ([1, 0], [0.5, 0]), {}),  # continuous
    (J, ([1, 2], [0.5, 0]), {"average": "macro"}),
    (J, (np.array([0.0, np.nan]), [0, 1]), {}),
    (J, (np.array([0.0, np.inf]), [0, 1]), {}),
    (J, (np.array([[1, 2], [0, 1]]), np.array([[1, 2], [0, 1]])), {}),  # multioutput
    (J, (Y3, P3), {}),  # average='binary' on multilabel
    (J, ([0, 1, 2], [0, 1, 1]), {}),  # average='binary' on multiclass
    (J, ([0, 1, 2], [0, 1, 1]), {"average": "samples"}),
    (J, (Y3, P3[:, :2]), {"average": "macro"}),
    (J, (Y3, [0, 1, 1]), {"average": "macro"}),
    (C, (Y3, P3), {}),  # multilabel not supported
    (M, ([0, 1], [0, 1]), {"samplewise": True}),
    (J, ([1j, 0], [1, 0]), {}),
    (J, ([b"a", b"b"], [b"a", b"b"]), {}),
    (J, ([[1, 2], [3]], [[1], [2]]), {}),
    (J, ({0, 1}, {0, 1}), {}),
    (J, ([1, None], [1, 0]), {}),
    (C, (np.zeros((2, 2, 2)), np.zeros((2, 2, 2))), {}),
    # multilabel values other than 0/1
    (M, (np.array([[16, 0], [16, 16]], np.int8),) * 2, {}),
    (J, (np.array([[-1, 1], [1, -1]]), np.array([[1, 1], [1, -1]])), {"average": None}),
    (J, (np.array([[0, 2], [2, 2]]), np.array([[0, 1], [1, 1]])), {"average": "micro"}),
    # invalid parameters
    (J, ([0, 1], [0, 1]), {"average": "foo"}),
    (J, ([0, 1], [0, 1]), {"zero_division": 0.5}),
    (J, ([0, 1], [0, 1]), {"zero_division": np.nan}),
    (J, ([0, 1], [0, 1]), {"pos_label": [1]}),
    (J, ([0, 1], [0, 1]), {"labels": 5}),
    (J, ([0, 1], [0, 1]), {"sample_weight": 5}),
    (J, (5, [0, 1]), {}),
    (J, ([0, 1], "ab"), {}),
    (C, ([0, 1], [0, 1]), {"normalize": "x"}),
    (C, ([0, 1], [0, 1]), {"labels": 3}),
    (M, ([0, 1], [0, 1]), {"samplewise": 1}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), EXPLICIT)
def test_explicit_case(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    assert_same(name, *args, **kwargs)


def test_sparse_multilabel() -> None:
    sparse = pytest.importorskip("scipy.sparse")
    t, p = sparse.csr_matrix(Y3), sparse.coo_array(P3)
    for average in (None, "micro", "macro", "weighted", "samples"):
        assert_same("jaccard_score", t, p, average=average, sample_weight=[0.5, 1.5, 2.0])
    assert_same("multilabel_confusion_matrix", t, p, samplewise=True, labels=[2, 0])
    assert_same("jaccard_score", sparse.csr_array(np.array([[0], [1]])), [0, 1])


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda g, n: (g.integers(0, 2, n), g.integers(0, 2, n)), id="binary"),
        pytest.param(lambda g, n: (g.integers(-3, 16, n), g.integers(-3, 16, n)), id="multiclass"),
        pytest.param(lambda g, n: (g.integers(0, 400, n), g.integers(0, 400, n)), id="400-classes"),
        pytest.param(
            lambda g, n: (g.integers(0, 4, n) * 1000.0, g.integers(0, 4, n) * 1000.0),
            id="float-labels",
        ),
        pytest.param(
            lambda g, n: (g.choice([0, 2**40], n), g.choice([0, 2**40], n)), id="sparse-values"
        ),
    ],
)
def test_large_1d_inputs(make: Callable[[np.random.Generator, int], tuple[Any, Any]]) -> None:
    """Above the sizes where the counting fast paths switch on; float weights are summed in
    scikit-learn's order, so even the last bits agree."""
    rng = np.random.default_rng(0)
    n = 5000
    y_true, y_pred = make(rng, n)
    weights = rng.random(n) * 10
    for average in (None, "micro", "macro", "weighted"):
        assert_same("jaccard_score", y_true, y_pred, average=average)
        assert_same("jaccard_score", y_true, y_pred, average=average, sample_weight=weights)
    assert_same("confusion_matrix", y_true, y_pred, sample_weight=weights.astype(np.float32))
    assert_same("multilabel_confusion_matrix", y_true, y_pred, sample_weight=weights)


def test_large_multilabel_and_threaded_kernels() -> None:
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, (60_000, 20)).astype(bool)  # 1.2M elements: threaded kernels
    y_pred = rng.integers(0, 2, (60_000, 20)).astype(bool)
    weights = rng.random(60_000)
    for average in ("micro", "macro", "weighted", "samples"):
        assert_same("jaccard_score", y_true, y_pred, average=average)
        assert_same("jaccard_score", y_true, y_pred, average=average, sample_weight=weights)
    n = 1_100_000
    t, p = rng.integers(0, 5, n), rng.integers(0, 5, n)
    assert_same("jaccard_score", t, p, average="macro")
    assert_same("confusion_matrix", t, p, sample_weight=rng.random(n))


def test_other_array_libraries() -> None:
    """Tensors are converted to NumPy, as scikit-learn does without array_api_dispatch."""
    torch = pytest.importorskip("torch")
    xps = pytest.importorskip("array_api_strict")
    t, p = [0, 1, 1, 2, 0], [0, 1, 0, 2, 2]
    for conv in (torch.tensor, xps.asarray):
        assert_same("jaccard_score", conv(t), conv(p), average="macro")
        assert_same("confusion_matrix", conv(t), conv(p))
        assert_same("multilabel_confusion_matrix", conv(t), conv(p))
    weights = torch.tensor([0.5, 1.0, 2.0, 1.0, 3.0])
    assert_same(J, torch.tensor(t), torch.tensor(p), average=None, sample_weight=weights)
    assert_same("jaccard_score", torch.tensor(Y3), torch.tensor(P3), average="samples")


# -------------------------------------------------------------------------- the API surface


@pytest.mark.parametrize("name", FUNCS)
def test_signature_matches(name: str) -> None:
    ours = inspect.signature(getattr(twins, name)).parameters
    theirs = inspect.signature(getattr(sk_metrics, name)).parameters
    assert list(ours) == list(theirs)
    for key in theirs:
        assert ours[key].kind == theirs[key].kind, key
        assert ours[key].default == theirs[key].default, key


def test_binding_errors_match() -> None:
    assert_same("jaccard_score", [0, 1])
    assert_same("jaccard_score", [0, 1], [0, 1], "macro")
    assert_same("jaccard_score", [0, 1], [0, 1], foo=1)


def test_types_and_warning_class() -> None:
    assert issubclass(twins.InvalidParameterError, ValueError)
    assert issubclass(twins.InvalidParameterError, TypeError)
    assert type(twins.jaccard_score([0, 1, 1], [0, 1, 0])) is float
    with pytest.warns(UndefinedMetricWarning, match="ill-defined"):
        assert twins.jaccard_score([0, 0], [0, 0]) == 0.0


# ----------------------------------------------------- scikit-learn's UndefinedMetricWarning

SK_UNDEFINED = pytest.importorskip("sklearn.exceptions").UndefinedMetricWarning


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: twins.jaccard_score([0, 0], [0, 0]), "Jaccard is ill-defined"),
        (lambda: twins.jaccard_score(Z23, Z23, average="samples"), "Jaccard is ill-defined"),
        (lambda: twins.roc_curve([1, 1], [0.1, 0.2]), "No negative samples"),
        (lambda: twins.roc_curve([0, 0], [0.1, 0.2]), "No positive samples"),
    ],
)
def test_undefined_metric_warning_is_sklearns(call: Callable[[], Any], text: str) -> None:
    """What a scikit-learn user writes around sklearn's functions catches the twins' warning."""
    with pytest.warns(SK_UNDEFINED, match=text) as record:
        call()
    category = record[0].category
    assert issubclass(category, UndefinedMetricWarning)  # ioukit's class too
    assert category.__name__ == "UndefinedMetricWarning"
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=SK_UNDEFINED)
        with pytest.raises(SK_UNDEFINED, match=text):
            call()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # anything not ignored would raise
        warnings.filterwarnings("ignore", category=SK_UNDEFINED)  # inserted in front
        call()
    # built once: the same class every time
    with pytest.warns(SK_UNDEFINED) as again:
        call()
    assert again[0].category is category


def test_precision_recall_warning_is_not_sklearns_undefined() -> None:
    # scikit-learn warns a plain UserWarning here: a filter on its UndefinedMetricWarning must
    # not catch ours either
    for func in (sk_metrics.precision_recall_curve, twins.precision_recall_curve):
        with warnings.catch_warnings():
            warnings.filterwarnings("error", category=SK_UNDEFINED)
            with pytest.warns(UserWarning, match="No positive class found") as record:
                func([0, 0], [0.1, 0.2])
        assert not issubclass(record[0].category, SK_UNDEFINED)


def test_sklearn_imported_after_ioukit() -> None:
    """The class is chosen when the warning is raised, not when ioukit is imported."""
    code = (
        "import warnings, ioukit.sklearn as twins\n"
        "from sklearn.exceptions import UndefinedMetricWarning as U\n"
        "warnings.simplefilter('error', U)\n"
        "try:\n"
        "    twins.jaccard_score([0, 0], [0, 0])\n"
        "except U as exc:\n"
        "    print(type(exc).__module__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "ioukit.sklearn._warnings"
