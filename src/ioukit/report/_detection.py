"""The report of a :class:`~ioukit.COCOResult` or :class:`~ioukit.LVISResult`: the summary
statistics with intervals, the configuration, precision-recall curves with the F1-optimal point,
TIDE error bars (when a TIDE result is given) and per-category AP."""

from __future__ import annotations

from typing import Any

import numpy as np

from ioukit._errors import ParameterError
from ioukit.detection._lvis_result import LVISResult
from ioukit.detection.result import COCOResult
from ioukit.report._common import Options, headline_block, intervals, kv_table, sorted_bars
from ioukit.report._page import Col, Page, base_layout, esc, fmt, table_html

__all__ = ["build_detection"]

NDArray = np.ndarray[Any, Any]

COCO_STATS = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm",
              "ARl")  # fmt: skip
KEYPOINT_STATS = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")


def _undefined(v: Any) -> Any:
    """COCO's -1 (undefined) as None; other values as they are."""
    return None if isinstance(v, (int, float)) and v == -1 else v


def build_detection(page: Page, result: COCOResult | LVISResult, opts: Options) -> None:
    """Fill ``page`` with the sections of a detection report."""
    if isinstance(result, LVISResult):
        stats = {k: _undefined(v) for k, v in result.results.items()}
    else:
        names = KEYPOINT_STATS if result.params.iou_type == "keypoints" else COCO_STATS
        stats = {k: _undefined(float(v)) for k, v in zip(names, result.stats, strict=False)}
    cis, note = intervals(result, None, opts)
    items = [(k, k, v) for k, v in stats.items()]
    body = headline_block(page, "plot-headline", items, cis, note)
    body += (
        '<p class="note">— marks a statistic that is undefined for this data (COCO\'s -1).</p>'
        f"<details><summary>The printed summary</summary><pre>{esc(result.summary())}</pre>"
        "</details>"
    )
    page.section("summary", "Summary", body)
    page.section("config", "Configuration", kv_table(_config(result), "table-config"))
    curves = _curves(result)
    page.section("pr", "Precision-recall curves", _draw_curves(page, result, curves))
    page.section("tide", "TIDE error analysis", _tide(page, opts.tide))
    page.section("categories", "Per-category AP", _categories(page, result))


def _thresholds(values: Any) -> str:
    t = [float(v) for v in values]
    if len(t) > 3:
        return f"{len(t)} thresholds, {t[0]:g} to {t[-1]:.2f} ({', '.join(f'{v:.2f}' for v in t)})"
    return ", ".join(f"{v:g}" for v in t)


def _config(result: COCOResult | LVISResult) -> list[tuple[str, str]]:
    p = result.params
    areas = ", ".join(f"{esc(label)} [{lo:g}, {hi:g}]" for label, lo, hi in p.area_ranges)
    rows = [
        ("protocol", "LVIS (lvis-api)" if isinstance(result, LVISResult) else "COCO (pycocotools)"),
        ("IoU type", esc(p.iou_type)),
        ("IoU thresholds", _thresholds(p.iou_thresholds)),
        ("recall levels", f"{len(p.recall_thresholds)} (precision read at each)"),
        ("area ranges (pixels², inclusive)", areas),
        ("images", f"{len(p.img_ids):,}"),
        ("categories", f"{len(p.cat_ids):,}"),
    ]
    if isinstance(result, LVISResult):
        lp = result.params
        rows.append(("detections per image", "no cap" if lp.max_dets == -1 else str(lp.max_dets)))
        rows.append(("detections per category", esc(lp.max_dets_per_category or "no cap")))
        return rows
    cp = result.params
    per = "per image, all categories together" if cp.per_image_cap else "per image and category"
    rows += [
        ("max detections", ", ".join(map(str, cp.max_dets)) + f" ({per})"),
        ("categories evaluated separately", "yes" if cp.use_cats else "no: pooled"),
        ("convention", esc(cp.convention)),
    ]
    if cp.iou_type == "boundary":
        rows.append(("boundary dilation ratio", f"{cp.boundary_dilation_ratio:g}"))
    if cp.iou_type == "keypoints":
        rows.append(("keypoints (OKS sigmas)", str(len(cp.kpt_oks_sigmas))))
    return rows


def _closest(thresholds: Any, value: float) -> float:
    t = np.asarray(thresholds, dtype=np.float64)
    return float(t[int(np.argmin(np.abs(t - value)))])


def _drawn_thresholds(thresholds: Any) -> list[float]:
    """The evaluated IoU thresholds closest to 0.5 and 0.75 (once each, in order)."""
    return sorted({_closest(thresholds, target) for target in (0.5, 0.75)})


#: one curve: (label, precision (R,) or None when no category has ground truth, the score at
#: each recall level or None, its IoU threshold or None for the mean over thresholds)
Curve = tuple[str, "NDArray | None", "NDArray | None", "float | None"]


def _curves(result: COCOResult | LVISResult) -> list[Curve]:
    """From ``result.pr_curve`` (all categories with ground truth, area "all"): the evaluated
    thresholds closest to 0.5 and 0.75, and the mean over every threshold (``iou=None``)."""
    p = result.params
    area = "all" if "all" in [label for label, _, _ in p.area_ranges] else p.area_ranges[0][0]
    lvis = isinstance(result, LVISResult)
    curves: list[Curve] = []
    for t in _drawn_thresholds(p.iou_thresholds):
        c = result.pr_curve(None, iou=t, area=area)
        undefined = c.precision[0] == -1
        curves.append((f"IoU {t:.2f}", None if undefined else c.precision,
                       None if lvis else c.scores, t))  # fmt: skip
    if len(p.iou_thresholds) > 1:
        c = result.pr_curve(None, iou=None, area=area)
        mean = None if c.precision[0] == -1 else c.precision
        curves.append((f"mean over the {len(p.iou_thresholds)} IoU thresholds", mean, None, None))
    return curves


def _draw_curves(page: Page, result: COCOResult | LVISResult, curves: list[Curve]) -> str:
    from ioukit.plot._style import SERIES

    recall = np.asarray(result.params.recall_thresholds, dtype=np.float64)
    traces: list[dict[str, Any]] = []
    f1_marks: list[str] = []
    for (label, prec, scores, t), colour in zip(curves, SERIES, strict=False):
        if prec is None:
            continue
        hover = esc(label) + "<br>recall %{x:.2f}<br>precision %{y:.4f}"
        trace: dict[str, Any] = {
            "type": "scatter", "mode": "lines", "x": recall, "y": prec, "name": esc(label),
            "line": {"color": colour, "width": 2, "shape": "hv"},
            "hovertemplate": hover + "<extra></extra>",
        }  # fmt: skip
        if scores is not None:
            trace["customdata"] = scores
            trace["hovertemplate"] = (
                hover + "<br>reached at score ≥ %{customdata:.3f}<extra></extra>"
            )
        traces.append(trace)
        mark = _f1_point(result, t, colour) if isinstance(result, COCOResult) else None
        if mark is not None:
            traces.append(mark[0])
            f1_marks.append(f"IoU {t:.2f}: {mark[1]}")
    if not traces:
        return '<p class="note">No category has ground truth: there is no curve to draw.</p>'
    layout = base_layout(
        height=440,
        xaxis={"title": {"text": "recall"}, "range": [0, 1.01]},
        yaxis={"title": {"text": "precision"}, "range": [0, 1.03]},
        legend={"orientation": "h", "y": -0.2},
        margin={"b": 90},
    )
    note = (
        f"Interpolated precision at the {recall.size} recall levels, mean over the categories "
        "with ground truth (area all, the largest max detections)"
        + (
            "; hover for the detection score at which each recall is reached."
            if any(scores is not None for _, _, scores, _ in curves)
            else "."
        )
    )
    if f1_marks:
        note += (
            " Diamonds: the score threshold with the best F1 over all categories pooled, from "
            "the exact matches (<code>result.best_f1</code>), so it may sit off the "
            "interpolated curve: " + "; ".join(f1_marks) + "."
        )
    return page.plot("plot-pr", traces, layout) + f'<p class="note">{note}</p>'


def _f1_point(
    result: COCOResult, t: float | None, colour: str
) -> tuple[dict[str, Any], str] | None:
    if t is None:
        return None
    try:
        best = result.best_f1(iou=t)["overall"]
    except ParameterError:  # built from arrays: no match records
        return None
    if best["f1"] <= 0:
        return None
    words = (
        f"F1 {best['f1']:.4f} at score ≥ {best['threshold']:.3f} (precision "
        f"{best['precision']:.4f}, recall {best['recall']:.4f})"
    )
    mark = {
        "type": "scatter", "mode": "markers", "x": [best["recall"]], "y": [best["precision"]],
        "marker": {"symbol": "diamond", "size": 13, "color": colour,
                   "line": {"color": "#000000", "width": 1}},
        "name": f"best F1, IoU {t:.2f}", "hovertemplate": words + "<extra></extra>",
    }  # fmt: skip
    return mark, words


def _tide(page: Page, tide: Any) -> str:
    if tide is None:
        return (
            '<p class="note">TIDE needs the ground truth and the detections, not only this '
            "result. To add it: <code>from ioukit.detection.tide import tide</code>, then "
            "<code>write_html(result, path, tide=tide(gt, dt))</code> (or "
            "<code>result.to_html(path, tide=...)</code>).</p>"
        )
    from ioukit.plot._style import PALETTE

    main, special = tide.main_errors, tide.special_errors
    keys = [*main, *special]
    values = [*main.values(), *special.values()]
    counts = [tide.counts.get(k) for k in main] + [None] * len(special)
    colours = [PALETTE["fp"]] * len(main) + [PALETTE["fn"]] * len(special)
    data = [
        {"type": "bar", "x": keys, "y": values, "marker": {"color": colours},
         "text": [fmt(v, 2) for v in values], "textposition": "outside", "cliponaxis": False,
         "hovertemplate": "%{x}: ΔAP %{y:.2f}<extra></extra>"},
    ]  # fmt: skip
    layout = base_layout(
        height=360,
        yaxis={"title": {"text": "ΔAP (AP points) if fixed"}, "rangemode": "tozero"},
        showlegend=False,
        margin={"t": 32},
    )
    rows = [
        {"type": k, "group": "main" if k in main else "special", "dap": v, "count": n}
        for k, v, n in zip(keys, values, counts, strict=True)
    ]
    cols = [
        Col("type", "error type", "text"),
        Col("group", "group", "text"),
        Col("dap", "ΔAP", bar="max", digits=2),
        Col("count", "count", "int"),
    ]
    head = (
        f"<p>TIDE AP @ {tide.pos_threshold:g}: <b>{fmt(tide.base_ap, 2)}</b> (AP points; "
        f"t_f {tide.pos_threshold:g}, t_b {tide.background_threshold:g}, max_dets "
        f"{tide.max_dets}, {esc(tide.iou_type)}, convention {esc(tide.convention)}). "
        f"{tide.n_images:,} images, {tide.n_gt:,} ground truths, {tide.n_detections:,} "
        f"detections: {tide.n_tp:,} TP, {tide.n_fp:,} FP, {tide.n_ignored:,} ignored, "
        f"{tide.n_fn:,} FN.</p>"
    )
    note = (
        '<p class="note">Each bar is the AP gained by fixing one error type alone (red: '
        "Cls, Loc, Both, Dupe, Bkg, Miss; blue: FalsePos = perfect precision, FalseNeg = "
        "perfect recall). The fixes overlap, so the bars do not add up to 100 − AP; TIDE's AP "
        "is not COCO's AP50 (see <code>ioukit.detection.tide.tide</code>).</p>"
    )
    return (
        head
        + page.plot("plot-tide", data, layout)
        + note
        + table_html("table-tide", cols, rows, max_height=False, compact=True)
    )


def _categories(page: Page, result: COCOResult | LVISResult) -> str:
    rows = [{k: _undefined(v) for k, v in r.items()} for r in result.per_category()]
    lvis = isinstance(result, LVISResult)
    cols = [Col("category_id", "id", "text"), Col("name", "category", "text")]
    if lvis:
        cols.append(Col("frequency", "frequency", "text", tip="r: rare, c: common, f: frequent"))
    ap_keys = [k for k in ("AP", "AP50", "AP75", "APs", "APm", "APl") if rows and k in rows[0]]
    ar_keys = [k for k in (rows[0] if rows else {}) if k.startswith("AR")]
    cols += [Col(k, k, bar="unit") for k in ap_keys + ar_keys]
    if isinstance(result, COCOResult):
        try:
            f1 = result.best_f1(iou=_closest(result.params.iou_thresholds, 0.5))["per_category"]
        except ParameterError:
            f1 = None
        if f1 is not None:
            for r, b in zip(rows, f1, strict=True):
                r.update(n_gt=b["n_gt"], f1=_undefined(b["f1"]), thr=b["threshold"])
            cols += [
                Col("n_gt", "ground truths", "int", tip="at IoU 0.5, area all"),
                Col("f1", "best F1 @0.5", bar="unit"),
                Col("thr", "at score ≥", digits=3),
            ]
    for r in rows:
        r["category_id"] = str(r["category_id"])
    bars = sorted_bars(
        page, "plot-category-ap", [str(r["name"]) for r in rows], [r.get("AP") for r in rows],
        score="AP", what="categories",
    )  # fmt: skip
    return (
        bars
        + table_html("table-categories", cols, rows)
        + (
            '<p class="note">Each category\'s numbers are what the summary would give for it '
            "alone; — where undefined (no ground truth in that area range). Click a heading "
            "to sort.</p>"
        )
    )
