"""Detection evaluation: matching detections to ground truth, and COCO AP/AR.

* :mod:`ioukit.detection.matching`: :func:`match_detections` and :func:`detection_counts` on
  an IoU matrix (COCO, VOC and Hungarian rules).
* :mod:`ioukit.detection.coco`: :func:`coco_evaluate`, COCO's detection and instance
  segmentation evaluation, identical to pycocotools; its result is :class:`COCOResult`
  (:mod:`ioukit.detection.result`), with its PR curves (:class:`PRCurve`), F1-optimal
  thresholds and match records (:class:`COCOMatches`, :class:`COCOImageCounts`).
* :mod:`ioukit.detection.lvis`: :func:`lvis_evaluate`, LVIS's federated evaluation,
  identical to lvis-api; its result is :class:`LVISResult`.
* :mod:`ioukit.detection.tide`: :func:`tide`, TIDE's error analysis (ΔAP per error type,
  identical to tidecv); :mod:`ioukit.detection.confusion`: :func:`detection_confusion_matrix`,
  the class confusion matrix of detections (rows = ground truth).
* :mod:`ioukit.detection.streaming`: :class:`DetectionEvaluator`, the same evaluation fed
  batch by batch inside a training loop (merge, state dicts, ``torch.distributed``).
"""

from __future__ import annotations

from ioukit.detection._coco_params import COCOParams
from ioukit.detection._lvis_result import LVISParams, LVISResult
from ioukit.detection.coco import coco_evaluate
from ioukit.detection.confusion import DetectionConfusion, detection_confusion_matrix
from ioukit.detection.lvis import lvis_evaluate
from ioukit.detection.matching import (
    COCO_IOU_THRESHOLDS,
    Matches,
    detection_counts,
    match_detections,
)
from ioukit.detection.result import COCOImageCounts, COCOMatches, COCOResult, PRCurve
from ioukit.detection.streaming import DetectionEvaluator
from ioukit.detection.tide import TIDEResult, tide

__all__ = [
    "COCO_IOU_THRESHOLDS",
    "COCOImageCounts",
    "COCOMatches",
    "COCOParams",
    "COCOResult",
    "DetectionConfusion",
    "DetectionEvaluator",
    "LVISParams",
    "LVISResult",
    "Matches",
    "PRCurve",
    "TIDEResult",
    "coco_evaluate",
    "detection_confusion_matrix",
    "detection_counts",
    "lvis_evaluate",
    "match_detections",
    "tide",
]
