"""ioukit.losses.modules and the package: modules equal their functions, the import of
``ioukit`` stays torch-free, the message without torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from loss_helpers import _f, _inputs, _random_boxes  # noqa: E402

import ioukit  # noqa: E402
from ioukit.losses import (  # noqa: E402
    CompleteBoxIoULoss,
    DiceLoss,
    DistanceBoxIoULoss,
    GeneralizedBoxIoULoss,
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
        (GeneralizedBoxIoULoss, generalized_box_iou_loss),
        (DistanceBoxIoULoss, distance_box_iou_loss),
        (CompleteBoxIoULoss, complete_box_iou_loss),
    ):
        assert _f(mod(reduction="sum")(a, b)) == _f(fn(a, b, reduction="sum"))
    assert "mode='multiclass'" in repr(JaccardLoss(mode="multiclass"))
    assert isinstance(GeneralizedBoxIoULoss(), torch.nn.Module)


def test_import_ioukit_does_not_import_torch_and_missing_torch_message() -> None:
    code = (
        "import sys, ioukit, ioukit.core.soft\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "sys.modules['torch'] = None\n"
        "try:\n"
        "    import ioukit.losses\n"
        "except ioukit.MissingDependencyError as e:\n"
        "    assert 'download.pytorch.org/whl/cpu' in str(e), str(e)\n"
        "    assert 'ioukit[torch]' not in str(e), str(e)\n"
        "else:\n"
        "    raise SystemExit('no error')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize(
    ("module", "fn"),
    [
        (GeneralizedBoxIoULoss, generalized_box_iou_loss),
        (DistanceBoxIoULoss, distance_box_iou_loss),
        (CompleteBoxIoULoss, complete_box_iou_loss),
    ],
)
def test_box_modules_equal_functions(module, fn) -> None:
    a, valid = _random_boxes(5, seed=43)
    b = valid.clone()
    b[1, 2] = b[1, 0] - 1.0  # one inverted target box
    for reduction in ("mean", "sum", "none"):
        opts = {"reduction": reduction, "on_invalid": "sort_corners"}
        loss = module(**opts)
        assert isinstance(loss, torch.nn.Module)
        assert list(loss.parameters()) == []
        assert torch.equal(loss(a, b), fn(a, b, **opts))
        assert torch.equal(loss(a[0], b[0]), fn(a[0], b[0], **opts))  # single (4,) boxes
        assert loss(a[0], b[0]).shape == ()
    p = a.clone().requires_grad_(True)
    (g_mod,) = torch.autograd.grad(module()(p, valid), (p,))
    (g_fn,) = torch.autograd.grad(fn(p, valid), (p,))
    assert torch.isfinite(g_mod).all()
    assert torch.equal(g_mod, g_fn)
    assert "reduction='mean', on_invalid='raise'" in repr(module())
    with pytest.raises(ioukit.InputError, match=fn.__name__ + r": `boxes1` must have shape"):
        module()(torch.zeros(3), torch.zeros(3))
    with pytest.raises(TypeError):
        module("sum")  # options are keyword-only


def test_module_names_follow_the_functions() -> None:
    import ioukit.losses as L

    for name in L.__all__:
        if name[0].isupper():
            fn = getattr(L, name)._fn
            words = name.replace("IoU", "Iou")
            snake = "".join("_" + c.lower() if c.isupper() else c for c in words).lstrip("_")
            assert fn.__name__ == snake, name
