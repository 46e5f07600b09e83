"""The Counts object: construction from confusion matrices, merging (``+`` and ``combine``),
``to_dict`` / ``from_dict`` (an exact round trip, checked with Hypothesis on every task and on
0 classes / 0 samples) and the errors of a malformed dict."""

from __future__ import annotations

import functools
import json
import operator
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ioukit import Counts, InputError, binary_counts, multiclass_counts
from ioukit._errors import StateError


def assert_counts(counts: Counts, tp: Any, fp: Any, fn: Any, tn: Any) -> None:
    for name, want in zip(("tp", "fp", "fn", "tn"), (tp, fp, fn, tn), strict=True):
        np.testing.assert_array_equal(to_np(getattr(counts, name)), np.asarray(want))


def to_np(x: Any) -> np.ndarray[Any, Any]:
    """A NumPy copy of an array of any library of the matrix."""
    if hasattr(x, "detach"):  # torch
        return np.asarray(x.detach().cpu().numpy())
    return np.asarray(np.from_dlpack(x))


def assert_same(a: Counts, b: Counts) -> None:
    """Every field equal: arrays in value, shape and dtype; metadata exactly."""
    for name in ("tp", "fp", "fn", "tn", "sample_weight", "confusion_matrix"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            x, y = to_np(x), to_np(y)
            assert (x.shape, x.dtype) == (y.shape, y.dtype), name
            np.testing.assert_array_equal(x, y)
    for name in ("task", "per_sample", "ignored_classes", "sample_names", "num_samples"):
        assert getattr(a, name) == getattr(b, name), name


# ------------------------------------------------------------------------ from_confusion_matrix


def test_from_confusion_matrix(xp):
    # cm = [[2, 0, 0], [0, 1, 1], [0, 1, 1]] -> the multiclass seed counts
    cm = xp.asarray([[2, 0, 0], [0, 1, 1], [0, 1, 1]], dtype="int64")
    c = Counts.from_confusion_matrix(cm)
    assert_counts(c, [2, 1, 1], [0, 1, 1], [0, 1, 1], [4, 3, 3])
    assert c.task == "multiclass"
    assert not c.per_sample
    xp.check(c.tp, like=cm)
    # a stack (N, C, C): per-sample counts, each sample counted on its own
    # sample 1 = [[1, 1], [0, 0]]: tp [1, 0], fp [0, 1], fn [1, 0], tn [0, 1]
    stack = xp.asarray([[[1, 0], [0, 1]], [[1, 1], [0, 0]]], dtype="int64")
    c = Counts.from_confusion_matrix(stack)
    assert c.per_sample
    assert c.num_samples == 2
    assert_counts(c, [[1, 1], [1, 0]], [[0, 0], [0, 1]], [[0, 0], [1, 0]], [[1, 1], [0, 1]])


def test_from_confusion_matrix_keeps_the_matrix(xp):
    # two images of 2 classes; with keep_matrix the counts carry the (C, C) sum, not the stack
    stack = np.array([[[2, 0], [1, 1]], [[0, 1], [0, 3]]])
    c = Counts.from_confusion_matrix(xp.asarray(stack), keep_matrix=True)
    xp.check(c.confusion_matrix, like=c.tp)
    np.testing.assert_array_equal(to_np(c.confusion_matrix), [[2, 1], [1, 4]])
    assert c.per_sample
    assert c.num_samples == 2
    whole = Counts.from_confusion_matrix(xp.asarray(stack.sum(0)), keep_matrix=True)
    np.testing.assert_array_equal(to_np(whole.confusion_matrix), [[2, 1], [1, 4]])
    assert whole.num_samples is None  # dataset-level: unknown unless recorded
    # summed over samples, the per-sample counts are the matrix's counts, matrix included
    assert_same(c.total(), whole)
    assert Counts.from_confusion_matrix(xp.asarray(stack)).confusion_matrix is None
    # merged in the array library: matrices add, per-sample rows concatenate
    both = c + c
    xp.check(both.confusion_matrix, like=c.tp)
    np.testing.assert_array_equal(to_np(both.confusion_matrix), [[4, 2], [2, 8]])
    assert both.num_samples == 4


# -------------------------------------------------------------------------------- Counts object


def test_counts_add_dataset_level(xp):
    # seed counts + themselves = doubled counts
    c = multiclass_counts(
        xp.asarray([0, 2, 2, 1, 1, 0]), xp.asarray([0, 1, 2, 2, 1, 0]), num_classes=3
    )
    s = c + c
    assert_counts(s, [4, 2, 2], [0, 2, 2], [0, 2, 2], [8, 6, 6])
    xp.check(s.tp, like=c.tp)
    assert s.task == "multiclass"
    with pytest.raises(TypeError):
        c + 1


def test_counts_add_per_sample_concatenates(xp):
    a = binary_counts(
        xp.asarray([[1, 0]]), xp.asarray([[1, 1]]), per_sample=True, sample_weight=xp.asarray([2.0])
    )
    b = binary_counts(
        xp.asarray([[0, 0], [1, 1]]),
        xp.asarray([[0, 0], [1, 0]]),
        per_sample=True,
        sample_weight=xp.asarray([1.0, 0.5]),
    )
    s = a + b
    assert s.num_samples == 3
    # samples: (tp, fp, fn, tn) = (1,0,1,0), (0,0,0,2), (1,1,0,0)
    assert_counts(s, [[1], [0], [1]], [[0], [0], [1]], [[1], [0], [0]], [[0], [2], [0]])
    np.testing.assert_array_equal(xp.to_numpy(s.sample_weight), [2.0, 1.0, 0.5])
    # weighted total: tp = 2*1 + 0.5*1 = 2.5, fp = 0.5, fn = 2, tn = 1*2 = 2
    assert_counts(s.total(), [2.5], [0.5], [2.0], [2.0])


def test_counts_total_is_identity_for_dataset_counts():
    c = binary_counts([1, 0], [1, 1])
    assert c.total() is c


def test_counts_to_dict_and_repr():
    c = multiclass_counts(
        [0, 2, 2, 1, 1, 0], [0, 1, 2, 2, 1, 0], num_classes=3, ignore_index=(0,), per_sample=False
    )
    d = c.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d == {
        "task": "multiclass",
        "per_sample": False,
        "ignored_classes": [0],
        # kept (t, p): (1,2) (2,2) (2,1) (1,1) -> tp [0,1,1] fp [0,1,1] fn [0,1,1] tn [4,1,1]
        "tp": [0, 1, 1],
        "fp": [0, 1, 1],
        "fn": [0, 1, 1],
        "tn": [4, 1, 1],
    }
    w = binary_counts([[1], [0]], [[1], [1]], per_sample=True, sample_weight=[1.0, 2.0])
    assert w.to_dict()["sample_weight"] == [1.0, 2.0]
    r = repr(c)
    assert r.startswith("Counts(task='multiclass', shape=(3,), per_sample=False")
    assert "tp=[0, 1, 1]" in r
    long = multiclass_counts(list(range(10)), list(range(10)), num_classes=10)
    assert "…" in repr(long)


def test_combine_equals_repeated_addition():
    stack = np.array([[[2, 0], [1, 1]], [[0, 1], [0, 3]], [[5, 0], [0, 0]]])
    parts = [Counts.from_confusion_matrix(stack[i : i + 1], keep_matrix=True) for i in range(3)]
    named = [replace(p, sample_names=(f"im{i}",)) for i, p in enumerate(parts)]
    named[1] = parts[1]  # an unnamed part among named ones: its sample is None
    combined = Counts.combine(named)
    assert_same(combined, functools.reduce(operator.add, named))
    assert combined.sample_names == ("im0", None, "im2")
    # tp of the three images; the matrices add: [[7, 1], [1, 4]]
    np.testing.assert_array_equal(combined.tp, [[2, 1], [0, 3], [5, 0]])
    np.testing.assert_array_equal(combined.confusion_matrix, [[7, 1], [1, 4]])
    assert_same(Counts.combine([parts[0]]), parts[0])
    # dataset-level: counts, matrices and recorded sample numbers add
    totals = [replace(p.total(), num_samples=1) for p in parts]
    summed = Counts.combine(totals)
    assert summed.num_samples == 3
    assert_same(summed, replace(combined.total(), num_samples=3))
    # a part without a recorded number: the sum has none
    assert Counts.combine([*totals, parts[0].total()]).num_samples is None


def test_combine_and_add_refuse_unlike_counts():
    kept = Counts.from_confusion_matrix(np.eye(2, dtype=np.int64), keep_matrix=True)
    plain = Counts.from_confusion_matrix(np.eye(2, dtype=np.int64))
    with pytest.raises(InputError, match=r"Counts.__add__: .*differ in confusion_matrix"):
        kept + plain
    with pytest.raises(InputError, match=r"Counts.combine: .*differ in num_classes"):
        Counts.combine([plain, plain, Counts.from_confusion_matrix(np.eye(3, dtype=np.int64))])
    with pytest.raises(InputError, match=r"Counts.combine: expected a non-empty sequence"):
        Counts.combine([])
    with pytest.raises(InputError, match=r"including ndarray"):
        Counts.combine([plain, np.zeros(2)])  # type: ignore[list-item]


def test_constructor_checks_per_sample_metadata():
    z = np.zeros((2, 3), dtype=np.int64)
    with pytest.raises(InputError, match=r"`sample_names` must hold one name per sample \(2\)"):
        Counts(z, z, z, z, task="multiclass", per_sample=True, sample_names=("a",))
    with pytest.raises(InputError, match=r"`num_samples` is 5 but the per-sample counts have 2"):
        Counts(z, z, z, z, task="multiclass", per_sample=True, num_samples=5)
    with pytest.raises(InputError, match=r"`sample_names` belong to per-sample counts only"):
        Counts(z[0], z[0], z[0], z[0], task="multiclass", sample_names=("a",))


# ------------------------------------------------------------------------ to_dict / from_dict

counts_ints = st.integers(0, 2**40)  # well past float32 and float64-exact sums stay exact
names = st.one_of(st.none(), st.text(max_size=4))


@st.composite
def any_counts(draw: st.DrawFn) -> Counts:
    """Counts of every task, per-sample or not, 0..3 classes and 0..3 samples, weighted or
    not, with or without a confusion matrix, sample names, a recorded number of samples."""
    task = draw(st.sampled_from(["binary", "multiclass", "multilabel", "detection"]))
    per_sample = draw(st.booleans())
    c, n = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    ignored = draw(st.sets(st.integers(0, c - 1))) if c else set()
    extra: dict[str, Any] = {"ignored_classes": tuple(sorted(ignored))}
    if task == "multiclass" and draw(st.booleans()):  # made from a confusion matrix
        weighted = not per_sample and draw(st.booleans())
        dtype, elements = (np.float64, st.floats(0, 1e6)) if weighted else (np.int64, counts_ints)
        cms = draw(arrays(dtype, (n, c, c), elements=elements))
        base = Counts.from_confusion_matrix(cms if per_sample else cms.sum(0), keep_matrix=True)
        arrs = {k: getattr(base, k) for k in ("tp", "fp", "fn", "tn", "confusion_matrix")}
    else:
        weighted = not per_sample and draw(st.booleans())
        dtype, elements = (np.float64, st.floats(0, 1e6)) if weighted else (np.int64, counts_ints)
        shape = (n, c) if per_sample else (c,)
        arrs = {k: draw(arrays(dtype, shape, elements=elements)) for k in ("tp", "fp", "fn", "tn")}
    if per_sample:
        if draw(st.booleans()):
            extra["sample_weight"] = draw(arrays(np.float64, (n,), elements=st.floats(0, 10)))
        named = tuple(draw(st.lists(names, min_size=n, max_size=n)))
        extra["sample_names"] = named if draw(st.booleans()) else ()
    else:
        extra["num_samples"] = draw(st.one_of(st.none(), st.integers(0, 10**6)))
    return Counts(**arrs, task=task, per_sample=per_sample, **extra)


@settings(max_examples=300, deadline=None)
@given(any_counts())
def test_from_dict_inverts_to_dict(counts: Counts) -> None:
    d = counts.to_dict()
    assert json.loads(json.dumps(d)) == d  # JSON-safe
    back = Counts.from_dict(json.loads(json.dumps(d)))
    assert_same(back, counts)
    assert back.to_dict() == d
    # arrays kept as NumPy arrays (the .npz layout) invert too
    assert_same(Counts.from_dict(counts.to_dict(as_lists=False)), counts)


def test_to_dict_writes_only_what_it_needs():
    # per-sample counts of 0 samples: as lists they are [], so num_classes keeps C
    none = Counts(*(np.zeros((0, 3), np.int64),) * 4, task="multiclass", per_sample=True)
    d = none.to_dict()
    assert (d["tp"], d["num_classes"]) == ([], 3)
    assert Counts.from_dict(d).tp.shape == (0, 3)
    assert "dtype" not in none.to_dict()  # int64 is the default
    # weighted dataset counts are float64, and say so
    # sample 0: tp 1 with weight 0.5; sample 1: fn 1 with weight 2 -> tp [0.5], fn [2.0]
    weighted = binary_counts([1, 0], [1, 1], sample_weight=[0.5, 2.0])
    assert weighted.to_dict()["dtype"] == "float64"
    back = Counts.from_dict(weighted.to_dict())
    assert (back.tp.tolist(), back.fn.tolist(), back.tp.dtype) == ([0.5], [2.0], np.float64)


def seed_dict(**changes: Any) -> dict[str, Any]:
    """The to_dict of two images of 2 classes with their confusion matrix, changed."""
    stack = np.array([[[2, 0], [1, 1]], [[0, 1], [0, 3]]])
    d = Counts.from_confusion_matrix(stack, keep_matrix=True).to_dict()
    d["sample_names"] = ["a", None]
    d.update(changes)
    return {k: v for k, v in d.items() if v is not ...}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ([1, 2], r"expected a dict from Counts.to_dict; got list"),
        (seed_dict(tp=...), r"the dict has no 'tp'"),
        (seed_dict(colour="red"), r"unknown key\(s\) 'colour'"),
        (seed_dict(task="regression"), r"`task` must be one of"),
        (seed_dict(per_sample="yes"), r"`per_sample` must be true or false; got 'yes'"),
        (seed_dict(num_classes=...), r"`num_classes` must be a non-negative integer; got None"),
        (seed_dict(tp=[[2, 1], [0]]), r"`tp` must be rectangular; got ragged lists"),
        (seed_dict(tp=[[2, 1], [0, 3], [1, 1]]), r"`fp` must have shape \(3, 2\); got \(2, 2\)"),
        (seed_dict(tp=[2, 1]), r"`tp` must have shape \(N, 2\); got \(2,\)"),
        (seed_dict(fn=[[0.5, 1], [0, 0]]), r"`fn` must hold int64 numbers; got values of dtype"),
        (seed_dict(tn=[["1", "0"], ["0", "0"]]), r"`tn` must hold int64 numbers"),
        (seed_dict(fp=[[-1, 0], [1, 0]]), r"`fp` must hold non-negative counts"),
        (seed_dict(tn=[[2**64, 0], [0, 0]]), r"`tn` must hold int64 numbers"),
        (seed_dict(tn=np.array([[2**63, 0], [0, 0]], np.uint64)), r"`tn` has values too large"),
        (seed_dict(dtype="float64", fp=[[np.inf, 0], [1, 0]]), r"`fp` must hold finite numbers"),
        (seed_dict(dtype="complex128"), r"`dtype` must name a NumPy integer or floating dtype"),
        (seed_dict(ignored_classes=[5]), r"`ignored_classes` must be a list of class ids in"),
        (seed_dict(sample_names=["a"]), r"`sample_names` must be a list .*one per sample \(2\)"),
        (seed_dict(sample_weight=[1.0]), r"`sample_weight` must have shape \(2,\)"),
        (seed_dict(num_samples=3), r"`num_samples` is 3, but the arrays say 2"),
        (seed_dict(confusion_matrix=[[2, 1], [1, 3]]), r"`confusion_matrix` does not agree"),
        (seed_dict(confusion_matrix=[[1]]), r"`confusion_matrix` must have shape \(2, 2\)"),
        (seed_dict(task="binary"), r"only multiclass counts carry a `confusion_matrix`"),
    ],
)
def test_from_dict_errors(data: Any, match: str) -> None:
    assert Counts.from_dict(seed_dict()).sample_names == ("a", None)  # the seed itself is fine
    with pytest.raises(StateError, match=r"^Counts.from_dict: " + match):
        Counts.from_dict(data)
