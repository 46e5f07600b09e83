"""The report of a :class:`~ioukit.PanopticResult`: PQ / SQ / RQ of All, Things and Stuff with
intervals, the configuration, per-category table, per-image PQ histogram and the worst images
(target and prediction PNGs side by side)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ioukit._errors import IoUKitError
from ioukit.panoptic.result import PanopticResult
from ioukit.report._common import (
    Options,
    headline_block,
    histogram,
    intervals,
    kv_table,
    percent,
    problems_block,
    sorted_bars,
    value_or_nan,
    worst_order,
)
from ioukit.report._page import Col, Page, esc, fmt, table_html
from ioukit.report._thumbnails import (
    LEFT_OUT,
    Budget,
    embed,
    find_image,
    panoptic_thumbnail,
    photo_thumbnail,
)

__all__ = ["build_panoptic"]

_GROUPS = (("All", ""), ("Things", "_th"), ("Stuff", "_st"))


def build_panoptic(page: Page, result: PanopticResult, opts: Options) -> None:
    """Fill ``page`` with the sections of a panoptic report."""
    doc = result.to_dict()
    scores = doc["scores"]
    keys = [f"{m}{suffix}" for _, suffix in _GROUPS for m in ("PQ", "SQ", "RQ")]
    cis, note = intervals(result, keys, opts)
    items = [
        (f"{m}{suffix}", f"{m} {group.lower()}" if suffix else m, scores[group][m.lower()])
        for group, suffix in _GROUPS
        for m in ("PQ", "SQ", "RQ")
    ]
    body = headline_block(page, "plot-headline", items, cis, note)
    body += "<h3>All, things and stuff</h3>" + _groups(scores, cis)
    page.section("summary", "Summary", body)
    page.section("config", "Configuration", _config(result, doc, opts))
    page.section("categories", "Per-category PQ", _categories(page, doc))
    page.section(
        "images",
        "Per-image PQ",
        histogram(page, "plot-histogram", result.per_image_pq, score="PQ")
        + '<p class="note">Each image\'s PQ is the mean over the categories with a segment in '
        "it (TP + FP + FN > 0).</p>",
    )
    page.section("worst", "Worst images", _worst(result, doc, opts))
    problems = result.problems or opts.problems
    if problems:
        page.section("problems", "Problems with the files", problems_block(problems))


def _groups(scores: dict[str, Any], cis: dict[str, Any]) -> str:
    rows = []
    for group, suffix in _GROUPS:
        row: dict[str, Any] = {"group": group, "n": scores[group]["n"]}
        for m in ("PQ", "SQ", "RQ"):
            row[m] = value_or_nan(scores[group][m.lower()])
            ci = cis.get(f"{m}{suffix}")
            row[f"{m}_ci"] = "—" if ci is None else f"[{fmt(ci.low)}, {fmt(ci.high)}]"
        rows.append(row)
    level = percent(next(iter(cis.values())).level) if cis else ""
    cols = [Col("group", "categories", "text")]
    for m in ("PQ", "SQ", "RQ"):
        cols.append(Col(m, m, bar="unit"))
        if cis:
            cols.append(Col(f"{m}_ci", f"{level} interval", "text"))
    cols.append(Col("n", "categories counted", "int"))
    return table_html("table-groups", cols, rows, sortable=False, max_height=False, compact=True)


def _config(result: PanopticResult, doc: dict[str, Any], opts: Options) -> str:
    o = doc["options"]
    things = sum(bool(t) for t in result.categories.isthing)
    n_cat = len(result.categories.ids)
    rows = [
        ("convention", esc(o["convention"])),
        (
            "aggregation",
            "dataset: counts summed over the images, then scored per category"
            if o["aggregation"] == "dataset"
            else "image: each image scored, then averaged over the images",
        ),
        ("PQ†", "yes: stuff scored by IoU alone" if o["pq_dagger"] else "no"),
        (
            "Boundary PQ",
            f"dilation ratio {o['boundary']:g}" if o["boundary"] is not None else "no",
        ),
        ("match rule", "same category and IoU > 0.5 (VOID pixels of the target left out)"),
        ("categories", f"{n_cat} ({things} things, {n_cat - things} stuff)"),
        ("images", f"{len(result.image_names):,}"),
        ("skipped images", f"{len(result.problems):,}"),
    ]
    rows += [(esc(k), esc(v)) for k, v in opts.source]
    return kv_table(rows, "table-config")


def _categories(page: Page, doc: dict[str, Any]) -> str:
    from ioukit.plot._style import PALETTE

    rows = [
        {**r, "kind": "thing" if r["isthing"] else "stuff", "category_id": str(r["category_id"])}
        for r in doc["per_category"]
    ]
    cols = [
        Col("category_id", "id", "text"),
        Col("name", "category", "text"),
        Col("kind", "kind", "text"),
        Col("pq", "PQ", bar="unit"),
        Col("sq", "SQ", bar="unit"),
        Col("rq", "RQ", bar="unit"),
        Col("tp", "TP", "int"),
        Col("fp", "FP", "int"),
        Col("fn", "FN", "int"),
    ]
    things = PALETTE["fn"], PALETTE["accent"]
    bars = sorted_bars(
        page, "plot-category-pq", [str(r["name"]) for r in rows], [r["pq"] for r in rows],
        score="PQ", what="categories", kinds=[r["kind"] for r in rows],
        colours=[things[0] if r["isthing"] else things[1] for r in rows],
        legend="blue: things, orange: stuff",
    )  # fmt: skip
    return (
        bars
        + table_html("table-categories", cols, rows)
        + (
            '<p class="note">— where a category has no segment (TP + FP + FN = 0): it is left out '
            "of the means.</p>"
        )
    )


def _worst(result: PanopticResult, doc: dict[str, Any], opts: Options) -> str:
    per = doc["per_image"]
    order = worst_order(result.per_image_pq, opts.max_thumbnails)
    budget = Budget(opts.thumbnail_budget)
    show = opts.pairs is not None or opts.images is not None
    rows = []
    for i in order.tolist():
        name = result.image_names[i]
        row = {"image": name, "pq": per[i]["pq"], "sq": per[i]["sq"], "rq": per[i]["rq"]}
        if show:
            row["views"] = _views(name, opts, budget)
        rows.append(row)
    cols = [
        Col("image", "image", "text"),
        Col("pq", "PQ", bar="unit"),
        Col("sq", "SQ", bar="unit"),
        Col("rq", "RQ", bar="unit"),
    ]
    head = (
        f'<p class="note">The {len(rows)} images with the lowest PQ (of '
        f"{len(result.image_names):,}). "
    )
    if show:
        cols.append(Col("views", "target | prediction", "html"))
        head += (
            "The target and predicted PNGs as they are (each colour is a segment id), shrunk "
            "by nearest neighbour. " + budget.sentence()
        )
    else:
        head += "Pass <code>pairs={file name: (prediction PNG, target PNG)}</code> to see them."
    return head + "</p>" + table_html("table-worst", cols, rows)


def _views(name: str, opts: Options, budget: Budget) -> str:
    if budget.closed:
        budget.skip()
        return LEFT_OUT
    views: list[tuple[str, str, tuple[int, int], bool]] = []
    pair = None if opts.pairs is None else opts.pairs.get(name)
    try:
        if pair is not None:
            for path, caption in ((pair[1], "target"), (pair[0], "prediction")):
                uri, size = panoptic_thumbnail(Path(path))
                views.append((uri, caption, size, True))
        photo = find_image(opts.images, name) if opts.images is not None else None
        if photo is not None:
            views.append(photo_thumbnail(photo))
    except IoUKitError as exc:
        return f'<span class="note">{esc(exc)}</span>'
    return embed(budget, views)
