"""Bootstrap replicates of COCO and LVIS results: the detection ``BootstrapSource``.

:func:`detection_source` wraps a :class:`~ioukit.detection.result.COCOResult` or
:class:`~ioukit.detection._lvis_result.LVISResult` in the protocol that :mod:`ioukit.stats`
resamples (images are the unit). A replicate gives image ``i`` the multiplicity ``w_i`` and
accumulates the evaluation's own match statuses again (:mod:`ioukit.kernels.coco_bootstrap`):
no matching is repeated, because matching is per (image, category) and a copy of an image
matches as the image does. Each detection of image ``i`` enters COCO's cumulative sums ``w_i``
times and each of its regular ground truths counts ``w_i`` times; the score order is the
evaluation's. So a replicate equals the evaluation of the data set in which image ``i`` appears
``w_i`` times (its copies next to it in ``img_ids`` order), with one exception: two detections
of one image and category with exactly equal scores. There the evaluation of the copies
interleaves them (``a, b, a', b'``: ties go in image order) while the weights keep each
detection's copies together (``a, a', b, b'``), which changes the precision between them when
one is a true positive and the other not.

LVIS's default cap (``max_dets`` results per image) is image-local, so LVIS resamples exactly
like COCO. Its "fixed AP" (``max_dets_per_category``) is not: the cap keeps a category's
highest scores over the whole data set, before matching and before the federated rules drop
results, so a resampled data set keeps other results, among them some that the evaluation never
matched. Such a result is refused rather than resampled wrongly.

The metrics are the numbers of ``result.stats`` (COCO: ``"AP"``, ``"AP50"``, …, ``"ARl"``;
keypoints: ``"AP"``, …, ``"AR"``, ``"AR50"``, …) or of ``result.results`` (LVIS: ``"AP"``, …,
``"APr"``, ``"AR@300"``, …), and ``"AP:<category name>"``, each computed as COCO's
``summarize`` computes it: a category without ground truth in a replicate is left out of the
mean; a number without any category is NaN (COCO's -1), in the estimate too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit.detection._accumulate import MatchState, mean_of, stat, stat_specs
from ioukit.detection._lvis_result import _KEYS, LVISResult
from ioukit.detection._result_state import params_dict
from ioukit.detection.result import COCOResult
from ioukit.kernels import coco_bootstrap as boot

__all__ = ["DetectionSource", "detection_source"]

_NDArray = np.ndarray[Any, Any]


class _Metric(NamedTuple):
    """A mean over one slice: precision (``ap``) or recall at area position ``area`` (-1: the
    number is undefined, no such slice), ``max_det``, each value ``rep`` times, over the
    thresholds ``ts`` and categories ``ks``."""

    ap: bool
    area: int
    max_det: int
    rep: int
    ts: tuple[int, ...]
    ks: tuple[int, ...]


def _slice_metric(
    ap: bool, iou: float | None, area: str, max_det: int, labels: Sequence[str],
    thresholds: _NDArray, max_dets: Sequence[int], ks: Sequence[int],
) -> _Metric:  # fmt: skip
    """The slice that ``summarize`` reads for one number (exact float equality of the IoU, as
    pycocotools)."""
    a = [i for i, label in enumerate(labels) if label == area]
    rep = sum(1 for m in max_dets if m == max_det)
    ts = range(thresholds.size) if iou is None else np.flatnonzero(thresholds == iou)
    if not a or rep == 0 or len(ts) == 0:
        return _Metric(ap, -1, max_det, 0, (), ())
    return _Metric(ap, a[0], max_det, rep, tuple(int(t) for t in ts), tuple(ks))


def _nan(value: float) -> float:
    return float("nan") if value == -1 else float(value)


class _Core:
    """What every ordering of a source's images shares: the match statuses, the metrics,
    and the plans computed so far."""

    def __init__(
        self,
        rec: MatchState,
        *,
        recall_thresholds: Sequence[float],
        metrics: dict[str, _Metric],
        estimates: dict[str, float],
        headline: tuple[str, ...],
        per_class: tuple[tuple[str, str], ...],
        config: dict[str, Any],
        image_names: tuple[str, ...],
        f1: tuple[str, _NDArray],
    ) -> None:
        self.rec = rec
        self.recall_thresholds = np.asarray(recall_thresholds, np.float64)
        self.metrics = metrics
        self.estimates = estimates
        self.headline = headline
        self.per_class = per_class
        self.config = config
        self.image_names = image_names
        self.f1 = f1
        self.n_k = rec.cat_start.size - 1
        self._order: _NDArray | None = None
        self._cells: tuple[_NDArray, _NDArray, _NDArray] | None = None
        self._plans: dict[Any, Any] = {}
        self._pairs: boot.JackPairs | None = None

    def compute(self, names: Sequence[str], weights: _NDArray) -> _NDArray:
        """``(B, M)``: the metrics ``names`` under each row of ``weights`` (original order)."""
        out = np.full((weights.shape[0], len(names)), np.nan)
        defined = [j for j, n in enumerate(names) if self.metrics[n].area >= 0]
        if not defined or weights.shape[0] == 0:
            return out
        specs = [self.metrics[names[j]] for j in defined]
        plan, table = self._plan(specs)
        out[:, defined] = boot.replicates(
            weights, self.n_k, plan, self._gt_cells(), self.recall_thresholds, table
        )
        return out

    def jackknife(self, names: Sequence[str]) -> _NDArray:
        """``(N, M)``: the metrics ``names`` with each image left out (original order), from
        the full data's per-category sums and those of the categories the image touches."""
        n = self.rec.n_img
        out = np.full((n, len(names)), np.nan)
        defined = [j for j, name in enumerate(names) if self.metrics[name].area >= 0]
        if not defined or n == 0 or self.n_k == 0:
            return out
        specs = [self.metrics[names[j]] for j in defined]
        plan, table = self._plan(specs)
        if self._pairs is None:
            rec = self.rec
            self._pairs = boot.jackknife_pairs(rec.dt_image, rec.cat_start, rec.regular, n)
        pairs = self._pairs
        psum, rsum, valid = boot.jackknife_cells(n, self.n_k, plan, pairs, self.recall_thresholds)
        lead = pairs.off[:-1]  # the full data's pair of each category
        left = pairs.img < n
        n_r = self.recall_thresholds.size
        for m, j in enumerate(defined):
            ts = table.t[table.t_off[m] : table.t_off[m + 1]]
            in_ks = np.zeros(self.n_k, np.bool_)
            in_ks[table.k[table.k_off[m] : table.k_off[m + 1]]] = True
            s, rep = int(table.slice[m]), int(table.rep[m])
            per = rep * ts.size * (n_r if table.ap[m] else 1)
            sums = (psum if table.ap[m] else rsum)[s][:, ts].sum(axis=1) * rep
            sums = np.where(valid[s], sums, 0.0)
            counts = np.where(valid[s], per, 0)
            full_sum, full_count = sums[lead][in_ks].sum(), counts[lead][in_ks].sum()
            mine = left & in_ks[pairs.cat]
            img = pairs.img[mine]
            old = np.bincount(img, sums[lead][pairs.cat[mine]], minlength=n)
            new = np.bincount(img, sums[mine], minlength=n)
            count = full_count + np.bincount(
                img, (counts[mine] - counts[lead][pairs.cat[mine]]).astype(np.float64), n
            )
            with np.errstate(invalid="ignore", divide="ignore"):
                value = np.where(count > 0, ((full_sum - old) + new) / count, np.nan)
            out[:, j] = np.where(np.bincount(img, minlength=n) > 0, value,
                                 self.estimates[names[j]])  # fmt: skip
        return out

    def _gt_cells(self) -> tuple[_NDArray, _NDArray, _NDArray]:
        if self._cells is None:
            self._cells = boot.gt_cells(self.rec.regular, self.n_k, self.rec.n_img)
        return self._cells

    def _plan(self, specs: list[_Metric]) -> tuple[boot.Plan, boot.MetricTable]:
        """The plan of the slices that ``specs`` read (cached) and their metric table."""
        n_t = self.rec.dt_status.shape[1]
        slices: dict[tuple[int, int], tuple[set[int], bool]] = {}
        for m in specs:
            ts, prec = slices.get((m.area, m.max_det), (set(), False))
            slices[(m.area, m.max_det)] = (ts | set(m.ts), prec or m.ap)
        keys = tuple(
            (a, md, tuple(sorted(ts)), prec) for (a, md), (ts, prec) in sorted(slices.items())
        )
        if keys not in self._plans:
            if self._order is None:
                self._order = boot.category_orders(self.rec.dt_score, self.rec.cat_start)
            tneeds = []
            for key in keys:
                tneed = np.zeros(n_t, np.bool_)
                tneed[list(key[2])] = True
                tneeds.append(tneed)
            rec = self.rec
            self._plans[keys] = boot.plan(
                rec.dt_status, rec.dt_rank, rec.dt_image, self._order, rec.cat_start,
                [(a, md, tn, prec) for (a, md, _, prec), tn in zip(keys, tneeds, strict=True)],
            )  # fmt: skip
        position = {(a, md): s for s, (a, md, _, _) in enumerate(keys)}
        table = boot.metric_table(
            [(m.ap, position[(m.area, m.max_det)], m.rep, m.ts, m.ks) for m in specs], self.n_k
        )
        return self._plans[keys], table


class DetectionSource:
    """The bootstrap view of a COCO or LVIS result (the ``BootstrapSource`` protocol of
    :mod:`ioukit.stats`): images are resampled, the evaluation's matches are reused.

    Built by :func:`detection_source`; see the module docstring for the rules.

    Attributes
    ----------
    kind : str
        ``"detection"``.
    image_names : tuple of str
        The images (``str`` of ``params.img_ids``), in the order of the weight columns.
    """

    kind = "detection"

    def __init__(self, core: _Core, perm: _NDArray | None = None) -> None:
        self._core = core
        self._perm = perm
        names = core.image_names
        self.image_names = names if perm is None else tuple(names[i] for i in perm)

    def __repr__(self) -> str:
        return f"DetectionSource({self._core.config['protocol']}, {len(self.image_names)} images)"

    def config(self) -> dict[str, Any]:
        """The settings two results must share to be compared (parameters without the image
        ids, category names; JSON-safe)."""
        return dict(self._core.config)

    def headline_metrics(self) -> tuple[str, ...]:
        """AP, AP50, AP75 and AR at the largest max_dets, then the area ranges' (and LVIS's
        frequency groups') numbers where the evaluation defines them."""
        return self._core.headline

    def metric_names(self) -> tuple[str, ...]:
        """Every accepted metric: the result's numbers, then ``"AP:<category name>"``."""
        return tuple(self._core.metrics)

    def _check(self, func: str, metrics: Sequence[str]) -> list[str]:
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        known = self._core.metrics
        for n in names:
            if n not in known:
                valid = ", ".join(repr(v) for v in list(known)[:30])
                raise ParameterError(
                    f"DetectionSource.{func}: `metrics` must name metrics of this result "
                    f"({valid}{', …' if len(known) > 30 else ''}); got {n!r}."
                )
        return names

    def estimate(self, metrics: Sequence[str]) -> _NDArray:
        """``(M,)``: the result's own numbers (NaN where it has -1)."""
        names = self._check("estimate", metrics)
        return np.array([self._core.estimates[n] for n in names], dtype=np.float64)

    def replicates(self, metrics: Sequence[str], weights: _NDArray) -> _NDArray:
        """``(B, M)``: each metric with the images weighted by each row of ``weights`` ``(B,
        N)`` (nonnegative integer multiplicities, columns in :attr:`image_names` order); NaN
        where a number has no category with ground truth."""
        names = self._check("replicates", metrics)
        w = np.asarray(weights, dtype=np.float64)
        n = len(self.image_names)
        if w.ndim != 2 or w.shape[1] != n:
            raise InputError(
                f"DetectionSource.replicates: `weights` must have shape (B, {n}) (one column "
                f"per image); got {w.shape}."
            )
        if w.size and not (np.isfinite(w).all() and (w >= 0).all() and (w == np.floor(w)).all()):
            raise InputError(
                "DetectionSource.replicates: `weights` must be nonnegative integer "
                "multiplicities; got other values."
            )
        if self._perm is not None:
            base = np.empty_like(w)
            base[:, self._perm] = w
            w = base
        return self._core.compute(names, w)

    def jackknife(self, metrics: Sequence[str]) -> _NDArray:
        """``(N, M)``: each metric with one image left out, row ``i`` without image ``i``
        (:attr:`image_names` order); NaN where a number has no category with ground truth.

        The values of :meth:`replicates` on the leave-one-out weights (the rows of
        :func:`ioukit.stats.jackknife_weights`), up to the order of the sums (about 1e-15):
        only the categories that image ``i`` touches (a detection or a regular ground truth)
        are accumulated again, the others keep the full data's sums, and an image that
        touches none of a metric's categories gets the estimate itself.

        Examples
        --------
        >>> import numpy as np, ioukit
        >>> gt = {"images": [{"id": i} for i in (1, 2, 3)],
        ...       "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
        ...       "annotations": [{"id": i, "image_id": i, "category_id": 1 + (i == 3),
        ...                        "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0}
        ...                       for i in (1, 2, 3)]}
        >>> dt = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
        ...       {"image_id": 2, "category_id": 1, "bbox": [50, 50, 10, 10], "score": 0.8},
        ...       {"image_id": 3, "category_id": 2, "bbox": [0, 0, 10, 10], "score": 0.7}]
        >>> s = detection_source(ioukit.coco_evaluate(gt, dt))
        >>> jack = s.jackknife(["AP50", "AP:dog"])
        >>> jack.round(4).tolist()
        [[0.5, 1.0], [1.0, 1.0], [0.505, nan]]
        >>> w = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
        >>> bool(np.allclose(jack, s.replicates(["AP50", "AP:dog"], w), equal_nan=True))
        True
        """
        names = self._check("jackknife", metrics)
        out = self._core.jackknife(names)
        return out if self._perm is None else out[self._perm]

    def per_class_metrics(self, metric: str) -> tuple[tuple[str, str], ...]:
        """``(("person", "AP:person"), ...)`` for ``"AP"``; ``()`` for the other metrics."""
        self._check("per_class_metrics", [metric])
        return self._core.per_class if metric == "AP" else ()

    def per_image_scores(self) -> tuple[str, _NDArray]:
        """``("f1@0.5", (N,))``: per image ``2 tp / (2 tp + fp + fn)`` over all categories at
        IoU 0.5 (the first threshold when 0.5 is not evaluated), area ``"all"`` and the
        largest max_dets, from the match statuses; NaN for an image without ground truth and
        without counted detections."""
        name, f1 = self._core.f1
        return name, (f1 if self._perm is None else f1[self._perm]).copy()

    def reorder(self, names: Sequence[str]) -> DetectionSource:
        """The same source with its images in the order of ``names`` (a permutation of
        :attr:`image_names`)."""
        from ioukit.stats._source import reorder_index

        index = reorder_index("DetectionSource.reorder", self.image_names, names)
        return DetectionSource(self._core, index if self._perm is None else self._perm[index])


def detection_source(result: Any) -> DetectionSource:
    """The bootstrap source of a :class:`~ioukit.COCOResult` or :class:`~ioukit.LVISResult`.

    Parameters
    ----------
    result : COCOResult or LVISResult
        From :func:`ioukit.coco_evaluate`, :func:`ioukit.lvis_evaluate` or ``from_dict``.

    Returns
    -------
    DetectionSource

    Raises
    ------
    ParameterError
        For a result without match statuses (a ``COCOResult`` built from arrays), and for an
        LVIS "fixed AP" result (``max_dets_per_category``: not image-local).
    InputError
        For another type.

    Examples
    --------
    >>> import numpy as np, ioukit
    >>> gt = {"images": [{"id": 1}, {"id": 2}], "categories": [{"id": 1, "name": "cat"}],
    ...       "annotations": [{"id": i, "image_id": i, "category_id": 1,
    ...                        "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0}
    ...                       for i in (1, 2)]}
    >>> dt = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
    ...       {"image_id": 2, "category_id": 1, "bbox": [50, 50, 10, 10], "score": 0.8}]
    >>> s = detection_source(ioukit.coco_evaluate(gt, dt))
    >>> s.image_names, s.estimate(["AP50"]).tolist()
    (('1', '2'), [0.5049504950495048])
    >>> s.replicates(["AP50"], np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 2.0]])).ravel().tolist()
    [0.5049504950495048, 1.0, 0.0]
    >>> s.per_class_metrics("AP"), s.per_image_scores()[1].tolist()
    ((('cat', 'AP:cat'),), [1.0, 0.0])
    """
    if isinstance(result, COCOResult):
        return DetectionSource(_coco_core(result))
    if isinstance(result, LVISResult):
        return DetectionSource(_lvis_core(result))
    raise InputError(
        f"detection_source: `result` must be a COCOResult or LVISResult; got "
        f"{type(result).__name__}."
    )


def _records(result: Any) -> MatchState:
    rec: MatchState | None = result._records
    if rec is None:
        raise ParameterError(
            f"detection_source: this {type(result).__name__} has no match statuses (it was "
            "built from arrays); expected a result of the evaluation or of from_dict."
        )
    return rec


def _f1(rec: MatchState, labels: Sequence[str], thresholds: _NDArray, max_det: int) -> Any:
    """``(name, (N,))``: per-image F1 at IoU 0.5 (see :meth:`DetectionSource.per_image_scores`)."""
    a = labels.index("all") if "all" in labels else 0
    hits = np.flatnonzero(thresholds == 0.5)
    t = int(hits[0]) if hits.size else 0
    keep = np.flatnonzero(rec.dt_rank < max_det)
    status, img = rec.dt_status[a, t, keep], rec.dt_image[keep]
    n = rec.n_img
    tp = np.bincount(img[status == 1], minlength=n).astype(np.float64)
    fp = np.bincount(img[status == 0], minlength=n).astype(np.float64)
    n_gt = rec.regular[a].reshape(-1, max(n, 1)).sum(axis=0)[:n]
    denom = tp + fp + n_gt  # 2 tp + fp + fn, with fn = n_gt - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denom > 0, 2 * tp / denom, np.nan)
    return f"f1@{float(thresholds[t]):g}", f1


def _per_class(names: Sequence[str]) -> tuple[tuple[str, str], ...]:
    from ioukit.stats._source import metric_labels

    return tuple(
        (name, f"AP:{label}") for name, label in zip(names, metric_labels(names), strict=True)
    )


def _core(
    result: Any, rec: MatchState, metrics: dict[str, _Metric], estimates: dict[str, float],
    first: tuple[str, ...], extra: tuple[str, ...], config: dict[str, Any], f1: Any,
) -> _Core:  # fmt: skip
    headline = tuple(first) + tuple(n for n in extra if not np.isnan(estimates.get(n, np.nan)))
    config.pop("img_ids", None)
    return _Core(
        rec, recall_thresholds=result.params.recall_thresholds, metrics=metrics,
        estimates=estimates, headline=headline,
        per_class=_per_class(result.category_names), config=config,
        image_names=tuple(str(i) for i in result.params.img_ids), f1=f1,
    )  # fmt: skip


def _coco_core(result: COCOResult) -> _Core:
    rec = _records(result)
    p = result.params
    labels = [label for label, _, _ in p.area_ranges]
    thrs = np.asarray(p.iou_thresholds)
    n_k = rec.cat_start.size - 1
    kps = p.iou_type == "keypoints"
    metrics: dict[str, _Metric] = {}
    estimates: dict[str, float] = {}
    specs = stat_specs(p.max_dets, keypoints=kps, at_max=p.convention == "ioukit")
    for (name, ap, iou, area, max_det), value in zip(specs, result.stats, strict=True):
        metrics[name] = _slice_metric(ap, iou, area, max_det, labels, thrs, p.max_dets, range(n_k))
        estimates[name] = _nan(value)
    cat_det = p.max_dets[min(2, len(p.max_dets) - 1)]  # per_category()'s max_dets
    for k, (_, metric) in enumerate(_per_class(result.category_names)):
        metrics[metric] = _slice_metric(True, None, "all", cat_det, labels, thrs, p.max_dets, [k])
        value = stat(result.precision[:, :, k : k + 1], result.recall[:, k : k + 1], thrs,
                     tuple(labels), p.max_dets, True, None, "all", cat_det)  # fmt: skip
        estimates[metric] = _nan(value)
    first = ("AP", "AP50", "AP75", "AR" if kps else "AR100")
    extra = tuple(n for n in metrics if n[:2] in ("AP", "AR") and n[-1] in "sml" and ":" not in n)
    config = {"protocol": "coco", **params_dict(p), "category_names": list(result.category_names)}
    f1 = _f1(rec, labels, thrs, max(p.max_dets))
    return _core(result, rec, metrics, estimates, first, extra, config, f1)


def _lvis_core(result: LVISResult) -> _Core:
    rec = _records(result)
    p = result.params
    if p.max_dets_per_category is not None:
        raise ParameterError(
            "detection_source: this LVISResult caps results per category over the whole data "
            f"set (max_dets_per_category={p.max_dets_per_category}, the fixed AP); a resampled "
            "data set would keep other results, some never matched, so its replicates cannot "
            "come from these matches; expected a result with a per-image cap (max_dets)."
        )
    labels = [label for label, _, _ in p.area_ranges]
    thrs = np.asarray(p.iou_thresholds)
    freq = np.asarray(result.category_frequencies)
    n_k = rec.cat_start.size - 1
    metrics: dict[str, _Metric] = {}
    estimates: dict[str, float] = {}
    for key, ap, iou, area, group in _KEYS:
        name = key if ap else f"{key}@{p.max_dets}"
        ks = range(n_k) if group is None else np.flatnonzero(freq == group).tolist()
        metrics[name] = _slice_metric(ap, iou, area, 1, labels, thrs, (1,), ks)
        estimates[name] = _nan(result.results[name])
    a_all = labels.index("all") if "all" in labels else -1
    for k, (_, metric) in enumerate(_per_class(result.category_names)):
        metrics[metric] = _slice_metric(True, None, "all", 1, labels, thrs, (1,), [k])
        estimates[metric] = (
            _nan(mean_of(result.precision[:, :, k, a_all])) if a_all >= 0 else np.nan
        )
    ar = f"AR@{p.max_dets}"
    first = ("AP", "AP50", "AP75", ar)
    extra = ("APr", "APc", "APf", "APs", "APm", "APl", f"ARs@{p.max_dets}", f"ARm@{p.max_dets}",
             f"ARl@{p.max_dets}")  # fmt: skip
    config = {
        "protocol": "lvis", **params_dict(p), "category_names": list(result.category_names),
        "category_frequencies": list(result.category_frequencies),
    }  # fmt: skip
    f1 = _f1(rec, labels, thrs, 1)
    return _core(result, rec, metrics, estimates, first, extra, config, f1)
