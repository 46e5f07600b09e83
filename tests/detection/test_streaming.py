"""DetectionEvaluator: equality with coco_evaluate on the equivalent JSON, merges of shards,
state dicts and bad input."""

from __future__ import annotations

import itertools
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ioukit
from ioukit import DetectionEvaluator, InputError, ParameterError, StateError, rle


def _blobs(rng: np.random.Generator, boxes: np.ndarray, h: int, w: int) -> np.ndarray:
    """Filled rectangles (a little shrunk at random) inside xyxy ``boxes``."""
    out = np.zeros((len(boxes), h, w), bool)
    for k, (x1, y1, x2, y2) in enumerate(boxes.astype(int)):
        out[k, y1 : max(y2 - rng.integers(0, 3), y1 + 1), x1:x2] = True
    return out


def random_batch(
    seed: int, n_images: int, *, segm: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Images with 0-6 objects of 3 classes, a crowd now and then, detections jittered from
    them plus false positives, tied scores and images without detections."""
    rng = np.random.default_rng(seed)
    preds, targets = [], []
    h, w = 40, 50
    for _ in range(n_images):
        m = int(rng.integers(0, 6))
        xy = rng.uniform(0, 30, (m, 2)).round()
        wh = rng.uniform(2, 18, (m, 2)).round()
        gt_boxes = np.concatenate([xy, np.minimum(xy + wh, [w, h])], axis=1)
        target = {
            "boxes": gt_boxes,
            "labels": rng.integers(1, 4, m),
            "iscrowd": (rng.uniform(size=m) < 0.1).astype(np.int64),
        }
        n = int(rng.integers(0, 7))
        src = gt_boxes[rng.integers(0, m, n)] if m else np.zeros((n, 4))
        fp = rng.uniform(size=n) < 0.3
        src[fp] = np.array([5.0, 5.0, 20.0, 20.0])
        jitter = rng.integers(-2, 3, (n, 4)).astype(float)
        pd_boxes = np.clip(np.sort((src + jitter).reshape(n, 2, 2), axis=1).reshape(n, 4), 0, 39)
        pd_boxes[:, 2:] = np.maximum(pd_boxes[:, 2:], pd_boxes[:, :2] + 1)
        pred = {
            "boxes": pd_boxes,
            "scores": rng.choice([0.3, 0.5, 0.7, 0.9], n),
            "labels": rng.integers(1, 4, n),
        }
        if segm:
            target["masks"] = _blobs(rng, gt_boxes, h, w)
            pred["masks"] = _blobs(rng, pd_boxes, h, w)
        preds.append(pred)
        targets.append(target)
    preds[0]["labels"] = np.ones(len(preds[0]["labels"]), np.int64)  # keep a detection
    if len(preds[0]["scores"]) == 0:
        preds[0] = {k: v[:0] for k, v in preds[0].items()}
        preds[0]["boxes"] = np.array([[1.0, 1, 9, 9]])
        preds[0]["scores"] = np.array([0.4])
        preds[0]["labels"] = np.array([1])
        if segm:
            preds[0]["masks"] = _blobs(rng, preds[0]["boxes"], h, w)
    return preds, targets


def as_coco(
    preds: list[dict[str, Any]], targets: list[dict[str, Any]], ids: list[int], *, segm: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The COCO JSON of the same data, written independently of the evaluator."""
    images, anns, results, cats = [], [], [], set()
    for img, p, t in zip(ids, preds, targets, strict=True):
        images.append({"id": img, "height": 40, "width": 50})
        for k, label in enumerate(t["labels"].tolist()):
            x1, y1, x2, y2 = t["boxes"][k].tolist()
            a = {"id": len(anns) + 1, "image_id": img, "category_id": label,
                 "iscrowd": int(t["iscrowd"][k])}  # fmt: skip
            if segm:
                a["segmentation"] = rle.encode(t["masks"][k])
                a["area"] = float(t["masks"][k].sum())
            else:
                a["bbox"] = [x1, y1, x2 - x1, y2 - y1]
                a["area"] = (x2 - x1) * (y2 - y1)
            anns.append(a)
            cats.add(label)
        for k, label in enumerate(p["labels"].tolist()):
            x1, y1, x2, y2 = p["boxes"][k].tolist()
            r = {"image_id": img, "category_id": label, "score": float(p["scores"][k])}
            if segm:
                r["segmentation"] = rle.encode(p["masks"][k])
            else:
                r["bbox"] = [x1, y1, x2 - x1, y2 - y1]
            results.append(r)
            cats.add(label)
    categories = [{"id": c, "name": str(c)} for c in sorted(cats)]
    return {"images": images, "annotations": anns, "categories": categories}, results


def assert_same(a: ioukit.COCOResult, b: ioukit.COCOResult) -> None:
    np.testing.assert_array_equal(a.stats, b.stats)
    np.testing.assert_array_equal(a.precision, b.precision)
    np.testing.assert_array_equal(a.recall, b.recall)
    np.testing.assert_array_equal(a.scores, b.scores)


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_coco_evaluate(iou_type: str, seed: int) -> None:
    segm = iou_type == "segm"
    preds, targets = random_batch(seed, 12, segm=segm)
    ids = [int(v) for v in np.random.default_rng(seed).permutation(100)[:12]]
    ev = DetectionEvaluator(iou_type=iou_type)
    for start in range(0, 12, 5):  # batches of 5, 5, 2
        ev.update(
            preds[start : start + 5], targets[start : start + 5], image_ids=ids[start : start + 5]
        )
    gt, dt = as_coco(preds, targets, ids, segm=segm)
    expected = ioukit.coco_evaluate(gt, dt, iou_type=iou_type)
    assert ev.num_images == 12
    assert_same(ev.result(), expected)
    assert expected.stats[0] > 0


def test_options_are_passed() -> None:
    preds, targets = random_batch(5, 8)
    options: dict[str, Any] = {
        "iou_thresholds": [0.3, 0.6], "recall_thresholds": [0.0, 0.5, 1.0], "max_dets": [2, 5],
        "area_ranges": {"all": (0, 1e5), "tiny": (0, 50)}, "use_cats": False,
    }  # fmt: skip
    ev = DetectionEvaluator(**options)
    ev.update(preds, targets)
    expected = ioukit.coco_evaluate(*as_coco(preds, targets, list(range(8)), segm=False), **options)
    assert_same(ev.result(), expected)
    assert ev.result().params.max_dets == (2, 5)


@pytest.mark.parametrize("box_format", ["xywh", "cxcywh"])
def test_box_formats(box_format: str) -> None:
    preds, targets = random_batch(3, 6)
    ref = DetectionEvaluator()
    ref.update(preds, targets)
    ev = DetectionEvaluator(box_format=box_format)

    def conv(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**d, "boxes": ioukit.box_convert(d["boxes"], in_fmt="xyxy", out_fmt=box_format)}
                for d in items]  # fmt: skip

    ev.update(conv(preds), conv(targets))
    assert_same(ev.result(), ref.result())


def test_torch_tensors() -> None:
    torch = pytest.importorskip("torch")
    for iou_type in ("bbox", "segm"):
        preds, targets = random_batch(4, 6, segm=iou_type == "segm")
        ref = DetectionEvaluator(iou_type=iou_type)
        ref.update(preds, targets)

        def tensors(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: torch.as_tensor(v) for k, v in d.items()} for d in items]

        ev = DetectionEvaluator(iou_type=iou_type)
        ev.update(tensors(preds), tensors(targets), image_ids=torch.arange(6))
        assert_same(ev.result(), ref.result())


def test_given_area_and_defaults() -> None:
    # one 10x10 box and a mask of 30 pixels in it: "area" decides the area range
    box = np.array([[0.0, 0.0, 10.0, 10.0]])
    mask = np.zeros((1, 20, 20), bool)
    mask[0, :3, :10] = True
    pred = [{"boxes": box, "scores": np.array([0.9]), "labels": np.array([1]), "masks": mask}]
    for iou_type, area, expected in (("bbox", None, 100.0), ("segm", None, 30.0), ("bbox", 7, 7.0)):
        target: dict[str, Any] = {"boxes": box, "labels": np.array([1]), "masks": mask}
        if area is not None:
            target["area"] = np.array([area])
        ev = DetectionEvaluator(iou_type=iou_type)
        ev.update(pred, [target])
        gt, _ = ev.coco()
        assert gt["annotations"][0]["area"] == expected


def _shards(
    seed: int, n: int, cuts: list[int], segm: bool
) -> tuple[DetectionEvaluator, list[DetectionEvaluator]]:
    preds, targets = random_batch(seed, n, segm=segm)
    iou_type = "segm" if segm else "bbox"
    one = DetectionEvaluator(iou_type=iou_type)
    one.update(preds, targets)
    bounds = [0, *sorted(set(cuts)), n]
    shards = []
    for a, b in itertools.pairwise(bounds):
        ev = DetectionEvaluator(iou_type=iou_type)
        ev.update(preds[a:b], targets[a:b], image_ids=list(range(a, b)))
        shards.append(ev)
    return one, shards


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    cuts=st.lists(st.integers(1, 9), max_size=4),
    order=st.randoms(use_true_random=False),
    segm=st.booleans(),
)
def test_merge_of_shards_equals_one_pass(
    seed: int, cuts: list[int], order: Any, segm: bool
) -> None:
    one, shards = _shards(seed, 10, cuts, segm)
    order.shuffle(shards)
    merged = shards[0]
    for s in shards[1:]:
        merged = merged + s if order.random() < 0.5 else s.merge(merged)
    assert merged.num_images == 10
    assert merged.coco() == one.coco()
    assert_same(merged.result(), one.result())


def test_state_dict_round_trip_and_reset() -> None:
    for iou_type in ("bbox", "segm"):
        one, (a, b) = _shards(7, 8, [3], iou_type == "segm")
        state = json.loads(json.dumps(a.state_dict()))
        restored = DetectionEvaluator(iou_type=iou_type)
        restored.load_state_dict(state)
        assert restored.state_dict() == a.state_dict()
        assert_same((restored + b).result(), one.result())
        restored.reset()
        assert restored.num_images == 0
        with pytest.raises(InputError, match="no detections"):
            restored.result()


def test_all_reduce_without_process_group_is_a_no_op() -> None:
    pytest.importorskip("torch")
    one, _ = _shards(8, 4, [], False)
    before = one.state_dict()
    assert one.all_reduce() is one
    assert one.state_dict() == before


def test_all_reduce_in_a_process_group(tmp_path: Any) -> None:
    torch = pytest.importorskip("torch")
    dist = torch.distributed
    if not dist.is_available():
        pytest.skip("torch.distributed is not available")
    one, (a, b) = _shards(11, 6, [2], True)
    dist.init_process_group("gloo", init_method=f"file://{tmp_path}/pg", rank=0, world_size=1)
    try:
        assert a.all_reduce() is a  # one rank: gathers its own state only
    finally:
        dist.destroy_process_group()
    assert a.num_images == 2
    assert_same((a + b).result(), one.result())


def test_corrupt_state() -> None:
    _, (a, _b) = _shards(12, 4, [2], True)
    state = a.state_dict()
    state["gt"]["rles"] = state["gt"]["rles"][1:]
    with pytest.raises(StateError, match="columns have different lengths"):
        DetectionEvaluator(iou_type="segm").load_state_dict(state)
    state = a.state_dict()
    state["image_ids"] = [100, 101]
    with pytest.raises(StateError, match="name images not in 'image_ids'"):
        DetectionEvaluator(iou_type="segm").load_state_dict(state)


def test_merge_errors() -> None:
    _, (a, b) = _shards(9, 6, [3], False)
    c = DetectionEvaluator()
    c.update(*random_batch(1, 1), image_ids=[4])
    with pytest.raises(InputError, match="image id 4 is in more than one"):
        a + b + c
    with pytest.raises(InputError, match=r"differ in max_dets.*\[1, 10, 100\] here, \[5\] there"):
        a.merge(DetectionEvaluator(max_dets=[5]))
    with pytest.raises(InputError, match="expected a DetectionEvaluator; got int"):
        a.merge(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        a + 3  # type: ignore[operator]
    with pytest.raises(StateError, match="differ in iou_type"):
        DetectionEvaluator(iou_type="segm").load_state_dict(a.state_dict())
    with pytest.raises(StateError, match=r"not a state of DetectionEvaluator\.state_dict"):
        DetectionEvaluator().load_state_dict({"version": 1, "config": a.state_dict()["config"]})
    with pytest.raises(StateError, match="unknown state version 9"):
        DetectionEvaluator().load_state_dict({"version": 9})


def _one(**extra: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    box = np.array([[0.0, 0.0, 10.0, 10.0]])
    pred = {"boxes": box, "scores": np.array([0.9]), "labels": np.array([1])}
    target = {"boxes": box, "labels": np.array([1])}
    for key, value in extra.items():
        where, _, field = key.partition("_")
        (pred if where == "p" else target)[field] = value
    return [pred], [target]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ((_one()[0] * 2, _one()[1]), r"one entry per image each; got 2 and 1"),
        (_one(p_boxes=np.zeros((1, 3))), r"`preds\[0\]\['boxes'\]` must have shape \(1, 4\)"),
        (_one(t_boxes=np.zeros((2, 4))), r"`targets\[0\]\['boxes'\]` must have shape \(1, 4\)"),
        (_one(p_boxes=np.array([[0.0, np.nan, 1, 1]])), r"must be finite .* got \[0.0, nan"),
        (_one(p_boxes=np.array([[5.0, 5, 1, 1]])), r"non-negative width and height \(xyxy\)"),
        (_one(p_scores=np.array([np.inf])), r"`preds\[0\]\['scores'\]` must be finite"),
        (_one(p_scores=np.array([0.1, 0.2])), r"`preds\[0\]\['scores'\]` must have shape \(1,\)"),
        (_one(t_labels=np.array([1.5])), r"1-D array of integer labels"),
        (_one(t_area=np.array([np.nan])), r"`targets\[0\]\['area'\]` must be finite"),
        (([{"scores": np.array([0.1])}], _one()[1]), r"`preds\[0\]` must have a 'labels' entry"),
        (([3], _one()[1]), r"`preds\[0\]` must be a dict; got int"),
        ((_one()[0], None), r"must be lists of dicts"),
    ],
)
def test_bad_input(inputs: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        DetectionEvaluator().update(*inputs)


def test_bad_segm_input_and_ids() -> None:
    mask = np.zeros((1, 8, 8), bool)
    ev = DetectionEvaluator(iou_type="segm")
    with pytest.raises(InputError, match=r"`targets\[0\]` must have a 'masks' entry"):
        ev.update(*_one(p_masks=mask))
    with pytest.raises(InputError, match=r"`preds\[0\]\['masks'\]` are 8x9, but .* 8x8"):
        ev.update(*_one(p_masks=np.zeros((1, 8, 9), bool), t_masks=mask))
    with pytest.raises(InputError, match=r"must have shape \(1, H, W\)"):
        ev.update(*_one(p_masks=mask[0], t_masks=mask))
    assert ev.num_images == 0  # a failed update adds nothing
    ev = DetectionEvaluator()
    ev.update(*_one(), image_ids=[7])
    with pytest.raises(InputError, match="image id 7 was already added"):
        ev.update(*_one(), image_ids=[7])
    with pytest.raises(InputError, match="image id 3 was already added"):
        ev.update(_one()[0] * 2, _one()[1] * 2, image_ids=[3, 3])
    with pytest.raises(InputError, match=r"one id per image \(1\); got 2"):
        ev.update(*_one(), image_ids=[1, 2])
    with pytest.raises(InputError, match=r"`image_ids\[0\]` must be an int image id"):
        ev.update(*_one(), image_ids=["a"])
    ev.update(*_one())  # automatic ids continue after the largest one
    assert [img["id"] for img in ev.coco()[0]["images"]] == [7, 8]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"iou_type": "keypoints"}, r"DetectionEvaluator: `iou_type` must be one of"),
        ({"box_format": "xy"}, r"DetectionEvaluator: `box_format` must be one of"),
        ({"max_dets": [0]}, r"DetectionEvaluator: `max_dets` must be a non-empty sequence"),
        ({"iou_thresholds": [1.5]}, r"DetectionEvaluator: `iou_thresholds` must be"),
    ],
)
def test_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        DetectionEvaluator(**options)
