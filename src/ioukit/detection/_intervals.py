"""The bootstrap confidence interval of a detection result, shared by
:class:`~ioukit.detection.result.COCOResult` and :class:`~ioukit.LVISResult`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ioukit.stats import ConfidenceInterval

__all__ = ["DetectionIntervals"]


class DetectionIntervals:
    """The method :meth:`confidence_interval` of the detection results."""

    def confidence_interval(
        self,
        metric: str = "AP",
        *,
        level: float = 0.95,
        method: str = "bca",
        n_resamples: int = 10000,
        random_state: Any = None,
    ) -> ConfidenceInterval:
        """Bootstrap confidence interval of one number, images resampled with replacement:
        :func:`ioukit.stats.confidence_interval` on this result.

        Each replicate accumulates the evaluation's own matches again with image
        multiplicities (no matching is repeated; see :mod:`ioukit.detection._bootstrap`).

        Parameters
        ----------
        metric : str, default "AP"
            A name of ``COCOResult.stats`` (``"AP"``, ``"AP50"``, ``"AR100"``, …) or of
            ``LVISResult.results`` (``"APr"``, ``"AR@300"``, …), or ``"AP:<category name>"``.
        level, method, n_resamples, random_state
            As :func:`ioukit.stats.confidence_interval`.

        Returns
        -------
        ioukit.stats.ConfidenceInterval

        Examples
        --------
        >>> import ioukit
        >>> gt = {"images": [{"id": i} for i in range(4)],
        ...       "categories": [{"id": 1, "name": "cat"}],
        ...       "annotations": [{"id": i + 1, "image_id": i, "category_id": 1,
        ...                        "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0}
        ...                       for i in range(4)]}
        >>> dt = [{"image_id": i, "category_id": 1, "bbox": [0, 0, 10, 10 + 4 * i],
        ...        "score": 0.9 - 0.1 * i} for i in range(4)]
        >>> r = ioukit.coco_evaluate(gt, dt)  # at IoU 0.5: 3 hits, then a miss (IoU 10/22)
        >>> ci = r.confidence_interval("AP50", method="percentile", n_resamples=200,
        ...                            random_state=0)
        >>> ci.estimate == float(r.stats[1]), ci.low <= ci.estimate <= ci.high
        (True, True)
        """
        from ioukit import stats

        return stats.confidence_interval(
            self, metric, level=level, method=method, n_resamples=n_resamples,
            random_state=random_state,
        )  # fmt: skip
