"""Streaming COCO evaluation: :class:`DetectionEvaluator`, for use inside a training loop.

The evaluator keeps every image's ground truth and detections in columns (one NumPy array per
field, masks as compressed RLE strings, never dense); :meth:`DetectionEvaluator.result` builds
the COCO ground-truth dict and result list from them and calls
:func:`ioukit.coco_evaluate`, so its numbers are exactly those of pycocotools on the
equivalent JSON. Evaluators of image-disjoint shards merge (``+``, :meth:`merge`,
:meth:`all_reduce`) into exactly the one-pass result, whatever the order.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ioukit._errors import (
    TORCH_HINT,
    InputError,
    MissingDependencyError,
    ParameterError,
    StateError,
)
from ioukit._xp import to_numpy
from ioukit.detection import _coco_params as _params
from ioukit.detection import coco as _coco
from ioukit.detection._coco_load import FUNC
from ioukit.detection.result import COCOResult
from ioukit.geometry import rle
from ioukit.geometry.box_formats import BOX_FORMATS, box_convert

__all__ = ["DetectionEvaluator"]

_NDArray = np.ndarray[Any, Any]
_NAME = "DetectionEvaluator"
_VERSION = 1
# column name -> dtype; "rles" (a list of str) is kept beside the arrays
_GT = {
    "image": np.int64,
    "boxes": np.float64,
    "labels": np.int64,
    "crowd": bool,
    "area": np.float64,
}
_DT = {"image": np.int64, "boxes": np.float64, "labels": np.int64, "scores": np.float64}


def _empty(spec: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: np.zeros((0, 4) if k == "boxes" else 0, v) for k, v in spec.items()}
    out["rles"] = []
    return out


def _concat(parts: Sequence[Mapping[str, Any]], spec: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: np.concatenate([p[k] for p in parts]).astype(v) for k, v in spec.items()
    }
    out["rles"] = [s for p in parts for s in p["rles"]]
    return out


class DetectionEvaluator:
    """COCO detection / instance-segmentation AP and AR, accumulated batch by batch.

    Parameters
    ----------
    iou_type : {"bbox", "segm"}, default "bbox"
        Overlap of boxes or of masks.
    box_format : {"xyxy", "xywh", "cxcywh"}, default "xyxy"
        Format of the ``boxes`` passed to :meth:`update` (converted to COCO's xywh).
    iou_thresholds, recall_thresholds, max_dets, area_ranges, use_cats, img_ids, cat_ids
        As in :func:`ioukit.coco_evaluate`; validated here, once.

    Notes
    -----
    A ground truth without ``"area"`` gets its mask area (``"segm"``) or its box area
    (``"bbox"``); torchmetrics uses the box area for both, pycocotools reads the JSON field.
    Detections under ``"segm"`` are passed without boxes, so their area is the mask area (the
    *segm branch* of pycocotools' ``loadRes``). Categories are the labels seen in ground truth
    or detections; one without ground truth is -1 and left out of the means, as in COCO.
    Images are sorted by id in :meth:`result`; each image keeps its detections in the order
    given, so ties in score resolve as in one pass.

    Examples
    --------
    >>> import numpy as np
    >>> import ioukit
    >>> ev = ioukit.DetectionEvaluator()
    >>> preds = [{"boxes": np.array([[10.0, 10, 50, 50]]), "scores": np.array([0.9]),
    ...           "labels": np.array([1])}]
    >>> targets = [{"boxes": np.array([[10.0, 10, 50, 50]]), "labels": np.array([1])}]
    >>> ev.update(preds, targets)
    >>> ev.num_images
    1
    >>> round(float(ev.result().stats[0]), 6)
    1.0
    """

    def __init__(
        self,
        *,
        iou_type: str = "bbox",
        box_format: str = "xyxy",
        iou_thresholds: Sequence[float] | None = None,
        recall_thresholds: Sequence[float] | None = None,
        max_dets: Sequence[int] = (1, 10, 100),
        area_ranges: Mapping[str, tuple[float, float]] | None = None,
        use_cats: bool = True,
        img_ids: Sequence[int] | None = None,
        cat_ids: Sequence[int] | None = None,
    ) -> None:
        for name, value, choices in (
            ("iou_type", iou_type, _params._IOU_TYPES),
            ("box_format", box_format, BOX_FORMATS),
        ):
            if value not in choices:
                raise ParameterError(
                    f"{_NAME}: `{name}` must be one of {list(choices)}; got {value!r}."
                )
        try:
            ious = _params._levels("iou_thresholds", iou_thresholds, np.linspace(0.5, 0.95, 10))
            recs = _params._levels("recall_thresholds", recall_thresholds, np.linspace(0, 1, 101))
            dets = _params._max_dets(max_dets)
            areas = _params._area_ranges(area_ranges)
            imgs = None if img_ids is None else _params._ids("img_ids", img_ids, [])
            cats = None if cat_ids is None else _params._ids("cat_ids", cat_ids, [])
        except ParameterError as exc:
            raise ParameterError(str(exc).replace(FUNC, _NAME, 1)) from None
        self.iou_type = iou_type
        self.box_format = box_format
        self._config_dict: dict[str, Any] = {
            "iou_type": iou_type,
            "box_format": box_format,
            "iou_thresholds": list(ious),
            "recall_thresholds": list(recs),
            "max_dets": list(dets),
            "area_ranges": [[label, lo, hi] for label, lo, hi in areas],
            "use_cats": bool(use_cats),
            "img_ids": None if imgs is None else list(imgs),
            "cat_ids": None if cats is None else list(cats),
        }
        self.reset()

    # -- state ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every image seen so far (the configuration stays)."""
        self._ids: list[int] = []
        self._sizes: list[tuple[int, int]] = []
        self._seen: set[int] = set()
        self._gt_parts: list[dict[str, Any]] = []
        self._dt_parts: list[dict[str, Any]] = []
        self._next_id = 0

    @property
    def num_images(self) -> int:
        """The number of images seen so far."""
        return len(self._ids)

    def _config(self) -> dict[str, Any]:
        return copy.deepcopy(self._config_dict)

    def _columns(self) -> tuple[dict[str, Any], dict[str, Any]]:
        gt = _concat(self._gt_parts, _GT) if self._gt_parts else _empty(_GT)
        dt = _concat(self._dt_parts, _DT) if self._dt_parts else _empty(_DT)
        self._gt_parts, self._dt_parts = [gt], [dt]
        return gt, dt

    # -- update --------------------------------------------------------------------------
    def update(
        self,
        preds: Sequence[Mapping[str, Any]],
        targets: Sequence[Mapping[str, Any]],
        *,
        image_ids: Sequence[int] | None = None,
    ) -> None:
        """Add a batch of images: ``preds[i]`` and ``targets[i]`` belong to one image.

        Parameters
        ----------
        preds : list of dict
            Per image: ``"boxes"`` (N, 4) in ``box_format`` (needed for ``"bbox"``),
            ``"scores"`` (N,), ``"labels"`` (N,) integer categories, and ``"masks"``
            (N, H, W) bool for ``"segm"``. NumPy arrays, torch tensors (CPU or CUDA: copied
            to host) or lists.
        targets : list of dict
            Per image: ``"boxes"`` (M, 4) (needed for ``"bbox"``), ``"labels"`` (M,),
            optionally ``"iscrowd"`` (M,) and ``"area"`` (M,), and ``"masks"`` (M, H, W) for
            ``"segm"``. Masks are stored as RLE, never dense.
        image_ids : sequence of int, optional
            The images' ids; by default the next free integers from 0.

        Raises
        ------
        InputError
            For lists of different lengths, a missing field, arrays of the wrong shape, boxes
            with non-finite values or negative size, non-finite scores, masks of different
            sizes within an image, or an image id seen before (the message names it).
        """
        func = f"{_NAME}.update"
        if not isinstance(preds, Sequence) or not isinstance(targets, Sequence):
            raise InputError(
                f"{func}: `preds` and `targets` must be lists of dicts (one per image); got "
                f"{type(preds).__name__} and {type(targets).__name__}."
            )
        if len(preds) != len(targets):
            raise InputError(
                f"{func}: `preds` and `targets` must have one entry per image each; got "
                f"{len(preds)} and {len(targets)}."
            )
        ids = self._new_ids(func, len(preds), image_ids)
        gts, dts, sizes = [], [], []
        for i, (p, t) in enumerate(zip(preds, targets, strict=True)):
            g, size = self._target(func, i, t, ids[i])
            gts.append(g)
            dts.append(self._pred(func, i, p, ids[i], size))
            sizes.append(size)
        self._ids.extend(ids)
        self._seen.update(ids)
        self._sizes.extend(sizes)
        self._gt_parts.extend(gts)
        self._dt_parts.extend(dts)
        self._next_id = max(self._next_id, max(ids, default=-1) + 1)

    def _new_ids(self, func: str, n: int, image_ids: Sequence[int] | None) -> list[int]:
        if image_ids is None:
            ids = list(range(self._next_id, self._next_id + n))
        else:
            raw = to_numpy(image_ids) if not isinstance(image_ids, list) else image_ids
            ids = [_int(func, f"image_ids[{j}]", v) for j, v in enumerate(list(raw))]
            if len(ids) != n:
                raise InputError(
                    f"{func}: `image_ids` must have one id per image ({n}); got {len(ids)}."
                )
        seen: set[int] = set()
        for v in ids:
            if v in self._seen or v in seen:
                raise InputError(
                    f"{func}: image id {v} was already added; every image must be added once."
                )
            seen.add(v)
        return ids

    def _target(
        self, func: str, i: int, t: Mapping[str, Any], img: int
    ) -> tuple[dict[str, Any], tuple[int, int]]:
        arg = f"targets[{i}]"
        labels = _labels(func, arg, _get(func, arg, t, "labels"))
        n = labels.size
        boxes = self._boxes(func, arg, t, n)
        crowd = np.zeros(n, bool)
        if t.get("iscrowd") is not None:
            crowd = _vector(func, f"{arg}['iscrowd']", t["iscrowd"], n) != 0
        rles, size = self._masks(func, arg, t, n, None)
        if t.get("area") is not None:
            area = _vector(func, f"{arg}['area']", t["area"], n)
            if not np.isfinite(area).all():
                raise InputError(f"{func}: `{arg}['area']` must be finite; got {area.tolist()}.")
        elif self.iou_type == "segm":
            area = rle.area(_as_rles(rles, size)).astype(np.float64).reshape(n)
        else:
            area = boxes[:, 2] * boxes[:, 3]
        cols = {"image": np.full(n, img), "boxes": boxes, "labels": labels, "crowd": crowd}
        return {**cols, "area": area, "rles": rles}, size

    def _pred(
        self, func: str, i: int, p: Mapping[str, Any], img: int, size: tuple[int, int]
    ) -> dict[str, Any]:
        arg = f"preds[{i}]"
        labels = _labels(func, arg, _get(func, arg, p, "labels"))
        n = labels.size
        scores = _vector(func, f"{arg}['scores']", _get(func, arg, p, "scores"), n)
        if not np.isfinite(scores).all():
            raise InputError(f"{func}: `{arg}['scores']` must be finite; got {scores.tolist()}.")
        boxes = self._boxes(func, arg, p, n)
        rles, _ = self._masks(func, arg, p, n, size)
        cols = {"image": np.full(n, img), "boxes": boxes, "labels": labels, "scores": scores}
        return {**cols, "rles": rles}

    def _boxes(self, func: str, arg: str, d: Mapping[str, Any], n: int) -> _NDArray:
        if self.iou_type == "segm" and d.get("boxes") is None:
            return np.zeros((n, 4))
        raw = np.asarray(to_numpy(_get(func, arg, d, "boxes")), dtype=np.float64)
        if raw.size == 0 and n == 0:
            return np.zeros((0, 4))
        if raw.shape != (n, 4):
            raise InputError(
                f"{func}: `{arg}['boxes']` must have shape ({n}, 4) (one box per label); got "
                f"{raw.shape}."
            )
        boxes = np.asarray(box_convert(raw, in_fmt=self.box_format, out_fmt="xywh"))
        bad = ~(np.isfinite(boxes).all(axis=1) & (boxes[:, 2] >= 0) & (boxes[:, 3] >= 0))
        if bad.any():
            j = int(np.argmax(bad))
            raise InputError(
                f"{func}: `{arg}['boxes'][{j}]` must be finite with non-negative width and "
                f"height ({self.box_format}); got {raw[j].tolist()}."
            )
        return boxes.astype(np.float64)

    def _masks(
        self, func: str, arg: str, d: Mapping[str, Any], n: int, size: tuple[int, int] | None
    ) -> tuple[list[str], tuple[int, int]]:
        if self.iou_type != "segm":
            return [], (-1, -1)
        masks = to_numpy(_get(func, arg, d, "masks"))
        if masks.ndim != 3 or masks.shape[0] != n:
            raise InputError(
                f"{func}: `{arg}['masks']` must have shape ({n}, H, W) (one mask per label); "
                f"got {masks.shape}."
            )
        got = (int(masks.shape[1]), int(masks.shape[2]))
        if size is not None and got != size:
            raise InputError(
                f"{func}: `{arg}['masks']` are {got[0]}x{got[1]}, but the image's target "
                f"masks are {size[0]}x{size[1]} (height x width)."
            )
        encoded = rle.encode(masks)
        return [r["counts"] for r in (encoded if isinstance(encoded, list) else [encoded])], got

    # -- combining -----------------------------------------------------------------------
    def merge(self, other: DetectionEvaluator) -> DetectionEvaluator:
        """A new evaluator holding the images of both (they must share no image id)."""
        func = f"{_NAME}.merge"
        if not isinstance(other, DetectionEvaluator):
            raise InputError(f"{func}: expected a {_NAME}; got {type(other).__name__}.")
        _same_config(func, self._config_dict, other._config_dict)
        out = copy.copy(self)
        out.reset()
        out._absorb(func, [self, other])
        return out

    def __add__(self, other: object) -> DetectionEvaluator:
        if not isinstance(other, DetectionEvaluator):
            return NotImplemented
        return self.merge(other)

    def _absorb(self, func: str, evaluators: Sequence[DetectionEvaluator]) -> None:
        ids = [v for ev in evaluators for v in ev._ids]
        seen: set[int] = set()
        for v in ids:
            if v in seen:
                raise InputError(
                    f"{func}: image id {v} is in more than one evaluation; only image-disjoint "
                    "evaluations can merge (pass distinct `image_ids` to update)."
                )
            seen.add(v)
        cols = [ev._columns() for ev in evaluators]
        self._ids, self._seen = ids, seen
        self._sizes = [s for ev in evaluators for s in ev._sizes]
        self._gt_parts = [_concat([c[0] for c in cols], _GT)]
        self._dt_parts = [_concat([c[1] for c in cols], _DT)]
        self._next_id = max(ids, default=-1) + 1

    def all_reduce(self, group: Any = None) -> DetectionEvaluator:
        """Gather the images of every rank of ``torch.distributed`` (in place) with
        ``all_gather_object``; every rank then holds the whole evaluation. A no-op when
        torch.distributed is not initialised. Returns ``self``."""
        try:
            import torch.distributed as dist
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise MissingDependencyError(
                f"{_NAME}.all_reduce needs PyTorch, which is not installed; {TORCH_HINT}."
            ) from exc
        if not dist.is_available() or not dist.is_initialized():
            return self
        states: list[Any] = [None] * dist.get_world_size(group)
        dist.all_gather_object(states, self.state_dict(), group)
        parts = []
        for state in states:
            ev = copy.copy(self)
            ev.reset()
            ev.load_state_dict(state)
            parts.append(ev)
        self._absorb(f"{_NAME}.all_reduce", parts)
        return self

    # -- persistence ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The whole state as plain Python data (``json.dumps`` takes it): the configuration,
        the image ids and sizes, and the ground-truth and detection columns."""
        gt, dt = self._columns()
        return {
            "version": _VERSION,
            "config": self._config(),
            "image_ids": list(self._ids),
            "image_sizes": [list(s) for s in self._sizes],
            "gt": {k: (v if k == "rles" else v.tolist()) for k, v in gt.items()},
            "dt": {k: (v if k == "rles" else v.tolist()) for k, v in dt.items()},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Replace the state with one from :meth:`state_dict` of an evaluator with the same
        configuration; a malformed state or another configuration raises
        :class:`ioukit.StateError`."""
        func = f"{_NAME}.load_state_dict"
        try:
            if state["version"] != _VERSION:
                raise StateError(
                    f"{func}: unknown state version {state['version']!r}; expected {_VERSION}."
                )
            _same_config(func, self._config_dict, state["config"], error=StateError)
            ids = [int(v) for v in state["image_ids"]]
            sizes = [(int(h), int(w)) for h, w in state["image_sizes"]]
            cols = []
            for key, spec in (("gt", _GT), ("dt", _DT)):
                raw = state[key]
                c: dict[str, Any] = {k: np.asarray(raw[k], dtype=v) for k, v in spec.items()}
                c["boxes"] = c["boxes"].reshape(-1, 4)
                c["rles"] = [str(s) for s in raw["rles"]]
                n = len(c["image"])
                lengths = {len(v) for k, v in c.items() if k != "rles"}
                if lengths != {n} or len(c["rles"]) != (n if self.iou_type == "segm" else 0):
                    raise ValueError(f"the {key!r} columns have different lengths")
                if len(sizes) != len(ids) or not set(c["image"].tolist()) <= set(ids):
                    raise ValueError(f"the {key!r} columns name images not in 'image_ids'")
                cols.append(c)
        except StateError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise StateError(
                f"{func}: `state` is not a state of {_NAME}.state_dict ({exc!r})."
            ) from None
        self.reset()
        self._ids, self._seen, self._sizes = ids, set(ids), sizes
        self._gt_parts, self._dt_parts = [cols[0]], [cols[1]]
        self._next_id = max(ids, default=-1) + 1

    # -- result --------------------------------------------------------------------------
    def coco(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The COCO ground-truth dict and result list of everything seen so far, images sorted
        by id (what :meth:`result` passes to :func:`ioukit.coco_evaluate`)."""
        gt, dt = self._columns()
        segm = self.iou_type == "segm"
        order = sorted(range(len(self._ids)), key=self._ids.__getitem__)
        images = []
        for j in order:
            img: dict[str, Any] = {"id": self._ids[j]}
            if segm:
                img["height"], img["width"] = self._sizes[j]
            images.append(img)
        cats = sorted(set(gt["labels"].tolist()) | set(dt["labels"].tolist()))
        size = dict(zip(self._ids, self._sizes, strict=True))
        anns = _records(
            gt, {"area": gt["area"], "iscrowd": gt["crowd"].astype(np.int64)}, size, segm=segm
        )
        for n, a in enumerate(anns, start=1):
            a["id"] = n  # never 0: COCO cannot match a ground truth with id 0
        results = _records(dt, {"score": dt["scores"]}, size, segm=segm)
        categories = [{"id": c, "name": str(c)} for c in cats]
        return {"images": images, "annotations": anns, "categories": categories}, results

    def result(self) -> COCOResult:
        """COCO AP/AR of everything seen so far: :func:`ioukit.coco_evaluate` on
        :meth:`coco`, with this evaluator's options.

        Raises
        ------
        InputError
            When no detection has been added (pycocotools cannot evaluate that either).
        """
        gt, dt = self.coco()
        if not dt:
            raise InputError(
                f"{_NAME}.result: no detections were added ({self.num_images} images); COCO "
                "evaluation needs at least one detection."
            )
        c = self._config_dict
        return _coco.coco_evaluate(
            gt, dt, iou_type=c["iou_type"], iou_thresholds=c["iou_thresholds"],
            recall_thresholds=c["recall_thresholds"], max_dets=c["max_dets"],
            area_ranges={label: (lo, hi) for label, lo, hi in c["area_ranges"]},
            use_cats=c["use_cats"], img_ids=c["img_ids"], cat_ids=c["cat_ids"],
        )  # fmt: skip


# ----------------------------------------------------------------------------- helpers


def _same_config(
    func: str, mine: Mapping[str, Any], other: Any, *, error: type[InputError] = InputError
) -> None:
    if not isinstance(other, Mapping):
        raise error(f"{func}: the configuration must be a dict; got {type(other).__name__}.")
    diff = [k for k in mine if other.get(k) != mine[k]]
    if diff:
        details = "; ".join(f"{k}: {mine[k]!r} here, {other.get(k)!r} there" for k in diff)
        raise error(
            f"{func}: the evaluators differ in {', '.join(diff)} ({details}); only evaluations "
            "with the same configuration can be combined."
        )


def _get(func: str, arg: str, d: Mapping[str, Any], key: str) -> Any:
    if not isinstance(d, Mapping):
        raise InputError(f"{func}: `{arg}` must be a dict; got {type(d).__name__}.")
    if d.get(key) is None:
        raise InputError(f"{func}: `{arg}` must have a {key!r} entry; got keys {sorted(d)}.")
    return d[key]


def _vector(func: str, arg: str, value: Any, n: int) -> _NDArray:
    try:
        out = np.asarray(to_numpy(value), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{func}: `{arg}` must be numbers; got {value!r} ({exc}).") from None
    if out.size == 0 and n == 0:
        return np.zeros(0)
    if out.shape != (n,):
        raise InputError(f"{func}: `{arg}` must have shape ({n},); got {out.shape}.")
    return out


def _labels(func: str, arg: str, value: Any) -> _NDArray:
    out = np.asarray(to_numpy(value))
    if out.size == 0:
        return np.zeros(0, np.int64)
    flat = out.astype(np.float64, copy=False) if out.dtype.kind in "biuf" else None
    if out.ndim != 1 or flat is None or not np.array_equal(flat, np.round(flat)):
        raise InputError(
            f"{func}: `{arg}['labels']` must be a 1-D array of integer labels; got shape "
            f"{out.shape} and dtype {out.dtype}."
        )
    return out.astype(np.int64)


def _int(func: str, arg: str, v: Any) -> int:
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return int(v)
    raise InputError(f"{func}: `{arg}` must be an int image id; got {v!r}.")


def _rle_dict(counts: str, size: tuple[int, int]) -> dict[str, Any]:
    return {"size": list(size), "counts": counts}


def _records(
    cols: Mapping[str, Any],
    fields: Mapping[str, _NDArray],
    size: Mapping[int, tuple[int, int]],
    *,
    segm: bool,
) -> list[dict[str, Any]]:
    """One COCO dict per row of ``cols``, sorted by image id (stable: file order within an
    image), with ``fields`` besides the image, category, and box (xywh) or RLE mask."""
    order = np.argsort(cols["image"], kind="stable")
    image = cols["image"][order].tolist()
    data = {"image_id": image, "category_id": cols["labels"][order].tolist()}
    data.update({name: values[order].tolist() for name, values in fields.items()})
    if segm:  # masks, no boxes: a result's area is its mask area
        rles = [cols["rles"][k] for k in order.tolist()]
        data["segmentation"] = [_rle_dict(c, size[i]) for c, i in zip(rles, image, strict=True)]
    else:
        data["bbox"] = cols["boxes"][order].tolist()
    return [dict(zip(data, row, strict=True)) for row in zip(*data.values(), strict=True)]


def _as_rles(counts: list[str], size: tuple[int, int]) -> list[dict[str, Any]]:
    return [_rle_dict(c, size) for c in counts]
