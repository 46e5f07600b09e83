"""Timing shared by the benchmark scripts (each runs as ``python benchmarks/<name>.py``, so this
module is importable as ``_timing``)."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from typing import Any

#: Short calls are repeated until about this much time is measured: the median of 7 runs of a
#: 0.2 ms call is mostly scheduler noise on a 2-core machine.
MIN_TOTAL_SECONDS = 0.25
MAX_REPEATS = 2000


def median_time(fn: Callable[[], Any], repeats: int, *, warmup: bool = True) -> float:
    """Median wall time of ``fn()`` in seconds, over at least ``repeats`` calls.

    One untimed call first (compilation, caches, thread pools) unless ``warmup=False``; its
    duration also raises the number of calls of short functions (see ``MIN_TOTAL_SECONDS``).
    The result of each call is freed after its time is taken, so releasing a large output is
    not part of the measurement.
    """
    if warmup:
        t0 = time.perf_counter()
        fn()
        first = max(time.perf_counter() - t0, 1e-9)
        repeats = max(repeats, min(MAX_REPEATS, math.ceil(MIN_TOTAL_SECONDS / first)))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        del out
    return statistics.median(times)


def no_options(doc: str | None) -> None:
    """The command line of a benchmark without options: ``--help`` prints its description
    (the module docstring: the workloads and what is compared) and exits."""
    import argparse

    argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
