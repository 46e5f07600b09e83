"""numba CPU kernels behind plain functions; numba is imported only when a kernel first runs.

Every threaded kernel takes its thread count from one policy, :mod:`ioukit.kernels._threads`:
``threads = parallel_threads(work, min_work=...)``, then ``run_chunks(kernel, n, threads,
...)`` calls a serial ``nogil`` kernel on ranges of its tasks from that many Python threads
(one call on everything when ``threads`` is 1), or, for the one ``parallel=True`` kernel left,
``on_threads(kernel, threads)`` / ``with numba_threads(threads):`` set numba's own threads.
:func:`num_threads` is the same policy without a work size: numba's thread count capped at the
cores that other processes leave free.

A fresh environment compiles each kernel on its first call, and numba compiles the
implementation of every NumPy function or builtin a kernel calls once per argument signature
(and per set of compiler flags). So the kernels share a few idioms: allocate with
``np.empty(shape, dtype=...)`` (the dtype always a keyword: a positional one is another
signature) and fill with ``x[:] = v`` (``np.zeros``, ``np.ones`` and ``np.full`` each compile
``np.empty`` again under other flags, and a fill of their own); convert with ``np.int64(x)``,
not ``int(x)``; and pass ``np.int64(0)`` or ``np.bool_(True)``, not a literal, where a callee
would otherwise be compiled once for the literal and again for the variable.
``tests/test_kernel_idioms.py`` checks the first two in the source; ``tests/test_warmup.py``
the third, on a cold cache.

A kernel that calls another compiles the callee's code again inside itself (numba links its
callees in and optimises the whole), on top of the callee's own compilation, and again at
every level above. So where the calls are few (once per image, per object, per growth of a
table), they are made from Python instead: :func:`ioukit.kernels.rle.polygons_to_string` calls
the raster, the union and the string writer in turn, and :mod:`ioukit.kernels.panoptic`
makes, grows and reads its table around one scan kernel. And a thin kernel that only one
kernel calls, but that calls others, is written in its caller: a level fewer (the COCO
bootstrap's slice loop and category plan, the merge sort of ``order_cells``). A leaf helper
gains nothing from it (measured on the sparse boxes' row sort), so it stays a function.
"""

from __future__ import annotations

from ioukit.kernels._threads import num_threads, numba_threads, on_threads, parallel_threads

__all__ = ["num_threads", "numba_threads", "on_threads", "parallel_threads"]
