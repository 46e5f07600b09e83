"""ioukit.coco_evaluate against the other COCO evaluators: hotcoco 1.3.0 (Rust) and
faster-coco-eval 1.8.0 (C++), on the random datasets of ``coco_helpers`` (crowds, ignore
flags, areas of exactly 32² and 96², score ties, images without ground truth or results, a
category without ground truth) and on one-image cases.

ioukit equals pycocotools 2.0.11 bit for bit (test_coco_reference.py). Where a peer agrees
with pycocotools, its arrays and stats equal ioukit's here; where it departs, a test pins the
departure (the peer's value, and ioukit's, which is pycocotools'), so that a change in a peer
shows up.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from coco_helpers import random_dataset
from peer_helpers import fce_eval, hotcoco_eval, renumber_id0, ulps, with_keypoints

import ioukit

pytestmark = pytest.mark.reference

# pycocotools' precision after a true positive that is the only detection so far:
# 1 / (1 + np.spacing(1)) == 1 - 2**-52 == 0.9999999999999998
ONE_MINUS = 1 - 2**-52
ARRAYS = ("precision", "recall", "scores")


def _with_boxes(data: tuple[dict[str, Any], list[dict[str, Any]]], seed: int) -> Any:
    """Every result has a box, a fifth lose their mask: loadRes's bbox branch under segm."""
    gt, dt = data
    rng = np.random.default_rng(seed)
    for d in dt:
        d.setdefault("bbox", ioukit.rle.to_bbox(d["segmentation"]).tolist())
        if rng.random() < 0.2:
            del d["segmentation"]
    return gt, dt


DATA: dict[str, tuple[str, Callable[[], Any]]] = {
    "bbox-1": ("bbox", lambda: random_dataset(1)),
    "bbox-2": ("bbox", lambda: random_dataset(2)),
    "bbox-3": ("bbox", lambda: random_dataset(3)),
    "segm-101": ("segm", lambda: random_dataset(101, masks=True)),
    "bbox-of-masks-201": ("bbox", lambda: random_dataset(201, masks=True)),
    "segm-with-boxes-301": ("segm", lambda: _with_boxes(random_dataset(301, masks=True), 301)),
    "keypoints-1": ("keypoints", lambda: with_keypoints(*random_dataset(1), seed=1)),
    "keypoints-2": ("keypoints", lambda: with_keypoints(*random_dataset(2), seed=2)),
    "keypoints-5pt": ("keypoints", lambda: with_keypoints(*random_dataset(4), seed=4, n_kpt=5)),
}
OPTIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "max_dets": {"max_dets": (1, 5, 100)},
    "area_ranges": {
        "area_ranges": {
            "all": (0, 1e10),
            "small": (0, 500),
            "medium": (500, 3000),
            "large": (3000, 1e10),
        }
    },
    "two_area_ranges": {"area_ranges": {"all": (0, 1e10), "small": (0, 500), "huge": (2000, 1e10)}},
    "iou_thresholds": {"iou_thresholds": (0.3, 0.5, 0.75, 0.9)},
    "recall_thresholds": {"recall_thresholds": tuple(np.linspace(0, 1, 11))},
    "use_cats": {"use_cats": False},
    "cat_ids": {"cat_ids": (2, 9, 11)},
    "img_ids": {"img_ids": slice(None, None, -2)},  # every other image, in reverse order
}
KEYPOINT_OPTIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "max_dets": {"max_dets": (5, 20)},
    "iou_thresholds": {"iou_thresholds": (0.3, 0.5, 0.75)},
}
SIGMAS_5 = tuple((np.array([0.5, 0.3, 0.7, 0.2, 1.1]) / 10.0).tolist())


@functools.cache
def _data(name: str, *, renumbered: bool = False) -> tuple[str, dict[str, Any], list[Any]]:
    iou_type, make = DATA[name]
    gt, dt = make()
    return iou_type, renumber_id0(gt) if renumbered else gt, dt


def _options(name: str, option: str) -> dict[str, Any]:
    iou_type, gt, _ = _data(name)
    kw = dict((KEYPOINT_OPTIONS if iou_type == "keypoints" else OPTIONS)[option])
    if isinstance(kw.get("img_ids"), slice):
        kw["img_ids"] = [img["id"] for img in gt["images"]][kw["img_ids"]]
    if name == "keypoints-5pt":
        kw["kpt_oks_sigmas"] = SIGMAS_5
    return kw


@functools.cache
def _ours(name: str, option: str = "defaults", *, renumbered: bool = False) -> Any:
    iou_type, gt, dt = _data(name, renumbered=renumbered)
    return ioukit.coco_evaluate(gt, dt, iou_type=iou_type, **_options(name, option))


def _peer(run: Any, name: str, option: str = "defaults", *, renumbered: bool = False) -> Any:
    iou_type, gt, dt = _data(name, renumbered=renumbered)
    return run(gt, dt, iou_type, **_options(name, option))


def _one_image(
    anns: list[dict[str, Any]], dets: list[dict[str, Any]], cats: tuple[int, ...] = (1,)
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    gt = {
        "images": [{"id": 1, "height": 100, "width": 100}],
        "categories": [{"id": c, "name": f"c{c}"} for c in cats],
        "annotations": [
            {"id": i + 1, "image_id": 1, "iscrowd": 0, **a} for i, a in enumerate(anns)
        ],
    }
    return gt, [{"image_id": 1, **d} for d in dets]


BOX = [10.0, 10.0, 20.0, 20.0]
KPTS = [15.0, 15.0, 2.0, 20.0, 20.0, 2.0, 25.0, 25.0, 2.0]
# one ground truth, one perfect detection: every reachable precision is ONE_MINUS
LONE_TP = _one_image(
    [{"category_id": 1, "bbox": BOX, "area": 400.0}],
    [{"category_id": 1, "bbox": BOX, "score": 0.9}],
)
# the same as three keypoints (sigmas 0.05); category 2 has no ground truth
LONE_KP = _one_image(
    [{"category_id": 1, "bbox": BOX, "area": 400.0, "keypoints": KPTS, "num_keypoints": 3}],
    [{"category_id": 1, "keypoints": KPTS, "score": 0.9}],
    cats=(1, 2),
)
KP_SIGMAS = [0.05, 0.05, 0.05]


@pytest.fixture(scope="module")
def hotcoco() -> Any:
    return pytest.importorskip("hotcoco")


@pytest.fixture(scope="module")
def fce() -> Any:
    return pytest.importorskip("faster_coco_eval")


# ----------------------------------------------------------------------------- hotcoco


def _pycocotools_spacing(text: str) -> str:
    """hotcoco's summary with pycocotools' padding of the title and the (AP)/(AR) tag."""
    text = text.replace(" Average Precision (AP) @[", " Average Precision  (AP) @[")
    return text.replace(" Average Recall (AR)    @[", " Average Recall     (AR) @[")


def _assert_hotcoco_equal(ev: Any, text: str, ours: Any, *, summary: bool = True) -> None:
    got = ev.eval
    for key in ARRAYS:
        np.testing.assert_array_equal(np.asarray(got[key]), getattr(ours, key), err_msg=key)
    np.testing.assert_array_equal(np.asarray(ev.stats), ours.stats)
    if summary:
        assert _pycocotools_spacing(text) == ours.summary()


@pytest.mark.parametrize("name", DATA)
def test_hotcoco_equal(hotcoco: Any, name: str) -> None:
    """Arrays, stats and (spacing aside) the summary, bit for bit, once the ground truth with
    id 0 has another id (see test_hotcoco_matches_gt_id_0)."""
    ev, text = _peer(hotcoco_eval, name, renumbered=True)
    _assert_hotcoco_equal(ev, text, _ours(name, renumbered=True))


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("name", ["bbox-2", "segm-101"])
def test_hotcoco_equal_options(hotcoco: Any, name: str, option: str) -> None:
    """Custom IoU thresholds change the summary's label (test_hotcoco_summary_iou_label)."""
    ev, text = _peer(hotcoco_eval, name, option, renumbered=True)
    ours = _ours(name, option, renumbered=True)
    _assert_hotcoco_equal(ev, text, ours, summary=option != "iou_thresholds")


@pytest.mark.parametrize("option", KEYPOINT_OPTIONS)
def test_hotcoco_equal_keypoint_options(hotcoco: Any, option: str) -> None:
    ev, text = _peer(hotcoco_eval, "keypoints-5pt", option, renumbered=True)
    ours = _ours("keypoints-5pt", option, renumbered=True)
    _assert_hotcoco_equal(ev, text, ours, summary=option != "iou_thresholds")


def test_hotcoco_summary_spacing(hotcoco: Any) -> None:
    """Departure: hotcoco pads "Average Precision (AP)" as one field; pycocotools pads the
    title to 18 characters, then the tag."""
    _, text = _peer(hotcoco_eval, "bbox-1", renumbered=True)
    ours = _ours("bbox-1", renumbered=True).summary()
    assert text.splitlines()[0].startswith(" Average Precision (AP) @[ IoU=0.50:0.95 |")
    assert ours.splitlines()[0].startswith(" Average Precision  (AP) @[ IoU=0.50:0.95 |")
    assert text.splitlines()[6].startswith(" Average Recall (AR)    @[ IoU=0.50:0.95 |")
    assert ours.splitlines()[6].startswith(" Average Recall     (AR) @[ IoU=0.50:0.95 |")
    assert text != ours


def test_hotcoco_summary_iou_label(hotcoco: Any) -> None:
    """Departure found here: hotcoco labels the averaged lines "IoU=0.50:0.95" whatever the
    thresholds; pycocotools prints the first and last threshold. The numbers agree."""
    _, text = _peer(hotcoco_eval, "bbox-2", "iou_thresholds", renumbered=True)
    ours = _ours("bbox-2", "iou_thresholds", renumbered=True).summary()
    assert "IoU=0.50:0.95" in text
    assert "IoU=0.50:0.95" not in ours
    assert _pycocotools_spacing(text).replace("IoU=0.50:0.95", "IoU=0.30:0.90") == ours


def test_hotcoco_stats0_without_100(hotcoco: Any) -> None:
    """Departure: without 100 in max_dets, pycocotools' stats[0] (read at a hardcoded
    maxDets=100) is -1; hotcoco reads it at max_dets[-1]. Everything else agrees."""
    ev, _ = hotcoco_eval(*LONE_TP, "bbox", max_dets=(1, 10, 50))
    assert ev.stats[0] == ONE_MINUS
    assert ioukit.coco_evaluate(*LONE_TP, max_dets=(1, 10, 50)).stats[0] == -1

    iou_type, gt, dt = _data("bbox-1", renumbered=True)
    ev, _ = hotcoco_eval(gt, dt, iou_type, max_dets=(1, 10, 50))
    ours = ioukit.coco_evaluate(gt, dt, max_dets=(1, 10, 50))
    for key in ARRAYS:
        np.testing.assert_array_equal(np.asarray(ev.eval[key]), getattr(ours, key))
    stats = np.asarray(ev.stats)
    np.testing.assert_array_equal(stats[1:], ours.stats[1:])
    assert ours.stats[0] == -1
    p = ours.precision[:, :, :, 0, -1]
    assert stats[0] == np.mean(p[p > -1])


def test_hotcoco_matches_gt_id_0(hotcoco: Any) -> None:
    """Departure: pycocotools stores matches as ids with 0 for "none", so a ground truth with
    id 0 is never matched (and blocks the detection that found it); hotcoco matches it as
    any other: its numbers with id 0 are pycocotools' with the id changed."""
    gt0 = {**LONE_TP[0], "annotations": [{**LONE_TP[0]["annotations"][0], "id": 0}]}
    ev, _ = hotcoco_eval(gt0, LONE_TP[1], "bbox")
    assert ev.stats[0] == ONE_MINUS
    assert ioukit.coco_evaluate(gt0, LONE_TP[1]).stats[0] == 0.0

    ev, _ = _peer(hotcoco_eval, "bbox-1")
    renumbered = _ours("bbox-1", renumbered=True)
    np.testing.assert_array_equal(np.asarray(ev.stats), renumbered.stats)
    np.testing.assert_array_equal(np.asarray(ev.eval["precision"]), renumbered.precision)
    assert not np.array_equal(np.asarray(ev.stats), _ours("bbox-1").stats)


def test_hotcoco_keeps_cat_ids_order(hotcoco: Any) -> None:
    """Departure: pycocotools sorts and deduplicates cat_ids (np.unique), so the category
    axis is ascending; hotcoco keeps the order and the repeats given."""
    gt, dt = _one_image(
        [
            {"category_id": 1, "bbox": BOX, "area": 400.0},
            {"category_id": 2, "bbox": [50.0, 50.0, 10.0, 10.0], "area": 100.0},
        ],
        [{"category_id": 1, "bbox": BOX, "score": 0.9}],
        cats=(1, 2),
    )
    ev, _ = hotcoco_eval(gt, dt, "bbox", cat_ids=[2, 1])
    ours = ioukit.coco_evaluate(gt, dt, cat_ids=[2, 1])
    assert np.asarray(ev.eval["precision"])[0, 0, :, 0, -1].tolist() == [0.0, ONE_MINUS]
    assert ours.precision[0, 0, :, 0, -1].tolist() == [ONE_MINUS, 0.0]
    ev, _ = hotcoco_eval(gt, dt, "bbox", cat_ids=[1, 1, 2])
    assert np.asarray(ev.eval["precision"]).shape[2] == 3
    assert ioukit.coco_evaluate(gt, dt, cat_ids=[1, 1, 2]).precision.shape[2] == 2

    _, gt, dt = _data("bbox-2", renumbered=True)
    ev, _ = hotcoco_eval(gt, dt, "bbox", cat_ids=[9, 2, 11])
    ours = ioukit.coco_evaluate(gt, dt, cat_ids=[9, 2, 11])
    for key in ARRAYS:  # hotcoco's axis is [9, 2, 11], ours [2, 9, 11]
        np.testing.assert_array_equal(np.take(ev.eval[key], [1, 0, 2], axis=-3), getattr(ours, key))
    np.testing.assert_array_equal(np.asarray(ev.stats), ours.stats)


def test_hotcoco_keeps_max_dets_order(hotcoco: Any) -> None:
    """Departure found here: pycocotools sorts max_dets, so the last axis is ascending;
    hotcoco keeps the order given (its stats agree: they look the values up). One ground
    truth, a false positive scored above the true positive; max_dets=(2, 1, 100)."""
    gt, dt = _one_image(
        [{"category_id": 1, "bbox": BOX, "area": 400.0}],
        [
            {"category_id": 1, "bbox": [60.0, 60.0, 20.0, 20.0], "score": 0.9},
            {"category_id": 1, "bbox": BOX, "score": 0.8},
        ],
    )
    ev, _ = hotcoco_eval(gt, dt, "bbox", max_dets=(2, 1, 100))
    ours = ioukit.coco_evaluate(gt, dt, max_dets=(2, 1, 100))
    assert np.asarray(ev.eval["recall"])[0, 0, 0].tolist() == [1.0, 0.0, 1.0]
    assert ours.recall[0, 0, 0].tolist() == [0.0, 1.0, 1.0]
    np.testing.assert_array_equal(np.asarray(ev.stats), ours.stats)


def test_hotcoco_pools_keypoints_without_cats(hotcoco: Any) -> None:
    """Departure found here: with use_cats=False, pycocotools' computeOks reads the pooled
    category -1, finds no ground truth and matches nothing (AP 0); hotcoco pools the
    categories and matches (AP 1 - 2**-52)."""
    kw: dict[str, Any] = {"kpt_oks_sigmas": KP_SIGMAS, "use_cats": False}
    ev, _ = hotcoco_eval(*LONE_KP, "keypoints", **kw)
    assert ev.stats[0] == ONE_MINUS
    assert ioukit.coco_evaluate(*LONE_KP, iou_type="keypoints", **kw).stats[0] == 0.0


# ---------------------------------------------------------------------- faster-coco-eval


def _assert_fce_close(ev: Any, ours: Any, *, stats: bool = True, cats: Any = slice(None)) -> None:
    """recall and scores exact; precision exact but where pycocotools has 1 - 2**-52 (a
    lone true positive: tp / (tp + fp + np.spacing(1)) with tp + fp == 1), where FCE has
    1.0; the stats within 2**-51 and 4 ulps (measured: 2.2e-16, 2 ulps). ``cats`` picks
    ioukit's categories that FCE has."""
    precision = ours.precision[:, :, cats]
    np.testing.assert_array_equal(ev.eval["recall"], ours.recall[:, cats])
    np.testing.assert_array_equal(ev.eval["scores"], ours.scores[:, :, cats])
    np.testing.assert_array_equal(
        ev.eval["precision"], np.where(precision == ONE_MINUS, 1.0, precision)
    )
    assert ulps(ev.eval["precision"], precision) <= 2  # 1 - 2**-52 -> 1 - 2**-53 -> 1.0
    if stats:
        np.testing.assert_allclose(ev.stats, ours.stats, rtol=0, atol=2**-51)
        assert ulps(ev.stats, ours.stats) <= 4


@pytest.mark.parametrize("name", [n for n in DATA if not n.startswith("keypoints")])
def test_fce_close(fce: Any, name: str) -> None:
    """The ground truth with id 0 stays: FCE keeps pycocotools' id-0 quirk. The summary
    has two more lines (AR at IoU 0.5 and 0.75); the first 12 are pycocotools'."""
    ev, text = _peer(fce_eval, name)
    ours = _ours(name)
    _assert_fce_close(ev, ours)
    assert text.splitlines()[:12] == ours.summary().splitlines()
    assert len(text.splitlines()) == len(ev.all_stats) == 14


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("name", ["bbox-2", "segm-101"])
def test_fce_close_options(fce: Any, name: str, option: str) -> None:
    """With other than 3 area ranges besides "all", FCE's stats have another layout
    (test_fce_stats_layout); its arrays still agree."""
    ev, _ = _peer(fce_eval, name, option)
    _assert_fce_close(ev, _ours(name, option), stats=option != "two_area_ranges")


@pytest.mark.parametrize("option", KEYPOINT_OPTIONS)
@pytest.mark.parametrize("name", ["keypoints-1", "keypoints-2", "keypoints-5pt"])
def test_fce_close_keypoints(fce: Any, name: str, option: str) -> None:
    """Category 11 has no ground truth: FCE leaves it out of the category axis
    (test_fce_keypoints_drop_categories_without_gt); the other categories agree."""
    ev, text = _peer(fce_eval, name, option)
    ours = _ours(name, option)
    _assert_fce_close(ev, ours, cats=[k != 11 for k in ours.params.cat_ids])
    assert text == ours.summary()


def test_fce_precision_of_lone_true_positive(fce: Any) -> None:
    """Departure: pycocotools' precision is tp / (tp + fp + np.spacing(1)), 1 - 2**-52 when
    tp + fp == 1; FCE's is 1.0. This is the ~1 ulp that FCE differs by in thousands of cells
    (here 2 ulps of 1 - 2**-52, 2**-52 absolute); the stats then differ by a few ulps."""
    ev, _ = fce_eval(*LONE_TP, "bbox")
    ours = ioukit.coco_evaluate(*LONE_TP)
    reached = ours.precision > -1  # recall 1 at the first detection: every level reached
    assert set(ev.eval["precision"][reached].tolist()) == {1.0}
    assert set(ours.precision[reached].tolist()) == {ONE_MINUS}
    assert ev.stats[0] == 1.0
    assert ours.stats[0] == ONE_MINUS

    ev, _ = _peer(fce_eval, "segm-101")
    diff = ev.eval["precision"] != _ours("segm-101").precision
    assert diff.sum() > 1000
    assert set(_ours("segm-101").precision[diff].tolist()) == {ONE_MINUS}


def test_fce_stats_layout(fce: Any) -> None:
    """Departure: FCE's summarize reads stats[0..5] at max_dets[-1] (pycocotools: stats[0]
    at a hardcoded 100, -1 without it), gives one AR stat per max_dets and one AP and AR
    stat per area range (pycocotools: always 12, read positionally), and adds AR at IoU
    0.5 and 0.75 in all_stats."""
    kw: dict[str, Any] = {"max_dets": (1, 10, 50)}
    ev, _ = fce_eval(*LONE_TP, "bbox", **kw)
    assert ev.stats[0] == 1.0
    assert ioukit.coco_evaluate(*LONE_TP, **kw).stats[0] == -1
    ev, _ = fce_eval(*LONE_TP, "bbox", max_dets=(1, 10))
    assert len(ev.stats) == 11
    assert len(ioukit.coco_evaluate(*LONE_TP, max_dets=(1, 10)).stats) == 12

    ev, _ = _peer(fce_eval, "bbox-2", "two_area_ranges")
    ours = _ours("bbox-2", "two_area_ranges")
    # FCE: AP, AP50, AP75, APsmall, APhuge, AR1, AR10, AR100, ARsmall, ARhuge
    # ours: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl (by label: no
    # "medium", no "large", so -1)
    assert len(ev.stats) == 10
    assert len(ours.stats) == 12
    same = [(0, 0), (1, 1), (2, 2), (3, 3), (5, 6), (6, 7), (7, 8), (8, 9)]
    np.testing.assert_allclose(
        [ev.stats[i] for i, _ in same], [ours.stats[j] for _, j in same], rtol=0, atol=2**-51
    )
    assert ours.stats[[4, 5, 10, 11]].tolist() == [-1, -1, -1, -1]
    assert ev.stats[4] > 0
    assert ev.stats[9] > 0


def test_fce_keypoints_drop_categories_without_gt(fce: Any) -> None:
    """Departure: for keypoints FCE takes the categories that have a ground truth (its
    cat_img_map), pycocotools all of gt["categories"]: a category without ground truth has
    no row (pycocotools: -1 throughout). The stats agree, as -1 is left out of the means."""
    ev, _ = fce_eval(*LONE_KP, "keypoints", kpt_oks_sigmas=KP_SIGMAS)
    ours = ioukit.coco_evaluate(*LONE_KP, iou_type="keypoints", kpt_oks_sigmas=KP_SIGMAS)
    assert ev.eval["precision"].shape[2] == 1
    assert ours.precision.shape[2] == 2
    assert (ours.precision[:, :, 1] == -1).all()


def test_fce_keypoints_without_cats_raises(fce: Any) -> None:
    """Departure: keypoints with use_cats=False raise in FCE (its computeOks finds nothing in
    the pooled category, and the C++ side rejects the empty matrix); pycocotools gives AP 0."""
    kw: dict[str, Any] = {"kpt_oks_sigmas": KP_SIGMAS, "use_cats": False}
    with pytest.raises(RuntimeError, match="invalid detection dimension"):
        fce_eval(*LONE_KP, "keypoints", **kw)
    assert ioukit.coco_evaluate(*LONE_KP, iou_type="keypoints", **kw).stats[0] == 0.0


@pytest.mark.parametrize("seed", [101, 102])
def test_fce_boundary_ap(fce: Any, seed: int) -> None:
    """Boundary AP end to end (``iou_type="boundary"``) against FCE's ``iouType="boundary"``
    (boundary-iou-api's rule): the same arrays but for FCE's 1.0 for 1 - 2**-52."""
    gt, dt = random_dataset(seed, masks=True)
    ev, _ = fce_eval(gt, dt, "boundary")
    _assert_fce_close(ev, ioukit.coco_evaluate(gt, dt, iou_type="boundary"))
