"""The report of a :class:`~ioukit.SegmentationResult`: headline with intervals, every
convention's mIoU, the configuration, per-class table, confusion matrix, per-image mIoU
histogram and the worst images with TP/FP/FN overlays."""

from __future__ import annotations

from typing import Any

import numpy as np

from ioukit._errors import IoUKitError
from ioukit._quality_bands import describe_quality_bands
from ioukit.report._common import (
    Options,
    headline_block,
    histogram,
    intervals,
    kv_table,
    problems_block,
    sorted_bars,
    worst_order,
)
from ioukit.report._page import BLUES, Col, Page, base_layout, esc, fmt, table_html, unique_labels
from ioukit.report._thumbnails import (
    CORRECT,
    LEFT_OUT,
    Budget,
    embed,
    find_image,
    legend_html,
    photo_thumbnail,
    segmentation_thumbnails,
)
from ioukit.segmentation import SegmentationResult

__all__ = ["build_segmentation"]

NDArray = np.ndarray[Any, Any]

_SUMMARY = (
    ("miou", "mIoU"),
    ("mdice", "mDice"),
    ("pixel_accuracy", "pixel accuracy (aAcc)"),
    ("mean_accuracy", "mean class accuracy (mAcc)"),
    ("fw_iou", "frequency-weighted IoU"),
)
MAX_MATRIX = 40  # classes drawn in the confusion matrix at most
MAX_CELL_TEXT = 12  # the row fraction is written in the cells up to this many classes


def build_segmentation(page: Page, result: SegmentationResult, opts: Options) -> None:
    """Fill ``page`` with the sections of a segmentation report."""
    doc = result.to_dict()
    summary = doc["summary"]
    per_image = result.per_image_counts is not None
    cis, ci_note = intervals(result, [k for k, _ in _SUMMARY], opts)
    items = [(key, label, summary[key]) for key, label in _SUMMARY]
    body = headline_block(page, "plot-headline", items, cis, ci_note)
    body += "<h3>The mIoU of each library's convention</h3>" + _conventions(result, doc)
    page.section("summary", "Summary", body)
    page.section("config", "Configuration", _config(result, doc, opts))
    page.section("classes", "Per-class scores", _classes(page, doc))
    page.section("confusion", "Confusion matrix", _confusion(page, result))
    if per_image:
        miou = result.miou
        hist = histogram(
            page, "plot-histogram", result.per_image_miou, score="mIoU",
            line=(miou, f"dataset mIoU {fmt(miou)}"),
        )  # fmt: skip
        page.section(
            "images",
            "Per-image mIoU",
            hist + '<p class="note">Each image\'s mIoU is the mean over the classes present in its '
            "target or prediction; the dashed line is the dataset-level mIoU (counts summed "
            "over all images first), which is not the mean of this histogram.</p>",
        )
        page.section("worst", "Worst images", _worst(result, opts))
    else:
        page.section(
            "images",
            "Per-image scores",
            '<p class="note">Per-image counts were not kept (<code>per_image=False</code> in '
            "the evaluator): no histogram, worst images or intervals.</p>",
        )
    if opts.problems:
        page.section("problems", "Problems with the files", problems_block(opts.problems))


def _conventions(result: SegmentationResult, doc: dict[str, Any]) -> str:
    notes = result.convention_notes()
    rows = [
        {"name": name, "value": value, "note": notes.get(name, "")}
        for name, value in doc["conventions"].items()
    ]
    cols = [Col("name", "convention", "text"), Col("value", "mIoU", bar="unit")]
    if notes:
        cols.append(Col("note", "why there is no value", "text"))
    return table_html("table-conventions", cols, rows, max_height=False, compact=True) + (
        '<p class="note">The same counts, averaged as each library does (see '
        "<code>ioukit.CONVENTIONS</code>); <b>ioukit</b> is the headline mIoU.</p>"
    )


def _names(result: SegmentationResult, ids: Any) -> str:
    return ", ".join(f"{int(c)} ({esc(result.class_names[int(c)])})" for c in ids) or "none"


def _config(result: SegmentationResult, doc: dict[str, Any], opts: Options) -> str:
    cfg = doc["config"]
    ignore = cfg["ignore_index"]
    rows = [
        ("classes", f"{result.num_classes} (ids 0 to {result.num_classes - 1})"),
        (
            "ignored values",
            ", ".join(map(str, ignore)) + ": target pixels with these values are not counted"
            if ignore
            else "none: every target pixel is counted",
        ),
        (
            "ignored classes",
            _names(result, cfg["ignored_classes"])
            + " (left out of every mean)" * bool(cfg["ignored_classes"]),
        ),
        ("averaging", esc(cfg["averaging"])),
        ("absent classes", "IoU undefined (NaN, shown as —) and skipped by the means"),
        ("confusion matrix", esc(cfg["confusion_matrix_layout"])),
        (
            "images",
            f"{cfg['num_images']:,}"
            if cfg["num_images"] is not None
            else "per-image counts not kept",
        ),
    ]
    if "boundary" in doc:
        b = doc["boundary"]
        rows.append(
            (
                "Boundary IoU",
                f"dilation ratio {esc(b['dilation_ratio'])}, convention "
                f"{esc(b['convention'])}, mean {fmt(b['mean_iou'])}",
            )
        )
    if opts.source:
        rows += [(esc(k), esc(v)) for k, v in opts.source]
    return kv_table(rows, "table-config")


def _classes(page: Page, doc: dict[str, Any]) -> str:
    rows = doc["per_class"]
    bars = sorted_bars(
        page, "plot-class-iou", [r["name"] for r in rows], [r["iou"] for r in rows],
        score="IoU", what="classes",
    )  # fmt: skip
    cols = [
        Col("id", "id", "int"),
        Col("name", "class", "text"),
        Col("iou", "IoU", bar="unit"),
        Col("dice", "Dice", bar="unit"),
        Col("precision", "precision", bar="unit"),
        Col("recall", "recall", bar="unit"),
        Col("support", "target pixels", "int", bar="max"),
        Col("tp", "TP", "int"),
        Col("fp", "FP", "int"),
        Col("fn", "FN", "int"),
        Col("quality", "quality", "text", tip=describe_quality_bands(_bands(doc))),
    ]
    if any(r["nan_reason"] for r in rows):
        cols.append(Col("nan_reason", "undefined because", "text"))
    if "boundary" in doc:
        rows = [{**r, "biou": b} for r, b in zip(rows, doc["boundary"]["iou"], strict=True)]
        cols.insert(6, Col("biou", "Boundary IoU", bar="unit"))
    return (
        bars
        + table_html("table-classes", cols, rows)
        + (
            '<p class="note">Click a column heading to sort; undefined values (—) stay last. '
            "Recall is the class accuracy.</p>"
        )
    )


def _bands(doc: dict[str, Any]) -> tuple[tuple[float, str], ...]:
    """The quality bands of the result that wrote ``doc`` (its ``to_dict()``)."""
    return tuple((float(t), str(n)) for t, n in doc["config"]["quality_bands"])


def _confusion(page: Page, result: SegmentationResult) -> str:
    from ioukit.plot import plot_confusion_matrix

    z = np.asarray(plot_confusion_matrix(result, normalize="true").data[0].z, dtype=np.float64)
    cm = result.confusion_matrix
    c = result.num_classes
    keep = np.arange(c)
    note = ""
    if c > MAX_MATRIX:  # the classes with the most errors, in class order
        errors = result.fp + result.fn
        keep = np.sort(np.argsort(-errors, kind="stable")[:MAX_MATRIX])
        note = (
            f" Of the {c} classes, the {MAX_MATRIX} with the most wrong pixels (FP + FN) are "
            "drawn; each row's fraction is of the whole row."
        )
    ignored = set(result.counts.ignored_classes)
    names = [result.class_names[k] + (" (ignored)" if k in ignored else "") for k in keep.tolist()]
    labels = unique_labels(names)
    zk, ck = z[np.ix_(keep, keep)], cm[np.ix_(keep, keep)]
    n = keep.size
    text = [["" if not (v > 0) else f"{v:.2f}" for v in row] for row in zk.tolist()]
    trace = {
        "type": "heatmap", "x": labels, "y": labels, "z": zk, "customdata": ck,
        "zmin": 0, "zmax": 1, "colorscale": BLUES, "xgap": 1, "ygap": 1,
        "hoverongaps": False, "colorbar": {"title": {"text": "row fraction"}},
        "hovertemplate": "target %{y}<br>prediction %{x}<br>%{customdata:,} pixels, "
        "%{z:.2%} of the row<extra></extra>",
    }  # fmt: skip
    if n <= MAX_CELL_TEXT:  # writing in every cell costs the browser time; hover has it all
        trace.update(text=text, texttemplate="%{text}", textfont={"size": 11})
    layout = base_layout(
        height=int(min(1100, max(380, 140 + 26 * n))),
        margin={"l": 40, "b": 40, "t": 32},
        xaxis={"title": {"text": "prediction"}, "tickangle": -45 if n > 8 else 0,
               "type": "category", "showgrid": False},
        yaxis={"title": {"text": "target"}, "autorange": "reversed", "type": "category",
               "showgrid": False},
    )  # fmt: skip
    return page.plot("plot-confusion", [trace], layout) + (
        '<p class="note">Rows are the target class, columns the prediction; colour is the '
        "fraction of the row (the diagonal is the class recall), hover for the pixel count. "
        "Rows of classes without target pixels are empty." + note + "</p>"
    )


def _worst(result: SegmentationResult, opts: Options) -> str:
    from ioukit.plot._style import PALETTE

    miou, acc, iou = result.per_image_miou, result.per_image_accuracy, result.per_image_iou
    order = worst_order(miou, opts.max_thumbnails)
    budget = Budget(opts.thumbnail_budget)
    rows = []
    for i in order.tolist():
        name = result.image_names[i]
        c = int(np.nanargmin(iou[i]))
        rows.append(
            {
                "image": name, "miou": miou[i], "acc": acc[i],
                "class": result.class_names[c], "class_iou": iou[i, c],
                "views": _views(result, name, c, opts, budget, PALETTE),
            }
        )  # fmt: skip
    cols = [
        Col("image", "image", "text"),
        Col("miou", "mIoU", bar="unit"),
        Col("acc", "pixel accuracy", bar="unit"),
        Col("class", "worst class", "text"),
        Col("class_iou", "its IoU", bar="unit"),
    ]
    show = opts.pairs is not None or opts.images is not None
    if show:
        cols.append(Col("views", "overlays", "html"))
    legend = legend_html(
        [
            (PALETTE["tp"], "TP: prediction and target are the worst class"),
            (PALETTE["fp"], "FP: predicted as it, target another class"),
            (PALETTE["fn"], "FN: target is it, predicted as another"),
            (PALETTE["ignored"], "ignored target pixels"),
            (CORRECT, "all classes: prediction = target"),
            (PALETTE["fp"], "all classes: prediction ≠ target"),
        ]
    )
    head = (
        f'<p class="note">The {len(rows)} images with the lowest mIoU (of '
        f"{len(result.image_names):,}). "
    )
    if show:
        head += (
            "Overlays: on the original image when one is found (<code>images=</code>), else on "
            "the target's classes as grey levels. <b>Worst class</b>: the image's class with "
            "the lowest IoU, coloured as below; everything else is dimmed. <b>All classes</b>: "
            "pale green where prediction = target, red where they differ. " + budget.sentence()
        )
    else:
        head += "Pass <code>pairs={name: (pred path, target path)}</code> to see overlays."
    body = head + "</p>" + (legend if show else "")
    return body + table_html("table-worst", cols, rows)


def _views(
    result: SegmentationResult,
    name: str,
    c: int,
    opts: Options,
    budget: Budget,
    palette: dict[str, str],
) -> str:
    """The overlay thumbnails of one image (or why there are none)."""
    if budget.closed:
        budget.skip()
        return LEFT_OUT
    photo = find_image(opts.images, name) if opts.images is not None else None
    pair = None if opts.pairs is None else opts.pairs.get(name)
    from ioukit._folder import read_pair
    from ioukit.io import reduce_zero_label

    try:
        if pair is None:
            return embed(budget, [photo_thumbnail(photo)] if photo is not None else [])
        pred, target = read_pair(pair[0], pair[1], opts.reading or {})
        if opts.reduce_zero_label:
            target = reduce_zero_label(target)
    except IoUKitError as exc:
        return f'<span class="note">{esc(exc)}</span>'
    if pred.ndim != 2 or pred.shape != target.shape:
        return (
            f'<span class="note">no overlay: prediction {pred.shape}, target {target.shape} '
            "(2-D maps of one size are drawn)</span>"
        )
    views, note = segmentation_thumbnails(
        pred, target, worst_class=c, ignore=result.ignore_index,
        num_classes=result.num_classes, photo_path=photo, palette=palette,
    )  # fmt: skip
    out = embed(budget, views)
    return out + (f'<span class="note">{esc(note)}</span>' if note else "")
