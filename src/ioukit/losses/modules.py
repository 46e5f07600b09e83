"""``torch.nn.Module`` wrappers of :mod:`ioukit.losses.functional`.

Each module holds the keyword options of its function (validated at construction, by calling
nothing but the same checks the function runs on every call) and forwards ``(pred, target)``
or ``(boxes1, boxes2)``. They hold no parameters or buffers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ioukit.losses import functional as F

__all__ = [
    "CIoULoss",
    "DIoULoss",
    "DiceLoss",
    "GIoULoss",
    "JaccardLoss",
    "LovaszHingeLoss",
    "LovaszSoftmaxLoss",
    "TverskyLoss",
]

Tensor = torch.Tensor


class _Wrapped(torch.nn.Module):
    _fn: Any = None

    def __init__(self, **options: Any) -> None:
        super().__init__()
        self.options = options

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return type(self)._fn(input, target, **self.options)  # type: ignore[no-any-return]

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.options.items())


class JaccardLoss(_Wrapped):
    """Module form of :func:`ioukit.losses.jaccard_loss` (same options, same defaults).

    Examples
    --------
    >>> import torch
    >>> loss = JaccardLoss(mode="binary", from_logits=False)
    >>> round(float(loss(torch.tensor([[0.8, 0.5, 0.2]]), torch.tensor([[1, 1, 0]]))), 4)
    0.4091
    """

    _fn = staticmethod(F.jaccard_loss)

    def __init__(
        self,
        *,
        mode: str,
        from_logits: bool = True,
        smooth: float = 0.0,
        eps: float = 0.0,
        ignore_index: int | Sequence[int] | None = None,
        classes: F.Classes = None,
        per_image: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            mode=mode,
            from_logits=from_logits,
            smooth=smooth,
            eps=eps,
            ignore_index=ignore_index,
            classes=classes,
            per_image=per_image,
            reduction=reduction,
        )


class DiceLoss(_Wrapped):
    """Module form of :func:`ioukit.losses.dice_loss` (same options, same defaults)."""

    _fn = staticmethod(F.dice_loss)

    def __init__(
        self,
        *,
        mode: str,
        from_logits: bool = True,
        smooth: float = 0.0,
        eps: float = 0.0,
        ignore_index: int | Sequence[int] | None = None,
        classes: F.Classes = None,
        per_image: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            mode=mode,
            from_logits=from_logits,
            smooth=smooth,
            eps=eps,
            ignore_index=ignore_index,
            classes=classes,
            per_image=per_image,
            reduction=reduction,
        )


class TverskyLoss(_Wrapped):
    """Module form of :func:`ioukit.losses.tversky_loss` (same options, same defaults)."""

    _fn = staticmethod(F.tversky_loss)

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
        classes: F.Classes = None,
        per_image: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            mode=mode,
            alpha=alpha,
            beta=beta,
            from_logits=from_logits,
            smooth=smooth,
            eps=eps,
            ignore_index=ignore_index,
            classes=classes,
            per_image=per_image,
            reduction=reduction,
        )


class LovaszHingeLoss(_Wrapped):
    """Module form of :func:`ioukit.losses.lovasz_hinge_loss` (same options, same defaults)."""

    _fn = staticmethod(F.lovasz_hinge_loss)

    def __init__(
        self,
        *,
        mode: str = "binary",
        from_logits: bool = True,
        ignore_index: int | Sequence[int] | None = None,
        classes: F.Classes = None,
        per_image: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            mode=mode,
            from_logits=from_logits,
            ignore_index=ignore_index,
            classes=classes,
            per_image=per_image,
            reduction=reduction,
        )


class LovaszSoftmaxLoss(_Wrapped):
    """Module form of :func:`ioukit.losses.lovasz_softmax_loss` (same options, same defaults)."""

    _fn = staticmethod(F.lovasz_softmax_loss)

    def __init__(
        self,
        *,
        from_logits: bool = True,
        ignore_index: int | Sequence[int] | None = None,
        classes: F.Classes = None,
        per_image: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            from_logits=from_logits,
            ignore_index=ignore_index,
            classes=classes,
            per_image=per_image,
            reduction=reduction,
        )


class _BoxWrapped(_Wrapped):
    def __init__(self, *, reduction: str = "mean", on_invalid: str = "raise") -> None:
        super().__init__(reduction=reduction, on_invalid=on_invalid)


class GIoULoss(_BoxWrapped):
    """Module form of :func:`ioukit.losses.generalized_box_iou_loss`; ``forward(boxes1, boxes2)``.

    Examples
    --------
    >>> import torch
    >>> a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    >>> float(GIoULoss()(a, a.clone()))
    0.0
    """

    _fn = staticmethod(F.generalized_box_iou_loss)


class DIoULoss(_BoxWrapped):
    """Module form of :func:`ioukit.losses.distance_box_iou_loss`; ``forward(boxes1, boxes2)``."""

    _fn = staticmethod(F.distance_box_iou_loss)


class CIoULoss(_BoxWrapped):
    """Module form of :func:`ioukit.losses.complete_box_iou_loss`; ``forward(boxes1, boxes2)``."""

    _fn = staticmethod(F.complete_box_iou_loss)
