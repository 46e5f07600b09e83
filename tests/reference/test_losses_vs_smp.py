"""Losses against segmentation_models_pytorch 0.6.0 (its ``losses`` package, loaded on its own:
the package's top level imports dataset helpers this environment does not need).

Where the two define the same quantity the numbers must agree:

* smp's Jaccard/Dice losses sum the soft score over the batch per class, zero the loss of
  classes without target pixels, and average over *all* classes. That is
  ``sum(ours[present]) / C`` with ours per class (``reduction="none"``).
* smp's Lovász losses are the reference algorithm: multiclass with ``classes="present"`` and
  always a softmax; binary Lovász hinge on logits. (smp's Lovász fails on float64 input, a dtype
  mismatch in its ``torch.dot``, so these comparisons run in float32.)
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

torch = pytest.importorskip("torch")
from ioukit import losses as L  # noqa: E402 - after the torch skip

pytestmark = pytest.mark.reference


def _smp_losses() -> ModuleType:
    spec = importlib.util.find_spec("segmentation_models_pytorch")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("segmentation_models_pytorch is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "losses"
    name = "_smp_losses_reference"
    if name in sys.modules:
        return sys.modules[name]
    file_spec = importlib.util.spec_from_file_location(
        name, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    assert file_spec is not None
    assert file_spec.loader is not None
    module = importlib.util.module_from_spec(file_spec)
    sys.modules[name] = module
    file_spec.loader.exec_module(module)
    return module


def _batch(seed: int, dtype: object) -> tuple[object, object]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(3, 4, 6, 7, generator=g, dtype=dtype)
    y = torch.randint(0, 4, (3, 6, 7), generator=g)
    y[0, :2] = 255  # void pixels
    y[1][y[1] == 2] = 0  # class 2 rarer
    if seed % 2:
        y[y == 3] = 1  # class 3 absent from the target: smp zeroes it, ours reports it
    return x, y


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kind", ["jaccard", "dice"])
def test_soft_losses_per_class_equal_smp(seed: int, kind: str) -> None:
    smp = _smp_losses()
    x, y = _batch(seed, torch.float64)
    pairs = {"jaccard": (smp.JaccardLoss, L.jaccard_loss), "dice": (smp.DiceLoss, L.dice_loss)}
    cls, ours = pairs[kind]
    theirs = cls("multiclass", ignore_index=255)(x, y)
    per_class = ours(x, y, mode="multiclass", ignore_index=255, reduction="none")
    kept = y[y != 255]
    present = torch.stack([(kept == c).any() for c in range(4)])
    assert float(per_class[present].sum() / 4) == pytest.approx(float(theirs), rel=1e-12, abs=0)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("per_image", [False, True])
def test_lovasz_softmax_equals_smp(seed: int, per_image: bool) -> None:
    smp = _smp_losses()
    x, y = _batch(seed, torch.float32)
    theirs = smp.LovaszLoss("multiclass", per_image=per_image, ignore_index=255)(x, y)
    ours = L.lovasz_softmax_loss(x, y, ignore_index=255, per_image=per_image, classes="present")
    assert float(ours) == pytest.approx(float(theirs), rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("per_image", [False, True])
def test_lovasz_hinge_equals_smp(seed: int, per_image: bool) -> None:
    smp = _smp_losses()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(3, 1, 6, 7, generator=g)
    y = torch.randint(0, 2, (3, 1, 6, 7), generator=g)
    theirs = smp.LovaszLoss("binary", per_image=per_image)(x, y)
    ours = L.lovasz_hinge_loss(x, y, mode="binary", per_image=per_image)
    assert float(ours) == pytest.approx(float(theirs), rel=1e-6, abs=1e-7)
