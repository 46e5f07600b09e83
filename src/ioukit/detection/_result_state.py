"""The JSON state of a detection result: its match statuses, written by ``to_dict`` and read
back by ``from_dict``.

``to_dict()["state"]`` (:func:`ioukit._state.encode_arrays`) holds what the accumulation reads
(:class:`~ioukit.detection._accumulate.MatchState`): per evaluated detection its status at
every (area range, IoU threshold) ``status (A, T, D)`` int8, ``score``, ``rank`` (in its cell,
or its image under a per-image cap) and ``image`` (position in ``params.img_ids``); the
categories' starts ``cat_start (K + 1,)``; and the regular ground truths per (area range,
category, image) ``regular (A, K * N)``. The image and category ids, the names and the
parameters are the document's own ``params`` and ``per_category``. A result rebuilt from it
accumulates again on the same statuses, so its arrays and numbers are bit for bit those of
the evaluation; what needs the ground truths or the IoUs (``matches()``, TIDE) is not kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any

import numpy as np

from ioukit._errors import ParameterError, StateError
from ioukit._state import encode_arrays, state_of, take
from ioukit.detection._accumulate import MatchState

__all__ = [
    "load_doc",
    "loaded_error",
    "params_dict",
    "params_from",
    "read_state",
    "result_doc",
    "state_arrays",
]

_NDArray = np.ndarray[Any, Any]

#: the arrays of a state: name -> (dtype kinds, number of dimensions)
_ARRAYS = {
    "status": ("u", 1),  # 2 bits per status, 4 per byte (see _pack)
    "score": ("f", 1),
    "rank": ("ui", 1),
    "image": ("ui", 1),
    "cat_start": ("ui", 1),
    "regular": ("ui", 2),
}


def params_dict(params: Any) -> dict[str, Any]:
    """An evaluation's parameters (a dataclass) as plain Python: area ranges as a dict label
    -> [lo, hi], sequences as lists of Python numbers and ids."""
    out = asdict(params)
    out["area_ranges"] = {label: [lo, hi] for label, lo, hi in params.area_ranges}
    for key, value in out.items():
        if isinstance(value, (tuple, list)) and key != "area_ranges":
            out[key] = [v.item() if isinstance(v, np.generic) else v for v in value]
    return out


def params_from(cls: Any, doc: Any, where: str) -> Any:
    """The parameters dataclass ``cls`` back from :func:`params_dict`'s form."""
    if not isinstance(doc, Mapping):
        raise StateError(f'{where}: expected a "params" object; got {type(doc).__name__}.')
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in doc:
            raise StateError(f'{where}: "params" lacks {f.name!r}.')
        value = doc[f.name]
        if f.name == "area_ranges":
            value = tuple((str(k), float(v[0]), float(v[1])) for k, v in dict(value).items())
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return cls(**values)


def _small(a: _NDArray) -> _NDArray:
    """Nonnegative integers in the smallest unsigned dtype that holds them."""
    top = int(a.max()) if a.size else 0
    return a.astype(np.min_scalar_type(top))


def _pack(status: _NDArray) -> _NDArray:
    """Statuses (0, 1 or 2) 4 to a byte, the first in the low bits, zero-padded."""
    flat = status.reshape(-1).astype(np.uint8)
    quads: _NDArray = np.concatenate([flat, np.zeros(-flat.size % 4, np.uint8)]).reshape(-1, 4)
    packed: _NDArray = quads[:, 0] | (quads[:, 1] << 2) | (quads[:, 2] << 4) | (quads[:, 3] << 6)
    return packed


def _unpack(packed: _NDArray, shape: tuple[int, ...]) -> _NDArray:
    size = int(np.prod(shape))
    out = np.stack([(packed >> s) & 3 for s in (0, 2, 4, 6)], axis=1).reshape(-1)
    return out[:size].astype(np.int8).reshape(shape)


def state_arrays(rec: MatchState) -> dict[str, str]:
    """The encoded state of the match statuses ``rec`` (see the module docstring); integers
    in their smallest dtype and statuses 4 to a byte, so that compressing takes little time."""
    return encode_arrays(
        {
            "status": _pack(rec.dt_status),
            "score": rec.dt_score,
            "rank": _small(rec.dt_rank),
            "image": _small(rec.dt_image),
            "cat_start": _small(rec.cat_start),
            "regular": _small(rec.regular),
        }
    )


def read_state(
    doc: Mapping[str, Any], n_img: int, n_k: int, n_a: int, n_t: int, where: str
) -> MatchState:
    """The :class:`MatchState` of a document's ``"state"``, checked against the parameters'
    ``n_img`` images, ``n_k`` categories, ``n_a`` area ranges and ``n_t`` thresholds."""
    arrays = state_of(doc, where, "the match statuses every number is computed from")
    for name, (kinds, ndim) in _ARRAYS.items():
        take(arrays, name, where, kinds, ndim)
    score = arrays["score"].astype(np.float64)
    rank, image = arrays["rank"].astype(np.int32), arrays["image"].astype(np.int32)
    cat_start, regular = arrays["cat_start"].astype(np.int64), arrays["regular"].astype(np.int32)
    n_det = score.size
    packed = arrays["status"]
    ok = (
        packed.size == -(-n_a * n_t * n_det // 4)
        and bool(np.all(packed & (packed >> 1) & 0b01010101 == 0))  # no status 3
        and rank.size == image.size == n_det
        and cat_start.size == n_k + 1
        and regular.shape == (n_a, n_k * n_img)
        and (n_det == 0 or (image.min() >= 0 and image.max() < n_img))
        and (cat_start.size == 0 or (cat_start[0] == 0 and cat_start[-1] == n_det))
        and bool(np.all(np.diff(cat_start) >= 0))
    )
    if not ok:
        raise StateError(
            f"{where}: the state's arrays do not fit its parameters ({n_img} images, {n_k} "
            f"categories, {n_a} area ranges, {n_t} IoU thresholds): {packed.size} bytes of "
            f"statuses, {n_det} detections, cat_start {cat_start.shape}, regular "
            f"{regular.shape}."
        )
    status = _unpack(packed, (n_a, n_t, n_det))
    return MatchState(
        dt_image=image, dt_score=score, dt_rank=rank, cat_start=cat_start, dt_status=status,
        regular=regular, n_img=n_img,
    )  # fmt: skip


def result_doc(result: Any, numbers: dict[str, Any], protocol: str) -> dict[str, Any]:
    """A detection result's ``to_dict``: its ``numbers`` (its stats and arrays as lists), then
    its per-category rows, summary, parameters, kind, protocol and, when it has match
    statuses, their state."""
    out = {
        **numbers,
        "per_category": result.per_category(),
        "summary": result.summary(),
        "params": params_dict(result.params),
        "kind": "detection",
        "protocol": protocol,
    }
    if result._records is not None:
        out["state"] = state_arrays(result._records)
    return out


def load_doc(
    doc: Any, params_cls: Any, key: str, pooled: bool, where: str
) -> tuple[Any, MatchState, tuple[str, ...]]:
    """``(params, match statuses, category names)`` of a :func:`result_doc` document that has
    ``key`` (``"stats"``: COCO, ``"results"``: LVIS); ``pooled``: one category when the
    parameters say ``use_cats=False``."""
    cls = where.split(".")[0]
    if not isinstance(doc, Mapping) or doc.get("kind") != "detection" or key not in doc:
        raise StateError(f"{where}: expected a document of {cls}.to_dict().")
    p = params_from(params_cls, doc.get("params"), where)
    n_k = 1 if pooled and not p.use_cats else len(p.cat_ids)
    n_a, n_t = len(p.area_ranges), len(p.iou_thresholds)
    state = read_state(doc, len(p.img_ids), n_k, n_a, n_t, where)
    return p, state, category_names(doc, n_k, where)


def category_names(doc: Mapping[str, Any], n_k: int, where: str) -> tuple[str, ...]:
    """The names of the document's ``per_category`` rows (``n_k`` of them)."""
    rows = doc.get("per_category")
    if not isinstance(rows, list) or len(rows) != n_k:
        got = len(rows) if isinstance(rows, list) else type(rows).__name__
        raise StateError(f'{where}: expected {n_k} "per_category" rows; got {got}.')
    return tuple(str(row["name"]) for row in rows)


def loaded_error(cls: str, func: str) -> ParameterError:
    """The error of a method that needs what a JSON state does not keep."""
    return ParameterError(
        f"{cls}.{func}: this result was loaded from JSON (from_dict / load_result) or evaluated "
        "in shards (`executor`, `shards`), which keeps the match statuses but not the "
        "ground-truth ids and IoUs it needs; expected a result of a one-pass evaluation: "
        "evaluate again without `executor` and `shards` to get them."
    )
