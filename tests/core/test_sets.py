"""Jaccard of Python sets and iterables."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ioukit
from ioukit import set_counts, set_jaccard


def test_seed():
    # A = {1, 2, 3, 5, 8}, B = {2, 3, 4, 8, 9}
    # A ∩ B = {2, 3, 8} (3), A ∪ B = {1, 2, 3, 4, 5, 8, 9} (7) -> J = 3/7
    j = set_jaccard({1, 2, 3, 5, 8}, {2, 3, 4, 8, 9})
    assert isinstance(j, float)
    assert j == 3 / 7
    assert round(j, 4) == 0.4286


def test_set_counts():
    # pred P = {2, 3, 4, 8, 9}, target T = {1, 2, 3, 5, 8}: tp = |P ∩ T| = 3,
    # fp = |P − T| = |{4, 9}| = 2, fn = |T − P| = |{1, 5}| = 2, tn = 0
    c = set_counts({2, 3, 4, 8, 9}, {1, 2, 3, 5, 8})
    assert c.task == "binary"
    assert [int(c.tp[0]), int(c.fp[0]), int(c.fn[0]), int(c.tn[0])] == [3, 2, 2, 0]
    assert c.tp.dtype == np.int64
    # the same counts give the same score through the reduce module
    assert float(ioukit.jaccard(c, average="micro")) == 3 / 7


def test_set_counts_argument_order_is_pred_target():
    # pred {1, 2, 3}, target {3}: tp = 1, fp = |{1, 2}| = 2, fn = 0
    c = set_counts({1, 2, 3}, {3})
    assert [int(c.tp[0]), int(c.fp[0]), int(c.fn[0])] == [1, 2, 0]
    c = set_counts(pred={3}, target={1, 2, 3})  # swapped roles: fp = 0, fn = 2
    assert [int(c.tp[0]), int(c.fp[0]), int(c.fn[0])] == [1, 0, 2]


def test_iterables_and_duplicates():
    # lists with duplicates: {1, 2, 3} vs {2, 3, 4} -> 2/4
    assert set_jaccard([1, 1, 2, 3], [2, 3, 3, 4]) == 0.5
    assert set_jaccard((x for x in "abc"), iter("bcd")) == 0.5
    assert set_jaccard(frozenset({"cat", "dog"}), {"dog", "cat"}) == 1.0
    assert set_jaccard({(0, 1), (1, 1)}, [(1, 1)]) == 0.5
    assert set_jaccard(range(10), range(5, 15)) == 5 / 15


def test_symmetry():
    a, b = {1, 2, 3, 5, 8}, {2, 3, 4, 8, 9}
    assert set_jaccard(a, b) == set_jaccard(b, a)


def test_empty_sets():
    # one set empty: 0 / |other| = 0
    assert set_jaccard(set(), {1}) == 0.0
    assert set_jaccard([1, 2], []) == 0.0
    # both empty: 0/0 -> zero_division
    assert math.isnan(set_jaccard([], []))
    assert set_jaccard([], [], zero_division=1.0) == 1.0
    assert set_jaccard([], [], zero_division=0) == 0.0
    with pytest.warns(ioukit.UndefinedMetricWarning, match="0/0"):
        assert set_jaccard(set(), set(), zero_division="warn") == 0.0


def test_strings_are_rejected_with_a_hint():
    with pytest.raises(ioukit.InputError, match=r"`pred` must be an iterable of items, not a str"):
        set_jaccard("word", {"word"})
    with pytest.raises(ioukit.InputError, match=r"wrap it as \{'word'\}.*set\('word'\)"):
        set_jaccard({"word"}, "word")
    with pytest.raises(ValueError, match="not a bytes"):
        set_counts(b"ab", {1})


def test_non_iterables_and_unhashable_items():
    with pytest.raises(
        ioukit.InputError, match="`pred` must be an iterable of hashable items; got"
    ):
        set_jaccard(5, {5})  # type: ignore[arg-type]
    with pytest.raises(ioukit.InputError, match="every item of `target` must be hashable"):
        set_jaccard({1}, [[1, 2]])
