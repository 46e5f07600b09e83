"""The numba kernels behind :mod:`ioukit.kernels.coco`: grouping detections into (image,
category) cells, the cells' box IoUs, COCO's greedy matching of every cell at every area range
and IoU threshold, and the accumulation into precision/recall arrays.

This module imports numba, so only :mod:`ioukit.kernels.coco` imports it, lazily, when an
evaluation first runs. The kernels live at module level so that numba's disk cache
(``cache=True``) finds them again in a new process.

A detection's status (``dt_status``, int8 ``(A, T, D)``): 0 false positive, 1 true positive,
2 ignored (neither).
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def match_cells(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    iou, iou_off, gt_off, gt_ignore, gt_area, gt_crowd, gt_id_nonzero, dt_off, dt_area,
    thresholds, area_ranges, dt_status, dt_gt, regular_gt, n_chunks, first, last,
):  # fmt: skip
    """Fill ``dt_status`` ``(A, T, D)`` and ``regular_gt`` ``(A, cells)`` for the cells of
    the chunks ``[first, last)`` of ``n_chunks`` (cells write disjoint outputs: chunks may run
    on several threads at once); ``dt_gt`` (the same shape, filled with -1 by the caller, or
    ``(A, T, 0)`` when not wanted) receives the position (in the ground-truth order of the
    cells) of the ground truth each detection takes.

    Cell ``c`` holds the ground truths ``gt_off[c]:gt_off[c + 1]`` (in file order) and the
    detections ``dt_off[c]:dt_off[c + 1]`` (in decreasing score order, already cut to the
    largest max_dets); its IoU matrix ``(D_c, G_c)`` is ``iou[iou_off[c]:iou_off[c + 1]]``,
    row-major. ``thresholds`` are already lowered to ``min(t, 1 - 1e-10)``.

    The rule of ``COCOeval.evaluateImg``: ground truths are ignored when flagged (crowd) or
    when their area is outside the range (inclusive bounds); they are visited regular ones
    first, each group in file order. Each detection, in score order, takes the ground truth of
    highest IoU ``>=`` the threshold (the later one on ties), skipping non-crowd ground truths
    already taken, and stops at the first ignored ground truth once it holds a regular one. A
    detection matched to an ignored ground truth is ignored; an unmatched one (or one matched
    to a ground truth whose id is 0, which COCO stores as "unmatched") is ignored when its own
    area is outside the range.

    One function (each called function adds compile time in a fresh environment): the chunks
    ``[first, last)`` are the one range of cells below.
    """
    n_cells = gt_off.size - 1
    c0 = (n_cells * first) // n_chunks
    c1 = (n_cells * last) // n_chunks
    n_t = thresholds.size
    n_a = area_ranges.shape[0]
    # scratch for the largest cell of the range, allocated once
    max_g = 0
    max_d = 0
    for c in range(c0, c1):
        max_g = max(max_g, gt_off[c + 1] - gt_off[c])
        max_d = max(max_d, dt_off[c + 1] - dt_off[c])
    keep_gt = dt_gt.shape[2] > 0
    order = np.empty(max_g, dtype=np.int64)
    ignored = np.empty(max_g, dtype=np.bool_)
    taken = np.empty(max_g, dtype=np.bool_)
    row_max = np.empty(max_d, dtype=np.float64)
    for c in range(c0, c1):
        g0 = gt_off[c]
        n_g = gt_off[c + 1] - g0
        d0 = dt_off[c]
        n_d = dt_off[c + 1] - d0
        o = iou_off[c]
        if n_g == 0:
            # nothing to match: every detection is a false positive, ignored outside the range
            for a in range(n_a):
                regular_gt[a, c] = 0
                lo = area_ranges[a, 0]
                hi = area_ranges[a, 1]
                for d in range(n_d):
                    k = d0 + d
                    st = 2 if dt_area[k] < lo or dt_area[k] > hi else 0
                    for t in range(n_t):
                        dt_status[a, t, k] = st
            continue
        # a detection whose best IoU in the cell is below a threshold matches nothing there
        for d in range(n_d):
            row_max[d] = -np.inf
            for g in range(n_g):
                row_max[d] = max(row_max[d], iou[o + d * n_g + g])
        for a in range(n_a):
            lo = area_ranges[a, 0]
            hi = area_ranges[a, 1]
            for g in range(n_g):
                ar = gt_area[g0 + g]
                ignored[g] = gt_ignore[g0 + g] or ar < lo or ar > hi
            n = 0
            for g in range(n_g):
                if not ignored[g]:
                    order[n] = g
                    n += 1
            regular_gt[a, c] = n
            for g in range(n_g):
                if ignored[g]:
                    order[n] = g
                    n += 1
            for t in range(n_t):
                taken[:n_g] = False  # a memset: a loop here costs 7% more time warm
                for d in range(n_d):
                    best = thresholds[t]
                    m = -1
                    n_scan = n_g if row_max[d] >= best else 0
                    for j in range(n_scan):
                        g = order[j]
                        if taken[g] and not gt_crowd[g0 + g]:
                            continue
                        if m > -1 and not ignored[m] and ignored[g]:
                            break
                        v = iou[o + d * n_g + g]
                        if v < best:
                            continue
                        best = v
                        m = g
                    k = d0 + d
                    st = 0
                    if m > -1:
                        taken[m] = True
                        if keep_gt:
                            dt_gt[a, t, k] = g0 + m
                        if ignored[m]:
                            st = 2
                        elif gt_id_nonzero[g0 + m]:
                            st = 1
                    if st == 0 and (dt_area[k] < lo or dt_area[k] > hi):
                        st = 2
                    dt_status[a, t, k] = st


@nb.njit(cache=True, nogil=True, inline="always")
def _before(a, b, score, tie):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    # item a strictly before item b: a higher score (NaN last), else a smaller tie
    x = score[a]
    y = score[b]
    if (x != x) != (y != y):
        return y != y
    if x == x and x != y:
        return x > y
    return tie[a] < tie[b]


@nb.njit(cache=True, nogil=True)
def order_cells(cell, score, tie, n_cells, by_score):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Items grouped by cell (``cell[i] < 0``: dropped), in file order, or with ``by_score``
    by decreasing ``score`` within a cell, ties by increasing ``tie`` then file order (a
    stable sort). Returns (order, off): cell ``c`` holds ``order[off[c]:off[c + 1]]``."""
    n = cell.size
    off = np.empty(n_cells + 1, dtype=np.int64)
    for c in range(n_cells + 1):
        off[c] = 0
    for i in range(n):
        if cell[i] >= 0:
            off[cell[i] + 1] += 1
    for c in range(n_cells):
        off[c + 1] += off[c]
    pos = np.empty(n_cells, dtype=np.int64)
    for c in range(n_cells):
        pos[c] = off[c]
    order = np.empty(off[n_cells], dtype=np.int64)
    for i in range(n):
        c = cell[i]
        if c >= 0:
            order[pos[c]] = i
            pos[c] += 1
    if by_score:
        for c in range(n_cells):
            lo = off[c]
            hi = off[c + 1]
            if hi - lo > 64:
                # a stable sort by decreasing score, NaN last, then by increasing tie (the
                # order of np.argsort(-score, kind="mergesort") after a stable sort by the
                # tie): insertion sort of runs of 16, then bottom-up merges (numba's own
                # argsort costs seconds to compile). Written here, not in a kernel of its own:
                # a caller compiles its callees' code again.
                m = hi - lo
                for r0 in range(lo, hi, 16):
                    r1 = min(r0 + 16, hi)
                    for a in range(r0 + 1, r1):
                        v = order[a]
                        b = a - 1
                        while b >= r0 and _before(v, order[b], score, tie):
                            order[b + 1] = order[b]
                            b -= 1
                        order[b + 1] = v
                src = np.empty(m, dtype=np.int64)
                for k in range(m):
                    src[k] = order[lo + k]
                dst = np.empty(m, dtype=np.int64)
                width = 16
                while width < m:
                    for r0 in range(0, m, 2 * width):
                        mid = min(r0 + width, m)
                        r1 = min(r0 + 2 * width, m)
                        i = r0
                        j = mid
                        for k in range(r0, r1):
                            if j < r1 and (i >= mid or _before(src[j], src[i], score, tie)):
                                dst[k] = src[j]
                                j += 1
                            else:
                                dst[k] = src[i]
                                i += 1
                    src, dst = dst, src
                    width *= 2
                for k in range(m):
                    order[lo + k] = src[k]
                continue
            # insertion sort: cells are short, and it is stable
            for a in range(lo + 1, hi):
                v = order[a]
                s = score[v]
                t = tie[v]
                b = a - 1
                while b >= lo:
                    u = order[b]
                    if score[u] > s or (score[u] == s and tie[u] <= t):
                        break
                    order[b + 1] = u
                    b -= 1
                order[b + 1] = v
    return order, off


@nb.njit(cache=True, nogil=True)
def box_ious(dbox, gbox, crowd, dt_off, gt_off, iou_off, out, n_chunks, first, last):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The flat IoU matrices ``out`` of the cells of chunks ``[first, last)`` of ``n_chunks``
    (rows: the cell's detections ``dt_off[c]:``, columns: its ground truths ``gt_off[c]:``,
    boxes xywh already in cell order), with COCO's float64 formula (``bbIou``): boxes that
    only touch give 0, a crowd ground truth divides by the detection's area."""
    n_cells = gt_off.size - 1
    for ch in range(first, last):
        c0 = (n_cells * ch) // n_chunks
        c1 = (n_cells * (ch + 1)) // n_chunks
        for c in range(c0, c1):
            g0 = gt_off[c]
            ng = gt_off[c + 1] - g0
            o = iou_off[c]
            for d in range(dt_off[c + 1] - dt_off[c]):
                k = dt_off[c] + d
                dx = dbox[k, 0]
                dy = dbox[k, 1]
                dw = dbox[k, 2]
                dh = dbox[k, 3]
                da = dw * dh
                for g in range(ng):
                    gk = g0 + g
                    gx = gbox[gk, 0]
                    gy = gbox[gk, 1]
                    gw = gbox[gk, 2]
                    gh = gbox[gk, 3]
                    w = min(dw + dx, gw + gx) - max(dx, gx)
                    h = min(dh + dy, gh + gy) - max(dy, gy)
                    v = 0.0
                    if w > 0 and h > 0:
                        inter = w * h
                        union = da if crowd[gk] else da + gw * gh - inter
                        v = inter / union
                    out[o + d * ng + g] = v


#: the radix sort's digit: 11 bits, three passes over 33 bits of a score's key
_DIGIT = 11
#: a run of equal top keys longer than this is sorted by the radix sort on the low bits
#: rather than by insertion
_SHORT_RUN = 32
#: ``np.spacing(1)``, COCO's precision denominator term (a constant: no ufunc to compile)
_EPS = float(np.spacing(1.0))


@nb.njit(cache=True, nogil=True)
def by_score(score):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``np.argsort(-score, kind="mergesort")`` for finite scores: positions by decreasing
    score, ties in position order.

    A stable LSD radix sort on each score's order-preserving 64-bit integer key: first on its
    top 33 bits (sign, exponent and 21 bits of mantissa), then each run of equal top bits
    (scores that differ only below them, rare) by insertion when short, else by the same
    radix passes on the low 31 bits. One radix body serves both (a second sort routine
    would add compile time in a fresh environment). -0.0 and 0.0 are equal, as for the
    comparison sort."""
    n = score.size
    sign = np.uint64(1) << np.uint64(63)
    mask = np.uint64((1 << _DIGIT) - 1)
    low = np.uint64(64 - 3 * _DIGIT)  # the low bits below the top 33
    key = np.empty(n, dtype=np.uint64)  # increasing key: decreasing score
    for i in range(n):  # loops, not array expressions: less code to compile
        # the bits of a scalar (an array's view compiles more code); -0.0 becomes 0.0
        v = np.float64(score[i] + 0.0).view(np.uint64)
        ascending = ~v if v & sign else v | sign
        key[i] = ~ascending
    # the order and a spare buffer, both in one array (rows f and 1 - f): no array variable
    # is reassigned in the loops (swapping two would leave reference counting in them)
    buf = np.empty(2 * n, dtype=np.int64)
    for i in range(n):
        buf[i] = i
    f = 0  # the row holding the order
    count = np.empty((1 << _DIGIT) + 1, dtype=np.int64)
    # segments [i, j): first all of 0..n on the top bits, then each long run on the low bits
    top = True
    i = 0
    while i < n:
        o0 = f * n
        j = n
        if not top:
            j = i + 1
            head = key[buf[o0 + i]] >> low
            while j < n and key[buf[o0 + j]] >> low == head:
                j += 1
            if j - i <= _SHORT_RUN:
                # insertion sort: stable, and the run is short
                for a in range(o0 + i + 1, o0 + j):
                    v = buf[a]
                    b = a - 1
                    while b >= o0 + i and key[buf[b]] > key[v]:
                        buf[b + 1] = buf[b]
                        b -= 1
                    buf[b + 1] = v
                i = j
                continue
        base = low if top else np.uint64(0)
        g = f  # the row holding the segment
        for p in range(3):
            shift = base + np.uint64(_DIGIT * p)
            src = g * n
            dst = (1 - g) * n
            for b in range((1 << _DIGIT) + 1):
                count[b] = 0
            if top:  # all the keys: in their own order, not through the order's
                for x in range(n):
                    count[((key[x] >> shift) & mask) + 1] += 1
            else:
                for x in range(src + i, src + j):
                    count[((key[buf[x]] >> shift) & mask) + 1] += 1
            if count[((key[buf[src + i]] >> shift) & mask) + 1] == j - i:
                continue  # one digit value: this pass would not move anything
            for b in range(1 << _DIGIT):
                count[b + 1] += count[b]
            for x in range(src + i, src + j):
                o = buf[x]
                b = (key[o] >> shift) & mask
                buf[dst + i + count[b]] = o
                count[b] += 1
            g = 1 - g
        if top:
            f = g
            top = False
            i = 0
            continue
        if g != f:  # the rest of the order is in the other row: bring the run over
            for x in range(i, j):
                buf[o0 + x] = buf[g * n + x]
        i = j
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        order[i] = buf[f * n + i]
    return order


@nb.njit(cache=True, nogil=True)
def accumulate(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    dt_status, dt_score, dt_rank, cat_start, regular_gt, rec_thr, max_dets, schedule,
    precision, recall, scores, n_chunks, first, last,
):  # fmt: skip
    """COCO's precision ``(T, R, K, A, M)``, recall ``(T, K, A, M)`` and scores ``(T, R, K,
    A, M)`` (see :func:`ioukit.kernels.coco.accumulate`; filled with -1 by the caller) of the
    categories ``schedule[j]`` (a permutation of the categories) of chunks ``[first, last)``
    of ``n_chunks`` (each category writes its own outputs).

    COCO's cumulative sums run over all of a category's detections in score order, once per
    (area range, threshold, max_dets). Only two kinds of detection change them in an
    interesting way: a true positive, where precision is read, and everything else that is
    not a false positive although it could have been one. So per area range:

    * a *candidate* is a detection that is a false positive at some threshold (not ignored
      by its area or its image when unmatched);
    * at a threshold, the false positives up to a position are the candidates up to there
      (a prefix count, per max_dets, shared by all thresholds) minus the candidates matched
      up to there;
    * the *events* of a threshold, its true positives and its matched candidates, are few;
      only they are visited, in score order.

    The arithmetic is COCO's: precision ``tp / (fp + tp + eps)`` at each true positive, made
    monotone from the right, and read at the first true positive whose recall ``tp / npig``
    reaches each recall threshold.

    One function (the category loop inside), without slice assignments or ``np.zeros``: each
    adds compile time in a fresh environment. The rows of ``dt_status`` stay slices: indexing
    ``dt_status[a, t, lo + i]`` in the loops over detections costs 50% more time warm (the
    index's sign is unknown there)."""
    n_k = cat_start.size - 1
    n_a, n_t = dt_status.shape[0], dt_status.shape[1]
    n_r = rec_thr.size
    n_m = max_dets.size
    level = np.empty(n_r, dtype=np.int64)
    n_sel = np.empty(n_m, dtype=np.int64)  # detections within each max_dets
    first_det = np.empty(n_m, dtype=np.int64)  # the first of them (its score is read at recall 0)
    for j in range((n_k * first) // n_chunks, (n_k * last) // n_chunks):
        k = schedule[j]
        lo = cat_start[k]
        n = cat_start[k + 1] - lo
        # the category's detections by decreasing score, ties in (image, score rank) order
        order = by_score(dt_score[lo : lo + n])
        rank_sorted = np.empty(n, dtype=np.int64)
        for m in range(n_m):
            n_sel[m] = 0
            first_det[m] = 0
        for i in range(n):
            d = order[i]
            rank_sorted[i] = dt_rank[lo + d]
            for m in range(n_m):
                if rank_sorted[i] < max_dets[m]:
                    if n_sel[m] == 0:
                        first_det[m] = lo + d
                    n_sel[m] += 1
        cand = np.empty(n, dtype=np.bool_)
        cand_sorted = np.empty(n, dtype=np.bool_)
        n_cand = np.empty((n_m, n), dtype=np.int32)  # candidates within max_dets up to a position
        hit = np.empty(n, dtype=np.bool_)
        hit_pos = np.empty(n, dtype=np.int64)
        hit_det = np.empty(n, dtype=np.int64)
        events = np.empty(n, dtype=np.int64)  # position * 2 + (1 for a true positive)
        tp_det = np.empty(n, dtype=np.int64)  # the v-th true positive
        env = np.empty(n, dtype=np.float64)  # precision there, then its envelope from the right
        for a in range(n_a):
            npig = regular_gt[a, k]
            if npig == 0:
                continue
            # recall v / npig for every count of true positives v; recall only changes with
            # v, so np.searchsorted(rc, x) is the first detection holding the first v with
            # v / npig >= x
            for r in range(n_r):
                # the least v in 0..npig with v / npig >= rec_thr[r] (v / npig rises with
                # v), or npig + 1: out of reach
                lo_v = 0
                hi_v = npig + 1
                while lo_v < hi_v:
                    mid = (lo_v + hi_v) // 2
                    if float(mid) / npig < rec_thr[r]:
                        lo_v = mid + 1
                    else:
                        hi_v = mid
                level[r] = lo_v
            for i in range(n):
                cand[i] = False
            for t in range(n_t):
                row = dt_status[a, t, lo : lo + n]
                for i in range(n):
                    cand[i] |= row[i] == 0
            for i in range(n):
                cand_sorted[i] = cand[order[i]]
            for m in range(n_m):
                c = 0
                for i in range(n):
                    c += cand_sorted[i] & (rank_sorted[i] < max_dets[m])
                    n_cand[m, i] = c
            # the detections that are an event at some threshold, in score order
            for i in range(n):
                hit[i] = False
            for t in range(n_t):
                row = dt_status[a, t, lo : lo + n]
                for i in range(n):
                    v = row[i]
                    hit[i] |= (v == 1) | ((v == 2) & cand[i])
            n_hit = 0
            for i in range(n):  # positions in score order: ascending, no sort
                if hit[order[i]]:
                    hit_pos[n_hit] = i
                    n_hit += 1
            for u in range(n_hit):
                hit_det[u] = order[hit_pos[u]]
            for t in range(n_t):
                row = dt_status[a, t, lo : lo + n]
                n_ev = 0
                for u in range(n_hit):
                    v = row[hit_det[u]]
                    if (v == 1) | ((v == 2) & cand[hit_det[u]]):
                        events[n_ev] = hit_pos[u] * 2 + (v == 1)
                        n_ev += 1
                for m in range(n_m):
                    tp = 0
                    matched = 0
                    for q in range(n_ev):
                        i = events[q] >> 1
                        if rank_sorted[i] >= max_dets[m]:
                            continue
                        d = order[i]
                        if cand[d]:
                            matched += 1
                        if events[q] & 1:
                            tp += 1
                            ftp = float(tp)
                            env[tp - 1] = ftp / (float(n_cand[m, i] - matched) + ftp + _EPS)
                            tp_det[tp - 1] = lo + d
                    recall[t, k, a, m] = float(tp) / npig if n_sel[m] else 0.0
                    # precision made monotone from the right: between true positives it only
                    # falls
                    for e in range(tp - 2, -1, -1):
                        if env[e + 1] > env[e]:
                            env[e] = env[e + 1]
                    for r in range(n_r):
                        lv = level[r]
                        if n_sel[m] == 0 or lv > tp:
                            # COCO's try/except: this and every later level stay 0
                            for r2 in range(r, n_r):
                                precision[t, r2, k, a, m] = 0.0
                                scores[t, r2, k, a, m] = 0.0
                            break
                        if lv == 0:  # the first detection; precision 0 unless it is a TP
                            precision[t, r, k, a, m] = env[0] if tp else 0.0
                            scores[t, r, k, a, m] = dt_score[first_det[m]]
                        else:
                            precision[t, r, k, a, m] = env[lv - 1]
                            scores[t, r, k, a, m] = dt_score[tp_det[lv - 1]]
