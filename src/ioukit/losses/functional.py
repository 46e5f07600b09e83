"""Differentiable IoU losses for PyTorch: soft Jaccard / Dice / Tversky, Lovász, and box losses.

Segmentation losses share one set of options, chosen to match the metrics of ioukit:

* ``mode`` — ``"binary"``: ``pred`` is ``(N, ...)`` or ``(N, 1, ...)`` and ``target`` has the
  same elements; ``"multiclass"``: ``pred`` is ``(N, C, ...)`` scores and ``target`` is an
  integer label map ``(N, ...)``; ``"multilabel"``: ``pred`` and ``target`` are ``(N, C, ...)``.
* ``from_logits`` — ``True``: ``pred`` holds logits, turned into probabilities by a sigmoid
  (binary, multilabel) or a softmax over the class axis (multiclass). ``False``: ``pred`` holds
  probabilities, and values outside ``[0, 1]`` raise :class:`~ioukit.InputError` (they make a
  "soft IoU" above 1). Honoured by the Lovász losses too.
* ``ignore_index`` — target values whose elements are removed from every sum (void pixels,
  e.g. 255). In multiclass mode an ignored value that is also a class index (``0 <= v < C``)
  removes that class from the classes scored, as the metrics do.
* ``classes`` — ``None`` (all classes), ``"present"`` (per group, only classes with target
  mass: the default of the Lovász reference code) or a sequence of class indices.
* ``per_image`` — ``False``: sums run over the whole batch (a dataset-level IoU, one value per
  class); ``True``: one value per image and class.
* ``reduction`` — ``"none"``: the per-class losses, shape ``(C',)``, or ``(N, C')`` with
  ``per_image=True`` (classes not counted are 0); ``"sum"``; ``"mean"``: mean over the counted
  classes (and then over images with ``per_image=True``; images with no counted class are
  skipped; nothing counted gives 0).

Empty rule: a group whose denominator is exactly 0 (target and prediction both empty, no
smoothing) scores 1, so its loss is 0 with a finite (zero) gradient; no ``eps`` is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import array_api_compat
import torch

from ioukit._errors import BackendError, InputError, ParameterError
from ioukit._xp import describe_values
from ioukit.core._checks import check_choice, check_ignore_index
from ioukit.geometry import boxes as _boxes

__all__ = [
    "complete_box_iou_loss",
    "dice_loss",
    "distance_box_iou_loss",
    "generalized_box_iou_loss",
    "jaccard_loss",
    "lovasz_hinge_loss",
    "lovasz_softmax_loss",
    "tversky_loss",
]

MODES = ("binary", "multiclass", "multilabel")
REDUCTIONS = ("none", "mean", "sum")
BOX_ON_INVALID = ("raise", "sort_corners")

Tensor = torch.Tensor
Classes = Sequence[int] | str | None

# ----------------------------------------------------------------------------- validation


def _check_bool(func: str, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(f"{func}: `{name}` must be True or False; got {value!r}.")
    return value


def _check_nonneg(func: str, name: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, Real)
        or not math.isfinite(float(value))
        or float(value) < 0
    ):
        raise ParameterError(f"{func}: `{name}` must be a finite real number >= 0; got {value!r}.")
    return float(value)


def _check_tensor(func: str, x: object, name: str) -> Tensor:
    if not isinstance(x, torch.Tensor):
        raise BackendError(
            f"{func}: `{name}` must be a torch.Tensor; got {type(x).__name__}. The losses are "
            "PyTorch-only; convert with torch.as_tensor(x)."
        )
    return x


def _check_pred(func: str, pred: object) -> Tensor:
    p = _check_tensor(func, pred, "pred")
    if not p.is_floating_point():
        raise InputError(
            f"{func}: `pred` must be a floating tensor of logits or probabilities; got dtype "
            f"{p.dtype}."
        )
    if not bool(torch.isfinite(p).all()):
        n_nan = int(torch.isnan(p).sum())
        n_inf = int(torch.isinf(p).sum())
        raise InputError(
            f"{func}: `pred` must be finite; got {n_nan} NaN and {n_inf} infinite value(s). "
            "Fix the model output."
        )
    if p.dtype in (torch.float16, torch.bfloat16):  # sums over many pixels need more bits
        p = p.float()
    return p


def _check_unit_interval(func: str, p: Tensor, hint: str) -> None:
    outside = (p < 0) | (p > 1)
    if bool(outside.any()):
        values = p.detach()[outside].cpu().numpy()
        raise InputError(
            f"{func}: `pred` must hold probabilities in [0, 1] with from_logits=False; got "
            f"{values.size} value(s) outside, e.g. {describe_values(values)}. {hint}"
        )


# ----------------------------------------------------------------------------- segmentation


class _Seg:
    """Flattened segmentation inputs: scores ``x``, targets ``y`` and validity ``valid``, all
    ``(N, C, S)`` (``valid`` may be ``(N, 1, S)``), plus the class indices scored."""

    def __init__(self, x: Tensor, y: Tensor, valid: Tensor, class_ids: list[int], present: bool):
        self.x = x
        self.y = y
        self.valid = valid
        self.class_ids = class_ids
        self.present = present


def _check_classes(
    func: str, classes: object, num_classes: int, dropped: tuple[int, ...]
) -> tuple[list[int], bool]:
    if classes is None:
        return [c for c in range(num_classes) if c not in dropped], False
    if isinstance(classes, str):
        if classes != "present":
            raise ParameterError(
                f"{func}: `classes` must be None, 'present' or a sequence of class indices; "
                f"got {classes!r}."
            )
        return [c for c in range(num_classes) if c not in dropped], True
    if isinstance(classes, Integral) and not isinstance(classes, bool):
        classes = [classes]
    if not isinstance(classes, Sequence) or len(classes) == 0:
        raise ParameterError(
            f"{func}: `classes` must be None, 'present' or a non-empty sequence of class "
            f"indices; got {classes!r}."
        )
    out: list[int] = []
    for c in classes:
        if isinstance(c, bool) or not isinstance(c, Integral) or not 0 <= int(c) < num_classes:
            raise ParameterError(
                f"{func}: `classes` must hold class indices in [0, {num_classes}); got "
                f"{list(classes)!r}."
            )
        if int(c) in out:
            raise ParameterError(f"{func}: `classes` must not repeat a class; got {classes!r}.")
        out.append(int(c))
    return out, False


def _ignore_mask(target: Tensor, ignore: tuple[int, ...]) -> Tensor:
    keep = torch.ones(target.shape, dtype=torch.bool, device=target.device)
    t = target if target.dtype != torch.bool else target.to(torch.uint8)
    for v in ignore:
        if not t.is_floating_point():
            info = torch.iinfo(t.dtype)
            if not info.min <= v <= info.max:  # unrepresentable: never equal
                continue
        keep &= t != v
    return keep


def _prepare_seg(
    func: str,
    pred: object,
    target: object,
    mode: object,
    ignore_index: object,
    classes: object,
    binary_target: bool,
) -> _Seg:
    check_choice(func, "mode", mode, MODES)
    p = _check_pred(func, pred)
    t = _check_tensor(func, target, "target")
    if t.device != p.device:
        raise BackendError(
            f"{func}: `pred` and `target` must be on the same device; got {p.device} and "
            f"{t.device}. Move one with .to(device)."
        )
    ignore = check_ignore_index(func, ignore_index)
    if t.is_complex() or not (t.is_floating_point() or t.dtype == torch.bool or _is_int(t)):
        raise InputError(f"{func}: `target` must be a real tensor; got dtype {t.dtype}.")
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        raise InputError(f"{func}: `target` must be finite; got NaN or infinite values.")
    if p.ndim < 1:
        raise InputError(f"{func}: `pred` must have a batch dimension; got shape {tuple(p.shape)}.")
    n = int(p.shape[0])
    if mode == "multiclass":
        return _prepare_multiclass(func, p, t, ignore, classes, n)
    pshape, tshape = tuple(p.shape), tuple(t.shape)
    if mode == "binary":
        if pshape == tshape:
            pass
        elif p.ndim >= 2 and pshape[1] == 1 and pshape[:1] + pshape[2:] == tshape:
            t = t.unsqueeze(1)
        else:
            raise InputError(
                f"{func}: in binary mode `target` must have the shape of `pred`, or `pred` must "
                f"be (N, 1, ...) and `target` (N, ...); got {pshape} and {tshape}."
            )
        x = p.reshape(n, 1, math.prod(pshape[1:]))
        tt = t.reshape(n, 1, math.prod(pshape[1:]))
    else:
        if p.ndim < 2 or pshape != tshape:
            raise InputError(
                f"{func}: in multilabel mode `pred` and `target` must both be (N, C, ...) with "
                f"the same shape; got {pshape} and {tshape}."
            )
        x = p.reshape(n, pshape[1], math.prod(pshape[2:]))
        tt = t.reshape(n, pshape[1], math.prod(pshape[2:]))
    valid = _ignore_mask(tt, ignore)
    traw = tt[valid]
    tv = traw.to(torch.float64) if traw.dtype != torch.float64 else traw
    bad = ((tv != 0) & (tv != 1)) if binary_target else ((tv < 0) | (tv > 1))
    if bool(bad.any()):
        values = traw[bad].cpu().numpy()
        expected = "0/1 labels" if binary_target else "values in [0, 1] (0/1 or soft labels)"
        raise InputError(
            f"{func}: `target` must hold {expected} outside ignored elements; got "
            f"{describe_values(values)}. Use `ignore_index=` for void labels such as 255."
        )
    y = torch.where(valid, tt, torch.zeros((), dtype=tt.dtype, device=tt.device)).to(x.dtype)
    num = x.shape[1]
    class_ids, present = _check_classes(func, classes, num, ())
    return _Seg(x, y, valid, class_ids, present)


def _is_int(t: Tensor) -> bool:
    return not t.is_floating_point() and not t.is_complex() and t.dtype != torch.bool


def _prepare_multiclass(
    func: str, p: Tensor, t: Tensor, ignore: tuple[int, ...], classes: object, n: int
) -> _Seg:
    pshape, tshape = tuple(p.shape), tuple(t.shape)
    if p.ndim < 2 or pshape[:1] + pshape[2:] != tshape:
        raise InputError(
            f"{func}: in multiclass mode `pred` must be (N, C, ...) and `target` (N, ...); got "
            f"{pshape} and {tshape}."
        )
    if t.is_floating_point():
        if not bool((torch.floor(t) == t).all()):
            values = t[torch.floor(t) != t].cpu().numpy()
            raise InputError(
                f"{func}: `target` must hold integer class labels in multiclass mode; got "
                f"non-integer values {describe_values(values)}."
            )
        t = t.to(torch.int64)
    elif t.dtype == torch.bool:
        t = t.to(torch.int64)
    num = pshape[1]
    tt = t.reshape(n, math.prod(pshape[2:]))
    keep = _ignore_mask(tt, ignore)
    tv = tt[keep].to(torch.int64)
    bad = (tv < 0) | (tv >= num)
    if bool(bad.any()):
        values = tv[bad].cpu().numpy()
        raise InputError(
            f"{func}: `target` labels must lie in [0, {num}) (C = pred.shape[1]) or be listed "
            f"in `ignore_index`; got {describe_values(values)}."
        )
    x = p.reshape(n, num, math.prod(pshape[2:]))
    safe = torch.where(
        keep, tt.to(torch.int64), torch.zeros((), dtype=torch.int64, device=t.device)
    )
    y = torch.nn.functional.one_hot(safe, num).permute(0, 2, 1).to(x.dtype)
    valid = keep.unsqueeze(1)
    y = y * valid.to(x.dtype)
    dropped = tuple(v for v in ignore if 0 <= v < num)
    class_ids, present = _check_classes(func, classes, num, dropped)
    if not class_ids:
        raise ParameterError(
            f"{func}: every class is excluded by `ignore_index`={list(ignore)}; nothing to score."
        )
    return _Seg(x, y, valid, class_ids, present)


def _activate(func: str, seg: _Seg, mode: str, from_logits: bool) -> Tensor:
    if from_logits:
        if mode == "multiclass":
            return torch.softmax(seg.x, dim=1)
        return torch.sigmoid(seg.x)
    _check_unit_interval(
        func,
        seg.x,
        "Pass from_logits=True if these are logits, or apply a "
        + ("softmax." if mode == "multiclass" else "sigmoid."),
    )
    return seg.x


def _select(seg: _Seg, probs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(probabilities, targets, validity as a float), restricted to the scored classes."""
    idx = seg.class_ids
    full = idx == list(range(seg.x.shape[1]))
    p = probs if full else probs[:, idx]
    y = seg.y if full else seg.y[:, idx]
    v = seg.valid
    if v.shape[1] != 1 and not full:
        v = v[:, idx]
    return p, y, v.to(p.dtype)


def _safe_ratio(num: Tensor, den: Tensor) -> Tensor:
    """``num / den``, and 1 (a perfect score) where ``den == 0``, with finite gradients."""
    zero = den == 0
    out = num / torch.where(zero, torch.ones_like(den), den)
    return torch.where(zero, torch.ones_like(out), out)


def _reduce(
    func: str, losses: Tensor, counted: Tensor | None, per_image: bool, reduction: str
) -> Tensor:
    """Reduce ``(C',)`` or ``(N, C')`` losses; ``counted`` marks the entries that count."""
    if counted is None:
        counted = torch.ones_like(losses, dtype=torch.bool)
    w = counted.to(losses.dtype)
    kept = losses * w
    if reduction == "none":
        return kept
    if reduction == "sum":
        return kept.sum()
    if not per_image:
        k = w.sum()
        return kept.sum() / torch.clamp(k, min=1.0)
    per_img_count = w.sum(dim=-1)
    per_img = kept.sum(dim=-1) / torch.clamp(per_img_count, min=1.0)
    has = (per_img_count > 0).to(losses.dtype)
    return (per_img * has).sum() / torch.clamp(has.sum(), min=1.0)


def _soft_stats(
    func: str,
    pred: object,
    target: object,
    mode: object,
    from_logits: object,
    ignore_index: object,
    classes: object,
    per_image: object,
    reduction: object,
) -> tuple[Tensor, Tensor, Tensor, Tensor | None, bool, str]:
    """(intersection, Σp, Σy, counted mask, per_image, reduction) per group and class."""
    fl = _check_bool(func, "from_logits", from_logits)
    pi = _check_bool(func, "per_image", per_image)
    red = check_choice(func, "reduction", reduction, REDUCTIONS)
    seg = _prepare_seg(func, pred, target, mode, ignore_index, classes, binary_target=False)
    probs = _activate(func, seg, str(mode), fl)
    p, y, v = _select(seg, probs)
    dims: tuple[int, ...] = (2,) if pi else (0, 2)
    pv = p * v
    inter = (pv * y).sum(dim=dims)
    sp = pv.sum(dim=dims)
    sy = (y * v).sum(dim=dims)
    counted = (sy > 0) if seg.present else None
    return inter, sp, sy, counted, pi, red


_SEG_PARAMS = """
    Parameters
    ----------
    pred : Tensor
        Logits (``from_logits=True``) or probabilities: ``(N, ...)`` or ``(N, 1, ...)`` in
        binary mode, ``(N, C, ...)`` in multiclass and multilabel mode. Floating dtype; half
        precision is computed in float32.
    target : Tensor
        Binary/multilabel: the elements of ``pred``, values in ``[0, 1]`` (0/1 labels or soft
        labels) or listed in ``ignore_index``. Multiclass: integer labels ``(N, ...)`` in
        ``[0, C)`` or listed in ``ignore_index``.
    mode : {"binary", "multiclass", "multilabel"}
        The layout, see :mod:`ioukit.losses.functional`.
    from_logits : bool, default True
        Apply a sigmoid (binary, multilabel) or a softmax over axis 1 (multiclass) first.
        With ``False``, values outside ``[0, 1]`` raise :class:`~ioukit.InputError`.
    smooth : float, default 0.0
        Added to numerator and denominator. **Smoothing in the numerator rewards empty
        predictions**: for a group with an empty target the score is ``smooth / (Σp + smooth)``,
        maximal for ``p = 0``, so rare classes are pushed towards predicting nothing. Keep 0
        unless you want that.
    eps : float, default 0.0
        Added to the denominator only (numerical guard). Not needed for the empty case: a group
        whose denominator is exactly 0 scores 1 (loss 0) with a finite gradient.
    ignore_index : int or sequence of int, optional
        Target values whose elements are removed from every sum. In multiclass mode, a value
        that is a class index also removes that class from the classes scored.
    classes : None, "present" or sequence of int, default None
        Classes (channels) scored: all, those with target mass in the group, or a subset.
    per_image : bool, default False
        One value per image and class instead of sums over the batch.
    reduction : {"mean", "sum", "none"}, default "mean"
        See :mod:`ioukit.losses.functional`. ``"none"`` returns ``(C',)`` or ``(N, C')``.

    Returns
    -------
    Tensor
        0-d for ``"mean"``/``"sum"``; the dtype of ``pred`` (float32 for half precision)."""


def jaccard_loss(
    pred: Tensor,
    target: Tensor,
    *,
    mode: str,
    from_logits: bool = True,
    smooth: float = 0.0,
    eps: float = 0.0,
    ignore_index: int | Sequence[int] | None = None,
    classes: Classes = None,
    per_image: bool = False,
    reduction: str = "mean",
) -> Tensor:
    func = "jaccard_loss"
    s = _check_nonneg(func, "smooth", smooth)
    e = _check_nonneg(func, "eps", eps)
    inter, sp, sy, counted, pi, red = _soft_stats(
        func, pred, target, mode, from_logits, ignore_index, classes, per_image, reduction
    )
    score = _safe_ratio(inter + s, (sy + sp - inter) + s + e)
    return _reduce(func, 1 - score, counted, pi, red)


jaccard_loss.__doc__ = (
    """Soft Jaccard (IoU) loss: ``1 − (I + smooth) / (U + smooth + eps)``.

    Per class (and per image with ``per_image=True``), over the non-ignored elements:
    ``I = Σ p·y``, ``U = Σ p + Σ y − I``. On 0/1 probabilities it equals ``1 − IoU`` exactly.
"""
    + _SEG_PARAMS
    + """

    Examples
    --------
    ``I = 0.8 + 0.5 = 1.3``, ``U = 1.5 + 2 − 1.3 = 2.2``, loss ``= 1 − 1.3/2.2``:

    >>> import torch
    >>> p = torch.tensor([[0.8, 0.5, 0.2]])
    >>> y = torch.tensor([[1, 1, 0]])
    >>> round(float(jaccard_loss(p, y, mode="binary", from_logits=False)), 4)
    0.4091
"""
)


def dice_loss(
    pred: Tensor,
    target: Tensor,
    *,
    mode: str,
    from_logits: bool = True,
    smooth: float = 0.0,
    eps: float = 0.0,
    ignore_index: int | Sequence[int] | None = None,
    classes: Classes = None,
    per_image: bool = False,
    reduction: str = "mean",
) -> Tensor:
    func = "dice_loss"
    s = _check_nonneg(func, "smooth", smooth)
    e = _check_nonneg(func, "eps", eps)
    inter, sp, sy, counted, pi, red = _soft_stats(
        func, pred, target, mode, from_logits, ignore_index, classes, per_image, reduction
    )
    score = _safe_ratio(2 * inter + s, (sy + sp) + s + e)
    return _reduce(func, 1 - score, counted, pi, red)


dice_loss.__doc__ = (
    """Soft Dice loss: ``1 − (2 I + smooth) / (Σ p + Σ y + smooth + eps)``.

    Dice and Jaccard are monotone in each other (``D = 2J / (1 + J)``) for one group, but not
    after averaging over classes or images.
"""
    + _SEG_PARAMS
    + """

    Examples
    --------
    ``2 I = 2.6``, ``Σp + Σy = 3.5``, loss ``= 1 − 2.6/3.5``:

    >>> import torch
    >>> p = torch.tensor([[0.8, 0.5, 0.2]])
    >>> y = torch.tensor([[1, 1, 0]])
    >>> round(float(dice_loss(p, y, mode="binary", from_logits=False)), 4)
    0.2571
"""
)


def tversky_loss(
    pred: Tensor,
    target: Tensor,
    *,
    mode: str,
    alpha: float = 0.5,
    beta: float = 0.5,
    from_logits: bool = True,
    smooth: float = 0.0,
    eps: float = 0.0,
    ignore_index: int | Sequence[int] | None = None,
    classes: Classes = None,
    per_image: bool = False,
    reduction: str = "mean",
) -> Tensor:
    func = "tversky_loss"
    a = _check_nonneg(func, "alpha", alpha)
    b = _check_nonneg(func, "beta", beta)
    if a + b == 0:
        raise ParameterError(
            f"{func}: `alpha` + `beta` must be > 0 (with both 0 every prediction scores 1); "
            f"got alpha={alpha!r}, beta={beta!r}."
        )
    s = _check_nonneg(func, "smooth", smooth)
    e = _check_nonneg(func, "eps", eps)
    inter, sp, sy, counted, pi, red = _soft_stats(
        func, pred, target, mode, from_logits, ignore_index, classes, per_image, reduction
    )
    fp = sp - inter
    fn = sy - inter
    score = _safe_ratio(inter + s, inter + a * fp + b * fn + s + e)
    return _reduce(func, 1 - score, counted, pi, red)


tversky_loss.__doc__ = (
    """Tversky loss (Salehi et al., 2017): ``1 − (I + smooth) / (I + α FP + β FN + smooth + eps)``.

    ``FP = Σ p·(1 − y)`` and ``FN = Σ (1 − p)·y``. ``α = β = 1`` is the Jaccard loss,
    ``α = β = 0.5`` (default) the Dice loss; ``β > α`` weighs false negatives more (recall).

    Parameters
    ----------
    alpha, beta : float, default 0.5
        Weights of false positives and false negatives (>= 0, not both 0).
"""
    + _SEG_PARAMS.replace("\n    Parameters\n    ----------\n", "")
    + """

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([[0.8, 0.5, 0.2]])
    >>> y = torch.tensor([[1, 1, 0]])
    >>> j = jaccard_loss(p, y, mode="binary", from_logits=False)
    >>> t = tversky_loss(p, y, mode="binary", alpha=1.0, beta=1.0, from_logits=False)
    >>> bool(torch.isclose(j, t))
    True
"""
)


# ----------------------------------------------------------------------------- Lovász


def _lovasz_groups(errors: Tensor, gt: Tensor, valid: Tensor) -> Tensor:
    """Lovász extension of the Jaccard loss, one value per row of ``(G, P)`` inputs.

    Algorithm 1 of Berman et al. (CVPR 2018): sort the errors in decreasing order; the
    gradient of the Lovász extension is the sequence of increments of the Jaccard loss of the
    top-k sets, ``1 − (gts − cumsum(g)) / (gts + cumsum(1 − g))``. Invalid elements are sorted
    last (their sort key is −inf), so they never enter the cumulative sums of valid ones, and
    their terms are multiplied by 0.
    """
    if errors.shape[-1] == 0:
        return errors.sum(dim=-1)
    key = torch.where(valid, errors.detach(), torch.full_like(errors, -math.inf))
    order = torch.argsort(key, dim=-1, descending=True, stable=True)
    e = torch.gather(errors, -1, order)
    v = torch.gather(valid, -1, order).to(errors.dtype)
    g = torch.gather(gt, -1, order) * v
    gts = g.sum(dim=-1, keepdim=True)
    inter = gts - torch.cumsum(g, dim=-1)
    union = gts + torch.cumsum((1 - g) * v, dim=-1)
    jac = 1 - inter / torch.clamp(union, min=1.0)  # union >= 1 at every valid position
    grad = torch.cat([jac[..., :1], jac[..., 1:] - jac[..., :-1]], dim=-1)
    return (e * v * grad).sum(dim=-1)


def _group_rows(x: Tensor, per_image: bool) -> Tensor:
    """``(N, C, S)`` → ``(N, C, S)`` rows per image and class, or ``(C, N·S)`` per class."""
    if per_image:
        return x
    return x.transpose(0, 1).reshape(x.shape[1], x.shape[0] * x.shape[2])


_LOVASZ_COMMON = """
    ignore_index : int or sequence of int, optional
        Target values whose elements are removed before sorting.
    classes : None, "present" or sequence of int, default None
        Classes (channels) scored. The reference code of the paper defaults to "present".
    per_image : bool, default False
        ``False``: one Lovász loss per class over the whole batch (a surrogate of the dataset
        IoU); ``True``: one per image and class.
    reduction : {"mean", "sum", "none"}, default "mean"
        As the soft losses: ``"none"`` returns ``(C',)`` or ``(N, C')``; ``"mean"`` averages
        over classes, then over images.

    Returns
    -------
    Tensor
        0-d for ``"mean"``/``"sum"``."""


def lovasz_hinge_loss(
    pred: Tensor,
    target: Tensor,
    *,
    mode: str = "binary",
    from_logits: bool = True,
    ignore_index: int | Sequence[int] | None = None,
    classes: Classes = None,
    per_image: bool = False,
    reduction: str = "mean",
) -> Tensor:
    func = "lovasz_hinge_loss"
    check_choice(func, "mode", mode, ("binary", "multilabel"))
    fl = _check_bool(func, "from_logits", from_logits)
    pi = _check_bool(func, "per_image", per_image)
    red = check_choice(func, "reduction", reduction, REDUCTIONS)
    seg = _prepare_seg(func, pred, target, mode, ignore_index, classes, binary_target=True)
    if not fl:
        _check_unit_interval(func, seg.x, "Pass from_logits=True if these are logits.")
    x, y, v = _select(seg, seg.x)
    valid = torch.broadcast_to(v, x.shape) > 0
    # hinge errors on logits (margin 1), or absolute errors on probabilities
    errors = 1 - x * (2 * y - 1) if fl else (y - x).abs()
    errors = torch.relu(errors)
    rows_e, rows_g, rows_v = (_group_rows(t, pi) for t in (errors, y, valid))
    losses = _lovasz_groups(rows_e, rows_g, rows_v)
    counted = None
    if seg.present:
        counted = (_group_rows(y * v, pi)).sum(dim=-1) > 0
    return _reduce(func, losses, counted, pi, red)


lovasz_hinge_loss.__doc__ = (
    """Lovász hinge loss (Berman, Rannen Triki & Blaschko, CVPR 2018), binary or per label.

    With logits ``f`` and signs ``s = 2y − 1``, the hinge errors ``m = max(1 − f·s, 0)`` are
    sorted in decreasing order and weighted by the gradient of the Lovász extension of the
    Jaccard loss (Algorithm 1 of the paper): a convex surrogate of ``1 − IoU``, tight on
    binary vectors. In multilabel mode each channel is its own binary problem (not one problem
    over all channels flattened, as in some ports).

    Parameters
    ----------
    pred : Tensor
        Logits (or probabilities with ``from_logits=False``), ``(N, ...)``/``(N, 1, ...)``
        (binary) or ``(N, C, ...)`` (multilabel).
    target : Tensor
        0/1 labels with the elements of ``pred`` (or values listed in ``ignore_index``).
    mode : {"binary", "multilabel"}, default "binary"
    from_logits : bool, default True
        ``True``: the hinge on logits, as in the paper. ``False``: ``pred`` holds probabilities
        ``p`` in ``[0, 1]`` and the errors are ``|y − p|`` (the Lovász-Softmax surrogate of a
        single foreground class), still through the Lovász extension."""
    + _LOVASZ_COMMON
    + """

    Examples
    --------
    Perfect margins (every ``f·s >= 1``) give 0:

    >>> import torch
    >>> f = torch.tensor([[2.0, -3.0, 1.5]])
    >>> float(lovasz_hinge_loss(f, torch.tensor([[1, 0, 1]])))
    0.0
"""
)


def lovasz_softmax_loss(
    pred: Tensor,
    target: Tensor,
    *,
    from_logits: bool = True,
    ignore_index: int | Sequence[int] | None = None,
    classes: Classes = None,
    per_image: bool = False,
    reduction: str = "mean",
) -> Tensor:
    func = "lovasz_softmax_loss"
    fl = _check_bool(func, "from_logits", from_logits)
    pi = _check_bool(func, "per_image", per_image)
    red = check_choice(func, "reduction", reduction, REDUCTIONS)
    seg = _prepare_seg(func, pred, target, "multiclass", ignore_index, classes, binary_target=True)
    probs = _activate(func, seg, "multiclass", fl)
    p, y, v = _select(seg, probs)
    valid = torch.broadcast_to(v, p.shape) > 0
    errors = (y - p).abs()
    rows_e, rows_g, rows_v = (_group_rows(t, pi) for t in (errors, y, valid))
    losses = _lovasz_groups(rows_e, rows_g, rows_v)
    counted = None
    if seg.present:
        counted = (_group_rows(y * v, pi)).sum(dim=-1) > 0
    return _reduce(func, losses, counted, pi, red)


lovasz_softmax_loss.__doc__ = (
    """Lovász-Softmax loss (Berman, Rannen Triki & Blaschko, CVPR 2018), multiclass.

    Per class ``c``, the errors ``|1[y = c] − p_c|`` of the softmax probabilities are sorted
    in decreasing order and weighted by the gradient of the Lovász extension of the Jaccard
    loss of class ``c`` (Algorithm 1); the result is averaged over classes. Unlike some ports,
    ``from_logits=False`` is honoured: ``pred`` is then used as probabilities as is.

    Parameters
    ----------
    pred : Tensor
        ``(N, C, ...)`` logits (or probabilities with ``from_logits=False``).
    target : Tensor
        ``(N, ...)`` integer labels in ``[0, C)`` or listed in ``ignore_index``.
    from_logits : bool, default True
        Apply a softmax over axis 1 first."""
    + _LOVASZ_COMMON
    + """

    Examples
    --------
    >>> import torch
    >>> probs = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])  # (N=1, C=2, 2 pixels)
    >>> float(lovasz_softmax_loss(probs, torch.tensor([[0, 1]]), from_logits=False))
    0.0
"""
)


# ----------------------------------------------------------------------------- boxes


def _box_prepare(
    func: str, boxes1: object, boxes2: object, reduction: object, on_invalid: object
) -> tuple[Tensor, Tensor, Any, str]:
    red = check_choice(func, "reduction", reduction, REDUCTIONS)
    oi = check_choice(func, "on_invalid", on_invalid, BOX_ON_INVALID)
    b1 = _check_tensor(func, boxes1, "boxes1")
    b2 = _check_tensor(func, boxes2, "boxes2")
    for name, b in (("boxes1", b1), ("boxes2", b2)):
        if b.ndim != 2 or b.shape[-1] != 4:
            raise InputError(
                f"{func}: `{name}` must have shape (N, 4) (xyxy boxes, one pair per row); got "
                f"shape {tuple(b.shape)}."
            )
        if b.is_complex() or b.dtype == torch.bool:
            raise InputError(f"{func}: `{name}` must hold real numbers; got dtype {b.dtype}.")
    if b1.shape != b2.shape:
        raise InputError(
            f"{func}: `boxes1` and `boxes2` must have the same shape (one pair per row); got "
            f"shapes {tuple(b1.shape)} and {tuple(b2.shape)}."
        )
    if b1.device != b2.device:
        raise BackendError(
            f"{func}: `boxes1` and `boxes2` must be on the same device; got {b1.device} and "
            f"{b2.device}."
        )
    out_dtype = torch.float32 if b1.dtype == torch.float32 and b2.dtype == torch.float32 else None
    ct = torch.float32 if b1.device.type == "mps" else torch.float64
    a = b1.to(ct)
    b = b2.to(ct)
    for name, bx, raw in (("boxes1", a, b1), ("boxes2", b, b2)):
        finite = torch.isfinite(bx).all(dim=-1)
        inverted = (bx[:, 2] < bx[:, 0]) | (bx[:, 3] < bx[:, 1])
        bad = ~finite if oi == "sort_corners" else (~finite | inverted)
        if bool(bad.any()):
            i = int(torch.nonzero(bad)[0, 0])
            what = (
                "finite coordinates"
                if oi == "sort_corners"
                else ("valid xyxy boxes (x1 <= x2, y1 <= y2, finite coordinates)")
            )
            hint = (
                "Drop or repair boxes with NaN/inf coordinates."
                if oi == "sort_corners"
                else "Pass on_invalid='sort_corners' to swap inverted corners (Algorithm 2 of "
                "Rezatofighi et al.), or fix the box format."
            )
            raise InputError(
                f"{func}: `{name}` must hold {what}; got {int(bad.sum())} invalid box(es) of "
                f"{bad.numel()}, the first at index {i}: {raw[i].detach().cpu().tolist()}. {hint}"
            )
    return a, b, out_dtype, red


def _cols(b: Tensor, sort_corners: bool) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    if sort_corners:
        x1, x2 = torch.minimum(x1, x2), torch.maximum(x1, x2)
        y1, y2 = torch.minimum(y1, y2), torch.maximum(y1, y2)
    return x1, y1, x2, y2


def _torch_xp() -> Any:
    return array_api_compat.array_namespace(torch.zeros(0))


def _box_score(kind: str, a: Tensor, b: Tensor, sort_corners: bool) -> Tensor:
    """The metric's own formulas (:func:`ioukit.geometry.boxes._score`), with CIoU's α detached."""
    score: Tensor = _boxes._score(
        _torch_xp(), kind, _cols(a, sort_corners), _cols(b, sort_corners), torch.Tensor.detach
    )
    return score


def _box_loss(
    func: str, kind: str, boxes1: object, boxes2: object, reduction: object, on_invalid: object
) -> Tensor:
    a, b, out_dtype, red = _box_prepare(func, boxes1, boxes2, reduction, on_invalid)
    loss = 1 - _box_score(kind, a, b, on_invalid == "sort_corners")
    if red == "mean":
        # an empty set of pairs gives 0, still attached to the graph (finite, non-None grads)
        loss = loss.sum() / max(1, loss.shape[0])
    elif red == "sum":
        loss = loss.sum()
    return loss.to(out_dtype) if out_dtype is not None else loss


_BOX_DOC = """
    Parameters
    ----------
    boxes1, boxes2 : Tensor of shape (N, 4)
        Predicted and target boxes in ``xyxy`` format, paired row by row (convert others with
        :func:`ioukit.box_convert`). Computed in float64; the loss is float32 for float32
        input, float64 otherwise.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns ``(N,)``. ``N = 0`` gives 0 for ``"mean"`` and ``"sum"`` (attached
        to the graph, so gradients are zeros, not None) and an empty ``(0,)`` for ``"none"``.
    on_invalid : {"raise", "sort_corners"}, default "raise"
        Inverted boxes (``x2 < x1`` or ``y2 < y1``): raise an :class:`~ioukit.InputError`, or
        swap the corners first (Algorithm 2 of Rezatofighi et al.; useful for raw regression
        outputs). NaN/inf coordinates always raise.

    Returns
    -------
    Tensor
        0-d, or ``(N,)`` with ``reduction="none"``.

    Notes
    -----
    Degenerate pairs follow the metric: a 0 denominator (zero union, zero enclosing box or
    diagonal, identical boxes in CIoU's α) makes its term 0, with a finite gradient. Values
    are identical to the ``*_box_iou_aligned`` metric in float64 for valid boxes."""


def generalized_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, *, reduction: str = "mean", on_invalid: str = "raise"
) -> Tensor:
    return _box_loss("generalized_box_iou_loss", "giou", boxes1, boxes2, reduction, on_invalid)


generalized_box_iou_loss.__doc__ = (
    """GIoU loss ``1 − GIoU`` of matched box pairs (Rezatofighi et al., CVPR 2019).

    ``GIoU = IoU − |C \\ (A ∪ B)| / |C|`` (see :func:`ioukit.generalized_box_iou_aligned`);
    the loss is in ``[0, 2)``.
"""
    + _BOX_DOC
    + """

    Examples
    --------
    >>> import torch
    >>> a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    >>> b = torch.tensor([[5.0, 5.0, 15.0, 15.0]])
    >>> round(float(generalized_box_iou_loss(a, b)), 4)  # 1 − (25/175 − 50/225)
    1.0794
"""
)


def distance_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, *, reduction: str = "mean", on_invalid: str = "raise"
) -> Tensor:
    return _box_loss("distance_box_iou_loss", "diou", boxes1, boxes2, reduction, on_invalid)


distance_box_iou_loss.__doc__ = (
    """DIoU loss ``1 − DIoU`` of matched box pairs (Zheng et al., AAAI 2020).

    ``DIoU = IoU − ρ² / c²`` (see :func:`ioukit.distance_box_iou_aligned`).
"""
    + _BOX_DOC
    + """

    Examples
    --------
    >>> import torch
    >>> a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    >>> b = torch.tensor([[5.0, 5.0, 15.0, 15.0]])
    >>> round(float(distance_box_iou_loss(a, b)), 4)  # 1 − (25/175 − 50/450)
    0.9683
"""
)


def complete_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, *, reduction: str = "mean", on_invalid: str = "raise"
) -> Tensor:
    return _box_loss("complete_box_iou_loss", "ciou", boxes1, boxes2, reduction, on_invalid)


complete_box_iou_loss.__doc__ = (
    """CIoU loss ``1 − CIoU`` of matched box pairs (Zheng et al., AAAI 2020).

    ``CIoU = DIoU − α v``, ``v = (4/π²)(arctan(w₂/h₂) − arctan(w₁/h₁))²``,
    ``α = v / ((1 − IoU) + v)``: the ungated form of the AAAI paper (the later journal version
    sets α = 0 for IoU < 0.5; not used here). **α is treated as a constant in the gradient**
    (computed without autograd), as in the paper. The aspect angle is ``atan2(w, h)`` with a
    guarded gradient, so zero-area boxes give finite gradients.
"""
    + _BOX_DOC
    + """

    Examples
    --------
    >>> import torch
    >>> a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    >>> round(float(complete_box_iou_loss(a, a.clone())), 4)
    0.0
"""
)
