"""Panoptic quality (PQ, SQ, RQ; PQ†), identical to panopticapi's ``pq_compute`` by default.

* :func:`panoptic_quality`: COCO panoptic JSON + RGB PNG folders, in worker processes;
* :class:`PanopticEvaluator`: id maps in memory, image by image (training loops);
* :class:`PanopticResult`: what both return.

Every number comes from integer counts: the pixels of each (target id, prediction id) pair of an
image (:mod:`ioukit.kernels.panoptic`), then TP/FP/FN per image and category and the IoU of each
match (:mod:`ioukit.panoptic._match`); one module divides (:mod:`ioukit.panoptic._reduce`).
"""

from __future__ import annotations

from ioukit.panoptic._files import PROBLEM_KINDS
from ioukit.panoptic.evaluator import PanopticEvaluator
from ioukit.panoptic.quality import PanopticProblemsError, panoptic_quality
from ioukit.panoptic.result import PanopticResult

__all__ = [
    "PROBLEM_KINDS",
    "PanopticEvaluator",
    "PanopticProblemsError",
    "PanopticResult",
    "panoptic_quality",
]
