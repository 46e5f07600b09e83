"""Box regression losses for PyTorch: ``1 − GIoU``, ``1 − DIoU`` and ``1 − CIoU``.

Matched pairs of ``xyxy`` boxes, ``(4,)``, ``(N, 4)`` or any ``(..., 4)`` (as torchvision's
``*_box_iou_loss``), both of the same shape. The scores are the formulas of the box metrics
(:func:`ioukit.generalized_box_iou_aligned` and its siblings, the same code), in float64, with
CIoU's trade-off weight α held constant in the gradient.
"""

from __future__ import annotations

import numpy as np
import torch

from ioukit._errors import BackendError, InputError
from ioukit.core._checks import check_choice
from ioukit.geometry._box_iou import score as _box_score
from ioukit.losses._common import REDUCTIONS, Tensor, check_tensor, torch_xp

__all__ = ["complete_box_iou_loss", "distance_box_iou_loss", "generalized_box_iou_loss"]

BOX_ON_INVALID = ("raise", "sort_corners")


def _check_boxes(func: str, b1: Tensor, b2: Tensor) -> None:
    for name, b in (("boxes1", b1), ("boxes2", b2)):
        if b.ndim < 1 or b.shape[-1] != 4:
            raise InputError(
                f"{func}: `{name}` must have shape (N, 4) or (4,), or more generally (..., 4): "
                f"xyxy boxes with their 4 coordinates in the last dimension; got shape "
                f"{tuple(b.shape)}."
            )
        if b.is_complex() or b.dtype == torch.bool:
            raise InputError(f"{func}: `{name}` must hold real numbers; got dtype {b.dtype}.")
    if b1.shape != b2.shape:
        raise InputError(
            f"{func}: `boxes1` and `boxes2` must have the same shape (one pair per row, no "
            f"broadcasting); got shapes {tuple(b1.shape)} and {tuple(b2.shape)}."
        )
    if b1.device != b2.device:
        raise BackendError(
            f"{func}: `boxes1` and `boxes2` must be on the same device; got {b1.device} and "
            f"{b2.device}."
        )


def _check_valid(func: str, name: str, bx: Tensor, raw: Tensor, sort_corners: bool) -> None:
    """Raise on NaN/inf coordinates, and on inverted boxes unless ``sort_corners``."""
    finite = torch.isfinite(bx).all(dim=-1)
    inverted = (bx[:, 2] < bx[:, 0]) | (bx[:, 3] < bx[:, 1])
    bad = ~finite if sort_corners else (~finite | inverted)
    if not bool(bad.any()):
        return
    flat = int(torch.nonzero(bad)[0, 0])
    lead = tuple(raw.shape[:-1])
    index = tuple(int(i) for i in np.unravel_index(flat, lead)) if lead else ()
    where = "" if not lead else f", the first at index {index[0] if len(index) == 1 else index}"
    values = raw.reshape(-1, 4)[flat].detach().cpu().tolist()
    if sort_corners:
        what = "finite coordinates"
        hint = "Drop or repair boxes with NaN/inf coordinates."
    else:
        what = "valid xyxy boxes (x1 <= x2, y1 <= y2, finite coordinates)"
        hint = (
            "Pass on_invalid='sort_corners' to swap inverted corners (Algorithm 2 of "
            "Rezatofighi et al.), or fix the box format."
        )
    raise InputError(
        f"{func}: `{name}` must hold {what}; got {int(bad.sum())} invalid box(es) of "
        f"{bad.numel()}{where}: {values}. {hint}"
    )


def _cols(b: Tensor, sort_corners: bool) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    if sort_corners:
        x1, x2 = torch.minimum(x1, x2), torch.maximum(x1, x2)
        y1, y2 = torch.minimum(y1, y2), torch.maximum(y1, y2)
    return x1, y1, x2, y2


def _box_loss(
    func: str, kind: str, boxes1: object, boxes2: object, reduction: object, on_invalid: object
) -> Tensor:
    """``1 − score`` of the pairs, computed on ``(K, 4)`` rows in float64, then reduced."""
    red = check_choice(func, "reduction", reduction, REDUCTIONS)
    oi = check_choice(func, "on_invalid", on_invalid, BOX_ON_INVALID)
    b1 = check_tensor(func, boxes1, "boxes1")
    b2 = check_tensor(func, boxes2, "boxes2")
    _check_boxes(func, b1, b2)
    sort_corners = oi == "sort_corners"
    out_dtype = torch.float32 if b1.dtype == torch.float32 and b2.dtype == torch.float32 else None
    ct = torch.float32 if b1.device.type == "mps" else torch.float64
    a = b1.reshape(-1, 4).to(ct)
    b = b2.reshape(-1, 4).to(ct)
    _check_valid(func, "boxes1", a, b1, sort_corners)
    _check_valid(func, "boxes2", b, b2, sort_corners)
    # the metric's own formulas, with CIoU's α detached (a weight, not differentiated)
    loss: Tensor = 1 - _box_score(
        torch_xp(), kind, _cols(a, sort_corners), _cols(b, sort_corners), torch.Tensor.detach
    )
    if red == "mean":
        # an empty set of pairs gives 0, still attached to the graph (finite, non-None grads)
        loss = loss.sum() / max(1, loss.shape[0])
    elif red == "sum":
        loss = loss.sum()
    else:
        loss = loss.reshape(b1.shape[:-1])
    return loss.to(out_dtype) if out_dtype is not None else loss


def generalized_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, *, reduction: str = "mean", on_invalid: str = "raise"
) -> Tensor:
    """GIoU loss ``1 − GIoU`` of matched box pairs (Rezatofighi et al., CVPR 2019).

    ``GIoU = IoU − |C \\ (A ∪ B)| / |C|``, with ``C`` the smallest box enclosing both (see
    :func:`ioukit.generalized_box_iou_aligned`); the loss is in ``[0, 2)``.

    Parameters
    ----------
    boxes1, boxes2 : Tensor of shape (N, 4), (4,) or (..., 4)
        Predicted and target boxes in ``xyxy`` format, paired element by element; both of the
        same shape (convert other formats with :func:`ioukit.box_convert`). Computed in
        float64; the loss is float32 for float32 input, float64 otherwise.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per pair, shape ``boxes1.shape[:-1]`` (``(N,)``, or 0-d
        for ``(4,)`` boxes); ``"mean"`` and ``"sum"`` reduce over all pairs.
    on_invalid : {"raise", "sort_corners"}, default "raise"
        Inverted boxes (``x2 < x1`` or ``y2 < y1``): raise an :class:`~ioukit.InputError`, or
        swap the corners first (Algorithm 2 of Rezatofighi et al.; useful for raw regression
        outputs). NaN/inf coordinates always raise.

    Returns
    -------
    Tensor
        0-d for ``"mean"``/``"sum"``, ``boxes1.shape[:-1]`` for ``"none"``.

    Notes
    -----
    Empty rule: no pairs (``N = 0``) give 0 for ``"mean"`` and ``"sum"`` (attached to the
    graph, so gradients are zeros, not None) and an empty ``(0,)`` for ``"none"``.
    Degenerate pairs follow the metric: a 0 denominator (zero union, zero enclosing box or
    diagonal, identical boxes in CIoU's α) makes its term 0, with a finite gradient. Values
    are identical to the ``*_box_iou_aligned`` metric in float64 for valid boxes. Unlike
    torchvision, ``boxes1`` and ``boxes2`` are not broadcast against each other and no
    ``eps`` is added: expand a single box with ``box.expand_as(other)``.

    Examples
    --------
    >>> import torch
    >>> a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    >>> b = torch.tensor([[5.0, 5.0, 15.0, 15.0]])
    >>> round(float(generalized_box_iou_loss(a, b)), 4)  # 1 − (25/175 − 50/225)
    1.0794
    >>> generalized_box_iou_loss(a[0], b[0], reduction="none").shape  # one pair: 0-d
    torch.Size([])
    """
    return _box_loss("generalized_box_iou_loss", "giou", boxes1, boxes2, reduction, on_invalid)


def distance_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, *, reduction: str = "mean", on_invalid: str = "raise"
) -> Tensor:
    """DIoU loss ``1 − DIoU`` of matched box pairs (Zheng et al., AAAI 2020).

    ``DIoU = IoU − ρ² / c²``, with ``ρ`` the distance between the box centres and ``c`` the
    diagonal of the smallest enclosing box (see :func:`ioukit.distance_box_iou_aligned`); the
    loss is in ``[0, 2)``.

    Parameters
    ----------
    boxes1, boxes2 : Tensor of shape (N, 4), (4,) or (..., 4)
        Predicted and target boxes in ``xyxy`` format, paired element by element; both of the
        same shape (convert other formats with :func:`ioukit.box_convert`). Computed in
        float64; the loss is float32 for float32 input, float64 otherwise.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per pair, shape ``boxes1.shape[:-1]`` (``(N,)``, or 0-d
        for ``(4,)`` boxes); ``"mean"`` and ``"sum"`` reduce over all pairs.
    on_invalid : {"raise", "sort_corners"}, default "raise"
        Inverted boxes (``x2 < x1`` or ``y2 < y1``): raise an :class:`~ioukit.InputError`, or
        swap the corners first (Algorithm 2 of Rezatofighi et al.; useful for raw regression
        outputs). NaN/inf coordinates always raise.

    Returns
    -------
    Tensor
        0-d for ``"mean"``/``"sum"``, ``boxes1.shape[:-1]`` for ``"none"``.

    Notes
    -----
    Empty rule: no pairs (``N = 0``) give 0 for ``"mean"`` and ``"sum"`` (attached to the
    graph, so gradients are zeros, not None) and an empty ``(0,)`` for ``"none"``.
    Degenerate pairs follow the metric: a 0 denominator (zero union, zero enclosing box or
    diagonal, identical boxes in CIoU's α) makes its term 0, with a finite gradient. Values
    are identical to the ``*_box_iou_aligned`` metric in float64 for valid boxes. Unlike
    torchvision, ``boxes1`` and ``boxes2`` are not broadcast against each other and no
    ``eps`` is added: expand a single box with ``box.expand_as(other)``.

    Examples
    --------
    >>> import torch
    >>> a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    >>> b = torch.tensor([[5.0, 5.0, 15.0, 15.0]])
    >>> round(float(distance_box_iou_loss(a, b)), 4)  # 1 − (25/175 − 50/450)
    0.9683
    """
    return _box_loss("distance_box_iou_loss", "diou", boxes1, boxes2, reduction, on_invalid)


def complete_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, *, reduction: str = "mean", on_invalid: str = "raise"
) -> Tensor:
    """CIoU loss ``1 − CIoU`` of matched box pairs (Zheng et al., AAAI 2020).

    ``CIoU = DIoU − α v``, ``v = (4/π²)(arctan(w₂/h₂) − arctan(w₁/h₁))²``,
    ``α = v / ((1 − IoU) + v)``: the ungated form of the AAAI paper (the later journal version
    sets α = 0 for IoU < 0.5; not used here). **α is treated as a constant in the gradient**
    (computed without autograd), as in the paper. The aspect angle is ``atan2(w, h)`` with a
    guarded gradient, so zero-area boxes give finite gradients.

    Parameters
    ----------
    boxes1, boxes2 : Tensor of shape (N, 4), (4,) or (..., 4)
        Predicted and target boxes in ``xyxy`` format, paired element by element; both of the
        same shape (convert other formats with :func:`ioukit.box_convert`). Computed in
        float64; the loss is float32 for float32 input, float64 otherwise.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per pair, shape ``boxes1.shape[:-1]`` (``(N,)``, or 0-d
        for ``(4,)`` boxes); ``"mean"`` and ``"sum"`` reduce over all pairs.
    on_invalid : {"raise", "sort_corners"}, default "raise"
        Inverted boxes (``x2 < x1`` or ``y2 < y1``): raise an :class:`~ioukit.InputError`, or
        swap the corners first (Algorithm 2 of Rezatofighi et al.; useful for raw regression
        outputs). NaN/inf coordinates always raise.

    Returns
    -------
    Tensor
        0-d for ``"mean"``/``"sum"``, ``boxes1.shape[:-1]`` for ``"none"``.

    Notes
    -----
    Empty rule: no pairs (``N = 0``) give 0 for ``"mean"`` and ``"sum"`` (attached to the
    graph, so gradients are zeros, not None) and an empty ``(0,)`` for ``"none"``.
    Degenerate pairs follow the metric: a 0 denominator (zero union, zero enclosing box or
    diagonal, identical boxes in CIoU's α) makes its term 0, with a finite gradient. Values
    are identical to the ``*_box_iou_aligned`` metric in float64 for valid boxes. Unlike
    torchvision, ``boxes1`` and ``boxes2`` are not broadcast against each other and no
    ``eps`` is added: expand a single box with ``box.expand_as(other)``.

    Examples
    --------
    >>> import torch
    >>> a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    >>> round(float(complete_box_iou_loss(a, a.clone())), 4)
    0.0
    >>> b = torch.tensor([[5.0, 5.0, 15.0, 15.0]])  # same aspect ratio: v = 0, CIoU = DIoU
    >>> round(float(complete_box_iou_loss(a, b)), 4)
    0.9683
    """
    return _box_loss("complete_box_iou_loss", "ciou", boxes1, boxes2, reduction, on_invalid)
