"""``coco_evaluate(convention="ioukit")``: each fix on a hand-computed case, next to
pycocotools' number; ``per_image_cap``; the unknown-category error of both conventions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ioukit
from ioukit._errors import InputError, ParameterError


def _gt(
    boxes: list[list[float]],
    cats: tuple[int, ...] = (1,),
    extra: dict[int, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    anns = []
    for i, b in enumerate(boxes):
        ann = {"id": i + 1, "image_id": 1, "category_id": cats[i % len(cats)], "bbox": b,
               "area": b[2] * b[3], "iscrowd": 0}  # fmt: skip
        ann.update((extra or {}).get(i, {}))
        anns.append(ann)
    return {
        "images": [{"id": 1, "height": 200, "width": 200}],
        "categories": [{"id": c, "name": f"c{c}"} for c in sorted(set(cats))],
        "annotations": anns,
    }


def _det(box: list[float], score: float, cat: int = 1) -> dict[str, Any]:
    return {"image_id": 1, "category_id": cat, "bbox": box, "score": score}


def test_default_levels_are_decimals() -> None:
    gt = _gt([[0, 0, 10, 10]])
    dt = [_det([0, 0, 10, 10], 0.9)]
    coco = ioukit.coco_evaluate(gt, dt).params
    fixed = ioukit.coco_evaluate(gt, dt, convention="ioukit").params
    assert coco.iou_thresholds[8] == 0.8999999999999999
    assert fixed.iou_thresholds == (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
    assert coco.recall_thresholds[35] == 0.35000000000000003
    assert fixed.recall_thresholds[35] == 0.35
    assert fixed.convention == "ioukit"
    # the summary's 0.50 / 0.75 rows still find their thresholds
    assert ioukit.coco_evaluate(gt, dt, convention="ioukit").stats[1] == pytest.approx(1.0)


def test_thresholds_as_given() -> None:
    """IoU 1 - 5e-11: pycocotools lowers t = 1 to 1 - 1e-10 and matches; ioukit does not."""
    gt = _gt([[0, 0, 100, 100]])
    dt = [_det([0, 0, 100, 100 - 5e-9], 0.9)]
    coco = ioukit.coco_evaluate(gt, dt, iou_thresholds=[1.0])
    fixed = ioukit.coco_evaluate(gt, dt, iou_thresholds=[1.0], convention="ioukit")
    assert coco.stats[8] == 1.0  # AR
    assert fixed.stats[8] == 0.0


def test_ignore_flag_honoured() -> None:
    """Two ground truths, one flagged ``ignore`` (not crowd) and missed: pycocotools counts
    the miss (recall 1/2), ioukit ignores it (recall 1)."""
    gt = _gt([[0, 0, 10, 10], [50, 50, 10, 10]], extra={1: {"ignore": 1}})
    dt = [_det([0, 0, 10, 10], 0.9)]
    assert ioukit.coco_evaluate(gt, dt).stats[8] == 0.5
    assert ioukit.coco_evaluate(gt, dt, convention="ioukit").stats[8] == 1.0


def test_empty_results() -> None:
    gt = _gt([[0, 0, 10, 10]])
    with pytest.raises(InputError, match="is empty"):
        ioukit.coco_evaluate(gt, [])
    r = ioukit.coco_evaluate(gt, [], convention="ioukit")
    # AP 0 for the one category with ground truth (a small object); APm/APl: none, -1
    np.testing.assert_array_equal(r.stats, [0, 0, 0, 0, -1, -1, 0, 0, 0, 0, -1, -1])
    assert (r.precision[:, :, 0, 0, :] == 0).all()


def test_stats_at_largest_max_dets() -> None:
    gt = _gt([[0, 0, 10, 10]])
    dt = [_det([0, 0, 10, 10], 0.9)]
    coco = ioukit.coco_evaluate(gt, dt, max_dets=(1, 10, 50))
    fixed = ioukit.coco_evaluate(gt, dt, max_dets=(1, 10, 50), convention="ioukit")
    assert coco.stats[0] == -1  # pycocotools reads maxDets=100, which is not there
    assert fixed.stats[0] == pytest.approx(1.0)
    assert "maxDets= 50" in fixed.summary().splitlines()[0]
    short = ioukit.coco_evaluate(gt, dt, max_dets=(5,), convention="ioukit")
    assert short.stats[1] == pytest.approx(1.0)  # AP50 at max_dets 5
    assert short.stats[6] == pytest.approx(1.0)  # AR@max_dets[0]


def test_id_zero_matched() -> None:
    gt = _gt([[0, 0, 10, 10]])
    gt["annotations"][0]["id"] = 0
    dt = [_det([0, 0, 10, 10], 0.9)]
    assert ioukit.coco_evaluate(gt, dt).stats[0] == 0.0  # COCO's "0 = unmatched"
    assert ioukit.coco_evaluate(gt, dt, convention="ioukit").stats[0] == pytest.approx(1.0)


def test_per_image_cap() -> None:
    """Three categories in one image, max_dets 1: per (image, category) every category keeps
    its detection; per image only the best-scoring one counts."""
    gt = _gt([[0, 0, 10, 10], [50, 0, 10, 10], [100, 0, 10, 10]], cats=(1, 2, 3))
    dt = [_det([0, 0, 10, 10], 0.5, 1), _det([50, 0, 10, 10], 0.9, 2),
          _det([100, 0, 10, 10], 0.7, 3)]  # fmt: skip
    per_cat = ioukit.coco_evaluate(gt, dt, max_dets=(1,), convention="ioukit")
    per_img = ioukit.coco_evaluate(gt, dt, max_dets=(1,), convention="ioukit", per_image_cap=True)
    np.testing.assert_allclose(per_cat.recall[0, :, 0, 0], [1, 1, 1])
    np.testing.assert_allclose(per_img.recall[0, :, 0, 0], [0, 1, 0])
    # max_dets levels count the image's rank: at 2, categories 2 and 3
    two = ioukit.coco_evaluate(gt, dt, max_dets=(1, 2), per_image_cap=True)
    np.testing.assert_allclose(two.recall[0, :, 0, 1], [0, 1, 1])


def test_unknown_category_is_an_error_in_both_conventions() -> None:
    gt = _gt([[0, 0, 10, 10]])
    dt = [_det([0, 0, 10, 10], 0.9), _det([0, 0, 10, 10], 0.8, cat=0)]
    for convention in ("pycocotools", "ioukit"):
        with pytest.raises(InputError, match=r"`dt\[1\]` has category_id 0, which is not a"):
            ioukit.coco_evaluate(gt, dt, convention=convention)


def test_bad_convention() -> None:
    with pytest.raises(ParameterError, match=r"`convention` must be one of"):
        ioukit.coco_evaluate(_gt([[0, 0, 1, 1]]), [_det([0, 0, 1, 1], 1)], convention="coco")
