"""Object keypoint similarity (OKS) for ``coco_evaluate(..., iou_type="keypoints")``.

The rules are those of pycocotools 2.0.11 (``COCOeval.computeOks`` and the keypoint branch of
``COCO.loadRes``): the sigmas are the COCO ones divided by 10.0; a ground truth with labelled
keypoints (``v > 0``) is compared on those only, one without on all keypoints by their distance
to its box enlarged to three times its size (one width/height on each side); the OKS is the sum
of ``exp(-e)`` divided by the number of terms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit.detection._coco_load import FUNC, _field, _short

_NDArray = np.ndarray[Any, Any]

#: the 17 COCO person sigmas, divided by 10.0 as pycocotools does (a second rounding)
COCO_SIGMAS = (
    np.array(
        [.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]
    )
    / 10.0
)  # fmt: skip


def oks_sigmas(value: Any) -> tuple[float, ...]:
    """The per-keypoint sigmas (K,): COCO's by default, else positive finite numbers."""
    if value is None:
        return tuple(float(v) for v in COCO_SIGMAS)
    try:
        arr = np.asarray(value, dtype=np.float64)
        ok = arr.ndim == 1 and arr.size > 0 and bool(np.all(np.isfinite(arr) & (arr > 0)))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ParameterError(
            f"{FUNC}: `kpt_oks_sigmas` must be a non-empty 1-d sequence of positive finite "
            f"numbers (one per keypoint); got {value!r}."
        )
    return tuple(float(v) for v in arr)


def keypoints(arg: str, anns: Sequence[Any], n_kpt: int) -> _NDArray:
    """An ``(N, K, 3)`` float64 array of ``[x, y, v]`` keypoints, checked to be ``3 * K``
    finite numbers per item."""
    values = _field(arg, anns, "keypoints", f"[x1, y1, v1, ...], {3 * n_kpt} numbers")
    try:
        out = np.array(values, dtype=np.float64).reshape(len(values), n_kpt, 3)
        ok = bool(np.isfinite(out).all())
    except (TypeError, ValueError):
        ok = False
    if ok:
        return out
    for i, v in enumerate(values):
        try:
            row = np.array(v, dtype=np.float64)
            good = row.shape == (3 * n_kpt,) and bool(np.isfinite(row).all())
        except (TypeError, ValueError):
            good = False
        if not good:
            raise InputError(
                f"{FUNC}: `{arg}[{i}]['keypoints']` must be {3 * n_kpt} finite numbers "
                f"([x, y, v] for each of the {n_kpt} sigmas of `kpt_oks_sigmas`); got "
                f"{_short(v)}."
            )
    raise InputError(f"{FUNC}: `{arg}` has malformed keypoints.")  # pragma: no cover


def with_extent_boxes(anns: list[Any], n_kpt: int) -> list[Any]:
    """The keypoint branch of ``COCO.loadRes``: when the first result has neither a non-empty
    ``bbox`` nor a ``segmentation``, every result gets the box of its keypoints' extent (and so
    the area ``w * h``). Otherwise the list is returned as it is."""
    first = anns[0] if anns else None
    if not isinstance(first, Mapping) or "keypoints" not in first:
        return anns
    if ("bbox" in first and first["bbox"] != []) or "segmentation" in first:
        return anns
    kps = keypoints("dt", anns, n_kpt)
    x0, x1 = kps[:, :, 0].min(axis=1), kps[:, :, 0].max(axis=1)
    y0, y1 = kps[:, :, 1].min(axis=1), kps[:, :, 1].max(axis=1)
    boxes = np.stack([x0, y0, x1 - x0, y1 - y0], axis=1).tolist()
    return [
        {**a, "bbox": b} if isinstance(a, Mapping) else a for a, b in zip(anns, boxes, strict=True)
    ]


def oks_pairs(
    d: _NDArray, g: _NDArray, g_box: _NDArray, g_area: _NDArray, sigmas: _NDArray
) -> _NDArray:
    """OKS of aligned pairs: detection keypoints ``d[i]`` (P, K, 3) against ground truth
    ``g[i]`` with its box ``g_box[i]`` (xywh) and JSON area ``g_area[i]``.

    Each pair's terms are summed as one contiguous row of its own length, so the rounding is
    that of ``np.sum`` on pycocotools' per-pair vector.
    """
    if d.shape[0] == 0:
        return np.zeros(0)
    var = (sigmas * 2) ** 2
    vis = g[:, :, 2] > 0
    k1 = np.count_nonzero(vis, axis=1)
    x0 = (g_box[:, 0] - g_box[:, 2])[:, None]
    x1 = (g_box[:, 0] + g_box[:, 2] * 2)[:, None]
    y0 = (g_box[:, 1] - g_box[:, 3])[:, None]
    y1 = (g_box[:, 1] + g_box[:, 3] * 2)[:, None]
    xd, yd = d[:, :, 0], d[:, :, 1]
    outside_x = np.maximum(0.0, x0 - xd) + np.maximum(0.0, xd - x1)
    outside_y = np.maximum(0.0, y0 - yd) + np.maximum(0.0, yd - y1)
    labelled = (k1 > 0)[:, None]
    dx = np.where(labelled, xd - g[:, :, 0], outside_x)
    dy = np.where(labelled, yd - g[:, :, 1], outside_y)
    e = (dx**2 + dy**2) / var / (g_area + np.spacing(1))[:, None] / 2
    terms = np.exp(-e)
    used = vis | ~labelled
    n_used = np.where(k1 > 0, k1, sigmas.size)
    out = np.zeros(d.shape[0])
    for n in np.unique(n_used):
        rows = np.flatnonzero(n_used == n)
        block = np.ascontiguousarray(terms[rows][used[rows]].reshape(rows.size, int(n)))
        out[rows] = np.sum(block, axis=1) / int(n)
    return out
