"""COCO files read straight into columns by the compiled JSON reader
(:mod:`ioukit.kernels.json_columns`): no Python object per annotation.

:func:`fast_gt` and :func:`fast_results` return ``None`` whenever a file holds anything they
leave to the general reader (:mod:`ioukit.detection._coco_load`): ids that are not integers,
a missing or non-numeric field, a malformed box or mask, NaN... That reader then parses the file
with Python's ``json`` and applies its checks, so every error message comes from one place and
the two readers give the same numbers (the tests compare them on every file they read).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ioukit.kernels import json_columns as jc

_NDArray = np.ndarray[Any, Any]

#: mask kinds in :class:`MaskTable`
NO_MASK, RLE_STRING, RLE_COUNTS, POLYGONS = 0, 1, 2, 3


@dataclass(frozen=True)
class MaskTable:
    """Masks in columns: item ``i`` is ``kind[i]``; an RLE has ``height[i]``, ``width[i]``;
    a compressed one its string ``strings[soff[i]:soff[i + 1]]``; uncompressed counts (one
    ring) and polygons (rings) are ``nums[ring_off[r]:ring_off[r + 1]]`` for ``r`` in
    ``ring[i]:ring[i] + n_rings[i]``."""

    kind: _NDArray
    height: _NDArray
    width: _NDArray
    strings: _NDArray
    soff: _NDArray
    nums: _NDArray
    ring_off: _NDArray
    ring: _NDArray
    n_rings: _NDArray

    def __len__(self) -> int:
        return int(self.kind.size)

    def item(self, i: int) -> Any:
        """Item ``i`` as COCO's JSON has it: an RLE dict (counts as bytes or a list of ints)
        or a list of polygons."""
        k = int(self.kind[i])
        rings = [
            self.nums[self.ring_off[r] : self.ring_off[r + 1]]
            for r in range(int(self.ring[i]), int(self.ring[i] + self.n_rings[i]))
        ]
        if k == POLYGONS:
            return [r.tolist() for r in rings]
        size = [int(self.height[i]), int(self.width[i])]
        if k == RLE_COUNTS:
            return {"size": size, "counts": [int(v) for v in rings[0]]}
        if k == RLE_STRING:
            return {"size": size, "counts": self.strings[self.soff[i] : self.soff[i + 1]].tobytes()}
        return None


def read_bytes(value: Any) -> _NDArray:
    """The bytes of a file as uint8."""
    with open(value, "rb") as f:
        return np.frombuffer(f.read(), np.uint8)


def _int_column(c: jc.Columns, key: str, default: int | None = None) -> _NDArray | None:
    j = c.col(key)
    kind = c.kind[j]
    if default is not None:
        ok = (kind == jc.INT) | (kind == jc.MISSING)
        return np.where(kind == jc.INT, c.number[j], default).astype(np.int64) if ok.all() else None
    return c.number[j].astype(np.int64) if (kind == jc.INT).all() else None


def _number_column(c: jc.Columns, key: str) -> _NDArray | None:
    j = c.col(key)
    kind = c.kind[j]
    ok = (kind == jc.INT) | (kind == jc.FLOAT)
    if not ok.all():
        return None
    out = c.number[j].copy()
    return out if bool(np.isfinite(out).all()) else None


def _boxes(c: jc.Columns, rows: _NDArray) -> _NDArray | None:
    """(N, 4) boxes of the objects ``rows`` (all with a NUMBERS ``bbox`` of 4 finite numbers
    and a size >= 0), else None."""
    out = jc.fixed_rings(c, "bbox", rows, 4)
    if out is None or not (np.isfinite(out).all() and (out[:, 2:] >= 0).all()):
        return None
    return out


def _masks(buf: _NDArray, c: jc.Columns, key: str) -> MaskTable | None:
    """The masks of column ``key``: RLE objects (compressed or not) or polygons."""
    j = c.col(key)
    kind = c.kind[j]
    n = kind.size
    out_kind = np.zeros(n, np.int8)
    height = np.full(n, -1, np.int64)
    width = np.full(n, -1, np.int64)
    first, count = c.rings(j)
    ring = first.copy()
    n_rings = np.where(kind == jc.RINGS, count, 0)
    out_kind[kind == jc.RINGS] = POLYGONS
    # polygons need at least one ring of an even number (>= 6) of coordinates: else Python
    is_obj = kind == jc.OTHER
    if not ((kind == jc.RINGS) | is_obj | (kind == jc.MISSING)).all():
        return None
    obj_rows = np.flatnonzero(is_obj)
    strings = np.zeros(0, np.uint8)
    soff = np.zeros(n + 1, np.int64)
    nums, ring_off = c.nums, c.ring_off
    if obj_rows.size:
        if not (buf[c.start[j, obj_rows]] == ord("{")).all():
            return None
        rc = jc.object_columns(buf, c.start[j, obj_rows].astype(np.int64), ("size", "counts"))
        sk = rc.kind[0]
        r_size, n_size = rc.rings(0)
        if not ((sk == jc.NUMBERS) & (n_size == 1)).all():
            return None
        s0 = rc.ring_off[r_size]
        if not ((rc.ring_off[r_size + 1] - s0) == 2).all():
            return None
        hw = rc.nums[s0[:, None] + np.arange(2)]
        if not (np.all(hw >= 0) and np.all(hw == np.floor(hw))):
            return None
        height[obj_rows] = hw[:, 0].astype(np.int64)
        width[obj_rows] = hw[:, 1].astype(np.int64)
        ck = rc.kind[1]
        is_str = ck == jc.STRING
        r_counts, n_counts = rc.rings(1)
        is_cnt = (ck == jc.NUMBERS) & (n_counts == 1)
        if not (is_str | is_cnt).all():
            return None
        str_rows = obj_rows[is_str]
        out_kind[str_rows] = RLE_STRING
        strings, offs = jc.strings(buf, rc.start[1, is_str], rc.end[1, is_str])
        lengths = np.zeros(n, np.int64)
        lengths[str_rows] = np.diff(offs)
        np.cumsum(lengths, out=soff[1:])
        cnt_rows = obj_rows[is_cnt]
        out_kind[cnt_rows] = RLE_COUNTS
        if cnt_rows.size:
            # uncompressed counts: append their rings after the polygon rings
            base_ring = ring_off.size - 1
            src = r_counts[is_cnt]
            lens = rc.ring_off[src + 1] - rc.ring_off[src]
            vals = np.concatenate([rc.nums[rc.ring_off[r] : rc.ring_off[r + 1]] for r in src])
            if not (np.all(vals >= 0) and np.all(vals == np.floor(vals))):
                return None
            nums = np.concatenate([nums, vals])
            ring_off = np.concatenate([ring_off, ring_off[-1] + np.cumsum(lens)])
            ring[cnt_rows] = base_ring + np.arange(cnt_rows.size)
            n_rings[cnt_rows] = 1
    return MaskTable(out_kind, height, width, strings, soff, nums, ring_off, ring, n_rings)


def _root(buf: _NDArray, keys: tuple[str, ...]) -> jc.Columns | None:
    start = 0
    while start < buf.size and buf[start] in b" \t\r\n":
        start += 1
    if start >= buf.size or buf[start] != ord("{"):
        return None
    return jc.object_columns(buf, np.array([start], np.int64), keys)


def _objects(buf: _NDArray, root: jc.Columns, key: str, keys: tuple[str, ...]) -> jc.Columns:
    j = root.col(key)
    if root.kind[j, 0] != jc.OTHER or buf[root.start[j, 0]] != ord("["):
        raise jc.Unusual(f"{key!r} is not a list")
    starts, _ = jc.array_elements(buf, int(root.start[j, 0]))
    return jc.object_columns(buf, starts, keys)


def fast_gt(buf: _NDArray, *, need_boxes: bool) -> dict[str, Any] | None:
    """The fields of :class:`~ioukit.detection._coco_load.GroundTruth` read from the bytes of
    a COCO annotation file, or None (the general reader takes over)."""
    try:
        root = _root(buf, ("images", "annotations", "categories"))
        if root is None:
            return None
        imgs = _objects(buf, root, "images", ("id", "height", "width"))
        cats = _objects(buf, root, "categories", ("id", "name"))
        ann_keys = ("id", "image_id", "category_id", "area", "iscrowd", "ignore", "bbox")
        anns = _objects(buf, root, "annotations", (*ann_keys, "segmentation"))
        img_ids = _int_column(imgs, "id")
        cat_ids = _int_column(cats, "id")
        if img_ids is None or cat_ids is None or np.unique(img_ids).size != img_ids.size:
            return None
        height = _int_column(imgs, "height", -1)
        width = _int_column(imgs, "width", -1)
        image_id = _int_column(anns, "image_id")
        category_id = _int_column(anns, "category_id")
        area = _number_column(anns, "area")
        ann_id = _int_column(anns, "id", 0)
        crowd = _flag_column(buf, anns, "iscrowd")
        ignore = _flag_column(buf, anns, "ignore")
        if any(v is None for v in (height, width, image_id, category_id, area, ann_id, crowd)):
            return None
        if ignore is None:
            return None
        n = anns.kind.shape[1]
        if need_boxes:
            bbox = _boxes(anns, np.arange(n))
            if bbox is None:
                return None
            segmentation: Any = []
        else:
            bbox = np.zeros((n, 4))
            if not (anns.kind[anns.col("segmentation"), :] != jc.MISSING).all():
                return None
            segmentation = _masks(buf, anns, "segmentation")
            if segmentation is None:
                return None
        j = cats.col("name")
        names = {}
        for i, c in enumerate(cat_ids.tolist()):
            if cats.kind[j, i] == jc.STRING:
                raw = buf[cats.start[j, i] - 1 : cats.end[j, i] + 1].tobytes()
                names[c] = str(json.loads(raw))
            elif cats.kind[j, i] == jc.MISSING:
                names[c] = str(c)
            else:
                return None
    except (jc.Unusual, jc.Malformed):
        return None
    if height is None or width is None or ann_id is None or crowd is None:  # pragma: no cover
        return None  # (checked above; for the type checker)
    sizes = dict(zip(img_ids.tolist(), zip(height.tolist(), width.tolist(), strict=True),
                     strict=True))  # fmt: skip
    return {
        "img_ids": img_ids.tolist(),
        "img_sizes": sizes,
        "cat_ids": cat_ids.tolist(),
        "cat_names": names,
        "image_id": image_id,
        "category_id": category_id,
        "bbox": bbox,
        "area": area,
        "crowd": crowd,
        "ignore": ignore,
        "id_nonzero": ann_id != 0,
        "segmentation": segmentation,
        "ann_id": ann_id,
    }


def _flag_column(buf: _NDArray, c: jc.Columns, key: str) -> _NDArray | None:
    """A flag column read as Python's ``bool(item.get(key, 0))``: numbers, true/false/null,
    False when absent; None for anything else (strings, lists...)."""
    j = c.col(key)
    kind = c.kind[j]
    out = ((kind == jc.INT) | (kind == jc.FLOAT)) & (c.number[j] != 0)
    for i in np.flatnonzero(kind == jc.OTHER).tolist():
        raw = buf[c.start[j, i] : c.end[j, i]].tobytes()
        if raw == b"true":
            out[i] = True
        elif raw not in (b"false", b"null"):
            return None
    bad = ~np.isin(kind, (jc.INT, jc.FLOAT, jc.OTHER, jc.MISSING))
    return None if bad.any() else out


def known(ids: _NDArray, universe: _NDArray) -> _NDArray:
    """Whether each of ``ids`` (int64) is in ``universe`` (int64)."""
    if universe.size == 0:
        return np.zeros(ids.size, bool)
    srt = np.sort(universe)
    pos = np.minimum(np.searchsorted(srt, ids), srt.size - 1)
    return srt[pos] == ids  # type: ignore[no-any-return]


def _box_polygons(table: MaskTable, rows: _NDArray, bbox: _NDArray) -> MaskTable:
    """``table`` with the items ``rows`` replaced by their box as one polygon (``loadRes``'s
    segmentation for a result that has a box and no mask)."""
    if rows.size == 0:
        return table
    x, y, w, h = bbox[rows].T
    poly = np.stack([x, y, x, y + h, x + w, y + h, x + w, y], axis=1).reshape(-1)
    base = table.ring_off.size - 1
    ends = table.ring_off[-1] + 8 * np.arange(1, rows.size + 1)
    ring_off = np.concatenate([table.ring_off, ends])
    kind, ring, n_rings = table.kind.copy(), table.ring.copy(), table.n_rings.copy()
    kind[rows] = POLYGONS
    ring[rows] = base + np.arange(rows.size)
    n_rings[rows] = 1
    return MaskTable(kind, table.height, table.width, table.strings, table.soff,
                     np.concatenate([table.nums, poly]), ring_off, ring, n_rings)  # fmt: skip


def fast_results(
    buf: _NDArray,
    img_ids: _NDArray,
    cat_ids: _NDArray | None,
    sizes: tuple[_NDArray, _NDArray],
    *,
    need_masks: bool,
    lazy_area: bool = False,
) -> dict[str, Any] | None:
    """The fields of :class:`~ioukit.detection._coco_load.Results` read from the bytes of a
    COCO results file, following ``COCO.loadRes``, or None (the general reader takes over).
    ``img_ids`` are the ground truth's images, ``sizes`` their (heights, widths), and
    ``cat_ids`` its categories (a result of another one is left to the general reader, which
    reports it; None: not checked). With ``lazy_area`` (and masks), RLE results keep NaN areas
    and boxes: the evaluation decodes each mask once and fills the areas then."""
    from ioukit.detection._coco_masks import rle_boxes

    try:
        start = 0
        while start < buf.size and buf[start] in b" \t\r\n":
            start += 1
        starts, _ = jc.array_elements(buf, start)
        if starts.size == 0:
            return None
        keys: tuple[str, ...] = ("image_id", "category_id", "score", "bbox", "segmentation")
        first = jc.object_columns(buf, starts[:1], keys)
        box0 = first.kind[3, 0] == jc.NUMBERS and first.end[3, 0] == 1
        if box0 and first.ring_off[first.start[3, 0] + 1] == first.ring_off[first.start[3, 0]]:
            box0 = False  # "bbox": [] takes the segm branch, as in loadRes
        if box0 and not need_masks:
            keys = keys[:4]  # the bbox branch without masks never reads them: no column
        c = jc.object_columns(buf, starts, keys)
        image_id = _int_column(c, "image_id")
        category_id = _int_column(c, "category_id")
        score = _number_column(c, "score")
        if image_id is None or category_id is None or score is None:
            return None
        if not known(image_id, img_ids).all():
            return None
        if cat_ids is not None and not known(category_id, cat_ids).all():
            return None
        n = starts.size
        jb = c.col("bbox")
        js = c.col("segmentation") if "segmentation" in keys else -1
        r0 = int(c.start[jb, 0])
        first_box = c.kind[jb, 0] != jc.MISSING and not (
            c.kind[jb, 0] == jc.NUMBERS and c.ring_off[r0 + 1] == c.ring_off[r0]
        )
        masks: MaskTable | None = None
        if first_box:
            bbox = _boxes(c, np.arange(n))
            if bbox is None:
                return None
            area = bbox[:, 2] * bbox[:, 3]
            if need_masks:
                masks = _masks(buf, c, "segmentation")
                if masks is None:
                    return None
                masks = _box_polygons(masks, np.flatnonzero(c.kind[js] == jc.MISSING), bbox)
        else:
            if not (c.kind[js] == jc.OTHER).all():
                return None
            masks = _masks(buf, c, "segmentation")
            if masks is None or not (masks.kind == RLE_STRING).all():
                return None
            if lazy_area and need_masks:
                area, boxes = np.full(n, np.nan), np.full((n, 4), np.nan)
            else:
                mask_area, boxes = rle_boxes(masks, np.arange(n))
                if mask_area is None:
                    return None
                area = mask_area
            given = c.kind[jb] != jc.MISSING
            if given.any():
                own = _boxes(c, np.flatnonzero(given))
                if own is None:
                    return None
                boxes[given] = own
            bbox = boxes
        if masks is not None:
            rle = (masks.kind == RLE_STRING) | (masks.kind == RLE_COUNTS)
            pos = np.searchsorted(np.sort(img_ids), image_id)
            order = np.argsort(img_ids)
            h, w = sizes[0][order][pos], sizes[1][order][pos]
            has_size = (h != -1) | (w != -1)
            if (rle & has_size & ((masks.height != h) | (masks.width != w))).any():
                return None
    except (jc.Unusual, jc.Malformed):
        return None
    return {
        "image_id": image_id,
        "category_id": category_id,
        "score": score,
        "bbox": bbox,
        "area": area,
        "segmentation": masks if need_masks and masks is not None else [],
    }
