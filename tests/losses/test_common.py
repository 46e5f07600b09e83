"""ioukit.losses._common through the losses: layouts, validation messages, reductions, empty
and zero-size inputs."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from loss_helpers import D, _f  # noqa: E402

from ioukit._errors import BackendError, InputError, ParameterError  # noqa: E402
from ioukit.losses import (  # noqa: E402
    dice_loss,
    jaccard_loss,
    lovasz_softmax_loss,
)


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


def test_zero_size_spatial() -> None:
    p = torch.zeros((2, 3, 0), dtype=D, requires_grad=True)
    y = torch.zeros((2, 0), dtype=torch.long)
    for fn in (lambda: jaccard_loss(p, y, mode="multiclass"), lambda: lovasz_softmax_loss(p, y)):
        loss = fn()
        assert _f(loss) == 0.0
        assert torch.autograd.grad(loss, p)[0].shape == p.shape


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
    ],
)
def test_bad_input(call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call()
