"""Matching detections to ground truth on an IoU matrix, and the counts that follow.

Matching is separate from how the IoU matrix was made: pass any ``(D, G)`` matrix of
detection × ground-truth overlaps (:func:`ioukit.box_iou`, :func:`ioukit.mask_iou`,
:func:`ioukit.rle.iou`, :func:`ioukit.rotated_box_iou`, ...). Three rules are offered:

``"coco"``
    COCO's greedy matching (``COCOeval.evaluateImg``): detections in decreasing score order
    (stable for equal scores), each takes the unmatched ground truth of highest IoU with
    ``IoU >= threshold``; regular ground truths are preferred over ignored ones; a crowd ground
    truth may take any number of detections; a detection matched to a crowd or ignored ground
    truth is neither a true nor a false positive. Among equal IoUs, the later ground truth wins,
    as in COCO.
``"voc"``
    PASCAL VOC's rule (``VOCevalDet``): in score order, each detection looks at the ground truth
    of highest IoU (the first on ties), ignored ("difficult") ones included; it is a true
    positive if ``IoU > threshold`` (strict) and that ground truth is regular and not taken yet,
    a duplicate (false positive) if it is taken, ignored if that ground truth is ignored.
``"hungarian"``
    An optimal one-to-one assignment between detections and regular ground truths among the
    pairs with ``IoU >= threshold``: as many matches as possible, then the largest total IoU
    (scores are not used). Detections left over are then matched greedily, as in ``"coco"``, to
    crowd or ignored ground truths, which makes them ignored.

Thresholds are exact: ``0.9`` is compared as the double nearest to 9/10 (pass a string or a
:class:`~decimal.Decimal` to be explicit), never a float32 or ``linspace`` neighbour such as
``0.8999999999999999`` (the COCO ``iouThrs`` artefact). Unlike COCO, threshold 1.0 is not
lowered to ``1 - 1e-10``: it accepts IoU = 1 only. Indices are positions, so no id (0
included) is ever mistaken for "unmatched".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from numbers import Real
from typing import Any

import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit._typing import Array
from ioukit._xp import device_of, namespace, to_numpy
from ioukit.core._checks import check_choice, check_flags
from ioukit.core.counts import Counts

__all__ = ["COCO_IOU_THRESHOLDS", "Matches", "detection_counts", "match_detections"]

#: COCO's ten IoU thresholds 0.50, 0.55, ..., 0.95 as exact decimals (each the double nearest
#: to the decimal), not ``np.linspace(0.5, 0.95, 10)`` whose ninth entry is 0.8999999999999999.
COCO_IOU_THRESHOLDS: tuple[float, ...] = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)

METHODS = ("coco", "voc", "hungarian")

_I64 = np.int64


@dataclass(frozen=True, eq=False)
class Matches:
    """The outcome of :func:`match_detections` at one IoU threshold.

    All index arrays are int64 positions into the rows (detections) or columns (ground truths)
    of the IoU matrix, in the array library and on the device of the IoU matrix.

    Attributes
    ----------
    detections, ground_truths : Array
        ``(K,)`` the matched pairs (true positives), in the order the detections were matched
        (decreasing score for ``"coco"``/``"voc"``, detection index for ``"hungarian"``).
    ious : Array
        ``(K,)`` float64 IoU of each matched pair.
    unmatched_detections : Array
        False positives: detections matched to nothing (or, for ``"voc"``, duplicates).
    unmatched_ground_truths : Array
        False negatives: regular (not crowd, not ignored) ground truths left unmatched.
    ignored_detections : Array
        Detections matched to a crowd or ignored ground truth: neither true nor false positives.
    threshold : float
        The IoU threshold used.
    method : str
        ``"coco"``, ``"voc"`` or ``"hungarian"``.
    """

    detections: Array
    ground_truths: Array
    ious: Array
    unmatched_detections: Array
    unmatched_ground_truths: Array
    ignored_detections: Array
    threshold: float
    method: str

    @property
    def tp(self) -> int:
        """Number of true positives (matched pairs)."""
        return int(self.detections.shape[0])

    @property
    def fp(self) -> int:
        """Number of false positives."""
        return int(self.unmatched_detections.shape[0])

    @property
    def fn(self) -> int:
        """Number of false negatives."""
        return int(self.unmatched_ground_truths.shape[0])

    def __repr__(self) -> str:
        return (
            f"Matches(method={self.method!r}, threshold={self.threshold!r}, tp={self.tp}, "
            f"fp={self.fp}, fn={self.fn}, ignored={int(self.ignored_detections.shape[0])})"
        )


# ----------------------------------------------------------------------------- validation


def _threshold(func: str, value: object) -> float:
    """An IoU threshold in [0, 1] as the double nearest to its decimal value."""
    if isinstance(value, bool):
        raise ParameterError(f"{func}: `threshold` must be a number in [0, 1]; got {value!r}.")
    t: float
    if isinstance(value, str):
        try:
            t = float(Decimal(value.strip()))
        except InvalidOperation:
            raise ParameterError(
                f"{func}: `threshold` must be a number in [0, 1]; got the string {value!r}, "
                "which is not a decimal number."
            ) from None
    elif isinstance(value, (np.float32, np.float16)) or (
        hasattr(value, "dtype") and str(value.dtype) in ("float32", "float16", "torch.float32")
    ):
        raise ParameterError(
            f"{func}: `threshold` is a float32/float16 number ({value!r}), which is not the "
            "decimal it stands for (float32(0.9) = 0.89999998); pass a Python float, a string "
            "such as '0.9' or a Decimal."
        )
    elif isinstance(value, (Decimal, Real)):
        t = float(value)
    else:
        raise ParameterError(
            f"{func}: `threshold` must be a number in [0, 1] (float, string or Decimal); got "
            f"{type(value).__name__} {value!r}."
        )
    if not 0.0 <= t <= 1.0:  # also rejects NaN
        raise ParameterError(f"{func}: `threshold` must be in [0, 1]; got {value!r}.")
    return t


def _thresholds(func: str, value: object) -> tuple[float, ...]:
    if isinstance(value, (str, Decimal, Real, np.generic)):
        return (_threshold(func, value),)
    if isinstance(value, np.ndarray) and value.dtype in (np.float32, np.float16):
        raise ParameterError(
            f"{func}: `thresholds` is a {value.dtype} array, whose values are not the decimals "
            "they stand for; pass Python floats, strings or Decimals (e.g. "
            "ioukit.COCO_IOU_THRESHOLDS)."
        )
    try:
        items = list(value)  # type: ignore[call-overload]
    except TypeError:
        raise ParameterError(
            f"{func}: `thresholds` must be a number in [0, 1] or a sequence of them; got "
            f"{type(value).__name__}."
        ) from None
    if not items:
        raise ParameterError(f"{func}: `thresholds` must not be empty.")
    return tuple(_threshold(func, v) for v in items)


def _check_method(func: str, method: object, crowd: object) -> str:
    meth: str = check_choice(func, "method", method, METHODS)
    if meth == "voc" and crowd is not None:
        raise ParameterError(
            f"{func}: `crowd` has no meaning for method='voc' (PASCAL VOC has no crowd "
            "regions); pass such ground truths in `ignore` (VOC's 'difficult')."
        )
    return meth


def _prepare(
    func: str, iou_matrix: object, scores: object, crowd: object, ignore: object
) -> tuple[Any, Any, np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], Any]:
    """Validate; return (xp, device, iou (D, G) float64, order of detections, ignored gts,
    crowd gts)."""
    xp, (m,) = namespace(iou_matrix, func=func)
    if m.ndim != 2:
        raise InputError(
            f"{func}: `iou_matrix` must have shape (D, G): one row per detection, one column "
            f"per ground truth; got shape {tuple(m.shape)}."
        )
    iou = np.asarray(to_numpy(m), dtype=np.float64)
    d, g = iou.shape
    if iou.size:
        bad = ~((iou >= 0) & (iou <= 1))  # NaN included
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            value = float(iou[where])
            raise InputError(
                f"{func}: `iou_matrix` must hold IoUs in [0, 1]; got {int(bad.sum())} value(s) "
                f"outside, the first at (detection, ground truth) = {where}: {value!r}. "
                "GIoU/DIoU/CIoU matrices (which can be negative) are not IoUs; match on box_iou."
            )
    if scores is None:
        order = np.arange(d, dtype=_I64)
    else:
        s = np.asarray(to_numpy(scores) if not isinstance(scores, (list, tuple)) else scores)
        if s.shape != (d,):
            raise InputError(
                f"{func}: `scores` must have one score per detection (a row of the IoU matrix), "
                f"shape ({d},); got shape {s.shape}."
            )
        if not np.issubdtype(s.dtype, np.number) or (s.size and not np.isfinite(s).all()):
            raise InputError(
                f"{func}: `scores` must be finite numbers; got dtype {s.dtype}"
                + (f" with {int((~np.isfinite(s)).sum())} NaN/inf value(s)." if s.size else ".")
            )
        # decreasing score, stable: equal scores keep their input order (COCO's mergesort)
        order = np.argsort(-s.astype(np.float64), kind="stable").astype(_I64)
    per_gt = f"have one flag per ground truth (a column of the IoU matrix), shape ({g},)"
    crowd_flags = check_flags(func, "crowd", crowd, g, per_gt)
    ignored = check_flags(func, "ignore", ignore, g, per_gt) | crowd_flags
    return xp, device_of(m), iou, order, ignored, crowd_flags


# ----------------------------------------------------------------------------- the rules


def _last_argmax(values: np.ndarray[Any, Any]) -> int:
    """Index of the last maximum (COCO scans with ``>=``, so the last of equal IoUs wins)."""
    return int(values.size - 1 - np.argmax(values[::-1]))


def _greedy(
    iou: np.ndarray[Any, Any],
    order: np.ndarray[Any, Any],
    ignored: np.ndarray[Any, Any],
    crowd: np.ndarray[Any, Any],
    t: float,
    taken: np.ndarray[Any, Any] | None = None,
    dets: np.ndarray[Any, Any] | None = None,
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """COCO's greedy rule. Returns (matched pairs, ignored detections, unmatched detections).

    ``taken`` marks ground truths already matched (the Hungarian rule reuses this for its
    second stage); ``dets`` restricts the detections considered (in ``order``).
    """
    g = iou.shape[1]
    taken = np.zeros(g, dtype=bool) if taken is None else taken.copy()
    regular = ~ignored
    pairs: list[tuple[int, int]] = []
    ignored_dets: list[int] = []
    unmatched: list[int] = []
    for d in order if dets is None else dets:
        row = iou[d]
        # a taken ground truth stays available only if it is a crowd region
        free = ~taken | crowd
        ok = free & (row >= t)
        m = -1
        cand = ok & regular
        if cand.any():
            m = _last_argmax(np.where(cand, row, -1.0))
        else:
            cand = ok & ignored
            if cand.any():
                m = _last_argmax(np.where(cand, row, -1.0))
        if m < 0:
            unmatched.append(int(d))
            continue
        taken[m] = True
        if ignored[m]:
            ignored_dets.append(int(d))
        else:
            pairs.append((int(d), m))
    return pairs, ignored_dets, unmatched


def _voc(
    iou: np.ndarray[Any, Any], order: np.ndarray[Any, Any], ignored: np.ndarray[Any, Any], t: float
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    g = iou.shape[1]
    taken = np.zeros(g, dtype=bool)
    pairs: list[tuple[int, int]] = []
    ignored_dets: list[int] = []
    unmatched: list[int] = []
    for d in order:
        if g == 0:
            unmatched.append(int(d))
            continue
        j = int(np.argmax(iou[d]))  # the first maximum, as VOC's max()
        if not iou[d, j] > t:
            unmatched.append(int(d))
        elif ignored[j]:
            ignored_dets.append(int(d))
        elif taken[j]:
            unmatched.append(int(d))  # a duplicate detection
        else:
            taken[j] = True
            pairs.append((int(d), j))
    return pairs, ignored_dets, unmatched


def _assignment(weights: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Maximum-weight assignment of the rows of ``weights`` (n <= m) to distinct columns.

    The shortest-augmenting-path Hungarian algorithm with potentials (O(n² m)), on costs
    ``-weights``; the inner scan over columns is vectorised. Returns the column of each row.
    """
    n, m = weights.shape
    cost = -weights
    inf = math.inf
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    way = np.zeros(m + 1, dtype=_I64)
    row_of = np.zeros(m + 1, dtype=_I64)  # row_of[j]: 1-based row assigned to column j (0: none)
    for i in range(1, n + 1):
        row_of[0] = i
        j0 = 0
        minv = np.full(m + 1, inf)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = row_of[j0]
            cur = cost[i0 - 1] - u[i0] - v[1:]
            free = ~used[1:]
            better = free & (cur < minv[1:])
            minv[1:] = np.where(better, cur, minv[1:])
            way[1:] = np.where(better, j0, way[1:])
            cand = np.where(free, minv[1:], inf)
            j1 = int(np.argmin(cand)) + 1
            delta = cand[j1 - 1]
            used_idx = np.flatnonzero(used)
            u[row_of[used_idx]] += delta
            v[used_idx] -= delta
            minv[1:] = np.where(free, minv[1:] - delta, minv[1:])
            j0 = j1
            if row_of[j0] == 0:
                break
        while True:
            j1 = int(way[j0])
            row_of[j0] = row_of[j1]
            j0 = j1
            if j0 == 0:
                break
    col_of = np.full(n, -1, dtype=_I64)
    for j in range(1, m + 1):
        if row_of[j] > 0:
            col_of[row_of[j] - 1] = j - 1
    return col_of


def _hungarian(
    iou: np.ndarray[Any, Any],
    order: np.ndarray[Any, Any],
    ignored: np.ndarray[Any, Any],
    crowd: np.ndarray[Any, Any],
    t: float,
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    d, g = iou.shape
    regular = np.flatnonzero(~ignored)
    sub = iou[:, regular]
    allowed = sub >= t
    # 1 + IoU per allowed pair: every extra match outweighs any gain in total IoU
    weights = np.where(allowed, 1.0 + sub, 0.0)
    pairs: list[tuple[int, int]] = []
    if d and regular.size:
        if d <= regular.size:
            cols = _assignment(weights)
            rows = np.arange(d)
        else:
            rows = _assignment(weights.T)
            cols = np.arange(regular.size)
            rows, cols = rows[rows >= 0], cols[rows >= 0]
            sort = np.argsort(rows, kind="stable")
            rows, cols = rows[sort], cols[sort]
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            if c >= 0 and allowed[r, c]:
                pairs.append((int(r), int(regular[c])))
    matched_dets = np.zeros(d, dtype=bool)
    taken = np.zeros(g, dtype=bool)
    for r, c in pairs:
        matched_dets[r] = True
        taken[c] = True
    rest = order[~matched_dets[order]]
    # leftovers may still fall inside crowd / ignored regions: those are not false positives
    only_ignored = taken | ~ignored
    more, ignored_dets, unmatched = _greedy(iou, order, ignored, crowd, t, only_ignored, rest)
    if more:  # cannot happen: regular ground truths are all marked taken for the second stage
        raise AssertionError("internal error: second Hungarian stage matched a regular box")
    return pairs, ignored_dets, unmatched


def _match(
    iou: np.ndarray[Any, Any],
    order: np.ndarray[Any, Any],
    ignored: np.ndarray[Any, Any],
    crowd: np.ndarray[Any, Any],
    t: float,
    method: str,
) -> tuple[list[tuple[int, int]], list[int], list[int], np.ndarray[Any, Any]]:
    if method == "coco":
        pairs, ign, unmatched = _greedy(iou, order, ignored, crowd, t)
    elif method == "voc":
        pairs, ign, unmatched = _voc(iou, order, ignored, t)
    else:
        pairs, ign, unmatched = _hungarian(iou, order, ignored, crowd, t)
    found = np.zeros(iou.shape[1], dtype=bool)
    for _, c in pairs:
        found[c] = True
    missed = np.flatnonzero(~found & ~ignored)
    return pairs, ign, unmatched, missed


# ----------------------------------------------------------------------------- public


def match_detections(
    iou_matrix: Array,
    *,
    scores: Array | Sequence[float] | None = None,
    threshold: float | str | Decimal = 0.5,
    method: str = "coco",
    crowd: Array | Sequence[bool] | None = None,
    ignore: Array | Sequence[bool] | None = None,
) -> Matches:
    """Match detections to ground truths of one image (and one class) on their IoU matrix.

    Parameters
    ----------
    iou_matrix : Array
        ``(D, G)`` IoU of every detection (row) with every ground truth (column), values in
        [0, 1]. For crowd ground truths, compute the IoU the COCO way (intersection over the
        detection's area: ``ioukit.rle.iou(..., crowd=...)``, ``ioukit.mask_iou(...,
        crowd=...)``).
    scores : Array, optional
        ``(D,)`` detection confidences; detections are matched in decreasing score order
        (stable: equal scores keep their order). Default: the row order.
    threshold : float, str or Decimal, default 0.5
        IoU threshold in [0, 1]; ``IoU >= threshold`` matches for ``"coco"`` and
        ``"hungarian"``, ``IoU > threshold`` for ``"voc"``. Exact decimal (see the module notes).
    method : {"coco", "voc", "hungarian"}, default "coco"
        The matching rule; see :mod:`ioukit.detection`.
    crowd : Array, optional
        ``(G,)`` booleans: crowd regions (COCO ``iscrowd``). A crowd region can absorb any number
        of detections, which are then ignored; it is never a false negative. Not used by VOC
        (which has no crowd regions; mark them in ``ignore``).
    ignore : Array, optional
        ``(G,)`` booleans: ground truths to ignore (COCO ``ignore``/area range, VOC
        ``difficult``). A detection matched to one is ignored; unmatched, it is not a false
        negative.

    Returns
    -------
    Matches
        Matched pairs, false positives, false negatives and ignored detections as index arrays
        in the library of ``iou_matrix``.

    Examples
    --------
    Two 10×10 boxes overlapping 5×5 have IoU 25/175 ≈ 0.1429:

    >>> import numpy as np
    >>> from ioukit import box_iou
    >>> dets = np.array([[0, 0, 10, 10], [5, 5, 15, 15], [40, 40, 50, 50]])
    >>> gts = np.array([[5, 5, 15, 15], [0, 0, 10, 10]])
    >>> iou = box_iou(dets, gts)
    >>> round(float(iou[0, 0]), 4)
    0.1429
    >>> m = match_detections(iou, scores=np.array([0.9, 0.8, 0.7]), threshold=0.5)
    >>> m.detections.tolist(), m.ground_truths.tolist(), m.unmatched_detections.tolist()
    ([0, 1], [1, 0], [2])
    >>> m
    Matches(method='coco', threshold=0.5, tp=2, fp=1, fn=0, ignored=0)
    """
    func = "match_detections"
    t = _threshold(func, threshold)
    meth = _check_method(func, method, crowd)
    xp, dev, iou, order, ignored, crowd_flags = _prepare(func, iou_matrix, scores, crowd, ignore)
    pairs, ign, unmatched, missed = _match(iou, order, ignored, crowd_flags, t, meth)
    det = np.asarray([p[0] for p in pairs], dtype=_I64)
    gt = np.asarray([p[1] for p in pairs], dtype=_I64)

    def back(a: np.ndarray[Any, Any], dtype: Any) -> Array:
        return xp.asarray(a, dtype=dtype, device=dev)

    return Matches(
        detections=back(det, xp.int64),
        ground_truths=back(gt, xp.int64),
        ious=back(iou[det, gt] if det.size else np.zeros(0), xp.float64),
        unmatched_detections=back(np.asarray(unmatched, dtype=_I64), xp.int64),
        unmatched_ground_truths=back(missed.astype(_I64), xp.int64),
        ignored_detections=back(np.asarray(ign, dtype=_I64), xp.int64),
        threshold=t,
        method=meth,
    )


def detection_counts(
    iou_matrix: Array,
    *,
    scores: Array | Sequence[float] | None = None,
    thresholds: float | str | Decimal | Sequence[float | str | Decimal] = COCO_IOU_THRESHOLDS,
    method: str = "coco",
    crowd: Array | Sequence[bool] | None = None,
    ignore: Array | Sequence[bool] | None = None,
) -> Counts:
    """Detection true/false positives and false negatives at each IoU threshold.

    Matches the detections of one image (and one class) with :func:`match_detections` at every
    threshold and returns the counts, so :func:`ioukit.precision`, :func:`ioukit.recall`,
    :func:`ioukit.fbeta` (F1 with ``beta=1``, or :func:`ioukit.dice`) and :func:`ioukit.jaccard`
    apply per threshold. Counts of several images add with ``+``.

    Parameters
    ----------
    iou_matrix, scores, method, crowd, ignore
        As in :func:`match_detections`.
    thresholds : float, str, Decimal or sequence of them, default ``COCO_IOU_THRESHOLDS``
        IoU thresholds in [0, 1]; one column of counts per threshold, in the order given.

    Returns
    -------
    Counts
        ``task="detection"``; ``tp``, ``fp``, ``fn`` of shape ``(T,)`` (int64; one entry per
        threshold, where other tasks have classes), ``tn`` zeros: detection has no true
        negatives, so :func:`ioukit.accuracy` and :func:`ioukit.specificity` do not apply.
        Ignored detections are in none of the counts.

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit import box_iou, precision, recall
    >>> dets = np.array([[0, 0, 10, 10], [0, 0, 10, 12], [20, 20, 30, 30]])
    >>> gts = np.array([[0, 0, 10, 11], [50, 50, 60, 60]])
    >>> c = detection_counts(box_iou(dets, gts), scores=[0.9, 0.8, 0.7], thresholds=[0.5, 0.95])
    >>> c.tp.tolist(), c.fp.tolist(), c.fn.tolist()  # IoUs 100/110 and 110/120 < 0.95
    ([1, 0], [2, 3], [1, 2])
    >>> precision(c, average="none").round(4).tolist(), recall(c, average="none").tolist()
    ([0.3333, 0.0], [0.5, 0.0])
    """
    func = "detection_counts"
    ts = _thresholds(func, thresholds)
    meth = _check_method(func, method, crowd)
    xp, dev, iou, order, ignored, crowd_flags = _prepare(func, iou_matrix, scores, crowd, ignore)
    tp = np.zeros(len(ts), dtype=_I64)
    fp = np.zeros(len(ts), dtype=_I64)
    fn = np.zeros(len(ts), dtype=_I64)
    for k, t in enumerate(ts):
        pairs, _, unmatched, missed = _match(iou, order, ignored, crowd_flags, t, meth)
        tp[k], fp[k], fn[k] = len(pairs), len(unmatched), missed.size
    tp_, fp_, fn_, tn_ = (
        xp.asarray(a, dtype=xp.int64, device=dev) for a in (tp, fp, fn, np.zeros_like(tp))
    )
    return Counts(tp_, fp_, fn_, tn_, task="detection")
