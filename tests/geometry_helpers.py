"""Random shapes and a signed area shared by the polygon tests, and boundary-iou-api's band
shared by the boundary tests (importable because ``tests/`` holds a conftest)."""

from __future__ import annotations

import numpy as np


def rand_boxes(rng: np.random.Generator, n: int, spread: float = 10.0) -> np.ndarray:
    """``(n, 5)`` rotated boxes: centres in [-spread, spread]², sides in [0.5, 10], any angle."""
    return np.column_stack(
        [
            rng.uniform(-spread, spread, n),
            rng.uniform(-spread, spread, n),
            rng.uniform(0.5, 10, n),
            rng.uniform(0.5, 10, n),
            rng.uniform(-180, 180, n),
        ]
    )


def rand_convex(
    rng: np.random.Generator, n: int, k: int, spread: float = 3.0, *, flip: bool = True
) -> np.ndarray:
    """``(n, k, 2)`` convex k-gons: sorted angles on an ellipse, random centre; with ``flip``,
    half of them in clockwise order."""
    ang = np.sort(rng.uniform(0, 2 * np.pi, (n, k)), axis=1)
    r = rng.uniform(1, 5, (n, 1))
    ratio = rng.uniform(0.3, 1, (n, 1))
    pts = np.stack([r * np.cos(ang), ratio * r * np.sin(ang)], -1)
    pts += rng.uniform(-spread, spread, (n, 1, 2))
    if flip:
        turned = rng.random(n) < 0.5
        pts[turned] = pts[turned, ::-1]
    return pts


def polygon_area_signed(p: np.ndarray) -> float:
    """Shoelace area of one ``(K, 2)`` polygon: positive counter-clockwise with y up."""
    x, y = p[:, 0], p[:, 1]
    return float(0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def reference_band(mask: np.ndarray, ratio: float) -> np.ndarray:
    """boundary-iou-api's ``mask_to_boundary`` of one ``(H, W)`` 0/1 mask, with OpenCV: one
    pixel of zero padding, ``d = max(1, round(ratio * diagonal))`` 3×3 erosions, the mask
    minus its erosion (bool)."""
    import cv2

    h, w = mask.shape
    d = max(1, int(round(ratio * np.sqrt(h**2 + w**2))))  # noqa: RUF046 - as the reference
    m = mask.astype(np.uint8)
    padded = cv2.copyMakeBorder(m, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    eroded = cv2.erode(padded, np.ones((3, 3), dtype=np.uint8), iterations=d)
    return (m - eroded[1 : h + 1, 1 : w + 1]).astype(bool)
