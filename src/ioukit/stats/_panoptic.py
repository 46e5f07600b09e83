"""The bootstrap source of a :class:`~ioukit.PanopticResult`: per-image TP/FP/FN and IoU sums.

A replicate's counts are ``w @ [tp | fp | fn]`` and ``w @ ΣIoU`` over the ``(N, K)`` per-image
arrays (matrix products; TP/FP/FN exact, see :class:`ioukit.stats._weights.WeightedSums`).
PQ, SQ and RQ of the ``B`` resampled datasets are then :mod:`ioukit.panoptic._reduce`'s
``category_scores`` and ``group_scores`` on ``(B, K)`` arrays: the panoptic evaluation's one
module that divides. With ``aggregation="image"`` each group's replicate is the mean of the
per-image values over the drawn images where they are defined, an image drawn ``k`` times
counting ``k`` times.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ioukit.core.reduce import nanmean
from ioukit.panoptic._reduce import category_scores, group_scores
from ioukit.stats._source import metric_labels, reorder_index
from ioukit.stats._weights import WeightedSums

if TYPE_CHECKING:
    from ioukit.panoptic.result import PanopticResult

__all__ = ["PanopticSource"]

NDArray = np.ndarray[Any, Any]

_GROUPS = {"": "All", "_th": "Things", "_st": "Stuff"}
HEADLINE = tuple(f"{s}{suffix}" for suffix in _GROUPS for s in ("PQ", "SQ", "RQ"))


class PanopticSource:
    """The per-image counts of a panoptic result, resampled (a ``BootstrapSource``).

    Examples
    --------
    >>> import numpy as np, ioukit
    >>> ev = ioukit.PanopticEvaluator(categories=[{"id": 1, "name": "cat", "isthing": 1}])
    >>> p, t = [{"id": 1, "category_id": 1}], [{"id": 1, "category_id": 1, "area": 4}]
    >>> ev.update(np.array([[1, 1, 1, 0]]), np.array([[1, 1, 1, 1]]), p, t)  # IoU 3/4: TP
    >>> ev.update(np.array([[1, 1, 0, 0]]), np.array([[1, 1, 1, 1]]), p, t)  # 2/4: FP + FN
    >>> s = PanopticSource(ev.compute())
    >>> s.estimate(["PQ"]).tolist()  # 0.75 / (1 + 1/2 + 1/2)
    [0.375]
    >>> s.replicates(["PQ", "PQ:cat"], np.array([[2.0, 0.0], [0.0, 2.0]])).tolist()
    [[0.75, 0.75], [0.0, 0.0]]
    """

    kind = "panoptic"

    def __init__(self, result: PanopticResult, *, order: NDArray | None = None) -> None:
        n = len(result.image_names)
        self._order = np.arange(n) if order is None else order
        self._result = result
        self._k = len(result.categories.ids)
        counts = [np.asarray(a, dtype=np.int64) for a in (result.image_tp, result.image_fp,
                                                          result.image_fn)]  # fmt: skip
        self._counts = np.concatenate(counts, axis=1)[self._order]
        self._iou = np.asarray(result.image_iou_sum, dtype=np.float64)[self._order]
        self._sums = WeightedSums(self._counts)
        self._isthing = np.asarray(result.categories.isthing, dtype=bool)
        self.image_names: tuple[str, ...] = tuple(result.image_names[i] for i in self._order)
        labels = metric_labels(result.categories.names)
        self._category = {
            f"{s}:{labels[i]}": (s, i) for s in ("PQ", "SQ", "RQ") for i in range(self._k)
        }
        self._image_groups: dict[str, dict[str, NDArray]] | None = None

    # -- the protocol ------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        r = self._result
        return {
            "convention": r.convention,
            "pq_dagger": r.pq_dagger,
            "aggregation": r.aggregation,
            "boundary": r.boundary,
            "category_ids": list(r.categories.ids),
            "category_names": list(r.categories.names),
            "isthing": [bool(v) for v in r.categories.isthing],
        }

    def headline_metrics(self) -> tuple[str, ...]:
        return HEADLINE

    def metric_names(self) -> tuple[str, ...]:
        return HEADLINE + tuple(self._category)

    def per_class_metrics(self, metric: str) -> tuple[tuple[str, str], ...]:
        if metric not in HEADLINE:
            return ()
        score, suffix = metric[:2], metric[2:]
        names = self._result.categories.names
        labels = metric_labels(names)
        keep = {"": [True] * self._k, "_th": list(self._isthing), "_st": list(~self._isthing)}
        return tuple((names[i], f"{score}:{labels[i]}") for i in range(self._k) if keep[suffix][i])

    def per_image_scores(self) -> tuple[str, NDArray]:
        return "pq", np.asarray(self._result.per_image_pq, dtype=np.float64)[self._order]

    def reorder(self, names: Sequence[str]) -> PanopticSource:
        index = reorder_index("PanopticSource.reorder", self.image_names, names)
        return PanopticSource(self._result, order=self._order[index])

    def estimate(self, metrics: Sequence[str]) -> NDArray:
        r = self._result
        rows = r.per_category()
        out = []
        for m in metrics:
            if m in HEADLINE:
                out.append(float(r.scores[_GROUPS[m[2:]]][m[:2].lower()]))
            else:
                score, i = self._category[m]
                out.append(float(rows[i][score.lower()]))
        return np.asarray(out, dtype=np.float64)

    def replicates(self, metrics: Sequence[str], weights: NDArray) -> NDArray:
        w = np.asarray(weights, dtype=np.float64)
        k = self._k
        sums = self._sums(w)
        tp, fp, fn = (sums[:, j * k : (j + 1) * k] for j in range(3))
        scores = category_scores(w @ self._iou, tp, fp, fn)
        per_category = dict(zip(("PQ", "SQ", "RQ"), scores, strict=True))
        groups: dict[str, dict[str, NDArray]] | None = None
        out = np.empty((w.shape[0], len(metrics)), dtype=np.float64)
        for j, m in enumerate(metrics):
            if m in HEADLINE:
                if self._result.aggregation == "dataset":
                    if groups is None:
                        groups = group_scores(*scores, self._isthing)
                    out[:, j] = groups[_GROUPS[m[2:]]][m[:2].lower()]
                else:
                    values = self.image_groups()[_GROUPS[m[2:]]][m[:2].lower()]
                    out[:, j] = nanmean(np.broadcast_to(values, w.shape), weights=w, axis=1)
            else:
                score, i = self._category[m]
                out[:, j] = per_category[score][:, i]
        return out

    def image_groups(self) -> dict[str, dict[str, NDArray]]:
        """Each image's own All/Things/Stuff PQ, SQ, RQ (``(N,)`` each; NaN where undefined),
        as :attr:`PanopticResult.scores` averages them for ``aggregation="image"``."""
        if self._image_groups is None:
            pq, sq, rq = category_scores(
                self._iou, *(self._counts[:, j * self._k : (j + 1) * self._k] for j in range(3))
            )
            self._image_groups = group_scores(pq, sq, rq, self._isthing)
        return self._image_groups
