"""ioukit.losses.boxes: gradchecks (CIoU with α frozen), equality with the box metrics,
degenerate and empty inputs, single ``(4,)`` boxes, bad input."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from loss_helpers import D, _f, _random_boxes  # noqa: E402

import ioukit  # noqa: E402
from ioukit._errors import InputError, ParameterError  # noqa: E402
from ioukit.losses import (  # noqa: E402
    complete_box_iou_loss,
    distance_box_iou_loss,
    generalized_box_iou_loss,
)

BOX = {
    "giou": (generalized_box_iou_loss, ioukit.generalized_box_iou_aligned),
    "diou": (distance_box_iou_loss, ioukit.distance_box_iou_aligned),
    "ciou": (complete_box_iou_loss, ioukit.complete_box_iou_aligned),
}


# ----------------------------------------------------------------------------- gradcheck


@pytest.mark.parametrize("kind", list(BOX))
def test_gradcheck_boxes(kind: str) -> None:
    a, b = _random_boxes(6, seed=5)
    a.requires_grad_(True)
    b.requires_grad_(True)
    loss_fn = BOX[kind][0]
    if kind == "ciou":
        # α is a constant of the gradient: gradcheck the loss with α frozen at its value at
        # the point checked; the library's gradient must equal that one
        alpha = _ciou_alpha(a.detach(), b.detach())
        assert torch.autograd.gradcheck(lambda p, q: _ciou_fixed_alpha(p, q, alpha), (a, b))
        ga, gb = torch.autograd.grad(loss_fn(a, b, reduction="sum"), (a, b))
        ra, rb = torch.autograd.grad(_ciou_fixed_alpha(a, b, alpha).sum(), (a, b))
        torch.testing.assert_close(ga, ra, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(gb, rb, rtol=1e-10, atol=1e-12)
    else:
        assert torch.autograd.gradcheck(lambda p, q: loss_fn(p, q, reduction="none"), (a, b))


def _aspect_v(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    wa, ha = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
    wb, hb = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    return 4 / math.pi**2 * (torch.atan(wb / hb) - torch.atan(wa / ha)) ** 2


def _ciou_alpha(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    # AAAI 2020, ungated: α = v / ((1 − IoU) + v)
    iou = torch.as_tensor(ioukit.box_iou_aligned(a.numpy(), b.numpy()))
    v = _aspect_v(a, b)
    return v / ((1 - iou) + v)


def _ciou_fixed_alpha(a: torch.Tensor, b: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    diou = 1 - distance_box_iou_loss(a, b, reduction="none")
    return 1 - (diou - alpha * _aspect_v(a, b))


def test_ciou_value_matches_fixed_alpha_form() -> None:
    a, b = _random_boxes(8, seed=6)
    torch.testing.assert_close(
        complete_box_iou_loss(a, b, reduction="none"),
        _ciou_fixed_alpha(a, b, _ciou_alpha(a, b)),
        rtol=1e-12,
        atol=1e-14,
    )


# ----------------------------------------------------------------------------- against the metrics


@pytest.mark.parametrize("kind", list(BOX))
def test_box_losses_equal_one_minus_metric(kind: str) -> None:
    loss_fn, metric = BOX[kind]
    a, b = _random_boxes(50, seed=30)
    # degenerate rows: identical, zero-area identical, zero-area vs box, nested, disjoint
    extra_a = torch.tensor(
        [[1, 1, 4, 4], [5, 5, 5, 5], [2, 2, 2, 6], [0, 0, 10, 10], [0, 0, 1, 1]], dtype=D
    )
    extra_b = torch.tensor(
        [[1, 1, 4, 4], [5, 5, 5, 5], [0, 0, 4, 4], [2, 2, 3, 3], [20, 20, 30, 31]], dtype=D
    )
    a, b = torch.cat([a, extra_a]), torch.cat([b, extra_b])
    got = loss_fn(a, b, reduction="none")
    want = 1 - torch.as_tensor(metric(a.numpy(), b.numpy()))
    torch.testing.assert_close(got, want, rtol=0, atol=1e-15)
    # the autograd path of the metric (Array API, not numba) too
    want_t = 1 - metric(a.clone().requires_grad_(True), b)
    torch.testing.assert_close(got, want_t.detach(), rtol=0, atol=0)
    assert _f(loss_fn(a, b)) == pytest.approx(_f(want.mean()), rel=1e-14)
    assert _f(loss_fn(a, b, reduction="sum")) == pytest.approx(_f(want.sum()), rel=1e-14)


@pytest.mark.parametrize("kind", list(BOX))
def test_box_degenerate_gradients_are_finite(kind: str) -> None:
    loss_fn = BOX[kind][0]
    a = torch.tensor(
        [[5, 5, 5, 5], [1, 1, 4, 4], [2, 2, 2, 6], [0, 0, 0, 0], [3, 3, 3, 3]],
        dtype=D,
        requires_grad=True,
    )
    b = torch.tensor(
        [[5, 5, 5, 5], [1, 1, 4, 4], [0, 0, 4, 4], [1, 1, 2, 2], [3, 3, 3, 3]],
        dtype=D,
        requires_grad=True,
    )
    loss = loss_fn(a, b, reduction="sum")
    assert torch.isfinite(loss)
    ga, gb = torch.autograd.grad(loss, (a, b))
    assert torch.isfinite(ga).all()
    assert torch.isfinite(gb).all()
    # identical boxes have loss 0
    assert _f(loss_fn(a[1:2], b[1:2])) == 0.0


@pytest.mark.parametrize("kind", list(BOX))
def test_box_empty_sets(kind: str) -> None:
    loss_fn = BOX[kind][0]
    a = torch.zeros((0, 4), dtype=torch.float32, requires_grad=True)
    b = torch.zeros((0, 4), dtype=torch.float32)
    for reduction in ("mean", "sum"):
        loss = loss_fn(a, b, reduction=reduction)
        assert loss.shape == ()
        assert _f(loss) == 0.0
        assert loss.dtype == torch.float32
        (g,) = torch.autograd.grad(loss, a)
        assert g is not None
        assert g.shape == (0, 4)
    assert loss_fn(a, b, reduction="none").shape == (0,)


def test_box_float32_and_sort_corners() -> None:
    a = torch.tensor([[10.0, 10.0, 0.0, 0.0]])
    b = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    assert generalized_box_iou_loss(a, b, on_invalid="sort_corners").dtype == torch.float32
    assert _f(generalized_box_iou_loss(a, b, on_invalid="sort_corners")) == 0.0
    with pytest.raises(
        InputError,
        match=r"generalized_box_iou_loss: `boxes1` must hold valid "
        r"xyxy boxes .* first at index 0: \[10.0, 10.0, 0.0",
    ):
        generalized_box_iou_loss(a, b)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (
            lambda: complete_box_iou_loss(torch.rand(3, 4), torch.rand(2, 4)),
            InputError,
            r"complete_box_iou_loss: `boxes1` and `boxes2` must have the same shape",
        ),
        (
            lambda: distance_box_iou_loss(torch.rand(3, 5), torch.rand(3, 5)),
            InputError,
            r"`boxes1` must have shape \(N, 4\)",
        ),
        (
            lambda: distance_box_iou_loss(torch.rand(3, 4), torch.rand(3, 4), on_invalid="nan"),
            ParameterError,
            r"`on_invalid` must be one of 'raise', 'sort_corners'",
        ),
        (
            lambda: generalized_box_iou_loss(
                torch.tensor([[0.0, 0, float("inf"), 1]]),
                torch.ones(1, 4),
                on_invalid="sort_corners",
            ),
            InputError,
            r"must hold finite coordinates",
        ),
    ],
)
def test_bad_input(call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call()


# ----------------------------------------------------------------------------- (4,) and (..., 4)


@pytest.mark.parametrize("kind", list(BOX))
@pytest.mark.parametrize("dtype", [torch.float32, D])
def test_single_box_equals_one_row(kind: str, dtype: torch.dtype) -> None:
    loss_fn = BOX[kind][0]
    a, b = _random_boxes(3, seed=50)
    a, b = a.to(dtype), b.to(dtype)
    for i in range(3):
        one = loss_fn(a[i], b[i], reduction="none")
        row = loss_fn(a[i : i + 1], b[i : i + 1], reduction="none")
        assert one.shape == ()  # as torchvision: the input shape without its last dimension
        assert row.shape == (1,)
        assert one.dtype == dtype
        assert torch.equal(one, row[0])
        for reduction in ("mean", "sum"):
            got = loss_fn(a[i], b[i], reduction=reduction)
            assert got.shape == ()
            assert torch.equal(got, loss_fn(a[i : i + 1], b[i : i + 1], reduction=reduction))


@pytest.mark.parametrize("kind", list(BOX))
def test_leading_dimensions_are_flattened_pairs(kind: str) -> None:
    loss_fn = BOX[kind][0]
    a, b = _random_boxes(6, seed=51)
    got = loss_fn(a.reshape(2, 3, 4), b.reshape(2, 3, 4), reduction="none")
    assert got.shape == (2, 3)
    assert torch.equal(got.reshape(6), loss_fn(a, b, reduction="none"))
    for reduction in ("mean", "sum"):
        assert torch.equal(
            loss_fn(a.reshape(2, 3, 4), b.reshape(2, 3, 4), reduction=reduction),
            loss_fn(a, b, reduction=reduction),
        )


@pytest.mark.parametrize("kind", list(BOX))
@pytest.mark.parametrize(
    ("p", "q"),
    [
        ([1.0, 2.0, 4.0, 7.0], [0.0, 1.0, 5.0, 5.0]),  # overlapping
        ([3.0, 3.0, 3.0, 3.0], [3.0, 3.0, 3.0, 3.0]),  # identical zero-area boxes
        ([2.0, 2.0, 2.0, 6.0], [0.0, 0.0, 4.0, 4.0]),  # zero-width box
        ([0.0, 0.0, 1.0, 1.0], [5.0, 5.0, 6.0, 8.0]),  # disjoint
    ],
)
def test_single_box_gradients_are_finite(kind: str, p: list[float], q: list[float]) -> None:
    loss_fn = BOX[kind][0]
    a = torch.tensor(p, dtype=D, requires_grad=True)
    b = torch.tensor(q, dtype=D, requires_grad=True)
    loss = loss_fn(a, b, reduction="none")
    ga, gb = torch.autograd.grad(loss, (a, b))
    assert ga.shape == gb.shape == (4,)
    assert torch.isfinite(ga).all()
    assert torch.isfinite(gb).all()
    # the same gradient as the one-row batch
    a1 = a.detach().reshape(1, 4).requires_grad_(True)
    (ra,) = torch.autograd.grad(loss_fn(a1, b.detach().reshape(1, 4), reduction="sum"), (a1,))
    torch.testing.assert_close(ga, ra[0], rtol=0, atol=0)


def test_single_box_hand_value() -> None:
    # A = [0,0,10,10], B = [5,5,15,15]: I = 25, U = 175, C = 225 -> GIoU = 1/7 - 50/225
    a = torch.tensor([0.0, 0.0, 10.0, 10.0], dtype=D)
    b = torch.tensor([5.0, 5.0, 15.0, 15.0], dtype=D)
    got = generalized_box_iou_loss(a, b, reduction="none")
    assert _f(got) == pytest.approx(1 - (25 / 175 - 50 / 225), rel=1e-15)


@pytest.mark.parametrize(
    ("b1", "b2", "match"),
    [
        ((), (), r"`boxes1` must have shape \(N, 4\) or \(4,\), or more generally \(\.\.\., 4\)"),
        ((3,), (3,), r"`boxes1` must have shape \(N, 4\) or \(4,\).*got shape \(3,\)"),
        ((4,), (5,), r"`boxes2` must have shape \(N, 4\) or \(4,\).*got shape \(5,\)"),
        ((2, 4, 1), (2, 4, 1), r"`boxes1` must have shape .*got shape \(2, 4, 1\)"),
        ((4,), (1, 4), r"`boxes1` and `boxes2` must have the same shape .* \(4,\) and \(1, 4\)"),
        ((2, 4), (4,), r"`boxes1` and `boxes2` must have the same shape \(one pair per row, no "),
    ],
)
def test_bad_shapes(b1: tuple[int, ...], b2: tuple[int, ...], match: str) -> None:
    for loss_fn in (generalized_box_iou_loss, distance_box_iou_loss, complete_box_iou_loss):
        with pytest.raises(InputError, match=loss_fn.__name__ + ": " + match):
            loss_fn(torch.zeros(b1), torch.zeros(b2))


def test_invalid_box_messages_name_the_box() -> None:
    good = torch.tensor([0.0, 0.0, 1.0, 1.0])
    bad = torch.tensor([2.0, 0.0, 1.0, 1.0])
    with pytest.raises(
        InputError,
        match=r"distance_box_iou_loss: `boxes2` must hold valid xyxy boxes .* got 1 invalid "
        r"box\(es\) of 1: \[2\.0, 0\.0, 1\.0, 1\.0\]\. Pass on_invalid='sort_corners'",
    ):
        distance_box_iou_loss(good, bad)
    batch = good.repeat(2, 3, 1)
    batch[1, 2] = bad
    with pytest.raises(InputError, match=r"1 invalid box\(es\) of 6, the first at index \(1, 2\)"):
        complete_box_iou_loss(batch, good.repeat(2, 3, 1))
    # sort_corners repairs an inverted single box: the same loss as the sorted box
    fixed = torch.tensor([1.0, 0.0, 2.0, 1.0])
    assert torch.equal(
        generalized_box_iou_loss(bad, good, on_invalid="sort_corners", reduction="none"),
        generalized_box_iou_loss(fixed, good, reduction="none"),
    )
