"""Confusion-matrix heatmap of a segmentation result."""

from __future__ import annotations

import math

import numpy as np

from ioukit._errors import ParameterError
from ioukit._typing import Normalize
from ioukit._xp import safe_divide, to_numpy
from ioukit.plot._style import Figure, NDArray, check_result, fmt, go, new_figure
from ioukit.segmentation import SegmentationResult

__all__ = ["plot_confusion_matrix"]


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
    res = check_result(func, result)
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
        cell, unit = "{:d}", "pixels"
    else:
        cmf = cm.astype(np.float64)
        if normalize == "true":
            den = np.broadcast_to(cmf.sum(axis=1, keepdims=True), cmf.shape)
        elif normalize == "pred":
            den = np.broadcast_to(cmf.sum(axis=0, keepdims=True), cmf.shape)
        else:
            den = np.full(cmf.shape, cmf.sum())
        z = np.asarray(safe_divide(np, cmf, np.ascontiguousarray(den), math.nan))
        cell, unit = (
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
        ["" if (isinstance(v, float) and math.isnan(v)) else cell.format(v) for v in row]
        for row in z.tolist()
    ]
    what = {
        None: "pixel counts",
        "true": "normalised over each target row",
        "pred": "normalised over each predicted column",
        "all": "normalised over all pixels",
    }
    side = max(520, min(1400, 200 + 40 * c))
    fig = new_figure(
        f"Confusion matrix — mIoU = {fmt(res.miou)}<br><sup>{what[normalize]} "
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
