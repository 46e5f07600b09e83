"""The COCO accumulation kernel against a NumPy transcription of ``COCOeval.accumulate``
on arbitrary match statuses, and its score sort against NumPy's stable argsort."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ioukit.kernels import coco as kernels

pytest.importorskip("numba")

_NDArray = np.ndarray[Any, Any]


def _accumulate_reference(
    status: _NDArray, score: _NDArray, rank: _NDArray, cat_start: _NDArray,
    regular: _NDArray, rec_thr: _NDArray, max_dets: tuple[int, ...],
) -> tuple[_NDArray, _NDArray, _NDArray]:  # fmt: skip
    """``COCOeval.accumulate`` (pycocotools 2.0.11) over statuses: 0 false positive, 1 true
    positive, 2 ignored; a category's detections in (image, rank) order."""
    n_a, n_t = status.shape[:2]
    n_k, n_r, n_m = cat_start.size - 1, rec_thr.size, len(max_dets)
    precision = -np.ones((n_t, n_r, n_k, n_a, n_m))
    recall = -np.ones((n_t, n_k, n_a, n_m))
    scores = -np.ones((n_t, n_r, n_k, n_a, n_m))
    for k in range(n_k):
        lo, hi = cat_start[k], cat_start[k + 1]
        for a in range(n_a):
            npig = regular[a, k]
            if npig == 0:
                continue
            for m, cap in enumerate(max_dets):
                sel = np.arange(lo, hi)[rank[lo:hi] < cap]
                inds = np.argsort(-score[sel], kind="mergesort")
                dt_sorted = score[sel][inds]
                st_sorted = status[a][:, sel][:, inds]
                tps = st_sorted == 1
                fps = st_sorted == 0
                tp_sum = np.cumsum(tps, axis=1).astype(float)
                fp_sum = np.cumsum(fps, axis=1).astype(float)
                for t, (tp, fp) in enumerate(zip(tp_sum, fp_sum, strict=True)):
                    nd = len(tp)
                    rc = tp / npig
                    pr = (tp / (fp + tp + np.spacing(1))).tolist()
                    q = np.zeros(n_r)
                    ss = np.zeros(n_r)
                    recall[t, k, a, m] = rc[-1] if nd else 0
                    for i in range(nd - 1, 0, -1):
                        if pr[i] > pr[i - 1]:
                            pr[i - 1] = pr[i]
                    found = np.searchsorted(rc, rec_thr, side="left")
                    try:
                        for ri, pi in enumerate(found):
                            q[ri] = pr[pi]
                            ss[ri] = dt_sorted[pi]
                    except IndexError:
                        pass
                    precision[t, :, k, a, m] = q
                    scores[t, :, k, a, m] = ss
    return precision, recall, scores


@st.composite
def _cases(draw: Any) -> tuple[Any, ...]:
    n_k = draw(st.integers(1, 3))
    n_a = draw(st.integers(1, 3))
    n_t = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(0, 40), min_size=n_k, max_size=n_k))
    n = sum(sizes)
    cat_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    # few distinct scores: ties across images and ranks
    score = np.array(draw(st.lists(st.sampled_from([0.1, 0.5, 0.5 + 2**-40, 0.9, 1.0, 0.0,
                                                    -0.0]), min_size=n, max_size=n)))  # fmt: skip
    rank = np.array(draw(st.lists(st.integers(0, 12), min_size=n, max_size=n)), np.int64)
    # statuses as matching leaves them and as LVIS's rules leave them: any mix per detection
    flat = draw(st.lists(st.sampled_from([0, 0, 1, 2]), min_size=n_a * n_t * n,
                         max_size=n_a * n_t * n))  # fmt: skip
    status = np.array(flat, np.int8).reshape(n_a, n_t, n)
    regular = np.array(draw(st.lists(st.integers(0, 6), min_size=n_a * n_k,
                                     max_size=n_a * n_k)), np.int64).reshape(n_a, n_k)  # fmt: skip
    max_dets = draw(st.sampled_from([(1, 10, 100), (1, 3), (2,), (5, 1000)]))
    return status, score, rank, cat_start, regular, max_dets


@settings(max_examples=150, deadline=None)
@given(_cases())
def test_accumulate_equals_cocoeval(case: tuple[Any, ...]) -> None:
    status, score, rank, cat_start, regular, max_dets = case
    rec_thr = np.linspace(0.0, 1.0, 101)
    got = kernels.accumulate(status, score, rank, cat_start, regular, rec_thr, max_dets)
    want = _accumulate_reference(status, score, rank, cat_start, regular, rec_thr, max_dets)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([0.0, -0.0, 1.0, 0.5, -2.5, 1e-300, 5e-324]),
                          st.floats(-1e3, 1e3, allow_nan=False)), max_size=80))  # fmt: skip
def test_by_score_is_a_stable_descending_argsort(values: list[float]) -> None:
    score = np.array(values, np.float64)
    want = np.argsort(-score, kind="mergesort")
    np.testing.assert_array_equal(kernels.by_score(score), want)


def test_by_score_near_ties_and_long_runs() -> None:
    rng = np.random.default_rng(0)
    # scores equal in their top 33 key bits, in long and short runs, shuffled with exact ties
    base = 0.75 + rng.integers(0, 2**20, 3000) * 2.0**-52
    score = np.concatenate([base, base[:500], rng.random(2000), np.full(700, 0.25)])
    rng.shuffle(score)
    np.testing.assert_array_equal(kernels.by_score(score), np.argsort(-score, kind="mergesort"))


def test_release_free_memory_finds_malloc_trim_on_glibc() -> None:
    import platform
    import sys

    from ioukit.kernels import _memory

    _memory.release_free_memory()  # never raises, wherever it runs
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert (_memory._malloc_trim() is not None) == glibc
