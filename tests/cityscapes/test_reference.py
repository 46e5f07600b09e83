"""Cityscapes numbers against the real cityscapesScripts (2.3.0) on generated data.

Install: pip install --no-deps cityscapesscripts==2.3.0 pyquaternion (numpy, pillow present).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from tests.cityscapes._data import gt_distances, write_dataset

from ioukit.cityscapes import cityscapes_instance_level, cityscapes_pixel_level

ref_pixel = pytest.importorskip(
    "cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling",
    reason="cityscapesscripts is not installed (pip install --no-deps cityscapesscripts "
    "pyquaternion)",
)
ref_instance = pytest.importorskip(
    "cityscapesscripts.evaluation.evalInstanceLevelSemanticLabeling",
    reason="cityscapesscripts is not installed",
)


@pytest.fixture(autouse=True)
def _numpy_in1d(monkeypatch: pytest.MonkeyPatch) -> None:
    # the reference calls np.in1d, removed in NumPy 2.4: the same function, for its calls only
    if not hasattr(np, "in1d"):

        def in1d(a: Any, b: Any, invert: bool = False) -> Any:
            return np.isin(np.ravel(a), b, invert=invert)

        monkeypatch.setattr(np, "in1d", in1d, raising=False)


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _reference_pixel(pred_dir: Path, gt_dir: Path) -> dict[str, Any]:
    args = ref_pixel.args
    args.quiet, args.JSONOutput, args.evalPixelAccuracy = True, False, False
    gts = sorted(str(p.resolve()) for p in gt_dir.rglob("*_gtFine_labelIds.png"))
    preds = [
        str((pred_dir / (Path(g).name.split("_gtFine")[0] + "_leftImg8bit.png")).resolve())
        for g in gts
    ]
    return ref_pixel.evaluateImgLists(preds, gts, args)  # type: ignore[no-any-return]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pixel_level_equals_reference(tmp_path: Path, seed: int) -> None:
    pred_dir, gt_dir = write_dataset(tmp_path, 5, seed)
    ref = _reference_pixel(pred_dir, gt_dir)
    res = cityscapes_pixel_level(pred_dir, gt_dir)
    np.testing.assert_array_equal(res.confusion_matrix, np.array(ref["confMatrix"]))
    for name, v in res.class_iou.items():
        assert same(v, ref["classScores"][name]), name
    for name, v in res.class_iiou.items():
        assert same(v, ref["classInstScores"][name]), name
    for name, v in res.category_iou.items():
        assert same(v, ref["categoryScores"][name]), name
    for name, v in res.category_iiou.items():
        assert same(v, ref["categoryInstScores"][name]), name
    # every score the reference gives that is not NaN is one of ours
    assert {k for k, v in ref["classScores"].items() if not math.isnan(v)} <= set(res.class_iou)
    assert {k for k, v in ref["classInstScores"].items() if not math.isnan(v)} <= set(
        res.class_iiou
    )
    assert same(res.mean_class_iou, ref["averageScoreClasses"])
    assert same(res.mean_class_iiou, ref["averageScoreInstClasses"])
    assert same(res.mean_category_iou, ref["averageScoreCategories"])
    assert same(res.mean_category_iiou, ref["averageScoreInstCategories"])
    assert not math.isnan(res.mean_class_iiou)


def _reference_instance(
    pred_dir: Path,
    gt_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    distances: dict[str, dict[int, tuple[float, float]]] | None = None,
) -> dict[str, Any]:
    args = ref_instance.args
    args.quiet, args.JSONOutput = True, False
    args.gtInstancesFile = str(tmp_path / "gtInstances.json")  # never a stale cache
    args.predictionPath = str(pred_dir.resolve())
    gts = sorted(str(p.resolve()) for p in gt_dir.rglob("*_gtFine_instanceIds.png"))
    preds = [
        str(pred_dir.resolve() / (Path(g).name.split("_gtFine")[0] + "_leftImg8bit.txt"))
        for g in gts
    ]
    # evaluateImgLists without its JSON dumps (which fail on NumPy 2 integers)
    ref_instance.setInstanceLabels(args)
    gt_instances = ref_instance.instances2dict(gts)
    if distances is not None:
        # the reference computes no distances: they come with its GT instances (medDist,
        # distConf, default -1 and 0), and distanceAvailable turns on AP100m / AP50m
        monkeypatch.setattr(args, "distanceAvailable", True)
        for g in gts:
            table = distances[Path(g).name.split("_gtFine")[0]]
            for regions in gt_instances[g].values():
                for gt in regions:
                    if gt["instID"] in table:
                        gt["medDist"], gt["distConf"] = table[gt["instID"]]
    matches = ref_instance.matchGtWithPreds(preds, gts, gt_instances, args)
    aps = ref_instance.evaluateMatches(matches, args)
    return {"averages": ref_instance.computeAverages(aps, args), "resultApMatrix": aps.tolist()}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_instance_level_equals_reference(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    pred_dir, gt_dir = write_dataset(tmp_path, 6, seed)
    ref = _reference_instance(pred_dir, gt_dir, tmp_path, monkeypatch)
    res = cityscapes_instance_level(pred_dir, gt_dir)
    np.testing.assert_array_equal(res.ap, np.array(ref["resultApMatrix"])[0])
    avg = ref["averages"]
    assert same(res.mean_ap, avg["allAp"])
    assert same(res.mean_ap50, avg["allAp50%"])
    for name, v in res.class_ap.items():
        assert same(v, avg["classes"][name]["ap"]), name
        assert same(res.class_ap50[name], avg["classes"][name]["ap50%"]), name
    assert 0 < res.mean_ap < 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_instance_distances_equal_reference(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    pred_dir, gt_dir = write_dataset(tmp_path, 6, seed, big=True)
    rng = np.random.default_rng(100 + seed)
    distances = {
        p.name.split("_gtFine")[0]: gt_distances(rng, np.asarray(Image.open(p)))
        for p in sorted(gt_dir.rglob("*_gtFine_instanceIds.png"))
    }
    ref = _reference_instance(pred_dir, gt_dir, tmp_path, monkeypatch, distances)
    res = cityscapes_instance_level(pred_dir, gt_dir, gt_distances=distances)
    assert res.ap100m is not None
    assert res.ap50m is not None
    aps = np.array(ref["resultApMatrix"])
    np.testing.assert_array_equal(res.ap, aps[0])
    np.testing.assert_array_equal(res.ap100m, aps[1])
    np.testing.assert_array_equal(res.ap50m, aps[2])
    avg = ref["averages"]
    assert same(res.mean_ap, avg["allAp"])
    assert same(res.mean_ap50, avg["allAp50%"])
    means = (res.mean_ap100m, res.mean_ap50m, res.mean_ap50_50m)
    for ours, key in zip(means, ("allAp100m", "allAp50m", "allAp50%50m"), strict=True):
        assert ours is not None
        assert same(ours, avg[key]), key
    assert res.class_ap100m is not None
    assert res.class_ap50m is not None
    assert res.class_ap50_50m is not None
    for name, v in res.class_ap100m.items():
        assert same(v, avg["classes"][name]["ap100m"]), name
        assert same(res.class_ap50m[name], avg["classes"][name]["ap50m"]), name
        assert same(res.class_ap50_50m[name], avg["classes"][name]["ap50%50m"]), name
    # the filter matters: the three tables differ, and each has real (non-NaN, non-0/1) AP
    assert not np.array_equal(res.ap, res.ap100m, equal_nan=True)
    assert not np.array_equal(res.ap100m, res.ap50m, equal_nan=True)
    for table in (res.ap100m, res.ap50m):
        assert ((table > 0) & (table < 1)).any()
