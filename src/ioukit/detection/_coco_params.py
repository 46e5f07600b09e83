"""The parameters of a COCO evaluation (pycocotools' ``COCOeval.params``): their defaults,
their checks, and the two conventions (``"pycocotools"``, every quirk; ``"ioukit"``, the
fixes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ioukit._errors import ParameterError
from ioukit.detection._coco_load import FUNC

_NDArray = np.ndarray[Any, Any]

_IOU_TYPES = ("bbox", "segm")  # also the streaming evaluator's
_EVAL_TYPES = (*_IOU_TYPES, "boundary", "keypoints")
CONVENTIONS = ("pycocotools", "ioukit")
_DEFAULT_AREAS = (
    ("all", 0.0, 1e10),
    ("small", 0.0, 1024.0),
    ("medium", 1024.0, 9216.0),
    ("large", 9216.0, 1e10),
)
_KEYPOINT_AREAS = (_DEFAULT_AREAS[0], *_DEFAULT_AREAS[2:])


@dataclass(frozen=True)
class COCOParams:
    """The parameters a COCO evaluation used (pycocotools' ``COCOeval.params``).

    Attributes
    ----------
    iou_type : str
        ``"bbox"``, ``"segm"``, ``"boundary"`` or ``"keypoints"``.
    iou_thresholds : tuple of float
        IoU thresholds, shape (T,); by default ``np.linspace(0.5, 0.95, 10)`` (so the 9th is
        ``0.8999999999999999``, as in COCO), or 0.5, 0.55, ..., 0.95 as exact decimals under
        ``"ioukit"``.
    recall_thresholds : tuple of float
        Recall levels at which precision is read, shape (R,); ``np.linspace(0, 1, 101)``
        (decimals rounded to 2 places under ``"ioukit"``).
    max_dets : tuple of int
        Detections kept per image **and per category** (per image across categories with
        ``per_image_cap``), sorted, shape (M,).
    area_ranges : tuple of (str, float, float)
        Labelled area ranges ``(label, lo, hi)``, inclusive at both ends, shape (A,).
    use_cats : bool
        Whether categories are evaluated separately.
    img_ids, cat_ids : tuple
        The images and categories evaluated, sorted.
    convention : str
        ``"pycocotools"``: every quirk of pycocotools 2.0.11 is reproduced; ``"ioukit"``: the
        fixes listed in :func:`ioukit.coco_evaluate`.
    kpt_oks_sigmas : tuple of float
        The per-keypoint OKS sigmas (K,) under ``"keypoints"``; empty otherwise.
    per_image_cap : bool
        Whether ``max_dets`` caps an image's detections across its categories.
    boundary_dilation_ratio : float
        The band width of ``"boundary"``, a fraction of the image diagonal.
    """

    iou_type: str
    iou_thresholds: tuple[float, ...]
    recall_thresholds: tuple[float, ...]
    max_dets: tuple[int, ...]
    area_ranges: tuple[tuple[str, float, float], ...]
    use_cats: bool
    img_ids: tuple[Any, ...]
    cat_ids: tuple[Any, ...]
    convention: str = "pycocotools"
    kpt_oks_sigmas: tuple[float, ...] = ()
    per_image_cap: bool = False
    boundary_dilation_ratio: float = 0.02

    @property
    def fixed(self) -> bool:
        """Whether the ``"ioukit"`` convention's fixes apply."""
        return self.convention == "ioukit"

    def matching_thresholds(self) -> _NDArray:
        """The IoU thresholds the matching compares with: pycocotools lowers each to
        ``min(t, 1 - 1e-10)``; ``"ioukit"`` uses them as given (IoU >= t)."""
        t = np.asarray(self.iou_thresholds, dtype=np.float64)
        return t if self.fixed else np.minimum(t, 1 - 1e-10)


def _levels(name: str, value: Any, default: _NDArray) -> tuple[float, ...]:
    if value is None:
        return tuple(float(v) for v in default)
    try:
        arr = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        arr = np.array([np.nan])
    if arr.size == 0 or not np.all((arr >= 0) & (arr <= 1)):
        raise ParameterError(
            f"{FUNC}: `{name}` must be a non-empty sequence of numbers in [0, 1]; got {value!r}."
        )
    return tuple(float(v) for v in arr)


def _max_dets(value: Any) -> tuple[int, ...]:
    items = list(value) if isinstance(value, Sequence) else []
    ok = bool(items) and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in items
    )
    if not ok:
        raise ParameterError(
            f"{FUNC}: `max_dets` must be a non-empty sequence of positive ints, e.g. "
            f"(1, 10, 100); got {value!r}."
        )
    return tuple(sorted(int(v) for v in items))


def _area_ranges(value: Any) -> tuple[tuple[str, float, float], ...]:
    if value is None:
        return _DEFAULT_AREAS
    out: list[tuple[str, float, float]] = []
    try:
        for label, rng in dict(value).items():
            lo, hi = (float(v) for v in rng)
            if not (isinstance(label, str) and lo <= hi):
                raise ValueError
            out.append((label, lo, hi))
    except (TypeError, ValueError):
        out = []
    if not out:
        raise ParameterError(
            f"{FUNC}: `area_ranges` must be a non-empty dict label -> (lo, hi) with lo <= hi, "
            f"e.g. {{'all': (0, 1e10), 'small': (0, 1024)}}; got {value!r}."
        )
    return tuple(out)


def _ids(name: str, value: Any, default: list[Any]) -> tuple[Any, ...]:
    if value is None:
        return tuple(sorted(default))
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
        raise ParameterError(f"{FUNC}: `{name}` must be a sequence of ids; got {value!r}.")
    return tuple(v.item() if isinstance(v, np.generic) else v for v in np.unique(value))


def decimal_levels(start: float, stop: float, n: int) -> _NDArray:
    """``n`` evenly spaced levels as the nearest doubles to their decimals (0.9, not
    ``np.linspace``'s 0.8999999999999999)."""
    return np.array([float(f"{v:.10g}") for v in np.linspace(start, stop, n)])
