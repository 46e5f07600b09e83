"""precision_recall_curve / roc_curve twins equal scikit-learn's exactly; grid = torchmetrics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ioukit import threshold_sweep
from ioukit.sklearn import precision_recall_curve, roc_curve

pytestmark = pytest.mark.reference


def _pair(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
        assert x.shape == y.shape


def _both(func: str, *args: object, **kw: object) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    ours = {"precision_recall_curve": precision_recall_curve, "roc_curve": roc_curve}[func]
    with warnings.catch_warnings(record=True) as theirs_w:
        warnings.simplefilter("always")
        ref = getattr(metrics, func)(*args, **kw)
    with warnings.catch_warnings(record=True) as ours_w:
        warnings.simplefilter("always")
        got = ours(*args, **kw)
    _pair(got, ref)
    assert [str(w.message) for w in ours_w] == [str(w.message) for w in theirs_w]


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 50).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 1), min_size=n, max_size=n),
            st.lists(st.integers(0, 5), min_size=n, max_size=n),
            st.lists(st.integers(0, 4), min_size=n, max_size=n),
        )
    ),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["01", "pm1", "str", "f32"]),
)
def test_twins_equal_sklearn(
    data: tuple[list[int], list[int], list[int]], weighted: bool, drop: bool, kind: str
) -> None:
    y = np.array(data[0])
    s = np.array(data[1]) / 5.0  # heavy ties
    kw: dict[str, object] = {"drop_intermediate": drop}
    if kind == "pm1":
        y = 2 * y - 1
    elif kind == "str":
        y = np.where(y == 1, "dog", "cat")
        kw["pos_label"] = "dog"
    elif kind == "f32":
        s = s.astype(np.float32) + np.float32(1e-3)
    if weighted:
        w = np.array(data[2]) * np.linspace(0.13, 1.7, y.size)  # zeros included
        if not np.any(w):
            w[0] = 0.3
        kw["sample_weight"] = w
    _both("precision_recall_curve", y, s, **kw)
    _both("roc_curve", y, s, **kw)


def test_twins_large_random() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(20000) < 0.1).astype(int)
    s = np.round(rng.random(20000), 3)
    w = rng.random(20000)
    for kw in ({}, {"sample_weight": w}, {"drop_intermediate": True}, {"pos_label": 0}):
        _both("precision_recall_curve", y, s, **kw)
        _both("roc_curve", y, s, **kw)
        _both("roc_curve", y, s, **{**kw, "drop_intermediate": not kw.get("drop_intermediate")})
    _both("roc_curve", y, s.astype(np.float32))
    _both("precision_recall_curve", y, (s * 1000).astype(int))
    _both("precision_recall_curve", np.zeros(4, int), [0.1, 0.2, 0.2, 0.3])
    _both("roc_curve", np.zeros(4, int), [0.1, 0.2, 0.2, 0.3])
    _both("roc_curve", np.ones(4, int), [0.1, 0.2, 0.2, 0.3])


def test_grid_equals_torchmetrics() -> None:
    torch = pytest.importorskip("torch")
    tm = pytest.importorskip("torchmetrics.functional.classification")
    rng = np.random.default_rng(1)
    t = rng.random(5000) < 0.2
    s = np.round(rng.random(5000), 2).astype(np.float32)
    grid = torch.linspace(0, 1, 21)  # float32 values, compared exactly in float64 by ioukit
    prec, rec, _thr = tm.binary_precision_recall_curve(
        torch.as_tensor(s), torch.as_tensor(t).long(), thresholds=grid
    )
    sw = threshold_sweep(s, t, grid=grid.double().numpy())
    tp, fp = sw.counts.tp[::-1], sw.counts.fp[::-1]  # increasing thresholds as torchmetrics
    np.testing.assert_allclose(rec[:-1].numpy(), tp / t.sum(), rtol=1e-6)
    defined = tp + fp > 0
    np.testing.assert_allclose(
        prec[:-1].numpy()[defined], (tp / np.maximum(tp + fp, 1))[defined], rtol=1e-6
    )


def _same_error(func: str, *args: object, **kw: object) -> None:
    """scikit-learn and the twin raise the same exception type with the same message."""
    metrics = pytest.importorskip("sklearn.metrics")
    ours = {"precision_recall_curve": precision_recall_curve, "roc_curve": roc_curve}[func]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's, casting NaN labels inside
        with pytest.raises(Exception) as theirs:  # noqa: PT011 - any type: compared below
            getattr(metrics, func)(*args, **kw)
    with pytest.raises(Exception) as got:  # noqa: PT011
        ours(*args, **kw)
    assert type(got.value).__name__ == type(theirs.value).__name__
    for base in type(theirs.value).__mro__:  # ValueError, TypeError: caught the same way
        if base.__module__ == "builtins":
            assert isinstance(got.value, base), (got.value, base)
    assert str(got.value) == str(theirs.value)


BYTES = np.array([b"a", b"b"])


@pytest.mark.parametrize("func", ["precision_recall_curve", "roc_curve"])
@pytest.mark.parametrize(
    ("y_true", "kw"),
    [
        (BYTES, {}),
        ([b"a", b"b"], {}),
        (BYTES, {"pos_label": "b"}),
        (BYTES, {"pos_label": b"b"}),  # the parameter check comes first
        ([0, 1], {"pos_label": b"x"}),
        ([0, 1], {"pos_label": [1]}),
        ([0, 1], {"pos_label": {1}}),
        ([0, 1], {"pos_label": 1j}),
        ([0, 1], {"drop_intermediate": 1}),
        ([0, 1], {"drop_intermediate": "yes"}),
        ([0, 1], {"sample_weight": 3}),
        ([0, 1], {"sample_weight": [1.0, np.nan]}),
        ([0, 1], {"sample_weight": np.array([1, np.nan], dtype=object)}),
        ([0.0, np.nan], {}),
        ([1j, 0], {}),
        ([[1, 2], [3]], {}),
    ],
)
def test_errors_equal_sklearn(func: str, y_true: object, kw: dict[str, object]) -> None:
    _same_error(func, y_true, [0.1, 0.2], **kw)


@pytest.mark.parametrize("func", ["precision_recall_curve", "roc_curve"])
def test_more_errors_equal_sklearn(func: str) -> None:
    _same_error(func, 5, [0.1, 0.2])
    _same_error(func, [0, 1], "ab")
    _same_error(func, [0, 1], np.ones((2, 2)))
    _same_error(func, [0, 1], [0.1, np.nan])
    _same_error(func, [0, 1], [0.1, np.inf])
    _same_error(func, [0, 1], [0.1, 0.2], foo=1)


def test_accepted_pos_label_and_weights_equal_sklearn() -> None:
    y, s = np.array([0, 1, 1, 0, 1]), np.array([0.1, 0.8, 0.4, 0.4, 0.9])
    for kw in (
        {"pos_label": np.int64(1)},
        {"pos_label": 1.0},
        {"pos_label": True},
        {"pos_label": np.bool_(False)},
        {"drop_intermediate": np.bool_(True)},
        {"sample_weight": np.array([1, 2.5, 1, 0, 3], dtype=object)},
        {"sample_weight": np.array([1, 2, 1, 1, 3], dtype=np.int8)},
    ):
        _both("precision_recall_curve", y, s, **kw)
        _both("roc_curve", y, s, **kw)
    _both("roc_curve", np.array(["a", "b", "a"]), [0.2, 0.3, 0.1], pos_label="zebra")
