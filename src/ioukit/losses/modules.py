"""``torch.nn.Module`` wrappers of the loss functions of :mod:`ioukit.losses`.

Each module is named after its function (``jaccard_loss`` → :class:`JaccardLoss`,
``generalized_box_iou_loss`` → :class:`GeneralizedBoxIoULoss`), takes the same keyword options
with the same defaults, and forwards ``(input, target)`` (segmentation) or
``(boxes1, boxes2)`` (boxes) to it. Options are validated by the function, on every call. The
modules hold no parameters or buffers. The public names are listed in
``ioukit.losses.__all__``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ioukit.losses import boxes as _box_losses
from ioukit.losses import functional as _soft_losses
from ioukit.losses import lovasz as _lovasz_losses
from ioukit.losses._common import Classes

Tensor = torch.Tensor


def _options(scope: dict[str, Any]) -> dict[str, Any]:
    """The keyword options of an ``__init__``, from its ``locals()`` (in signature order)."""
    return {k: v for k, v in scope.items() if k not in ("self", "__class__")}


class _Wrapped(torch.nn.Module):
    """A loss function and its keyword options; ``forward`` calls one with the other."""

    _fn: Any = None

    def __init__(self, **options: Any) -> None:
        super().__init__()
        self.options = options

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return type(self)._fn(input, target, **self.options)  # type: ignore[no-any-return]

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.options.items())


class _SoftWrapped(_Wrapped):
    """The options of :func:`jaccard_loss` and :func:`dice_loss`."""

    def __init__(
        self,
        *,
        mode: str,
        from_logits: bool = True,
        smooth: float = 0.0,
        eps: float = 0.0,
        ignore_index: int | Sequence[int] | None = None,
        classes: Classes = None,
        per_image: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(**_options(locals()))


class JaccardLoss(_SoftWrapped):
    """Module form of :func:`ioukit.losses.jaccard_loss` (same options, same defaults).

    ``forward(input, target)``: ``input`` holds logits or probabilities, ``(N, ...)`` or
    ``(N, 1, ...)`` (binary) or ``(N, C, ...)``; ``target`` as in the function.

    Examples
    --------
    >>> import torch
    >>> loss = JaccardLoss(mode="binary", from_logits=False)
    >>> round(float(loss(torch.tensor([[0.8, 0.5, 0.2]]), torch.tensor([[1, 1, 0]]))), 4)
    0.4091
    """

    _fn = staticmethod(_soft_losses.jaccard_loss)


class DiceLoss(_SoftWrapped):
    """Module form of :func:`ioukit.losses.dice_loss` (same options, same defaults).

    ``forward(input, target)``: ``input`` holds logits or probabilities, ``(N, ...)`` or
    ``(N, 1, ...)`` (binary) or ``(N, C, ...)``; ``target`` as in the function.

    Examples
    --------
    >>> import torch
    >>> loss = DiceLoss(mode="binary", from_logits=False)
    >>> round(float(loss(torch.tensor([[0.8, 0.5, 0.2]]), torch.tensor([[1, 1, 0]]))), 4)
    0.2571
    """

    _fn = staticmethod(_soft_losses.dice_loss)


class TverskyLoss(_Wrapped):
    """Module form of :func:`ioukit.losses.tversky_loss` (same options, same defaults).

    ``forward(input, target)``: ``input`` holds logits or probabilities, ``(N, ...)`` or
    ``(N, 1, ...)`` (binary) or ``(N, C, ...)``; ``target`` as in the function.

    Examples
    --------
    >>> import torch
    >>> loss = TverskyLoss(mode="binary", alpha=1.0, beta=1.0, from_logits=False)
    >>> round(float(loss(torch.tensor([[0.8, 0.5, 0.2]]), torch.tensor([[1, 1, 0]]))), 4)
    0.4091
    """

    _fn = staticmethod(_soft_losses.tversky_loss)

    def __init__(
        self,
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
    ) -> None:
        super().__init__(**_options(locals()))


class LovaszHingeLoss(_Wrapped):
    """Module form of :func:`ioukit.losses.lovasz_hinge_loss` (same options, same defaults).

    ``forward(input, target)``: logits ``(N, ...)`` (binary) or ``(N, C, ...)`` (multilabel)
    and 0/1 labels with the same elements.

    Examples
    --------
    >>> import torch
    >>> loss = LovaszHingeLoss()
    >>> float(loss(torch.tensor([[2.0, -3.0, 1.5]]), torch.tensor([[1, 0, 1]])))
    0.0
    """

    _fn = staticmethod(_lovasz_losses.lovasz_hinge_loss)

    def __init__(
        self,
        *,
        mode: str = "binary",
        from_logits: bool = True,
        ignore_index: int | Sequence[int] | None = None,
        classes: Classes = None,
        per_image: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(**_options(locals()))


class LovaszSoftmaxLoss(_Wrapped):
    """Module form of :func:`ioukit.losses.lovasz_softmax_loss` (same options, same defaults).

    ``forward(input, target)``: logits ``(N, C, ...)`` and integer labels ``(N, ...)``.

    Examples
    --------
    >>> import torch
    >>> loss = LovaszSoftmaxLoss(from_logits=False)
    >>> probs = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])  # (N=1, C=2, 2 pixels)
    >>> float(loss(probs, torch.tensor([[0, 1]])))
    0.0
    """

    _fn = staticmethod(_lovasz_losses.lovasz_softmax_loss)

    def __init__(
        self,
        *,
        from_logits: bool = True,
        ignore_index: int | Sequence[int] | None = None,
        classes: Classes = None,
        per_image: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(**_options(locals()))


class _BoxWrapped(_Wrapped):
    """The options of the box losses; ``forward(boxes1, boxes2)``."""

    def __init__(self, *, reduction: str = "mean", on_invalid: str = "raise") -> None:
        super().__init__(**_options(locals()))

    def forward(self, boxes1: Tensor, boxes2: Tensor) -> Tensor:
        return super().forward(boxes1, boxes2)


class GeneralizedBoxIoULoss(_BoxWrapped):
    """Module form of :func:`ioukit.losses.generalized_box_iou_loss` (same options, defaults).

    ``forward(boxes1, boxes2)``: matched ``xyxy`` boxes, ``(N, 4)``, ``(4,)`` or ``(..., 4)``,
    both of the same shape.

    Examples
    --------
    >>> import torch
    >>> a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    >>> b = torch.tensor([[5.0, 5.0, 15.0, 15.0]])
    >>> round(float(GeneralizedBoxIoULoss()(a, b)), 4)
    1.0794
    """

    _fn = staticmethod(_box_losses.generalized_box_iou_loss)


class DistanceBoxIoULoss(_BoxWrapped):
    """Module form of :func:`ioukit.losses.distance_box_iou_loss` (same options, defaults).

    ``forward(boxes1, boxes2)``: matched ``xyxy`` boxes, ``(N, 4)``, ``(4,)`` or ``(..., 4)``,
    both of the same shape.

    Examples
    --------
    >>> import torch
    >>> a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    >>> b = torch.tensor([[5.0, 5.0, 15.0, 15.0]])
    >>> round(float(DistanceBoxIoULoss()(a, b)), 4)
    0.9683
    """

    _fn = staticmethod(_box_losses.distance_box_iou_loss)


class CompleteBoxIoULoss(_BoxWrapped):
    """Module form of :func:`ioukit.losses.complete_box_iou_loss` (same options, defaults).

    ``forward(boxes1, boxes2)``: matched ``xyxy`` boxes, ``(N, 4)``, ``(4,)`` or ``(..., 4)``,
    both of the same shape.

    Examples
    --------
    >>> import torch
    >>> a = torch.tensor([0.0, 0.0, 10.0, 10.0])
    >>> CompleteBoxIoULoss(reduction="none")(a, a.clone())
    tensor(0.)
    """

    _fn = staticmethod(_box_losses.complete_box_iou_loss)
