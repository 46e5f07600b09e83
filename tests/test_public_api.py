"""The public surface: an exact ``__all__``, and a light ``import ioukit`` (checked in fresh
interpreters, so that nothing this test session imported can hide a heavy import)."""

from __future__ import annotations

import json
import subprocess
import sys

import ioukit

EXPECTED_ALL = [
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

HEAVY = ["torch", "numba", "plotly", "dask", "distributed", "fsspec", "PIL"]


def _python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return result.stdout


def test_all_is_exact():
    assert ioukit.__all__ == EXPECTED_ALL
    assert sorted(ioukit.__all__) == ioukit.__all__
    assert len(set(ioukit.__all__)) == len(ioukit.__all__)


def test_every_name_resolves():
    for name in ioukit.__all__:
        assert getattr(ioukit, name) is not None, name
    namespace: dict[str, object] = {}
    exec("from ioukit import *", namespace)
    assert set(EXPECTED_ALL) <= set(namespace)


def test_public_callables_are_documented():
    for name in ioukit.__all__:
        obj = getattr(ioukit, name)
        if callable(obj):
            assert obj.__doc__, name


def test_version():
    assert isinstance(ioukit.__version__, str)
    assert ioukit.__version__[0].isdigit()


def test_import_pulls_in_no_heavy_module():
    out = _python(
        f"import json, sys, ioukit; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    assert json.loads(out) == []


def test_import_is_fast():
    # import time of ioukit on top of an already imported numpy, best of three fresh processes
    code = (
        "import time, numpy; t = time.perf_counter(); import ioukit; print(time.perf_counter() - t)"
    )
    best = min(float(_python(code)) for _ in range(3))
    assert best < 0.3, f"import ioukit took {best:.3f} s on top of numpy"
