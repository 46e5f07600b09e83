"""Hypothesis properties of counts and scores: bounds, identity, symmetry, permutation
invariance, streaming = batch (exactly), per-sample totals, merge associativity and
commutativity, and agreement of the NumPy kernels with the Array API path."""

from __future__ import annotations

import functools
import itertools
import math
import operator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ioukit
from ioukit import Counts

FAST = settings(max_examples=60, deadline=None)
SCORES = [
    ioukit.jaccard,
    ioukit.dice,
    ioukit.precision,
    ioukit.recall,
    ioukit.specificity,
    ioukit.accuracy,
]
AVERAGES = ["micro", "macro", "weighted", "samples", "none"]
IGNORE = 255


def to_np(x: Any) -> np.ndarray[Any, Any]:
    if hasattr(x, "detach"):  # torch
        return np.asarray(x.detach().cpu().numpy())
    return np.asarray(np.from_dlpack(x))


def assert_same_counts(a: Counts, b: Counts) -> None:
    """Equal to the last bit, with the same metadata."""
    assert a.task == b.task
    assert a.per_sample == b.per_sample
    assert a.ignored_classes == b.ignored_classes
    for name in ("tp", "fp", "fn", "tn"):
        x, y = to_np(getattr(a, name)), to_np(getattr(b, name))
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)


# ------------------------------------------------------------------------------- strategies


@st.composite
def multiclass_data(draw: Any, ignore: bool = True) -> tuple[Any, Any, int, Any]:
    """(pred, target, num_classes, ignore_index) of shape (N, K); the target may hold 255."""
    c = draw(st.integers(1, 5))
    shape = (draw(st.integers(1, 6)), draw(st.integers(1, 10)))
    pred = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, c - 1)))
    labels = st.integers(0, c - 1)
    if ignore:
        labels = labels | st.just(IGNORE)
    target = draw(hnp.arrays(np.int64, shape, elements=labels))
    ignore_index = draw(st.sampled_from([None, IGNORE, (0, IGNORE)])) if ignore else None
    if ignore_index is None:
        target = np.where(target == IGNORE, 0, target)
    return pred, target, c, ignore_index


@st.composite
def binary_data(draw: Any, ignore: bool = True, min_dims: int = 1) -> tuple[Any, Any, Any]:
    """(pred, target, ignore_index) 0/1 arrays of shape (N, L, ...); the target may hold 255."""
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=5))
    pred = draw(hnp.arrays(np.uint8, shape, elements=st.integers(0, 1)))
    values = st.sampled_from([0, 1, IGNORE] if ignore else [0, 1])
    target = draw(hnp.arrays(np.uint8, shape, elements=values))
    ignore_index = IGNORE if ignore and draw(st.booleans()) else None
    if ignore_index is None:
        target = np.where(target == IGNORE, 0, target).astype(np.uint8)
    return pred, target, ignore_index


def split_points(draw: Any, n: int) -> list[int]:
    cuts = draw(st.lists(st.integers(0, n), max_size=4))
    return [0, *sorted(cuts), n]


# ----------------------------------------------------------------------------------- bounds


def _check_bounds(counts: Counts, per_sample: Counts) -> None:
    for score in SCORES:
        for avg in AVERAGES:
            src = per_sample if avg == "samples" else counts
            for zd in ("nan", 0.0, 1.0):
                v = to_np(score(src, average=avg, zero_division=zd))
                v = v[~np.isnan(v)]
                assert np.all((v >= 0) & (v <= 1)), (score.__name__, avg, zd)


@FAST
@given(multiclass_data())
def test_scores_between_0_and_1_multiclass(data):
    pred, target, c, ign = data
    kw = {"num_classes": c, "ignore_index": ign}
    _check_bounds(
        ioukit.multiclass_counts(pred, target, **kw),
        ioukit.multiclass_counts(pred, target, per_sample=True, **kw),
    )


@FAST
@given(binary_data(min_dims=2))
def test_scores_between_0_and_1_multilabel(data):
    pred, target, ign = data
    _check_bounds(
        ioukit.multilabel_counts(pred, target, ignore_index=ign),
        ioukit.multilabel_counts(pred, target, ignore_index=ign, per_sample=True),
    )


# --------------------------------------------------------------------------------- J(A, A) = 1


@FAST
@given(multiclass_data())
def test_identity_multiclass(data):
    _, target, c, ign = data
    # predict the target wherever it is not ignored (anything valid elsewhere)
    pred = np.where(target == IGNORE, 0, target)
    none = ioukit.multiclass_jaccard(pred, target, num_classes=c, ignore_index=ign, average="none")
    assert np.all((none == 1) | np.isnan(none))
    counts = ioukit.multiclass_counts(pred, target, num_classes=c, ignore_index=ign)
    present = (to_np(counts.support) > 0) & ~np.isin(np.arange(c), counts.ignored_classes)
    np.testing.assert_array_equal(none[present], 1.0)
    for avg in ("micro", "macro", "weighted"):
        j = float(
            ioukit.multiclass_jaccard(pred, target, num_classes=c, ignore_index=ign, average=avg)
        )
        assert j == 1.0 if present.any() else math.isnan(j), avg


@FAST
@given(binary_data())
def test_identity_binary(data):
    _, target, ign = data
    pred = np.where(target == IGNORE, 1, target)
    j = float(ioukit.binary_jaccard(pred, target, ignore_index=ign))
    assert j == 1.0 if np.any(target == 1) else math.isnan(j)
    assert float(ioukit.binary_jaccard(pred, target, ignore_index=ign, zero_division=1.0)) == 1.0


@FAST
@given(binary_data(min_dims=2))
def test_identity_multilabel_samples(data):
    _, target, ign = data
    pred = np.where(target == IGNORE, 0, target)
    for avg in AVERAGES:
        j = to_np(
            ioukit.multilabel_jaccard(
                pred, target, ignore_index=ign, average=avg, zero_division=1.0
            )
        )
        np.testing.assert_array_equal(j[~np.isnan(j)], 1.0)


# ---------------------------------------------------------------------------------- symmetry


@FAST
@given(multiclass_data(ignore=False))
def test_symmetry_multiclass(data):
    pred, target, c, _ = data
    for avg in ("micro", "macro", "none"):
        a = to_np(ioukit.multiclass_jaccard(pred, target, num_classes=c, average=avg))
        b = to_np(ioukit.multiclass_jaccard(target, pred, num_classes=c, average=avg))
        np.testing.assert_array_equal(a, b)


@FAST
@given(binary_data(ignore=False))
def test_symmetry_binary(data):
    pred, target, _ = data
    a = float(ioukit.binary_jaccard(pred, target))
    b = float(ioukit.binary_jaccard(target, pred))
    assert a == b or (math.isnan(a) and math.isnan(b))


# --------------------------------------------------------------------- permutation invariance


@FAST
@given(multiclass_data(), st.randoms(use_true_random=False))
def test_permutation_invariance_multiclass(data, rnd):
    pred, target, c, ign = data
    perm = np.array(rnd.sample(range(pred.size), pred.size))
    kw = {"num_classes": c, "ignore_index": ign}
    assert_same_counts(
        ioukit.multiclass_counts(pred, target, **kw),
        ioukit.multiclass_counts(pred.ravel()[perm], target.ravel()[perm], **kw),
    )


@FAST
@given(binary_data(), st.randoms(use_true_random=False))
def test_permutation_invariance_binary(data, rnd):
    pred, target, ign = data
    perm = np.array(rnd.sample(range(pred.size), pred.size))
    assert_same_counts(
        ioukit.binary_counts(pred, target, ignore_index=ign),
        ioukit.binary_counts(pred.ravel()[perm], target.ravel()[perm], ignore_index=ign),
    )


@FAST
@given(binary_data(min_dims=2), st.randoms(use_true_random=False))
def test_sample_order_invariance_multilabel(data, rnd):
    # shuffle the samples (axis 0): per-label counts do not change
    pred, target, ign = data
    perm = np.array(rnd.sample(range(pred.shape[0]), pred.shape[0]))
    assert_same_counts(
        ioukit.multilabel_counts(pred, target, ignore_index=ign),
        ioukit.multilabel_counts(pred[perm], target[perm], ignore_index=ign),
    )


# ------------------------------------------------------------------------ streaming = batch


def _check_streaming(count: Any, pred: Any, target: Any, cuts: list[int]) -> None:
    whole = count(pred, target)
    parts = [count(pred[a:b], target[a:b]) for a, b in itertools.pairwise(cuts) if b > a]
    summed = functools.reduce(operator.add, parts)
    assert_same_counts(summed, whole)
    # the same with plain array sums of the per-batch counts
    for name in ("tp", "fp", "fn", "tn"):
        np.testing.assert_array_equal(
            np.sum([to_np(getattr(p, name)) for p in parts], axis=0), to_np(getattr(whole, name))
        )
    # and so every score of the summed counts is the score of all the data, bit for bit
    for score in SCORES:
        for avg in ("micro", "macro", "weighted", "none"):
            np.testing.assert_array_equal(
                to_np(score(summed, average=avg)), to_np(score(whole, average=avg))
            )
    # per-sample counts concatenate
    per_whole = count(pred, target, per_sample=True)
    per_parts = [
        count(pred[a:b], target[a:b], per_sample=True) for a, b in itertools.pairwise(cuts) if b > a
    ]
    assert_same_counts(functools.reduce(operator.add, per_parts), per_whole)


@FAST
@given(st.data())
def test_streaming_equals_batch_multiclass(data):
    pred, target, c, ign = data.draw(multiclass_data())
    cuts = split_points(data.draw, pred.shape[0])
    count = functools.partial(ioukit.multiclass_counts, num_classes=c, ignore_index=ign)
    _check_streaming(count, pred, target, cuts)


@FAST
@given(st.data())
def test_streaming_equals_batch_binary(data):
    pred, target, ign = data.draw(binary_data())
    cuts = split_points(data.draw, pred.shape[0])
    _check_streaming(functools.partial(ioukit.binary_counts, ignore_index=ign), pred, target, cuts)


@FAST
@given(st.data())
def test_streaming_equals_batch_multilabel(data):
    pred, target, ign = data.draw(binary_data(min_dims=2))
    cuts = split_points(data.draw, pred.shape[0])
    count = functools.partial(ioukit.multilabel_counts, ignore_index=ign)
    _check_streaming(count, pred, target, cuts)


# ------------------------------------------------------------------ per-sample totals, merging


@FAST
@given(multiclass_data(), binary_data(min_dims=2))
def test_per_sample_total_equals_dataset_counts(mc, ml):
    pred, target, c, ign = mc
    kw = {"num_classes": c, "ignore_index": ign}
    per = ioukit.multiclass_counts(pred, target, per_sample=True, **kw)
    assert per.num_samples == pred.shape[0]
    assert_same_counts(per.total(), ioukit.multiclass_counts(pred, target, **kw))
    # weighted (integer-valued weights: float64 sums are exact)
    w = np.arange(pred.shape[0], dtype=np.float64) % 3
    per_w = ioukit.multiclass_counts(pred, target, per_sample=True, sample_weight=w, **kw)
    assert_same_counts(per_w.total(), ioukit.multiclass_counts(pred, target, sample_weight=w, **kw))
    pred, target, ign = ml
    for count in (ioukit.binary_counts, ioukit.multilabel_counts):
        assert_same_counts(
            count(pred, target, ignore_index=ign, per_sample=True).total(),
            count(pred, target, ignore_index=ign),
        )


@FAST
@given(st.lists(multiclass_data(ignore=False), min_size=3, max_size=3), st.integers(1, 5))
def test_merge_associative_and_commutative(batches, c):
    parts = [
        ioukit.multiclass_counts(p % c, t % c, num_classes=c, ignore_index=(0, IGNORE))
        for p, t, _, _ in batches
    ]
    a, b, d = parts
    assert_same_counts((a + b) + d, a + (b + d))
    assert_same_counts(a + b, b + a)
    assert_same_counts((a + b) + d, (d + a) + b)
    # per-sample counts concatenate in order; their totals commute
    per = [
        ioukit.multiclass_counts(p % c, t % c, num_classes=c, per_sample=True)
        for p, t, _, _ in batches
    ]
    x, y, z = per
    assert_same_counts((x + y) + z, x + (y + z))
    assert_same_counts((x + y).total(), (y + x).total())


# ----------------------------------------------------------------- kernels vs Array API path


@settings(max_examples=30, deadline=None)
@given(multiclass_data(), binary_data(min_dims=2), st.booleans())
def test_backends_agree(xp, mc, ml, weighted):
    if xp.is_numpy:
        pytest.skip("the NumPy kernels are the reference here")
    pred, target, c, ign = mc
    w = np.linspace(0.5, 2.0, pred.shape[0]) if weighted else None

    def both(func: Any, p: Any, t: Any, **kw: Any) -> None:
        ref = func(p, t, sample_weight=w, **kw)
        got = func(
            xp.asarray(p), xp.asarray(t), sample_weight=None if w is None else xp.asarray(w), **kw
        )
        xp.check(got.tp, like=xp.asarray(t))
        for name in ("tp", "fp", "fn", "tn"):
            np.testing.assert_allclose(
                to_np(getattr(got, name)), to_np(getattr(ref, name)), rtol=1e-12, err_msg=name
            )
        assert got.ignored_classes == ref.ignored_classes

    for per_sample in (False, True):
        both(
            ioukit.multiclass_counts,
            pred,
            target,
            num_classes=c,
            ignore_index=ign,
            per_sample=per_sample,
        )
    p, t, ign = ml
    w = np.linspace(0.5, 2.0, p.shape[0]) if weighted else None
    for per_sample in (False, True):
        both(ioukit.binary_counts, p, t, ignore_index=ign, per_sample=per_sample)
        both(ioukit.multilabel_counts, p, t, ignore_index=ign, per_sample=per_sample)
