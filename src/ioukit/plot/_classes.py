"""Per-class IoU bars of a segmentation result."""

from __future__ import annotations

import math

import numpy as np

from ioukit._errors import ParameterError
from ioukit.plot._style import PALETTE, Figure, check_result, fmt, go, new_figure
from ioukit.segmentation import SegmentationResult

__all__ = ["plot_class_iou"]


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
    res = check_result(func, result)
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
    fig = new_figure(
        f"Per-class IoU — mIoU = {fmt(miou)}{note}",
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
