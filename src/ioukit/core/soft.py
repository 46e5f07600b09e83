"""Soft (differentiable) Jaccard index of probabilities, with its analytic gradient.

The soft Jaccard replaces set sizes by sums of memberships in ``[0, 1]``::

    I = Σ y·p            U = Σ y + Σ p − I            J = (I + ε) / (U + ε)

On binary (0/1) inputs with ``ε = 0`` it equals the hard IoU exactly. Written against the Array
API: results stay in the input's library and on its device. The torch losses of
:mod:`ioukit.losses` compute the same ratio with the same two helpers (:func:`_jaccard_ratio`,
:func:`_smoothed_ratio`), on per-class sums and with autograd.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

from ioukit._errors import InputError, ParameterError
from ioukit._xp import Array, describe_values, float_dtype, namespace, safe_divide, to_numpy
from ioukit.core._checks import is_floating, is_integer_like

__all__ = ["soft_jaccard", "soft_jaccard_grad"]


def check_nonneg(func: str, name: str, value: object) -> float:
    """``value`` as a float after checking it is a finite real number ``>= 0`` (not a bool)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, Real)
        or not math.isfinite(float(value))
        or float(value) < 0
    ):
        raise ParameterError(f"{func}: `{name}` must be a finite real number >= 0; got {value!r}.")
    return float(value)


def _smoothed_ratio(xp: Any, num: Array, den: Array, smooth: float, eps: float) -> Array:
    """``(num + smooth) / (den + smooth + eps)``, and **1** where that denominator is 0.

    The one soft-score formula of ioukit: :func:`soft_jaccard` and the soft losses of
    :mod:`ioukit.losses` (Jaccard, Dice, Tversky) all end here. Elementwise, so ``num`` and
    ``den`` may hold one value per class and image. The denominator is made safe before the
    division (:func:`ioukit._xp.safe_divide`), so an empty group scores 1 with a finite (zero)
    gradient in autograd libraries.
    """
    return safe_divide(xp, num + smooth, (den + smooth) + eps, 1.0)


def _jaccard_ratio(
    xp: Any, inter: Array, sum_scores: Array, sum_target: Array, smooth: float, eps: float
) -> Array:
    """Soft Jaccard ``(I + smooth) / (U + smooth + eps)`` from the sums, ``U = Σy + Σp − I``."""
    return _smoothed_ratio(xp, inter, (sum_target + sum_scores) - inter, smooth, eps)


def _check_unit(func: str, xp: Any, x: Array, name: str) -> Array:
    """``x`` as float64 after checking it is numeric, finite and inside ``[0, 1]``."""
    if not (is_floating(xp, x) or is_integer_like(xp, x)):
        raise InputError(f"{func}: `{name}` must be numeric; got dtype {x.dtype}.")
    xf = xp.astype(x, float_dtype(xp, x))
    if not bool(xp.all(xp.isfinite(xf))):
        raise InputError(
            f"{func}: `{name}` must be finite; got NaN or infinite values. Fix the model output."
        )
    outside = (xf < 0) | (xf > 1)
    if bool(xp.any(outside)):
        values = to_numpy(xf)[to_numpy(outside)]
        raise InputError(
            f"{func}: `{name}` must hold values in [0, 1] (memberships or probabilities); got "
            f"{values.size} value(s) outside, e.g. {describe_values(values)}. Values outside "
            "[0, 1] give a 'soft IoU' above 1 or below 0; apply a sigmoid/softmax to logits first."
        )
    return xf


def _terms(
    func: str, scores: Array, target: Array, eps: object
) -> tuple[Any, Array, Array, Array, Array, Array, float]:
    """(namespace, p, y, I = Σ y·p, Σ p, Σ y) as float arrays after validation, and ``eps``."""
    eps_f = check_nonneg(func, "eps", eps)
    xp, (p, t) = namespace(scores, target, func=func)
    if tuple(p.shape) != tuple(t.shape):
        raise InputError(
            f"{func}: `scores` and `target` must have the same shape; got {tuple(p.shape)} and "
            f"{tuple(t.shape)}."
        )
    y = _check_unit(func, xp, t, "target")
    q = _check_unit(func, xp, p, "scores")
    return xp, q, y, xp.sum(y * q), xp.sum(q), xp.sum(y), eps_f


def soft_jaccard(scores: Array, target: Array, *, eps: float = 0.0) -> Array:
    """Soft Jaccard index of predicted probabilities and a (soft) target.

    ``I = Σ y·p``, ``U = Σ y + Σ p − I``, ``J = (I + ε) / (U + ε)``, summed over all elements.

    Parameters
    ----------
    scores : array of any shape
        Predicted probabilities ``p`` in ``[0, 1]``.
    target : array, same shape as ``scores``
        Memberships ``y`` in ``[0, 1]`` (0/1 labels, or soft labels).
    eps : float, default 0.0
        Smoothing added to numerator and denominator. Note that it *rewards* empty predictions:
        with an empty target, ``J = ε / (Σ p + ε)`` is largest (1) for ``p = 0``.

    Returns
    -------
    array, 0-d
        float64 (float32 on devices without float64), in the input's library.

    Notes
    -----
    Empty rule: when ``U + ε = 0`` (target and prediction both all zero, ``ε = 0``) the score
    is **1**, the two (empty) sets agree. This is what the losses of :mod:`ioukit.losses` use
    (loss 0). The hard metrics of ioukit default to ``zero_division="nan"`` for that case; on
    binary inputs ``soft_jaccard`` equals ``binary_jaccard(..., zero_division=1.0)`` exactly.
    Inputs outside ``[0, 1]`` raise :class:`~ioukit.InputError`: they are the common source of
    "IoU above 1".

    Examples
    --------
    ``I = 0.8·1 + 0.5·1 = 1.3``, ``U = 2 + 1.5 − 1.3 = 2.2``, ``J = 1.3 / 2.2``:

    >>> import numpy as np
    >>> round(float(soft_jaccard(np.array([0.8, 0.5, 0.2]), np.array([1, 1, 0]))), 4)
    0.5909
    """
    xp, _, _, inter, sum_p, sum_y, eps_f = _terms("soft_jaccard", scores, target, eps)
    return _jaccard_ratio(xp, inter, sum_p, sum_y, eps_f, 0.0)


def soft_jaccard_grad(scores: Array, target: Array, *, eps: float = 0.0) -> Array:
    """Analytic gradient ``∂J/∂p`` of :func:`soft_jaccard` with respect to ``scores``.

    With ``∂I/∂pᵢ = yᵢ`` and ``∂U/∂pᵢ = 1 − yᵢ``::

        ∂J/∂pᵢ = (yᵢ (U + ε) − (I + ε)(1 − yᵢ)) / (U + ε)²

    Parameters
    ----------
    scores, target, eps
        As in :func:`soft_jaccard`.

    Returns
    -------
    array, same shape as ``scores``
        float64 (float32 on devices without float64), in the input's library.

    Notes
    -----
    At ``U + ε = 0`` (both all zero, ``ε = 0``) the score is the constant of the empty rule
    (1) and ``J`` is not differentiable there (any ``p > 0`` gives ``J = 0``); the gradient
    returned is **0** (finite), the gradient of the constant branch.

    Examples
    --------
    ``U = 2``, ``I = 1``: ``∂J/∂p₀ = (1·2 − 0)/4 = 0.5``, ``∂J/∂p₁ = (0 − 1·1)/4 = −0.25``.

    >>> import numpy as np
    >>> soft_jaccard_grad(np.array([1.0, 1.0]), np.array([1.0, 0.0]))
    array([ 0.5 , -0.25])
    """
    xp, p, y, inter, sum_p, sum_y, eps_f = _terms("soft_jaccard_grad", scores, target, eps)
    den = ((sum_y + sum_p) - inter) + eps_f
    if bool(den == 0):
        return xp.zeros_like(p)
    return (y * den - (inter + eps_f) * (1 - y)) / (den * den)
