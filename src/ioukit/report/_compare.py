"""The two-model page of an :class:`ioukit.stats.Comparison`: each model's metric and the
difference with intervals (forest plot), P(B > A), the per-class differences and the images
that changed most."""

from __future__ import annotations

from typing import Any

from ioukit.report._common import METHODS, fmt_ci, kv_table, percent, whiskers
from ioukit.report._page import (
    Col,
    Page,
    base_layout,
    cards_html,
    esc,
    is_nan,
    table_html,
    unique_labels,
)

__all__ = ["build_comparison"]

MAX_BARS = 60


def build_comparison(page: Page, cmp: Any) -> None:
    """Fill ``page`` with the sections of a comparison report."""
    a_label, b_label = cmp.labels
    page.section("summary", "Summary", _summary(page, cmp))
    page.section(
        "config",
        "How it was compared",
        kv_table(
            [
                ("metric", esc(cmp.metric)),
                ("models", f"A = {esc(a_label)}, B = {esc(b_label)}; difference = B − A"),
                ("images", f"{cmp.n_images:,}, paired by name"),
                (
                    "intervals",
                    f"{percent(cmp.level)} paired bootstrap ({_method(cmp)}), "
                    f"{cmp.n_resamples:,} resamples: the same images drawn for both models",
                ),
                ("P(B > A)", "the fraction of resamples in which B − A > 0"),
                ("p-value", "two-sided, paired bootstrap"),
            ],
            "table-config",
        ),
    )
    page.section("classes", "Per-class differences", _classes(page, cmp))
    page.section("changed", "Images that changed most", _images(cmp))


def _method(cmp: Any) -> str:
    return METHODS.get(cmp.method, esc(cmp.method))


def _summary(page: Page, cmp: Any) -> str:
    a_label, b_label = cmp.labels
    cards = cards_html(
        [
            (f"{cmp.metric}, A: {a_label}", cmp.a.estimate, cmp.a),
            (f"{cmp.metric}, B: {b_label}", cmp.b.estimate, cmp.b),
            ("difference B − A", cmp.difference.estimate, cmp.difference),
            ("P(B > A)", cmp.prob_b_better, None),
            ("p-value", cmp.p_value, None),
        ]
    )
    notes = [f"{esc(ci.metric)}: {esc(ci.note)}" for ci in (cmp.a, cmp.b, cmp.difference)]
    notes = [n for n, ci in zip(notes, (cmp.a, cmp.b, cmp.difference), strict=True) if ci.note]
    text = (
        f'<p class="note">{percent(cmp.level)} intervals from {cmp.n_resamples:,} paired bootstrap '
        f"resamples of {cmp.n_images:,} images ({_method(cmp)})."
        + (" " + "; ".join(notes) + "." if notes else "")
        + "</p>"
    )
    return cards + text + _forest(page, cmp)


def _forest(page: Page, cmp: Any) -> str:
    from ioukit.plot._style import PALETTE

    a_label, b_label = (esc(v) for v in cmp.labels)
    models = [(f"A: {a_label}", cmp.a), (f"B: {b_label}", cmp.b)]
    delta = [("B − A", cmp.difference)]
    hover = "%{y}: %{x:.4f}<br>interval [%{customdata[0]:.4f}, %{customdata[1]:.4f}]"
    data: list[dict[str, Any]] = []
    for rows, axes, colour in ((models, ("x", "y"), PALETTE["fn"]),
                               (delta, ("x2", "y2"), PALETTE["fp"])):  # fmt: skip
        items = ((label, ci.low, ci.high) for label, ci in rows)
        data += [
            whiskers(items, colour, 3, xaxis=axes[0], yaxis=axes[1]),
            {"type": "scatter", "mode": "markers", "x": [ci.estimate for _, ci in rows],
             "y": [label for label, _ in rows], "xaxis": axes[0], "yaxis": axes[1],
             "customdata": [[ci.low, ci.high] for _, ci in rows],
             "marker": {"color": "#000000", "size": 10},
             "hovertemplate": hover + "<extra></extra>"},
        ]  # fmt: skip
    layout = base_layout(
        height=220,
        showlegend=False,
        margin={"t": 48, "b": 44},
        xaxis={"domain": [0, 0.55], "title": {"text": esc(cmp.metric)}},
        yaxis={"type": "category", "autorange": "reversed"},
        xaxis2={"domain": [0.68, 1], "anchor": "y2", "title": {"text": "difference"},
                "zeroline": True, "zerolinecolor": "#000000", "gridcolor": "#e5e8eb",
                "rangemode": "tozero"},
        yaxis2={"type": "category", "anchor": "x2", "automargin": True},
        annotations=[
            {"text": "each model", "x": 0.0, "xref": "paper", "y": 1.16, "yref": "paper",
             "showarrow": False, "xanchor": "left"},
            {"text": "difference (zero: no change)", "x": 0.68, "xref": "paper", "y": 1.16,
             "yref": "paper", "showarrow": False, "xanchor": "left"},
        ],
    )  # fmt: skip
    return page.plot("plot-difference", data, layout)


def _classes(page: Page, cmp: Any) -> str:
    from ioukit.plot._style import PALETTE

    rows = [dict(r) for r in cmp.per_class]
    if not rows:
        return (
            f'<p class="note">{esc(cmp.metric)} has no per-class family: nothing to show here.</p>'
        )
    a_label, b_label = cmp.labels
    cols = [
        Col("name", "class", "text"),
        Col("metric", "metric", "text"),
        Col("a", f"A: {a_label}", bar="unit"),
        Col("b", f"B: {b_label}", bar="unit"),
        Col("difference", "B − A", bar="signed"),
        Col("low", "low"),
        Col("high", "high"),
        Col("prob_b_better", "P(B > A)", bar="unit", digits=3),
    ]
    drawn = sorted(
        (r for r in rows if not is_nan(r["difference"])), key=lambda r: -float(r["difference"])
    )
    note = ""
    if len(drawn) > MAX_BARS:
        half = MAX_BARS // 2
        note = f" The {half} largest gains and {half} largest losses of {len(drawn)} are drawn."
        drawn = drawn[:half] + drawn[-half:]
    labels = unique_labels([str(r["name"]) for r in drawn])
    colours = [PALETTE["tp"] if float(r["difference"]) >= 0 else PALETTE["fp"] for r in drawn]
    items = (
        (label, r["low"], r["high"])
        for label, r in zip(labels, drawn, strict=True)
        if not is_nan(r["low"])
    )
    data = [
        {"type": "bar", "orientation": "h", "x": [r["difference"] for r in drawn], "y": labels,
         "marker": {"color": colours},
         "customdata": [[r["low"], r["high"], r["prob_b_better"]] for r in drawn],
         "hovertemplate": "%{y}: B − A = %{x:.4f}<br>interval [%{customdata[0]:.4f}, "
         "%{customdata[1]:.4f}]<br>P(B > A) = %{customdata[2]:.3f}<extra></extra>"},
        whiskers(items, "#000000", 1.5),
    ]  # fmt: skip
    layout = base_layout(
        height=max(220, 70 + 22 * len(drawn)),
        showlegend=False,
        margin={"t": 32},
        xaxis={"title": {"text": f"difference in {esc(cmp.metric)} (B − A)"}, "zeroline": True,
               "zerolinecolor": "#000000"},
        yaxis={"type": "category", "autorange": "reversed", "tickfont": {"size": 11}},
        bargap=0.3,
    )  # fmt: skip
    plot = page.plot("plot-class-delta", data, layout) if drawn else ""
    return plot + (
        f'<p class="note">Sorted by difference, largest gain first; the black whiskers are the '
        f"{percent(cmp.level)} intervals.{note}</p>" + table_html("table-classes", cols, rows)
    )


def _images(cmp: Any) -> str:
    rows = [dict(r) for r in cmp.images]
    if not rows:
        return '<p class="note">No per-image scores to compare.</p>'
    a_label, b_label = cmp.labels
    cols = [
        Col("image", "image", "text"),
        Col("a", f"A: {a_label}", bar="unit"),
        Col("b", f"B: {b_label}", bar="unit"),
        Col("difference", "B − A", bar="signed"),
    ]
    return (
        f'<p class="note">The {len(rows)} images whose per-image {esc(cmp.image_score)} '
        f"changed most (largest |B − A| first), of {cmp.n_images:,}. Overall: "
        f"{esc(fmt_ci(cmp.difference))} difference.</p>" + table_html("table-images", cols, rows)
    )
