"""Reading COCO ground truth and results (files or Python objects) into columns.

A file of :data:`FAST_READER_MIN_BYTES` or more is read by the compiled reader
(:mod:`ioukit.detection._coco_fast`) straight into columns; a dict, a list, a smaller file, or a
file that reader leaves to Python (non-integer ids, anything to report) goes through Python's
``json`` and one pass over the annotation dicts builds the same columns. The evaluation never
touches a dict again. The rules are those of pycocotools 2.0.11 (``COCO.loadRes``): a result
list takes the *bbox branch* when its first item has a non-empty ``bbox`` (area ``w * h``, a box
polygon as segmentation when it has none), otherwise the *segm branch* (area and box from the
RLE).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ioukit._errors import InputError
from ioukit.detection._coco_fast import MaskTable, fast_gt, fast_results, read_bytes
from ioukit.geometry import rle

FUNC = "coco_evaluate"

#: Files from this size on are read by the compiled reader, whose kernels take 3-5 s to compile
#: on a fresh install: a sample file should not pay that. Below it Python's ``json`` and the
#: dict path cost about the same for boxes, at most twice as much for polygon masks (measured
#: at 1.2 + 1.6 MB: 55 against 53 ms, and 112 against 51 ms), and less than the reader below
#: ~100 KB. The two readers give the same columns: the size changes speed, never a result.
FAST_READER_MIN_BYTES = 1 << 20

_NDArray = np.ndarray[Any, Any]


@dataclass(frozen=True)
class GroundTruth:
    """COCO ground truth in columns (annotations in file order). Id columns are int64 arrays
    when every id is an int, else object arrays; ``segmentation`` is a list of the JSON
    values, or a :class:`~ioukit.detection._coco_fast.MaskTable`."""

    img_ids: list[Any]
    img_sizes: dict[Any, tuple[int, int]]
    cat_ids: list[Any]
    cat_names: dict[Any, str]
    image_id: _NDArray
    category_id: _NDArray
    bbox: _NDArray
    area: _NDArray
    crowd: _NDArray
    id_nonzero: _NDArray
    segmentation: Any
    ann_id: _NDArray
    ignore: _NDArray  # the annotations' own ``ignore`` flags (pycocotools overwrites them)


@dataclass(frozen=True)
class Results:
    """Detections in columns (file order); ids and ``segmentation`` as in
    :class:`GroundTruth`."""

    image_id: _NDArray
    category_id: _NDArray
    score: _NDArray
    bbox: _NDArray
    area: _NDArray
    segmentation: Any


def id_column(values: Sequence[Any]) -> _NDArray:
    """Ids as a 1-d array: int64 when they are all ints (bools count as ints, as they do as
    dict keys), else object."""
    if isinstance(values, np.ndarray) and values.dtype == np.int64:
        return values
    try:
        arr = np.array(values)
    except (ValueError, OverflowError):
        arr = np.zeros(0, dtype=object)
    if arr.ndim == 1 and arr.shape[0] == len(values) and arr.dtype.kind in "iub":
        return arr.astype(np.int64)
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _all_ints(values: Sequence[Any]) -> bool:
    return all(type(v) is int for v in values)


def _path_bytes(value: Any) -> _NDArray | None:
    if not isinstance(value, (str, os.PathLike)):
        return None
    try:
        return read_bytes(value)
    except OSError:
        return None  # reported by _read


def _fast(buf: _NDArray | None) -> bool:
    """Whether a file's bytes go to the compiled reader (see :data:`FAST_READER_MIN_BYTES`)."""
    return buf is not None and buf.size >= FAST_READER_MIN_BYTES


def _parse(arg: str, path: Any, buf: _NDArray) -> Any:
    """The JSON of a file already read, with Python's ``json``."""
    try:
        return json.loads(buf.tobytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{FUNC}: cannot read `{arg}` from {str(path)!r}: {e}") from e


def _read(arg: str, value: Any, kind: type) -> Any:
    if isinstance(value, (str, os.PathLike)):
        try:
            with open(value, encoding="utf-8") as f:
                value = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise InputError(f"{FUNC}: cannot read `{arg}` from {str(value)!r}: {e}") from e
    if not isinstance(value, kind):
        want = "a dict (COCO annotation file)" if kind is dict else "a list of result dicts"
        raise InputError(f"{FUNC}: `{arg}` must be a path or {want}; got {type(value).__name__}.")
    return value


def _field(arg: str, items: Sequence[Any], key: str, what: str) -> list[Any]:
    try:
        return [item[key] for item in items]
    except (KeyError, TypeError):
        for i, item in enumerate(items):
            if not isinstance(item, Mapping) or key not in item:
                raise InputError(
                    f"{FUNC}: `{arg}[{i}]` must have a {key!r} field ({what}); got {_short(item)}."
                ) from None
        raise


def _short(item: Any) -> str:
    text = repr(item)
    return text if len(text) <= 120 else text[:117] + "..."


def _numbers(arg: str, items: Sequence[Any], values: list[Any], key: str) -> _NDArray:
    """A float64 column of finite numbers."""
    try:
        out = np.array(values, dtype=np.float64)
        ok = out.ndim == 1 and bool(np.isfinite(out).all())
    except (TypeError, ValueError):
        ok = False
    if ok:
        return out
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise InputError(
                f"{FUNC}: `{arg}[{i}][{key!r}]` must be a finite number; got {v!r} in "
                f"{_short(items[i])}."
            )
    raise InputError(f"{FUNC}: `{arg}` has a malformed {key!r} field.")  # pragma: no cover


def _boxes(arg: str, items: Sequence[Any], values: list[Any]) -> _NDArray:
    """An ``(N, 4)`` float64 array of xywh boxes of finite, non-negative size."""
    try:
        out = np.array(values, dtype=np.float64).reshape(len(values), 4)
        bad = ~(np.isfinite(out).all(axis=1) & (out[:, 2] >= 0) & (out[:, 3] >= 0))
    except (TypeError, ValueError):
        out, bad = None, None
    if out is not None and bad is not None and not bad.any():
        return out
    for i, v in enumerate(values):
        try:
            box = np.array(v, dtype=np.float64)
            ok = box.shape == (4,) and bool(np.isfinite(box).all()) and bool((box[2:] >= 0).all())
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise InputError(
                f"{FUNC}: `{arg}[{i}]['bbox']` must be [x, y, width, height] with finite "
                f"numbers and width, height >= 0; got {v!r}."
            )
    raise InputError(f"{FUNC}: `{arg}` has malformed boxes.")  # pragma: no cover


def load_gt(gt: Any, *, need_boxes: bool) -> GroundTruth:
    """Read and check a COCO annotation dict (or file)."""
    buf = _path_bytes(gt)
    if buf is not None:
        fields = fast_gt(buf, need_boxes=need_boxes) if _fast(buf) else None
        if fields is not None:
            return GroundTruth(**fields)
        gt = _parse("gt", gt, buf)
    data = _read("gt", gt, dict)
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise InputError(
                f"{FUNC}: `gt` must have a list {key!r} (a COCO annotation file); got "
                f"{type(data.get(key)).__name__}."
            )
    images = data["images"]
    img_ids = _field("gt['images']", images, "id", "the image id")
    sizes: dict[Any, tuple[int, int]] = {}
    for i, (img, img_id) in enumerate(zip(images, img_ids, strict=True)):
        if img_id in sizes:
            raise InputError(
                f"{FUNC}: `gt['images']` must have distinct ids; image id {img_id!r} appears "
                f"again at `gt['images'][{i}]`."
            )
        sizes[img_id] = (img.get("height", -1), img.get("width", -1))
    cats = data["categories"]
    cat_ids = _field("gt['categories']", cats, "id", "the category id")
    names = {c: str(cat.get("name", c)) for c, cat in zip(cat_ids, cats, strict=True)}
    anns = data["annotations"]
    arg = "gt['annotations']"
    image_id = _field(arg, anns, "image_id", "the image id")
    category_id = _field(arg, anns, "category_id", "the category id")
    area = _numbers(arg, anns, _field(arg, anns, "area", "the object's area"), "area")
    crowd = np.array([bool(a.get("iscrowd", 0)) for a in anns], dtype=bool)
    ignore = np.array([bool(a.get("ignore", 0)) for a in anns], dtype=bool)
    ann_id = id_column([a.get("id", 0) for a in anns])
    id_nonzero = np.array([v != 0 for v in ann_id.tolist()], dtype=bool)
    if need_boxes:
        bbox = _boxes(arg, anns, _field(arg, anns, "bbox", "the box [x, y, w, h]"))
        segmentation: list[Any] = []
    else:
        bbox = np.zeros((len(anns), 4))
        segmentation = _field(arg, anns, "segmentation", "the mask (polygons or RLE)")
    return GroundTruth(
        img_ids, sizes, cat_ids, names, id_column(image_id), id_column(category_id), bbox, area,
        crowd, id_nonzero, segmentation, ann_id, ignore,
    )  # fmt: skip


def load_results(
    dt: Any,
    gt: GroundTruth,
    *,
    need_masks: bool,
    allow_empty: bool = False,
    unknown_categories: str = "error",
    lazy_area: bool = False,
) -> Results:
    """Read and check a COCO result list (or file), following ``COCO.loadRes``; an empty
    list is an error unless ``allow_empty``, a result whose category is not in ``gt`` unless
    ``unknown_categories="keep"`` (TIDE counts such results as errors). ``lazy_area``: RLE
    results read from a file may keep NaN areas (and boxes) for the evaluation to fill."""
    buf = _path_bytes(dt)
    if buf is not None:
        fields = None
        if _fast(buf) and isinstance(gt.image_id, np.ndarray) and gt.image_id.dtype == np.int64:
            ids = np.array(gt.img_ids, dtype=np.int64)
            hw = np.array([gt.img_sizes[i] for i in gt.img_ids], np.int64).reshape(-1, 2)
            keep = unknown_categories == "keep"
            if keep or _all_ints(gt.cat_ids):
                cats = None if keep else np.array(gt.cat_ids, dtype=np.int64)
                fields = fast_results(
                    buf, ids, cats, (hw[:, 0], hw[:, 1]), need_masks=need_masks,
                    lazy_area=lazy_area,
                )  # fmt: skip
        if fields is not None:
            return Results(**fields)
        dt = _parse("dt", dt, buf)
    anns = _read("dt", dt, list)
    if not anns and allow_empty:
        none = np.zeros(0, np.int64)
        return Results(none, none, np.zeros(0), np.zeros((0, 4)), np.zeros(0), [])
    if not anns:
        raise InputError(
            f"{FUNC}: `dt` (the results) is empty; pycocotools cannot evaluate an empty result "
            "list either (it raises IndexError). Pass at least one detection."
        )
    image_id = _field("dt", anns, "image_id", "the image id")
    unknown = [i for i, v in enumerate(image_id) if v not in gt.img_sizes]
    if unknown:
        i = unknown[0]
        raise InputError(
            f"{FUNC}: `dt[{i}]` has image_id {image_id[i]!r}, which is not an image of `gt` "
            f"({len(unknown)} result(s) have unknown image ids)."
        )
    category_id = _field("dt", anns, "category_id", "the category id")
    gt_cats = set(gt.cat_ids)
    unknown = (
        []
        if unknown_categories == "keep"
        else [i for i, v in enumerate(category_id) if v not in gt_cats]
    )
    if unknown:
        i = unknown[0]
        try:
            shown = sorted(gt_cats)
        except TypeError:  # ids of mixed types
            shown = sorted(gt_cats, key=str)
        known = shown if len(shown) <= 8 else [*shown[:4], "...", *shown[-2:]]
        raise InputError(
            f"{FUNC}: `dt[{i}]` has category_id {category_id[i]!r}, which is not a category of "
            f"`gt` ({len(unknown)} result(s) have unknown category ids; gt's are "
            f"{', '.join(map(str, known))}). pycocotools drops such results silently, which "
            "scores them as misses; check the category mapping (0- or 1-based?)."
        )
    score = _numbers("dt", anns, _field("dt", anns, "score", "the confidence"), "score")
    first = anns[0]
    if isinstance(first, Mapping) and "bbox" in first and first["bbox"] != []:
        bbox = _boxes("dt", anns, _field("dt", anns, "bbox", "the box [x, y, w, h]"))
        area = bbox[:, 2] * bbox[:, 3]
        segmentation = []
        if need_masks:
            segmentation = [a.get("segmentation") for a in anns]
            for i, seg in enumerate(segmentation):
                if seg is None:
                    x, y, w, h = anns[i]["bbox"]
                    segmentation[i] = [[x, y, x, y + h, x + w, y + h, x + w, y]]
                elif isinstance(seg, Mapping) and "size" in seg:
                    check_size("dt", i, seg, image_id[i], gt)
        return Results(id_column(image_id), id_column(category_id), score, bbox, area, segmentation)
    if not (isinstance(first, Mapping) and "segmentation" in first):
        raise InputError(
            f"{FUNC}: `dt[0]` must have a 'bbox' or a 'segmentation' field (the first result "
            f"decides the format of all, as in pycocotools); got {_short(first)}."
        )
    segmentation = _field("dt", anns, "segmentation", "an RLE mask")
    for i, s in enumerate(segmentation):
        if not isinstance(s, Mapping) or "counts" not in s or "size" not in s:
            raise InputError(
                f"{FUNC}: `dt[{i}]['segmentation']` must be an RLE dict with 'size' and "
                f"'counts' (results without boxes); got {_short(s)}."
            )
        check_size("dt", i, s, image_id[i], gt)
    area = np.array(checked_areas("dt", list(segmentation), range(len(segmentation))))
    boxes = rle.to_bbox(list(segmentation))
    given = [a.get("bbox") for a in anns]
    rows = [boxes[i] if b is None else b for i, b in enumerate(given)]
    bbox = _boxes("dt", anns, rows) if rows else np.zeros((0, 4))
    return Results(
        id_column(image_id), id_column(category_id), score, bbox, area,
        segmentation if need_masks else [],
    )  # fmt: skip


def checked_areas(arg: str, rles: list[Any], rows: Any) -> _NDArray:
    """The areas of RLE dicts (float64); a malformed one is reported as ``arg[row]``'s
    segmentation (``rows[j]`` is the position of ``rles[j]`` in ``arg``)."""
    try:
        return rle.area(rles).astype(np.float64).reshape(-1)
    except InputError as e:
        found = re.match(r"^\w+: `rle\[(\d+)\]`(.*)$", str(e), re.S)
        if found is None:
            raise
        row = list(rows)[int(found.group(1))]
        raise InputError(f"{FUNC}: `{arg}[{int(row)}]['segmentation']`{found.group(2)}") from None


def to_rles(arg: str, segs: Any, image_ids: Any, indices: Any, gt: GroundTruth) -> list[Any]:
    """The masks ``segs[i]`` (a list or a :class:`MaskTable`) for ``i`` in ``indices`` as RLEs
    of their image's size, as ``COCO.annToRLE``: polygons rasterised, uncompressed counts
    compressed, compressed RLEs checked against the image size."""
    out: list[Any] = []
    table = isinstance(segs, MaskTable)
    for i in map(int, indices):
        seg = segs.item(i) if table else segs[i]
        img = image_ids[i]
        img = img.item() if isinstance(img, np.generic) else img
        h, w = gt.img_sizes[img]
        if isinstance(seg, list):
            if h < 0 or w < 0:
                raise InputError(
                    f"{FUNC}: image {img!r} of `gt` needs 'height' and 'width' to rasterise "
                    f"the polygons of `{arg}[{i}]`."
                )
            out.append(rle.from_polygons(seg, h, w))
            continue
        if not isinstance(seg, Mapping) or "counts" not in seg or "size" not in seg:
            raise InputError(
                f"{FUNC}: `{arg}[{i}]['segmentation']` must be polygons or an RLE dict; got "
                f"{_short(seg)}."
            )
        check_size(arg, i, seg, img, gt)
        out.append(rle.compress(dict(seg)) if isinstance(seg["counts"], list) else seg)
    return out


def check_size(arg: str, i: int, seg: Mapping[str, Any], img: Any, gt: GroundTruth) -> None:
    """An RLE must have its image's size (when ``gt`` gives it)."""
    h, w = gt.img_sizes[img]
    size = list(seg["size"])
    if (h, w) != (-1, -1) and size != [h, w]:
        raise InputError(
            f"{FUNC}: `{arg}[{i}]['segmentation']` has size {size}, but its image "
            f"{img!r} is {[h, w]} (height, width) in `gt`; an RLE must be encoded at its "
            "image's size."
        )
