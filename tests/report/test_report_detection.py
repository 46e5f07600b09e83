"""The detection report: statistics, PR curves (with the F1-optimal point), TIDE bars and the
per-category AP are the result's own numbers; LVIS results and results without match records
render too."""

from __future__ import annotations

import copy
import importlib.util

import numpy as np
import pytest

pytest.importorskip("plotly")

from tests.detection.coco_helpers import random_dataset
from tests.report.report_parse import parse

import ioukit
from ioukit.detection.lvis import lvis_evaluate
from ioukit.detection.tide import tide
from ioukit.report import render_html

HAS_STATS = importlib.util.find_spec("ioukit.stats") is not None


@pytest.fixture(scope="module")
def data() -> tuple[dict, list]:
    return random_dataset(3, n_images=30)


@pytest.fixture(scope="module")
def result(data: tuple[dict, list]) -> ioukit.COCOResult:
    return ioukit.coco_evaluate(*data)


def test_summary_statistics_and_printout(result: ioukit.COCOResult) -> None:
    doc = parse(render_html(result, intervals=False))
    text = doc.text()
    for v in result.stats:
        assert (f"{v:.4f}" if v != -1 else "—") in text
    assert result.summary().splitlines()[0].strip() in text


def test_pr_curves_are_pr_curve_and_best_f1(result: ioukit.COCOResult) -> None:
    fig = parse(render_html(result, intervals=False)).figures["plot-pr"]
    by_name = {t["name"]: t for t in fig["data"]}
    for t in (0.5, 0.75):
        curve = result.pr_curve(None, iou=t)
        trace = by_name[f"IoU {t:.2f}"]
        assert trace["y"] == curve.precision.tolist()
        assert trace["x"] == curve.recall.tolist()
        assert trace["customdata"] == curve.scores.tolist()
        best = result.best_f1(iou=t)["overall"]
        mark = by_name[f"best F1, IoU {t:.2f}"]
        assert (mark["x"], mark["y"]) == ([best["recall"]], [best["precision"]])
    mean = np.mean([result.pr_curve(None, iou=t).precision for t in result.params.iou_thresholds],
                   axis=0)  # fmt: skip
    np.testing.assert_array_equal(by_name["mean over the 10 IoU thresholds"]["y"], mean)


def test_per_category_table_and_bars(result: ioukit.COCOResult) -> None:
    doc = parse(render_html(result, intervals=False))
    t = doc.tables["table-categories"]
    rows = result.per_category()
    f1 = result.best_f1(iou=0.5)["per_category"]
    assert [c.text for c in t.column("category")] == [r["name"] for r in rows]
    for key in ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR100"):
        want = [np.nan if r[key] == -1 else r[key] for r in rows]
        np.testing.assert_array_equal([c.number for c in t.column(key)], want)
    assert [c.number for c in t.column("ground truths")] == [b["n_gt"] for b in f1]
    bars = doc.figures["plot-category-ap"]["data"][0]
    defined = sorted((r for r in rows if r["AP"] != -1), key=lambda r: -r["AP"])
    assert bars["x"] == [r["AP"] for r in defined]
    assert bars["y"] == [r["name"] for r in defined]


def test_tide_bars_when_given(data: tuple[dict, list], result: ioukit.COCOResult) -> None:
    without = parse(render_html(result, intervals=False))
    assert "plot-tide" not in without.plots
    assert "tide=tide(gt, dt)" in without.text()
    t = tide(*data)
    doc = parse(render_html(result, intervals=False, tide=t))
    bars = doc.figures["plot-tide"]["data"][0]
    assert bars["x"] == [*t.main_errors, *t.special_errors]
    assert bars["y"] == [*t.main_errors.values(), *t.special_errors.values()]
    table = doc.tables["table-tide"]
    assert [c.number for c in table.column("count")][:6] == list(t.counts.values())
    assert f"{t.base_ap:.2f}" in doc.text()


def test_result_without_match_records(result: ioukit.COCOResult) -> None:
    bare = ioukit.COCOResult(
        result.precision, result.recall, result.scores, params=result.params,
        category_names=result.category_names,
    )  # fmt: skip
    doc = parse(render_html(bare))
    names = [t["name"] for t in doc.figures["plot-pr"]["data"]]
    assert not any(n.startswith("best F1") for n in names)
    assert "best F1 @0.5" not in doc.tables["table-categories"].headers
    assert "Confidence intervals: not available" in doc.text()


def test_lvis_report(data: tuple[dict, list]) -> None:
    gt, dt = copy.deepcopy(data)
    for im in gt["images"]:
        im.update(neg_category_ids=[], not_exhaustive_category_ids=[])
    for cat, freq in zip(gt["categories"], "rcfcf", strict=True):
        cat["frequency"] = freq
    r = lvis_evaluate(gt, dt)
    doc = parse(render_html(r, intervals=False))
    t = doc.tables["table-categories"]
    assert [c.text for c in t.column("frequency")] == [row["frequency"] for row in r.per_category()]
    fig = doc.figures["plot-pr"]
    trace = next(d for d in fig["data"] if d["name"] == "IoU 0.50")
    prec = r.precision[0, :, :, 0]
    keep = prec[0] > -1
    np.testing.assert_array_equal(trace["y"], prec[:, keep].mean(axis=1))
    assert "LVIS (lvis-api)" in doc.text()


def test_detection_refuses_thumbnail_options(result: ioukit.COCOResult, tmp_path) -> None:
    with pytest.raises(ioukit.ParameterError, match="a detection report does not use them"):
        render_html(result, intervals=False, pairs={"a": ("p.png", "t.png")})
    with pytest.raises(ioukit.ParameterError, match="a detection report does not use them"):
        render_html(result, intervals=False, images=tmp_path)


@pytest.mark.skipif(not HAS_STATS, reason="ioukit.stats (the bootstrap) is not there yet")
def test_intervals_are_those_of_ioukit_stats(result: ioukit.COCOResult) -> None:
    from ioukit.stats import confidence_intervals

    cis = confidence_intervals(result, n_resamples=200, random_state=1)
    doc = parse(render_html(result, n_resamples=200, random_state=1))
    marks = doc.figures["plot-headline"]["data"][1]
    # in the order of the summary statistics (cards), those with an interval
    order = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm",
             "ARl")  # fmt: skip
    drawn = [k for k in order if k in cis and not np.isnan(cis[k].low)]
    assert set(cis) <= set(order)
    assert marks["customdata"] == [[cis[k].low, cis[k].high] for k in drawn]
    assert "200 resamples of the 30 images" in doc.text()


def test_custom_thresholds_draw_each_curve_once(data: tuple[dict, list]) -> None:
    r = ioukit.coco_evaluate(*data, iou_thresholds=(0.3, 0.5))
    names = [t["name"] for t in parse(render_html(r, intervals=False)).figures["plot-pr"]["data"]]
    # 0.5 is the closest to both 0.5 and 0.75: one curve, and the mean of the two thresholds
    assert [n for n in names if not n.startswith("best")] == [
        "IoU 0.50",
        "mean over the 2 IoU thresholds",
    ]
    one = ioukit.coco_evaluate(*data, iou_thresholds=(0.5,))
    names = [t["name"] for t in parse(render_html(one, intervals=False)).figures["plot-pr"]["data"]]
    assert names == ["IoU 0.50", "best F1, IoU 0.50"]
