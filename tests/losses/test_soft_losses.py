"""ioukit.losses.functional: gradchecks, agreement with the hard metrics and with
soft_jaccard, smoothing, empty masks, bad options."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from loss_helpers import D, _f, _gen, _inputs  # noqa: E402

import ioukit  # noqa: E402
from ioukit._errors import ParameterError  # noqa: E402
from ioukit.losses import dice_loss, jaccard_loss, tversky_loss  # noqa: E402

SOFT = {
    "jaccard": jaccard_loss,
    "dice": dice_loss,
    "tversky": lambda *a, **k: tversky_loss(*a, alpha=0.3, beta=0.7, **k),
}


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


@pytest.mark.parametrize("smooth", [0.0, 0.5])
def test_jaccard_loss_is_one_minus_soft_jaccard(smooth: float) -> None:
    # one group (binary, whole batch): the loss is 1 − soft_jaccard of the same numbers,
    # soft targets included; soft_jaccard's eps is the loss's smooth
    g = _gen(11)
    for _ in range(10):
        p = torch.rand((1, 7), generator=g, dtype=D)
        y = torch.rand((1, 7), generator=g, dtype=D) * (torch.rand((1, 7), generator=g) < 0.6)
        loss = jaccard_loss(p, y, mode="binary", from_logits=False, smooth=smooth)
        soft = ioukit.soft_jaccard(p.reshape(-1), y.reshape(-1), eps=smooth)
        assert _f(loss) == pytest.approx(1 - _f(soft), rel=1e-15, abs=1e-15)
    z = torch.zeros((1, 4), dtype=D)
    assert _f(jaccard_loss(z, z, mode="binary", from_logits=False)) == 0.0
    assert _f(ioukit.soft_jaccard(z[0], z[0])) == 1.0  # the same empty rule


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


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (
            lambda: jaccard_loss(torch.rand(2, 3), torch.ones(2, 3), mode="binary", smooth=-1),
            ParameterError,
            r"`smooth` must be a finite real number >= 0",
        ),
        (
            lambda: tversky_loss(
                torch.rand(2, 3), torch.ones(2, 3), mode="binary", alpha=0, beta=0
            ),
            ParameterError,
            r"`alpha` \+ `beta` must be > 0",
        ),
    ],
)
def test_bad_input(call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call()
