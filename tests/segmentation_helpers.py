"""Label maps shared by the segmentation tests (importable because ``tests/`` holds a
conftest)."""

from __future__ import annotations

import numpy as np


def two_images() -> tuple[np.ndarray, np.ndarray]:
    """The anchors' two-image example: 4×4 maps, 3 classes, class 2 absent everywhere."""
    target = np.zeros((2, 4, 4), dtype=np.uint8)
    target[0, 1:3, 1:3] = 1  # image 0: a 2×2 block of class 1, predicted exactly
    target[1] = 1  # image 1: all class 1 ...
    pred = target.copy()
    pred[1, 2:] = 0  # ... predicted as class 0 on the bottom half
    return pred, target
