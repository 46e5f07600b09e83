"""Overlap figures: the parts of two sets, and the TP / FP / FN map of a binary mask."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit._xp import to_numpy
from ioukit.core.counts import binary_counts
from ioukit.core.reduce import jaccard
from ioukit.core.sets import set_counts
from ioukit.plot._style import PALETTE, Figure, as_int, fmt, go, new_figure, scalar

__all__ = ["plot_mask_overlap", "plot_set_overlap"]


# ------------------------------------------------------------------------------------ sets


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
        # one pass over iterators: the counts and the items drawn come from the same elements
        a, b = (
            list(x) if isinstance(x, Iterable) and not isinstance(x, (str, bytes)) else x
            for x in (a, b)
        )
        counts = set_counts(b, a)  # b is the prediction, a the target
        sa, sb = set(a), set(b)
        items = tuple(sorted(s, key=repr) for s in (sa - sb, sa & sb, sb - sa))
    tp, fp, fn = as_int(counts.tp), as_int(counts.fp), as_int(counts.fn)
    j = scalar(jaccard(counts, average="micro"))
    union = tp + fp + fn
    title = (
        f"Jaccard J = |A ∩ B| / |A ∪ B| = {tp} / {union} = {fmt(j)}"
        if union
        else "Jaccard J = |A ∩ B| / |A ∪ B| is undefined (0/0): both are empty"
    )
    rows = (names[0], names[1], "A ∪ B")
    fig = new_figure(
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


# ----------------------------------------------------------------------------------- masks


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
    tp, fp, fn, tn = (as_int(getattr(counts, k)) for k in ("tp", "fp", "fn", "tn"))
    iou = scalar(jaccard(counts, average="micro"))
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
        f"IoU = TP / (TP + FP + FN) = {tp} / ({tp} + {fp} + {fn}) = {fmt(iou)}"
        if tp + fp + fn
        else "IoU = TP / (TP + FP + FN) is undefined (0/0): target and prediction are empty"
    )
    h, w = t.shape
    fig = new_figure(
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
