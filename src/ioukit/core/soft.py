"""Soft (differentiable) Jaccard index of probabilities, with its analytic gradient.

The soft Jaccard replaces set sizes by sums of memberships in ``[0, 1]``::

    I = Σ y·p            U = Σ y + Σ p − I            J = (I + ε) / (U + ε)

On binary (0/1) inputs with ``ε = 0`` it equals the hard IoU exactly. Written against the Array
API: results stay in the input's library and on its device. The torch losses of
:mod:`ioukit.losses` compute the same quantity with autograd.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

from ioukit._errors import InputError, ParameterError
from ioukit._xp import Array, describe_values, float_dtype, namespace, to_numpy
from ioukit.core._checks import check_same_shape, is_floating, is_integer_like

__all__ = ["soft_jaccard", "soft_jaccard_grad"]


def _check_eps(func: str, eps: object) -> float:
    if (
        isinstance(eps, bool)
        or not isinstance(eps, Real)
        or not math.isfinite(float(eps))
        or float(eps) < 0
    ):
        raise ParameterError(f"{func}: `eps` must be a finite real number >= 0; got {eps!r}.")
    return float(eps)


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


def _terms(func: str, target: Array, prob: Array, eps: object) -> tuple[Any, Array, Array, float]:
    eps_f = _check_eps(func, eps)
    xp, (t, p) = namespace(target, prob, func=func)
    check_same_shape(func, p, t)
    y = _check_unit(func, xp, t, "target")
    q = _check_unit(func, xp, p, "prob")
    return xp, y, q, eps_f


def soft_jaccard(target: Array, prob: Array, *, eps: float = 0.0) -> Array:
    """Soft Jaccard index of a (soft) target and predicted probabilities.

    ``I = Σ y·p``, ``U = Σ y + Σ p − I``, ``J = (I + ε) / (U + ε)``, summed over all elements.

    Parameters
    ----------
    target : array of any shape
        Memberships ``y`` in ``[0, 1]`` (0/1 labels, or soft labels).
    prob : array, same shape as ``target``
        Predicted probabilities ``p`` in ``[0, 1]``.
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
    >>> round(float(soft_jaccard(np.array([1, 1, 0]), np.array([0.8, 0.5, 0.2]))), 4)
    0.5909
    """
    func = "soft_jaccard"
    xp, y, p, eps_f = _terms(func, target, prob, eps)
    inter = xp.sum(y * p)
    union = xp.sum(y) + xp.sum(p) - inter
    den = union + eps_f
    if bool(den == 0):
        return xp.ones_like(inter)
    return (inter + eps_f) / den


def soft_jaccard_grad(target: Array, prob: Array, *, eps: float = 0.0) -> Array:
    """Analytic gradient ``∂J/∂p`` of :func:`soft_jaccard` with respect to ``prob``.

    With ``∂I/∂pᵢ = yᵢ`` and ``∂U/∂pᵢ = 1 − yᵢ``::

        ∂J/∂pᵢ = (yᵢ (U + ε) − (I + ε)(1 − yᵢ)) / (U + ε)²

    Parameters
    ----------
    target, prob, eps
        As in :func:`soft_jaccard`.

    Returns
    -------
    array, same shape as ``prob``
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
    >>> soft_jaccard_grad(np.array([1.0, 0.0]), np.array([1.0, 1.0]))
    array([ 0.5 , -0.25])
    """
    func = "soft_jaccard_grad"
    xp, y, p, eps_f = _terms(func, target, prob, eps)
    inter = xp.sum(y * p)
    union = xp.sum(y) + xp.sum(p) - inter
    den = union + eps_f
    if bool(den == 0):
        return xp.zeros_like(p)
    return (y * den - (inter + eps_f) * (1 - y)) / (den * den)
