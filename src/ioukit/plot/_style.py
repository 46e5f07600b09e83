"""What every figure of :mod:`ioukit.plot` shares: the plotly import, the colours, the layout,
and the formatting of numbers for titles.

Importing this module imports plotly, or raises :class:`ioukit.MissingDependencyError` naming
the ``plot`` extra.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ioukit._errors import InputError, MissingDependencyError, install_hint

try:
    import plotly.graph_objects as go  # type: ignore[import-untyped, unused-ignore]
except ImportError as exc:  # exercised in tests by hiding plotly
    raise MissingDependencyError(
        "ioukit.plot: plotly is required for the figures but is not installed; install it with "
        f"`{install_hint('plot', 'plotly')}`."
    ) from exc

from ioukit._xp import to_numpy
from ioukit.segmentation import SegmentationResult

__all__ = [
    "PALETTE",
    "SERIES",
    "Figure",
    "NDArray",
    "as_int",
    "check_result",
    "fmt",
    "go",
    "new_figure",
    "scalar",
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

SERIES = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
"""Colours of successive series (one per model) in the same figure."""

_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "font": {"size": 14},
    "title": {"x": 0.5, "xanchor": "center"},
}


def fmt(value: float, digits: int = 4) -> str:
    """A score for a title: fixed decimals, or "undefined (0/0)" for NaN."""
    return "undefined (0/0)" if math.isnan(value) else f"{value:.{digits}f}"


def scalar(x: Any) -> float:
    """The first entry of a 0-d or 1-element array of any library, as a float."""
    return float(np.asarray(to_numpy(x)).reshape(-1)[0])


def as_int(x: Any) -> int:
    """The first entry of a 0-d or 1-element array of any library, as an int."""
    return int(np.asarray(to_numpy(x)).reshape(-1)[0])


def new_figure(title: str, **layout: Any) -> Figure:
    """An empty figure with the common layout, ``title`` and the given layout options."""
    fig = go.Figure()
    fig.update_layout(**_LAYOUT)
    fig.update_layout(title_text=title, **layout)
    return fig


def check_result(func: str, result: object) -> SegmentationResult:
    """``result`` if it is a :class:`ioukit.SegmentationResult`, else an InputError."""
    if not isinstance(result, SegmentationResult):
        raise InputError(
            f"{func}: `result` must be a SegmentationResult (from SegmentationEvaluator.result() "
            f"or ioukit.SegmentationEvaluator); got {type(result).__name__}."
        )
    return result
