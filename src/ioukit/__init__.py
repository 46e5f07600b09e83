"""ioukit: exact, fast and explicit Intersection-over-Union (Jaccard) for machine learning.

Counts are the currency: every ``*_counts`` function turns inputs into exact int64
tp/fp/fn/tn, and every score is a reduction of counts (:mod:`ioukit.core.reduce`).
"""

from __future__ import annotations

import sys as _sys

from ioukit import cityscapes
from ioukit._errors import (
    BackendError,
    InputError,
    IoUKitError,
    MissingDependencyError,
    ParameterError,
    StateError,
    UndefinedMetricWarning,
)
from ioukit._load import load_result
from ioukit.core.conventions import CONVENTIONS, mean_iou_from_counts, needs_per_image
from ioukit.core.counts import (
    Counts,
    binary_counts,
    multiclass_confusion_matrix,
    multiclass_counts,
    multilabel_counts,
)
from ioukit.core.labels import binary_jaccard, multiclass_jaccard, multilabel_jaccard
from ioukit.core.reduce import (
    accuracy,
    dice,
    f1_to_jaccard,
    fbeta,
    jaccard,
    jaccard_to_f1,
    nanmean,
    precision,
    recall,
    specificity,
)
from ioukit.core.sets import set_counts, set_jaccard
from ioukit.core.soft import soft_jaccard, soft_jaccard_grad
from ioukit.core.sweep import (
    Sweep,
    best_threshold,
    best_thresholds,
    jaccard_curve,
    threshold_sweep,
)
from ioukit.detection import (
    COCO_IOU_THRESHOLDS,
    COCOResult,
    DetectionConfusion,
    DetectionEvaluator,
    LVISResult,
    Matches,
    TIDEResult,
    coco_evaluate,
    detection_confusion_matrix,
    detection_counts,
    lvis_evaluate,
    match_detections,
    tide,
)
from ioukit.evaluate import FolderEvaluation, evaluate_folder
from ioukit.geometry import rle
from ioukit.geometry.boundary import boundary_band, boundary_iou
from ioukit.geometry.box_formats import box_convert
from ioukit.geometry.boxes import (
    box_area,
    box_iou,
    box_iou_aligned,
    complete_box_iou,
    complete_box_iou_aligned,
    distance_box_iou,
    distance_box_iou_aligned,
    generalized_box_iou,
    generalized_box_iou_aligned,
)
from ioukit.geometry.masks import (
    MaskOverlapCounts,
    mask_iou,
    mask_iou_aligned,
    mask_overlap_counts,
    masks_to_boxes,
)
from ioukit.geometry.polygons import (
    polygon_area,
    polygon_iou,
    polygon_iou_aligned,
    rotated_box_iou,
    rotated_box_iou_aligned,
    rotated_box_to_polygon,
)
from ioukit.geometry.sparse_boxes import sparse_box_iou
from ioukit.panoptic import PanopticEvaluator, PanopticResult, panoptic_quality
from ioukit.segmentation import SegmentationEvaluator, SegmentationResult, mean_iou
from ioukit.stats import Comparison, ConfidenceInterval, compare

# ``ioukit.rle`` is the public name of the RLE module: importable as ``import ioukit.rle`` too.
_sys.modules["ioukit.rle"] = rle

__version__ = "0.1.0.dev0"

__all__ = [  # noqa: RUF022 - plain sorted order, checked by tests/test_public_api.py
    "BackendError",
    "COCOResult",
    "COCO_IOU_THRESHOLDS",
    "CONVENTIONS",
    "Comparison",
    "ConfidenceInterval",
    "Counts",
    "DetectionConfusion",
    "DetectionEvaluator",
    "FolderEvaluation",
    "InputError",
    "IoUKitError",
    "LVISResult",
    "MaskOverlapCounts",
    "Matches",
    "MissingDependencyError",
    "PanopticEvaluator",
    "PanopticResult",
    "ParameterError",
    "SegmentationEvaluator",
    "SegmentationResult",
    "StateError",
    "Sweep",
    "TIDEResult",
    "UndefinedMetricWarning",
    "__version__",
    "accuracy",
    "best_threshold",
    "best_thresholds",
    "binary_counts",
    "binary_jaccard",
    "boundary_band",
    "boundary_iou",
    "box_area",
    "box_convert",
    "box_iou",
    "box_iou_aligned",
    "cityscapes",
    "coco_evaluate",
    "compare",
    "complete_box_iou",
    "complete_box_iou_aligned",
    "detection_confusion_matrix",
    "detection_counts",
    "dice",
    "distance_box_iou",
    "distance_box_iou_aligned",
    "evaluate_folder",
    "f1_to_jaccard",
    "fbeta",
    "generalized_box_iou",
    "generalized_box_iou_aligned",
    "jaccard",
    "jaccard_curve",
    "jaccard_to_f1",
    "load_result",
    "lvis_evaluate",
    "mask_iou",
    "mask_iou_aligned",
    "mask_overlap_counts",
    "masks_to_boxes",
    "match_detections",
    "mean_iou",
    "mean_iou_from_counts",
    "multiclass_confusion_matrix",
    "multiclass_counts",
    "multiclass_jaccard",
    "multilabel_counts",
    "multilabel_jaccard",
    "nanmean",
    "needs_per_image",
    "panoptic_quality",
    "polygon_area",
    "polygon_iou",
    "polygon_iou_aligned",
    "precision",
    "recall",
    "report",
    "rle",
    "rotated_box_iou",
    "rotated_box_iou_aligned",
    "rotated_box_to_polygon",
    "set_counts",
    "set_jaccard",
    "soft_jaccard",
    "soft_jaccard_grad",
    "sparse_box_iou",
    "specificity",
    "stats",
    "threshold_sweep",
    "tide",
]


def __getattr__(name: str) -> object:
    """``ioukit.report`` and ``ioukit.stats`` on first use (the report's module is not
    needed by ``import ioukit``)."""
    if name in ("report", "stats"):
        import importlib

        return importlib.import_module(f"ioukit.{name}")
    raise AttributeError(f"module 'ioukit' has no attribute {name!r}")
