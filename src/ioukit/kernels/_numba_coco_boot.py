"""The numba kernels behind :mod:`ioukit.kernels.coco_bootstrap`: COCO's accumulation repeated
for many image-weight vectors (bootstrap replicates) from one set of match statuses.

This module imports numba, so only :mod:`ioukit.kernels.coco_bootstrap` imports it, lazily. The
kernels live at module level so that numba's disk cache (``cache=True``) finds them again.

A replicate gives image ``i`` the multiplicity ``w_i``: its detections enter COCO's cumulative
sums ``w_i`` times (one detection, ``w_i`` copies at the same score, side by side in the sort),
and its regular ground truths count ``w_i`` times. The work is split in two:

* :func:`plan_pass`, once per (area range, max_dets) *slice*: each category's detections
  within ``max_dets`` by decreasing score (the order of :func:`~ioukit.kernels._numba_coco.
  accumulate`), reduced to what a replicate needs. A *candidate* is a detection that is a
  false positive at some threshold; an *event* of a threshold is a true positive there or a
  candidate that is not a false positive there (it is matched, or ignored); a *hit* is an
  event of some threshold. Kept: the candidates' images up to the last hit, for each hit the
  candidates up to it, and for each threshold its events (hit, image, flags).
* :func:`replicates`, for a block of ``_LANES`` weight vectors at a time (one SIMD lane
  each): per category a weighted prefix over the candidates, read at the hits, shared by all
  thresholds; per threshold a walk over its events, where the false positives up to an event
  are the candidates up to its hit minus the candidates matched so far; precision
  ``tp / (fp + tp + eps)`` at each true positive (the same float expression as COCO's, on the
  same integer counts), made monotone from the right and read at the first true positive whose
  weighted count reaches each recall level. A true positive of weight ``w`` stands for ``w``
  copies; the precision at the copies before the last is never above the last one's, so the
  envelope at the last copy is what COCO reads at every one of them. Events of weight 0 are
  evaluated like the others: their precision is never above that of the true positive before
  them, so they change no envelope value that is read. Two shortcuts keep the values exact: a
  true positive followed by another with no unmatched candidate between them is not
  evaluated (flag ``_SKIP``: under any weights its precision is at most the next one's), and
  with sorted recall thresholds the envelope is read from per-level maxima (each precision
  goes to the number of levels its count reaches; the value at level ``r`` is the largest
  over the counts above ``r``), without storing the precisions.

numba does not vectorise these loops (its SLP vectorizer is off), so a block's 8 sums live in
tuples (registers) and the lanes are written out; indices are unsigned where they can be (no
sign check) and divisions follow NumPy's error model (no zero check: no divisor is 0).

The means are ``np.mean``'s (:mod:`ioukit.kernels._numba_pairwise`: NumPy's pairwise order)
over the values in the order COCO's ``summarize`` lays them out, so weights of 1 reproduce
:attr:`ioukit.detection.result.COCOResult.stats` exactly. The lanes of a block sit side by
side in memory (``(T, K, R, L)`` precision), so a value is written for all of them at once and
a mean is summed for all of them at once when their valid categories are the same.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ioukit.kernels._numba_coco import by_score
from ioukit.kernels._numba_pairwise import pairwise_sum, workspace

#: weight vectors processed together (one SIMD lane each; :func:`_add_row` spells out 8)
_LANES = 8
#: flags of an event: a true positive, a candidate (a false positive at another threshold),
#: a true positive whose precision never exceeds the next one's (no unmatched candidate
#: between them: the false positives do not change while the true positives grow)
_TP = 1
_CAND = 2
_SKIP = 4


@nb.njit(cache=True, error_model="numpy", nogil=True)
def category_orders(dt_score, cat_start, order, n_chunks, first, last):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Into ``order``: the detections of each category by decreasing score, ties in their
    order (the order of COCO's accumulation): absolute positions, category ``k`` at
    ``cat_start[k]:``; the categories of chunks ``[first, last)`` of ``n_chunks``."""
    n_k = cat_start.size - 1
    for k in range(n_k * first // n_chunks, n_k * last // n_chunks):
        lo = cat_start[k]
        hi = cat_start[k + 1]
        o = by_score(dt_score[lo:hi])
        for i in range(hi - lo):
            order[lo + i] = lo + o[i]


@nb.njit(cache=True, error_model="numpy", nogil=True)
def _kind(dt_status, a, d, tneed, with_prec):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``(candidate, hit)`` for detection ``d`` at area range ``a``: a false positive at some
    threshold of ``tneed`` (only ``with_prec``), an event at some threshold (a true positive,
    or a candidate that is not a false positive there)."""
    cand = False
    if with_prec:
        for t in range(tneed.size):
            cand |= tneed[t] and dt_status[a, t, d] == 0
    hit = False
    for t in range(tneed.size):
        s = dt_status[a, t, d]
        hit |= tneed[t] and (s == 1 or (s == 2 and cand))
    return cand, hit


@nb.njit(cache=True, error_model="numpy", nogil=True)
def _mark_skips(e0, e1, ev_hit, ev_flag, hit_cend):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Flag ``_SKIP`` on each true positive of the events ``e0:e1`` (one threshold) that is
    followed by another with no unmatched candidate between them: under any weights its
    precision is at most the next one's (same false positives, no fewer true positives), so
    the envelope there is the next one's and it need not be evaluated."""
    next_c = -1  # candidates up to the next true positive; -1: none follows
    matched = 0  # candidate events after the current one, up to the next true positive
    for e in range(e1 - 1, e0 - 1, -1):
        f = ev_flag[e]
        if f & _TP:
            c = hit_cend[ev_hit[e]]
            if next_c >= 0 and next_c - c == matched:
                ev_flag[e] = f | _SKIP
            next_c = c
            matched = 0
        if f & _CAND:
            matched += 1


@nb.njit(cache=True, error_model="numpy", nogil=True)
def plan_pass(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    dt_status, dt_rank, dt_image, order, cat_start, a, max_det, tneed, with_prec, counts,
    plan, fill, n_chunks, first, last,
):  # fmt: skip
    """One pass of the plan of every category at area range ``a`` and ``max_det`` (see the
    module docstring), for the thresholds where ``tneed``; without ``with_prec`` only the true
    positives (what recall needs); the categories of chunks ``[first, last)`` of
    ``n_chunks``.

    The first pass (``fill`` false) counts each category's candidates, hits and events per
    threshold into ``counts (K, 3 + T)``; the second fills ``plan = (cand_off, cimg,
    hit_off, hit_cend, ev_off, ev_hit, ev_img, ev_flag)``, laid out from those counts (see
    :func:`ioukit.kernels.coco_bootstrap.plan`), with ``counts[:, 3:]`` zero: category
    ``k``'s candidates' images are ``cimg[cand_off[k]:cand_off[k + 1]]`` in score order; its
    hits ``hit_off[k]:hit_off[k + 1]``, hit ``h`` preceded (inclusive) by the candidates
    before ``hit_cend[h]``; the events of threshold ``t`` are ``ev_off[k * T + t]:ev_off[k *
    T + t + 1]`` in score order, each with its hit, image and flags (1: true positive, 2:
    candidate)."""
    n_k = cat_start.size - 1
    n_t = dt_status.shape[1]
    cand_off, cimg, hit_off, hit_cend, ev_off, ev_hit, ev_img, ev_flag = plan
    for k in range(n_k * first // n_chunks, n_k * last // n_chunks):
        # category k, written here rather than in a kernel of its own (each level of calls
        # compiles the levels below it again): with fill False, count its candidates, hits
        # and events per threshold into counts[k] ((3 + T) columns); with fill, write them
        # at the offsets
        lo = cat_start[k]
        end = lo - 1  # where the category's final hit is
        for p in range(lo, cat_start[k + 1]):
            if dt_rank[order[p]] < max_det and _kind(dt_status, a, order[p], tneed, with_prec)[1]:
                end = p
        n_c = 0
        n_h = 0
        c0 = cand_off[k] if fill else 0
        h0 = hit_off[k] if fill else 0
        for p in range(lo, end + 1):
            d = order[p]
            if dt_rank[d] >= max_det:
                continue
            cand = _kind(dt_status, a, d, tneed, with_prec)[0]
            if cand:
                if fill:
                    cimg[c0 + n_c] = dt_image[d]
                n_c += 1
            hit = False
            for t in range(n_t):
                s = dt_status[a, t, d]
                if tneed[t] and (s == 1 or (s == 2 and cand)):
                    hit = True
                    j = counts[k, 3 + t]
                    counts[k, 3 + t] = j + 1
                    if fill:
                        e = ev_off[k * n_t + t] + j
                        ev_hit[e] = h0 + n_h
                        ev_img[e] = dt_image[d]
                        ev_flag[e] = (_TP if s == 1 else 0) | (_CAND if cand else 0)
            if hit:
                if fill:
                    hit_cend[h0 + n_h] = c0 + n_c
                n_h += 1
        counts[k, 0] = n_c
        counts[k, 1] = n_h
        if fill:
            for t in range(n_t):
                _mark_skips(ev_off[k * n_t + t], ev_off[k * n_t + t] + counts[k, 3 + t], ev_hit,
                            ev_flag, hit_cend)  # fmt: skip


@nb.njit(cache=True, error_model="numpy", nogil=True)
def _levels(npig, rec_thr, out):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """For each recall threshold, the least count ``v`` in ``0..npig`` with ``v / npig >=``
    the threshold (the float comparison of COCO's ``np.searchsorted``), ``npig + 1`` when none
    (``npig`` is a float holding an integer)."""
    top = np.int64(npig)
    for r in range(rec_thr.size):
        thr = rec_thr[r]
        v = min(max(np.int64(np.ceil(thr * npig)), 0), top + 1)
        while v > 0 and float(v - 1) / npig >= thr:
            v -= 1
        while v <= top and float(v) / npig < thr:
            v += 1
        out[r] = v


@nb.njit(cache=True, error_model="numpy", nogil=True)
def _read_levels(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    ln, n_q, tp_total, tp_at, env, lvl, pbuf, t, k,
):  # fmt: skip
    """Precision at each recall level for lane ``ln`` (COCO's reading of the envelope), for
    recall thresholds in any order: the envelope at the first true positive whose weighted
    count reaches the level; 0 from the first level out of reach on (COCO's try/except), and
    everywhere without a true positive."""
    n_r = lvl.shape[1]
    q = 0
    prev = -1
    for r in range(n_r):
        lv = lvl[ln, r]
        if tp_total == 0.0 or lv > tp_total:
            for r2 in range(r, n_r):
                pbuf[t, k, r2, ln] = 0.0
            return
        if lv < prev:  # recall thresholds out of order: search again
            q = 0
        prev = lv
        while q < n_q and tp_at[q, ln] < lv:
            q += 1
        pbuf[t, k, r, ln] = env[q, ln]


@nb.njit(cache=True, error_model="numpy", nogil=True)
def _level_table(ln, npig, lvl, table):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``table[c, ln]``: the recall levels (sorted) that ``c`` true positives reach, for
    ``c`` in ``0..npig``."""
    n_r = lvl.shape[1]
    r = 0
    for c in range(np.int64(npig) + 1):
        while r < n_r and lvl[ln, r] <= c:
            r += 1
        table[c, ln] = r


@nb.njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _add_row(acc, wt, i):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``acc + wt[i]`` for a tuple of ``_LANES`` (8) sums, kept in registers."""
    return (acc[0] + wt[i, 0], acc[1] + wt[i, 1], acc[2] + wt[i, 2], acc[3] + wt[i, 3],
            acc[4] + wt[i, 4], acc[5] + wt[i, 5], acc[6] + wt[i, 6], acc[7] + wt[i, 7])  # fmt: skip


@nb.njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _max_row(top, a, q):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``max(top, a[q])`` lane by lane, for a tuple of 8."""
    return (max(top[0], a[q, 0]), max(top[1], a[q, 1]), max(top[2], a[q, 2]),
            max(top[3], a[q, 3]), max(top[4], a[q, 4]), max(top[5], a[q, 5]),
            max(top[6], a[q, 6]), max(top[7], a[q, 7]))  # fmt: skip


@nb.njit(cache=True, error_model="numpy", nogil=True)
def _prefix(j, h0, h1, hit_cend, cimg, wt, pref):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``pref[h - h0]``: the weighted candidates (from ``j`` on) up to each hit ``h0:h1`` of one
    category, shared by all its thresholds."""
    acc = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    for h in range(h0, h1):
        end = hit_cend[h]
        while j < end:
            acc = _add_row(acc, wt, cimg[j])
            j += 1
        for ln in range(_LANES):
            pref[h - h0, ln] = acc[ln]


@nb.njit(cache=True, error_model="numpy", nogil=True)
def _events(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    e0, e1, h0, with_prec, thr_sorted, wt, ev_img, ev_flag, ev_hit, pref, tp_at, env, table,
    slot, tp,
):  # fmt: skip
    """Walk the events ``e0:e1`` of one (category, threshold) for every lane: the weighted
    true positives (into ``tp``) and matched candidates, and at each true positive not
    flagged ``_SKIP`` (its envelope is the next one's) COCO's precision ``tp / (fp + tp +
    eps)``.

    With sorted recall thresholds each precision goes to ``slot[c]`` (a running maximum),
    ``c = table[tp]`` the number of levels its true positives reach: the envelope at level
    ``r`` is then the largest ``slot[c]`` with ``c > r`` (see :func:`_fill_levels`). Otherwise
    the counts and precisions are kept in ``tp_at`` and ``env``, and their number returned."""
    eps = np.spacing(1.0)
    tps = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    mws = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    n_q = 0
    for e in range(e0, e1):
        i = ev_img[e]
        f = ev_flag[e]
        if f & _CAND:  # rare: a candidate matched at this threshold
            mws = _add_row(mws, wt, i)
        if f & _TP:
            tps = _add_row(tps, wt, i)
        if with_prec and (f & (_TP | _SKIP)) == _TP:
            h = ev_hit[e] - h0
            for ln in range(_LANES):
                ftp = tps[ln]
                value = ftp / ((pref[h, ln] - mws[ln]) + ftp + eps)
                if thr_sorted:
                    c = table[np.int64(ftp), ln]
                    slot[c, ln] = max(slot[c, ln], value)
                else:
                    tp_at[n_q, ln] = ftp
                    env[n_q, ln] = value
            n_q += 1
    for ln in range(_LANES):
        tp[ln] = tps[ln]
    return n_q


@nb.njit(cache=True, error_model="numpy", nogil=True)
def _fill_levels(valid, slot, pbuf, t, k):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The precision at each (sorted) recall level ``r``, for all lanes: the largest of
    ``slot[r + 1:]``, the precisions of the true positives from the first one that reaches
    level ``r`` on (COCO's envelope read there); 0 beyond the last level reached, -1 for the
    lanes not ``valid`` (their true positives count 0, and ``table`` sends 0 to the unread
    ``slot[0]``)."""
    n_r = slot.shape[0] - 1
    out = pbuf[t, k]
    level = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    for r in range(n_r - 1, -1, -1):
        level = _max_row(level, slot, r + 1)
        out[r, 0], out[r, 1], out[r, 2], out[r, 3] = level[0], level[1], level[2], level[3]
        out[r, 4], out[r, 5], out[r, 6], out[r, 7] = level[4], level[5], level[6], level[7]
    for ln in range(_LANES):
        if not valid[ln]:
            out[:, ln] = -1.0


@nb.njit(cache=True, error_model="numpy", nogil=True)
def block_category(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    sk, k, npk, valid, wt, with_prec, tneed, hit_off, ev_off, ev_hit, ev_img, ev_flag, rec_thr,
    thr_sorted, pbuf, rbuf, pref, tp_at, env, lvl, table, slot, tp,
):  # fmt: skip
    """Precision ``pbuf[:, k]`` and recall ``rbuf[:, k]`` of the planned category ``sk`` (slice
    ``s``, category ``c``: ``s * K + c``) for the lanes where ``valid`` (their regular ground
    truths ``npk (L,)``, more than 0), -1 for the others, with the weighted candidates up to
    each hit in ``pref`` (see :func:`_prefix`); see :func:`replicates`."""
    n_t = tneed.size
    h0 = hit_off[sk]
    if with_prec:
        for ln in range(_LANES):
            if valid[ln]:
                _levels(npk[ln], rec_thr, lvl[ln])
                if thr_sorted:
                    _level_table(ln, npk[ln], lvl, table)
            else:
                table[0, ln] = 0
    for t in range(n_t):
        if not tneed[t]:
            continue
        if with_prec and thr_sorted:
            slot[:, :] = 0.0
        e0 = ev_off[sk * n_t + t]
        e1 = ev_off[sk * n_t + t + 1]
        n_q = _events(e0, e1, h0, with_prec, thr_sorted, wt, ev_img, ev_flag, ev_hit, pref,
                      tp_at, env, table, slot, tp)  # fmt: skip
        for ln in range(_LANES):
            rbuf[t, k, ln] = tp[ln] / npk[ln] if valid[ln] else -1.0
        if not with_prec:
            continue
        if thr_sorted:
            _fill_levels(valid, slot, pbuf, t, k)
            continue
        # precision made monotone from the right
        for q in range(n_q - 2, -1, -1):
            for ln in range(_LANES):
                env[q, ln] = max(env[q, ln], env[q + 1, ln])
        for ln in range(_LANES):
            if valid[ln]:
                _read_levels(ln, n_q, tp[ln], tp_at, env, lvl, pbuf, t, k)
            else:
                pbuf[t, k, :, ln] = -1.0


@nb.njit(cache=True, error_model="numpy", nogil=True)
def _metric(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    ap, rep, fast, ts, ks, pbuf, rbuf, scratch, same, work, sums, out_row,
):  # fmt: skip
    """COCO's mean over a slice (``np.mean`` of the entries > -1, in the order (t, r, k, rep)
    of its fancy indexing), NaN where there is none, for each lane into ``out_row``.

    ``fast``: the thresholds are a range and the categories all of them, in order, once
    each; when moreover every lane has the same valid categories (``same``: all of them),
    the values of all lanes are summed at once, read across the ``(T, K, R, L)`` layout."""
    n_k, n_r = pbuf.shape[1], pbuf.shape[2]
    nl = out_row.shape[0]
    if fast and same:
        if ap:  # value (t, r, k) at ((t * K + k) * R + r) * L
            n = ts.size * n_r * n_k
            pairwise_sum(pbuf.reshape(-1), ts[0] * n_r * n_k, n, _LANES, n_k, n_r, work, sums)
        else:  # value (t, k) at (t * K + k) * L
            n = ts.size * n_k
            pairwise_sum(rbuf.reshape(-1), ts[0] * n_k, n, _LANES, 1, n, work, sums)
        for ln in range(nl):
            out_row[ln] = (0.0 + sums[ln]) / n
        return
    for ln in range(nl):
        n = np.int64(0)  # not a literal 0: that would compile pairwise_sum once more
        for t in ts:
            for r in range(n_r if ap else 1):
                for k in ks:
                    v = pbuf[t, k, r, ln] if ap else rbuf[t, k, ln]
                    if v > -1:
                        for _ in range(rep):
                            scratch[n] = v
                            n += 1
        if n == 0:
            out_row[ln] = np.nan
            continue
        pairwise_sum(scratch, 0, n, 1, 1, n, work, sums)
        out_row[ln] = (0.0 + sums[0]) / n


@nb.njit(cache=True, error_model="numpy", nogil=True)
def widths(hit_off, ev_off):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``(max_h, max_q)``: the most hits of a planned category and the most events of a
    (category, threshold), at least 1 (the sizes of the per-block buffers)."""
    max_h = 1
    for j in range(hit_off.size - 1):
        max_h = max(max_h, hit_off[j + 1] - hit_off[j])
    max_q = 1
    for j in range(ev_off.size - 1):
        max_q = max(max_q, ev_off[j + 1] - ev_off[j])
    return max_h, max_q


@nb.njit(cache=True, error_model="numpy", nogil=True)
def replicates(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    weights, n_k, slice_area, slice_prec, slice_tneed, cand_off, cimg, hit_off, hit_cend,
    ev_off, ev_hit, ev_img, ev_flag, g_off, g_img, g_cnt, rec_thr, met_ap, met_slice,
    met_rep, met_fast, met_t_off, met_t, met_k_off, met_k, out, n_chunks, first, last,
):  # fmt: skip
    """Into ``out``: the metrics ``(B, M)`` of every weight vector ``weights (B, N)``.

    Slice ``s`` (area range ``slice_area[s]``) holds the plans of :func:`plan_pass` of its
    ``K`` categories, concatenated (offsets absolute, category ``k`` of slice ``s`` at
    ``s * K + k``). The regular ground truths of area range ``a`` and category ``k`` are
    ``g_cnt`` in the images ``g_img`` at ``g_off[a * K + k]:``. Metric ``m`` is the mean of
    the precision (``met_ap``) or recall of slice ``met_slice[m]`` over its thresholds
    ``met_t[met_t_off[m]:met_t_off[m + 1]]`` and categories (likewise), each value
    ``met_rep[m]`` times (``met_fast``: thresholds a range, all categories in order, once).
    Blocks of ``_LANES`` weight vectors, in ``n_chunks`` chunks: those of ``[first, last)``."""
    n_b, n_img = weights.shape
    n_s = slice_area.size
    n_t = slice_tneed.shape[1]
    n_r = rec_thr.size
    n_a = (g_off.size - 1) // n_k
    n_m = met_ap.size
    n_blocks = (n_b + _LANES - 1) // _LANES
    max_h, max_q = widths(hit_off, ev_off)
    max_n = 1
    for m in range(n_m):
        size = (met_t_off[m + 1] - met_t_off[m]) * (met_k_off[m + 1] - met_k_off[m])
        max_n = max(max_n, size * met_rep[m] * (n_r if met_ap[m] else 1))
    any_prec = False
    area_need = np.empty(n_a, dtype=np.bool_)
    area_need[:] = 0
    for s in range(n_s):
        any_prec |= slice_prec[s]
        area_need[slice_area[s]] = True
    thr_sorted = np.bool_(True)  # not a literal True: that would compile callees twice
    for r in range(n_r - 1):
        thr_sorted &= rec_thr[r] <= rec_thr[r + 1]
    for ch in range(first, last):
        blk0 = (n_blocks * ch) // n_chunks
        blk1 = (n_blocks * (ch + 1)) // n_chunks
        wt = np.empty((n_img, _LANES), dtype=np.float64)
        npw = np.empty((n_a, n_k, _LANES), dtype=np.float64)
        npw[:] = 0
        pref = np.empty((max_h, _LANES), dtype=np.float64)
        tp_at = np.empty((max_q, _LANES), dtype=np.float64)
        env = np.empty((max_q, _LANES), dtype=np.float64)
        lvl = np.empty((_LANES, n_r), dtype=np.int64)
        table = np.empty((1, _LANES), dtype=np.int32)
        slot = np.empty((n_r + 1, _LANES), dtype=np.float64)
        pbuf = np.empty((n_t if any_prec else 0, n_k, n_r, _LANES), dtype=np.float64)
        rbuf = np.empty((n_t, n_k, _LANES), dtype=np.float64)
        scratch = np.empty(max_n, dtype=np.float64)
        tp = np.empty(_LANES, dtype=np.float64)
        valid = np.empty(_LANES, dtype=np.bool_)
        work = workspace(_LANES)
        sums = np.empty(_LANES, dtype=np.float64)
        for blk in range(blk0, blk1):
            b0 = blk * _LANES
            nl = min(_LANES, n_b - b0)
            for i in range(n_img):
                for ln in range(_LANES):
                    wt[i, ln] = weights[b0 + ln, i] if ln < nl else 0.0
            top = 0.0
            for a in range(n_a):
                if not area_need[a]:
                    continue
                for k in range(n_k):
                    npw[a, k, :] = 0.0
                    for g in range(g_off[a * n_k + k], g_off[a * n_k + k + 1]):
                        i = g_img[g]
                        c = float(g_cnt[g])
                        for ln in range(_LANES):
                            npw[a, k, ln] += wt[i, ln] * c
                    for ln in range(_LANES):
                        top = max(top, npw[a, k, ln])
            if thr_sorted and any_prec and table.shape[0] < top + 1:
                table = np.empty((np.int64(top) + 1, _LANES), dtype=np.int32)
            for s in range(n_s):
                # precision pbuf (T, K, R, L) and recall rbuf (T, K, L) of slice s for the
                # lanes :nl (-1 where a category has no regular ground truth); written here,
                # not in a kernel of its own: each level of calls compiles the levels below
                # it again
                a = slice_area[s]
                with_prec = slice_prec[s]
                for k in range(n_k):
                    npk = npw[a, k]
                    for ln in range(_LANES):
                        valid[ln] = ln < nl and npk[ln] > 0
                    sk = s * n_k + k
                    if with_prec:
                        _prefix(cand_off[sk], hit_off[sk], hit_off[sk + 1], hit_cend, cimg, wt,
                                pref)  # fmt: skip
                    block_category(
                        sk, k, npk, valid, wt, with_prec, slice_tneed[s], hit_off, ev_off,
                        ev_hit, ev_img, ev_flag, rec_thr, thr_sorted, pbuf, rbuf, pref, tp_at,
                        env, lvl, table, slot, tp,
                    )  # fmt: skip
                same = np.bool_(True)  # every lane has every category (not a literal)
                for k in range(n_k):
                    for ln in range(nl):
                        same &= npw[a, k, ln] > 0
                for m in range(n_m):
                    if met_slice[m] != s:
                        continue
                    ts = met_t[met_t_off[m] : met_t_off[m + 1]]
                    ks = met_k[met_k_off[m] : met_k_off[m + 1]]
                    _metric(met_ap[m], met_rep[m], met_fast[m], ts, ks, pbuf, rbuf, scratch, same,
                            work, sums, out[b0 : b0 + nl, m])  # fmt: skip
