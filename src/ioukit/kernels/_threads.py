"""How many threads a parallel kernel runs on: the one policy of every threaded numba kernel.

A parallel region ends when its slowest thread does. When another process keeps a core busy,
the thread that shares that core gets a time slice now and then, and the region waits for it
(while OpenMP's idle threads spin): on 2 cores beside one busy process,
``rotated_box_iou_aligned`` on 10k pairs took 13 ms on 2 threads and 2 ms on one. Threads pay
off on cores that are free, and only above a work size where waking them costs less than it
saves. So every call site asks :func:`parallel_threads` once per call, and runs the kernel on
that many threads. Most kernels are one serial ``nogil`` numba function over a range of tasks,
which :func:`run_chunks` calls on a few Python threads (it compiles like a serial kernel: a
``parallel=True`` twin costs seconds to compile in a fresh environment, once per
environment); the one ``parallel=True`` kernel left (the chunked read of a JSON array above
1 MiB) uses numba's own threads (:func:`numba_threads` sets numba's
thread-local count for a block, :func:`on_threads` for each call of one kernel)::

    threads = parallel_threads(work, min_work=_PARALLEL_MIN)
    run_chunks(kernel_range, n_tasks, threads, *args)   # kernel_range(*args, lo, hi)
    # a parallel=True kernel: on one thread below min_work or when busy
    on_threads(kernel_parallel, threads)(*args)

The rule (:func:`choose_threads`, a pure function)::

    1                                                   if work < min_work
    min(numba threads, usable cores, online cores - busy), at least 1, otherwise

* numba threads: ``numba.get_num_threads()``, thread-local (``numba.set_num_threads``,
  ``NUMBA_NUM_THREADS``; 1 in the worker processes of ioukit's process pool);
* usable cores: ``os.sched_getaffinity(0)`` where it exists, else ``os.cpu_count()``;
* busy: threads of *other* processes that are runnable right now. On Linux, the 4th field of
  ``/proc/loadavg`` (``running/total`` scheduling entities, system wide) minus this process's
  own running threads (``/proc/self/task/*/stat``, read only when the first number says that
  anything besides the caller runs): after a parallel region, OpenMP's (and numba's) idle
  workers spin for milliseconds and would otherwise look like a busy machine. The largest
  reading of the last ``_HOLD`` seconds counts (:func:`hold`), so that a competitor running
  in bursts is not missed between them; ``/proc`` is read at most every ``_PROBE_TTL``
  seconds. Where ``/proc/loadavg`` does not exist (macOS, Windows) busy is unknown and no cap
  applies.

Errors lean to the serial side, which costs at most the speed-up; a competitor that starts
within a call (or within ``_PROBE_TTL`` of a reading) can still slow that call.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, ParamSpec, TypeVar

__all__ = [
    "busy_threads",
    "choose_threads",
    "force_threads",
    "hold",
    "num_threads",
    "numba_threads",
    "on_threads",
    "parallel_threads",
    "run_chunks",
]

_P = ParamSpec("_P")
_T = TypeVar("_T")

#: Seconds during which one reading of the busy threads is reused (a loop of tiny calls reads
#: ``/proc`` at most once per this interval).
_PROBE_TTL = 0.005
#: Seconds a busy count stands unless a larger one is read: a competitor that runs in bursts
#: (a data loader between batches) counts as busy between its bursts too.
_HOLD = 0.25
#: Seconds between a reading that finds a competitor and the reading that confirms it.
_CONFIRM = 0.0005
_LOADAVG = "/proc/loadavg"
_TASKS = "/proc/self/task"
# (time of the last reading, time of the held count, held count); replaced as a whole
_probe: tuple[float, float, int | None] = (-math.inf, -math.inf, None)
# (time, count) of the last competitor count confirmed by :func:`_others_running`
_confirmed: tuple[float, int] = (-math.inf, 0)
# threads of every call at or above its min_work, whatever the machine (:func:`force_threads`)
_forced: int | None = None


def choose_threads(
    work: int, *, min_work: int, configured: int, usable: int, online: int, busy: int | None
) -> int:
    """Threads for ``work`` items: 1 (run the serial kernel) below ``min_work``, otherwise
    ``min(configured, usable, online - busy)`` and at least 1 (``busy=None``: unknown, no cap).

    >>> choose_threads(10, min_work=100, configured=8, usable=8, online=8, busy=0)
    1
    >>> choose_threads(1000, min_work=100, configured=8, usable=8, online=8, busy=3)
    5
    >>> choose_threads(1000, min_work=100, configured=2, usable=2, online=2, busy=1)
    1
    """
    if work < min_work:
        return 1
    threads = min(configured, usable)
    if busy is not None:
        threads = min(threads, online - busy)
    return max(threads, 1)


def _read(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 4096)
    finally:
        os.close(fd)


def _own_running() -> int:
    """Threads of this process in state R (running or runnable), the caller included."""
    running = 0
    for tid in os.listdir(_TASKS):
        try:
            stat = _read(f"{_TASKS}/{tid}/stat")
        except OSError:  # the thread ended meanwhile
            continue
        # "tid (comm) S ...": the state follows the last parenthesis (comm may hold any byte)
        state = stat.rfind(b")") + 2
        running += stat[state : state + 1] == b"R"
    return running


def _runnable() -> int:
    return int(_read(_LOADAVG).split()[3].split(b"/")[0])


def _others_running() -> int:
    """Threads of other processes in state R, counted one by one (about 1 ms: only to
    confirm what ``/proc/loadavg`` suggests)."""
    me = str(os.getpid())
    running = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:  # the process ended meanwhile, or is not ours to see
            continue
        for tid in tids:
            try:
                stat = _read(f"/proc/{pid}/task/{tid}/stat")
            except OSError:
                continue
            state = stat.rfind(b")") + 2
            running += stat[state : state + 1] == b"R"
    return running


def busy_threads() -> int | None:
    """Runnable threads of other processes right now (Linux), or ``None`` where unknown.

    ``/proc/loadavg`` counts every runnable thread, ours included, which are subtracted. That
    one reading often sees a competitor that is not there: OpenMP's workers spin for a few
    milliseconds after a parallel region and then sleep, and one that changes state between
    the two reads looks like another process's thread; kernel threads run for microseconds
    now and then. Held for ``_HOLD`` seconds, such a reading would run the next calls on one
    thread for nothing (seen: a COCO evaluation in 0.49 s or 0.65 s by the luck of it). So a
    reading that finds a competitor is confirmed by counting other processes' runnable
    threads directly, twice, ``_CONFIRM`` seconds apart: a competitor that keeps a core busy
    is runnable in both. The smallest count stands, and while it holds, readings up to it
    need no new confirmation."""
    global _confirmed
    try:
        runnable = _runnable()
        if runnable <= 1:  # only the caller
            return 0
        busy = runnable - _own_running()
        if busy <= 0:
            return 0
        now = time.monotonic()
        if busy <= _confirmed[1] and now - _confirmed[0] <= _HOLD:
            return busy
        first = _others_running()
        if first:
            time.sleep(_CONFIRM)
        busy = min(busy, first, _others_running() if first else 0)
        _confirmed = (now, busy)
        return busy
    except (OSError, ValueError, IndexError):
        return None


def hold(
    reading: int | None, now: float, held: int | None, held_at: float
) -> tuple[int | None, float]:
    """The busy count to act on and its time: the largest reading of the last ``_HOLD``
    seconds (a reading replaces the held count when it is larger or the held one is older).

    >>> hold(0, 10.0, 1, 9.9)  # a competitor seen 0.1 s ago still counts
    (1, 9.9)
    >>> hold(0, 10.0, 1, 9.5)
    (0, 10.0)
    """
    if reading is None or held is None or reading >= held or now - held_at > _HOLD:
        return reading, now
    return held, held_at


def _busy_now() -> int | None:
    """:func:`busy_threads` through :func:`hold`, read at most every ``_PROBE_TTL`` seconds."""
    global _probe
    now = time.monotonic()
    read_at, held_at, held = _probe
    if now - read_at > _PROBE_TTL:
        held, held_at = hold(busy_threads(), now, held, held_at)
        _probe = (now, held_at, held)
    return held


@cache
def _online_cores() -> int:
    return os.cpu_count() or 1  # reads /sys on every call (3 µs): kept


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):  # may change at run time (taskset): read each time
        return len(os.sched_getaffinity(0))
    return _online_cores()


def parallel_threads(work: int, *, min_work: int) -> int:
    """Threads a parallel kernel should run on for ``work`` items (see the module docstring).

    1 means: call the serial kernel. Below ``min_work`` nothing is read (no numba import,
    no ``/proc``).
    """
    if work < min_work:
        return 1
    if _forced is not None:
        return _forced
    import numba

    configured = int(numba.get_num_threads())
    if configured < 2:  # numba.set_num_threads(1), worker processes: nothing to read
        return 1
    return choose_threads(
        work,
        min_work=min_work,
        configured=configured,
        usable=_usable_cores(),
        online=_online_cores(),
        busy=_busy_now(),
    )


def force_threads(threads: int | None) -> None:
    """Answer ``threads`` from :func:`parallel_threads` for all work at or above ``min_work``
    from now on in this process (``None``: the rule again). For ``ioukit warmup``, which must
    compile the threaded kernels even on a busy machine or in a one-thread worker process.

    >>> force_threads(2); parallel_threads(10, min_work=100), parallel_threads(100, min_work=100)
    (1, 2)
    >>> force_threads(None)
    """
    global _forced
    _forced = threads


def num_threads() -> int:
    """Threads a parallel kernel may use now, whatever its size: numba's thread count capped
    at the cores that other processes leave free (imports numba)."""
    return parallel_threads(1, min_work=1)


@contextmanager
def numba_threads(threads: int) -> Iterator[None]:
    """Run numba's parallel regions of the calling thread on ``threads`` threads inside the
    block (``numba.set_num_threads``, thread-local), then restore the previous count, also
    when the block raises."""
    import numba

    previous = int(numba.get_num_threads())
    if threads == previous:
        yield
        return
    numba.set_num_threads(threads)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def on_threads(kernel: Callable[_P, _T], threads: int) -> Callable[_P, _T]:
    """``kernel`` made to run on ``threads`` threads: each call inside :func:`numba_threads`.

    For a parallel kernel without a serial twin, or a threaded kernel chosen in an
    expression: ``on_threads(k.pairwise, parallel_threads(n * m, min_work=...))(...)``.
    """

    def run(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        with numba_threads(threads):
            return kernel(*args, **kwargs)

    return run


# the threads that run_chunks lends work to; made at first use, dropped in a fork() child
_pool: Any = None


def _drop_pool() -> None:
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_pool)


def _shared_pool() -> Any:
    global _pool
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _pool = ThreadPoolExecutor(max(_online_cores() - 1, 1), thread_name_prefix="ioukit")
    return _pool


def run_chunks(
    kernel: Callable[..., Any], n: int, threads: int, *args: Any, pieces: int | None = None
) -> list[Any]:
    """Call ``kernel(*args, lo, hi)`` on consecutive ranges that cover ``0 .. n``; return what
    the calls returned, in range order.

    This is how every threaded kernel runs: a serial numba kernel compiled with ``nogil=True``
    runs on several cores when a few Python threads call it on disjoint ranges. It compiles like
    a serial kernel (a ``parallel=True`` twin costs seconds to compile in a fresh environment)
    and the serial path is the same compiled function, called once on everything. With
    ``threads`` 1 (or ``n`` ≤ 1): one call, ``kernel(*args, 0, n)``, on this thread. Otherwise
    ``pieces`` ranges (default ``4 * threads``, which evens out uneven work; ``threads`` gives
    numba's static ``prange`` schedule, one range per thread), taken in turn by this thread and
    ``threads - 1`` threads of a shared pool. Each range must write its own part of the outputs,
    so the result does not depend on which thread ran which range. ``threads`` comes from
    :func:`parallel_threads`, the one policy.

    >>> import numpy as np
    >>> out = np.zeros(10, dtype=np.int64)
    >>> def fill(out, lo, hi):
    ...     out[lo:hi] = np.arange(lo, hi)
    ...     return hi - lo
    >>> run_chunks(fill, 10, 3, out), out.tolist()
    ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    >>> run_chunks(fill, 10, 3, out, pieces=3), run_chunks(fill, 10, 1, out)
    ([3, 3, 4], [10])
    """
    if threads <= 1 or n <= 1:
        return [kernel(*args, 0, n)]
    k = min(n, 4 * threads if pieces is None else max(pieces, 1))
    cuts = [n * c // k for c in range(k + 1)]
    results: list[Any] = [None] * k
    counter = itertools.count()  # next() is atomic: each range is taken once

    def work() -> None:
        c = next(counter)
        while c < k:
            results[c] = kernel(*args, cuts[c], cuts[c + 1])
            c = next(counter)

    pool = _shared_pool()
    helpers = [pool.submit(work) for _ in range(threads - 1)]
    try:
        work()
    finally:
        for helper in helpers:
            helper.result()
    return results
