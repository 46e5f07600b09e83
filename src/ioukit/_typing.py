"""Type names shared by the public API: the array alias and the option Literals, in one place.

Nothing here runs at import time beyond :mod:`typing`; importing it imports no array library.

============== ===========================================================================
name           values
============== ===========================================================================
Array          any Array API compatible array (NumPy, PyTorch, CuPy, JAX, array-api-strict)
Average        ``"micro"``, ``"macro"``, ``"weighted"``, ``"samples"``, ``"none"``
ZeroDivision   ``"nan"``, ``"warn"`` or a float in [0, 1]: the value of a 0/0 score
Task           ``"binary"``, ``"multiclass"``, ``"multilabel"``, ``"detection"``
Reduction      how a mean-IoU convention reduces counts: ``"macro"``, ``"micro"`` (dataset
               counts), ``"samples"``, ``"pairs"``, ``"images"`` (per-image counts)
Normalize      ``None``, ``"true"``, ``"pred"``, ``"all"``: a confusion matrix's normalisation
============== ===========================================================================
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

__all__ = ["Array", "Average", "Normalize", "Reduction", "Task", "ZeroDivision"]

Array: TypeAlias = Any
"""Any Array API compatible array (NumPy, PyTorch, CuPy, JAX, array-api-strict)."""

Average: TypeAlias = Literal["micro", "macro", "weighted", "samples", "none"]
"""How per-class scores are averaged (see :mod:`ioukit.core.reduce`)."""

ZeroDivision: TypeAlias = Literal["nan", "warn"] | float
"""The value of an undefined (0/0) score: NaN (skipped by averages), 0.0 with a warning, or a
number in [0, 1]."""

Task: TypeAlias = Literal["binary", "multiclass", "multilabel", "detection"]
"""What a :class:`ioukit.Counts` counts."""

Reduction: TypeAlias = Literal["macro", "micro", "samples", "pairs", "images"]
"""How a mean-IoU convention reduces counts (see :mod:`ioukit.core.conventions`): "macro" /
"micro" of the dataset counts; per image, "samples" (micro in each image, then the mean over
images), "pairs" (the mean over all image-class scores), "images" (the mean over classes in each
image, then over images)."""

Normalize: TypeAlias = Literal["true", "pred", "all"] | None
"""Normalisation of a confusion matrix: none (counts), over each target row, over each
predicted column, or over all entries."""
