"""COCO's accumulation under image weights (bootstrap replicates), behind plain functions.

The match statuses of one evaluation are reused: :func:`plan` reduces them, once, to what a
replicate reads at one (area range, max_dets) slice, and :func:`replicates` evaluates the
requested means (AP, AR, per category) for every row of a weight matrix, blocks of rows in
parallel. The rules and the float arithmetic are those of :func:`ioukit.kernels.coco.
accumulate` and ``COCOeval.summarize``, so a row of ones gives the evaluation's own numbers,
bit for bit. See :mod:`ioukit.kernels._numba_coco_boot` for the method.

numba is imported when a kernel first runs, never at ``import ioukit``; each threaded kernel
asks the thread policy (:mod:`ioukit.kernels._threads`) how many threads to run on.

>>> import numpy as np
>>> from ioukit.kernels.coco_bootstrap import category_orders
>>> category_orders(np.array([0.2, 0.9, 0.5]), np.array([0, 3])).tolist()
[1, 2, 0]
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple

import numpy as np

from ioukit.kernels._threads import parallel_threads, run_chunks

__all__ = [
    "JackPairs",
    "MetricTable",
    "Plan",
    "category_orders",
    "gt_cells",
    "jackknife_cells",
    "metric_table",
    "plan",
    "replicates",
]

_NDArray = np.ndarray[Any, Any]

#: threads pay off from this much work (weight rows times planned items)
_PARALLEL_MIN_WORK = 1 << 18
#: the plan of a slice pays off in parallel from this many detections
_PARALLEL_MIN_DETS = 1 << 15
#: at most this much memory for the precision buffers of the parallel chunks together (each
#: holds (T, K, R) values for 8 weight rows: 5 MiB for COCO, 78 MiB for LVIS's 1,203 classes)
_BUFFER_BUDGET = 1 << 29


@cache
def _jit() -> Any:
    # imports numba: only here, when a kernel first runs
    from ioukit.kernels import _numba_coco_boot

    return _numba_coco_boot


@cache
def _jit_jack() -> Any:
    from ioukit.kernels import _numba_coco_jack

    return _numba_coco_jack


class Plan(NamedTuple):
    """The slices of one set of metrics, concatenated (see
    :func:`ioukit.kernels._numba_coco_boot.plan_pass`): slice ``s`` reads area range
    ``area[s]``, evaluates precision when ``prec[s]`` and the thresholds where ``tneed[s]``;
    category ``k`` of slice ``s`` is at ``s * K + k`` of the offsets."""

    area: _NDArray  # (S,) int64
    prec: _NDArray  # (S,) bool
    tneed: _NDArray  # (S, T) bool
    cand_off: _NDArray
    cimg: _NDArray
    hit_off: _NDArray
    hit_cend: _NDArray
    ev_off: _NDArray
    ev_hit: _NDArray
    ev_img: _NDArray
    ev_flag: _NDArray


class MetricTable(NamedTuple):
    """Metric ``m`` is the mean over slice ``slice[m]``'s precision (``ap[m]``) or recall at
    the thresholds ``t[t_off[m]:t_off[m + 1]]`` and categories ``k[k_off[m]:k_off[m + 1]]``,
    each value ``rep[m]`` times (a max_dets listed twice); see :func:`metric_table`."""

    ap: _NDArray  # (M,) bool
    slice: _NDArray  # (M,) int64
    rep: _NDArray  # (M,) int64
    fast: _NDArray  # (M,) bool: thresholds a range, every category in order, rep 1
    t_off: _NDArray
    t: _NDArray
    k_off: _NDArray
    k: _NDArray


def metric_table(
    specs: Sequence[tuple[bool, int, int, Sequence[int], Sequence[int]]], n_k: int
) -> MetricTable:
    """The table of metrics given as ``(is AP, slice, rep, thresholds, categories)``."""

    def offsets(lists: list[Sequence[int]]) -> tuple[_NDArray, _NDArray]:
        off = np.zeros(len(lists) + 1, np.int64)
        np.cumsum([len(x) for x in lists], out=off[1:])
        flat = np.fromiter((v for x in lists for v in x), np.int64, int(off[-1]))
        return off, flat

    def fast(rep: int, ts: Sequence[int], ks: Sequence[int]) -> bool:
        t_range = list(ts) == list(range(ts[0], ts[0] + len(ts))) if len(ts) else False
        return rep == 1 and t_range and list(ks) == list(range(n_k))

    return MetricTable(
        np.array([m[0] for m in specs], np.bool_),
        np.array([m[1] for m in specs], np.int64),
        np.array([m[2] for m in specs], np.int64),
        np.array([fast(m[2], m[3], m[4]) for m in specs], np.bool_),
        *offsets([m[3] for m in specs]),
        *offsets([m[4] for m in specs]),
    )


def _chunks(threads: int) -> int:
    """Chunks of categories for ``threads`` threads: 4 per thread, or 1 (a serial run)."""
    return 4 * threads if threads > 1 else 1


def category_orders(dt_score: _NDArray, cat_start: _NDArray) -> _NDArray:
    """Absolute positions of each category's detections (``cat_start[k]:cat_start[k + 1]``)
    by decreasing score, ties in position order: the order of COCO's accumulation."""
    threads = parallel_threads(int(dt_score.size), min_work=_PARALLEL_MIN_DETS)
    order = np.empty(np.size(dt_score), np.int64)
    chunks = _chunks(threads)
    run_chunks(
        _jit().category_orders, chunks, threads,
        np.asarray(dt_score, np.float64), np.asarray(cat_start, np.int64), order, chunks,
        pieces=threads,
    )  # fmt: skip
    return order


def gt_cells(regular: _NDArray, n_k: int, n_img: int) -> tuple[_NDArray, _NDArray, _NDArray]:
    """The regular ground truths per (area range, category) as sparse rows ``(off, image,
    count)``: area ``a``, category ``k`` at ``off[a * K + k]:off[a * K + k + 1]``, from
    ``regular (A, K * N)`` (cells category-major)."""
    rows = np.asarray(regular).reshape(-1, max(n_img, 1))[:, :n_img]
    row, img = np.nonzero(rows)
    off = np.zeros(rows.shape[0] + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=rows.shape[0]), out=off[1:])
    return off, img.astype(np.uint32), rows[row, img].astype(np.int64)


def plan(
    dt_status: _NDArray,
    dt_rank: _NDArray,
    dt_image: _NDArray,
    order: _NDArray,
    cat_start: _NDArray,
    slices: Sequence[tuple[int, int, _NDArray, bool]],
) -> Plan:
    """The plans of ``slices``, each ``(area position, max_det, tneed (T,) bool, with
    precision)``, concatenated; ``order`` from :func:`category_orders`."""
    jit = _jit()
    n_t = dt_status.shape[1]
    threads = parallel_threads(int(dt_rank.size), min_work=_PARALLEL_MIN_DETS)
    parts = []
    rank, image = np.asarray(dt_rank, np.int64), np.asarray(dt_image, np.uint32)
    starts = np.asarray(cat_start, np.int64)
    chunks = _chunks(threads)
    n_k = starts.size - 1
    for a, max_det, tneed, with_prec in slices:
        need = np.asarray(tneed, np.bool_)
        args = (dt_status, rank, image, order, starts, int(a), int(max_det), need, bool(with_prec))
        counts = np.zeros((n_k, 3 + n_t), np.int64)
        none = (np.zeros(0, np.int64), np.zeros(0, np.uint32), np.zeros(0, np.int64),
                np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                np.zeros(0, np.uint32), np.zeros(0, np.int8))  # fmt: skip
        run_chunks(
            jit.plan_pass, chunks, threads, *args, counts, none, False, chunks, pieces=threads
        )
        cand_off, hit_off, ev_off = (
            np.concatenate([[0], np.cumsum(c)]).astype(np.int64)
            for c in (counts[:, 0], counts[:, 1], counts[:, 3:].reshape(-1))
        )
        counts[:, 3:] = 0
        n_ev = int(ev_off[-1])
        laid = (cand_off, np.empty(int(cand_off[-1]), np.uint32), hit_off,
                np.empty(int(hit_off[-1]), np.int64), ev_off, np.empty(n_ev, np.int64),
                np.empty(n_ev, np.uint32), np.empty(n_ev, np.int8))  # fmt: skip
        run_chunks(
            jit.plan_pass, chunks, threads, *args, counts, laid, True, chunks, pieces=threads
        )
        parts.append(laid)
    cand_base = hit_base = ev_base = 0
    cols: list[list[_NDArray]] = [[] for _ in range(8)]
    for s, (cand_off, cimg, hit_off, hit_cend, ev_off, ev_hit, ev_img, ev_flag) in enumerate(parts):
        last = s == len(parts) - 1  # each offset array ends with its total: keep the last
        cols[0].append(cand_off[: None if last else -1] + cand_base)
        cols[1].append(cimg)
        cols[2].append(hit_off[: None if last else -1] + hit_base)
        cols[3].append(hit_cend + cand_base)
        cols[4].append(ev_off[: None if last else -1] + ev_base)
        cols[5].append(ev_hit + hit_base)
        cols[6].append(ev_img)
        cols[7].append(ev_flag)
        cand_base += int(cand_off[-1])
        hit_base += int(hit_off[-1])
        ev_base += int(ev_off[-1])
    if not parts:
        empty = np.zeros(0, np.int64)
        cols = [[np.zeros(1, np.int64)], [empty.astype(np.uint32)], [np.zeros(1, np.int64)],
                [empty], [np.zeros(1, np.int64)], [empty], [empty.astype(np.uint32)],
                [empty.astype(np.int8)]]  # fmt: skip
    joined = [np.concatenate(c) for c in cols]
    return Plan(
        np.array([s[0] for s in slices], np.int64),
        np.array([s[3] for s in slices], np.bool_),
        np.array([s[2] for s in slices], np.bool_).reshape(len(slices), n_t),
        *joined,
    )


def replicates(
    weights: _NDArray,
    n_k: int,
    the_plan: Plan,
    cells: tuple[_NDArray, _NDArray, _NDArray],
    recall_thresholds: _NDArray,
    metrics: MetricTable,
) -> _NDArray:
    """The metrics ``(B, M)`` for the image weights ``weights (B, N)`` (float64, nonnegative
    integers), from :func:`plan` and :func:`gt_cells`."""
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    work = weights.shape[0] * (the_plan.cimg.size + the_plan.ev_img.size + 1)
    threads = parallel_threads(work, min_work=_PARALLEL_MIN_WORK)
    lanes = _jit()._LANES
    buffer = 8 * lanes * the_plan.tneed.shape[1] * n_k * np.asarray(recall_thresholds).size
    n_chunks = max(1, min(threads, -(-weights.shape[0] // lanes), _BUFFER_BUDGET // max(buffer, 1)))
    out = np.empty((weights.shape[0], metrics[0].size))
    run_chunks(
        _jit().replicates, n_chunks, threads,
        weights, int(n_k), the_plan.area, the_plan.prec, the_plan.tneed, the_plan.cand_off,
        the_plan.cimg, the_plan.hit_off, the_plan.hit_cend, the_plan.ev_off,
        the_plan.ev_hit, the_plan.ev_img, the_plan.ev_flag, *cells,
        np.asarray(recall_thresholds, np.float64), *metrics, out, n_chunks, pieces=threads,
    )  # fmt: skip
    return out


class JackPairs(NamedTuple):
    """The (category, image) pairs whose category changes when the image is left out (see
    :func:`jackknife_pairs`): category ``k``'s at ``off[k]:off[k + 1]``, led by one for the
    full data (image ``N``); ``gt (A, P)`` the left-out image's regular ground truths of the
    pair's category; ``npig (A, K)`` the full data's; blocks of up to ``_LANES`` pairs of one
    category start at ``blk_p0``, category ``blk_k``, the costliest categories first."""

    off: _NDArray  # (K + 1,) int64
    cat: _NDArray  # (P,) int64
    img: _NDArray  # (P,) int64, N for the full data
    gt: _NDArray  # (A, P) float64
    npig: _NDArray  # (A, K) float64
    blk_k: _NDArray  # (NB,) int64
    blk_p0: _NDArray  # (NB,) int64
    work: int


def jackknife_pairs(
    dt_image: _NDArray, cat_start: _NDArray, regular: _NDArray, n_img: int
) -> JackPairs:
    """The pairs ``(k, i)`` where image ``i`` has a detection or a regular ground truth
    (``regular (A, K * N)``, cells category-major) of category ``k``, and the blocks of
    :func:`jackknife_cells`."""
    n_k = cat_start.size - 1
    starts = np.asarray(cat_start, np.int64)
    reg = np.asarray(regular).reshape(-1, n_k, n_img)
    touch = np.asarray(reg.any(axis=0))
    touch[np.repeat(np.arange(n_k), np.diff(starts)), np.asarray(dt_image, np.int64)] = True
    counts = touch.sum(axis=1) + 1
    off = np.zeros(n_k + 1, np.int64)
    np.cumsum(counts, out=off[1:])
    cat = np.repeat(np.arange(n_k), counts)
    img = np.full(int(off[-1]), n_img, np.int64)
    lead = np.zeros(img.size, np.bool_)
    lead[off[:-1]] = True
    img[~lead] = np.nonzero(touch)[1]
    gt = np.where(lead, 0, reg[:, cat, np.minimum(img, max(n_img - 1, 0))]).astype(np.float64)
    lanes = _jit()._LANES
    n_blk = -(-counts // lanes)
    blk_k = np.repeat(np.arange(n_k), n_blk)
    first = np.repeat(np.cumsum(n_blk) - n_blk, n_blk)
    blk_p0 = off[blk_k] + lanes * (np.arange(blk_k.size) - first)
    cost = np.diff(starts)[blk_k] + 1
    by_cost = np.argsort(-cost, kind="stable")
    npig = reg.sum(axis=2).astype(np.float64)
    return JackPairs(off, cat, img, gt, npig, blk_k[by_cost], blk_p0[by_cost], int(cost.sum()))


def jackknife_cells(
    n_img: int, n_k: int, the_plan: Plan, pairs: JackPairs, recall_thresholds: _NDArray
) -> tuple[_NDArray, _NDArray, _NDArray]:
    """``(psum (S, P, T), rsum (S, P, T), valid (S, P))``: per slice of ``the_plan`` and pair
    of :func:`jackknife_pairs`, the precision summed over the recall levels and the recall at
    each evaluated threshold with the pair's image left out, and whether the category keeps a
    regular ground truth (0 otherwise)."""
    n_t = the_plan.tneed.shape[1]
    own_pos, own_lo, own_hi = _own_candidates(n_img, n_k, the_plan, pairs)
    threads = parallel_threads(pairs.work * n_t, min_work=_PARALLEL_MIN_WORK)
    n_s, n_p = the_plan.area.size, pairs.img.size
    psum, rsum = np.zeros((n_s, n_p, n_t)), np.zeros((n_s, n_p, n_t))
    valid = np.zeros((n_s, n_p), np.bool_)
    run_chunks(
        _jit_jack().jackknife_cells, threads, threads,
        int(n_img), int(n_k), the_plan.area, the_plan.prec, the_plan.tneed,
        the_plan.cand_off, the_plan.cimg, the_plan.hit_off, the_plan.hit_cend,
        the_plan.ev_off, the_plan.ev_hit, the_plan.ev_img, the_plan.ev_flag, pairs.npig,
        pairs.off, pairs.img, pairs.gt, own_pos, own_lo, own_hi, pairs.blk_k, pairs.blk_p0,
        np.asarray(recall_thresholds, np.float64), psum, rsum, valid, max(threads, 1),
        pieces=threads,
    )  # fmt: skip
    return psum, rsum, valid


def _own_candidates(
    n_img: int, n_k: int, the_plan: Plan, pairs: JackPairs
) -> tuple[_NDArray, _NDArray, _NDArray]:
    """``(pos, lo (S, P), hi (S, P))``: the positions in ``the_plan.cimg`` of the candidates of
    pair ``p``'s image and category in slice ``s`` are ``pos[lo[s, p]:hi[s, p]]``, increasing
    (none for a pair of the full data)."""
    n_s = the_plan.area.size
    pos = np.argsort(np.repeat(np.arange(n_s * n_k), np.diff(the_plan.cand_off)) * (n_img + 1)
                     + the_plan.cimg, kind="stable")  # fmt: skip
    keys = np.repeat(np.arange(n_s * n_k), np.diff(the_plan.cand_off))[pos] * (n_img + 1)
    keys += the_plan.cimg[pos]
    mine = (np.arange(n_s)[:, None] * n_k + pairs.cat) * (n_img + 1) + pairs.img
    lo = np.searchsorted(keys, mine, side="left")
    hi = np.searchsorted(keys, mine, side="right")
    return pos.astype(np.int64), lo.astype(np.int64), hi.astype(np.int64)
