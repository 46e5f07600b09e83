"""Boundary bands and Boundary IoU (ioukit.geometry.boundary).

The reference is boundary-iou-api's ``mask_to_boundary`` (bowenc0221/boundary-iou-api,
``boundary_iou/utils/boundary_utils.py``), transcribed below from its definition: 1-pixel zero
border with ``cv2.copyMakeBorder``, ``cv2.erode`` with a 3×3 ones kernel ``d`` times, crop,
``mask - eroded``. When OpenCV is not installed the same steps run with
``scipy.ndimage.binary_erosion(structure=ones((3, 3)), iterations=d, border_value=0)`` on the
padded mask; both references are run when present.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ioukit
from ioukit import InputError, ParameterError, UndefinedMetricWarning
from ioukit.geometry.boundary import _dilation, boundary_band, boundary_iou

# ----------------------------------------------------------------------------- the reference


def _reference_dilation(h: int, w: int, ratio: float) -> int:
    img_diag = np.sqrt(h**2 + w**2)
    dilation = int(round(ratio * img_diag))  # noqa: RUF046 - as in the reference
    return max(dilation, 1)


def _reference_band(mask: np.ndarray, ratio: float, engine: str) -> np.ndarray:
    """boundary-iou-api's ``mask_to_boundary`` on one ``(H, W)`` 0/1 mask."""
    h, w = mask.shape
    d = _reference_dilation(h, w, ratio)
    m = mask.astype(np.uint8)
    if engine == "cv2":
        cv2 = pytest.importorskip("cv2")
        padded = cv2.copyMakeBorder(m, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
        eroded = cv2.erode(padded, np.ones((3, 3), dtype=np.uint8), iterations=d)
    else:
        ndimage = pytest.importorskip("scipy.ndimage")
        padded = np.pad(m, 1)
        eroded = ndimage.binary_erosion(
            padded, structure=np.ones((3, 3)), iterations=d, border_value=0
        ).astype(np.uint8)
    return (m - eroded[1 : h + 1, 1 : w + 1]).astype(bool)


def _reference_iou(pred: np.ndarray, target: np.ndarray, ratio: float, engine: str) -> float:
    bp = _reference_band(pred, ratio, engine)
    bt = _reference_band(target, ratio, engine)
    inter, union = int((bp & bt).sum()), int((bp | bt).sum())
    return math.nan if union == 0 else inter / union


def _blobs(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A few random rectangles and discs, some touching the border, plus salt noise."""
    m = np.zeros((h, w), dtype=bool)
    yy, xx = np.mgrid[:h, :w]
    for _ in range(int(rng.integers(1, 4))):
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        r = rng.integers(1, max(2, min(h, w) // 2))
        m |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    y0, x0 = rng.integers(0, h), rng.integers(0, w)
    m[y0 : y0 + int(rng.integers(1, h + 1)), x0 : x0 + int(rng.integers(1, w + 1))] = True
    m ^= rng.random((h, w)) < 0.02
    return m


def _masks(rng: np.random.Generator, h: int, w: int) -> list[np.ndarray]:
    thin = np.zeros((h, w), dtype=bool)
    thin[h // 2, :] = True
    thin[:, w // 3] = True
    diag = np.eye(h, w, dtype=bool)
    border = np.zeros((h, w), dtype=bool)
    border[: h // 2, : w // 2] = True
    return [
        np.zeros((h, w), dtype=bool),
        np.ones((h, w), dtype=bool),
        thin,
        diag,
        border,
        rng.random((h, w)) < 0.5,
        *(_blobs(rng, h, w) for _ in range(6)),
    ]


ENGINES = ["cv2", "scipy"]
SIZES = [(30, 40), (1, 1), (1, 17), (23, 9), (37, 53), (64, 64)]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("d", [1, 2, 7])
def test_band_matches_reference(engine: str, size: tuple[int, int], d: int) -> None:
    h, w = size
    ratio = d / math.hypot(h, w)
    rng = np.random.default_rng(h * 1000 + w * 10 + d)
    masks = _masks(rng, h, w)
    expected = np.stack([_reference_band(m, ratio, engine) for m in masks])
    # one (N, H, W) call and one (H, W) call per mask, with 0/1 integers as well as bool
    np.testing.assert_array_equal(boundary_band(np.stack(masks), dilation_ratio=ratio), expected)
    for m, e in zip(masks, expected, strict=True):
        got = boundary_band(m.astype(np.uint8), dilation_ratio=ratio)
        assert got.dtype == np.bool_
        assert got.shape == (h, w)
        np.testing.assert_array_equal(got, e)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("ratio", [0.005, 0.02, 0.05, 0.1, 0.3])
def test_iou_matches_reference(engine: str, ratio: float) -> None:
    rng = np.random.default_rng(7)
    h, w = 48, 61
    pred = np.stack([_blobs(rng, h, w) for _ in range(10)])
    target = np.stack([_blobs(rng, h, w) for _ in range(10)])
    target[0] = pred[0]
    expected = [_reference_iou(p, t, ratio, engine) for p, t in zip(pred, target, strict=True)]
    np.testing.assert_array_equal(boundary_iou(pred, target, dilation_ratio=ratio), expected)


def test_dilation_rounds_half_to_even() -> None:
    # 30×40 image: diagonal 50; 0.05 * 50 = 2.5 → 2 (half to even), 0.07 * 50 = 3.5 → 4
    assert _dilation(30, 40, 0.05) == _reference_dilation(30, 40, 0.05) == 2
    assert _dilation(30, 40, 0.07) == _reference_dilation(30, 40, 0.07) == 4
    assert _dilation(30, 40, 0.001) == 1  # clamped to at least 1
    # the band of a 30×40 full mask is 2 pixels deep at ratio 0.05, not 3
    band = boundary_band(np.ones((30, 40), dtype=bool), dilation_ratio=0.05)
    assert int(band.sum()) == 30 * 40 - 26 * 36


# ----------------------------------------------------------------------------- hand-computed


def test_square_ring() -> None:
    # 5×5 square in a 9×9 image; diagonal sqrt(162) ≈ 12.73, ratio 0.05 → d = round(0.64) = 1:
    # the band is the square minus its 3×3 interior, 25 - 9 = 16 pixels
    m = np.zeros((9, 9), dtype=bool)
    m[2:7, 2:7] = True
    band = boundary_band(m, dilation_ratio=0.05)
    expected = m.copy()
    expected[3:6, 3:6] = False
    np.testing.assert_array_equal(band, expected)
    assert int(band.sum()) == 16
    # d = 2 (ratio 0.15 → round(1.91) = 2): only the centre pixel survives, 24 pixels of band
    band2 = boundary_band(m, dilation_ratio=0.15)
    assert int(band2.sum()) == 24
    assert not band2[4, 4]


def test_image_border_is_boundary() -> None:
    # a full 10×10 mask, d = 1 (0.02 * 14.1 → 0 → clamped to 1): the outer ring, 100 - 64 = 36
    band = boundary_band(np.ones((10, 10), dtype=bool))
    assert int(band.sum()) == 36
    assert band[0].all()
    assert band[:, -1].all()
    assert not band[1:-1, 1:-1].any()


def test_thin_mask_is_all_band() -> None:
    # a 3-pixel-wide stripe with d = 2: every pixel is within 2 of the outside
    m = np.zeros((20, 20), dtype=bool)
    m[5:8, :] = True
    np.testing.assert_array_equal(boundary_band(m, dilation_ratio=2 / math.hypot(20, 20)), m)


def test_chebyshev_not_euclidean() -> None:
    # a 9×9 square, d = 3: its corner pixel (3, 3) is at chessboard distance 4 from the
    # outside, so it is interior (a Euclidean band of radius 3 would differ only at corners
    # of the eroded region, which is the square 3..5 × 3..5 here)
    m = np.zeros((15, 15), dtype=bool)
    m[0:9, 0:9] = True
    band = boundary_band(m, dilation_ratio=3 / math.hypot(15, 15))
    interior = m & ~band
    np.testing.assert_array_equal(np.argwhere(interior).min(axis=0), [3, 3])
    np.testing.assert_array_equal(np.argwhere(interior).max(axis=0), [5, 5])


def test_iou_hand_computed() -> None:
    # two 10×10 squares, the second shifted down one row, 20×20 image, d = 1: each band is a
    # 36-pixel ring; shared: columns 5 and 14 over rows 6..14 (9 each) → 18 / (72 - 18)
    a = np.zeros((20, 20), dtype=bool)
    a[5:15, 5:15] = True
    b = np.roll(a, 1, axis=0)
    assert float(boundary_iou(a, b)) == pytest.approx(1 / 3)


# ----------------------------------------------------------------------------- properties


def test_identical_disjoint_symmetric() -> None:
    rng = np.random.default_rng(3)
    pred = np.stack([_blobs(rng, 32, 32) for _ in range(8)])
    target = np.stack([_blobs(rng, 32, 32) for _ in range(8)])
    pred[0] = target[0] = False
    same = boundary_iou(pred, pred)
    assert np.isnan(same[0])
    assert (same[1:] == 1.0).all()
    np.testing.assert_array_equal(boundary_iou(pred, target), boundary_iou(target, pred))
    scores = boundary_iou(pred[1:], target[1:])
    assert ((scores >= 0) & (scores <= 1)).all()
    left = np.zeros((32, 32), dtype=bool)
    left[:, :10] = True
    assert float(boundary_iou(left, ~left)) == 0.0
    assert isinstance(boundary_iou(left, left), float)  # numpy.float64 for (H, W) input


def test_zero_division() -> None:
    empty = np.zeros((2, 8, 8), dtype=bool)
    assert np.isnan(boundary_iou(empty, empty)).all()
    np.testing.assert_array_equal(boundary_iou(empty, empty, zero_division=0), [0.0, 0.0])
    np.testing.assert_array_equal(boundary_iou(empty, empty, zero_division=1.0), [1.0, 1.0])
    with pytest.warns(UndefinedMetricWarning, match="boundary_iou"):
        np.testing.assert_array_equal(boundary_iou(empty, empty, zero_division="warn"), [0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = np.ones((1, 8, 8), dtype=bool)
        assert boundary_iou(full, full, zero_division="warn")[0] == 1.0


def test_empty_stacks_and_lists() -> None:
    assert boundary_iou(np.zeros((0, 5, 5)), np.zeros((0, 5, 5))).shape == (0,)
    assert boundary_band(np.zeros((0, 5, 5))).shape == (0, 5, 5)
    assert boundary_band(np.zeros((3, 0, 5))).shape == (3, 0, 5)
    band = boundary_band([[1, 1, 1], [1, 1, 1], [1, 1, 1]])
    assert band.sum() == 8
    assert not band[1, 1]


def test_torch_tensors() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    m = np.stack([_blobs(rng, 21, 34) for _ in range(4)])
    band = boundary_band(torch.as_tensor(m))
    assert isinstance(band, torch.Tensor)
    assert band.dtype == torch.bool
    np.testing.assert_array_equal(band.numpy(), boundary_band(m))
    got = boundary_iou(torch.as_tensor(m), torch.as_tensor(m[::-1].copy()))
    assert isinstance(got, torch.Tensor)
    np.testing.assert_array_equal(got.numpy(), boundary_iou(m, m[::-1]))


def test_public_names() -> None:
    assert ioukit.boundary_band is boundary_band
    assert ioukit.boundary_iou is boundary_iou


# ----------------------------------------------------------------------------- bad input


def test_bad_values() -> None:
    m = np.zeros((4, 4))
    m[1, 1] = 0.5
    with pytest.raises(InputError, match=r"boundary_band: `mask` must hold binary.*0\.5"):
        boundary_band(m)
    with pytest.raises(InputError, match=r"boundary_iou: `target` must hold binary.*2"):
        boundary_iou(np.zeros((4, 4)), np.full((4, 4), 2))
    with pytest.raises(InputError, match="boundary_band: `mask` must be a boolean"):
        boundary_band(np.zeros((4, 4), dtype=complex))


def test_bad_shapes() -> None:
    with pytest.raises(InputError, match=r"boundary_iou: .*same shape.*\(4, 4\) and \(4, 5\)"):
        boundary_iou(np.zeros((4, 4)), np.zeros((4, 5)))
    with pytest.raises(InputError, match=r"boundary_band: `mask` must have shape \(H, W\)"):
        boundary_band(np.zeros(5))
    with pytest.raises(InputError, match=r"got shape \(1, 2, 3, 4\)"):
        boundary_iou(np.zeros((1, 2, 3, 4)), np.zeros((1, 2, 3, 4)))


@pytest.mark.parametrize("ratio", [0, -0.1, math.nan, math.inf, True, "0.02", None])
def test_bad_ratio(ratio: object) -> None:
    with pytest.raises(ParameterError, match="boundary_band: `dilation_ratio` must be"):
        boundary_band(np.zeros((4, 4)), dilation_ratio=ratio)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="boundary_iou: `dilation_ratio` must be"):
        boundary_iou(np.zeros((4, 4)), np.zeros((4, 4)), dilation_ratio=ratio)  # type: ignore[arg-type]


def test_bad_zero_division() -> None:
    with pytest.raises(ParameterError, match="boundary_iou: `zero_division`"):
        boundary_iou(np.zeros((4, 4)), np.zeros((4, 4)), zero_division="zero")
