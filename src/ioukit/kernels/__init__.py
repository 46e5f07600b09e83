"""numba CPU kernels behind plain functions; numba is imported only when a kernel first runs.

Every threaded kernel takes its thread count from one policy, :mod:`ioukit.kernels._threads`:
``threads = parallel_threads(work, min_work=...)`` (1: call the serial twin), then
``with numba_threads(threads):`` around the parallel kernel, or ``on_threads(kernel, threads)``
for one kernel (also a parallel kernel without a serial twin, which then runs on one thread).
:func:`num_threads` is the same policy without a work size: numba's thread count capped at the
cores that other processes leave free.
"""

from __future__ import annotations

from ioukit.kernels._threads import num_threads, numba_threads, on_threads, parallel_threads

__all__ = ["num_threads", "numba_threads", "on_threads", "parallel_threads"]
