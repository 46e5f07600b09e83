"""Shared by the panoptic tests: a transcription of panopticapi's ``pq_compute_single_core`` and
``PQStat.pq_average`` (panopticapi is not on PyPI), written from the published algorithm
(``shared/anchors/evaluation.md`` §2.1; Kirillov et al. 2019), and a generator of small COCO
panoptic datasets written as real PNG + JSON files.

The transcription keeps what matters for bit-exactness: ``np.unique`` over the uint64 key
``target * 256**3 + prediction`` (pairs visited in sorted order), IoUs added per category in
image order, category means summed in the order of the JSON ``categories``, and every quirk:
target areas from the JSON, one crowd region per category (the last listed), the prediction's
VOID pixels out of the union.

``reference_pq(..., boundary=ratio)`` is boundary-iou-api's Boundary PQ
(``coco_panoptic_api/evaluation.py`` with ``iou_type="boundary"``;
``shared/anchors/evaluation.md`` §2.2), written from its published algorithm: each map is
rewritten in ``segments_info`` order, a segment's pixels set to the interior id
``max(category id) + 1`` and its band (``mask_to_boundary``: OpenCV's zero-padded 3×3 erosion,
``d`` iterations) set back to its id; the pairs of the two rewritten maps are counted like
those of the id maps, and a pair's IoU is the minimum of its mask IoU and its band IoU (the
prediction band's pixels on target VOID out of the union).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from geometry_helpers import reference_band

VOID = 0
OFFSET = 256 * 256 * 256


def ids_to_rgb(ids: np.ndarray) -> np.ndarray:
    ids = np.asarray(ids, dtype=np.int64)
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536], -1).astype(np.uint8)


def rgb_to_ids(rgb: np.ndarray) -> np.ndarray:
    c = rgb.astype(np.uint32)
    return c[..., 0] + 256 * c[..., 1] + 256 * 256 * c[..., 2]


# -- the reference -----------------------------------------------------------------------------


class _Stat:
    def __init__(self) -> None:
        self.iou = 0.0
        self.tp = 0
        self.fp = 0
        self.fn = 0


def mask_to_boundary(mask: np.ndarray, ratio: float) -> np.ndarray:
    """boundary-iou-api's band of a uint8 0/1 mask (:func:`geometry_helpers.reference_band`),
    as uint8 like the reference returns it."""
    return reference_band(mask, ratio).astype(mask.dtype)


def _boundary_map(pan: np.ndarray, segms: list[dict[str, Any]], interior: int, ratio: float):  # type: ignore[no-untyped-def]
    """The rewritten map and each segment's band area, in ``segments_info`` order (the map
    changes as it goes, as in the reference)."""
    out = pan.copy()
    areas = {}
    for seg in segms:
        mask = (out == seg["id"]).astype(np.uint8)
        band = mask_to_boundary(mask, ratio)
        out[mask > 0] = interior
        out[band > 0] = seg["id"]
        areas[seg["id"]] = int(np.sum(band > 0))
    return out, areas


def _joint(pan_gt: np.ndarray, pan_pred: np.ndarray) -> dict[tuple[int, int], int]:
    joint = pan_gt.astype(np.uint64) * OFFSET + pan_pred.astype(np.uint64)
    keys, counts = np.unique(joint, return_counts=True)
    return {(int(k // OFFSET), int(k % OFFSET)): c for k, c in zip(keys, counts, strict=False)}


def reference_pq(
    gt_json: Path, gt_dir: Path, pred_json: Path, pred_dir: Path, boundary: float | None = None
) -> dict[str, Any]:
    """panopticapi's algorithm, single core: per-category stats and the three group means;
    with ``boundary``, boundary-iou-api's Boundary PQ of that dilation ratio."""
    gt = json.loads(Path(gt_json).read_text())
    pred = json.loads(Path(pred_json).read_text())
    categories = {c["id"]: c for c in gt["categories"]}
    preds = {a["image_id"]: a for a in pred["annotations"]}
    stats: dict[int, _Stat] = {}

    def stat(c: int) -> _Stat:
        return stats.setdefault(c, _Stat())

    for gt_ann in gt["annotations"]:
        pred_ann = preds[gt_ann["image_id"]]
        pan_gt = rgb_to_ids(np.array(Image.open(gt_dir / gt_ann["file_name"]), dtype=np.uint32))
        pan_pred = rgb_to_ids(
            np.array(Image.open(pred_dir / pred_ann["file_name"]), dtype=np.uint32)
        )
        gt_segms = {s["id"]: dict(s) for s in gt_ann["segments_info"]}
        pred_segms = {s["id"]: dict(s) for s in pred_ann["segments_info"]}
        # prediction areas are counted in the PNG; every PNG id must be listed and vice versa
        unlisted = set(pred_segms)
        values, counts = np.unique(pan_pred, return_counts=True)
        for value, count in zip(values, counts, strict=False):
            if value not in pred_segms:
                if value == VOID:
                    continue
                raise KeyError(f"segment {value} in the PNG, not in the JSON")
            pred_segms[value]["area"] = count
            unlisted.remove(value)
            if pred_segms[value]["category_id"] not in categories:
                raise KeyError("unknown category")
        if unlisted:
            raise KeyError(f"segments {unlisted} in the JSON, not in the PNG")
        inter = _joint(pan_gt, pan_pred)
        if boundary is not None:
            interior = max(categories) + 1
            b_gt, gt_band = _boundary_map(pan_gt, gt_ann["segments_info"], interior, boundary)
            b_pred, pred_band = _boundary_map(
                pan_pred, pred_ann["segments_info"], interior, boundary
            )
            b_inter = _joint(b_gt, b_pred)
        gt_hit: set[int] = set()
        pred_hit: set[int] = set()
        for (g, p), n in inter.items():
            if g not in gt_segms or p not in pred_segms:
                continue
            if gt_segms[g]["iscrowd"] == 1:
                continue
            if gt_segms[g]["category_id"] != pred_segms[p]["category_id"]:
                continue
            union = pred_segms[p]["area"] + gt_segms[g]["area"] - n - inter.get((VOID, p), 0)
            iou = n / union
            if boundary is not None:
                bi = b_inter.get((g, p), 0)
                b_union = pred_band[p] + gt_band[g] - bi - b_inter.get((VOID, p), 0)
                iou = min(iou, bi / b_union)
            if iou > 0.5:
                s = stat(gt_segms[g]["category_id"])
                s.tp += 1
                s.iou += iou
                gt_hit.add(g)
                pred_hit.add(p)
        crowd_of: dict[int, int] = {}
        for g, info in gt_segms.items():
            if g in gt_hit:
                continue
            if info["iscrowd"] == 1:
                crowd_of[info["category_id"]] = g
                continue
            stat(info["category_id"]).fn += 1
        for p, info in pred_segms.items():
            if p in pred_hit:
                continue
            ignored = inter.get((VOID, p), 0)
            if info["category_id"] in crowd_of:
                ignored += inter.get((crowd_of[info["category_id"]], p), 0)
            if ignored / info["area"] > 0.5:
                continue
            stat(info["category_id"]).fp += 1

    out: dict[str, Any] = {"per_class": {}}
    for group, isthing in (("All", None), ("Things", True), ("Stuff", False)):
        pq = sq = rq = 0.0
        n = 0
        for c, info in categories.items():
            if isthing is not None and (info["isthing"] == 1) != isthing:
                continue
            s = stats.get(c, _Stat())
            if s.tp + s.fp + s.fn == 0:
                out["per_class"][c] = {"pq": 0.0, "sq": 0.0, "rq": 0.0, "tp": 0, "fp": 0, "fn": 0}
                continue
            n += 1
            pq_c = s.iou / (s.tp + 0.5 * s.fp + 0.5 * s.fn)
            sq_c = s.iou / s.tp if s.tp != 0 else 0
            rq_c = s.tp / (s.tp + 0.5 * s.fp + 0.5 * s.fn)
            out["per_class"][c] = {
                "pq": pq_c,
                "sq": sq_c,
                "rq": rq_c,
                "tp": s.tp,
                "fp": s.fp,
                "fn": s.fn,
            }
            pq += pq_c
            sq += sq_c
            rq += rq_c
        out[group] = {"pq": pq / n, "sq": sq / n, "rq": rq / n, "n": n} if n else None
    return out


def check_equal(result: Any, ref: dict[str, Any]) -> None:
    """A PanopticResult equals the output of reference_pq, bit for bit."""
    for group in ("All", "Things", "Stuff"):
        got = result.scores[group]
        if ref[group] is None:
            assert got["n"] == 0
            assert math.isnan(got["pq"])
            continue
        for key in ("pq", "sq", "rq", "n"):
            assert got[key] == ref[group][key], (group, key, got[key], ref[group][key])
    for row in result.per_category():
        want = ref["per_class"][row["category_id"]]
        for key in ("tp", "fp", "fn"):
            assert row[key] == want[key], (row, want)
        if row["tp"] + row["fp"] + row["fn"]:
            for key in ("pq", "sq", "rq"):
                assert row[key] == want[key], (row, want)
        else:
            assert math.isnan(row["pq"])
            assert want["pq"] == 0.0


# -- generated datasets ------------------------------------------------------------------------

CATEGORIES = [
    {"id": 1, "name": "person", "isthing": 1},
    {"id": 3, "name": "car", "isthing": 1},
    {"id": 7, "name": "dog", "isthing": 1},
    {"id": 20, "name": "sky", "isthing": 0},
    {"id": 21, "name": "road", "isthing": 0},
]
THINGS = [1, 3, 7]
STUFF = [20, 21]


def _rect(rng: np.random.Generator, h: int, w: int) -> tuple[slice, slice]:
    y0, x0 = int(rng.integers(0, h - 2)), int(rng.integers(0, w - 2))
    y1 = int(rng.integers(y0 + 1, min(h, y0 + h // 2) + 1))
    x1 = int(rng.integers(x0 + 1, min(w, x0 + w // 2) + 1))
    return slice(y0, y1), slice(x0, x1)


def _segments(ids: np.ndarray, cat_of: dict[int, int], crowd: set[int]) -> list[dict[str, Any]]:
    values, counts = np.unique(ids, return_counts=True)
    area = dict(zip(values.tolist(), counts.tolist(), strict=False))
    return [
        {"id": s, "category_id": c, "area": area[s], "iscrowd": int(s in crowd), "bbox": [0] * 4}
        for s, c in cat_of.items()
        if s in area
    ]


def _gt_image(rng: np.random.Generator, h: int, w: int):  # type: ignore[no-untyped-def]
    ids = np.zeros((h, w), dtype=np.int64)
    cat_of: dict[int, int] = {}
    crowd: set[int] = set()
    next_id = int(rng.integers(1, 50_000))
    # stuff background in horizontal bands, some left VOID
    cut = int(rng.integers(1, h))
    for rows, c in ((slice(0, cut), STUFF[0]), (slice(cut, h), STUFF[1])):
        if rng.random() < 0.85:
            ids[rows] = next_id
            cat_of[next_id] = c
            next_id += int(rng.integers(1, 70_000))
    for _ in range(int(rng.integers(1, 7))):  # things, some crowd (several of one category)
        ys, xs = _rect(rng, h, w)
        ids[ys, xs] = next_id
        cat_of[next_id] = THINGS[int(rng.integers(0, len(THINGS)))]
        if rng.random() < 0.25:
            crowd.add(next_id)
        next_id += int(rng.integers(1, 70_000))
    for _ in range(int(rng.integers(0, 3))):  # VOID holes
        ys, xs = _rect(rng, h, w)
        ids[ys, xs] = VOID
    return ids, cat_of, crowd


def _pred_image(rng: np.random.Generator, gt: np.ndarray, gt_cat: dict[int, int]):  # type: ignore[no-untyped-def]
    h, w = gt.shape
    ids = np.zeros_like(gt)
    cat_of: dict[int, int] = {}
    next_id = int(rng.integers(1, 16_000_000))
    for g, c in gt_cat.items():
        if rng.random() < 0.15:
            continue  # missed
        mask = gt == g
        if rng.random() < 0.5:  # shifted, so that IoU spreads around 0.5
            mask = np.roll(mask, (int(rng.integers(-3, 4)), int(rng.integers(-3, 4))), (0, 1))
        if rng.random() < 0.15:  # wrong category
            c = CATEGORIES[int(rng.integers(0, len(CATEGORIES)))]["id"]
        ids[mask] = next_id
        cat_of[next_id] = c
        next_id = (next_id + int(rng.integers(1, 90_000))) % (1 << 24) or 1
    for _ in range(int(rng.integers(0, 4))):  # spurious, often on VOID or crowd
        ys, xs = _rect(rng, h, w)
        ids[ys, xs] = next_id
        cat_of[next_id] = CATEGORIES[int(rng.integers(0, len(CATEGORIES)))]["id"]
        next_id = (next_id + int(rng.integers(1, 90_000))) % (1 << 24) or 1
    if rng.random() < 0.3:  # some VOID in the prediction too
        ys, xs = _rect(rng, h, w)
        ids[ys, xs] = VOID
    return ids, cat_of


def make_dataset(
    root: Path, seed: int, n_images: int = 6, size: tuple[int, int] = (24, 32)
) -> tuple[Path, Path, Path, Path]:
    """``(gt.json, gt dir, pred.json, pred dir)`` of ``n_images`` random images."""
    rng = np.random.default_rng(seed)
    gt_dir, pred_dir = root / "gt", root / "pred"
    gt_dir.mkdir(parents=True, exist_ok=True)
    pred_dir.mkdir(parents=True, exist_ok=True)
    gt_anns, pred_anns = [], []
    for i in range(n_images):
        gt, gt_cat, crowd = _gt_image(rng, *size)
        pred, pred_cat = _pred_image(rng, gt, gt_cat)
        name = f"img{i:03d}.png"
        Image.fromarray(ids_to_rgb(gt)).save(gt_dir / name)
        Image.fromarray(ids_to_rgb(pred)).save(pred_dir / name)
        gt_segs = _segments(gt, gt_cat, crowd)
        for seg in gt_segs:  # JSON areas off by a little: the default takes them as given
            if rng.random() < 0.2:
                seg["area"] += int(rng.integers(1, 3))
        rng.shuffle(gt_segs)  # the order of segments_info decides which crowd region wins
        gt_anns.append({"image_id": 100 + i, "file_name": name, "segments_info": gt_segs})
        pred_anns.append(
            {
                "image_id": 100 + i,
                "file_name": name,
                "segments_info": _segments(pred, pred_cat, set()),
            }
        )
    rng.shuffle(pred_anns)  # paired by image_id, not by position
    gt_json, pred_json = root / "gt.json", root / "pred.json"
    gt_json.write_text(json.dumps({"categories": CATEGORIES, "annotations": gt_anns}))
    pred_json.write_text(json.dumps({"categories": CATEGORIES, "annotations": pred_anns}))
    return gt_json, gt_dir, pred_json, pred_dir


def write_png(path: Path, ids: np.ndarray) -> None:
    Image.fromarray(ids_to_rgb(ids)).save(path)
