"""Lovász losses for PyTorch (Berman, Rannen Triki & Blaschko, CVPR 2018): hinge and softmax.

Convex surrogates of ``1 − IoU`` built from the Lovász extension of the Jaccard set loss. They
take the options of the soft losses (:mod:`ioukit.losses.functional`): ``from_logits``,
``ignore_index``, ``classes``, ``per_image``, ``reduction``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ioukit.core._checks import check_choice
from ioukit.losses._common import (
    Classes,
    Tensor,
    activate,
    check_options,
    check_unit_interval,
    prepare_seg,
    reduce_losses,
    select,
)

__all__ = ["lovasz_hinge_loss", "lovasz_softmax_loss"]


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


def _lovasz(errors: Tensor, y: Tensor, v: Tensor, present: bool, pi: bool, red: str) -> Tensor:
    """Lovász losses of ``(N, C', S)`` errors per group and class, then ``reduction``."""
    valid = torch.broadcast_to(v, errors.shape) > 0
    rows_e, rows_g, rows_v = (_group_rows(t, pi) for t in (errors, y, valid))
    losses = _lovasz_groups(rows_e, rows_g, rows_v)
    counted = None
    if present:
        counted = (_group_rows(y * v, pi)).sum(dim=-1) > 0
    return reduce_losses(losses, counted, pi, red)


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
        The layout of ``pred`` and ``target``.
    from_logits : bool, default True
        ``True``: the hinge on logits, as in the paper. ``False``: ``pred`` holds probabilities
        ``p`` in ``[0, 1]`` and the errors are ``|y − p|`` (the Lovász-Softmax surrogate of a
        single foreground class), still through the Lovász extension.
    ignore_index : int or sequence of int, optional
        Target values whose elements are removed before sorting.
    classes : None, "present" or sequence of int, default None
        Classes (channels) scored. The reference code of the paper defaults to "present".
    per_image : bool, default False
        ``False``: one Lovász loss per class over the whole batch (a surrogate of the dataset
        IoU); ``True``: one per image and class.
    reduction : {"mean", "sum", "none"}, default "mean"
        As the soft losses: ``"none"`` returns ``(C',)`` or ``(N, C')``; ``"mean"`` averages
        over the counted classes, then over images; nothing counted gives 0.

    Returns
    -------
    Tensor
        0-d for ``"mean"``/``"sum"``; the dtype of ``pred`` (float32 for half precision).

    Notes
    -----
    Empty rule: a group without valid elements has loss 0 (finite, zero gradient); a group
    without foreground has every top-k Jaccard loss 1, so its loss is its largest error.

    Examples
    --------
    Perfect margins (every ``f·s >= 1``) give 0:

    >>> import torch
    >>> f = torch.tensor([[2.0, -3.0, 1.5]])
    >>> float(lovasz_hinge_loss(f, torch.tensor([[1, 0, 1]])))
    0.0
    """
    func = "lovasz_hinge_loss"
    check_choice(func, "mode", mode, ("binary", "multilabel"))
    fl, pi, red = check_options(func, from_logits, per_image, reduction)
    seg = prepare_seg(func, pred, target, mode, ignore_index, classes, binary_target=True)
    if not fl:
        check_unit_interval(func, seg.x, "Pass from_logits=True if these are logits.")
    x, y, v = select(seg, seg.x)
    # hinge errors on logits (margin 1), or absolute errors on probabilities
    errors = 1 - x * (2 * y - 1) if fl else (y - x).abs()
    return _lovasz(torch.relu(errors), y, v, seg.present, pi, red)


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
        Apply a softmax over axis 1 first. With ``False``, values outside ``[0, 1]`` raise
        :class:`~ioukit.InputError`.
    ignore_index : int or sequence of int, optional
        Target values whose elements are removed before sorting.
    classes : None, "present" or sequence of int, default None
        Classes (channels) scored. The reference code of the paper defaults to "present".
    per_image : bool, default False
        ``False``: one Lovász loss per class over the whole batch (a surrogate of the dataset
        IoU); ``True``: one per image and class.
    reduction : {"mean", "sum", "none"}, default "mean"
        As the soft losses: ``"none"`` returns ``(C',)`` or ``(N, C')``; ``"mean"`` averages
        over the counted classes, then over images; nothing counted gives 0.

    Returns
    -------
    Tensor
        0-d for ``"mean"``/``"sum"``; the dtype of ``pred`` (float32 for half precision).

    Notes
    -----
    Empty rule: a group without valid elements has loss 0 (finite, zero gradient); on one-hot
    probabilities the loss of a class is exactly ``1 − IoU`` (the extension is tight).

    Examples
    --------
    >>> import torch
    >>> probs = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])  # (N=1, C=2, 2 pixels)
    >>> float(lovasz_softmax_loss(probs, torch.tensor([[0, 1]]), from_logits=False))
    0.0
    """
    func = "lovasz_softmax_loss"
    fl, pi, red = check_options(func, from_logits, per_image, reduction)
    seg = prepare_seg(func, pred, target, "multiclass", ignore_index, classes, binary_target=True)
    probs = activate(func, seg, "multiclass", fl)
    p, y, v = select(seg, probs)
    return _lovasz((y - p).abs(), y, v, seg.present, pi, red)
