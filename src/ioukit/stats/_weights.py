"""Resampling weights: which images each bootstrap replicate draws, in bounded chunks.

A replicate is a row of integer multiplicities ``w`` (how often each image was drawn; a
bootstrap row sums to ``N``, a jackknife row to ``N - 1``). Rows come in chunks of at most
:data:`CHUNK_BYTES`, so memory stays bounded whatever the number of replicates, and each
:class:`~ioukit.stats.BootstrapSource` turns a chunk into the metric's values on those resampled
datasets (for counts, by :class:`WeightedSums`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from ioukit._errors import InputError, ParameterError

if TYPE_CHECKING:
    from ioukit.stats._source import BootstrapSource

__all__ = [
    "CHUNK_BYTES",
    "WeightedSums",
    "bootstrap_weights",
    "jackknife_weights",
    "make_rng",
    "replicate_matrices",
]

NDArray = np.ndarray[Any, Any]

CHUNK_BYTES = 64 * 2**20
"""Memory budget of one chunk of replicates: a chunk has at most
``CHUNK_BYTES // (8 · ROW_ARRAYS · N)`` rows, so the ``(rows, N)`` float64 weights and up to
``ROW_ARRAYS - 1`` temporaries of their size (the draw, the weighted means of the per-image
conventions) fit in it."""

ROW_ARRAYS = 8

# from this many images on, a chunk's draw is counted one row at a time (measured: 1.5x faster
# at N = 5000; at N = 150 the per-call overhead makes it 10x slower)
_ROW_BINCOUNT = 2048


def make_rng(func: str, random_state: object) -> np.random.Generator:
    """A NumPy Generator from ``None`` (fresh entropy), a non-negative int, or a Generator
    (used as is, so its state advances)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (
        isinstance(random_state, Integral)
        and not isinstance(random_state, bool)
        and int(random_state) >= 0
    ):
        return np.random.default_rng(None if random_state is None else int(random_state))
    raise ParameterError(
        f"{func}: `random_state` must be None, a non-negative int or a numpy.random.Generator; "
        f"got {random_state!r}."
    )


def chunk_rows(n_images: int) -> int:
    """Rows of one chunk of weights for ``n_images`` images (see :data:`CHUNK_BYTES`)."""
    return max(1, CHUNK_BYTES // (8 * ROW_ARRAYS * max(n_images, 1)))


def bootstrap_weights(
    n_images: int,
    n_resamples: int,
    *,
    random_state: int | np.random.Generator | None = None,
    rows: int | None = None,
) -> Iterator[NDArray]:
    """Multinomial resampling weights, in chunks of rows.

    Each replicate draws ``n_images`` image indices uniformly with replacement
    (``Generator.integers(0, N, size=(rows, N))``, the draw of ``scipy.stats.bootstrap``) and
    counts them per row: row ``b`` holds how often each image was drawn, so it sums to ``N``.

    Parameters
    ----------
    n_images : int
        ``N``, the number of images (the resampling unit).
    n_resamples : int
        ``B``, the number of replicates (rows over all chunks).
    random_state : None, int or numpy.random.Generator
        Seed of the draw. A Generator is used as is (its state advances).
    rows : int, optional
        Rows per chunk; by default as many as fit :data:`CHUNK_BYTES`. The draws do not
        depend on it: the chunks are consecutive pieces of one stream of indices.

    Yields
    ------
    ndarray of float64, shape (rows, N)
        Nonnegative integer multiplicities; the last chunk may be shorter.

    Examples
    --------
    >>> w = np.concatenate(list(bootstrap_weights(4, 5, random_state=0, rows=2)))
    >>> w.shape, w.sum(axis=1).tolist()
    ((5, 4), [4.0, 4.0, 4.0, 4.0, 4.0])
    """
    func = "bootstrap_weights"
    n = _count(func, "n_images", n_images, 1)
    b = _count(func, "n_resamples", n_resamples, 1)
    step = chunk_rows(n) if rows is None else _count(func, "rows", rows, 1)
    return _draws(make_rng(func, random_state), n, b, step)  # checked now, drawn when asked


def _draws(rng: np.random.Generator, n: int, b: int, step: int) -> Iterator[NDArray]:
    for start in range(0, b, step):
        r = min(step, b - start)
        idx = rng.integers(0, n, size=(r, n))
        if n < _ROW_BINCOUNT:  # row b counted into bins [bN, bN + N) of one bincount
            idx += np.arange(0, r * n, n, dtype=idx.dtype)[:, None]
            yield np.bincount(idx.ravel(), minlength=r * n).reshape(r, n).astype(np.float64)
            continue
        out = np.empty((r, n), dtype=np.float64)
        for row in range(r):  # long rows: one bincount each stays in cache
            out[row] = np.bincount(idx[row], minlength=n)
        yield out


def jackknife_weights(n_images: int, *, rows: int | None = None) -> Iterator[NDArray]:
    """Leave-one-image-out weights, in chunks: row ``i`` is all ones but a zero at image ``i``
    (``(rows, N)`` float64; ``N`` rows in all).

    Examples
    --------
    >>> np.concatenate(list(jackknife_weights(3, rows=2))).tolist()
    [[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
    """
    n = _count("jackknife_weights", "n_images", n_images, 1)
    step = chunk_rows(n) if rows is None else _count("jackknife_weights", "rows", rows, 1)
    return _leave_one_out(n, step)


def _leave_one_out(n: int, step: int) -> Iterator[NDArray]:
    for start in range(0, n, step):
        r = min(step, n - start)
        w = np.ones((r, n), dtype=np.float64)
        w[np.arange(r), np.arange(start, start + r)] = 0.0
        yield w


def _count(func: str, name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise ParameterError(f"{func}: `{name}` must be an integer >= {low}; got {value!r}.")
    return int(value)


class WeightedSums:
    """``weights @ values`` for many chunks of weights: ``(B, N) @ (N, K) -> (B, K)`` float64.

    For integer ``values`` the product is exact: every term and every partial sum is an integer
    at most ``Σ_i w_i · max(values) ≤ N · max(values)`` (weights are multiplicities summing to
    at most ``N``), and floating point holds every integer up to ``2**24`` (float32) or
    ``2**53`` (float64) exactly, so the order in which BLAS adds does not matter. The product is
    taken in float32 below the first bound (about twice as fast: small counts such as panoptic
    segments), in float64 below the second (pixel counts), and in int64 beyond. Floating-point
    ``values`` are multiplied in float64.

    Examples
    --------
    >>> s = WeightedSums(np.array([[1, 2], [3, 4]]))
    >>> s(np.array([[2.0, 0.0], [1.0, 1.0]])).tolist()
    [[2.0, 4.0], [4.0, 6.0]]
    """

    def __init__(self, values: NDArray) -> None:
        values = np.asarray(values)
        dtype: Any = np.float64
        if values.dtype.kind in "iub":
            big = int(values.max(initial=0)) * max(int(values.shape[0]), 1)
            dtype = np.float32 if big < 2**24 else np.float64 if big < 2**53 else np.int64
        self._dtype = dtype
        self._values = values.astype(dtype)

    def __call__(self, weights: NDArray) -> NDArray:
        out: NDArray = (weights.astype(self._dtype, copy=False) @ self._values).astype(
            np.float64, copy=False
        )
        return out


def replicate_matrices(
    sources: Sequence[BootstrapSource], metrics: Sequence[str], chunks: Iterator[NDArray]
) -> list[NDArray]:
    """Every source's ``(rows, M)`` replicates of ``metrics`` over all chunks of weights (the
    same weights for each source: a paired draw)."""
    parts: list[list[NDArray]] = [[] for _ in sources]
    for w in chunks:
        for source, out in zip(sources, parts, strict=True):
            values = np.asarray(source.replicates(metrics, w), dtype=np.float64)
            if values.shape != (w.shape[0], len(metrics)):
                raise InputError(
                    f"{type(source).__name__}.replicates returned shape {values.shape} for "
                    f"{w.shape[0]} weight rows and {len(metrics)} metric(s); expected "
                    f"({w.shape[0]}, {len(metrics)})."
                )
            out.append(values)
    return [np.concatenate(p, axis=0) for p in parts]


def jackknife_matrices(
    sources: Sequence[BootstrapSource], metrics: Sequence[str], chunks: Iterator[NDArray]
) -> list[NDArray]:
    """Every source's ``(N, M)`` leave-one-image-out values of ``metrics``: from the source's
    own ``jackknife(metrics)`` where it has one (an optional method: the values of
    ``replicates`` on the leave-one-out weights, computed faster, e.g. detection re-accumulates
    only the categories each image touches), otherwise from ``replicates`` on ``chunks`` (the
    weights of :func:`jackknife_weights`, drawn only when a source needs them)."""
    rest = [s for s in sources if not callable(getattr(s, "jackknife", None))]
    generic = iter(replicate_matrices(rest, metrics, chunks) if rest else [])
    out = []
    for source in sources:
        if not callable(getattr(source, "jackknife", None)):
            out.append(next(generic))
            continue
        values = np.asarray(source.jackknife(metrics), dtype=np.float64)  # type: ignore[attr-defined]
        n = len(source.image_names)
        if values.shape != (n, len(metrics)):
            raise InputError(
                f"{type(source).__name__}.jackknife returned shape {values.shape} for {n} "
                f"images and {len(metrics)} metric(s); expected ({n}, {len(metrics)})."
            )
        out.append(values)
    return out
