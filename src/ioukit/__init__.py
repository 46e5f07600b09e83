"""ioukit: exact, fast and explicit Intersection-over-Union (Jaccard) for machine learning.

Counts are the currency: every ``*_counts`` function turns inputs into exact int64
tp/fp/fn/tn, and every score is a reduction of counts (:mod:`ioukit.core.reduce`).
"""

from __future__ import annotations

from ioukit._errors import (
    BackendError,
    InputError,
    IoUKitError,
    MissingDependencyError,
    ParameterError,
    UndefinedMetricWarning,
)
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
from ioukit.segmentation import SegmentationEvaluator, SegmentationResult, mean_iou

__version__ = "0.1.0.dev0"

__all__ = [  # noqa: RUF022 - plain sorted order, checked by tests/test_public_api.py
    "BackendError",
    "CONVENTIONS",
    "Counts",
    "InputError",
    "IoUKitError",
    "MissingDependencyError",
    "ParameterError",
    "SegmentationEvaluator",
    "SegmentationResult",
    "UndefinedMetricWarning",
    "__version__",
    "accuracy",
    "binary_counts",
    "binary_jaccard",
    "dice",
    "f1_to_jaccard",
    "fbeta",
    "jaccard",
    "jaccard_to_f1",
    "mean_iou",
    "mean_iou_from_counts",
    "multiclass_confusion_matrix",
    "multiclass_counts",
    "multiclass_jaccard",
    "multilabel_counts",
    "multilabel_jaccard",
    "nanmean",
    "needs_per_image",
    "precision",
    "recall",
    "set_counts",
    "set_jaccard",
    "specificity",
]
