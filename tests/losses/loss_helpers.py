"""Inputs shared by the loss tests (imported as ``loss_helpers``; skips without torch)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

D = torch.float64


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


def _random_boxes(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = _gen(seed)
    xy = torch.rand((2, n, 2), generator=g, dtype=D) * 10
    wh = torch.rand((2, n, 2), generator=g, dtype=D) * 8 + 0.5
    return torch.cat([xy[0], xy[0] + wh[0]], -1), torch.cat([xy[1], xy[1] + wh[1]], -1)
