"""numba CPU kernels behind plain functions; numba is imported only when a kernel first runs.

Every threaded kernel takes its thread count from one policy, :mod:`ioukit.kernels._threads`:
``threads = parallel_threads(work, min_work=...)``, then ``run_chunks(kernel, n, threads,
...)`` calls a serial ``nogil`` kernel on ranges of its tasks from that many Python threads
(one call on everything when ``threads`` is 1), or, for the one ``parallel=True`` kernel left,
``on_threads(kernel, threads)`` / ``with numba_threads(threads):`` set numba's own threads.
:func:`num_threads` is the same policy without a work size: numba's thread count capped at the
cores that other processes leave free.
"""

from __future__ import annotations

from ioukit.kernels._threads import num_threads, numba_threads, on_threads, parallel_threads

__all__ = ["num_threads", "numba_threads", "on_threads", "parallel_threads"]
