"""soft_jaccard / soft_jaccard_grad: hand cases, hard-IoU equality, finite differences, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import ioukit
from ioukit._errors import InputError, ParameterError
from ioukit.core.soft import soft_jaccard, soft_jaccard_grad


def test_hand_case() -> None:
    # I = 0.8 + 0.5 = 1.3; U = 2 + 1.5 - 1.3 = 2.2
    y = np.array([1, 1, 0])
    p = np.array([0.8, 0.5, 0.2])
    assert float(soft_jaccard(p, y)) == pytest.approx(1.3 / 2.2, abs=1e-15)
    # with eps = 0.5: (1.8) / (2.7)
    assert float(soft_jaccard(p, y, eps=0.5)) == pytest.approx(1.8 / 2.7, abs=1e-15)


def test_hand_gradient() -> None:
    # U = 2.2, I = 1.3: dJ/dp_i = (y_i * 2.2 - 1.3 * (1 - y_i)) / 2.2**2
    y = np.array([1.0, 1.0, 0.0])
    p = np.array([0.8, 0.5, 0.2])
    expected = np.array([2.2, 2.2, -1.3]) / 2.2**2
    np.testing.assert_allclose(soft_jaccard_grad(p, y), expected, rtol=0, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.bool_, st.integers(1, 30)),
    st.data(),
)
def test_binary_equals_hard_iou(target: np.ndarray, data: st.DataObject) -> None:
    pred = data.draw(arrays(np.bool_, target.shape))
    soft = float(soft_jaccard(pred.astype(float), target.astype(float)))
    hard = float(ioukit.binary_jaccard(pred.astype(int), target.astype(int), zero_division=1.0))
    assert soft == hard  # exactly, with eps = 0


def test_empty_rule() -> None:
    z = np.zeros(5)
    assert float(soft_jaccard(z, z)) == 1.0
    assert np.all(soft_jaccard_grad(z, z) == 0)
    # eps > 0: J = eps / (sum p + eps), dJ/dp = -eps / (sum p + eps)**2 = -1/eps at p = 0
    np.testing.assert_allclose(soft_jaccard_grad(z, z, eps=0.5), np.full(5, -2.0))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(0, 2**31 - 1), st.sampled_from([0.0, 1e-3, 1.0]))
def test_gradient_vs_finite_differences(n: int, seed: int, eps: float) -> None:
    rng = np.random.default_rng(seed)
    y = rng.random(n)
    y[rng.random(n) < 0.3] = 0.0
    p = rng.uniform(0.05, 0.95, n)
    if y.sum() + p.sum() == 0:
        return
    g = soft_jaccard_grad(p, y, eps=eps)
    h = 1e-6
    fd = np.empty(n)
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        fd[i] = (
            float(soft_jaccard(p + e, y, eps=eps)) - float(soft_jaccard(p - e, y, eps=eps))
        ) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-7)


def test_torch_input_stays_torch() -> None:
    torch = pytest.importorskip("torch")
    y = torch.tensor([1.0, 0.0, 1.0])
    p = torch.tensor([0.5, 0.5, 1.0], dtype=torch.float64, requires_grad=True)
    j = soft_jaccard(p, y)
    assert isinstance(j, torch.Tensor)
    (auto,) = torch.autograd.grad(j, p)
    np.testing.assert_allclose(
        soft_jaccard_grad(p.detach(), y).numpy(), auto.numpy(), rtol=1e-12, atol=1e-15
    )


def test_out_of_range_raises() -> None:
    with pytest.raises(InputError, match=r"soft_jaccard: `scores` must hold values in \[0, 1\]"):
        soft_jaccard(np.array([1.2, 0.0]), np.array([1, 0]))
    with pytest.raises(InputError, match=r"soft_jaccard_grad: `target` must hold values in"):
        soft_jaccard_grad(np.array([0.5, 0.0]), np.array([-1, 0]))
    with pytest.raises(InputError, match=r"`scores` must be finite"):
        soft_jaccard(np.array([np.nan, 0.0]), np.array([1, 0]))
    with pytest.raises(InputError, match=r"same shape"):
        soft_jaccard(np.array([0.5]), np.array([1, 0]))
    with pytest.raises(ParameterError, match=r"`eps` must be a finite real number >= 0"):
        soft_jaccard(np.array([0.5, 0.5]), np.array([1, 0]), eps=-1)
    with pytest.raises(InputError, match=r"must be numeric"):
        soft_jaccard(np.array([0.5]), np.array(["a"]))


def test_signature_scores_first_options_keyword_only() -> None:
    # (scores, target): the gradient is with respect to the first argument, and shape errors
    # name both arguments
    p = np.array([0.8, 0.5, 0.2])
    y = np.array([1.0, 1.0, 0.0])
    assert soft_jaccard_grad(p, y)[2] < 0  # raising p on a negative lowers J
    assert not np.allclose(soft_jaccard_grad(p, y), soft_jaccard_grad(y, p))
    with pytest.raises(InputError, match=r"`scores` and `target` must have the same shape; got "):
        soft_jaccard(np.zeros(2), np.zeros(3))
    with pytest.raises(TypeError):
        soft_jaccard(p, y, 0.5)  # eps is keyword-only
