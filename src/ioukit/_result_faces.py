"""The two methods every result shares: its bootstrap interval and its HTML report.

:class:`~ioukit.SegmentationResult`, :class:`~ioukit.COCOResult`, :class:`~ioukit.LVISResult`
and :class:`~ioukit.PanopticResult` take them from :class:`ResultFaces`; each names its
headline metric in ``_headline``. The work is done by :mod:`ioukit.stats` and
:mod:`ioukit.report`; these are the doors to them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ioukit.stats import ConfidenceInterval

__all__ = ["ResultFaces"]


class ResultFaces:
    """:meth:`confidence_interval` and :meth:`to_html` of a result."""

    _headline: ClassVar[str]

    def confidence_interval(
        self,
        metric: str | None = None,
        *,
        level: float = 0.95,
        method: str = "bca",
        n_resamples: int = 10000,
        random_state: Any = None,
    ) -> ConfidenceInterval:
        """Bootstrap confidence interval of one number, images resampled whole with
        replacement: :func:`ioukit.stats.confidence_interval` on this result.

        Parameters
        ----------
        metric : str, optional
            The number: by default the headline (``"miou"`` for segmentation, ``"AP"`` for
            COCO and LVIS, ``"PQ"`` for panoptic); :func:`ioukit.stats.confidence_interval`
            lists the names (``"miou:mmseg"``, ``"iou:road"``, ``"AP50"``,
            ``"AP:person"``, ``"SQ_th"``, …).
        level, method, n_resamples, random_state
            As :func:`ioukit.stats.confidence_interval`: the confidence level, ``"bca"`` or
            ``"percentile"``, the number of resamples and the seed.

        Returns
        -------
        ioukit.ConfidenceInterval
            The point estimate (this result's own number), the interval, the method used and
            the number of resamples.

        Examples
        --------
        >>> import numpy as np, ioukit
        >>> ev = ioukit.SegmentationEvaluator(2)
        >>> for i in range(12):
        ...     ev.update(np.eye(4, dtype=int), np.roll(np.eye(4, dtype=int), i % 3, axis=1))
        >>> ci = ev.result().confidence_interval(n_resamples=500, random_state=0)
        >>> ci.metric, ci.estimate == ev.result().miou, ci.n_images
        ('miou', True, 12)
        """
        from ioukit import stats

        return stats.confidence_interval(
            self,
            self._headline if metric is None else metric,
            level=level,
            method=method,
            n_resamples=n_resamples,
            random_state=random_state,
        )

    def to_html(self, path: str | os.PathLike[str], **options: Any) -> Path:
        """Write the offline HTML report of this result to ``path`` (one self-contained file;
        needs plotly: ``pip install 'ioukit[report]'``) and return its path.

        ``options`` are those of :func:`ioukit.report.write_html`: ``title``, ``intervals``,
        ``n_resamples``, ``random_state``, ``pairs`` and ``images`` (the worst images'
        overlays), ``tide`` (detection), …
        """
        from ioukit.report import write_html

        return write_html(self, path, **options)
