"""COCO and LVIS evaluation sharded by image (``executor=``, ``shards=``, result shards) equal
one pass bit for bit: stats, precision, recall, scores, per-category rows, PR curves, the JSON
state and bootstrap intervals, whatever the partitioning (score ties across images included)."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from boot_helpers import lvis_set
from coco_helpers import random_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ioukit
from ioukit._errors import InputError, ParameterError
from ioukit.detection._shards import Piece, bounds, take_masks
from ioukit.detection.lvis import lvis_evaluate
from ioukit.evaluate import ProcessPool, SerialExecutor

N_IMG = 24


def _same(a: Any, b: Any) -> None:
    """Every number of two COCO (or LVIS) results is the same, bit for bit."""
    names = ("precision", "recall") + (("stats", "scores") if hasattr(a, "stats") else ())
    for name in names:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        assert np.array_equal(x, y), name
    da, db = _DOCS.get(id(a)) or a.to_dict(), b.to_dict()
    assert da["state"] == db["state"]
    assert json.dumps(da, sort_keys=True) == json.dumps(db, sort_keys=True)
    curve_a, curve_b = a.pr_curve(iou=None), b.pr_curve(iou=None)
    assert np.array_equal(curve_a.precision, curve_b.precision)
    assert np.array_equal(curve_a.scores, curve_b.scores, equal_nan=True)


def _keypoints(seed: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """People with 3 keypoints over 12 images, scores on a coarse grid (ties across images),
    crowds, people without labelled keypoints, images without results."""
    rng = np.random.default_rng(seed)
    images = [{"id": i, "height": 200, "width": 200} for i in rng.permutation(np.arange(1, 13))]
    anns: list[dict[str, Any]] = []
    dets: list[dict[str, Any]] = []
    for img in range(1, 13):
        for _ in range(int(rng.integers(0, 4))):
            x, y, w, h = (float(v) for v in (*rng.uniform(0, 120, 2), *rng.uniform(8, 70, 2)))
            kx, ky = rng.uniform(x, x + w, 3), rng.uniform(y, y + h, 3)
            v = rng.choice([0, 2], 3, p=[0.3, 0.7])
            kp = np.stack([kx * (v > 0), ky * (v > 0), v], 1).reshape(-1).tolist()
            anns.append({"id": len(anns) + 1, "image_id": img, "category_id": 1,
                         "bbox": [x, y, w, h], "area": w * h, "iscrowd": int(rng.random() < 0.1),
                         "keypoints": kp, "num_keypoints": int((v > 0).sum())})  # fmt: skip
            for _ in range(0 if img % 5 == 0 else int(rng.integers(0, 3))):
                jx, jy = kx + rng.normal(0, 4, 3), ky + rng.normal(0, 4, 3)
                dkp = np.stack([jx, jy, np.ones(3)], 1).reshape(-1).tolist()
                dets.append({"image_id": img, "category_id": 1, "keypoints": dkp,
                             "score": float(rng.integers(1, 4)) / 4})  # fmt: skip
    gt = {"images": images, "categories": [{"id": 1, "name": "person"}], "annotations": anns}
    return gt, dets


DATA = {
    "boxes": random_dataset(11, n_images=N_IMG),
    "masks": random_dataset(12, masks=True, n_images=N_IMG),
    "keypoints": _keypoints(13),
}
CONFIGS = [
    ("boxes", {}),
    ("masks", {"iou_type": "segm"}),
    ("masks", {"iou_type": "boundary"}),
    ("keypoints", {"iou_type": "keypoints", "kpt_oks_sigmas": [0.05, 0.07, 0.09]}),
    ("boxes", {"per_image_cap": True, "max_dets": (1, 3, 5)}),
    ("boxes", {"use_cats": False}),
    ("masks", {"iou_type": "segm", "use_cats": False}),
    ("boxes", {"convention": "ioukit"}),
]
_ONE: dict[int, Any] = {}
_DOCS: dict[int, Any] = {}  # the documents of the one-pass results (kept alive in _ONE)


def _one(i: int) -> Any:
    """The one-pass result of configuration ``i`` (computed once)."""
    if i not in _ONE:
        data, kw = CONFIGS[i]
        _ONE[i] = ioukit.coco_evaluate(*copy.deepcopy(DATA[data]), **kw)
        _DOCS[id(_ONE[i])] = _ONE[i].to_dict()
    return _ONE[i]


def _sharded(i: int, **kw: Any) -> Any:
    data, options = CONFIGS[i]
    return ioukit.coco_evaluate(*copy.deepcopy(DATA[data]), **options, **kw)


def _n_img(i: int) -> int:
    return len(DATA[CONFIGS[i][0]][0]["images"])


@pytest.mark.parametrize("i", range(len(CONFIGS)))
def test_sharded_equals_one_pass(i: int) -> None:
    _same(_one(i), _sharded(i, executor=SerialExecutor()))
    sizes = [0, 1, 5, 0, _n_img(i) - 9, 3]
    _same(_one(i), _sharded(i, shards=sizes))
    _same(_one(i), _sharded(i, shards=1))


@pytest.mark.parametrize("i", [0, 1])
def test_process_pool(i: int) -> None:
    with ProcessPool(2) as pool:
        _same(_one(i), _sharded(i, executor=pool, shards=5))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(i=st.sampled_from([0, 1, 4, 5]), data=st.data())
def test_any_partitioning_equals_one_pass(i: int, data: st.DataObject) -> None:
    # coarse scores: ties within and across images, which the merge must order as one pass
    n = _n_img(i)
    cuts = data.draw(st.lists(st.integers(0, n), max_size=8))
    sizes = np.diff(np.sort([0, *cuts, n])).tolist()
    _same(_one(i), _sharded(i, shards=sizes))


def _lvis_segm() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    gt, dt = lvis_set(4, n_images=14)
    for ann in gt["annotations"]:
        x, y, w, h = ann["bbox"]
        ann["segmentation"] = [[x, y, x + w, y, x + w, y + h, x, y + h]]
    return gt, dt


@pytest.mark.parametrize(
    ("data", "kw"),
    [
        (lambda: lvis_set(3, n_images=16), {}),
        (lambda: lvis_set(3, n_images=16), {"max_dets_per_category": 4}),
        (lambda: lvis_set(3, n_images=16), {"max_dets": None}),
        (_lvis_segm, {"iou_type": "segm"}),
    ],
)
def test_lvis_sharded_equals_one_pass(data: Any, kw: dict[str, Any]) -> None:
    gt, dt = data()
    one = lvis_evaluate(gt, dt, **kw)
    n = len(gt["images"])
    for extra in ({"executor": SerialExecutor()}, {"shards": [2, 0, n - 5, 3]}, {"shards": n}):
        r = lvis_evaluate(copy.deepcopy(gt), copy.deepcopy(dt), **kw, **extra)
        _same(one, r)
        assert r.results == one.results


def _ranks(dt: list[dict[str, Any]], n: int) -> list[list[dict[str, Any]]]:
    """Results split as DistributedSampler deals images: image ``j`` (sorted) to rank
    ``j % n``."""
    order = {v: j for j, v in enumerate(sorted({d["image_id"] for d in dt}))}
    return [[d for d in dt if order[d["image_id"]] % n == r] for r in range(n)]


def test_result_shards_equal_one_pass() -> None:
    gt, dt = DATA["boxes"]
    one = _one(0)
    parts = _ranks(dt, 3)
    _same(one, ioukit.coco_evaluate(gt, parts))  # in this process, one pass
    _same(one, ioukit.coco_evaluate(gt, parts, executor=SerialExecutor(), shards=4))
    assert ioukit.coco_evaluate(gt, parts).matches().dt_index.size > 0
    kgt, kdt = DATA["keypoints"]
    _same(_one(3), ioukit.coco_evaluate(kgt, _ranks(kdt, 2), **CONFIGS[3][1], shards=3))
    lgt, ldt = lvis_set(5, n_images=12)
    _same(lvis_evaluate(lgt, ldt), lvis_evaluate(lgt, _ranks(ldt, 4), shards=5))


def test_result_shard_files_and_mask_tables(tmp_path: Path) -> None:
    # files go through the compiled reader: masks in column tables, cut and joined by rows
    gt, dt = DATA["masks"]
    gt_path = tmp_path / "gt.json"
    gt_path.write_text(json.dumps(gt))
    paths = []
    for r, part in enumerate(_ranks(dt, 3)):
        paths.append(tmp_path / f"rank{r}.json")
        paths[-1].write_text(json.dumps(part))
    one = ioukit.coco_evaluate(gt_path, paths, iou_type="segm")
    _same(_one(1), one)
    _same(one, ioukit.coco_evaluate(gt_path, [str(p) for p in paths], iou_type="segm", shards=7))


def test_take_masks_joins_tables_and_lists() -> None:
    from ioukit.detection._coco_load import load_gt

    gt = DATA["masks"][0]
    g = load_gt(gt, need_boxes=False)
    rows = np.array([5, 0, 3], np.int64)
    assert take_masks([(g.segmentation, rows)]) == [g.segmentation[i] for i in rows]
    assert take_masks([(g.segmentation, np.zeros(0, np.int64))]) == []


def test_duplicate_images_across_shards_are_refused() -> None:
    gt, dt = DATA["boxes"]
    parts = _ranks(dt, 2)
    padded = [
        parts[0],
        parts[1] + [d for d in parts[0] if d["image_id"] == parts[0][0]["image_id"]],
    ]
    img = parts[0][0]["image_id"]
    with pytest.raises(InputError, match=rf"coco_evaluate: .*1 image\(s\).*image {img} in shards "
                       r"\[0, 1\].*DistributedSampler.*drop the repeats"):  # fmt: skip
        ioukit.coco_evaluate(gt, padded)
    lgt, ldt = lvis_set(6, n_images=12)
    with pytest.raises(InputError, match=r"lvis_evaluate: .* 12 image\(s\) .*\(and 7 more\)"):
        lvis_evaluate(lgt, [ldt, ldt[::-1]], executor=SerialExecutor())


def test_empty_shards_and_images_with_only_ground_truth() -> None:
    gt, dt = DATA["boxes"]
    one = _one(0)
    # a shard of images without results (only ground truth, or nothing at all)
    with_results = {d["image_id"] for d in dt}
    img_ids = sorted(im["id"] for im in gt["images"])
    bare = [j for j, v in enumerate(img_ids) if v not in with_results]
    assert bare
    j = bare[0]
    _same(one, ioukit.coco_evaluate(gt, dt, shards=[j, 1, 0, len(img_ids) - j - 1]))
    # result shards that are empty, and an empty result list over all of them
    _same(one, ioukit.coco_evaluate(gt, [[], dt, []], shards=3))
    with pytest.raises(InputError, match=r"coco_evaluate: `dt` \(the results\) is empty"):
        ioukit.coco_evaluate(gt, [[], []], shards=2)
    with pytest.raises(InputError, match=r"lvis_evaluate: `dt` \(the results\) is empty"):
        lvis_evaluate(*lvis_set(1, n_images=4)[:1], [[], []], shards=2)
    fixed = ioukit.coco_evaluate(gt, [[], []], convention="ioukit", shards=2)
    _same(ioukit.coco_evaluate(gt, [], convention="ioukit"), fixed)


class Recording:
    """A serial executor that pickles every task and every outcome, and keeps their sizes."""

    max_workers = 3

    def __init__(self) -> None:
        self.tasks: list[int] = []
        self.outcomes: list[Any] = []

    def map_unordered(self, fn: Any, tasks: Any) -> Any:
        fn = pickle.loads(pickle.dumps(fn))
        for task in list(tasks)[::-1]:  # in reverse: the merge must not rely on the order
            blob = pickle.dumps(task)
            self.tasks.append(len(blob))
            out = pickle.loads(pickle.dumps(fn(pickle.loads(blob))))
            self.outcomes.append(out)
            yield out


def test_the_executor_runs_the_tasks_and_gets_small_pieces() -> None:
    ex = Recording()
    r = _sharded(1, executor=ex)
    _same(_one(1), r)
    n_img = _n_img(1)
    assert len(ex.tasks) == min(4 * ex.max_workers, n_img)  # the default: 4 shards per worker
    pieces = ex.outcomes
    assert all(type(p) is Piece for p in pieces)
    assert sorted(p.first for p in pieces) == [p.first for p in pieces][::-1]
    assert sum(p.n_img for p in pieces) == n_img
    p = r.params
    n_a, n_t, n_k = len(p.area_ranges), len(p.iou_thresholds), len(p.cat_ids)
    for piece in pieces:
        n_det = piece.score.size
        assert piece.status.shape == (n_a, n_t, n_det)
        assert piece.status.dtype == np.int8
        budget = n_det * (n_a * n_t + 16) + 8 * (n_k + 1) + 4 * n_a * n_k * piece.n_img + 1500
        assert len(pickle.dumps(piece)) <= budget  # statuses, no IoUs, no masks


def test_a_sharded_result_keeps_statuses_only() -> None:
    one, r = _one(0), _sharded(0, shards=4)
    assert r.best_f1() == one.best_f1()
    assert np.array_equal(r.per_image().tp, one.per_image().tp)
    with pytest.raises(ParameterError, match=r"COCOResult\.matches: .*evaluated in shards"):
        r.matches()
    ci_one = one.confidence_interval("AP50", method="percentile", n_resamples=20, random_state=1)
    assert r.confidence_interval("AP50", method="percentile", n_resamples=20,
                                 random_state=1) == ci_one  # fmt: skip


def test_errors_in_a_shard_name_rows_of_the_whole_input() -> None:
    gt, dt = copy.deepcopy(DATA["masks"])
    # the last ground truth whose cell has results (only those masks are read)
    cells = {(d["image_id"], d["category_id"]) for d in dt}
    bad = max(
        j for j, a in enumerate(gt["annotations"]) if (a["image_id"], a["category_id"]) in cells
    )
    gt["annotations"][bad]["segmentation"] = {"size": [3, 3], "counts": "zz"}
    with pytest.raises(InputError) as one:
        ioukit.coco_evaluate(gt, dt, iou_type="segm")
    with pytest.raises(InputError) as sharded:
        ioukit.coco_evaluate(gt, dt, iou_type="segm", shards=5)
    assert f"gt['annotations'][{bad}]" in str(one.value)
    assert str(sharded.value) == str(one.value)
    dt = copy.deepcopy(DATA["boxes"][1])
    parts = _ranks(dt, 2)
    parts[1][3]["score"] = float("nan")
    with pytest.raises(InputError, match=r"`dt\[1\]\[3\]\['score'\]` must be a finite number"):
        ioukit.coco_evaluate(DATA["boxes"][0], parts, shards=2)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"shards": 0}, r"coco_evaluate: `shards` must be None, a positive int .* got 0"),
        ({"shards": "3"}, r"`shards` must be None"),
        ({"shards": [1, -1]}, r"`shards` must be None"),
        ({"shards": [1, 2]}, r"`shards` as image counts must sum to .*\(24\); got 2 counts .* 3"),
        ({"executor": object()}, r"coco_evaluate: `executor` must have `max_workers`"),
    ],
)
def test_bad_options(kw: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        ioukit.coco_evaluate(*DATA["boxes"], **kw)


def test_shards_mixing_dicts_and_lists_are_refused() -> None:
    gt, dt = DATA["boxes"]
    with pytest.raises(InputError, match=r"`dt` must be one result list .* a mix: `dt\[1\]`"):
        ioukit.coco_evaluate(gt, [dt[:2], dt[2]])


def test_balanced_bounds() -> None:
    # 6 images weighing 1 + (0, 9, 0, 0, 9, 0): cumulated 1, 11, 12, 13, 23, 24; a shard
    # closes at the image where the cumulated weight reaches its share
    weight = np.array([0, 9, 0, 0, 9, 0])
    assert bounds("f", weight, 2, None) == [(0, 3), (3, 6)]  # 12 | 12
    assert bounds("f", weight, 3, None) == [(0, 2), (2, 5), (5, 6)]  # >= 8, >= 16
    # the default: 4 shards per worker (targets 6, 12, 18)
    assert bounds("f", weight, None, SerialExecutor()) == [(0, 2), (2, 3), (3, 5), (5, 6)]
    assert bounds("f", weight, 50, None) == [(i, i + 1) for i in range(6)]
    assert bounds("f", weight, [0, 3, 0, 3], None) == [(0, 3), (3, 6)]
