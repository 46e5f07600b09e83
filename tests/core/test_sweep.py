"""Threshold sweeps: hand cases, binary_counts oracle, grid = exact, torch = NumPy, bad input.

The scikit-learn curve twins built on the sweep are tested in tests/sklearn/test_curves.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ioukit import binary_counts
from ioukit._errors import InputError, ParameterError
from ioukit.core import reduce
from ioukit.core.sweep import best_threshold, best_thresholds, jaccard_curve, threshold_sweep

T = np.array([0, 1, 1, 0, 1])
S = np.array([0.1, 0.8, 0.4, 0.4, 0.9])


def test_hand_case() -> None:
    # descending: 0.9(+) 0.8(+) 0.4(+,-) 0.1(-); P = 3, N = 2
    # >=0.9: tp 1 fp 0; >=0.8: 2, 0; >=0.4: 3, 1; >=0.1: 3, 2
    sw = threshold_sweep(S, T)
    assert sw.thresholds.dtype == np.float64
    assert sw.thresholds.tolist() == [0.9, 0.8, 0.4, 0.1]
    assert sw.counts.tp.tolist() == [1, 2, 3, 3]
    assert sw.counts.fp.tolist() == [0, 0, 1, 2]
    assert sw.counts.fn.tolist() == [2, 1, 0, 0]
    assert sw.counts.tn.tolist() == [2, 2, 1, 0]
    assert sw.counts.tp.dtype == np.int64
    assert len(sw) == 4
    # J = 1/3, 2/3, 3/4, 3/5 ; best 0.75 at 0.4
    _thr, j = jaccard_curve(S, T)
    np.testing.assert_allclose(j, [1 / 3, 2 / 3, 3 / 4, 3 / 5])
    assert best_threshold(S, T) == (0.4, 0.75)
    # precision 1, 1, 3/4, 3/5: tie between 0.9 and 0.8 -> the highest threshold
    assert best_threshold(S, T, metric="precision") == (0.9, 1.0)
    # dice 2/4, 4/5, 6/7, 6/8
    assert best_threshold(S, T, metric="f1") == pytest.approx((0.4, 6 / 7))
    assert best_threshold(S, T, metric="dice") == best_threshold(S, T, metric="f1")


def test_hand_grid_and_weights() -> None:
    # grid 0, .25, .5, .75, 1 -> descending 1: nothing; .75: {.8,.9}; .5: same; .25: +{.4,.4}
    sw = threshold_sweep(S, T, grid=5)
    assert sw.thresholds.tolist() == [1.0, 0.75, 0.5, 0.25, 0.0]
    assert sw.counts.tp.tolist() == [0, 2, 2, 3, 3]
    assert sw.counts.fp.tolist() == [0, 0, 0, 1, 2]
    # at 1.0 nothing predicted: J = 0 / 3 = 0 ; no target positives would make it NaN
    _, j = jaccard_curve(np.array([0.1, 0.2, 0.3]), np.zeros(3, int), grid=[0.5])
    assert np.isnan(j).all()
    assert all(np.isnan(best_threshold(np.zeros(3), np.zeros(3, int), grid=[0.5])))
    # per-sample weights (first axis) on (2, 2): rows weighted 2 and 0.5
    t = np.array([[1, 0], [1, 1]])
    s = np.array([[0.9, 0.5], [0.5, 0.2]])
    sw = threshold_sweep(s, t, sample_weight=np.array([2.0, 0.5]))
    # >=0.9: tp 2 ; >=0.5: tp 2 + .5, fp 2 ; >=0.2: tp 3, fp 2
    assert sw.thresholds.tolist() == [0.9, 0.5, 0.2]
    assert sw.counts.tp.tolist() == [2.0, 2.5, 3.0]
    assert sw.counts.fp.tolist() == [0.0, 2.0, 2.0]
    assert sw.counts.fn.tolist() == [1.0, 0.5, 0.0]
    assert sw.counts.tn.tolist() == [2.0, 0.0, 0.0]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 60).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 1), min_size=n, max_size=n),
            st.lists(st.integers(-3, 3), min_size=n, max_size=n),
        )
    ),
    st.sampled_from([np.float64, np.float32]),
)
def test_oracle_binary_counts(data: tuple[list[int], list[int]], dtype: type) -> None:
    t = np.array(data[0], dtype=bool)
    s = (np.array(data[1]) / 4).astype(dtype)
    sw = threshold_sweep(s, t)
    assert sw.thresholds.tolist() == sorted(set(s.astype(np.float64).tolist()), reverse=True)
    for i, thr in enumerate(sw.thresholds.tolist()):
        c = binary_counts(s, t, threshold=thr)
        got = [int(getattr(sw.counts, k)[i]) for k in ("tp", "fp", "fn", "tn")]
        assert got == [int(c.tp[0]), int(c.fp[0]), int(c.fn[0]), int(c.tn[0])]
    # grid at the distinct values plus values in between equals the exact counts
    grid = np.concatenate([sw.thresholds, sw.thresholds + 0.1, [-9.0, 9.0]])
    gs = threshold_sweep(s, t, grid=grid)
    for i, thr in enumerate(gs.thresholds.tolist()):
        c = binary_counts(s.astype(np.float64) >= thr, t)
        assert int(gs.counts.tp[i]) == int(c.tp[0])
        assert int(gs.counts.fp[i]) == int(c.fp[0])


def test_grid_equals_exact_large() -> None:
    rng = np.random.default_rng(1)
    s = np.round(rng.random((40, 50)), 2)
    t = rng.random((40, 50)) < 0.3
    ex = threshold_sweep(s, t)
    for grid in (101, np.linspace(0, 1, 101), rng.random(30)):
        gs = threshold_sweep(s, t, grid=grid)
        for i, thr in enumerate(gs.thresholds.tolist()):
            # exact counts at a grid value = counts at the smallest score >= it
            above = ex.thresholds >= thr
            tp = int(ex.counts.tp[above][-1]) if above.any() else 0
            fp = int(ex.counts.fp[above][-1]) if above.any() else 0
            assert (int(gs.counts.tp[i]), int(gs.counts.fp[i])) == (tp, fp)
    w = rng.random(40)
    gw = threshold_sweep(s, t, grid=51, sample_weight=w)
    ew = threshold_sweep(s, t, sample_weight=w)
    for i, thr in enumerate(gw.thresholds.tolist()):
        ref = binary_counts(s >= thr, t, sample_weight=w)
        np.testing.assert_allclose(float(gw.counts.tp[i]), float(ref.tp[0]), rtol=1e-12)
        np.testing.assert_allclose(float(gw.counts.fp[i]), float(ref.fp[0]), rtol=1e-12)
    j = list(ew.thresholds).index(s.ravel()[7])
    ref = binary_counts(s >= s.ravel()[7], t, sample_weight=w)
    np.testing.assert_allclose(float(ew.counts.tp[j]), float(ref.tp[0]), rtol=1e-12)


def test_best_thresholds_per_channel() -> None:
    rng = np.random.default_rng(2)
    t = (rng.random((3, 4, 5, 6)) < 0.4).astype(np.uint8)
    s = np.round(rng.random((3, 4, 5, 6)), 2)
    for metric in ("jaccard", "dice", "precision"):
        thr, best = best_thresholds(s, t, axis=1, metric=metric)  # type: ignore[arg-type]
        assert thr.shape == (4,)
        for c in range(4):
            assert (thr[c], best[c]) == best_threshold(s[:, c], t[:, c], metric=metric)  # type: ignore[arg-type]
    thr, best = best_thresholds(s.reshape(-1, 6), t.reshape(-1, 6), axis=-1, grid=21)
    for c in range(6):
        assert (thr[c], best[c]) == best_threshold(s[..., c], t[..., c], grid=21)


def test_torch_equals_numpy() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    t = rng.random((20, 3, 7)) < 0.3
    s = np.round(rng.random((20, 3, 7)), 2)
    w = rng.random(20)
    for kw in ({}, {"grid": 11}, {"grid": [0.2, 0.5]}, {"sample_weight": w}):
        a = threshold_sweep(s, t, **kw)  # type: ignore[arg-type]
        tkw = {k: torch.as_tensor(v) if k == "sample_weight" else v for k, v in kw.items()}
        b = threshold_sweep(torch.as_tensor(s), torch.as_tensor(t), **tkw)  # type: ignore[arg-type]
        assert isinstance(b.thresholds, torch.Tensor)
        np.testing.assert_array_equal(b.thresholds.numpy(), a.thresholds)
        for k in ("tp", "fp", "fn", "tn"):
            np.testing.assert_allclose(
                getattr(b.counts, k).numpy(), getattr(a.counts, k), rtol=1e-12
            )
    thr, best = best_thresholds(torch.as_tensor(s), torch.as_tensor(t), axis=1)
    thr_np, best_np = best_thresholds(s, t, axis=1)
    np.testing.assert_array_equal(thr.numpy(), thr_np)
    np.testing.assert_array_equal(best.numpy(), best_np)
    jt = jaccard_curve(torch.as_tensor(s), torch.as_tensor(t))[1]
    np.testing.assert_array_equal(jt.numpy(), jaccard_curve(s, t)[1])
    np.testing.assert_array_equal(
        np.asarray(reduce.jaccard(threshold_sweep(s, t).counts, average="none")),
        jaccard_curve(s, t)[1],
    )


def test_bad_input() -> None:
    with pytest.raises(InputError, match=r"threshold_sweep: `target` must contain only 0 and 1"):
        threshold_sweep(np.array([0.1, 0.2]), np.array([0, 2]))
    with pytest.raises(InputError, match=r"`target` must contain only 0 and 1"):
        threshold_sweep(np.array([0.1, 0.2]), np.array([0, 2]), grid=5)
    with pytest.raises(InputError, match=r"`scores` must not contain NaN; got 1 NaN"):
        threshold_sweep(np.array([0.1, np.nan]), np.array([0, 1]))
    with pytest.raises(InputError, match=r"`scores` must not contain NaN"):
        threshold_sweep(np.array([0.1, np.nan]), np.array([0, 1]), grid=3)
    with pytest.raises(InputError, match=r"same shape; got \(2,\) and \(3,\)"):
        threshold_sweep(np.array([0.1, 0.2, 0.3]), np.array([0, 1]))
    with pytest.raises(InputError, match=r"is empty"):
        threshold_sweep(np.zeros(0), np.zeros(0))
    with pytest.raises(ParameterError, match=r"`grid` must be None, an integer >= 2"):
        threshold_sweep(S, T, grid=[0.1, np.nan])
    with pytest.raises(ParameterError, match=r"at least 2; got 1"):
        threshold_sweep(S, T, grid=1)
    with pytest.raises(ParameterError, match=r"`metric` must be one of"):
        best_threshold(S, T, metric="iou")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"`axis` must be an axis"):
        best_thresholds(S, T, axis=3)
    with pytest.raises(InputError, match=r"sample_weight` must have shape \(5,\)"):
        threshold_sweep(S, T, sample_weight=np.ones(2))
