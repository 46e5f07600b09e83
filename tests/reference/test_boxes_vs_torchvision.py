"""Boxes against torchvision.ops (the peer most training code uses), on the same inputs.

Agreement on valid boxes (float32 and float64, torch and NumPy input), and the documented
differences asserted as differences: torchvision gives NaN for a pair of zero-area boxes (ioukit
0), wraps uint8 coordinates around (ioukit computes in float64), adds eps=1e-7 to c² in DIoU and
CIoU (ioukit does not), and scores an inverted box GIoU = 1 (ioukit raises by default).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
tv_ops = pytest.importorskip("torchvision.ops")

from ioukit._errors import InputError  # noqa: E402
from ioukit.geometry.box_formats import box_convert  # noqa: E402
from ioukit.geometry.boxes import (  # noqa: E402
    box_area,
    box_iou,
    complete_box_iou,
    distance_box_iou,
    generalized_box_iou,
)
from ioukit.geometry.sparse_boxes import sparse_box_iou  # noqa: E402

pytestmark = pytest.mark.reference

PAIRS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "iou": (box_iou, tv_ops.box_iou),
    "giou": (generalized_box_iou, tv_ops.generalized_box_iou),
    "diou": (distance_box_iou, tv_ops.distance_box_iou),
    "ciou": (complete_box_iou, tv_ops.complete_box_iou),
}


def valid_boxes(rng: np.random.Generator, n: int, scale: float = 500.0) -> np.ndarray:
    """Boxes with positive width and height (torchvision's input contract)."""
    xy = rng.uniform(-scale / 4, scale, size=(n, 2))
    wh = rng.uniform(0.5, scale / 3, size=(n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


@pytest.mark.parametrize("kind", list(PAIRS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pairwise_matches_torchvision(kind: str, dtype: Any) -> None:
    ours, theirs = PAIRS[kind]
    rng = np.random.default_rng(11 + list(PAIRS).index(kind))
    b1, b2 = valid_boxes(rng, 150), valid_boxes(rng, 120)
    b1[:10] = b2[:10]  # identical pairs: IoU 1, no penalties
    t1, t2 = torch.tensor(b1, dtype=dtype), torch.tensor(b2, dtype=dtype)
    expected = theirs(t1, t2)
    got = ours(t1, t2)  # torch CPU: the numba kernel
    assert isinstance(got, torch.Tensor)
    assert got.dtype == expected.dtype == dtype
    # float64: only torchvision's eps=1e-7 (in c² of DIoU/CIoU, and in CIoU's alpha) separates
    # the two; with eps=0 they agree to rounding on pairs that are not identical
    tol = 1e-12 if dtype == torch.float64 and kind in ("iou", "giou") else 1e-6
    torch.testing.assert_close(got, expected, rtol=tol, atol=tol)
    if kind in ("diou", "ciou") and dtype == torch.float64:
        no_eps = theirs(t1[10:], t2, eps=0.0)
        torch.testing.assert_close(got[10:], no_eps, rtol=1e-12, atol=1e-12)
    # NumPy input gives the same numbers
    np_got = ours(t1.numpy(), t2.numpy())
    np.testing.assert_array_equal(np_got, got.numpy())
    # autograd input goes through the Array API path: same numbers, differentiable
    g = ours(t1.clone().requires_grad_(True), t2)
    assert g.requires_grad
    torch.testing.assert_close(g.detach(), got, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_batched_matches_torchvision(dtype: Any) -> None:
    rng = np.random.default_rng(3)
    b1 = torch.tensor(valid_boxes(rng, 2 * 30).reshape(2, 30, 4), dtype=dtype)
    b2 = torch.tensor(valid_boxes(rng, 2 * 20).reshape(2, 20, 4), dtype=dtype)
    expected = tv_ops.box_iou(b1, b2)  # torchvision accepts leading batch dims as well
    torch.testing.assert_close(box_iou(b1, b2), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("fmt", ["xywh", "cxcywh"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_box_convert_and_area_match_torchvision(fmt: str, dtype: Any) -> None:
    rng = np.random.default_rng(5)
    b = torch.tensor(valid_boxes(rng, 100), dtype=dtype)
    for i, o in (("xyxy", fmt), (fmt, "xyxy")):
        torch.testing.assert_close(box_convert(b, in_fmt=i, out_fmt=o), tv_ops.box_convert(b, i, o))
    torch.testing.assert_close(box_area(b), tv_ops.box_area(b))
    # box_area of other formats (torchvision's fmt= argument): convert first
    other = tv_ops.box_convert(b, "xyxy", fmt)
    torch.testing.assert_close(
        box_area(box_convert(other, in_fmt=fmt, out_fmt="xyxy")),
        tv_ops.box_area(tv_ops.box_convert(other, fmt, "xyxy")),
    )


def test_sparse_matches_torchvision_dense() -> None:
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 2000, size=(1500, 2))
    b = np.concatenate([xy, xy + rng.uniform(5, 80, size=(1500, 2))], axis=1)
    dense = tv_ops.box_iou(torch.tensor(b), torch.tensor(b[:900]))
    i, j = torch.nonzero(dense > 0, as_tuple=True)
    si, sj, sv = sparse_box_iou(torch.tensor(b), torch.tensor(b[:900]))
    torch.testing.assert_close(si, i)
    torch.testing.assert_close(sj, j)
    torch.testing.assert_close(sv, dense[i, j], rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- differences


def test_zero_area_pair_nan_in_torchvision_zero_here() -> None:
    z = torch.tensor([[5.0, 5.0, 5.0, 5.0]])
    for kind, (ours, theirs) in PAIRS.items():
        assert torch.isnan(theirs(z, z)).all(), kind
        assert ours(z, z).item() == 0.0, kind


def test_uint8_wraparound_in_torchvision_not_here() -> None:
    # disjoint boxes: rb - lt is computed in uint8 before torchvision's upcast, so it wraps
    b1 = torch.tensor([[0, 0, 100, 100]], dtype=torch.uint8)
    b2 = torch.tensor([[150, 150, 250, 250]], dtype=torch.uint8)
    theirs = tv_ops.box_iou(b1, b2).item()
    assert theirs < 0  # measured: about -1.89
    assert box_iou(b1, b2).item() == 0.0
    assert box_iou(b1, b2).dtype == torch.float64
    giou = generalized_box_iou(b1, b2).item()
    assert giou == pytest.approx(generalized_box_iou(b1.double(), b2.double()).item())
    assert tv_ops.generalized_box_iou(b1, b2).item() < -1  # impossible value for GIoU


def test_diou_eps_difference_is_tiny() -> None:
    # torchvision adds eps=1e-7 to c²; on boxes of size ~1 the difference shows, on valid
    # boxes of size ~100 it is below 1e-9
    a = torch.tensor([[0.0, 0.0, 1e-3, 1e-3]], dtype=torch.float64)
    b = torch.tensor([[2e-3, 0.0, 3e-3, 1e-3]], dtype=torch.float64)
    # centres 2e-3 apart: rho² = 4e-6, c² = 9e-6 + 1e-6 = 1e-5 -> DIoU = -0.4 exactly
    assert distance_box_iou(a, b).item() == pytest.approx(-0.4, rel=1e-12)
    assert tv_ops.distance_box_iou(a, b).item() == pytest.approx(-4e-6 / (1e-5 + 1e-7))


def test_inverted_box_giou_one_in_torchvision_error_here() -> None:
    inv = torch.tensor([[10.0, 10.0, 0.0, 0.0]])
    a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    assert tv_ops.generalized_box_iou(inv, a).item() == 1.0
    with pytest.raises(InputError, match="generalized_box_iou: `boxes1`"):
        generalized_box_iou(inv, a)
    assert generalized_box_iou(inv, a, on_invalid="zero").item() == 0.0
