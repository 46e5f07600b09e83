"""Plotly figures that explain IoU / Jaccard (``pip install 'ioukit[plot]'``).

Not imported by ``import ioukit``: use ``import ioukit.plot`` (importing it imports plotly).
Every function returns a :class:`plotly.graph_objects.Figure` and only *draws*: every number
shown comes from an ioukit function (:func:`ioukit.set_counts`, :func:`ioukit.binary_counts`,
:func:`ioukit.jaccard`, :func:`ioukit.jaccard_curve`, :func:`ioukit.best_threshold`,
:func:`ioukit.f1_to_jaccard`, :func:`ioukit.accuracy`, the fields of a
:class:`ioukit.SegmentationResult`), so a figure can never disagree with the library.

===================================== ===================================================
:func:`plot_set_overlap`              A only / A ∩ B / B only of two sets or binary vectors
:func:`plot_mask_overlap`             TP / FP / FN / background map of a binary mask
:func:`plot_jaccard_curve`            Jaccard against the threshold, best threshold marked
:func:`plot_jaccard_fp_fn`            Jaccard over a grid of FP × FN at a fixed TP
:func:`plot_f1_jaccard`               the map ``J = F1 / (2 − F1)``
:func:`plot_added_true_negatives`     true negatives move accuracy, never Jaccard
:func:`plot_class_iou`                per-class IoU bars of a segmentation result
:func:`plot_confusion_matrix`         confusion matrix of a segmentation result
===================================== ===================================================

Colours come from the Okabe–Ito palette, which stays distinguishable under the common forms of
colour blindness; continuous scales are Viridis / Blues.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from numbers import Integral
from typing import Any, Literal

import numpy as np

from ioukit._errors import InputError, MissingDependencyError, ParameterError

try:
    import plotly.graph_objects as go  # type: ignore[import-untyped, unused-ignore]
except ImportError as exc:  # exercised in tests by hiding plotly
    raise MissingDependencyError(
        "ioukit.plot: plotly is required for the figures but is not installed; install it with "
        "`pip install 'ioukit[plot]'` (or `pip install plotly`)."
    ) from exc

from ioukit._xp import safe_divide, to_numpy
from ioukit.core.counts import Counts, binary_counts
from ioukit.core.reduce import accuracy, f1_to_jaccard, jaccard
from ioukit.core.sets import set_counts
from ioukit.core.sweep import best_threshold, jaccard_curve
from ioukit.segmentation import SegmentationResult

__all__ = [
    "PALETTE",
    "plot_added_true_negatives",
    "plot_class_iou",
    "plot_confusion_matrix",
    "plot_f1_jaccard",
    "plot_jaccard_curve",
    "plot_jaccard_fp_fn",
    "plot_mask_overlap",
    "plot_set_overlap",
]

Figure = Any  # plotly.graph_objects.Figure (plotly ships no type information)
NDArray = np.ndarray[Any, Any]

PALETTE: dict[str, str] = {
    "tp": "#009E73",  # bluish green
    "fp": "#D55E00",  # vermillion
    "fn": "#0072B2",  # blue
    "background": "#EEEEEE",  # light grey
    "ignored": "#999999",  # mid grey
    "accent": "#E69F00",  # orange
    "line": "#000000",
    "second": "#CC79A7",  # reddish purple
    "third": "#56B4E9",  # sky blue
}
"""Okabe–Ito colours of the figures: ``tp`` / ``fp`` / ``fn`` / ``background`` / ``ignored``
for overlap maps, the others for lines and markers."""

_SERIES = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "font": {"size": 14},
    "title": {"x": 0.5, "xanchor": "center"},
}


# ------------------------------------------------------------------------------------- helpers


def _fmt(value: float, digits: int = 4) -> str:
    """A score for a title: fixed decimals, or "undefined (0/0)" for NaN."""
    return "undefined (0/0)" if math.isnan(value) else f"{value:.{digits}f}"


def _scalar(x: Any) -> float:
    return float(np.asarray(to_numpy(x)).reshape(-1)[0])


def _int(x: Any) -> int:
    return int(np.asarray(to_numpy(x)).reshape(-1)[0])


def _new_figure(title: str, **layout: Any) -> Figure:
    fig = go.Figure()
    fig.update_layout(**_LAYOUT)
    fig.update_layout(title_text=title, **layout)
    return fig


def _check_result(func: str, result: object) -> SegmentationResult:
    if not isinstance(result, SegmentationResult):
        raise InputError(
            f"{func}: `result` must be a SegmentationResult (from SegmentationEvaluator.result() "
            f"or ioukit.SegmentationEvaluator); got {type(result).__name__}."
        )
    return result


def _check_count(func: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise ParameterError(f"{func}: `{name}` must be an integer >= 0; got {value!r}.")
    return int(value)


def _count_axis(func: str, name: str, value: object) -> NDArray:
    """An int >= 0 -> about 100 evenly spaced integers in [0, value]; or a 1-D sequence of
    distinct integers >= 0 (sorted)."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        top = _check_count(func, name, value)
        return np.unique(np.round(np.linspace(0, top, min(top, 100) + 1)).astype(np.int64))
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        arr = np.asarray([None], dtype=object)
    if (
        arr.ndim != 1
        or arr.size == 0
        or arr.dtype.kind not in "iu"
        or bool(np.any(arr < 0))
        or np.unique(arr).size != arr.size
    ):
        raise ParameterError(
            f"{func}: `{name}` must be an integer >= 0 (the largest value, about 100 steps are "
            f"drawn) or a 1-D sequence of distinct integers >= 0; got {value!r}."
        )
    return np.sort(arr.astype(np.int64))


# ----------------------------------------------------------------------------------- 1. sets


def _is_array(x: object) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype")


def plot_set_overlap(
    a: Iterable[Hashable] | Any,
    b: Iterable[Hashable] | Any,
    *,
    names: tuple[str, str] = ("A (target)", "B (prediction)"),
) -> Figure:
    """Strip diagram of two sets: ``A only``, ``A ∩ B``, ``B only``, with ``J`` in the title.

    Three aligned horizontal bars: A covers ``A only`` + ``A ∩ B``, B covers ``A ∩ B`` +
    ``B only``, and ``A ∪ B`` is all three. ``J = |A ∩ B| / |A ∪ B|``.

    Parameters
    ----------
    a, b : iterables of hashable items, or binary arrays of the same shape
        Two Python sets (any iterables; duplicates ignored; counted by
        :func:`ioukit.set_counts`), or two 0/1 arrays (NumPy, torch, …; counted element-wise by
        :func:`ioukit.binary_counts` with ``a`` as the target). Arrays are recognised by their
        ``shape`` and ``dtype``; lists are sets — pass ``np.asarray(list)`` for 0/1 vectors.
    names : tuple of two str, default ("A (target)", "B (prediction)")
        Labels of ``a`` and ``b``.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``"A only"``, ``"A ∩ B"``, ``"B only"`` (horizontal bars, ``x`` = sizes,
        ``base`` = start). Empty rule: two empty sets have ``J`` undefined (0/0), said in the
        title.

    Examples
    --------
    >>> fig = plot_set_overlap({1, 2, 3, 5, 8}, {2, 3, 4, 8, 9})
    >>> fig.layout.title.text  # 3 / 7
    'Jaccard J = |A ∩ B| / |A ∪ B| = 3 / 7 = 0.4286'
    """
    func = "plot_set_overlap"
    if (
        not isinstance(names, tuple)
        or len(names) != 2
        or not all(isinstance(n, str) for n in names)
    ):
        raise ParameterError(f"{func}: `names` must be a tuple of two strings; got {names!r}.")
    arrays = (_is_array(a), _is_array(b))
    items: tuple[list[Hashable], ...] | None = None
    if all(arrays):
        counts = binary_counts(b, a)  # b is the prediction, a the target
    elif any(arrays):
        kinds = ["array" if x else "iterable" for x in arrays]
        raise InputError(
            f"{func}: `a` and `b` must both be sets (iterables of items) or both be binary "
            f"arrays; got a {kinds[0]} and a {kinds[1]}. Convert both the same way."
        )
    else:
        counts = set_counts(a, b)
        sa, sb = set(a), set(b)
        items = tuple(sorted(s, key=repr) for s in (sa - sb, sa & sb, sb - sa))
    tp, fp, fn = _int(counts.tp), _int(counts.fp), _int(counts.fn)
    j = _scalar(jaccard(counts, average="micro"))
    union = tp + fp + fn
    title = (
        f"Jaccard J = |A ∩ B| / |A ∪ B| = {tp} / {union} = {_fmt(j)}"
        if union
        else "Jaccard J = |A ∩ B| / |A ∪ B| is undefined (0/0): both are empty"
    )
    rows = (names[0], names[1], "A ∪ B")
    fig = _new_figure(
        title,
        barmode="overlay",
        bargap=0.35,
        height=320,
        width=760,
        xaxis_title="number of elements",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "center", "x": 0.5},
        margin={"t": 110},
    )
    parts = (
        ("A only", fn, 0, [rows[0], rows[2]], PALETTE["fn"]),
        ("A ∩ B", tp, fn, [rows[0], rows[1], rows[2]], PALETTE["tp"]),
        ("B only", fp, fn + tp, [rows[1], rows[2]], PALETTE["fp"]),
    )
    for k, (label, size, start, on, colour) in enumerate(parts):
        hover = f"{label}: {size}"
        if items is not None:
            shown = ", ".join(repr(x) for x in items[k][:20])
            hover += f"<br>{shown}" + (" …" if len(items[k]) > 20 else "")
        fig.add_trace(
            go.Bar(
                name=f"{label} ({size})",
                y=on,
                x=[size] * len(on),
                base=[start] * len(on),
                orientation="h",
                marker={"color": colour, "line": {"color": "white", "width": 1}},
                text=[str(size) if size else ""] * len(on),
                textposition="inside",
                insidetextanchor="middle",
                hovertext=[hover] * len(on),
                hoverinfo="text",
                meta=label,
            )
        )
    fig.update_yaxes(categoryorder="array", categoryarray=list(rows[::-1]))
    fig.update_xaxes(range=[0, max(union, 1)], rangemode="tozero")
    return fig


# ---------------------------------------------------------------------------------- 2. masks


def plot_mask_overlap(
    pred: Any,
    target: Any,
    *,
    threshold: float | None = None,
    ignore_index: int | None = None,
) -> Figure:
    """Map of a binary mask prediction: TP, FP, FN and background pixels, IoU in the title.

    Parameters
    ----------
    pred : array (H, W)
        0/1 (or bool) prediction, or scores together with ``threshold``.
    target : array (H, W)
        0/1 (or bool) target; pixels equal to ``ignore_index`` are drawn grey and not counted.
    threshold : float, optional
        Binarise ``pred`` as ``pred >= threshold`` (as :func:`ioukit.binary_counts`).
    ignore_index : int, optional
        Target value marking pixels to leave out (e.g. 255).

    Returns
    -------
    plotly.graph_objects.Figure
        A ``Heatmap`` of category codes (0 background, 1 TP, 2 FP, 3 FN, 4 ignored) drawn with
        the colour-blind-safe :data:`PALETTE`, and one legend entry per category with its count.
        The counts and ``IoU = TP / (TP + FP + FN)`` come from :func:`ioukit.binary_counts` and
        :func:`ioukit.jaccard`; an empty target and prediction give "undefined (0/0)".

    Examples
    --------
    >>> import numpy as np
    >>> target = np.zeros((4, 4), dtype=bool); target[1:3, 1:3] = True
    >>> pred = np.zeros((4, 4), dtype=bool); pred[1:3, 1:4] = True
    >>> plot_mask_overlap(pred, target).layout.title.text  # 4 / (4 + 2 + 0)
    'IoU = TP / (TP + FP + FN) = 4 / (4 + 2 + 0) = 0.6667'
    """
    func = "plot_mask_overlap"
    p, t = to_numpy(pred), to_numpy(target)
    for name, x in (("pred", p), ("target", t)):
        if x.ndim != 2:
            raise InputError(
                f"{func}: `{name}` must be a 2-D mask (H, W); got shape {tuple(x.shape)}. "
                "Plot one image (and one class) at a time."
            )
    # validates values, shapes and threshold, and gives every number drawn
    counts = binary_counts(pred, target, threshold=threshold, ignore_index=ignore_index)
    tp, fp, fn, tn = (_int(getattr(counts, k)) for k in ("tp", "fp", "fn", "tn"))
    iou = _scalar(jaccard(counts, average="micro"))
    pb = p >= threshold if threshold is not None else p.astype(bool)
    ignored = t == ignore_index if ignore_index is not None else np.zeros(t.shape, dtype=bool)
    tb = (t == 1) & ~ignored
    pb = pb & ~ignored
    codes = np.zeros(t.shape, dtype=np.int8)
    codes[pb & tb] = 1
    codes[pb & ~tb] = 2
    codes[~pb & tb] = 3
    codes[ignored] = 4
    labels = ("background (TN)", "TP", "FP", "FN", "ignored")
    colours = (
        PALETTE["background"],
        PALETTE["tp"],
        PALETTE["fp"],
        PALETTE["fn"],
        PALETTE["ignored"],
    )
    n_ignored = int(ignored.sum())
    title = (
        f"IoU = TP / (TP + FP + FN) = {tp} / ({tp} + {fp} + {fn}) = {_fmt(iou)}"
        if tp + fp + fn
        else "IoU = TP / (TP + FP + FN) is undefined (0/0): target and prediction are empty"
    )
    h, w = t.shape
    fig = _new_figure(
        title,
        width=min(900, max(420, 60 + 500 * w // max(h, 1) + 220)),
        height=560,
        legend={"itemsizing": "constant"},
    )
    scale = []
    for k, colour in enumerate(colours):  # a step colour scale: code k -> colour k
        scale += [[k / 5, colour], [(k + 1) / 5, colour]]
    names = np.array(labels)[codes]
    fig.add_trace(
        go.Heatmap(
            z=codes,
            zmin=-0.5,
            zmax=4.5,
            colorscale=scale,
            showscale=False,
            customdata=names,
            hovertemplate="row %{y}, column %{x}: %{customdata}<extra></extra>",
            name="overlap",
        )
    )
    for label, colour, n in zip(labels, colours, (tn, tp, fp, fn, n_ignored), strict=True):
        if label == "ignored" and ignore_index is None:
            continue
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                marker={
                    "symbol": "square",
                    "size": 14,
                    "color": colour,
                    "line": {"color": "#444444", "width": 1},
                },
                name=f"{label}: {n}",
                showlegend=True,
            )
        )
    fig.update_xaxes(
        showgrid=False, zeroline=False, constrain="domain", range=[-0.5, w - 0.5], title="column"
    )
    fig.update_yaxes(
        showgrid=False,
        zeroline=False,
        scaleanchor="x",
        range=[h - 0.5, -0.5],  # image orientation: row 0 at the top
        constrain="domain",
        title="row",
    )
    return fig


# ---------------------------------------------------------------------------- 3. threshold


def plot_jaccard_curve(
    target: Any,
    scores: Any,
    *,
    grid: int | Sequence[float] | Any | None = None,
    sample_weight: Any | None = None,
    name: str = "model",
) -> Figure:
    """Jaccard index of ``scores >= t`` against ``target`` as a function of the threshold ``t``.

    Parameters
    ----------
    target : array
        Binary (0/1 or bool) labels, any shape.
    scores : array, same shape, or mapping of name -> array
        Scores (probabilities, logits); a mapping draws one curve per model.
    grid : int, sequence of float or None, default None
        As in :func:`ioukit.jaccard_curve`: ``None`` draws the exact step curve at every
        distinct score; an integer or a sequence evaluates those thresholds only.
    sample_weight : array (N,), optional
        Per-sample weights, as in :func:`ioukit.threshold_sweep`.
    name : str, default "model"
        Legend name of a single curve (ignored for a mapping).

    Returns
    -------
    plotly.graph_objects.Figure
        Per model, a line trace (``x`` = thresholds, ``y`` = Jaccard, exactly the arrays of
        :func:`ioukit.jaccard_curve`, thresholds decreasing) and a marker at
        :func:`ioukit.best_threshold` (same ``grid``; ties go to the highest threshold). The
        exact curve is a step function: at ``t`` in ``(s₍ᵢ₊₁₎, sᵢ]`` the value is that of
        ``sᵢ``. Undefined points (0/0, possible only on a grid) are gaps.

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_jaccard_curve(np.array([0, 1, 1, 0, 1]), np.array([0.1, 0.8, 0.4, 0.4, 0.9]))
    >>> fig.layout.title.text
    'Jaccard vs threshold (prediction: score ≥ t) — best J = 0.7500 at t = 0.4'
    """
    func = "plot_jaccard_curve"
    if isinstance(scores, Mapping):
        if not scores:
            raise InputError(f"{func}: `scores` is an empty mapping; give at least one model.")
        bad = [k for k in scores if not isinstance(k, str)]
        if bad:
            raise InputError(
                f"{func}: the keys of `scores` must be model names (str); got {bad!r}."
            )
        models = dict(scores)
    else:
        if not isinstance(name, str):
            raise ParameterError(f"{func}: `name` must be a string; got {name!r}.")
        models = {name: scores}
    fig = _new_figure(
        "",
        xaxis_title="threshold t",
        yaxis_title="Jaccard (IoU)",
        yaxis_range=[0, 1.05],
        width=820,
        height=520,
        legend={"yanchor": "top", "y": 0.99, "xanchor": "right", "x": 0.99},
        hovermode="closest",
    )
    bests: list[str] = []
    for k, (label, s) in enumerate(models.items()):
        colour = _SERIES[k % len(_SERIES)]
        thr, j = jaccard_curve(target, s, grid=grid, sample_weight=sample_weight)
        t_best, j_best = best_threshold(target, s, grid=grid, sample_weight=sample_weight)
        x, y = to_numpy(thr), to_numpy(j)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines" if grid is None else "lines+markers",
                line={"color": colour, "width": 2, "shape": "hv" if grid is None else "linear"},
                marker={"size": 4},
                name=label,
                meta="curve",
                hovertemplate="t = %{x:.4g}<br>J = %{y:.4f}<extra>" + label + "</extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[t_best],
                y=[j_best],
                mode="markers",
                marker={
                    "color": colour,
                    "size": 13,
                    "symbol": "star",
                    "line": {"color": "black", "width": 1},
                },
                name=f"{label}: best J = {_fmt(j_best)} at t = {t_best:.4g}",
                meta="best",
                hovertemplate="best t = %{x:.4g}<br>J = %{y:.4f}<extra>" + label + "</extra>",
            )
        )
        prefix = f"{label}: " if len(models) > 1 else ""
        bests.append(f"{prefix}best J = {_fmt(j_best)} at t = {t_best:.4g}")
    if len(models) == 1:
        title = f"Jaccard vs threshold (prediction: score ≥ t) — {bests[0]}"
    else:
        title = (
            "Jaccard vs threshold (prediction: score ≥ t)<br><sup>" + "; ".join(bests) + "</sup>"
        )
    fig.update_layout(title_text=title)
    return fig


# ------------------------------------------------------------------------------ 4. FP × FN


def plot_jaccard_fp_fn(
    tp: int = 100, *, fp: int | Sequence[int] = 200, fn: int | Sequence[int] = 200
) -> Figure:
    """Heatmap of ``J = TP / (TP + FP + FN)`` over false positives × false negatives at a fixed TP.

    It shows that Jaccard treats a false positive and a false negative alike (the iso-J lines
    are the diagonals ``FP + FN = TP (1/J − 1)``) and how quickly errors erode it.

    Parameters
    ----------
    tp : int >= 0, default 100
        The fixed number of true positives.
    fp, fn : int or 1-D sequence of int, default 200
        The largest number of false positives / negatives (about 100 evenly spaced integers
        from 0 are drawn), or the exact values to draw.

    Returns
    -------
    plotly.graph_objects.Figure
        A ``Heatmap`` with ``x`` = FP, ``y`` = FN and ``z[i, j]`` the Jaccard of the counts
        ``(tp, fp[j], fn[i])``, computed by :func:`ioukit.jaccard` (``average="none"``) on a
        :class:`ioukit.Counts` holding the whole grid; plus iso-J contour lines of the same
        ``z``. With ``tp = 0`` the cell ``FP = FN = 0`` is undefined (0/0) and left empty.

    Examples
    --------
    >>> fig = plot_jaccard_fp_fn(2, fp=[0, 1, 2], fn=[0, 2])
    >>> fig.data[0].z.round(4).tolist()  # rows FN = 0, 2; columns FP = 0, 1, 2
    [[1.0, 0.6667, 0.5], [0.5, 0.4, 0.3333]]
    """
    func = "plot_jaccard_fp_fn"
    tp_ = _check_count(func, "tp", tp)
    fps = _count_axis(func, "fp", fp)
    fns = _count_axis(func, "fn", fn)
    grid_fp, grid_fn = np.meshgrid(fps, fns)  # (len(fn), len(fp))
    shape = grid_fp.shape
    flat_fp = grid_fp.reshape(-1)
    counts = Counts(
        np.full(flat_fp.shape, tp_, dtype=np.int64),
        flat_fp,
        grid_fn.reshape(-1),
        np.zeros(flat_fp.shape, dtype=np.int64),
        task="binary",
    )
    z = np.asarray(jaccard(counts, average="none")).reshape(shape)
    fig = _new_figure(
        f"Jaccard J = TP / (TP + FP + FN) at fixed TP = {tp_}",
        xaxis_title="false positives (FP)",
        yaxis_title="false negatives (FN)",
        width=760,
        height=640,
    )
    fig.add_trace(
        go.Heatmap(
            x=fps,
            y=fns,
            z=z,
            zmin=0,
            zmax=1,
            colorscale="Viridis",
            colorbar={"title": {"text": "J"}},
            hovertemplate="FP = %{x}<br>FN = %{y}<br>J = %{z:.4f}<extra></extra>",
            name="J",
        )
    )
    fig.add_trace(
        go.Contour(
            x=fps,
            y=fns,
            z=z,
            contours={
                "coloring": "none",
                "showlabels": True,
                "start": 0.1,
                "end": 0.9,
                "size": 0.1,
                "labelfont": {"color": "white", "size": 12},
            },
            line={"color": "white", "width": 1},
            showscale=False,
            hoverinfo="skip",
            name="iso-J lines",
        )
    )
    return fig


# -------------------------------------------------------------------------------- 5. F1 ↔ J


def plot_f1_jaccard(*, num: int = 201, points: Sequence[float] | None = None) -> Figure:
    """The map from F1 (Dice) to Jaccard, ``J = F1 / (2 − F1)``, against the identity line.

    ``J ≤ F1`` everywhere, with equality only at 0 and 1: the same prediction always has the
    lower Jaccard, so scores from papers using different metrics are not comparable directly.

    Parameters
    ----------
    num : int >= 2, default 201
        Number of F1 values in ``[0, 1]`` for the curve.
    points : sequence of float in [0, 1], optional
        F1 values to mark with their Jaccard (e.g. reported scores).

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``"J = F1 / (2 − F1)"`` (``y`` from :func:`ioukit.f1_to_jaccard`), the dashed
        identity ``"J = F1"`` and, with ``points``, their markers.

    Examples
    --------
    >>> fig = plot_f1_jaccard(num=3)
    >>> fig.data[0].x.tolist(), fig.data[0].y.round(4).tolist()
    ([0.0, 0.5, 1.0], [0.0, 0.3333, 1.0])
    """
    func = "plot_f1_jaccard"
    if isinstance(num, bool) or not isinstance(num, Integral) or num < 2:
        raise ParameterError(f"{func}: `num` must be an integer >= 2; got {num!r}.")
    f1 = np.linspace(0.0, 1.0, int(num))
    j = np.asarray(f1_to_jaccard(f1))
    fig = _new_figure(
        "F1 (Dice) → Jaccard: J = F1 / (2 − F1) ≤ F1",
        xaxis_title="F1 / Dice",
        yaxis_title="Jaccard (IoU)",
        xaxis_range=[0, 1],
        yaxis_range=[0, 1],
        width=700,
        height=620,
        margin={"r": 130},
        legend={"yanchor": "top", "y": 0.99, "xanchor": "left", "x": 0.01},
    )
    fig.update_yaxes(scaleanchor="x")
    fig.add_trace(
        go.Scatter(
            x=f1,
            y=j,
            mode="lines",
            line={"color": PALETTE["fn"], "width": 3},
            name="J = F1 / (2 − F1)",
            hovertemplate="F1 = %{x:.4f}<br>J = %{y:.4f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0.0, 1.0],
            y=[0.0, 1.0],
            mode="lines",
            line={"color": "#777777", "dash": "dash", "width": 1.5},
            name="J = F1 (identity)",
            hoverinfo="skip",
        )
    )
    if points is not None:
        try:
            pts = np.asarray(points, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            pts = np.asarray([np.nan])
        if pts.size == 0 or not np.all((pts >= 0) & (pts <= 1)):
            raise ParameterError(f"{func}: `points` must be F1 values in [0, 1]; got {points!r}.")
        jp = np.asarray(f1_to_jaccard(pts))
        fig.add_trace(
            go.Scatter(
                x=pts,
                y=jp,
                mode="markers+text",
                marker={"color": PALETTE["fp"], "size": 10},
                text=[f"F1 {a:.3f} → J {b:.3f}" for a, b in zip(pts, jp, strict=True)],
                textposition="bottom right",
                cliponaxis=False,
                name="marked scores",
                hovertemplate="F1 = %{x:.4f}<br>J = %{y:.4f}<extra></extra>",
            )
        )
    return fig


# ------------------------------------------------------------------- 6. true negatives added


def plot_added_true_negatives(
    counts: Counts, *, max_added: int | None = None, num: int = 101
) -> Figure:
    """Accuracy and Jaccard as true negatives are added to a binary result.

    Adding correctly rejected elements (e.g. background pixels) drives accuracy towards 1 while
    Jaccard, which never looks at true negatives, stays where it was.

    Parameters
    ----------
    counts : Counts
        Dataset-level binary counts of one class (e.g. from :func:`ioukit.binary_counts`).
    max_added : int >= 1, optional
        The most true negatives added; default ``10 × (tp + fp + fn + tn)`` (at least 10).
    num : int >= 2, default 101
        Number of points from 0 to ``max_added``.

    Returns
    -------
    plotly.graph_objects.Figure
        Traces ``"accuracy"`` and ``"Jaccard"``: ``x`` = true negatives added, ``y`` from
        :func:`ioukit.accuracy` and :func:`ioukit.jaccard` (``average="none"``) of counts whose
        ``tn`` grows by ``x``. A Jaccard of 0/0 (no positive anywhere) is NaN and not drawn.

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit import binary_counts
    >>> c = binary_counts(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0]))  # tp fp fn tn = 1
    >>> fig = plot_added_true_negatives(c, max_added=4, num=3)
    >>> fig.data[0].y.round(4).tolist(), fig.data[1].y.round(4).tolist()  # (2 + x) / (4 + x)
    ([0.5, 0.6667, 0.75], [0.3333, 0.3333, 0.3333])
    """
    func = "plot_added_true_negatives"
    if (
        not isinstance(counts, Counts)
        or counts.task != "binary"
        or counts.per_sample
        or counts.num_classes != 1
    ):
        got = (
            f"Counts(task={counts.task!r}, per_sample={counts.per_sample}, "
            f"num_classes={counts.num_classes})"
            if isinstance(counts, Counts)
            else type(counts).__name__
        )
        raise InputError(
            f"{func}: `counts` must be dataset-level binary Counts of one class (from "
            f"ioukit.binary_counts); got {got}. Use Counts.total() for per-sample counts."
        )
    if isinstance(num, bool) or not isinstance(num, Integral) or num < 2:
        raise ParameterError(f"{func}: `num` must be an integer >= 2; got {num!r}.")
    tp, fp, fn, tn = (
        np.asarray(to_numpy(getattr(counts, k))).reshape(-1)[0] for k in ("tp", "fp", "fn", "tn")
    )
    total = float(tp + fp + fn + tn)
    if max_added is None:
        top = int(max(10, round(10 * total)))
    else:
        if isinstance(max_added, bool) or not isinstance(max_added, Integral) or max_added < 1:
            raise ParameterError(f"{func}: `max_added` must be an integer >= 1; got {max_added!r}.")
        top = int(max_added)
    added = np.unique(np.round(np.linspace(0, top, int(num))).astype(np.int64))
    n = added.size
    grown = Counts(
        np.full(n, tp),
        np.full(n, fp),
        np.full(n, fn),
        tn + added.astype(np.asarray(tn).dtype),
        task="binary",
    )
    acc = np.asarray(accuracy(grown, average="none"))
    jac = np.asarray(jaccard(grown, average="none"))
    fig = _new_figure(
        f"Adding true negatives: accuracy {_fmt(float(acc[0]), 3)} → {_fmt(float(acc[-1]), 3)}, "
        f"Jaccard stays {_fmt(float(jac[0]), 3)}",
        xaxis_title="true negatives added",
        yaxis_title="score",
        yaxis_range=[0, 1.05],
        width=820,
        height=500,
        legend={"yanchor": "bottom", "y": 0.02, "xanchor": "right", "x": 0.99},
    )
    for label, y, colour, dash in (
        ("accuracy", acc, PALETTE["fp"], "solid"),
        ("Jaccard", jac, PALETTE["fn"], "dash"),
    ):
        fig.add_trace(
            go.Scatter(
                x=added,
                y=y,
                mode="lines",
                line={"color": colour, "width": 3, "dash": dash},
                name=label,
                hovertemplate="TN added = %{x}<br>" + label + " = %{y:.4f}<extra></extra>",
            )
        )
    return fig


# ---------------------------------------------------------------------- 7. per-class IoU


def plot_class_iou(result: SegmentationResult, *, sort: bool = False) -> Figure:
    """Per-class IoU bars of a segmentation evaluation, with the mean IoU as a line.

    Parameters
    ----------
    result : SegmentationResult
        From :meth:`ioukit.SegmentationEvaluator.result`.
    sort : bool, default False
        Order the classes by IoU, highest first (undefined classes last); else by class index.

    Returns
    -------
    plotly.graph_objects.Figure
        A ``Bar`` trace with ``x`` = class names and ``y`` = ``result.iou`` (NaN classes are
        gaps, labelled with their reason from ``result.nan_reasons``: "absent" or "ignored"),
        and a horizontal line at ``result.miou`` (which skips them), also in the title.

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit import SegmentationEvaluator
    >>> ev = SegmentationEvaluator(3, class_names=["bg", "cat", "dog"])
    >>> ev.update(np.array([[0, 1], [1, 1]]), np.array([[0, 1], [0, 1]]))
    >>> plot_class_iou(ev.result()).layout.title.text  # (1/2 + 2/3) / 2; dog absent
    'Per-class IoU — mIoU = 0.5833 (1 class undefined: skipped)'
    """
    func = "plot_class_iou"
    res = _check_result(func, result)
    if not isinstance(sort, bool):
        raise ParameterError(f"{func}: `sort` must be True or False; got {sort!r}.")
    iou = np.asarray(res.iou, dtype=np.float64)
    reasons = res.nan_reasons
    miou = res.miou
    order = np.arange(res.num_classes)
    if sort:
        key = np.where(np.isnan(iou), -np.inf, iou)
        order = np.argsort(-key, kind="stable")
    names = [res.class_names[c] for c in order]
    values = iou[order]
    text = [
        f"{v:.3f}" if not math.isnan(v) else f"n/a<br>({reasons.get(int(c), 'undefined')})"
        for c, v in zip(order, values, strict=True)
    ]
    n_nan = int(np.isnan(iou).sum())
    note = f" ({n_nan} class{'es' if n_nan != 1 else ''} undefined: skipped)" if n_nan else ""
    fig = _new_figure(
        f"Per-class IoU — mIoU = {_fmt(miou)}{note}",
        xaxis_title="class",
        yaxis_title="IoU",
        yaxis_range=[0, 1.12],
        width=max(640, min(1600, 120 + 48 * res.num_classes)),
        height=520,
        showlegend=False,
        bargap=0.25,
    )
    fig.add_trace(
        go.Bar(
            x=names,
            y=values,
            marker={"color": PALETTE["fn"]},
            text=text,
            textposition="outside",
            cliponaxis=False,
            customdata=order,
            hovertemplate="%{x} (class %{customdata})<br>IoU = %{y:.4f}<extra></extra>",
            name="IoU",
        )
    )
    # NaN bars draw nothing: put the reason where the bar would start
    nan_at = [k for k, v in enumerate(values) if math.isnan(v)]
    if nan_at:
        fig.add_trace(
            go.Scatter(
                x=[names[k] for k in nan_at],
                y=[0.0] * len(nan_at),
                mode="text",
                text=[text[k] for k in nan_at],
                textposition="top center",
                textfont={"color": "#666666"},
                hoverinfo="skip",
                name="undefined",
            )
        )
        for k in nan_at:  # the bar itself stays NaN; drop its duplicate outside label
            text[k] = ""
        fig.data[0].text = text
    if not math.isnan(miou):
        fig.add_hline(
            y=miou,
            line={"color": PALETTE["fp"], "dash": "dash", "width": 2},
            annotation_text=f"mIoU<br>{miou:.4f}",
            annotation_position="right",  # in the right margin: never on top of a bar
            annotation_font_color=PALETTE["fp"],
        )
        fig.update_layout(margin={"r": 90})
    if res.num_classes > 12:
        fig.update_xaxes(tickangle=-45)
    return fig


# --------------------------------------------------------------------- 8. confusion matrix

Normalize = Literal["true", "pred", "all"] | None


def plot_confusion_matrix(
    result: SegmentationResult,
    *,
    normalize: Normalize = None,
    show_values: bool | None = None,
) -> Figure:
    """Confusion-matrix heatmap of a segmentation evaluation (rows target, columns prediction).

    Parameters
    ----------
    result : SegmentationResult
        From :meth:`ioukit.SegmentationEvaluator.result`.
    normalize : {None, "true", "pred", "all"}, default None
        ``None``: raw pixel counts. ``"true"``: each row divided by its sum (the distribution
        of predictions of each target class; the diagonal is the class recall). ``"pred"``:
        each column divided by its sum (diagonal = precision). ``"all"``: divided by the total.
        Division is :func:`ioukit._xp.safe_divide`: a row (column) with no pixel, e.g. an
        absent or ignored class, is left empty (NaN), never an error.
    show_values : bool, optional
        Write each cell's value; default only when there are at most 20 classes.

    Returns
    -------
    plotly.graph_objects.Figure
        A ``Heatmap`` whose ``z`` is ``result.confusion_matrix`` (or its normalisation), with
        the class names on both axes (ignored classes marked) and the mIoU in the title.

    Examples
    --------
    >>> import numpy as np
    >>> from ioukit import SegmentationEvaluator
    >>> ev = SegmentationEvaluator(3)
    >>> ev.update(np.array([[0, 1], [1, 1]]), np.array([[0, 1], [0, 1]]))
    >>> fig = plot_confusion_matrix(ev.result(), normalize="true")
    >>> fig.data[0].z.tolist()  # class 2 is absent: an empty row
    [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [nan, nan, nan]]
    """
    func = "plot_confusion_matrix"
    res = _check_result(func, result)
    if normalize not in (None, "true", "pred", "all"):
        raise ParameterError(
            f"{func}: `normalize` must be None, 'true', 'pred' or 'all'; got {normalize!r}."
        )
    if show_values is not None and not isinstance(show_values, bool):
        raise ParameterError(
            f"{func}: `show_values` must be True, False or None; got {show_values!r}."
        )
    cm = np.asarray(to_numpy(res.confusion_matrix))
    if normalize is None:
        z: NDArray = cm
        fmt, unit = "{:d}", "pixels"
    else:
        cmf = cm.astype(np.float64)
        if normalize == "true":
            den = np.broadcast_to(cmf.sum(axis=1, keepdims=True), cmf.shape)
        elif normalize == "pred":
            den = np.broadcast_to(cmf.sum(axis=0, keepdims=True), cmf.shape)
        else:
            den = np.full(cmf.shape, cmf.sum())
        z = np.asarray(safe_divide(np, cmf, np.ascontiguousarray(den), math.nan))
        fmt, unit = (
            "{:.2f}",
            {"true": "row fraction", "pred": "column fraction", "all": "fraction"}[normalize],
        )
    ignored = set(res.counts.ignored_classes)
    labels = [
        f"{name} (ignored)" if c in ignored else name for c, name in enumerate(res.class_names)
    ]
    # unique category labels (class names may repeat)
    if len(set(labels)) != len(labels):
        labels = [f"{c}: {name}" for c, name in enumerate(labels)]
    c = res.num_classes
    show = c <= 20 if show_values is None else show_values
    text = [
        ["" if (isinstance(v, float) and math.isnan(v)) else fmt.format(v) for v in row]
        for row in z.tolist()
    ]
    what = {
        None: "pixel counts",
        "true": "normalised over each target row",
        "pred": "normalised over each predicted column",
        "all": "normalised over all pixels",
    }
    side = max(520, min(1400, 200 + 40 * c))
    fig = _new_figure(
        f"Confusion matrix — mIoU = {_fmt(res.miou)}<br><sup>{what[normalize]} "
        "(rows: target, columns: prediction)</sup>",
        xaxis_title="prediction",
        yaxis_title="target",
        width=side + 120,
        height=side,
    )
    zmax = 1.0 if normalize is not None else None
    fig.add_trace(
        go.Heatmap(
            x=labels,
            y=labels,
            z=z,
            zmin=0,
            zmax=zmax,
            colorscale="Blues",
            colorbar={"title": {"text": unit}},
            text=text,
            texttemplate="%{text}" if show else None,
            hovertemplate="target %{y}<br>prediction %{x}<br>" + unit + " = %{z}<extra></extra>",
            hoverongaps=False,
            xgap=1,
            ygap=1,
            name="confusion matrix",
        )
    )
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_xaxes(
        side="bottom",
        constrain="domain",
        tickangle=-45 if c > 8 or max(map(len, labels)) > 8 else 0,
    )
    return fig
