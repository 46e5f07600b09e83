"""The backend matrix: one test body, every array library. Each public function, run on the
same data in every library, returns an array of that library (and device) equal to NumPy's."""

from __future__ import annotations

from typing import Any

import array_api_compat
import numpy as np
import pytest

import ioukit

RNG = np.random.default_rng(12)
N, C, H, W = 3, 4, 5, 6
MC_TARGET = RNG.integers(0, C, (N, H, W))
MC_TARGET[RNG.random((N, H, W)) < 0.1] = 255
MC_PRED = RNG.integers(0, C, (N, H, W))
MC_SCORES = RNG.random((N, C, H, W))
BIN_TARGET = np.where(MC_TARGET == 255, 255, MC_TARGET % 2)
BIN_PRED = MC_PRED % 2
BIN_SCORES = RNG.random((N, H, W))
ML_TARGET = RNG.integers(0, 2, (N, C, H))
ML_SCORES = RNG.random((N, C, H))
ML_PRED = (ML_SCORES >= 0.5).astype(np.int64)
WEIGHTS = np.array([0.5, 1.0, 2.5])

# name -> (function, array arguments, options); array arguments are converted to each library
CALLS: dict[str, tuple[Any, tuple[Any, ...], dict[str, Any]]] = {
    "binary": (ioukit.binary_jaccard, (BIN_PRED, BIN_TARGET), {"ignore_index": 255}),
    "binary-per-sample": (
        ioukit.binary_jaccard,
        (BIN_PRED, BIN_TARGET),
        {"ignore_index": 255, "per_sample": True},
    ),
    "binary-threshold": (
        ioukit.binary_jaccard,
        (BIN_SCORES, BIN_TARGET),
        {"ignore_index": 255, "threshold": 0.3},
    ),
    "binary-bool": (ioukit.binary_jaccard, (BIN_PRED.astype(bool), (BIN_TARGET == 1)), {}),
    "binary-weights": (
        ioukit.binary_jaccard,
        (BIN_PRED, BIN_TARGET),
        {"ignore_index": 255, "sample_weight": WEIGHTS},
    ),
    "confusion-matrix": (
        ioukit.multiclass_confusion_matrix,
        (MC_PRED, MC_TARGET),
        {"num_classes": C, "ignore_index": 255},
    ),
    "confusion-matrix-weights": (
        ioukit.multiclass_confusion_matrix,
        (MC_PRED, MC_TARGET),
        {"num_classes": C, "ignore_index": 255, "sample_weight": WEIGHTS},
    ),
    **{
        f"multiclass-{avg}": (
            ioukit.multiclass_jaccard,
            (MC_PRED, MC_TARGET),
            {"num_classes": C, "ignore_index": (0, 255), "average": avg},
        )
        for avg in ("micro", "macro", "weighted", "samples", "none")
    },
    "multiclass-uint8": (
        ioukit.multiclass_jaccard,
        (MC_PRED.astype(np.uint8), MC_TARGET.astype(np.uint8)),
        {"num_classes": C, "ignore_index": 255, "average": "none"},
    ),
    "multiclass-class-axis": (
        ioukit.multiclass_jaccard,
        (MC_SCORES, MC_TARGET),
        {"num_classes": C, "ignore_index": 255, "class_axis": 1, "average": "none"},
    ),
    "multiclass-samples-weights": (
        ioukit.multiclass_jaccard,
        (MC_PRED, MC_TARGET),
        {"num_classes": C, "ignore_index": 255, "average": "samples", "sample_weight": WEIGHTS},
    ),
    **{
        f"multilabel-{avg}": (
            ioukit.multilabel_jaccard,
            (ML_PRED, ML_TARGET),
            {"average": avg, "zero_division": 1.0},
        )
        for avg in ("micro", "macro", "weighted", "samples", "none")
    },
    "multilabel-threshold-weights": (
        ioukit.multilabel_jaccard,
        (ML_SCORES, ML_TARGET),
        {"threshold": 0.5, "average": "samples", "sample_weight": WEIGHTS},
    ),
}


def _convert(xp: Any, options: dict[str, Any]) -> dict[str, Any]:
    return {k: xp.asarray(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}


@pytest.mark.parametrize("name", list(CALLS))
def test_same_result_in_every_library(xp, name):
    func, arrays, options = CALLS[name]
    want = np.asarray(func(*arrays, **options))
    inputs = [xp.asarray(a) for a in arrays]
    got = func(*inputs, **_convert(xp, options))
    xp.check(got, like=inputs[1])
    assert tuple(got.shape) == want.shape
    np.testing.assert_allclose(xp.to_numpy(got), want, rtol=1e-12, atol=0)


SCORES = [
    ioukit.jaccard,
    ioukit.dice,
    ioukit.precision,
    ioukit.recall,
    ioukit.specificity,
    ioukit.accuracy,
]


@pytest.mark.parametrize("counting", ["binary", "multiclass", "multilabel"])
def test_counts_and_scores_in_every_library(xp, counting):
    if counting == "binary":
        args, kw = (BIN_PRED, BIN_TARGET), {"ignore_index": 255}
        count: Any = ioukit.binary_counts
    elif counting == "multiclass":
        args, kw = (MC_PRED, MC_TARGET), {"ignore_index": (1, 255), "num_classes": C}
        count = ioukit.multiclass_counts
    else:
        args, kw = (ML_PRED, ML_TARGET), {}
        count = ioukit.multilabel_counts
    for per_sample in (False, True):
        ref = count(*args, per_sample=per_sample, **kw)
        got = count(*(xp.asarray(a) for a in args), per_sample=per_sample, **kw)
        assert got.ignored_classes == ref.ignored_classes
        for field in ("tp", "fp", "fn", "tn"):
            a = getattr(got, field)
            xp.check(a, like=xp.asarray(args[1]))
            assert xp.to_numpy(a).dtype == np.int64
            np.testing.assert_array_equal(xp.to_numpy(a), getattr(ref, field))
        averages = ["samples", "none"] if per_sample else ["micro", "macro", "weighted", "none"]
        for score in SCORES:
            for avg in averages:
                s = score(got, average=avg)
                xp.check(s, like=got.tp)
                np.testing.assert_allclose(xp.to_numpy(s), score(ref, average=avg), rtol=1e-12)
        # merging stays in the library too
        merged = got + got
        xp.check(merged.tp, like=got.tp)
        np.testing.assert_array_equal(xp.to_numpy(merged.total().tp), 2 * ref.total().tp)


def test_namespace_helper_sees_the_input_library(xp):
    # a guard for the check above: the namespaces of different libraries really differ
    x = xp.asarray([1, 0])
    ns = array_api_compat.array_namespace(x)
    if xp.is_numpy:
        assert array_api_compat.is_numpy_namespace(ns)
    else:
        assert not array_api_compat.is_numpy_namespace(ns)
