"""The bit-packed mask kernels give the same bits on any number of threads.

Each kernel is one serial range kernel that :func:`ioukit.kernels._threads.run_chunks` calls on
ranges of rows; these tests force several threads (and ranges of one row) on small inputs and
compare every output with the one-call path, for each input kind: bool (NumPy's packbits),
uint8 / int8 (the byte check, 8 bytes per load or one), and other dtypes (the packing kernel),
with and without non-binary rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from ioukit.kernels import _threads
from ioukit.kernels import masks as K


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``set(t)``: run every mask kernel on ``t`` threads (1: the one-call path)."""
    for name in ("_PARALLEL_MIN", "_PARALLEL_BYTES", "_PARALLEL_WORDS", "_PARALLEL_PAIR_WORDS"):
        monkeypatch.setattr(K, name, 1)

    def use(t: int) -> None:
        _threads.force_threads(t)

    try:
        yield use
    finally:
        _threads.force_threads(None)


def _masks(rng: np.random.Generator, n: int, p: int) -> np.ndarray[Any, Any]:
    m = rng.random((n, p)) < rng.random((n, 1))  # from empty to full, speckled
    m[::5] = False
    if p > 70:  # masks confined to a few words: the word ranges matter
        m[1::5] = False
        m[1::5, 64:70] = True
    return m


@pytest.mark.parametrize("p", [1, 8, 63, 64, 200, 640, 643])
@pytest.mark.parametrize(
    "dtype", [np.bool_, np.uint8, np.int8, np.int16, np.uint32, np.float16, np.float32, np.float64]
)
def test_pack_same_on_any_threads(threads: Any, p: int, dtype: Any) -> None:
    rng = np.random.default_rng(p)
    flat = _masks(rng, 23, p).astype(dtype)
    threads(1)
    ref = K.pack(flat)
    assert not ref[2].any()
    assert (ref[1][:, 0] == flat.astype(bool).sum(1)).all()
    for t in (2, 3, 40):
        threads(t)
        out = K.pack(flat)
        for x, y in zip(out, ref, strict=True):
            np.testing.assert_array_equal(x, y)
    if dtype == np.bool_:
        return
    bad = flat.copy()
    bad[[2, 17], 0] = 3  # non-binary rows are flagged, each on its own
    for t in (1, 2, 3):
        threads(t)
        np.testing.assert_array_equal(np.flatnonzero(K.pack(bad)[2]), [2, 17])


@pytest.mark.parametrize(("n", "m"), [(1, 1), (2, 9), (9, 2), (17, 13), (30, 30)])
def test_counts_same_on_any_threads(threads: Any, n: int, m: int) -> None:
    rng = np.random.default_rng(n * 100 + m)
    a, b = _masks(rng, n, 700), _masks(rng, m, 700)
    threads(1)
    (wa, ia, _), (wb, ib, _) = K.pack(a), K.pack(b)
    ref = a.astype(np.int64) @ b.T.astype(np.int64)
    np.testing.assert_array_equal(K.pair_counts(wa, ia, wb, ib), ref)
    k = min(n, m)
    ref_aligned = np.einsum("ij,ij->i", a[:k].astype(np.int64), b[:k].astype(np.int64))
    np.testing.assert_array_equal(K.aligned_counts(wa[:k], ia[:k], wb[:k], ib[:k]), ref_aligned)
    for t in (2, 3, 40):
        threads(t)
        np.testing.assert_array_equal(K.pair_counts(wa, ia, wb, ib), ref)
        np.testing.assert_array_equal(K.aligned_counts(wa[:k], ia[:k], wb[:k], ib[:k]), ref_aligned)
