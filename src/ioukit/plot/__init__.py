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

The figures live in ``ioukit.plot._overlap`` (sets, masks), ``._curves`` (threshold curve,
FP × FN, F1 ↔ J, true negatives), ``._classes``, ``._confusion`` and ``._style`` (colours and
layout); import them from ``ioukit.plot``.

Colours come from the Okabe–Ito palette, which stays distinguishable under the common forms of
colour blindness; continuous scales are Viridis / Blues.
"""

from __future__ import annotations

from ioukit.plot._classes import plot_class_iou
from ioukit.plot._confusion import plot_confusion_matrix
from ioukit.plot._curves import (
    plot_added_true_negatives,
    plot_f1_jaccard,
    plot_jaccard_curve,
    plot_jaccard_fp_fn,
)
from ioukit.plot._overlap import plot_mask_overlap, plot_set_overlap
from ioukit.plot._style import PALETTE

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
