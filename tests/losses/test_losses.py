"""ioukit.losses: gradchecks, agreement with the hard metrics, Lovász against the paper's
definition, box losses against the box metrics, degenerate gradients, bad input."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ioukit  # noqa: E402
from ioukit._errors import BackendError, InputError, ParameterError  # noqa: E402
from ioukit.losses import (  # noqa: E402
    CIoULoss,
    DiceLoss,
    DIoULoss,
    GIoULoss,
    JaccardLoss,
    LovaszHingeLoss,
    LovaszSoftmaxLoss,
    TverskyLoss,
    complete_box_iou_loss,
    dice_loss,
    distance_box_iou_loss,
    generalized_box_iou_loss,
    jaccard_loss,
    lovasz_hinge_loss,
    lovasz_softmax_loss,
    tversky_loss,
)

D = torch.float64
SOFT = {
    "jaccard": jaccard_loss,
    "dice": dice_loss,
    "tversky": lambda *a, **k: tversky_loss(*a, alpha=0.3, beta=0.7, **k),
}
BOX = {
    "giou": (generalized_box_iou_loss, ioukit.generalized_box_iou_aligned),
    "diou": (distance_box_iou_loss, ioukit.distance_box_iou_aligned),
    "ciou": (complete_box_iou_loss, ioukit.complete_box_iou_aligned),
}


def _f(x: object) -> float:
    """``float`` without torch's warning for tensors that require grad."""
    return float(x.detach()) if isinstance(x, torch.Tensor) else float(x)  # type: ignore[arg-type]


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _inputs(mode: str, seed: int = 0, n: int = 2, c: int = 3, hw: tuple[int, int] = (3, 4)):
    g = _gen(seed)
    if mode == "binary":
        x = torch.randn((n, *hw), generator=g, dtype=D)
        y = (torch.rand((n, *hw), generator=g) < 0.5).long()
    elif mode == "multiclass":
        x = torch.randn((n, c, *hw), generator=g, dtype=D)
        y = torch.randint(0, c, (n, *hw), generator=g)
    else:
        x = torch.randn((n, c, *hw), generator=g, dtype=D)
        y = (torch.rand((n, c, *hw), generator=g) < 0.5).long()
    return x, y


# ----------------------------------------------------------------------------- gradcheck


@pytest.mark.parametrize("name", list(SOFT))
@pytest.mark.parametrize("mode", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"per_image": True},
        {"from_logits": False},
        {"ignore_index": 2, "classes": [0, 1]},
        {"smooth": 1.0, "eps": 1e-3, "reduction": "sum"},
        {"classes": "present", "per_image": True, "reduction": "none"},
    ],
)
def test_gradcheck_soft(name: str, mode: str, opts: dict) -> None:
    x, y = _inputs(mode, seed=hash((name, mode)) % 1000)
    opts = dict(opts)
    if opts.get("from_logits") is False:
        x = torch.sigmoid(x) if mode != "multiclass" else torch.softmax(x, dim=1)
    if "ignore_index" in opts and mode != "multiclass":
        y = y.clone()
        y[0, ..., 0] = 2  # a void value in a 0/1 target
        opts["classes"] = None if mode == "binary" else [0, 2]
    x.requires_grad_(True)
    fn = SOFT[name]
    assert torch.autograd.gradcheck(lambda p: fn(p, y, mode=mode, **opts), (x,))


@pytest.mark.parametrize("mode", ["binary", "multilabel"])
@pytest.mark.parametrize("opts", [{}, {"per_image": True}, {"from_logits": False}])
def test_gradcheck_lovasz_hinge(mode: str, opts: dict) -> None:
    x, y = _inputs(mode, seed=3)
    if opts.get("from_logits") is False:
        x = torch.sigmoid(x)
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p: lovasz_hinge_loss(p, y, mode=mode, **opts), (x,))


@pytest.mark.parametrize(
    "opts",
    [{}, {"per_image": True}, {"ignore_index": 255, "classes": "present"}, {"classes": [2, 0]}],
)
def test_gradcheck_lovasz_softmax(opts: dict) -> None:
    x, y = _inputs("multiclass", seed=4)
    y = y.clone()
    y[1, 0, :2] = 255
    x.requires_grad_(True)
    if "ignore_index" not in opts:
        y = y.clamp(max=2)
    assert torch.autograd.gradcheck(lambda p: lovasz_softmax_loss(p, y, **opts), (x,))


def _random_boxes(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = _gen(seed)
    xy = torch.rand((2, n, 2), generator=g, dtype=D) * 10
    wh = torch.rand((2, n, 2), generator=g, dtype=D) * 8 + 0.5
    return torch.cat([xy[0], xy[0] + wh[0]], -1), torch.cat([xy[1], xy[1] + wh[1]], -1)


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


# ----------------------------------------------------------------------------- soft = 1 - hard IoU


def test_soft_on_binary_equals_hard_iou_binary() -> None:
    g = _gen(7)
    for _ in range(20):
        pred = (torch.rand((3, 4, 5), generator=g) < 0.4).to(D)
        target = (torch.rand((3, 4, 5), generator=g) < 0.4).long()
        hard = _f(ioukit.binary_jaccard(pred.long(), target, zero_division=1.0))
        loss = jaccard_loss(pred, target, mode="binary", from_logits=False)
        assert _f(loss) == 1 - hard
        per = jaccard_loss(
            pred, target, mode="binary", from_logits=False, per_image=True, reduction="none"
        )
        hard_per = torch.as_tensor(
            ioukit.binary_jaccard(pred.long(), target, per_sample=True, zero_division=1.0)
        )
        torch.testing.assert_close(per[:, 0], 1 - hard_per, rtol=0, atol=1e-15)


def test_soft_on_binary_equals_hard_iou_multiclass_with_ignore() -> None:
    g = _gen(8)
    c = 4
    for _ in range(10):
        labels = torch.randint(0, c, (2, 5, 6), generator=g)
        target = torch.randint(0, c, (2, 5, 6), generator=g)
        target[torch.rand(target.shape, generator=g) < 0.2] = 255
        probs = torch.nn.functional.one_hot(labels, c).permute(0, 3, 1, 2).to(D)
        loss = jaccard_loss(
            probs, target, mode="multiclass", from_logits=False, ignore_index=255, reduction="none"
        )
        hard = torch.as_tensor(
            ioukit.multiclass_jaccard(
                labels, target, num_classes=c, average="none", ignore_index=255, zero_division=1.0
            )
        )
        torch.testing.assert_close(loss, 1 - hard, rtol=0, atol=1e-15)


def test_soft_on_binary_equals_hard_iou_multilabel() -> None:
    g = _gen(9)
    pred = (torch.rand((4, 3, 7), generator=g) < 0.5).long()
    target = (torch.rand((4, 3, 7), generator=g) < 0.5).long()
    loss = dice_loss(pred.to(D), target, mode="multilabel", from_logits=False, reduction="none")
    j = torch.as_tensor(ioukit.multilabel_jaccard(pred, target, average="none", zero_division=1.0))
    torch.testing.assert_close(loss, 1 - 2 * j / (1 + j), rtol=0, atol=1e-15)  # D = 2J/(1+J)
    tv = tversky_loss(
        pred.to(D),
        target,
        mode="multilabel",
        alpha=1.0,
        beta=1.0,
        from_logits=False,
        reduction="none",
    )
    torch.testing.assert_close(tv, 1 - j, rtol=0, atol=1e-15)


def test_hand_case_reductions() -> None:
    # two images, binary: image 0: I = 1, U = 2 (J = 1/2); image 1: I = 0, U = 1 (J = 0)
    p = torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]], dtype=D)
    y = torch.tensor([[1, 0, 0], [0, 0, 0]])
    # batch: I = 1, U = 3 -> loss 2/3
    assert _f(jaccard_loss(p, y, mode="binary", from_logits=False)) == pytest.approx(2 / 3)
    per = jaccard_loss(p, y, mode="binary", from_logits=False, per_image=True, reduction="none")
    torch.testing.assert_close(per, torch.tensor([[0.5], [1.0]], dtype=D))
    assert _f(jaccard_loss(p, y, mode="binary", from_logits=False, per_image=True)) == 0.75
    # "present": image 1 has no target mass and is skipped
    pres = jaccard_loss(p, y, mode="binary", from_logits=False, per_image=True, classes="present")
    assert _f(pres) == 0.5


def test_smoothing_rewards_empty_predictions() -> None:
    y = torch.zeros((1, 10), dtype=torch.long)
    losses = [
        _f(
            jaccard_loss(
                torch.full((1, 10), q, dtype=D), y, mode="binary", from_logits=False, smooth=1.0
            )
        )
        for q in (0.5, 0.1, 0.0)
    ]
    assert losses[0] > losses[1] > losses[2] == 0.0  # smooth/(Σp + smooth) grows as p -> 0


# ----------------------------------------------------------------------------- Lovász vs the paper


def _jaccard_set_loss(fg: set[int], mistakes: set[int]) -> float:
    """Δ_J(M) = 1 − |F \\ M| / |F ∪ M| (Berman et al., Eq. 4 written with sets)."""
    union = fg | mistakes
    return 0.0 if not union else 1 - len(fg - mistakes) / len(union)


def _naive_lovasz(errors: list[float], labels: list[int]) -> float:
    """Lovász extension (Eq. 8-9): sort errors decreasingly (π) and sum m_{π_i} times the
    increment Δ({π_1..π_i}) − Δ({π_1..π_{i−1}}), each Δ computed from sets."""
    fg = {i for i, g in enumerate(labels) if g == 1}
    order = sorted(range(len(errors)), key=lambda i: -errors[i])
    total, prev, chosen = 0.0, 0.0, set()
    for i in order:
        chosen.add(i)
        cur = _jaccard_set_loss(fg, chosen)
        total += errors[i] * (cur - prev)
        prev = cur
    return total


def _naive_softmax(
    probs: np.ndarray, labels: np.ndarray, ignore: int | None, per_image: bool, present: bool
) -> float:
    n, c = probs.shape[:2]
    p = probs.reshape(n, c, -1)
    t = labels.reshape(n, -1)
    groups = [[i] for i in range(n)] if per_image else [list(range(n))]
    group_means = []
    for grp in groups:
        vals = []
        for k in range(c):
            errs, labs = [], []
            for i in grp:
                for s in range(t.shape[1]):
                    if ignore is not None and t[i, s] == ignore:
                        continue
                    fg = int(t[i, s] == k)
                    errs.append(abs(fg - p[i, k, s]))
                    labs.append(fg)
            if present and sum(labs) == 0:
                continue
            vals.append(_naive_lovasz(errs, labs))
        if vals:
            group_means.append(sum(vals) / len(vals))
    return sum(group_means) / len(group_means) if group_means else 0.0


@pytest.mark.parametrize(
    ("per_image", "ignore", "present"),
    list(itertools.product([False, True], [None, 255], [False, True])),
)
def test_lovasz_softmax_matches_paper(per_image: bool, ignore: int | None, present: bool) -> None:
    g = _gen(10 + per_image)
    logits = torch.randn((3, 4, 3, 3), generator=g, dtype=D)
    labels = torch.randint(0, 4, (3, 3, 3), generator=g)
    labels[labels == 3] = 1  # class 3 absent: exercises "present"
    if ignore is not None:
        labels[torch.rand(labels.shape, generator=g) < 0.25] = ignore
    got = lovasz_softmax_loss(
        logits,
        labels,
        ignore_index=ignore,
        per_image=per_image,
        classes="present" if present else None,
    )
    probs = torch.softmax(logits, dim=1).numpy()
    want = _naive_softmax(probs, labels.numpy(), ignore, per_image, present)
    assert _f(got) == pytest.approx(want, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize(("per_image", "ignore"), [(False, None), (True, None), (True, -1)])
def test_lovasz_hinge_matches_paper(per_image: bool, ignore: int | None) -> None:
    g = _gen(20)
    logits = torch.randn((3, 2, 4), generator=g, dtype=D) * 2
    labels = (torch.rand((3, 2, 4), generator=g) < 0.5).long()
    if ignore is not None:
        labels[torch.rand(labels.shape, generator=g) < 0.3] = ignore
    got = lovasz_hinge_loss(logits, labels, ignore_index=ignore, per_image=per_image)
    f = logits.reshape(3, -1).numpy()
    t = labels.reshape(3, -1).numpy()
    groups = [[i] for i in range(3)] if per_image else [[0, 1, 2]]
    vals = []
    for grp in groups:
        errs, labs = [], []
        for i in grp:
            for s in range(t.shape[1]):
                if t[i, s] == ignore:
                    continue
                sign = 2 * t[i, s] - 1
                errs.append(max(1 - f[i, s] * sign, 0.0))  # hinge errors, margin 1
                labs.append(int(t[i, s]))
        vals.append(_naive_lovasz(errs, labs))
    assert _f(got) == pytest.approx(sum(vals) / len(vals), rel=1e-12, abs=1e-14)


def test_lovasz_multilabel_is_per_channel() -> None:
    logits = torch.randn((2, 3, 5), generator=_gen(21), dtype=D)
    labels = (torch.rand((2, 3, 5), generator=_gen(22)) < 0.5).long()
    got = lovasz_hinge_loss(logits, labels, mode="multilabel", reduction="none")
    for k in range(3):
        one = lovasz_hinge_loss(logits[:, k], labels[:, k])
        assert _f(got[k]) == pytest.approx(_f(one), rel=1e-12)


def test_lovasz_on_binary_errors_equals_jaccard_loss() -> None:
    # tight on binary vectors: one-hot probabilities give 1 − IoU per class (union > 0)
    g = _gen(23)
    labels = torch.randint(0, 3, (2, 4, 4), generator=g)
    pred = torch.randint(0, 3, (2, 4, 4), generator=g)
    probs = torch.nn.functional.one_hot(pred, 3).permute(0, 3, 1, 2).to(D)
    got = lovasz_softmax_loss(probs, labels, from_logits=False, reduction="none")
    hard = torch.as_tensor(
        ioukit.multiclass_jaccard(pred, labels, num_classes=3, average="none", zero_division=1.0)
    )
    torch.testing.assert_close(got, 1 - hard, rtol=0, atol=1e-14)


def test_lovasz_softmax_honours_from_logits() -> None:
    logits = torch.randn((2, 3, 6), generator=_gen(24), dtype=D)
    labels = torch.randint(0, 3, (2, 6), generator=_gen(25))
    a = lovasz_softmax_loss(logits, labels)
    b = lovasz_softmax_loss(torch.softmax(logits, 1), labels, from_logits=False)
    assert _f(a) == pytest.approx(_f(b), rel=1e-14)
    with pytest.raises(InputError, match=r"lovasz_softmax_loss: `pred` must hold probabilities"):
        lovasz_softmax_loss(logits, labels, from_logits=False)


# ----------------------------------------------------------------------------- boxes


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


# ----------------------------------------------------------------------------- empty masks


@pytest.mark.parametrize("name", list(SOFT))
@pytest.mark.parametrize("per_image", [False, True])
def test_empty_target_and_prediction(name: str, per_image: bool) -> None:
    p = torch.zeros((2, 1, 3, 3), dtype=D, requires_grad=True)
    y = torch.zeros((2, 3, 3), dtype=torch.long)
    loss = SOFT[name](p, y, mode="binary", from_logits=False, per_image=per_image)
    assert _f(loss) == 0.0
    (g,) = torch.autograd.grad(loss, p)
    assert torch.isfinite(g).all()


@pytest.mark.parametrize(
    "fn",
    [
        lambda p, y: jaccard_loss(p, y, mode="multiclass", ignore_index=255),
        lambda p, y: dice_loss(p, y, mode="multiclass", ignore_index=255, per_image=True),
        lambda p, y: lovasz_softmax_loss(p, y, ignore_index=255),
        lambda p, y: lovasz_softmax_loss(p, y, ignore_index=255, per_image=True, classes="present"),
    ],
)
def test_all_ignored_gives_zero_with_finite_gradient(fn) -> None:
    p = torch.randn((2, 3, 4), dtype=D, requires_grad=True)
    y = torch.full((2, 4), 255)
    loss = fn(p, y)
    assert _f(loss) == 0.0
    (g,) = torch.autograd.grad(loss, p)
    assert torch.isfinite(g).all()


def test_lovasz_hinge_empty_target() -> None:
    # no foreground: every top-k set has Jaccard loss 1, so the loss is the largest error
    f = torch.tensor([[-2.0, 0.5, -0.25]], dtype=D, requires_grad=True)
    loss = lovasz_hinge_loss(f, torch.zeros((1, 3), dtype=torch.long))
    assert _f(loss) == pytest.approx(1.5)  # max(1 + f)
    (g,) = torch.autograd.grad(loss, f)
    assert torch.isfinite(g).all()


def test_zero_size_spatial() -> None:
    p = torch.zeros((2, 3, 0), dtype=D, requires_grad=True)
    y = torch.zeros((2, 0), dtype=torch.long)
    for fn in (lambda: jaccard_loss(p, y, mode="multiclass"), lambda: lovasz_softmax_loss(p, y)):
        loss = fn()
        assert _f(loss) == 0.0
        assert torch.autograd.grad(loss, p)[0].shape == p.shape


# ----------------------------------------------------------------------------- modules


def test_modules_forward_functions() -> None:
    x, y = _inputs("multiclass", seed=40)
    assert _f(JaccardLoss(mode="multiclass")(x, y)) == _f(jaccard_loss(x, y, mode="multiclass"))
    assert _f(DiceLoss(mode="multiclass", per_image=True)(x, y)) == _f(
        dice_loss(x, y, mode="multiclass", per_image=True)
    )
    assert _f(TverskyLoss(mode="multiclass", alpha=0.2, beta=0.8)(x, y)) == _f(
        tversky_loss(x, y, mode="multiclass", alpha=0.2, beta=0.8)
    )
    assert _f(LovaszSoftmaxLoss(classes="present")(x, y)) == _f(
        lovasz_softmax_loss(x, y, classes="present")
    )
    xb, yb = _inputs("binary", seed=41)
    assert _f(LovaszHingeLoss(per_image=True)(xb, yb)) == _f(
        lovasz_hinge_loss(xb, yb, per_image=True)
    )
    a, b = _random_boxes(4, seed=42)
    for mod, fn in (
        (GIoULoss, generalized_box_iou_loss),
        (DIoULoss, distance_box_iou_loss),
        (CIoULoss, complete_box_iou_loss),
    ):
        assert _f(mod(reduction="sum")(a, b)) == _f(fn(a, b, reduction="sum"))
    assert "mode='multiclass'" in repr(JaccardLoss(mode="multiclass"))
    assert isinstance(GIoULoss(), torch.nn.Module)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (
            lambda: jaccard_loss(torch.rand(2, 3), torch.ones(2, 3), mode="bin"),
            ParameterError,
            r"jaccard_loss: `mode` must be one of 'binary', 'multiclass', 'multilabel'; got 'bin'",
        ),
        (
            lambda: jaccard_loss(
                torch.rand(2, 3) + 1, torch.ones(2, 3), mode="binary", from_logits=False
            ),
            InputError,
            r"jaccard_loss: `pred` must hold probabilities in \[0, 1\] with from_logits=False",
        ),
        (
            lambda: dice_loss(torch.rand(2, 3), torch.full((2, 3), 2), mode="binary"),
            InputError,
            r"dice_loss: `target` must hold values in \[0, 1\] .* got \[2\]\. Use `ignore_index=`",
        ),
        (
            lambda: jaccard_loss(torch.rand(2, 3, 4), torch.full((2, 4), 3), mode="multiclass"),
            InputError,
            r"`target` labels must lie in \[0, 3\) .* got \[3\]",
        ),
        (
            lambda: jaccard_loss(
                torch.rand(2, 3, 4), torch.zeros(2, 5, dtype=torch.long), mode="multiclass"
            ),
            InputError,
            r"in multiclass mode `pred` must be \(N, C, \.\.\.\) and `target` \(N, \.\.\.\); got "
            r"\(2, 3, 4\) and \(2, 5\)",
        ),
        (
            lambda: jaccard_loss(torch.rand(2, 3, 4), torch.zeros(2, 3, 5), mode="multilabel"),
            InputError,
            r"multilabel mode `pred` and `target` must both be \(N, C, \.\.\.\)",
        ),
        (
            lambda: jaccard_loss(torch.rand(2, 3), torch.zeros(2, 4), mode="binary"),
            InputError,
            r"binary mode `target` must have the shape of `pred`",
        ),
        (
            lambda: jaccard_loss(
                torch.ones(2, 3, dtype=torch.long), torch.ones(2, 3), mode="binary"
            ),
            InputError,
            r"`pred` must be a floating tensor",
        ),
        (
            lambda: jaccard_loss(
                torch.tensor([[float("nan"), 0.0]]), torch.ones(1, 2), mode="binary"
            ),
            InputError,
            r"`pred` must be finite; got 1 NaN",
        ),
        (
            lambda: jaccard_loss(np.ones((2, 3)), torch.ones(2, 3), mode="binary"),
            BackendError,
            r"`pred` must be a torch.Tensor; got ndarray",
        ),
        (
            lambda: jaccard_loss(
                torch.rand(2, 3), torch.ones(2, 3), mode="binary", reduction="avg"
            ),
            ParameterError,
            r"`reduction` must be one of",
        ),
        (
            lambda: jaccard_loss(torch.rand(2, 3), torch.ones(2, 3), mode="binary", smooth=-1),
            ParameterError,
            r"`smooth` must be a finite real number >= 0",
        ),
        (
            lambda: jaccard_loss(
                torch.rand(2, 3), torch.ones(2, 3), mode="binary", per_image="yes"
            ),
            ParameterError,
            r"`per_image` must be True",
        ),
        (
            lambda: jaccard_loss(
                torch.rand(2, 3, 4),
                torch.zeros(2, 4, dtype=torch.long),
                mode="multiclass",
                classes=[0, 3],
            ),
            ParameterError,
            r"`classes` must hold class indices in \[0, 3\)",
        ),
        (
            lambda: jaccard_loss(
                torch.rand(2, 3, 4),
                torch.zeros(2, 4, dtype=torch.long),
                mode="multiclass",
                classes="all",
            ),
            ParameterError,
            r"`classes` must be None, 'present' or a sequence",
        ),
        (
            lambda: jaccard_loss(torch.rand(2, 3, 4), torch.zeros(2, 4) + 0.5, mode="multiclass"),
            InputError,
            r"must hold integer class labels in multiclass mode",
        ),
        (
            lambda: tversky_loss(
                torch.rand(2, 3), torch.ones(2, 3), mode="binary", alpha=0, beta=0
            ),
            ParameterError,
            r"`alpha` \+ `beta` must be > 0",
        ),
        (
            lambda: lovasz_hinge_loss(torch.rand(2, 3), torch.full((2, 3), 0.5)),
            InputError,
            r"lovasz_hinge_loss: `target` must hold 0/1 labels",
        ),
        (
            lambda: lovasz_hinge_loss(torch.rand(2, 3), torch.ones(2, 3), mode="multiclass"),
            ParameterError,
            r"`mode` must be one of 'binary', 'multilabel'",
        ),
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


def test_import_ioukit_does_not_import_torch_and_missing_torch_message() -> None:
    code = (
        "import sys, ioukit, ioukit.core.soft\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "sys.modules['torch'] = None\n"
        "try:\n"
        "    import ioukit.losses\n"
        "except ioukit.MissingDependencyError as e:\n"
        "    assert 'pip install torch' in str(e) and 'ioukit[torch]' in str(e), str(e)\n"
        "else:\n"
        "    raise SystemExit('no error')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
