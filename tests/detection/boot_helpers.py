"""Data sets for the bootstrap tests: tie-free COCO and LVIS sets, and the same sets with each
image repeated a given number of times (what a weighted replicate stands for)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from coco_helpers import random_dataset

#: image ids are spaced by this much, so that the copies of image ``x`` (``x + 1``, ``x + 2``,
#: ...) sort right after it, as the weighted evaluation places them
SPACING = 100


COCO_CONFIGS: list[tuple[int, dict[str, Any]]] = [
    (0, {}),
    (1, {}),
    (2, {"use_cats": False}),
    (3, {"convention": "ioukit"}),
    (4, {"per_image_cap": True, "max_dets": (1, 3, 5)}),
    (5, {"max_dets": (2, 2, 7), "iou_thresholds": [0.5, 0.62, 0.75]}),
    (6, {"area_ranges": {"all": (0, 1e10), "tiny": (0, 200)}}),
    (7, {"recall_thresholds": [0.0, 0.7, 0.2, 1.0]}),  # out of order: COCO's break
]
"""(seed, coco_evaluate options) covering every parameter the re-accumulation reads."""


def tie_free(
    gt: dict[str, Any], dt: list[dict[str, Any]], seed: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The same data with distinct scores, image ids spaced by :data:`SPACING` and annotation
    ids from 1 (COCO cannot match a ground truth with id 0; its copies would get other ids)."""
    gt, dt = copy.deepcopy(gt), copy.deepcopy(dt)
    rng = np.random.default_rng(seed)
    for im in gt["images"]:
        im["id"] *= SPACING
    for j, ann in enumerate(gt["annotations"]):
        ann["image_id"] *= SPACING
        ann["id"] = j + 1
    scores = rng.permutation(len(dt)) / max(len(dt), 1) + 0.5 / max(len(dt), 1)
    for d, s in zip(dt, scores, strict=True):
        d["image_id"] *= SPACING
        d["score"] = float(s)
    return gt, dt


def coco_set(
    seed: int, *, masks: bool = False, n_images: int = 12
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """:func:`coco_helpers.random_dataset` made tie-free (see :func:`tie_free`)."""
    return tie_free(*random_dataset(seed, masks=masks, n_images=n_images), seed)


def lvis_set(seed: int, n_images: int = 10) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A tie-free LVIS set: 6 categories of all three frequencies (one without ground truth),
    negative and not-exhaustive lists, images without ground truth, and more than 300 results
    in one image (the per-image cap bites)."""
    rng = np.random.default_rng(seed)
    cats = [4, 1, 9, 6, 2, 8]  # 8 never has ground truth
    freq = ["f", "c", "r", "f", "c", "r"]
    images, anns, dets = [], [], []
    for n in range(n_images):
        img = (n + 1) * SPACING
        h, w = int(rng.integers(60, 120)), int(rng.integers(60, 120))
        pos = set()
        for _ in range(0 if n % 4 == 3 else int(rng.integers(1, 6))):
            cat = int(rng.choice(cats[:5]))
            pos.add(cat)
            bw, bh = float(rng.uniform(4, w / 2)), float(rng.uniform(4, h / 2))
            box = [float(rng.uniform(0, w - bw)), float(rng.uniform(0, h - bh)), bw, bh]
            anns.append({"id": len(anns) + 1, "image_id": img, "category_id": cat, "bbox": box,
                         "area": bw * bh})  # fmt: skip
            for _ in range(int(rng.integers(0, 4))):
                j = rng.normal(0, 0.15, 4) * [bw, bh, bw, bh]
                dbox = [box[0] + j[0], box[1] + j[1], abs(bw + j[2]) + 1, abs(bh + j[3]) + 1]
                dcat = cat if rng.random() < 0.8 else int(rng.choice(cats))
                dets.append({"image_id": img, "category_id": dcat, "bbox": dbox})
        others = [c for c in cats if c not in pos]
        neg = rng.choice(others, min(len(others), int(rng.integers(0, 4))), replace=False).tolist()
        nel = rng.choice(sorted(pos), min(len(pos), int(rng.integers(0, 2))), replace=False)
        images.append({"id": img, "height": h, "width": w, "neg_category_ids": neg,
                       "not_exhaustive_category_ids": nel.tolist()})  # fmt: skip
        for _ in range(310 if n == 0 else int(rng.integers(0, 8))):
            bw, bh = float(rng.uniform(2, w / 2)), float(rng.uniform(2, h / 2))
            dbox = [float(rng.uniform(0, w - bw)), float(rng.uniform(0, h - bh)), bw, bh]
            dets.append({"image_id": img, "category_id": int(rng.choice(cats)), "bbox": dbox})
    scores = (rng.permutation(len(dets)) + 0.5) / len(dets)
    for d, s in zip(dets, scores, strict=True):
        d["score"] = float(s)
    categories = [
        {"id": c, "name": f"c{c}", "frequency": f} for c, f in zip(cats, freq, strict=True)
    ]
    return {"images": images, "annotations": anns, "categories": categories}, dets


def duplicate(
    gt: dict[str, Any], dt: list[dict[str, Any]], counts: dict[Any, int]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Each image ``x`` ``counts[x]`` times (0: dropped), copy ``c`` with id ``x + c``, with
    its ground truths (new annotation ids), its results and its other fields."""
    by_img: dict[Any, list[dict[str, Any]]] = {}
    for ann in gt["annotations"]:
        by_img.setdefault(ann["image_id"], []).append(ann)
    dets: dict[Any, list[dict[str, Any]]] = {}
    for d in dt:
        dets.setdefault(d["image_id"], []).append(d)
    images, anns, results = [], [], []
    for im in gt["images"]:
        for c in range(counts[im["id"]]):
            new = im["id"] + c
            images.append({**im, "id": new})
            for ann in by_img.get(im["id"], []):
                anns.append({**ann, "id": len(anns) + 1, "image_id": new})
            results += [{**d, "image_id": new} for d in dets.get(im["id"], [])]
    return {**gt, "images": images, "annotations": anns}, results
