"""ioukit.losses.lovasz: gradchecks, the paper's definition computed from sets, tightness on
binary errors, empty targets, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from loss_helpers import D, _f, _gen, _inputs  # noqa: E402

import ioukit  # noqa: E402
from ioukit._errors import InputError, ParameterError  # noqa: E402
from ioukit.losses import lovasz_hinge_loss, lovasz_softmax_loss  # noqa: E402

# ----------------------------------------------------------------------------- gradcheck


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


def test_lovasz_hinge_empty_target() -> None:
    # no foreground: every top-k set has Jaccard loss 1, so the loss is the largest error
    f = torch.tensor([[-2.0, 0.5, -0.25]], dtype=D, requires_grad=True)
    loss = lovasz_hinge_loss(f, torch.zeros((1, 3), dtype=torch.long))
    assert _f(loss) == pytest.approx(1.5)  # max(1 + f)
    (g,) = torch.autograd.grad(loss, f)
    assert torch.isfinite(g).all()


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
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
    ],
)
def test_bad_input(call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call()
