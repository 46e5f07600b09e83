"""Timing shared by the benchmark scripts (each runs as ``python benchmarks/<name>.py``, so this
module is importable as ``_timing``)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def median_time(fn: Callable[[], Any], repeats: int, *, warmup: bool = True) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, in seconds.

    One untimed call first (compilation, caches, thread pools) unless ``warmup=False``. The
    result of each call is freed after its time is taken, so releasing a large output is not
    part of the measurement.
    """
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        del out
    return statistics.median(times)
