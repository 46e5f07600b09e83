"""The result of :func:`ioukit.coco_evaluate`."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np

from ioukit.detection._accumulate import stat, summary_lines

if TYPE_CHECKING:
    from ioukit.detection.coco import COCOParams

__all__ = ["COCOResult"]

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


class COCOResult:
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
    """

    def __init__(
        self,
        precision: _NDArray,
        recall: _NDArray,
        scores: _NDArray,
        *,
        params: COCOParams,
        category_names: tuple[str, ...],
    ) -> None:
        self.precision = precision
        self.recall = recall
        self.scores = scores
        self.params = params
        self.category_names = category_names
        values, self._lines = summary_lines(*self._selection())
        self.stats = np.array(values, dtype=np.float64)

    def _selection(self) -> tuple[_NDArray, _NDArray, _NDArray, tuple[str, ...], tuple[int, ...]]:
        p = self.params
        labels = tuple(label for label, _, _ in p.area_ranges)
        return self.precision, self.recall, np.asarray(p.iou_thresholds), labels, p.max_dets

    def __repr__(self) -> str:
        return (
            f"COCOResult(iou_type={self.params.iou_type!r}, AP={self.stats[0]:.4f}, "
            f"AP50={self.stats[1]:.4f}, AR100={self.stats[8]:.4f})"
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
            ``summary`` and ``params``.

        Examples
        --------
        See the example of :class:`COCOResult`.
        """
        params = asdict(self.params)
        params["area_ranges"] = {label: [lo, hi] for label, lo, hi in self.params.area_ranges}
        for key in ("img_ids", "cat_ids", "iou_thresholds", "recall_thresholds", "max_dets"):
            params[key] = [v.item() if isinstance(v, np.generic) else v for v in params[key]]
        return {
            "stats": self.stats.tolist(),
            "precision": self.precision.tolist(),
            "recall": self.recall.tolist(),
            "scores": self.scores.tolist(),
            "per_category": self.per_category(),
            "summary": self.summary(),
            "params": params,
        }
