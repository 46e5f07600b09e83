"""Shared machinery of the torch losses: validation, the segmentation layout, activation,
reduction.

Private to :mod:`ioukit.losses`. Every public loss validates its inputs once, here, with
messages that name the loss, the argument, what was expected and what was got.

* :func:`prepare_seg` turns ``(pred, target)`` of any ``mode`` into :class:`Seg`: scores,
  targets and validity flattened to ``(N, C, S)``, with ``ignore_index`` and ``classes``
  applied;
* :func:`activate` applies ``from_logits`` (sigmoid or softmax), or checks probabilities;
* :func:`select` keeps the classes scored; :func:`reduce_losses` applies ``reduction`` over the
  counted classes (and images).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import array_api_compat
import torch

from ioukit._errors import BackendError, InputError, ParameterError
from ioukit._xp import describe_values
from ioukit.core._checks import check_choice, check_ignore_index

MODES = ("binary", "multiclass", "multilabel")
REDUCTIONS = ("none", "mean", "sum")

Tensor = torch.Tensor
Classes = Sequence[int] | str | None


@functools.cache
def torch_xp() -> Any:
    """The Array API namespace of torch tensors (for the formulas shared with the metrics)."""
    return array_api_compat.array_namespace(torch.zeros(0))


# ----------------------------------------------------------------------------- validation


def check_bool(func: str, name: str, value: object) -> bool:
    """``value`` if it is a bool (``1`` or ``"yes"`` are refused), else a ParameterError."""
    if not isinstance(value, bool):
        raise ParameterError(f"{func}: `{name}` must be True or False; got {value!r}.")
    return value


def check_tensor(func: str, x: object, name: str) -> Tensor:
    """``x`` if it is a torch tensor, else a BackendError (the losses are PyTorch-only)."""
    if not isinstance(x, torch.Tensor):
        raise BackendError(
            f"{func}: `{name}` must be a torch.Tensor; got {type(x).__name__}. The losses are "
            "PyTorch-only; convert with torch.as_tensor(x)."
        )
    return x


def check_options(
    func: str, from_logits: object, per_image: object, reduction: object
) -> tuple[bool, bool, str]:
    """The options every segmentation loss shares: ``(from_logits, per_image, reduction)``."""
    fl = check_bool(func, "from_logits", from_logits)
    pi = check_bool(func, "per_image", per_image)
    red: str = check_choice(func, "reduction", reduction, REDUCTIONS)
    return fl, pi, red


def check_pred(func: str, pred: object) -> Tensor:
    """``pred`` checked floating and finite; half precision is promoted to float32."""
    p = check_tensor(func, pred, "pred")
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


def check_unit_interval(func: str, p: Tensor, hint: str) -> None:
    """Raise if ``from_logits=False`` scores ``p`` leave ``[0, 1]``; ``hint`` ends the message."""
    outside = (p < 0) | (p > 1)
    if bool(outside.any()):
        values = p.detach()[outside].cpu().numpy()
        raise InputError(
            f"{func}: `pred` must hold probabilities in [0, 1] with from_logits=False; got "
            f"{values.size} value(s) outside, e.g. {describe_values(values)}. {hint}"
        )


# ----------------------------------------------------------------------------- segmentation


class Seg:
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


def prepare_seg(
    func: str,
    pred: object,
    target: object,
    mode: object,
    ignore_index: object,
    classes: object,
    binary_target: bool,
) -> Seg:
    check_choice(func, "mode", mode, MODES)
    p = check_pred(func, pred)
    t = check_tensor(func, target, "target")
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
    return Seg(x, y, valid, class_ids, present)


def _is_int(t: Tensor) -> bool:
    return not t.is_floating_point() and not t.is_complex() and t.dtype != torch.bool


def _prepare_multiclass(
    func: str, p: Tensor, t: Tensor, ignore: tuple[int, ...], classes: object, n: int
) -> Seg:
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
    return Seg(x, y, valid, class_ids, present)


def activate(func: str, seg: Seg, mode: str, from_logits: bool) -> Tensor:
    """Probabilities: sigmoid (binary, multilabel) or softmax over classes of logits, or the
    scores themselves after checking they lie in ``[0, 1]``."""
    if from_logits:
        if mode == "multiclass":
            return torch.softmax(seg.x, dim=1)
        return torch.sigmoid(seg.x)
    check_unit_interval(
        func,
        seg.x,
        "Pass from_logits=True if these are logits, or apply a "
        + ("softmax." if mode == "multiclass" else "sigmoid."),
    )
    return seg.x


def select(seg: Seg, probs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(probabilities, targets, validity as a float), restricted to the scored classes."""
    idx = seg.class_ids
    full = idx == list(range(seg.x.shape[1]))
    p = probs if full else probs[:, idx]
    y = seg.y if full else seg.y[:, idx]
    v = seg.valid
    if v.shape[1] != 1 and not full:
        v = v[:, idx]
    return p, y, v.to(p.dtype)


def reduce_losses(
    losses: Tensor, counted: Tensor | None, per_image: bool, reduction: str
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
