"""Differentiable IoU losses for PyTorch (``pip install ioukit[torch]``).

Not imported by ``import ioukit``: use ``import ioukit.losses`` (or
``from ioukit.losses import jaccard_loss``). Importing this module imports torch.

* soft losses (:mod:`ioukit.losses.functional`): :func:`jaccard_loss`, :func:`dice_loss`,
  :func:`tversky_loss`;
* Lovász losses (:mod:`ioukit.losses.lovasz`): :func:`lovasz_hinge_loss`,
  :func:`lovasz_softmax_loss`;
* box losses (:mod:`ioukit.losses.boxes`): :func:`generalized_box_iou_loss`,
  :func:`distance_box_iou_loss`, :func:`complete_box_iou_loss`;
* ``nn.Module`` wrappers (:mod:`ioukit.losses.modules`), one per function and named after it:
  :class:`JaccardLoss`, :class:`DiceLoss`, :class:`TverskyLoss`, :class:`LovaszHingeLoss`,
  :class:`LovaszSoftmaxLoss`, :class:`GeneralizedBoxIoULoss`, :class:`DistanceBoxIoULoss`,
  :class:`CompleteBoxIoULoss`.
"""

from __future__ import annotations

from ioukit._errors import TORCH_HINT, MissingDependencyError

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in an environment without torch
    raise MissingDependencyError(
        f"ioukit.losses: PyTorch is required for the losses but is not installed; {TORCH_HINT}."
    ) from exc

from ioukit.losses.boxes import (
    complete_box_iou_loss,
    distance_box_iou_loss,
    generalized_box_iou_loss,
)
from ioukit.losses.functional import dice_loss, jaccard_loss, tversky_loss
from ioukit.losses.lovasz import lovasz_hinge_loss, lovasz_softmax_loss
from ioukit.losses.modules import (
    CompleteBoxIoULoss,
    DiceLoss,
    DistanceBoxIoULoss,
    GeneralizedBoxIoULoss,
    JaccardLoss,
    LovaszHingeLoss,
    LovaszSoftmaxLoss,
    TverskyLoss,
)

__all__ = [
    "CompleteBoxIoULoss",
    "DiceLoss",
    "DistanceBoxIoULoss",
    "GeneralizedBoxIoULoss",
    "JaccardLoss",
    "LovaszHingeLoss",
    "LovaszSoftmaxLoss",
    "TverskyLoss",
    "complete_box_iou_loss",
    "dice_loss",
    "distance_box_iou_loss",
    "generalized_box_iou_loss",
    "jaccard_loss",
    "lovasz_hinge_loss",
    "lovasz_softmax_loss",
    "tversky_loss",
]
