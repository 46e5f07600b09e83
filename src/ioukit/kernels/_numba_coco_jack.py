"""The numba kernel behind :func:`ioukit.kernels.coco_bootstrap.jackknife_cells`: COCO's
precision and recall of each category with one image left out, only where that image touches
the category.

This module imports numba, so only :mod:`ioukit.kernels.coco_bootstrap` imports it, lazily.

Leaving image ``i`` out changes category ``k`` only when ``i`` has a detection or a regular
ground truth of ``k``; every other category keeps the full data's precision and recall. So the
work is a list of *pairs* ``(k, i)``, grouped by category, each category's pairs led by one
whose image is ``N`` (no image: the full data). A block of ``_LANES`` pairs of one category
runs :func:`~ioukit.kernels._numba_coco_boot.block_category` (the same arithmetic as the
replicates) with the weights all 1 but a 0 at each lane's image, and keeps per pair and
threshold the sum of the precision over the recall levels and the recall, which is all a mean
over categories and thresholds reads. The candidates before each hit are counted, not summed:
their number less those of the lane's image (a few, found from its own positions). A lane
without a pair repeats the block's first (a true positive always has a ground truth in its own
lane, so the level tables stay in range).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ioukit.kernels._numba_coco_boot import _LANES, block_category, widths


@nb.njit(cache=True, error_model="numpy", nogil=True)
def _prefix_without(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    sk, s, p0, nl, cand_off, hit_off, hit_cend, own_pos, own_lo, own_hi, ptr, pref,
):  # fmt: skip
    """``pref[h - h0]``: the candidates up to each hit ``h`` of the planned category ``sk``
    under weights all 1 but 0 at each lane's image: their number less the lane image's own,
    counted along its candidate positions (what :func:`~ioukit.kernels._numba_coco_boot.
    _prefix` sums, without walking every candidate)."""
    for ln in range(_LANES):
        q = p0 + (ln if ln < nl else 0)
        ptr[0, ln] = own_lo[s, q]
        ptr[1, ln] = 0
    c0 = cand_off[sk]
    h0 = hit_off[sk]
    for h in range(h0, hit_off[sk + 1]):
        end = hit_cend[h]
        for ln in range(_LANES):
            q = p0 + (ln if ln < nl else 0)
            j = ptr[0, ln]
            hi = own_hi[s, q]
            while j < hi and own_pos[j] < end:
                j += 1
            ptr[1, ln] += j - ptr[0, ln]
            ptr[0, ln] = j
            pref[h - h0, ln] = float(end - c0 - ptr[1, ln])


@nb.njit(cache=True, error_model="numpy", nogil=True)
def jackknife_cells(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    n_img, n_k, slice_area, slice_prec, slice_tneed, cand_off, cimg, hit_off, hit_cend, ev_off,
    ev_hit, ev_img, ev_flag, npig, pair_off, pair_img, pair_gt, own_pos, own_lo, own_hi, blk_k,
    blk_p0, rec_thr, psum, rsum, valid_out, n_chunks, first, last,
):  # fmt: skip
    """Into ``(psum, rsum, valid_out)``, zeros: for slice ``s`` and pair ``p``,
    ``psum[s, p, t]`` the sum over the recall levels of the precision at threshold ``t``
    (where the slice evaluates it), ``rsum[s, p, t]`` the recall, ``valid[s, p]`` whether the
    category keeps a regular ground truth (otherwise both are 0).

    The plan is :func:`~ioukit.kernels.coco_bootstrap.plan`'s, concatenated (category
    ``k`` of slice ``s`` at ``s * K + k``). ``npig (A, K)``: the regular ground truths of the
    full data; pair ``p`` leaves out image ``pair_img[p]`` (``N``: none), whose regular ground
    truths of the pair's category are ``pair_gt[:, p]``, whose candidates in slice ``s`` are at
    the positions (of ``cimg``, increasing) ``own_pos[own_lo[s, p]:own_hi[s, p]]``; category
    ``k``'s pairs are ``pair_off[k]:pair_off[k + 1]``. Block ``j`` holds the pairs from
    ``blk_p0[j]`` (at most ``_LANES``, all of category ``blk_k[j]``); chunk ``c`` of
    ``n_chunks`` takes the blocks ``c, c + n_chunks, …``; this call the chunks ``[first,
    last)``."""
    n_s = slice_area.size
    n_t = slice_tneed.shape[1]
    n_r = rec_thr.size
    max_h, max_q = widths(hit_off, ev_off)
    any_prec = False
    top = 0.0
    for s in range(n_s):
        any_prec |= slice_prec[s]
        for k in range(n_k):
            top = max(top, npig[slice_area[s], k])
    thr_sorted = np.bool_(True)  # a bool, not a literal: the replicates' signatures
    for r in range(n_r - 1):
        thr_sorted &= rec_thr[r] <= rec_thr[r + 1]
    n_table = np.int64(top) + 1 if thr_sorted and any_prec else 1
    n_blocks = blk_k.size
    k0 = np.int64(0)  # not a literal: the signature of block_category in the replicates
    for ch in range(first, last):
        wt = np.empty((n_img + 1, _LANES), dtype=np.float64)
        wt[:] = 1
        pref = np.empty((max_h, _LANES), dtype=np.float64)
        tp_at = np.empty((max_q, _LANES), dtype=np.float64)
        env = np.empty((max_q, _LANES), dtype=np.float64)
        lvl = np.empty((_LANES, n_r), dtype=np.int64)
        table = np.empty((n_table, _LANES), dtype=np.int32)
        slot = np.empty((n_r + 1, _LANES), dtype=np.float64)
        pbuf = np.empty((n_t if any_prec else 0, 1, n_r, _LANES), dtype=np.float64)
        rbuf = np.empty((n_t, 1, _LANES), dtype=np.float64)
        tp = np.empty(_LANES, dtype=np.float64)
        npk = np.empty(_LANES, dtype=np.float64)
        ptr = np.empty((2, _LANES), dtype=np.int64)
        valid = np.empty(_LANES, dtype=np.bool_)
        for j in range(ch, n_blocks, n_chunks):
            k = blk_k[j]
            p0 = blk_p0[j]
            nl = min(_LANES, pair_off[k + 1] - p0)
            for ln in range(_LANES):  # the lanes past nl repeat the first (never read)
                wt[pair_img[p0 + (ln if ln < nl else 0)], ln] = 0.0
            for s in range(n_s):
                a = slice_area[s]
                for ln in range(_LANES):
                    npk[ln] = npig[a, k] - pair_gt[a, p0 + (ln if ln < nl else 0)]
                    valid[ln] = npk[ln] > 0
                with_prec = slice_prec[s]
                tneed = slice_tneed[s]
                sk = s * n_k + k
                if with_prec:
                    _prefix_without(sk, s, p0, nl, cand_off, hit_off, hit_cend, own_pos, own_lo,
                                    own_hi, ptr, pref)  # fmt: skip
                block_category(
                    sk, k0, npk, valid, wt, with_prec, tneed, hit_off, ev_off, ev_hit, ev_img,
                    ev_flag, rec_thr, thr_sorted, pbuf, rbuf, pref, tp_at, env, lvl, table, slot,
                    tp,
                )  # fmt: skip
                for ln in range(nl):
                    if not valid[ln]:
                        continue
                    p = p0 + ln
                    valid_out[s, p] = True
                    for t in range(n_t):
                        if not tneed[t]:
                            continue
                        rsum[s, p, t] = rbuf[t, 0, ln]
                        if with_prec:
                            acc = 0.0
                            for r in range(n_r):
                                acc += pbuf[t, 0, r, ln]
                            psum[s, p, t] = acc
            for ln in range(_LANES):
                wt[pair_img[p0 + (ln if ln < nl else 0)], ln] = 1.0
