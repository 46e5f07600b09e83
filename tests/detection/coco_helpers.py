"""Random COCO datasets and the pycocotools reference run, for the COCO evaluation tests."""

from __future__ import annotations

import contextlib
import copy
import io
from typing import Any

import numpy as np

from ioukit import rle


def _uncompressed(mask: np.ndarray) -> dict[str, Any]:
    """COCO's uncompressed RLE (counts as a list of run lengths, column-major)."""
    flat = mask.T.reshape(-1).astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0] == 1:
        runs = [0, *runs]
    return {"size": list(mask.shape), "counts": runs}


def _blob(rng: np.random.Generator, h: int, w: int, box: list[float]) -> np.ndarray:
    """A filled ellipse in ``box`` (xywh), clipped to the image."""
    x, y, bw, bh = box
    yy, xx = np.mgrid[0:h, 0:w]
    cx, cy = x + bw / 2, y + bh / 2
    inside = ((xx + 0.5 - cx) / max(bw / 2, 1)) ** 2 + ((yy + 0.5 - cy) / max(bh / 2, 1)) ** 2
    return inside <= 1.0 + rng.uniform(0, 0.3)


def random_dataset(
    seed: int, *, masks: bool = False, n_images: int = 20
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A GT dict and a result list with every case COCO treats specially.

    Image ids are unsorted in the file; 5 categories, one without GT (11), one without
    detections (4); crowds; user ``ignore`` flags (overwritten by COCO); a GT with id 0; GT
    areas of exactly 32² and 96²; scores on a coarse grid (ties within and across images);
    images without GT and images without detections. With ``masks``: polygons and
    uncompressed-RLE crowds in GT, RLE results (some with a box too).
    """
    rng = np.random.default_rng(seed)
    img_ids = rng.permutation(np.arange(1, 3 * n_images))[:n_images].tolist()
    cats = [7, 2, 9, 4, 11]
    images = []
    anns: list[dict[str, Any]] = []
    dets: list[dict[str, Any]] = []
    for n, img in enumerate(img_ids):
        h, w = int(rng.integers(60, 130)), int(rng.integers(60, 130))
        images.append({"id": img, "height": h, "width": w, "file_name": f"{img}.jpg"})
        n_gt = 0 if n % 7 == 3 else int(rng.integers(1, 7))
        for _ in range(n_gt):
            cat = int(rng.choice(cats[:4]))
            bw, bh = float(rng.uniform(4, w / 2)), float(rng.uniform(4, h / 2))
            x, y = float(rng.uniform(0, w - bw)), float(rng.uniform(0, h - bh))
            box = [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)]
            crowd = int(rng.random() < 0.12)
            ann: dict[str, Any] = {
                "id": len(anns) + 1, "image_id": img, "category_id": cat, "bbox": box,
                "iscrowd": crowd, "area": box[2] * box[3],
            }  # fmt: skip
            if masks:
                m = _blob(rng, h, w, box)
                if crowd:
                    ann["segmentation"] = _uncompressed(m)
                else:
                    x2, y2 = box[0] + box[2], box[1] + box[3]
                    ann["segmentation"] = [[box[0], box[1], x2, box[1], x2, y2, box[0], y2]]
                ann["area"] = float(m.sum())
            r = rng.random()
            if r < 0.08:
                ann["area"] = 1024
            elif r < 0.16:
                ann["area"] = 9216.0
            if rng.random() < 0.1:
                ann["ignore"] = 1
            anns.append(ann)
            if n % 5 == 4:
                continue  # an image without detections
            for _ in range(int(rng.integers(0, 4))):
                j = rng.normal(0, 0.12, 4) * [box[2], box[3], box[2], box[3]]
                dbox = [box[0] + j[0], box[1] + j[1], abs(box[2] + j[2]), abs(box[3] + j[3])]
                dcat = cat if rng.random() < 0.85 else int(rng.choice([7, 2, 9, 11]))
                dets.append(_det(rng, img, dcat, dbox, h, w, masks))
        if n % 5 != 4:
            for _ in range(int(rng.integers(0, 4))):
                bw, bh = float(rng.uniform(2, w / 2)), float(rng.uniform(2, h / 2))
                dbox = [float(rng.uniform(0, w - bw)), float(rng.uniform(0, h - bh)), bw, bh]
                dets.append(_det(rng, img, int(rng.choice([7, 2, 9, 11])), dbox, h, w, masks))
    if anns:
        anns[len(anns) // 2]["id"] = 0  # COCO cannot match a ground truth with id 0
    order = rng.permutation(len(dets))
    dets = [dets[i] for i in order]
    if masks:
        dets = [d for d in dets if "segmentation" in d]
        dets.sort(key=lambda d: "bbox" in d)  # the first result decides the branch: segm
    gt = {
        "images": images,
        "annotations": anns,
        "categories": [{"id": c, "name": f"c{c}"} for c in cats],
    }
    return gt, dets


def _det(
    rng: np.random.Generator, img: int, cat: int, box: list[float], h: int, w: int, masks: bool
) -> dict[str, Any]:
    score = float(rng.integers(1, 10)) / 10  # a coarse grid: many ties
    det: dict[str, Any] = {"image_id": img, "category_id": cat, "score": score}
    if not masks or rng.random() < 0.3:
        det["bbox"] = [float(v) for v in box]
    if masks:
        m = _blob(rng, h, w, box)
        det["segmentation"] = rle.encode(m)
    return det


def reference(
    gt: dict[str, Any], dets: list[dict[str, Any]], iou_type: str, **params: Any
) -> tuple[Any, str]:
    """pycocotools' ``COCOeval`` after evaluate/accumulate/summarize, and the summary text
    (``None`` when summarize raises)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(copy.deepcopy(dets))
        ev = COCOeval(coco_gt, coco_dt, iou_type)
        for name, value in params.items():
            setattr(ev.params, name, value)
        ev.evaluate()
        ev.accumulate()
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            ev.summarize()
    except IndexError:
        return ev, None
    return ev, out.getvalue()
