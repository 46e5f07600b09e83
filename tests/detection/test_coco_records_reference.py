"""COCOResult's match records against pycocotools' ``evalImgs`` and against its own arrays
(recall = tp / n_gt in every cell), :func:`ioukit.match_detections` on the same IoU
matrices, and best_f1 against a brute-force scan of the thresholds, on random datasets."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytest.importorskip("pycocotools")

from coco_helpers import random_dataset, reference
from pycocotools import mask as mask_utils

import ioukit
from ioukit.detection.result import COCOResult

pytestmark = pytest.mark.reference


def _status(dtm: float, ign: bool) -> str:
    return "ignored" if ign else ("tp" if dtm > 0 else "fp")


@pytest.mark.parametrize(("seed", "iou_type"), [(0, "bbox"), (1, "bbox"), (100, "segm")])
def test_matches_equal_pycocotools_eval_imgs(seed: int, iou_type: str) -> None:
    gt, dt = random_dataset(seed, masks=iou_type == "segm")
    ev, _ = reference(gt, dt, iou_type)
    r = ioukit.coco_evaluate(gt, dt, iou_type=iou_type)
    n_a, n_i = len(ev.params.areaRng), len(ev.params.imgIds)
    for a, area in enumerate(ev.params.areaRngLbl):
        want: dict[int, list[tuple[str, float]]] = {}  # pycocotools' dt id -> per threshold
        for k in range(len(ev.params.catIds)):
            for e in ev.evalImgs[k * n_a * n_i + a * n_i : k * n_a * n_i + (a + 1) * n_i]:
                if e is None:
                    continue
                for j, dt_id in enumerate(e["dtIds"]):
                    want[dt_id] = [
                        (_status(e["dtMatches"][t, j], bool(e["dtIgnore"][t, j])),
                         e["dtMatches"][t, j])
                        for t in range(len(ev.params.iouThrs))
                    ]  # fmt: skip
        for t, thr in enumerate(ev.params.iouThrs):
            m = r.matches(iou=thr, area=area)
            assert sorted((m.dt_index + 1).tolist()) == sorted(want)
            got = [(s, g) for s, g in zip(m.status.tolist(), m.gt_id.tolist(), strict=True)]
            exp = [want[i + 1][t] for i in m.dt_index.tolist()]
            assert [s for s, _ in got] == [s for s, _ in exp], (area, thr)
            # pycocotools writes 0 for "none"; ours -1 (and a real id 0 only when ignored)
            assert [max(g, 0) for _, g in got] == [int(g) for _, g in exp], (area, thr)
            assert (m.iou[m.gt_id == -1] == 0).all()
            assert (m.iou[m.status == "tp"] >= min(thr, 1 - 1e-10)).all()


def _n_gt(r: COCOResult, area: str) -> np.ndarray:
    return np.array([row["n_gt"] for row in r.best_f1(area=area)["per_category"]])


@pytest.mark.parametrize("seed", range(3))
def test_tp_counts_equal_recall_times_gt(seed: int) -> None:
    gt, dt = random_dataset(seed)
    r = ioukit.coco_evaluate(gt, dt, max_dets=(1, 3, 100))
    p = r.params
    for a, (area, _, _) in enumerate(p.area_ranges):
        n_gt = _n_gt(r, area)
        for t, thr in enumerate(p.iou_thresholds):
            for m_pos, max_det in enumerate(p.max_dets):
                m = r.matches(iou=thr, area=area, max_dets=max_det)
                for k, cat in enumerate(p.cat_ids):
                    tp = int(np.sum((m.category_id == cat) & (m.status == "tp")))
                    want = r.recall[t, k, a, m_pos]
                    assert (tp / n_gt[k] if n_gt[k] else -1.0) == want, (area, thr, max_det)
                counts = r.per_image(iou=thr, area=area, max_dets=max_det)
                assert counts.tp.sum() == np.sum(m.status == "tp")
                assert counts.fp.sum() == np.sum(m.status == "fp")
                assert counts.n_gt.sum() == n_gt.sum()
                assert (counts.fn >= 0).all()


def _box_iou(dets: list[dict[str, Any]], gts: list[dict[str, Any]]) -> np.ndarray:
    crowd = [int(g["iscrowd"]) for g in gts]
    iou = mask_utils.iou([d["bbox"] for d in dets], [g["bbox"] for g in gts], crowd)
    out = np.asarray(iou, dtype=np.float64).reshape(len(dets), len(gts))
    # a crowd's intersection / detection area can round to 1 + 4e-16 (in COCO too); only
    # regular pairs are compared below
    return np.minimum(out, 1.0)


@pytest.mark.parametrize("seed", range(3))
def test_cells_equal_match_detections(seed: int) -> None:
    gt, dt = random_dataset(seed)
    r = ioukit.coco_evaluate(gt, dt)
    m = r.matches(iou=0.5)
    cells = sorted({(a["image_id"], a["category_id"]) for a in gt["annotations"]})
    rng = np.random.default_rng(seed)
    checked = 0
    for i in rng.permutation(len(cells)):
        img, cat = cells[i]
        gts = [a for a in gt["annotations"] if (a["image_id"], a["category_id"]) == (img, cat)]
        idx = [j for j, d in enumerate(dt) if (d["image_id"], d["category_id"]) == (img, cat)]
        if not idx or any(g["id"] == 0 for g in gts):  # match_detections has no id-0 rule
            continue
        dets = [dt[j] for j in idx]
        crowd = np.array([bool(g["iscrowd"]) for g in gts])
        ref = ioukit.match_detections(
            _box_iou(dets, gts), scores=np.array([d["score"] for d in dets]), threshold=0.5,
            method="coco", crowd=crowd, ignore=crowd,
        )  # fmt: skip
        sel = (m.image_id == img) & (m.category_id == cat)
        assert np.sum(m.status[sel] == "tp") == ref.tp
        assert np.sum(m.status[sel] == "fp") == ref.fp
        ours = {int(d): (int(g), float(v)) for d, g, v in zip(
            m.dt_index[sel], m.gt_id[sel], m.iou[sel], strict=True) if g >= 0}  # fmt: skip
        for d, g, v in zip(ref.detections, ref.ground_truths, ref.ious, strict=True):
            assert ours[idx[int(d)]] == (gts[int(g)]["id"], float(v))
        checked += 1
        if checked == 8:
            break
    assert checked >= 5


@pytest.mark.parametrize("seed", range(3))
def test_best_f1_equals_brute_force(seed: int) -> None:
    gt, dt = random_dataset(seed)
    r = ioukit.coco_evaluate(gt, dt)
    for thr in (0.5, 0.75):
        out = r.best_f1(iou=thr)
        m = r.matches(iou=thr)
        counted = m.status != "ignored"
        rows = [*out["per_category"], out["overall"]]
        cats: list[Any] = [*r.params.cat_ids, None]
        for row, cat in zip(rows, cats, strict=True):
            sel = counted & ((m.category_id == cat) if cat is not None else True)
            n_gt = row["n_gt"]
            best = (0.0, None)
            for s in sorted(set(m.score[sel].tolist()), reverse=True):
                kept = sel & (m.score >= s)
                tp = int(np.sum(kept & (m.status == "tp")))
                f1 = 2 * tp / (int(kept.sum()) + n_gt) if n_gt else 0.0
                if f1 > best[0]:
                    best = (f1, s)
            if n_gt == 0:
                assert row["f1"] == -1.0
            elif best[1] is None:
                assert row["f1"] == 0.0
                assert np.isnan(row["threshold"])
            else:
                assert (row["f1"], row["threshold"]) == best
                assert row["precision"] * (row["tp"] + row["fp"]) == pytest.approx(row["tp"])
                assert row["recall"] == row["tp"] / n_gt


@pytest.mark.parametrize("seed", range(2))
def test_pr_curve_mean_is_the_summarize_mean(seed: int) -> None:
    gt, dt = random_dataset(seed)
    r = ioukit.coco_evaluate(gt, dt)
    # AP50 averages precision over recall levels and the categories with GT
    assert float(np.mean(r.pr_curve(iou=0.5).precision)) == pytest.approx(r.stats[1], abs=1e-15)
    assert float(np.mean(r.pr_curve(iou=0.75).precision)) == pytest.approx(r.stats[2], abs=1e-15)
    for k, cat in enumerate(r.params.cat_ids):
        c = r.pr_curve(cat, iou=0.5)
        np.testing.assert_array_equal(c.precision, r.precision[0, :, k, 0, 2])
        np.testing.assert_array_equal(c.scores, r.scores[0, :, k, 0, 2])
    # iou=None: the mean of the curves of all thresholds; its mean is AP
    assert float(np.mean(r.pr_curve(iou=None).precision)) == pytest.approx(r.stats[0], abs=1e-15)
    for k, cat in enumerate(r.params.cat_ids):
        np.testing.assert_array_equal(
            r.pr_curve(cat, iou=None).precision, r.precision[:, :, k, 0, 2].mean(axis=0)
        )


def test_lvis_pr_curve_is_its_precision() -> None:
    from boot_helpers import lvis_set  # LVIS data with negatives and not-exhaustive images

    r = ioukit.lvis_evaluate(*lvis_set(0))
    assert float(np.mean(r.pr_curve(iou=0.5).precision)) == pytest.approx(
        r.results["AP50"], abs=1e-15
    )
    assert float(np.mean(r.pr_curve(iou=None).precision)) == pytest.approx(
        r.results["AP"], abs=1e-15
    )
    k, cat = 0, r.params.cat_ids[0]
    np.testing.assert_array_equal(r.pr_curve(cat, iou=0.5).precision, r.precision[0, :, k, 0])
    assert np.isnan(r.pr_curve(cat).scores).all()
    with pytest.raises(ioukit.ParameterError, match=r"`iou` must be None or equal"):
        r.pr_curve(iou=0.51)
    with pytest.raises(ioukit.ParameterError, match=r"`area` must be one of"):
        r.pr_curve(area="huge")
