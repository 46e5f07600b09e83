"""Confusion counts of the twins: per-label tp / predicted / true sums (the multilabel confusion
matrix, scikit-learn's ``multilabel_confusion_matrix``) and the dense confusion matrix.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ioukit.kernels import sklearn as kernels
from ioukit.sklearn._params import _scipy_sparse
from ioukit.sklearn._targets import _encode, _encoder_classes, _Targets
from ioukit.sklearn._validation import _as_array, _no_complex

NDArray = npt.NDArray[Any]

# Largest span whose dense (span x span) confusion matrix confusion_matrix builds directly.
_SPAN_CM = 1024


def _all_labels(present: NDArray, labels: Any) -> tuple[NDArray, int | None]:
    """The labels to count: ``labels`` first, then the present ones it leaves out."""
    if labels is None:
        return present, None
    lab = _as_array(labels, ragged=False)
    n_labels = int(lab.shape[0])
    rest = np.setdiff1d(present, lab, assume_unique=True)
    return np.concatenate([lab, rest], axis=-1), n_labels


def _counts_1d(
    tg: _Targets, weights: NDArray | None, all_labels: NDArray, n_labels: int | None
) -> tuple[NDArray, NDArray, NDArray]:
    """tp / predicted / true sums of 1-d targets for ``all_labels[:n_labels]``, with
    scikit-learn's dtypes (int64, or float64 with weights or without any true positive)."""
    chosen = all_labels if n_labels is None else all_labels[:n_labels]
    hist = tg.hist
    if hist is not None and all_labels.dtype.kind in "biuf":
        bins, ok = hist.bins(chosen)
        if weights is None:
            tp_all = hist.tp
            true_all, pred_all = hist.true, hist.pred
            if not tp_all.any():
                tp_all = np.zeros(hist.span)
        else:
            same = hist.t == hist.p
            if same.any():
                tp_all = np.bincount(hist.t[same], weights=weights[same], minlength=hist.span)
            else:
                tp_all = np.zeros(hist.span)
            pred_all = np.bincount(hist.p, weights=weights, minlength=hist.span)
            true_all = np.bincount(hist.t, weights=weights, minlength=hist.span)

        def pick(a: NDArray) -> NDArray:
            return np.where(ok, a[bins], np.zeros((), dtype=a.dtype))

        return pick(tp_all), pick(pred_all), pick(true_all)
    classes = _encoder_classes(all_labels)
    t = _encode(tg.yt, classes)
    p = _encode(tg.yp, classes)
    n_bins = all_labels.shape[0]
    same = t == p
    if same.any():
        tp_all = np.bincount(
            t[same], weights=None if weights is None else weights[same], minlength=n_bins
        )
    else:
        tp_all = np.zeros(n_bins)
    pred_all = np.bincount(p, weights=weights, minlength=n_bins)
    true_all = np.bincount(t, weights=weights, minlength=n_bins)
    idx = np.searchsorted(classes, chosen)
    return tp_all[idx], pred_all[idx], true_all[idx]


def _index_dtype(n_rows: int, n_cols: int) -> type[np.signedinteger[Any]]:
    """Index dtype scipy gives a CSR matrix of this size (row counts are differences of it)."""
    return np.int32 if max(n_rows, n_cols, n_rows * n_cols) < 2**31 else np.int64


def _counts_multilabel(
    tg: _Targets,
    weights: NDArray | None,
    all_labels: NDArray,
    n_labels: int | None,
    samplewise: bool,
) -> tuple[NDArray, NDArray, NDArray, int]:
    """tp / predicted / true counts per chosen column (per row with ``samplewise``), and the
    number of chosen columns."""
    present = tg.present
    if all_labels.shape != present.shape or np.any(all_labels != present):
        if np.max(all_labels) > np.max(present):
            raise ValueError(
                "All labels must be in [0, n labels) for multilabel targets. Got %d > %d"  # noqa: UP031
                % (np.max(all_labels), np.max(present))
            )
        if np.min(all_labels) < 0:
            raise ValueError(
                "All labels must be in [0, n labels) for multilabel targets. Got %d < 0"  # noqa: UP031
                % np.min(all_labels)
            )
    cols = None if n_labels is None else np.asarray(all_labels[:n_labels]).astype(np.intp)
    if tg.yt.sparse or tg.yp.sparse:
        return _counts_sparse(tg, weights, cols, samplewise)
    t, p = tg.t1d, tg.p1d
    n_rows, n_all = t.shape
    n_cols = n_all if cols is None else int(cols.shape[0])
    if tg.yt.only01 and tg.yp.only01:
        if not samplewise and weights is None and tg.ml_counts is not None:
            tp, ps, ts = tg.ml_counts
            if cols is not None:
                tp, ps, ts = tp[cols], ps[cols], ts[cols]
            return tp, ps, ts, n_cols
        tk, pk = kernels.pair01(t, p)
        if samplewise:
            use = np.arange(n_all, dtype=np.intp) if cols is None else cols
            rows = kernels.rows01(tk, pk, use)
            tp, ps, ts = rows[:, 0], rows[:, 1], rows[:, 2]
            if weights is not None:
                idx = _index_dtype(n_rows, n_cols)
                tp, ps, ts = (a.astype(idx) * weights for a in (tp, ps, ts))
            return tp, ps, ts, n_cols
        if weights is None:
            nz_t, nz_p = tk != 0, pk != 0
            tp, ps, ts = (nz_t & nz_p).sum(axis=0), nz_p.sum(axis=0), nz_t.sum(axis=0)
            tp, ps, ts = tp.astype(np.intp), ps.astype(np.intp), ts.astype(np.intp)
        else:
            if weights.dtype.kind not in "biuf":
                # scikit-learn's np.bincount casts the weights of the entries it sums, "safe":
                # object (or string) weights are a TypeError, unless there is no entry at all
                chosen = (tk, pk) if cols is None else (tk[:, cols], pk[:, cols])
                if any(a.any() for a in chosen):
                    weights.astype(np.float64, casting="safe")  # raises numpy's TypeError
                zero = np.zeros(n_cols, dtype=np.intp)
                return zero, zero, zero, n_cols
            out, nnz = kernels.weighted_cols01(tk, pk, weights)
            if cols is not None:
                out, nnz = out[:, cols], nnz[:, cols]
            # like np.bincount, a sum over no entry at all is int64
            tp, ps, ts = (
                out[k] if nnz[k].any() else np.zeros(n_cols, dtype=np.intp) for k in range(3)
            )
            return tp, ps, ts, n_cols
        if cols is not None:
            tp, ps, ts = tp[cols], ps[cols], ts[cols]
        return tp, ps, ts, n_cols
    # any other values: "positive" means non-zero, and a true positive a non-zero product
    if cols is not None:
        t, p = t[:, cols], p[:, cols]
    nz_t = t != 0
    nz_p = p != 0
    nz_tp = np.multiply(t, p) != 0
    if samplewise:
        counts = [m.sum(axis=1).astype(np.intp) for m in (nz_tp, nz_p, nz_t)]
        if weights is not None:
            idx = _index_dtype(n_rows, n_cols)
            counts = [c.astype(idx) * weights for c in counts]
        return counts[0], counts[1], counts[2], n_cols
    if weights is None:
        counts = [m.sum(axis=0).astype(np.intp) for m in (nz_tp, nz_p, nz_t)]
    else:
        counts = []
        for m in (nz_tp, nz_p, nz_t):
            r, c = np.nonzero(m)
            counts.append(np.bincount(c, weights=weights[r], minlength=n_cols))
    return counts[0], counts[1], counts[2], n_cols


def _counts_sparse(
    tg: _Targets, weights: NDArray | None, cols: NDArray | None, samplewise: bool
) -> tuple[NDArray, NDArray, NDArray, int]:
    """The multilabel counts of scipy sparse input, computed as scikit-learn does."""
    sp = _scipy_sparse()
    t = sp.csr_array(tg.yt.arr)
    p = sp.csr_array(tg.yp.arr)
    if cols is not None:
        t, p = t[:, cols], p[:, cols]
    both = t.multiply(p)
    both = sp.csr_array(both)
    n_cols = int(t.shape[1])

    def count(m: Any) -> NDArray:
        if samplewise:
            per_row: NDArray = np.diff(m.indptr)
            return per_row.astype(np.intp) if weights is None else per_row * weights
        if weights is None:
            return np.bincount(m.indices, minlength=m.shape[1])
        return np.bincount(
            m.indices, minlength=m.shape[1], weights=np.repeat(weights, np.diff(m.indptr))
        )

    return count(both), count(p), count(t), n_cols


def _mcm(
    tg: _Targets,
    weights: NDArray | None,
    labels: Any,
    samplewise: bool,
) -> NDArray:
    """The (n_outputs, 2, 2) multilabel confusion matrix [[tn, fp], [fn, tp]]."""
    all_labels, n_labels = _all_labels(tg.present, labels)
    if tg.y_type == "multilabel-indicator":
        tp_sum, pred_sum, true_sum, n_cols = _counts_multilabel(
            tg, weights, all_labels, n_labels, samplewise
        )
        n_rows = int(tg.t1d.shape[0])
    else:
        if samplewise:
            raise ValueError(
                "Samplewise metrics are not available outside of multilabel classification."
            )
        tp_sum, pred_sum, true_sum = _counts_1d(tg, weights, all_labels, n_labels)
        n_rows = int(tg.t1d.shape[0])
        n_cols = 0
    fp = pred_sum - tp_sum
    fn = true_sum - tp_sum
    tp = tp_sum
    if weights is not None and samplewise:
        tn = weights * n_cols - tp - fp - fn
    elif weights is not None:
        tn = np.sum(weights) - tp - fp - fn
    elif samplewise:
        tn = n_cols - tp - fp - fn
    else:
        tn = n_rows - tp - fp - fn
    return np.reshape(np.stack([tn, fp, fn, tp]).T, (-1, 2, 2))


def _cm_array(y: Any) -> NDArray:
    """``check_array`` of confusion_matrix's targets: no complex data, at most 2-d."""
    a = _as_array(y, ragged=False)
    _no_complex(a)
    if a.ndim >= 3:
        raise ValueError(f"Found array with dim {a.ndim}, while dim <= 2 is required.")
    if a.ndim == 2 and a.shape[1] < 1:
        raise ValueError(
            f"Found array with {a.shape[1]} feature(s) (shape={a.shape}) while a minimum of 1 "
            "is required."
        )
    return np.asarray(a)


def _any_label_in(tg: _Targets, labels: NDArray) -> bool:
    hist = tg.hist
    if hist is not None and labels.dtype.kind in "biuf" and labels.ndim == 1:
        bins, ok = hist.bins(labels)
        return bool(np.any(ok & (hist.true[bins] > 0)))
    return len(np.intersect1d(tg.t1d, labels)) > 0


def _label_positions(labels: NDArray, values: NDArray) -> NDArray:
    """Position in ``labels`` of each value (the last one for repeated labels), else -1."""
    table = {label: index for index, label in enumerate(labels)}
    return np.array([table.get(v, -1) for v in values], dtype=np.int64).reshape(-1)


def _confusion(tg: _Targets, weights: NDArray, labels: NDArray, integer: bool) -> NDArray:
    """The (n_labels, n_labels) matrix, int64 (integer weights) or float64."""
    n = int(labels.size)
    dtype = np.int64 if integer else np.float64
    hist = tg.hist
    unit = integer and bool(np.all(weights == 1))
    if (
        hist is not None
        and labels.dtype.kind in "biuf"
        and labels.ndim == 1
        and weights.dtype != object  # converted after the unlisted samples are dropped
        and (hist.span <= max(_SPAN_CM, 2 * n) or (unit and hist.cm is not None))
    ):
        span = hist.span
        if unit and hist.cm is not None:
            full = hist.cm
        else:
            full = _weighted_cells(hist.t * span + hist.p, weights, span * span, integer)
            full = full.reshape(span, span)
        bins, ok = hist.bins(labels)
        keep = ok.copy()
        # a label repeated in `labels` counts only at its last position
        seen: set[int] = set()
        for j in range(n - 1, -1, -1):
            if keep[j]:
                if int(bins[j]) in seen:
                    keep[j] = False
                seen.add(int(bins[j]))
        rows = np.where(keep, bins, 0)
        cm: NDArray = np.asarray(full)[np.ix_(rows, rows)].astype(dtype)
        cm[~keep, :] = 0
        cm[:, ~keep] = 0
        return cm
    # general path: map labels to positions, drop the samples whose labels are not listed
    ut, inv_t = tg.yt.unique_inverse()
    up, inv_p = tg.yp.unique_inverse()
    t = _label_positions(labels, ut)[inv_t]
    p = _label_positions(labels, up)[inv_p]
    keep = (t >= 0) & (p >= 0)
    if not keep.all():
        t, p, weights = t[keep], p[keep], weights[keep]
    return _weighted_cells(t * n + p, weights, n * n, integer).reshape(n, n).astype(dtype)


def _weighted_cells(cells: NDArray, weights: NDArray, size: int, integer: bool) -> NDArray:
    """Sum of the weights per cell: int64 (wrapping like scipy's accumulator) for integer
    weights, else float64 added in data order (scipy's order); object weights are converted to
    float64 first, as scipy does (``None`` becomes NaN)."""
    if not integer:
        return np.bincount(cells, weights=np.asarray(weights, dtype=np.float64), minlength=size)
    w = weights.astype(np.int64)
    if w.size == 0 or int(np.abs(w).max()) * w.size < 2**53:
        return np.bincount(cells, weights=w, minlength=size).astype(np.int64)
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, cells, w)
    return out
