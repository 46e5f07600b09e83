"""The representative first calls of ioukit's compiled functions: one list, used by
``ioukit warmup`` (which compiles them into numba's cache ahead of time) and by
``benchmarks/first_call.py`` (which times each one with an empty and with a warm cache).

Each entry is a small named function that builds realistic inputs and returns a thunk making
the one public call; building the inputs is not part of the call. Sizes are chosen so that a
call takes the path that real data takes (the threaded kernel where the library would use
threads) while the warm call stays in the milliseconds.

numba, the kernels and the optional packages a call needs (Pillow for the PNG folders) are
imported by the calls, never at ``import ioukit._warmup``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ioukit import _warmup_eval as _ev

__all__ = ["CALLS", "Call", "select"]

_Thunk = Callable[[], object]


@dataclass(frozen=True)
class Call:
    """One representative call: ``build()`` makes the inputs and returns the call to time."""

    name: str
    group: str
    build: Callable[[], _Thunk]


_rng = np.random.default_rng


# -- inputs ----------------------------------------------------------------------------------


def boxes(n: int, seed: int = 0, size: float = 512.0) -> np.ndarray[Any, Any]:
    """``n`` xyxy float64 boxes in a ``size`` square image."""
    rng = _rng(seed)
    xy = rng.uniform(0, size, (n, 2))
    wh = rng.uniform(4, size / 8, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


def _masks(n: int, h: int, w: int, seed: int = 0) -> np.ndarray[Any, Any]:
    """``n`` boolean masks ``(n, h, w)``: one filled rectangle each."""
    rng = _rng(seed)
    out = np.zeros((n, h, w), dtype=bool)
    for k in range(n):
        y, x = int(rng.integers(0, h - 8)), int(rng.integers(0, w - 8))
        out[k, y : y + int(rng.integers(4, h // 2)), x : x + int(rng.integers(4, w // 2))] = True
    return out


def _rotated(n: int, seed: int = 0) -> np.ndarray[Any, Any]:
    """``n`` rotated boxes ``(cx, cy, w, h, angle in degrees)``."""
    rng = _rng(seed)
    return np.column_stack(
        [rng.uniform(0, 200, (n, 2)), rng.uniform(5, 40, (n, 2)), rng.uniform(-90, 90, n)]
    )


# -- geometry: boxes -------------------------------------------------------------------------

# 600 x 600 pairs: above the threaded kernels' minimum (2**18 pairs)
_N_PAIRWISE = 600
_N_ALIGNED = 300_000


def _box_call(name: str, n: int) -> Callable[[], _Thunk]:
    """The call of the box function ``name`` on two sets of ``n`` boxes."""

    def build() -> _Thunk:
        import ioukit

        f, a, b = getattr(ioukit, name), boxes(n, 0), boxes(n, 1)
        return lambda: f(a, b)

    build.__name__ = name
    return build


def sparse_box_iou() -> _Thunk:
    import ioukit

    a, b = boxes(20_000, 0, 4096.0), boxes(20_000, 1, 4096.0)
    return lambda: ioukit.sparse_box_iou(a, b, min_iou=0.1)


def sparse_box_iou_self() -> _Thunk:
    import ioukit

    a = boxes(5_000, 0, 2048.0)
    return lambda: ioukit.sparse_box_iou(a)


# -- geometry: masks, polygons, rotated boxes, boundaries ------------------------------------


def mask_iou() -> _Thunk:
    import ioukit

    a, b = _masks(32, 256, 256, 0), _masks(40, 256, 256, 1)
    return lambda: ioukit.mask_iou(a, b)


def mask_iou_aligned() -> _Thunk:
    import ioukit

    a, b = _masks(32, 256, 256, 0), _masks(32, 256, 256, 1)
    return lambda: ioukit.mask_iou_aligned(a, b)


def mask_overlap_counts() -> _Thunk:
    import ioukit

    a, b = _masks(32, 256, 256, 0), _masks(40, 256, 256, 1)
    return lambda: ioukit.mask_overlap_counts(a, b)


def masks_to_boxes() -> _Thunk:
    import ioukit

    m = _masks(32, 256, 256, 0)
    return lambda: ioukit.masks_to_boxes(m)


def mask_iou_small() -> _Thunk:
    import ioukit

    a, b = _masks(1, 64, 64, 0).astype(np.uint8), _masks(3, 64, 64, 1).astype(np.uint8)
    return lambda: ioukit.mask_iou(a, b)


def mask_iou_uint8() -> _Thunk:
    import ioukit

    a, b = _masks(32, 256, 256, 0).astype(np.uint8), _masks(40, 256, 256, 1).astype(np.uint8)
    return lambda: ioukit.mask_iou(a, b)


def mask_iou_float() -> _Thunk:
    import ioukit

    a, b = _masks(32, 256, 256, 0).astype(np.float32), _masks(40, 256, 256, 1)
    return lambda: ioukit.mask_iou(a, b)


def mask_iou_float_small() -> _Thunk:
    import ioukit

    a, b = _masks(2, 64, 64, 0).astype(np.float32), _masks(3, 64, 64, 1)
    return lambda: ioukit.mask_iou(a, b)


def _polygon_pair(n: int) -> tuple[Any, Any]:
    """Two sets of ``n`` rectangles (rotated boxes as ``(n, 4, 2)`` polygons)."""
    import ioukit

    return ioukit.rotated_box_to_polygon(_rotated(n, 0)), ioukit.rotated_box_to_polygon(
        _rotated(n, 1)
    )


def polygon_iou() -> _Thunk:
    import ioukit

    a, b = _polygon_pair(80)
    return lambda: ioukit.polygon_iou(a, b)


def polygon_iou_aligned() -> _Thunk:
    import ioukit

    a, b = _polygon_pair(8192)
    return lambda: ioukit.polygon_iou_aligned(a, b)


def polygon_iou_nonconvex() -> _Thunk:
    import ioukit

    t = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    r = np.where(np.arange(12) % 2 == 0, 20.0, 8.0)
    star = np.column_stack([r * np.cos(t), r * np.sin(t)]) + 50.0
    a, b = np.stack([star + i for i in range(40)]), np.stack([star - i for i in range(40)])
    return lambda: ioukit.polygon_iou(a, b, convex=False)


def polygon_area() -> _Thunk:
    import ioukit

    p = ioukit.rotated_box_to_polygon(_rotated(1000, 0))
    return lambda: ioukit.polygon_area(p)


def rotated_box_iou() -> _Thunk:
    import ioukit

    a, b = _rotated(100, 0), _rotated(100, 1)
    return lambda: ioukit.rotated_box_iou(a, b)


def rotated_box_iou_aligned() -> _Thunk:
    import ioukit

    a, b = _rotated(10_000, 0), _rotated(10_000, 1)
    return lambda: ioukit.rotated_box_iou_aligned(a, b)


def rotated_box_iou_aligned_small() -> _Thunk:
    import ioukit

    a, b = _rotated(200, 0), _rotated(200, 1)
    return lambda: ioukit.rotated_box_iou_aligned(a, b)


def polygon_iou_aligned_small() -> _Thunk:
    import ioukit

    a, b = _polygon_pair(200)
    return lambda: ioukit.polygon_iou_aligned(a, b)


def rotated_box_to_polygon() -> _Thunk:
    import ioukit

    a = _rotated(1000, 0)
    return lambda: ioukit.rotated_box_to_polygon(a)


def boundary_band() -> _Thunk:
    import ioukit

    m = _masks(1, 512, 512, 0)[0]
    return lambda: ioukit.boundary_band(m)


def boundary_iou() -> _Thunk:
    import ioukit

    a, b = _masks(1, 512, 512, 0)[0], _masks(1, 512, 512, 1)[0]
    return lambda: ioukit.boundary_iou(a, b)


# -- geometry: RLE ---------------------------------------------------------------------------


def _rles(n: int, h: int = 240, w: int = 320, seed: int = 0) -> list[dict[str, Any]]:
    from ioukit import rle

    out = rle.encode(_masks(n, h, w, seed))
    assert isinstance(out, list)
    return out


def rle_encode() -> _Thunk:
    from ioukit import rle

    m = _masks(64, 480, 640, 0)
    return lambda: rle.encode(m)


def rle_decode() -> _Thunk:
    from ioukit import rle

    r = _rles(64, 480, 640)
    return lambda: rle.decode(r)


def rle_iou() -> _Thunk:
    from ioukit import rle

    a, b = _rles(80, seed=0), _rles(80, seed=1)
    return lambda: rle.iou(a, b, crowd=[False] * 80)


def rle_encode_fortran() -> _Thunk:
    from ioukit import rle

    # each mask column-major, as pycocotools takes them (the (N, W, H) array is C-contiguous)
    m = np.ascontiguousarray(_masks(64, 480, 640, 0).transpose(0, 2, 1)).transpose(0, 2, 1)
    return lambda: rle.encode(m)


def rle_decode_one() -> _Thunk:
    from ioukit import rle

    r = _rles(1)[0]
    return lambda: rle.decode(r)


def rle_iou_small() -> _Thunk:
    from ioukit import rle

    a, b = _rles(10, seed=0), _rles(12, seed=1)
    return lambda: rle.iou(a, b)


def rle_iou_uncompressed() -> _Thunk:
    from ioukit import rle

    def runs(m: np.ndarray[Any, Any]) -> dict[str, Any]:
        flat = m.T.reshape(-1).astype(np.int8)
        bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]])
        counts = np.diff(bounds).tolist()
        return {"size": list(m.shape), "counts": [0, *counts] if flat[0] else counts}

    a = [runs(m) for m in _masks(80, 240, 320, 0)]
    b = [runs(m) for m in _masks(80, 240, 320, 1)]
    return lambda: rle.iou(a, b)


def rle_merge() -> _Thunk:
    from ioukit import rle

    r = _rles(16)
    return lambda: rle.merge(r)


def rle_merge_intersect() -> _Thunk:
    from ioukit import rle

    r = _rles(16)
    return lambda: rle.merge(r, intersect=True)


def rle_area() -> _Thunk:
    from ioukit import rle

    r = _rles(64)
    return lambda: rle.area(r)


def rle_to_bbox() -> _Thunk:
    from ioukit import rle

    r = _rles(64)
    return lambda: rle.to_bbox(r)


def rle_from_boxes() -> _Thunk:
    from ioukit import rle

    b = boxes(64, 0, 200.0)
    b[:, 2:] -= b[:, :2]
    return lambda: rle.from_boxes(b, 240, 320)


def rle_from_polygons() -> _Thunk:
    from ioukit import rle

    p = [
        [10.0, 10.0, 200.0, 15.0, 150.0, 200.0, 12.0, 180.0],
        [220.0, 20.0, 300.0, 20.0, 260.0, 90.0],
    ]
    return lambda: rle.from_polygons(p, 240, 320)


def rle_compress() -> _Thunk:
    from ioukit import rle

    m = _masks(1, 240, 320, 0)[0]
    flat = m.T.reshape(-1).astype(np.int8)
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]])
    runs = np.diff(bounds).tolist()
    u = [{"size": [240, 320], "counts": ([0, *runs] if flat[0] else runs)}] * 16
    return lambda: rle.compress(u)


# -- the list --------------------------------------------------------------------------------

_BOX_FUNCS = ("box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou")
_GROUPS: dict[str, list[Callable[[], _Thunk]]] = {
    "boxes": [
        *(_box_call(f, _N_PAIRWISE) for f in _BOX_FUNCS),
        *(_box_call(f"{f}_aligned", _N_ALIGNED) for f in _BOX_FUNCS),
        sparse_box_iou,
        sparse_box_iou_self,
    ],
    "masks": [
        mask_iou,
        mask_iou_aligned,
        mask_overlap_counts,
        masks_to_boxes,
        mask_iou_small,
        mask_iou_uint8,
        mask_iou_float,
        mask_iou_float_small,
    ],
    "polygons": [
        polygon_iou,
        polygon_iou_aligned,
        polygon_iou_nonconvex,
        polygon_area,
        rotated_box_iou,
        rotated_box_iou_aligned,
        rotated_box_iou_aligned_small,
        polygon_iou_aligned_small,
        rotated_box_to_polygon,
    ],
    "rle": [
        rle_encode,
        rle_decode,
        rle_iou,
        rle_encode_fortran,
        rle_decode_one,
        rle_iou_small,
        rle_iou_uncompressed,
        rle_merge,
        rle_merge_intersect,
        rle_area,
        rle_to_bbox,
        rle_from_boxes,
        rle_from_polygons,
        rle_compress,
    ],
    "boundary": [boundary_band, boundary_iou, _ev.segmentation_evaluator_boundary],
    "counts": [
        _ev.multiclass_counts,
        _ev.multiclass_counts_per_image,
        _ev.multiclass_counts_int64,
        _ev.multiclass_confusion_matrix,
        _ev.multiclass_jaccard,
        _ev.binary_counts,
        _ev.binary_jaccard,
        _ev.multilabel_counts,
        _ev.multilabel_jaccard,
        _ev.mean_iou,
        _ev.segmentation_evaluator,
    ],
    "sweep": [_ev.threshold_sweep, _ev.jaccard_curve, _ev.best_threshold, _ev.best_thresholds],
    "sklearn": [
        _ev.sklearn_jaccard_score,
        _ev.sklearn_jaccard_score_samples,
        _ev.sklearn_confusion_matrix,
        _ev.sklearn_multilabel_confusion_matrix,
        _ev.sklearn_precision_recall_curve,
        _ev.sklearn_roc_curve,
    ],
    "detection": [
        _ev.match_detections,
        _ev.detection_counts,
        *(_ev._coco_call(t) for t in ("bbox", "segm")),
        _ev._coco_call("boundary"),
        _ev._coco_call("keypoints"),
        _ev.coco_evaluate_json,
        _ev.coco_evaluate_segm_json,
        _ev.coco_evaluate_json_large,
        _ev.coco_evaluate_segm_json_large,
        _ev.lvis_evaluate,
        _ev.tide,
        _ev.detection_confusion_matrix,
        _ev.detection_evaluator,
    ],
    "stats": [
        _ev.confidence_interval_segmentation,
        _ev.compare,
        _ev.confidence_interval_coco,
        _ev.confidence_interval_coco_jackknife,
    ],
    "panoptic": [
        _ev.panoptic_evaluator,
        _ev.panoptic_evaluator_boundary,
        _ev.panoptic_evaluator_crowded,
        _ev.panoptic_quality,
    ],
    "cityscapes": [_ev.cityscapes_pixel_evaluator, _ev.cityscapes_instance_evaluator],
}

#: Every representative call, in a stable order (grouped by the kernels they compile).
CALLS: tuple[Call, ...] = tuple(
    Call(build.__name__, group, build) for group, builds in _GROUPS.items() for build in builds
)


def select(names: Sequence[str] | None = None) -> tuple[Call, ...]:
    """The calls named in ``names`` (a call's name or a group's), all of them for ``None``.

    >>> [c.name for c in select(["rle_area", "sweep"])]
    ['rle_area', 'threshold_sweep', 'jaccard_curve', 'best_threshold', 'best_thresholds']
    """
    if names is None:
        return CALLS
    wanted = set(names)
    unknown = wanted - {c.name for c in CALLS} - {c.group for c in CALLS}
    if unknown:
        raise KeyError(", ".join(sorted(unknown)))
    return tuple(c for c in CALLS if c.name in wanted or c.group in wanted)
