"""The result of :func:`ioukit.coco_evaluate`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ioukit._errors import ParameterError
from ioukit._result_faces import ResultFaces
from ioukit.detection._accumulate import (
    FP,
    IGNORED,
    STATUS_NAMES,
    TP,
    MatchRecords,
    MatchState,
    accumulate_state,
    curve_at,
    detection_status,
    f1_point,
    matched_gt,
    matched_iou,
    stat,
    summary_lines,
)
from ioukit.detection._coco_load import id_column
from ioukit.detection._coco_params import COCOParams
from ioukit.detection._result_state import load_doc, loaded_error, params_dict, result_doc
from ioukit.detection._result_types import COCOImageCounts, COCOMatches, PRCurve

__all__ = ["COCOImageCounts", "COCOMatches", "COCOResult", "PRCurve", "params_dict"]

_NDArray = np.ndarray[Any, Any]

#: per-category columns: (name, is AP, IoU threshold, area label)
_COLUMNS: tuple[tuple[str, bool, float | None, str], ...] = (
    ("AP", True, None, "all"),
    ("AP50", True, 0.5, "all"),
    ("AP75", True, 0.75, "all"),
    ("APs", True, None, "small"),
    ("APm", True, None, "medium"),
    ("APl", True, None, "large"),
    ("AR100", False, None, "all"),
)


class COCOResult(ResultFaces):
    """COCO AP/AR arrays and statistics, as ``COCOeval.eval`` and ``COCOeval.stats``.

    Attributes
    ----------
    precision : ndarray of float64, shape (T, R, K, A, M)
        Interpolated precision per IoU threshold, recall level, category, area range and
        max_dets; 0 where the recall level is not reached, -1 for a category without ground
        truth in that area range. Equal to ``COCOeval.eval["precision"]``.
    recall : ndarray of float64, shape (T, K, A, M)
        Final recall (-1 as above). Equal to ``COCOeval.eval["recall"]``.
    scores : ndarray of float64, shape (T, R, K, A, M)
        The detection score at which each recall level is reached (0 where it is not).
    stats : ndarray of float64, shape (12,)
        ``COCOeval.stats``: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl (the
        AP at IoU 0.50:0.95 is read at max_dets 100; -1 where undefined).
    params : COCOParams
        The parameters used.
    category_names : tuple of str
        Names of the K categories (``("all",)`` when categories are pooled).

    Examples
    --------
    >>> import ioukit
    >>> gt = {"images": [{"id": 1}], "categories": [{"id": 3, "name": "dog"}],
    ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 3,
    ...                        "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0}]}
    >>> dt = [{"image_id": 1, "category_id": 3, "bbox": [0, 0, 10, 10], "score": 0.8},
    ...       {"image_id": 1, "category_id": 3, "bbox": [0, 0, 10, 30], "score": 0.9}]
    >>> r = ioukit.coco_evaluate(gt, dt)
    >>> r.precision.shape
    (10, 101, 1, 4, 3)
    >>> row = r.per_category()[0]
    >>> row["name"], row["AP50"]
    ('dog', 0.5)
    >>> print(r.summary().splitlines()[1])
     Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.500
    >>> import json
    >>> json.loads(json.dumps(r.to_dict()))["stats"][8]  # AR100
    1.0

    Beyond the arrays: at IoU 0.5 the detection at 0.9 (IoU 1/3) is a false positive, the one
    at 0.8 a true positive.

    >>> curve = r.pr_curve(3, iou=0.5)  # recall 0 is "reached" at the first detection
    >>> curve.precision[[0, 100]].tolist(), curve.scores[[0, 100]].tolist()
    ([0.5, 0.5], [0.9, 0.8])
    >>> m = r.matches(iou=0.5)
    >>> m.status.tolist(), m.gt_id.tolist(), m.iou.round(4).tolist()
    (['fp', 'tp'], [-1, 1], [0.0, 1.0])
    >>> best = r.best_f1(iou=0.5)["overall"]  # keep score >= 0.8: P = 1/2, R = 1
    >>> best["threshold"], best["precision"], best["recall"], round(best["f1"], 4)
    (0.8, 0.5, 1.0, 0.6667)
    >>> c = r.per_image()
    >>> c.tp.tolist(), c.fp.tolist(), c.fn.tolist()
    ([1], [1], [0])
    """

    _headline: ClassVar[str] = "AP"

    def __init__(
        self,
        precision: _NDArray,
        recall: _NDArray,
        scores: _NDArray,
        *,
        params: COCOParams,
        category_names: tuple[str, ...],
        records: MatchState | None = None,
    ) -> None:
        self._records = records
        self.precision = precision
        self.recall = recall
        self.scores = scores
        self.params = params
        self.category_names = category_names
        kps = params.iou_type == "keypoints"
        fixed = self.params.convention == "ioukit"
        values, self._lines = summary_lines(*self._selection(), keypoints=kps, at_max=fixed)
        self.stats = np.array(values, dtype=np.float64)

    def _selection(self) -> tuple[_NDArray, _NDArray, _NDArray, tuple[str, ...], tuple[int, ...]]:
        p = self.params
        labels = tuple(label for label, _, _ in p.area_ranges)
        return self.precision, self.recall, np.asarray(p.iou_thresholds), labels, p.max_dets

    def __repr__(self) -> str:
        ar = ("AR20", 5) if self.params.iou_type == "keypoints" else ("AR100", 8)
        return (
            f"COCOResult(iou_type={self.params.iou_type!r}, AP={self.stats[0]:.4f}, "
            f"AP50={self.stats[1]:.4f}, {ar[0]}={self.stats[ar[1]]:.4f})"
        )

    def summary(self) -> str:
        """The 12 lines that ``COCOeval.summarize()`` prints, as one string.

        Returns
        -------
        str
            The lines joined by newlines, with a final newline (as printed).

        Examples
        --------
        See the example of :class:`COCOResult`.
        """
        return "\n".join(self._lines) + "\n"

    def per_category(self) -> list[dict[str, Any]]:
        """One row per category: AP, AP50, AP75, APs, APm, APl and AR100.

        Each number is the mean that ``COCOeval.summarize`` would give for that category alone
        (the same slice of :attr:`precision` / :attr:`recall`, ``max_dets`` at position 2, or
        the largest when there are fewer), -1 where undefined.

        Returns
        -------
        list of dict
            Keys ``category_id``, ``name``, ``AP``, ``AP50``, ``AP75``, ``APs``, ``APm``,
            ``APl``, ``AR100``, in the order of ``params.cat_ids``.

        Examples
        --------
        See the example of :class:`COCOResult`.
        """
        precision, recall, thrs, labels, max_dets = self._selection()
        pos = min(2, len(max_dets) - 1)
        ids = self.params.cat_ids if self.params.use_cats else ("all",)
        rows: list[dict[str, Any]] = []
        for k, (cat, name) in enumerate(zip(ids, self.category_names, strict=True)):
            row: dict[str, Any] = {"category_id": cat, "name": name}
            pk, rk = precision[:, :, k : k + 1], recall[:, k : k + 1]
            for col, ap, iou, area in _COLUMNS:
                row[col] = stat(pk, rk, thrs, labels, max_dets, ap, iou, area, max_dets[pos])
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain Python (lists, floats, str), ready for ``json.dumps``.

        Returns
        -------
        dict
            ``stats``, ``precision``, ``recall``, ``scores`` (nested lists), ``per_category``,
            ``summary``, ``params``, ``kind`` (``"detection"``), ``protocol`` (``"coco"``) and
            ``state``: the match statuses (:mod:`ioukit.detection._result_state`) from which
            :meth:`from_dict` rebuilds the result, and ``ioukit compare`` its intervals.

        Examples
        --------
        See the example of :class:`COCOResult`.
        """
        arrays = ("stats", "precision", "recall", "scores")
        return result_doc(self, {a: getattr(self, a).tolist() for a in arrays}, "coco")

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> COCOResult:
        """The result that :meth:`to_dict` describes, accumulated again from its match
        statuses: ``precision``, ``recall``, ``scores`` and ``stats`` bit for bit.

        :meth:`per_image`, :meth:`best_f1`, :meth:`pr_curve` and the confidence intervals work
        on it; :meth:`matches` (ground-truth ids and IoUs) does not.

        Raises
        ------
        StateError
            When the document has no state (written by an older ioukit) or a damaged one.

        Examples
        --------
        >>> import json, ioukit
        >>> gt = {"images": [{"id": 1}], "categories": [{"id": 3, "name": "dog"}],
        ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 3,
        ...                        "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0}]}
        >>> dt = [{"image_id": 1, "category_id": 3, "bbox": [0, 0, 10, 12], "score": 0.8}]
        >>> r = ioukit.coco_evaluate(gt, dt)
        >>> back = ioukit.COCOResult.from_dict(json.loads(json.dumps(r.to_dict())))
        >>> bool((back.precision == r.precision).all()), back.stats.tolist() == r.stats.tolist()
        (True, True)
        """
        p, state, names = load_doc(doc, COCOParams, "stats", True, "COCOResult.from_dict")
        arrays = accumulate_state(state, p)
        return cls(*arrays, params=p, category_names=names, records=state)

    def _cell(
        self, func: str, iou: float, area: str, max_dets: int | None
    ) -> tuple[int, int, int, int]:
        """Positions of ``iou`` (exact float equality, as pycocotools), ``area`` and
        ``max_dets`` (None: the largest) in the params: ``(t, a, m, max_det)``."""
        p = self.params
        try:
            t_hits = np.flatnonzero(np.asarray(p.iou_thresholds) == float(iou))
        except (TypeError, ValueError):
            t_hits = np.zeros(0, np.int64)
        if t_hits.size == 0:
            raise ParameterError(
                f"COCOResult.{func}: `iou` must equal one of the evaluated IoU thresholds "
                f"exactly (compared as pycocotools' summarize does): {list(p.iou_thresholds)}; "
                f"got {iou!r}."
            )
        labels = [label for label, _, _ in p.area_ranges]
        if area not in labels:
            raise ParameterError(
                f"COCOResult.{func}: `area` must be one of the area ranges {labels}; got {area!r}."
            )
        if max_dets is None:
            max_dets = p.max_dets[-1]
        if max_dets not in p.max_dets or isinstance(max_dets, bool):
            raise ParameterError(
                f"COCOResult.{func}: `max_dets` must be None (the largest) or one of "
                f"{list(p.max_dets)}; got {max_dets!r}."
            )
        m = p.max_dets.index(max_dets)
        return int(t_hits[0]), labels.index(area), m, p.max_dets[m]

    def _status(
        self, func: str, iou: float, area: str, max_dets: int | None
    ) -> tuple[MatchState, int, int, _NDArray, _NDArray]:
        """The match statuses, the area and threshold positions, and the detections within
        ``max_dets`` with their status codes (:func:`detection_status`)."""
        t, a, _, max_det = self._cell(func, iou, area, max_dets)
        rec = self._records
        if rec is None:
            raise ParameterError(
                f"COCOResult.{func}: this result has no match records (it was built from "
                "arrays, not by `coco_evaluate`); expected a result of `coco_evaluate`."
            )
        return (rec, a, t, *detection_status(rec, a, t, max_det))

    def pr_curve(
        self,
        category_id: Any = None,
        *,
        iou: float | None = 0.5,
        area: str = "all",
        max_dets: int | None = None,
    ) -> PRCurve:
        """The precision-recall curve at one IoU threshold, with the score at each point.

        A slice of :attr:`precision` and :attr:`scores` (pycocotools'
        ``eval["precision"][t, :, k, a, m]``): interpolated precision at the R recall levels.

        Parameters
        ----------
        category_id : optional
            A category id of ``params.cat_ids``. None: the mean over the categories that have
            ground truth in ``area`` (those that ``summarize`` averages); its ``scores`` are the
            mean of those categories' scores, an indication only.
        iou : float or None, default 0.5
            An IoU threshold of ``params.iou_thresholds``, compared with exact float equality
            as pycocotools does (the default 9th threshold is ``0.8999999999999999``); None:
            the mean of the curves of all the thresholds (its mean is the AP).
        area : str, default "all"
            An area-range label of ``params.area_ranges``.
        max_dets : int, optional
            One of ``params.max_dets``; default the largest.

        Returns
        -------
        PRCurve
            ``recall``, ``precision`` and ``scores``, each shape (R,). Without ground truth,
            precision and scores are -1.

        Raises
        ------
        ParameterError
            For an IoU threshold, area label, max_dets or category that was not evaluated (the
            message lists those that were).

        Examples
        --------
        See the example of :class:`COCOResult`.
        """
        p = self.params
        t, a, m, _ = self._cell("pr_curve", p.iou_thresholds[0] if iou is None else iou, area,
                                max_dets)  # fmt: skip
        ts = slice(None) if iou is None else slice(t, t + 1)
        k = None
        if category_id is not None:
            if not p.use_cats or category_id not in p.cat_ids:
                cats = list(p.cat_ids) if p.use_cats else "none: categories are pooled"
                raise ParameterError(
                    f"COCOResult.pr_curve: `category_id` must be None or an evaluated category "
                    f"id ({cats}); got {category_id!r}."
                )
            k = p.cat_ids.index(category_id)
        prec_k, sc_k = curve_at(self.precision[ts, :, :, a, m], self.scores[ts, :, :, a, m], k)
        return PRCurve(np.asarray(p.recall_thresholds, dtype=np.float64), prec_k, sc_k)

    def matches(
        self, *, iou: float = 0.5, area: str = "all", max_dets: int | None = None
    ) -> COCOMatches:
        """Per-detection match records at one IoU threshold and area range.

        The matches that the evaluation made (pycocotools' ``evalImgs[...]["dtMatches"]`` and
        ``["dtIgnore"]``), as columns: no Python object per detection.

        Parameters
        ----------
        iou : float, default 0.5
            An IoU threshold of ``params.iou_thresholds`` (exact float equality).
        area : str, default "all"
            An area-range label of ``params.area_ranges``.
        max_dets : int, optional
            One of ``params.max_dets``, default the largest: the detections kept per image and
            category. (COCO's greedy matching is in score order, so the matches of the first
            ``max_dets`` do not depend on the later ones.)

        Returns
        -------
        COCOMatches
            ``dt_index``, ``image_id``, ``category_id``, ``score``, ``status``, ``gt_id``,
            ``iou``, each shape (N,).

        Raises
        ------
        ParameterError
            As :meth:`pr_curve`.

        Examples
        --------
        See the example of :class:`COCOResult`.
        """
        rec, a, t, keep, status = self._status("matches", iou, area, max_dets)
        if not isinstance(rec, MatchRecords):
            raise loaded_error("COCOResult", "matches")
        gt = matched_gt(rec, a, t, keep, status)
        gt_id = np.full(keep.size, -1, dtype=rec.gt_id.dtype)
        gt_id[gt >= 0] = rec.gt_id[gt[gt >= 0]]
        return COCOMatches(
            dt_index=rec.dt_index[keep],
            image_id=id_column(self.params.img_ids)[rec.dt_image[keep]],
            category_id=rec.dt_category[keep],
            score=rec.dt_score[keep],
            status=np.asarray(STATUS_NAMES)[status],
            gt_id=gt_id,
            iou=matched_iou(rec, keep, gt),
        )

    def per_image(
        self, *, iou: float = 0.5, area: str = "all", max_dets: int | None = None
    ) -> COCOImageCounts:
        """True positives, false positives and misses per image (all categories together).

        Parameters
        ----------
        iou, area, max_dets
            As :meth:`matches`.

        Returns
        -------
        COCOImageCounts
            ``image_id``, ``tp``, ``fp``, ``fn``, ``ignored``, ``n_gt``, each shape (I,), in the
            order of ``params.img_ids``.

        Raises
        ------
        ParameterError
            For an option that was not evaluated, or a result not made by ``coco_evaluate``.

        Examples
        --------
        See the example of :class:`COCOResult`: one image, one hit, one false positive.
        """
        rec, a, _, keep, status = self._status("per_image", iou, area, max_dets)
        n_img = rec.n_img
        img = rec.dt_image[keep]

        def count(code: int) -> Any:
            return np.bincount(img[status == code], minlength=n_img).astype(np.int64)

        n_gt = rec.regular[a].reshape(-1, n_img).sum(axis=0) if n_img else np.zeros(0, int)
        tp = count(TP)
        return COCOImageCounts(
            image_id=id_column(self.params.img_ids), tp=tp, fp=count(FP), fn=n_gt - tp,
            ignored=count(IGNORED), n_gt=n_gt.astype(np.int64),
        )  # fmt: skip

    def best_f1(
        self, *, iou: float = 0.5, area: str = "all", max_dets: int | None = None
    ) -> dict[str, Any]:
        """The confidence threshold that maximises F1, per category and over all of them.

        Computed from the exact matched detections (each detection's true/false positive flag
        at ``iou``, ``area`` and ``max_dets``), **not** from the interpolated 101-point curve
        of :attr:`precision`: for a threshold ``s``, the detections with ``score >= s`` that
        are not ignored give ``tp`` and ``fp``, and ``P = tp / (tp + fp)``, ``R = tp / n_gt``,
        ``F1 = 2PR / (P + R) = 2 tp / (tp + fp + n_gt)`` (no COCO epsilon). Every score is a
        candidate threshold; a tie in F1 goes to the highest threshold.

        Parameters
        ----------
        iou, area, max_dets
            The IoU threshold (exact float equality), area-range label and detections per
            image and category (None: the largest) at which the flags are read, as in
            :meth:`matches`.

        Returns
        -------
        dict
            ``per_category``: one row per category (order of ``params.cat_ids``; one row
            ``"all"`` when categories are pooled), and ``overall``: the detections of all
            categories pooled against all their ground truths (micro F1; a detection of a
            category without ground truth is a false positive there). Each row has
            ``category_id``, ``name``, ``threshold``, ``precision``, ``recall``, ``f1``,
            ``tp``, ``fp`` and ``n_gt``. Without ground truth, precision, recall and F1 are -1
            and the threshold NaN; without any true positive they are 0 and the threshold NaN.

        Raises
        ------
        ParameterError
            As :meth:`per_image`.

        Examples
        --------
        See the example of :class:`COCOResult` (the best threshold there is 0.8).
        """
        rec, a, _, keep, status = self._status("best_f1", iou, area, max_dets)
        counted = status != IGNORED
        score, is_tp = rec.dt_score[keep][counted], (status == TP)[counted]
        cat_of = np.searchsorted(rec.cat_start, keep[counted], side="right") - 1
        n_img = max(rec.n_img, 1)
        n_gt_k = rec.regular[a].reshape(-1, n_img).sum(axis=1)
        keys = ("threshold", "precision", "recall", "f1", "tp", "fp")

        def row(cat: Any, name: str, sel: Any, n_gt: int) -> dict[str, Any]:
            values = f1_point(score[sel], is_tp[sel], n_gt)
            out: dict[str, Any] = {"category_id": cat, "name": name}
            out.update(zip(keys, values, strict=True))
            out["tp"], out["fp"], out["n_gt"] = int(out["tp"]), int(out["fp"]), n_gt
            return out

        ids = self.params.cat_ids if self.params.use_cats else ("all",)
        per_cat = [
            row(cat, name, cat_of == k, int(n_gt_k[k]))
            for k, (cat, name) in enumerate(zip(ids, self.category_names, strict=True))
        ]
        overall = row(None, "all", slice(None), int(n_gt_k.sum()))
        return {"per_category": per_cat, "overall": overall}
