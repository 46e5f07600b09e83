"""The representative calls of ioukit's evaluation functions (counts, sweeps, the scikit-learn
twins, detection, segmentation, panoptic, Cityscapes, bootstrap statistics), listed in
:data:`ioukit._warmup.CALLS` with those of the geometry functions. Each builds its inputs and
returns the call to time.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

_Thunk = Callable[[], object]
_rng = np.random.default_rng


def _boxes(n: int, seed: int = 0, size: float = 512.0) -> np.ndarray[Any, Any]:
    from ioukit._warmup import boxes

    return boxes(n, seed, size)


def _labels(shape: tuple[int, ...], classes: int, seed: int = 0) -> tuple[Any, Any]:
    rng = _rng(seed)
    target = rng.integers(0, classes, shape).astype(np.uint8)
    pred = np.where(rng.random(shape) < 0.8, target, rng.integers(0, classes, shape))
    return pred.astype(np.uint8), target


def _coco(masks: bool = False, keypoints: bool = False, n_images: int = 8) -> tuple[Any, Any]:
    """A small COCO ground truth dict and detection list (boxes, polygons/RLE, keypoints)."""
    from ioukit import rle

    rng = _rng(1)
    images: list[dict[str, Any]] = []
    anns: list[dict[str, Any]] = []
    dets: list[dict[str, Any]] = []
    for img in range(1, n_images + 1):
        h, w = 96, 128
        images.append({"id": img, "height": h, "width": w})
        for k in range(4):
            x, y = float(rng.uniform(0, w - 40)), float(rng.uniform(0, h - 40))
            bw, bh = float(rng.uniform(8, 40)), float(rng.uniform(8, 40))
            ann: dict[str, Any] = {
                "id": len(anns) + 1, "image_id": img, "category_id": 1 + k % 3,
                "bbox": [x, y, bw, bh], "area": bw * bh, "iscrowd": int(k == 3 and img % 3 == 0),
            }  # fmt: skip
            if masks:
                ann["segmentation"] = [[x, y, x + bw, y, x + bw, y + bh, x, y + bh]]
            if keypoints:
                kp = np.column_stack(
                    [rng.uniform(x, x + bw, 17), rng.uniform(y, y + bh, 17), np.full(17, 2)]
                )
                ann["keypoints"], ann["num_keypoints"] = kp.reshape(-1).tolist(), 17
            anns.append(ann)
            for _ in range(2):
                dx, dy = rng.normal(0, 3, 2)
                box = [x + dx, y + dy, bw, bh]
                det: dict[str, Any] = {
                    "image_id": img, "category_id": 1 + int(rng.integers(3)),
                    "score": round(float(rng.random()), 2), "bbox": box,
                }  # fmt: skip
                if masks:
                    det["segmentation"] = rle.from_boxes(np.array(box), h, w)
                if keypoints:
                    det["keypoints"] = (np.asarray(ann["keypoints"]) + 1.0).tolist()
                dets.append(det)
    cats: list[dict[str, Any]] = [{"id": c, "name": f"c{c}"} for c in (1, 2, 3)]
    if keypoints:
        for c in cats:
            c["keypoints"] = [f"k{i}" for i in range(17)]
    return {"images": images, "annotations": anns, "categories": cats}, dets


def _lvis() -> tuple[Any, Any]:
    gt, dt = _coco()
    for cat, freq in zip(gt["categories"], "frc", strict=True):
        cat["frequency"] = freq
    for img in gt["images"]:
        img["neg_category_ids"], img["not_exhaustive_category_ids"] = [], []
    return gt, dt


# -- counts, sweeps, sklearn twins -----------------------------------------------------------

# 1024 x 1024 label maps: above the counting kernels' threaded minimum (2**20 pixels)
_SEG = (1024, 1024)


def multiclass_counts() -> _Thunk:
    import ioukit

    p, t = _labels(_SEG, 19)
    return lambda: ioukit.multiclass_counts(p, t, num_classes=19, ignore_index=255)


def multiclass_counts_per_image() -> _Thunk:
    import ioukit

    p, t = _labels((4, 512, 512), 19)
    return lambda: ioukit.multiclass_counts(p, t, num_classes=19, per_sample=True)


def multiclass_counts_int64() -> _Thunk:
    import ioukit

    p, t = _labels(_SEG, 19)
    return lambda: ioukit.multiclass_counts(p.astype(np.int64), t, num_classes=19, ignore_index=-1)


def multiclass_confusion_matrix() -> _Thunk:
    import ioukit

    p, t = _labels(_SEG, 19)
    return lambda: ioukit.multiclass_confusion_matrix(p, t, num_classes=19)


def multiclass_jaccard() -> _Thunk:
    import ioukit

    p, t = _labels((4, 256, 256), 5)
    return lambda: ioukit.multiclass_jaccard(p.astype(np.int64), t, num_classes=5)


def binary_counts() -> _Thunk:
    import ioukit

    p, t = _labels(_SEG, 2)
    return lambda: ioukit.binary_counts(p.astype(bool), t.astype(bool))


def binary_jaccard() -> _Thunk:
    import ioukit

    rng = _rng(0)
    s, t = rng.random((8, 128, 128)), rng.random((8, 128, 128)) < 0.5
    return lambda: ioukit.binary_jaccard(s, t, threshold=0.5, per_sample=True)


def multilabel_counts() -> _Thunk:
    import ioukit

    rng = _rng(0)
    p, t = rng.random((4096, 20)) < 0.3, rng.random((4096, 20)) < 0.3
    return lambda: ioukit.multilabel_counts(p, t)


def multilabel_jaccard() -> _Thunk:
    import ioukit

    rng = _rng(0)
    s, t = rng.random((4096, 20)), rng.random((4096, 20)) < 0.3
    return lambda: ioukit.multilabel_jaccard(s, t, threshold=0.5)


def mean_iou() -> _Thunk:
    import ioukit

    p, t = _labels((4, 256, 256), 5)
    return lambda: ioukit.mean_iou(p, t, num_classes=5, ignore_index=255)


def _scores(n: int = 200_000) -> tuple[Any, Any]:
    rng = _rng(0)
    t = rng.random(n) < 0.3
    return np.clip(t * 0.3 + rng.random(n) * 0.7, 0, 1), t


def threshold_sweep() -> _Thunk:
    import ioukit

    s, t = _scores()
    return lambda: ioukit.threshold_sweep(s, t)


def jaccard_curve() -> _Thunk:
    import ioukit

    s, t = _scores()
    return lambda: ioukit.jaccard_curve(s, t, grid=101)


def best_threshold() -> _Thunk:
    import ioukit

    s, t = _scores()
    return lambda: ioukit.best_threshold(s, t)


def best_thresholds() -> _Thunk:
    import ioukit

    rng = _rng(0)
    s, t = rng.random((4096, 8)), rng.random((4096, 8)) < 0.3
    return lambda: ioukit.best_thresholds(s, t)


def sklearn_jaccard_score() -> _Thunk:
    from ioukit.sklearn import jaccard_score

    p, t = _labels((200_000,), 10)
    return lambda: jaccard_score(t, p, average="macro")


def sklearn_jaccard_score_samples() -> _Thunk:
    from ioukit.sklearn import jaccard_score

    rng = _rng(0)
    p, t = rng.random((200_000, 8)) < 0.3, rng.random((200_000, 8)) < 0.3
    w = rng.random(200_000)
    return lambda: (
        jaccard_score(t, p, average="samples", zero_division=0),
        jaccard_score(t, p, average="macro", sample_weight=w),
    )


def sklearn_confusion_matrix() -> _Thunk:
    from ioukit.sklearn import confusion_matrix

    p, t = _labels((200_000,), 10)
    return lambda: confusion_matrix(t, p)


def sklearn_multilabel_confusion_matrix() -> _Thunk:
    from ioukit.sklearn import multilabel_confusion_matrix

    rng = _rng(0)
    p, t = rng.random((4096, 20)) < 0.3, rng.random((4096, 20)) < 0.3
    return lambda: multilabel_confusion_matrix(t.astype(int), p.astype(int))


def sklearn_precision_recall_curve() -> _Thunk:
    from ioukit.sklearn import precision_recall_curve

    s, t = _scores()
    return lambda: precision_recall_curve(t, s)


def sklearn_roc_curve() -> _Thunk:
    from ioukit.sklearn import roc_curve

    s, t = _scores()
    return lambda: roc_curve(t, s)


# -- detection -------------------------------------------------------------------------------


def match_detections() -> _Thunk:
    import ioukit

    iou = ioukit.box_iou(_boxes(60, 0, 200.0), _boxes(50, 1, 200.0))
    scores = _rng(0).random(60)
    return lambda: ioukit.match_detections(iou, scores=scores)


def detection_counts() -> _Thunk:
    import ioukit

    iou = ioukit.box_iou(_boxes(60, 0, 200.0), _boxes(50, 1, 200.0))
    scores = _rng(0).random(60)
    return lambda: ioukit.detection_counts(iou, scores=scores)


def _coco_call(iou_type: str) -> Callable[[], _Thunk]:
    def build() -> _Thunk:
        import ioukit

        gt, dt = _coco(masks=iou_type in ("segm", "boundary"), keypoints=iou_type == "keypoints")
        return lambda: ioukit.coco_evaluate(gt, dt, iou_type=iou_type)

    build.__name__ = f"coco_evaluate_{iou_type}"
    return build


def _json_files(masks: bool, large: bool = False) -> tuple[Path, Path]:
    """The ground truth and results of :func:`_coco` as JSON files: a sample (kilobytes,
    read with Python's ``json``), or with ``large`` enough images for both files to reach
    the compiled reader's size (``FAST_READER_MIN_BYTES``)."""
    from ioukit.detection._coco_load import FAST_READER_MIN_BYTES

    folder = Path(tempfile.mkdtemp(prefix="ioukit-warmup-"))
    n_images = 8
    while True:
        texts = [json.dumps(part) for part in _coco(masks=masks, n_images=n_images)]
        small = min(len(t) for t in texts)
        if not large or small >= FAST_READER_MIN_BYTES:
            break
        n_images = int(n_images * 1.1 * FAST_READER_MIN_BYTES / small) + 1
    for name, text in zip(("gt.json", "dt.json"), texts, strict=True):
        (folder / name).write_text(text)
    return folder / "gt.json", folder / "dt.json"


def _json_call(masks: bool, large: bool) -> Callable[[], _Thunk]:
    def build() -> _Thunk:
        import ioukit

        gt, dt = _json_files(masks, large)
        return lambda: ioukit.coco_evaluate(gt, dt, iou_type="segm" if masks else "bbox")

    build.__name__ = f"coco_evaluate{'_segm' if masks else ''}_json{'_large' if large else ''}"
    return build


#: COCO files: a sample (Python's ``json``), and files large enough for the compiled reader
coco_evaluate_json = _json_call(masks=False, large=False)
coco_evaluate_segm_json = _json_call(masks=True, large=False)
coco_evaluate_json_large = _json_call(masks=False, large=True)
coco_evaluate_segm_json_large = _json_call(masks=True, large=True)


def lvis_evaluate() -> _Thunk:
    import ioukit

    gt, dt = _lvis()
    return lambda: ioukit.lvis_evaluate(gt, dt)


def tide() -> _Thunk:
    import ioukit

    gt, dt = _coco()
    return lambda: ioukit.tide(gt, dt)


def detection_confusion_matrix() -> _Thunk:
    import ioukit

    gt, dt = _coco()
    return lambda: ioukit.detection_confusion_matrix(gt, dt)


def detection_evaluator() -> _Thunk:
    import ioukit

    rng = _rng(0)
    targets = [{"boxes": _boxes(6, i, 200.0), "labels": np.arange(6) % 3} for i in range(8)]
    preds = [
        {
            "boxes": t["boxes"] + rng.normal(0, 2, (6, 4)),
            "scores": rng.random(6),
            "labels": t["labels"],
        }
        for t in targets
    ]

    def call() -> object:
        ev = ioukit.DetectionEvaluator()
        ev.update(preds, targets)
        return ev.result()

    return call


def _coco_result() -> Any:
    import ioukit

    gt, dt = _coco()
    return ioukit.coco_evaluate(gt, dt)


def confidence_interval_coco() -> _Thunk:
    from ioukit.stats import confidence_interval

    result = _coco_result()
    return lambda: confidence_interval(result, n_resamples=200, random_state=0)


def confidence_interval_coco_jackknife() -> _Thunk:
    from ioukit.stats import confidence_interval

    result = _coco_result()
    return lambda: confidence_interval(result, method="bca", n_resamples=200, random_state=0)


# -- segmentation, panoptic, cityscapes, stats -----------------------------------------------


def _segmentation_result(seed: int) -> Any:
    import ioukit

    ev = ioukit.SegmentationEvaluator(5, ignore_index=255)
    p, t = _labels((6, 64, 64), 5, seed)
    ev.update(p, t)
    return ev.result()


def _segmentation(shape: tuple[int, ...], classes: int, **options: Any) -> _Thunk:
    import ioukit

    p, t = _labels(shape, classes)

    def call() -> object:
        ev = ioukit.SegmentationEvaluator(classes, **options)
        ev.update(p, t)
        return ev.result()

    return call


def segmentation_evaluator() -> _Thunk:
    return _segmentation((4, 512, 512), 19, ignore_index=255)


def segmentation_evaluator_boundary() -> _Thunk:
    return _segmentation((2, 128, 128), 5, boundary=0.02)


def confidence_interval_segmentation() -> _Thunk:
    from ioukit.stats import confidence_interval

    result = _segmentation_result(0)
    return lambda: confidence_interval(result, n_resamples=500, random_state=0)


def compare() -> _Thunk:
    import ioukit

    a, b = _segmentation_result(0), _segmentation_result(1)
    return lambda: ioukit.compare(a, b, n_resamples=500, random_state=0)


_PANOPTIC_CATS = [
    {"id": 1, "name": "person", "isthing": 1},
    {"id": 2, "name": "car", "isthing": 1},
    {"id": 3, "name": "sky", "isthing": 0},
]


def _panoptic_image(seed: int) -> tuple[Any, list[dict[str, Any]]]:
    """Segment ids ``(H, W)`` and their segments: sky, then rectangles of things."""
    rng = _rng(seed)
    ids = np.ones((96, 128), dtype=np.uint32)
    segments = [{"id": 1, "category_id": 3, "iscrowd": 0}]
    for k in range(2, 8):
        y, x = int(rng.integers(0, 70)), int(rng.integers(0, 100))
        ids[y : y + 20, x : x + 24] = k
        segments.append({"id": k, "category_id": 1 + k % 2, "iscrowd": 0})
    area = np.bincount(ids.reshape(-1))
    return ids, [
        {**s, "area": int(area[s["id"]])} for s in segments if s["id"] < area.size and area[s["id"]]
    ]


def panoptic_evaluator(boundary: float | None = None, dtype: Any = np.int64) -> _Thunk:
    from ioukit.panoptic import PanopticEvaluator

    def image(seed: int) -> tuple[Any, list[dict[str, Any]]]:
        ids, segs = _panoptic_image(seed)
        return ids.astype(dtype), segs

    images = [(image(2 * i), image(2 * i + 1)) for i in range(4)]

    def call() -> object:
        ev = PanopticEvaluator(categories=_PANOPTIC_CATS, boundary=boundary)
        for (gt, gt_segs), (pred, pred_segs) in images:
            ev.update(pred, gt, pred_segs, gt_segs)
        return ev.compute()

    return call


def panoptic_evaluator_boundary() -> _Thunk:
    # 32-bit maps (panopticapi's rgb2id gives int32): the kernel of the bands' maps and of
    # colour maps; panoptic_evaluator's int64 maps (torch's) take the 64-bit one
    return panoptic_evaluator(boundary=0.02, dtype=np.uint32)


def panoptic_evaluator_crowded() -> _Thunk:
    """An image with more (target, prediction) pairs than the pair table starts with (it
    grows): 32 × 32 segments against the same grid shifted by a pixel, 4096 pairs."""
    from ioukit.panoptic import PanopticEvaluator

    grid = np.arange(1, 1025, dtype=np.int64).reshape(32, 32)
    gt = np.kron(grid, np.ones((6, 6), dtype=np.int64))
    pred = np.roll(gt, (1, 1), axis=(0, 1))
    segs = [
        {"id": int(k), "category_id": 1 + int(k) % 2, "iscrowd": 0, "area": 36} for k in grid.flat
    ]

    def call() -> object:
        ev = PanopticEvaluator(categories=_PANOPTIC_CATS)
        ev.update(pred, gt, segs, segs)
        return ev.compute()

    return call


def panoptic_quality() -> _Thunk:
    from PIL import Image

    import ioukit

    root = Path(tempfile.mkdtemp(prefix="ioukit-warmup-"))
    docs: dict[str, list[dict[str, Any]]] = {"gt": [], "pred": []}
    for i in range(4):
        for kind, seed in (("gt", 2 * i), ("pred", 2 * i + 1)):
            ids, segs = _panoptic_image(seed)
            rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], axis=-1).astype(np.uint8)
            (root / kind).mkdir(exist_ok=True)
            Image.fromarray(rgb).save(root / kind / f"{i}.png")
            docs[kind].append({"image_id": i, "file_name": f"{i}.png", "segments_info": segs})
    for kind, anns in docs.items():
        (root / f"{kind}.json").write_text(
            json.dumps({"categories": _PANOPTIC_CATS, "annotations": anns})
        )
    return lambda: ioukit.panoptic_quality(
        root / "gt.json", root / "gt", root / "pred.json", root / "pred", workers=1
    )  # the kernels are those of a pool's workers; one process keeps the call self-contained


def _cityscapes_gt(seed: int) -> tuple[Any, Any]:
    rng = _rng(seed)
    label = np.full((128, 256), 7, dtype=np.uint8)  # road
    label[:40] = 23  # sky
    inst = label.astype(np.int32)
    for k in range(6):
        y, x = int(rng.integers(40, 100)), int(rng.integers(0, 220))
        label[y : y + 24, x : x + 30] = 26  # car
        inst[y : y + 24, x : x + 30] = 26000 + k
    return label, inst


def cityscapes_pixel_evaluator() -> _Thunk:
    from ioukit.cityscapes import CityscapesPixelEvaluator

    data = [_cityscapes_gt(i) for i in range(3)]

    def call() -> object:
        ev = CityscapesPixelEvaluator()
        for label, inst in data:
            ev.update(np.where(_rng(0).random(label.shape) < 0.1, 7, label), label, inst)
        return ev.compute()

    return call


def cityscapes_instance_evaluator() -> _Thunk:
    from ioukit.cityscapes import CityscapesInstanceEvaluator

    data = []
    for i in range(3):
        _, inst = _cityscapes_gt(i)
        ids = [v for v in np.unique(inst).tolist() if v >= 1000]
        masks = np.stack([np.roll(inst == v, 2, axis=1) for v in ids])
        data.append((masks, [26] * len(ids), _rng(i).random(len(ids)).tolist(), inst))

    def call() -> object:
        ev = CityscapesInstanceEvaluator()
        for masks, labels, scores, inst in data:
            ev.update(masks, labels, scores, inst)
        return ev.compute()

    return call
