"""The result of :func:`ioukit.detection.lvis.lvis_evaluate`: the 13 numbers of
``LVISEval.summarize`` (lvis-api 0.5.3), its arrays, its printed summary and a per-category table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ioukit._errors import ParameterError, StateError
from ioukit._result_faces import ResultFaces
from ioukit.detection._accumulate import MatchState, curve_at, mean_of
from ioukit.detection._result_state import load_doc, result_doc
from ioukit.detection._result_types import PRCurve
from ioukit.kernels.coco import accumulate

__all__ = ["LVISParams", "LVISResult", "accumulate_records"]

_NDArray = np.ndarray[Any, Any]

#: the frequency groups of ``Params.img_count_lbl``, in the order of APr, APc, APf
FREQUENCIES = ("r", "c", "f")
#: (key, is AP, IoU threshold, area label, frequency group), in ``LVISEval.results`` order;
#: the AR keys get ``@max_dets`` appended
_KEYS: tuple[tuple[str, bool, float | None, str, str | None], ...] = (
    ("AP", True, None, "all", None),
    ("AP50", True, 0.5, "all", None),
    ("AP75", True, 0.75, "all", None),
    ("APs", True, None, "small", None),
    ("APm", True, None, "medium", None),
    ("APl", True, None, "large", None),
    ("APr", True, None, "all", "r"),
    ("APc", True, None, "all", "c"),
    ("APf", True, None, "all", "f"),
    ("AR", False, None, "all", None),
    ("ARs", False, None, "small", None),
    ("ARm", False, None, "medium", None),
    ("ARl", False, None, "large", None),
)


@dataclass(frozen=True)
class LVISParams:
    """The parameters an LVIS evaluation used (lvis-api's ``LVISEval.params``).

    Attributes
    ----------
    iou_type : str
        ``"bbox"`` or ``"segm"``.
    iou_thresholds : tuple of float
        IoU thresholds (T,); by default ``np.linspace(0.5, 0.95, 10)`` (the 9th is
        ``0.8999999999999999``).
    recall_thresholds : tuple of float
        Recall levels (R,); ``np.linspace(0, 1, 101)``.
    max_dets : int
        Detections kept per image across categories (lvis-api's ``max_dets``, 300); -1 when
        there is no per-image cap (``max_dets=None``, or ``max_dets_per_category`` given).
    max_dets_per_category : int or None
        Detections kept per category over the whole dataset ("fixed AP"), or None.
    area_ranges : tuple of (str, float, float)
        Labelled area ranges ``(label, lo, hi)``, inclusive at both ends (A,).
    img_ids, cat_ids : tuple
        The images (sorted) and categories (sorted, or in the order the caller gave) evaluated.
    """

    iou_type: str
    iou_thresholds: tuple[float, ...]
    recall_thresholds: tuple[float, ...]
    max_dets: int
    max_dets_per_category: int | None
    area_ranges: tuple[tuple[str, float, float], ...]
    img_ids: tuple[Any, ...]
    cat_ids: tuple[Any, ...]


class LVISResult(ResultFaces):
    """LVIS AP/AR: lvis-api's ``LVISEval.eval`` arrays and ``LVISEval.results``.

    Attributes
    ----------
    precision : ndarray of float64, shape (T, R, K, A)
        Interpolated precision per IoU threshold, recall level, category and area range; 0
        where the recall level is not reached, -1 for a category without ground truth in that
        area range. Equal to ``LVISEval.eval["precision"]``.
    recall : ndarray of float64, shape (T, K, A)
        Final recall (-1 as above). Equal to ``LVISEval.eval["recall"]``.
    results : dict of str to float
        ``LVISEval.results``, in its order: ``AP``, ``AP50``, ``AP75``, ``APs``, ``APm``,
        ``APl``, ``APr``, ``APc``, ``APf``, ``AR@300``, ``ARs@300``, ``ARm@300``, ``ARl@300``
        (the AR keys carry ``params.max_dets``); -1 where nothing is defined.
    params : LVISParams
        The parameters used.
    category_names : tuple of str
        Names of the K categories (order of ``params.cat_ids``).
    category_frequencies : tuple of str
        Their frequency group, ``"r"``, ``"c"`` or ``"f"``.

    Examples
    --------
    >>> from ioukit.detection.lvis import lvis_evaluate
    >>> gt = {"images": [{"id": 1, "neg_category_ids": [], "not_exhaustive_category_ids": []}],
    ...       "categories": [{"id": 3, "name": "dog", "frequency": "c"}],
    ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 3,
    ...                        "bbox": [0, 0, 10, 10], "area": 100}]}
    >>> dt = [{"image_id": 1, "category_id": 3, "bbox": [0, 0, 10, 10], "score": 0.8},
    ...       {"image_id": 1, "category_id": 3, "bbox": [0, 0, 10, 30], "score": 0.9}]
    >>> r = lvis_evaluate(gt, dt)
    >>> r.precision.shape, r.recall.shape
    ((10, 101, 1, 4), (10, 1, 4))
    >>> r.results["AP50"], r.results["APc"], r.results["APr"], r.results["AR@300"]
    (0.5, 0.5, -1.0, 1.0)
    >>> row = r.per_category()[0]
    >>> row["name"], row["frequency"], row["AP50"]
    ('dog', 'c', 0.5)
    >>> print(r.summary().splitlines()[7])
     Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=300 catIds=  c] = 0.500
    >>> r
    LVISResult(iou_type='bbox', AP=0.5000, AP50=0.5000, APr=-1.0000, APc=0.5000, APf=-1.0000)
    """

    _headline: ClassVar[str] = "AP"

    def __init__(
        self,
        precision: _NDArray,
        recall: _NDArray,
        *,
        params: LVISParams,
        category_names: tuple[str, ...],
        category_frequencies: tuple[str, ...],
        records: MatchState | None = None,
    ) -> None:
        self._records = records
        self.precision = precision
        self.recall = recall
        self.params = params
        self.category_names = category_names
        self.category_frequencies = category_frequencies
        all_k = np.arange(len(params.cat_ids))
        self.results = self._summarize(all_k, frequency_groups=True)

    def _summarize(self, ks: _NDArray, *, frequency_groups: bool) -> dict[str, float]:
        """``LVISEval.summarize`` over the categories ``ks`` (positions in ``cat_ids``): each
        number is ``np.mean`` of the entries > -1 of its slice, taken in (T, R, K) order, as
        lvis-api's fancy indexing lays them out; -1 when there is none."""
        p = self.params
        thrs = np.asarray(p.iou_thresholds)
        labels = [label for label, _, _ in p.area_ranges]
        freq = np.asarray(self.category_frequencies if frequency_groups else ())
        out: dict[str, float] = {}
        for key, ap, iou, area, group in _KEYS:
            if group is not None and not frequency_groups:
                continue
            sel = ks if group is None else ks[freq[ks] == group]
            aidx = np.array([i for i, label in enumerate(labels) if label == area], np.int64)
            # one gather, (T, R, n, 1) or (T, n, 1): the order of lvis-api's fancy indexing
            s = (self.precision if ap else self.recall)[..., sel[:, None], aidx]
            if iou is not None:  # lvis-api's exact float equality
                s = s[np.flatnonzero(thrs == iou)]
            out[key if ap else f"{key}@{p.max_dets}"] = mean_of(s)
        return out

    def __repr__(self) -> str:
        r = self.results
        return (
            f"LVISResult(iou_type={self.params.iou_type!r}, AP={r['AP']:.4f}, "
            f"AP50={r['AP50']:.4f}, APr={r['APr']:.4f}, APc={r['APc']:.4f}, APf={r['APf']:.4f})"
        )

    def summary(self) -> str:
        """The 13 lines that ``LVISEval.print_results()`` prints, as one string.

        lvis-api's layout: the area range is shown by the key's third letter (``s``, ``m``,
        ``l``; ``all`` otherwise), the frequency group as ``catIds``, and ``maxDets`` is
        ``params.max_dets`` on every line.

        Returns
        -------
        str
            The lines joined by newlines, with a final newline (as printed).

        Examples
        --------
        See the example of :class:`LVISResult`.
        """
        p = self.params
        span = f"{p.iou_thresholds[0]:0.2f}:{p.iou_thresholds[-1]:0.2f}"
        lines = []
        for key, value in self.results.items():
            ap = "AP" in key
            title, kind = ("Average Precision", "(AP)") if ap else ("Average Recall", "(AR)")
            third = key[2] if len(key) > 2 else ""
            iou = f"{float(key[2:]) / 100:0.2f}" if third.isdigit() else span
            group = third if third in FREQUENCIES else "all"
            area = third if third in ("s", "m", "l") else "all"
            lines.append(
                f" {title:<18} {kind} @[ IoU={iou:<9} | area={area:>6s} | "
                f"maxDets={p.max_dets:>3d} catIds={group:>3s}] = {value:0.3f}"
            )
        return "\n".join(lines) + "\n"

    def per_category(self) -> list[dict[str, Any]]:
        """One row per category: its frequency, AP, AP50, AP75, APs, APm, APl and AR.

        Each number is what ``LVISEval.summarize`` would give for that category alone (the
        same slice of :attr:`precision` / :attr:`recall`), -1 where undefined.

        Returns
        -------
        list of dict
            Keys ``category_id``, ``name``, ``frequency``, ``AP``, ``AP50``, ``AP75``,
            ``APs``, ``APm``, ``APl``, ``AR@300`` (``params.max_dets``), ``ARs@300``,
            ``ARm@300``, ``ARl@300``, in the order of ``params.cat_ids``.

        Examples
        --------
        See the example of :class:`LVISResult`.
        """
        rows: list[dict[str, Any]] = []
        for k, cat in enumerate(self.params.cat_ids):
            row: dict[str, Any] = {
                "category_id": cat.item() if isinstance(cat, np.generic) else cat,
                "name": self.category_names[k],
                "frequency": self.category_frequencies[k],
            }
            row.update(self._summarize(np.array([k]), frequency_groups=False))
            rows.append(row)
        return rows

    def pr_curve(
        self, category_id: Any = None, *, iou: float | None = 0.5, area: str = "all"
    ) -> PRCurve:
        """The precision-recall curve at one IoU threshold: a slice of :attr:`precision`
        (``LVISEval.eval["precision"][t, :, k, a]``), as :meth:`COCOResult.pr_curve`.

        ``category_id`` None is the mean over the categories with ground truth in ``area``;
        ``iou`` an evaluated threshold (exact float equality) or None, the mean of the curves
        of all thresholds (its mean is the AP). LVIS's accumulation keeps no scores, so
        ``scores`` is NaN. Without ground truth precision is -1.

        >>> import ioukit
        >>> gt = {"images": [{"id": 1, "neg_category_ids": [], "not_exhaustive_category_ids": []}],
        ...       "categories": [{"id": 3, "name": "dog", "frequency": "f"}],
        ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 3,
        ...                        "bbox": [0, 0, 10, 10], "area": 100}]}
        >>> dt = [{"image_id": 1, "category_id": 3, "bbox": [0, 0, 10, 10], "score": 0.8}]
        >>> c = ioukit.lvis_evaluate(gt, dt).pr_curve(iou=None)
        >>> round(float(c.precision.min()), 12), c.recall.shape  # one hit: precision 1
        (1.0, (101,))
        """
        p = self.params
        labels = [label for label, _, _ in p.area_ranges]
        if area not in labels:
            raise ParameterError(
                f"LVISResult.pr_curve: `area` must be one of the area ranges {labels}; "
                f"got {area!r}."
            )
        if iou is None:
            ts = slice(None)
        else:
            hits = np.flatnonzero(np.asarray(p.iou_thresholds) == iou)
            if hits.size == 0:
                raise ParameterError(
                    "LVISResult.pr_curve: `iou` must be None or equal one of the evaluated IoU "
                    f"thresholds exactly: {list(p.iou_thresholds)}; got {iou!r}."
                )
            ts = slice(int(hits[0]), int(hits[0]) + 1)
        k = None
        if category_id is not None:
            if category_id not in p.cat_ids:
                raise ParameterError(
                    "LVISResult.pr_curve: `category_id` must be None or an evaluated category "
                    f"id; got {category_id!r}."
                )
            k = list(p.cat_ids).index(category_id)
        prec, sc = curve_at(self.precision[ts, :, :, labels.index(area)], None, k)
        return PRCurve(np.asarray(p.recall_thresholds, dtype=np.float64), prec, sc)

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain Python (lists, floats, str), ready for ``json.dumps``.

        Returns
        -------
        dict
            ``results``, ``precision``, ``recall`` (nested lists), ``per_category``,
            ``summary``, ``params``, ``kind`` (``"detection"``), ``protocol`` (``"lvis"``) and
            ``state``: the match statuses (:mod:`ioukit.detection._result_state`) from which
            :meth:`from_dict` rebuilds the result, and ``ioukit compare`` its intervals.

        Examples
        --------
        >>> import json
        >>> from ioukit.detection.lvis import lvis_evaluate
        >>> gt = {"images": [{"id": 1, "neg_category_ids": [],
        ...                   "not_exhaustive_category_ids": []}],
        ...       "categories": [{"id": 1, "name": "a", "frequency": "f"}],
        ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
        ...                        "bbox": [0, 0, 10, 10], "area": 100}]}
        >>> dt = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 1.0}]
        >>> d = json.loads(json.dumps(lvis_evaluate(gt, dt).to_dict()))
        >>> d["results"]["AR@300"], d["params"]["max_dets"], d["params"]["area_ranges"]["small"]
        (1.0, 300, [0.0, 1024.0])
        """
        numbers = {"results": dict(self.results), "precision": self.precision.tolist(),
                   "recall": self.recall.tolist()}  # fmt: skip
        return result_doc(self, numbers, "lvis")

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> LVISResult:
        """The result that :meth:`to_dict` describes, accumulated again from its match
        statuses: ``precision``, ``recall`` and ``results`` bit for bit.

        Raises
        ------
        StateError
            For a document of another kind, one without ``"state"`` (an older ioukit wrote
            it), or one whose arrays or category frequencies do not fit its parameters.

        Examples
        --------
        >>> import json
        >>> from ioukit.detection.lvis import lvis_evaluate
        >>> box = {"bbox": [0, 0, 10, 10], "area": 100, "image_id": 7, "category_id": 2}
        >>> gt = {"categories": [{"id": 2, "name": "a", "frequency": "f"}], "images": [
        ...     {"id": 7, "neg_category_ids": [], "not_exhaustive_category_ids": []}],
        ...     "annotations": [{**box, "id": 1}]}
        >>> r = lvis_evaluate(gt, [{**box, "score": 0.5}])
        >>> back = LVISResult.from_dict(json.loads(json.dumps(r.to_dict())))
        >>> back.results == r.results, back.category_frequencies
        (True, ('f',))
        """
        p, state, names = load_doc(doc, LVISParams, "results", False, "LVISResult.from_dict")
        freq = tuple(str(row.get("frequency")) for row in doc["per_category"])
        if not set(freq) <= set(FREQUENCIES):
            raise StateError(
                f"LVISResult.from_dict: a category's frequency is not one of {FREQUENCIES}; "
                f"got {sorted(set(freq) - set(FREQUENCIES))}."
            )
        precision, recall = accumulate_records(state, p.recall_thresholds)
        return cls(precision, recall, params=p, category_names=names, category_frequencies=freq,
                   records=state)  # fmt: skip


def accumulate_records(
    rec: MatchState, recall_thresholds: Sequence[float]
) -> tuple[_NDArray, _NDArray]:
    """LVIS's precision ``(T, R, K, A)`` and recall ``(T, K, A)`` from its match statuses:
    COCO's accumulation at a single max_dets (every detection at rank 0)."""
    n_a = rec.dt_status.shape[0]
    n_k = rec.cat_start.size - 1
    regular_k = rec.regular.reshape(n_a, n_k, rec.n_img).sum(axis=2)
    precision, recall, _ = accumulate(
        rec.dt_status, rec.dt_score, rec.dt_rank, rec.cat_start, regular_k,
        np.asarray(recall_thresholds), (1,),
    )  # fmt: skip
    return precision[..., 0], recall[..., 0]
