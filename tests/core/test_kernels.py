"""Every dispatch branch of the confusion-counting kernels against a plain NumPy oracle.

Branches: the uint8 word kernel (8 pixels per step; uniform words add 8 at once), the
table-driven kernel (any integer dtype, threaded or serial), and the general kernel (negative
ignore values). Each is checked on uniform blocks, noise, ignored and out-of-range values.
"""

from __future__ import annotations

import numpy as np
import pytest

import ioukit
from ioukit import InputError
from ioukit.kernels import counting

C = 5
BIG = (2, 512, 1024)  # 2**20 elements: the threaded kernels


def oracle(pred: np.ndarray, target: np.ndarray, ignore: tuple[int, ...]) -> np.ndarray:
    keep = ~np.isin(target, ignore)
    t = target[keep].astype(np.int64)
    p = pred[keep].astype(np.int64)
    return np.bincount(t * C + p, minlength=C * C).reshape(C, C)


def data(shape: tuple[int, ...], dtype: str, ignore: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    runs = rng.integers(0, C, (*shape[:-1], -(-shape[-1] // 16)))
    target = np.repeat(runs, 16, axis=-1)[..., : shape[-1]]  # runs of 16 equal labels
    pred = target.copy()
    noise = rng.random(shape) < 0.1  # scattered errors break some 8-pixel words
    pred[noise] = rng.integers(0, C, int(noise.sum()))
    target[rng.random(shape) < 0.05] = ignore
    target[..., :24] = ignore  # whole ignored words
    return pred.astype(dtype), target.astype(dtype)


@pytest.mark.parametrize("shape", [BIG, (3, 40, 56), (2, 7, 9)])
@pytest.mark.parametrize(
    ("dtype", "ignore"),
    [("uint8", 255), ("uint16", 255), ("int32", 255), ("int64", 255), ("int16", -1), ("int64", 0)],
)
def test_kernels_match_oracle(shape, dtype, ignore) -> None:
    pred, target = data(shape, dtype, ignore, seed=len(shape) + shape[-1])
    expected = oracle(pred, target, (ignore,))
    got = ioukit.multiclass_confusion_matrix(pred, target, num_classes=C, ignore_index=ignore)
    np.testing.assert_array_equal(got, expected)
    stack = ioukit.multiclass_confusion_matrix(
        pred, target, num_classes=C, ignore_index=ignore, per_sample=True
    )
    for i in range(shape[0]):
        np.testing.assert_array_equal(stack[i], oracle(pred[i], target[i], (ignore,)))


def test_table_lookup_is_used_for_uint8_words() -> None:
    assert counting._tables(C, (255,)) is not None
    assert counting._tables(C, (-1,)) is None  # negative ignore values: general kernel


@pytest.mark.parametrize("shape", [BIG, (2, 6, 16)])
def test_out_of_range_found_in_uniform_words(shape) -> None:
    pred, target = data(shape, "uint8", 255, seed=3)
    target[0, 2, :16] = 1
    pred[0, 2, :16] = 200  # two whole words of an out-of-range prediction
    with pytest.raises(InputError, match=r"`pred` has 16 label\(s\) outside \[0, 5\)"):
        ioukit.multiclass_confusion_matrix(pred, target, num_classes=C, ignore_index=255)
    pred, target = data(shape, "uint8", 255, seed=3)
    target[1, 3, 8:16] = 9  # one whole word of an out-of-range target
    with pytest.raises(InputError, match=r"`target` has 8 label\(s\) outside \[0, 5\)"):
        ioukit.multiclass_confusion_matrix(pred, target, num_classes=C, ignore_index=255)


def test_predictions_under_ignored_targets_never_count() -> None:
    pred, target = data(BIG, "uint8", 255, seed=4)
    pred[target == 255] = 250  # garbage where the target is void: fine
    got = ioukit.multiclass_confusion_matrix(pred, target, num_classes=C, ignore_index=255)
    np.testing.assert_array_equal(got, oracle(pred, target, (255,)))
