"""Curves and maps of the Jaccard index: against the threshold, over false positives × false
negatives, against F1, and as true negatives are added."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit._xp import to_numpy
from ioukit.core.counts import Counts
from ioukit.core.reduce import accuracy, f1_to_jaccard, jaccard
from ioukit.core.sweep import best_threshold, jaccard_curve
from ioukit.plot._style import PALETTE, SERIES, Figure, NDArray, fmt, go, new_figure

__all__ = [
    "plot_added_true_negatives",
    "plot_f1_jaccard",
    "plot_jaccard_curve",
    "plot_jaccard_fp_fn",
]


# ----------------------------------------------------------------------------- threshold


def plot_jaccard_curve(
    scores: Any,
    target: Any,
    *,
    grid: int | Sequence[float] | Any | None = None,
    sample_weight: Any | None = None,
    name: str = "model",
) -> Figure:
    """Jaccard index of ``scores >= t`` against ``target`` as a function of the threshold ``t``.

    Parameters
    ----------
    scores : array, or mapping of name -> array
        Scores (probabilities, logits); a mapping draws one curve per model.
    target : array, same shape as the scores
        Binary (0/1 or bool) labels, any shape.
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
    >>> fig = plot_jaccard_curve(np.array([0.1, 0.8, 0.4, 0.4, 0.9]), np.array([0, 1, 1, 0, 1]))
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
    fig = new_figure(
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
        colour = SERIES[k % len(SERIES)]
        thr, j = jaccard_curve(s, target, grid=grid, sample_weight=sample_weight)
        t_best, j_best = best_threshold(s, target, grid=grid, sample_weight=sample_weight)
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
                name=f"{label}: best J = {fmt(j_best)} at t = {t_best:.4g}",
                meta="best",
                hovertemplate="best t = %{x:.4g}<br>J = %{y:.4f}<extra>" + label + "</extra>",
            )
        )
        prefix = f"{label}: " if len(models) > 1 else ""
        bests.append(f"{prefix}best J = {fmt(j_best)} at t = {t_best:.4g}")
    if len(models) == 1:
        title = f"Jaccard vs threshold (prediction: score ≥ t) — {bests[0]}"
    else:
        title = (
            "Jaccard vs threshold (prediction: score ≥ t)<br><sup>" + "; ".join(bests) + "</sup>"
        )
    fig.update_layout(title_text=title)
    return fig


def _check_int(func: str, name: str, value: object, minimum: int) -> int:
    """``value`` as an int if it is an integer (not a bool) ``>= minimum``, else an error."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ParameterError(f"{func}: `{name}` must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def _count_axis(func: str, name: str, value: object) -> NDArray:
    """An int >= 0 -> about 100 evenly spaced integers in [0, value]; or a 1-D sequence of
    distinct integers >= 0 (sorted)."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        top = _check_int(func, name, value, 0)
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


# ------------------------------------------------------------------------------- FP × FN


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
    tp_ = _check_int(func, "tp", tp, 0)
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
    fig = new_figure(
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


# --------------------------------------------------------------------------------- F1 ↔ J


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
    f1 = np.linspace(0.0, 1.0, _check_int(func, "num", num, 2))
    j = np.asarray(f1_to_jaccard(f1))
    fig = new_figure(
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


# -------------------------------------------------------------------- true negatives added


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
    steps = _check_int(func, "num", num, 2)
    tp, fp, fn, tn = (
        np.asarray(to_numpy(getattr(counts, k))).reshape(-1)[0] for k in ("tp", "fp", "fn", "tn")
    )
    total = float(tp + fp + fn + tn)
    if max_added is None:
        top = int(max(10, round(10 * total)))
    else:
        top = _check_int(func, "max_added", max_added, 1)
    added = np.unique(np.round(np.linspace(0, top, steps)).astype(np.int64))
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
    fig = new_figure(
        f"Adding true negatives: accuracy {fmt(float(acc[0]), 3)} → {fmt(float(acc[-1]), 3)}, "
        f"Jaccard stays {fmt(float(jac[0]), 3)}",
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
