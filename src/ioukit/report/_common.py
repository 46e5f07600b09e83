"""Blocks that several kinds of report share: the options, the confidence intervals, the
headline cards and whiskers, the configuration in words, the histogram of per-image scores."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ioukit._errors import IoUKitError
from ioukit.report._page import (
    Page,
    base_layout,
    cards_html,
    esc,
    fmt,
    is_nan,
    unique_labels,
)

__all__ = [
    "METHODS",
    "Options",
    "fmt_ci",
    "headline_block",
    "histogram",
    "intervals",
    "kv_table",
    "percent",
    "problems_block",
    "sorted_bars",
    "value_or_nan",
    "whiskers",
    "worst_order",
]

MAX_PROBLEM_LINES = 200
METHODS = {"bca": "BCa", "percentile": "percentile"}  # how the page names each method
NO_INTERVALS = (
    '<p class="note">Confidence intervals: not computed (<code>intervals=False</code>).</p>'
)
MAX_BARS = 60  # bars of a sorted bar chart at most: the best and the worst halves

NDArray = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Options:
    """The checked options of :func:`ioukit.report.write_html`."""

    title: str | None = None
    intervals: bool = True
    n_resamples: int = 2000
    random_state: Any = 0
    images: Path | None = None
    pairs: dict[str, tuple[Path, Path]] | None = None
    max_thumbnails: int = 24
    thumbnail_budget: int = 4_000_000
    tide: Any = None
    reduce_zero_label: bool = False
    # how a folder evaluation read its pairs (palette, label map): the overlays read them alike
    reading: dict[str, Any] | None = None
    problems: tuple[Any, ...] = ()
    source: tuple[tuple[str, str], ...] = ()  # where the result came from, in words


def percent(level: float) -> str:
    """A confidence level as the page writes it.

    >>> percent(0.95), percent(0.975)
    ('95%', '97.5%')
    """
    return f"{round(100 * level, 10):g}%"


def intervals(
    result: Any, metrics: Sequence[str] | None, opts: Options
) -> tuple[dict[str, Any], str]:
    """``ioukit.stats.confidence_intervals`` of ``metrics`` (None: the result kind's headline),
    and a sentence that states how they were made (or why there are none)."""
    if not opts.intervals:
        return {}, NO_INTERVALS
    from ioukit.stats import confidence_intervals

    try:
        cis: dict[str, Any] = confidence_intervals(
            result, metrics, n_resamples=opts.n_resamples, random_state=opts.random_state
        )
    except IoUKitError as exc:  # e.g. a result without per-image state: said on the page
        return {}, f'<p class="note">Confidence intervals: not available ({esc(exc)}).</p>'
    if not cis:
        return {}, '<p class="note">Confidence intervals: none for this result.</p>'
    first = next(iter(cis.values()))
    methods = sorted({ci.method for ci in cis.values()})
    how = " and ".join(METHODS.get(m, esc(m)) for m in methods)
    text = (
        f"Intervals: {percent(first.level)} bootstrap ({how}), {first.n_resamples:,} resamples "
        f"of the {first.n_images:,} images (whole images drawn with replacement, one draw for "
        f"every metric), <code>random_state={esc(repr(opts.random_state))}</code>."
    )
    notes = [f"{esc(ci.metric)}: {esc(ci.note)}" for ci in cis.values() if ci.note]
    if notes:
        text += " " + "; ".join(notes) + "."
    return cis, f'<p class="note">{text}</p>'


def headline_block(
    page: Page,
    plot_id: str,
    items: Sequence[tuple[str, str, Any]],
    cis: dict[str, Any],
    note: str,
) -> str:
    """Cards of ``(metric key, label, value)`` with their intervals from ``cis`` (by key), the
    sentence ``note``, and, when there are intervals, a dot-and-whisker figure of them."""
    cards = [(label, value, cis.get(key)) for key, label, value in items]
    known = {key for key, _, _ in items}
    cards += [(key, ci.estimate, ci) for key, ci in cis.items() if key not in known]
    out = cards_html(cards) + note
    drawn = [(label, value, ci) for label, value, ci in cards if ci is not None]
    drawn = [c for c in drawn if not is_nan(c[1]) and not is_nan(c[2].low)]
    if drawn:
        out += _whiskers(page, plot_id, drawn)
    return out


def _whiskers(page: Page, plot_id: str, rows: Sequence[tuple[str, Any, Any]]) -> str:
    from ioukit.plot._style import PALETTE

    labels = [esc(label) for label, _, _ in rows]
    items = ((label, ci.low, ci.high) for label, (_, _, ci) in zip(labels, rows, strict=True))
    data = [
        whiskers(items, PALETTE["fn"], 3, name="interval"),
        {"type": "scatter", "mode": "markers", "x": [v for _, v, _ in rows], "y": labels,
         "customdata": [[ci.low, ci.high] for _, _, ci in rows],
         "marker": {"color": PALETTE["line"], "size": 9}, "name": "estimate",
         "showlegend": False,
         "hovertemplate": "%{y}: %{x:.4f}<br>interval [%{customdata[0]:.4f}, "
         "%{customdata[1]:.4f}]<extra></extra>"},
    ]  # fmt: skip
    layout = base_layout(
        height=max(160, 60 + 30 * len(rows)),
        margin={"t": 32, "b": 40},
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis={"title": {"text": "estimate and interval"}},
        showlegend=False,
    )
    return page.plot(plot_id, data, layout)


def whiskers(
    items: Iterable[tuple[str, Any, Any]], colour: str, width: float, **extra: Any
) -> dict[str, Any]:
    """One trace of horizontal interval whiskers, from ``low`` to ``high`` at each ``(label,
    low, high)``, with end caps (None between segments breaks the line)."""
    xs: list[Any] = []
    ys: list[Any] = []
    for label, low, high in items:
        xs += [low, high, None]
        ys += [label, label, None]
    return {
        "type": "scatter", "mode": "lines+markers", "x": xs, "y": ys, "hoverinfo": "skip",
        "line": {"color": colour, "width": width}, "showlegend": False,
        "marker": {"symbol": "line-ns", "size": 10, "color": colour,
                   "line": {"color": colour, "width": width}},
        **extra,
    }  # fmt: skip


def kv_table(rows: Sequence[tuple[str, str]], table_id: str) -> str:
    """The configuration in words: ``(what, value)`` rows, both already markup (escaped)."""
    body = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return f'<div class="table-wrap"><table id="{table_id}" class="kv">{body}</table></div>'


def histogram(
    page: Page,
    plot_id: str,
    values: NDArray,
    *,
    score: str,
    line: tuple[float, str] | None = None,
    bins: int = 50,
) -> str:
    """The histogram of per-image scores in [0, 1]: ``bins`` equal bins (the values are binned
    here, so the page holds ``bins`` bars for any number of images), with an optional vertical
    line ``(x, label)``. Images without a score (NaN) are counted in the note."""
    from ioukit.plot._style import PALETTE

    values = np.asarray(values, dtype=np.float64)
    defined = values[~np.isnan(values)]
    counts, edges = np.histogram(defined, bins=bins, range=(0.0, 1.0))
    data: list[dict[str, Any]] = [
        {"type": "bar", "x": edges[:-1], "y": counts, "width": 1.0 / bins, "offset": 0,
         "customdata": edges[1:], "marker": {"color": PALETTE["fn"]}, "name": score,
         "hovertemplate": score + " in [%{x:.2f}, %{customdata:.2f}): %{y} images"
         "<extra></extra>"},
    ]  # fmt: skip
    shapes, notes = [], []
    if line is not None and not math.isnan(line[0]):
        shapes.append(
            {"type": "line", "x0": line[0], "x1": line[0], "y0": 0, "y1": 1, "yref": "paper",
             "line": {"color": PALETTE["fp"], "dash": "dash", "width": 2}}
        )  # fmt: skip
        notes.append(
            {"x": line[0], "y": 0.98, "yref": "paper", "text": esc(line[1]), "showarrow": False,
             "xanchor": "right" if line[0] > 0.5 else "left", "yanchor": "top",
             "xshift": -4 if line[0] > 0.5 else 4, "font": {"color": PALETTE["fp"]},
             "bgcolor": "rgba(255,255,255,0.85)"}
        )  # fmt: skip
    layout = base_layout(
        height=340,
        bargap=0.05,
        shapes=shapes,
        annotations=notes,
        margin={"t": 32},
        xaxis={"title": {"text": score}, "range": [0, 1]},
        yaxis={"title": {"text": "images"}},
        showlegend=False,
    )
    n_nan = int(values.size - defined.size)
    note = (
        f"{defined.size:,} images in {bins} bins of width {1 / bins:g}"
        + (
            f"; {n_nan:,} images without a defined {esc(score)} (NaN) are not drawn"
            if n_nan
            else ""
        )
        + "."
    )
    return page.plot(plot_id, data, layout) + f'<p class="note">{note}</p>'


def worst_order(values: NDArray, limit: int) -> NDArray:
    """Positions of the ``limit`` lowest defined values, lowest first (ties in image order)."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="stable")  # NaN sorts last
    return np.asarray(order[~np.isnan(values[order])][:limit])


def value_or_nan(value: Any) -> float:
    """A float for a table cell; None stays missing (NaN)."""
    return math.nan if value is None else float(value)


def fmt_ci(ci: Any) -> str:
    """``0.6423 [0.6101, 0.6712]`` or ``—``."""
    if ci is None:
        return "—"
    return f"{fmt(ci.estimate)} [{fmt(ci.low)}, {fmt(ci.high)}]"


def problems_block(problems: Sequence[Any]) -> str:
    """The files that could not be evaluated (``Problem`` records), at most
    :data:`MAX_PROBLEM_LINES` lines."""
    lines = [f"{p.kind}: {p}" for p in problems]
    more = len(lines) - MAX_PROBLEM_LINES
    text = "\n".join(lines[:MAX_PROBLEM_LINES]) + (f"\n... and {more:,} more" if more > 0 else "")
    return (
        f'<p class="note">{len(lines):,} file problem{"s" if len(lines) != 1 else ""} '
        '(skipped with <code>on_bad="skip"</code>):</p>'
        f"<pre>{esc(text)}</pre>"
    )


def sorted_bars(
    page: Page,
    plot_id: str,
    names: Sequence[str],
    values: Sequence[Any],
    *,
    score: str,
    what: str,
    colours: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    legend: str = "",
) -> str:
    """Horizontal bars of ``values`` in [0, 1], best first (undefined ones left out), at most
    :data:`MAX_BARS` (the best and the worst halves), with a sentence saying what is drawn.
    ``colours`` and ``kinds`` (a word in the hover) go with each value; ``legend`` (markup)
    says what the colours mean."""
    from ioukit.plot._style import PALETTE

    keep = [i for i, v in enumerate(values) if not is_nan(v)]
    keep.sort(key=lambda i: -float(values[i]))
    note = f"{what.capitalize()} sorted by {esc(score)}, best first{legend and '; ' + legend}."
    if len(keep) > MAX_BARS:
        half = MAX_BARS // 2
        note += (
            f" The {half} best and {half} worst of the {len(keep)} {what} with a defined "
            f"{esc(score)} are drawn; the table has them all."
        )
        keep = keep[:half] + keep[-half:]
    if not keep:
        return f'<p class="note">No {what} with a defined {esc(score)}.</p>'
    trace: dict[str, Any] = {
        "type": "bar", "orientation": "h", "x": [values[i] for i in keep],
        "y": unique_labels([names[i] for i in keep]),
        "marker": {"color": [colours[i] for i in keep] if colours else PALETTE["fn"]},
        "text": [fmt(values[i], 3) for i in keep], "textposition": "outside",
        "cliponaxis": False, "hovertemplate": "%{y}: " + esc(score) + " %{x:.4f}<extra></extra>",
    }  # fmt: skip
    if kinds is not None:
        trace["customdata"] = [kinds[i] for i in keep]
        trace["hovertemplate"] = "%{y} (%{customdata}): " + esc(score) + " %{x:.4f}<extra></extra>"
    layout = base_layout(
        height=max(200, 70 + 20 * len(keep)),
        xaxis={"title": {"text": esc(score)}, "range": [0, 1.1]},
        yaxis={"autorange": "reversed", "type": "category", "tickfont": {"size": 11}},
        margin={"t": 32},
        showlegend=False,
        bargap=0.25,
    )
    return page.plot(plot_id, [trace], layout) + f'<p class="note">{note}</p>'
