"""TIDE's AP and the ΔAP of each oracle fix (``tidecv``'s ``APDataObject.get_ap``,
``ClassedAPDataObject.get_mAP`` and ``TIDERun.fix_errors``).

Every fixed run is rebuilt from the base run as ``tidecv`` rebuilds it: first the data points
of the error detections (fixed or as they were), in error order, then the true positives,
category by category. The stable sort by score then keeps that order among equal scores, and
the category means are summed in the order the categories were first touched; both are
reproduced, so the numbers agree to the last bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

_NDArray = np.ndarray[Any, Any]

MAIN_ERRORS = ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")
SPECIAL_ERRORS = ("FalsePos", "FalseNeg")
CLS, LOC, BOTH, DUPE, BKG, MISS = range(6)
NO_ERROR = -1

#: the 101 recall levels k / 100 (tidecv's ``x / resolution``, not ``np.linspace``)
_LEVELS = np.arange(101) / 100


@dataclass(frozen=True)
class TIDEData:
    """A TIDE run as columns. Detections (D,) are the kept ones, by image then rank; ground
    truths (G,) the regular ones, by image then file order; categories are integer codes."""

    n_images: int
    n_codes: int
    d_cls: _NDArray  # (D,) category code
    d_img: _NDArray  # (D,) image position
    d_rank: _NDArray  # (D,) rank in its image
    score: _NDArray  # (D,) float64
    matched: _NDArray  # (D,) bool: true positive
    ignored: _NDArray  # (D,) bool: ignored by a crowd region
    err: _NDArray  # (D,) int8 error code, NO_ERROR for none
    err_gt_cls: _NDArray  # (D,) category code of a Loc/Cls error's ground truth, else -1
    best: _NDArray  # (D,) bool: the Loc/Cls error that its ground truth's fix keeps
    g_cls: _NDArray  # (G,) category code
    g_img: _NDArray  # (G,) image position
    fn: _NDArray  # (G,) bool: unmatched
    miss: _NDArray  # (G,) bool: unmatched and not pointed at by a Loc/Cls error

    @property
    def n_gt(self) -> int:
        return int(self.g_cls.size)

    @property
    def n_detections(self) -> int:
        return int(self.d_cls.size)

    @property
    def n_tp(self) -> int:
        return int(self.matched.sum())

    @property
    def n_ignored(self) -> int:
        return int(self.ignored.sum())

    @property
    def n_fp(self) -> int:
        return self.n_detections - self.n_tp - self.n_ignored

    @property
    def n_fn(self) -> int:
        return int(self.fn.sum())

    def counts(self) -> dict[str, int]:
        """Detections (or ground truths, ``Miss``) of each main error type."""
        per = np.bincount(self.err[self.err >= 0].astype(np.int64), minlength=MISS)
        out = {name: int(per[code]) for code, name in enumerate(MAIN_ERRORS[:MISS])}
        out["Miss"] = int(self.miss.sum())
        return out


def _class_ap(tp: _NDArray, n_gt: int) -> float:
    """AP ×100 of one category's detections ``tp`` (sorted), as ``APDataObject.get_ap``."""
    if n_gt == 0 or tp.size == 0:
        return 0.0
    hits = np.cumsum(tp)
    precision = hits / np.arange(1, tp.size + 1)
    recall = hits / n_gt
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    at = np.searchsorted(recall, _LEVELS, side="left")
    y = np.where(at < tp.size, envelope[np.minimum(at, tp.size - 1)], 0.0)
    levels: list[float] = y.tolist()
    return sum(levels) / len(levels) * 100  # Python's sum, left to right, as tidecv


def mean_ap(cls: _NDArray, rank: _NDArray, tp: _NDArray, n_gt: _NDArray, order: list[int]) -> float:
    """The mean of the category APs over the non-empty categories, summed in ``order``; the
    data points are given in insertion order (kept among equal scores), ``rank`` is the dense
    rank of their decreasing score (0: the highest)."""
    span = int(rank.max()) + 1 if rank.size else 1
    o = np.argsort(cls * span + rank, kind="stable")
    cs, ts = cls[o], tp[o]
    bounds = np.searchsorted(cs, np.arange(n_gt.size + 1))
    aps = []
    for k in order:
        a, b = bounds[k], bounds[k + 1]
        if a == b and n_gt[k] == 0:
            continue
        aps.append(_class_ap(ts[a:b], int(n_gt[k])))
    return sum(aps) / len(aps) if aps else math.nan


def _first_seen(cls: _NDArray) -> list[int]:
    """The distinct values of ``cls`` in order of first appearance."""
    _, first = np.unique(cls, return_index=True)
    return [int(v) for v in cls[np.sort(first)]]


def delta_aps(data: TIDEData, *, stable: bool) -> tuple[float, dict[str, float], dict[str, float]]:
    """``(base AP, main ΔAPs, special ΔAPs)``; ``stable``: the fixed runs keep the base
    run's order among equal scores and its category order (``convention="ioukit"``)."""
    d = data
    n_gt = np.bincount(d.g_cls, minlength=d.n_codes)
    kept = np.flatnonzero(~d.ignored)
    # categories in the order the base run first touches them: per image, its ground truths
    # (positives), then its kept detections by rank
    ev = np.lexsort((
        np.concatenate((np.arange(d.n_gt), d.d_rank[kept])),
        np.concatenate((np.zeros(d.n_gt, np.int64), np.ones(kept.size, np.int64))),
        np.concatenate((d.g_img, d.d_img[kept])),
    ))  # fmt: skip
    base_order = _first_seen(np.concatenate((d.g_cls, d.d_cls[kept]))[ev])
    rank = np.unique(-d.score, return_inverse=True)[1].reshape(-1)
    base = mean_ap(d.d_cls[kept], rank[kept], d.matched[kept], n_gt, base_order)

    errs = np.flatnonzero(d.err != NO_ERROR)
    tps = np.flatnonzero(d.matched)
    has_tp = np.zeros(d.n_codes, bool)
    has_tp[d.d_cls[tps]] = True

    def fixed(kind: int, *, transform: bool = False, gt: _NDArray = n_gt) -> float:
        is_kind = d.err[errs] == kind
        to_tp = is_kind & d.best[errs] & (kind in (LOC, CLS))
        keep = to_tp | (~is_kind & ~d.ignored[errs])
        e, f = errs[keep], to_tp[keep]
        e_cls = np.where(f, d.err_gt_cls[e], d.d_cls[e]) if kind == CLS else d.d_cls[e]
        # FalsePos: true positives score 1, false positives 0
        e_rank = np.ones(e.size, np.int64) if transform else rank[e]
        t_rank = np.zeros(tps.size, np.int64) if transform else rank[tps]
        cls = np.concatenate((e_cls, d.d_cls[tps]))
        sc = np.concatenate((e_rank, t_rank))
        tp = np.concatenate((f, np.ones(tps.size, bool)))
        if stable:
            o = np.argsort(np.concatenate((e, tps)), kind="stable")
            return mean_ap(cls[o], sc[o], tp[o], gt, base_order)
        seen = _first_seen(e_cls)
        touched = set(seen)
        rest = [k for k in base_order if k not in touched]
        order = seen + [k for k in rest if has_tp[k]] + [k for k in rest if not has_tp[k]]
        return mean_ap(cls, sc, tp, gt, order)

    def minus(flags: _NDArray) -> _NDArray:
        return n_gt - np.bincount(d.g_cls[flags], minlength=d.n_codes)

    main = {}
    for code, name in enumerate(MAIN_ERRORS):
        ap = fixed(code, gt=minus(d.miss)) if code == MISS else fixed(code)
        main[name] = float(max(ap - base, 0))
    special = {
        "FalsePos": float(fixed(NO_ERROR, transform=True) - base),
        "FalseNeg": float(fixed(NO_ERROR, gt=minus(d.fn)) - base),
    }
    return float(base), main, special
