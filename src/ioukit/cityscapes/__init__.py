"""Cityscapes benchmark evaluation, identical to cityscapesScripts 2.3.0.

* :class:`CityscapesPixelEvaluator` / :func:`cityscapes_pixel_level`: class and category IoU
  and instance-weighted iIoU (``evalPixelLevelSemanticLabeling``);
* :class:`CityscapesInstanceEvaluator` / :func:`cityscapes_instance_level`: instance AP and
  AP50 (``evalInstanceLevelSemanticLabeling``).
"""

from __future__ import annotations

from ioukit.cityscapes.folders import cityscapes_instance_level, cityscapes_pixel_level
from ioukit.cityscapes.instance import CityscapesInstanceEvaluator, CityscapesInstanceResult
from ioukit.cityscapes.pixel import CityscapesPixelEvaluator, CityscapesPixelResult

__all__ = [
    "CityscapesInstanceEvaluator",
    "CityscapesInstanceResult",
    "CityscapesPixelEvaluator",
    "CityscapesPixelResult",
    "cityscapes_instance_level",
    "cityscapes_pixel_level",
]
