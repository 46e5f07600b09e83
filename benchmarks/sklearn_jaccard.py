"""ioukit.sklearn.jaccard_score against sklearn.metrics.jaccard_score on large inputs.

Run ``python benchmarks/sklearn_jaccard.py [--repeats N]``. Every case uses seeded random
data, times both functions in this process (median of the repeats, after one untimed warm-up
call that also compiles ioukit's numba kernels) and checks that the two results are
bit-identical. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

try:
    from sklearn.metrics import jaccard_score as sk_jaccard
except ImportError as exc:  # pragma: no cover - depends on the environment
    message = "this benchmark compares against scikit-learn: pip install scikit-learn"
    raise SystemExit(message) from exc

from ioukit.sklearn import jaccard_score as ik_jaccard


def _cases(rng: np.random.Generator) -> list[tuple[str, tuple[Any, Any], dict[str, Any]]]:
    n = 10_000_000
    binary = (rng.integers(0, 2, n), rng.integers(0, 2, n))
    target = rng.integers(0, 19, n)
    multiclass = (target, np.where(rng.random(n) < 0.7, target, rng.integers(0, 19, n)))
    shape = (1_000_000, 20)
    multilabel = (rng.integers(0, 2, shape), rng.integers(0, 2, shape))
    return [
        ("binary, 10M int labels", binary, {}),
        ("multiclass, 10M, 19 classes, macro", multiclass, {"average": "macro"}),
        ("multilabel, 1M x 20, macro", multilabel, {"average": "macro"}),
        ("multilabel, 1M x 20, samples", multilabel, {"average": "samples"}),
    ]


def _call(func: Callable[..., Any], y_true: Any, y_pred: Any, kwargs: dict[str, Any]) -> Any:
    return lambda: func(y_true, y_pred, **kwargs)


def _median_time(func: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    result = func()  # warm-up (and, for ioukit, numba compilation)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _identical(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per function")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print("| case | sklearn (s) | ioukit (s) | speed-up | identical |")
    print("|---|---:|---:|---:|:---:|")
    for name, (y_true, y_pred), kwargs in _cases(rng):
        t_sk, r_sk = _median_time(_call(sk_jaccard, y_true, y_pred, kwargs), args.repeats)
        t_ik, r_ik = _median_time(_call(ik_jaccard, y_true, y_pred, kwargs), args.repeats)
        same = _identical(r_sk, r_ik)
        print(f"| {name} | {t_sk:.3f} | {t_ik:.4f} | {t_sk / t_ik:.0f}x | {same} |", flush=True)


if __name__ == "__main__":
    main()
