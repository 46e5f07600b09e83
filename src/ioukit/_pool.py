"""The local executors of :func:`ioukit.evaluate_folder` (a process pool, and a serial one that
runs in this process) and the Ctrl-C guard of a run. Public through :mod:`ioukit.evaluate`.

The pool is a few worker processes, each with a private pipe to this process: a task goes down
the pipe of an idle worker, its result comes back up the same pipe. No threads, no queues shared
between processes, no locks, so stopping is always possible: a worker that must stop is
terminated (it ignores Ctrl-C, which is this process's to handle), and every wait for a worker
has a deadline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator
from numbers import Integral
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from ioukit._errors import IoUKitError, ParameterError

if TYPE_CHECKING:  # multiprocessing is imported when a pool is made, not by `import ioukit`
    from multiprocessing.connection import Connection

__all__ = ["ProcessPool", "SerialExecutor"]

T = TypeVar("T")
R = TypeVar("R")


@runtime_checkable
class Executor(Protocol):
    """Where :func:`evaluate_folder` runs its tasks: the interface of an engine.

    Implemented here by :class:`ProcessPool` (local worker processes, the default) and
    :class:`SerialExecutor` (this process, ``workers=1``), and by
    :class:`~ioukit.evaluate.DaskExecutor` (a Dask cluster); any other engine plugs in by
    implementing the same two members.

    The contract:

    * ``max_workers``: how many tasks run at once; tasks are sized from it.
    * ``map_unordered(fn, tasks)``: an iterator of ``fn(task)`` for every task, each exactly
      once, in any order (the engine puts them back in order). ``fn`` is picklable (a
      :func:`functools.partial` of a module-level function) and so is each task; a task holds
      file paths and its result holds counts, a few kilobytes. ``tasks`` is consumed lazily:
      take a task when a worker is free, keep few in flight. An exception in ``fn`` is raised
      by the iterator.
    * Stopping: the engine calls ``close()`` on the iterator when it stops early (an error,
      Ctrl-C), and Ctrl-C may raise ``KeyboardInterrupt`` inside the iterator at any point
      while it waits. Either way the executor must drop the remaining tasks and return within
      a few seconds, never wait without a deadline (a generator's ``finally`` is the place).
      An executor that computes the tasks in the calling thread sets an attribute
      ``in_process = True``: Ctrl-C then waits for the end of the task instead.
    * Ownership: the engine never closes an executor it is given; the caller does (the local
      executors are context managers and can be reused).
    * Optional, for a cluster: ``partition_bytes`` (tasks sized by the bytes of their files,
      ``None`` for automatic: :func:`ioukit._run.partition`), and ``map_split(fn, tasks)``
      with ``accumulator()``: results whose last element (a task's partial sum) stays where it
      was computed, summed there by the accumulator (:class:`~ioukit._dask.TreeSum`).

    Examples
    --------
    A minimal executor on the threads of this process:

    >>> from concurrent.futures import ThreadPoolExecutor
    >>> class Threads:
    ...     max_workers = 2
    ...     def map_unordered(self, fn, tasks):
    ...         pool = ThreadPoolExecutor(self.max_workers)
    ...         try:
    ...             yield from pool.map(fn, tasks)
    ...         finally:  # stopped early: drop what has not started
    ...             pool.shutdown(wait=False, cancel_futures=True)
    >>> isinstance(Threads(), Executor)
    True
    >>> sorted(Threads().map_unordered(abs, [-1, 2, -3]))
    [1, 2, 3]
    """

    @property
    def max_workers(self) -> int: ...

    def map_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]: ...


# runtimes that keep threads of their own, whose state a fork() child would inherit half-way
_THREADED_RUNTIMES = ("jax", "torch", "tensorflow", "cupy")
_PREFETCH = 2  # tasks queued per worker: it starts the next one as soon as it sends a result
# the largest task sent ahead of a worker's current one: a larger one waits until the worker is
# idle, else this process and the worker could both block in send (a task and a result each
# larger than the pipe's buffer)
_AHEAD_BYTES = 16 << 10
_NO_TASK = object()
_STOP_SECONDS = 2.0  # how long terminated workers get to exit before they are killed


def _start_method() -> str | None:
    """How worker processes start: ``fork`` on Linux, cheap (workers inherit the loaded
    libraries and compiled kernels), unless a runtime with threads of its own is loaded in this
    process (a notebook, say): then ``forkserver``, whose workers start from a clean process.
    Elsewhere the platform's default (spawn)."""
    if sys.platform != "linux":
        return None
    if any(name in sys.modules for name in _THREADED_RUNTIMES) or _openmp_started():
        return "forkserver"
    return "fork"


def _openmp_started() -> bool:
    """Whether numba's parallel kernels have run on GNU OpenMP in this process: a fork()
    child of such a process dies in its first parallel region."""
    if "numba" not in sys.modules:
        return False
    import numba

    try:
        return bool(numba.threading_layer() == "omp")  # type: ignore[attr-defined]
    except ValueError:  # no parallel kernel has run yet
        return False


def one_thread() -> None:
    """numba's parallel kernels on one thread in this process (a worker: one core)."""
    if "numba" in sys.modules:
        import numba

        if numba.get_num_threads() != 1:
            numba.set_num_threads(1)
    else:
        os.environ["NUMBA_NUM_THREADS"] = "1"


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def check_workers(func: str, workers: object) -> int | None:
    if workers is None:
        return None
    if isinstance(workers, bool) or not isinstance(workers, Integral) or workers < 1:
        raise ParameterError(f"{func}: `workers` must be a positive integer; got {workers!r}.")
    return int(workers)


def check_run_options(func: str, workers: object, executor: object, progress: object) -> None:
    """The options of a run of an engine (:func:`run_ordered`): ``workers`` (None or a positive
    integer), ``executor`` (None or an :class:`Executor`, not with ``workers``) and
    ``progress`` (None or a callable)."""
    check_workers(func, workers)
    if executor is not None and workers is not None:
        raise ParameterError(f"{func}: give `workers` or `executor`, not both.")
    if executor is not None and not isinstance(executor, Executor):
        raise ParameterError(
            f"{func}: `executor` must have `max_workers` and `map_unordered(fn, tasks)` (see "
            f"ioukit.evaluate.Executor); got {type(executor).__name__}."
        )
    if progress is not None and not callable(progress):
        raise ParameterError(f"{func}: `progress` must be callable; got {progress!r}.")


# -- worker side -------------------------------------------------------------------------------


def _worker(conn: Connection, parent: int) -> None:
    """A worker's life: run the tasks that come down ``conn`` until told to stop (``None``), or
    until the parent process is gone."""
    # Ctrl-C is the parent's to handle: it stops the workers and saves the checkpoint. SIGINT was
    # blocked while this process started, so no Ctrl-C can slip in before this line.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    one_thread()  # one thread per process: the pool already uses every core
    while True:
        try:
            while not conn.poll(1.0):
                if os.getppid() != parent:  # orphaned: the parent was killed
                    return
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        fn, arg = task
        try:
            reply: tuple[bool, Any] = (True, fn(arg))
        except Exception as exc:
            reply = (False, (exc, traceback.format_exc()))
        try:
            try:
                conn.send(reply)
            except Exception:  # an exception that cannot be pickled: send its text
                error, text = reply[1]
                conn.send((False, (RuntimeError(f"{type(error).__name__}: {error}"), text)))
        except OSError:  # the parent is gone
            return


# -- the executors -----------------------------------------------------------------------------


class SerialExecutor:
    """Runs each task in this process, one after the other (``workers=1``).

    Examples
    --------
    >>> with SerialExecutor() as ex:
    ...     sorted(ex.map_unordered(abs, [-2, 1, -3]))
    [1, 2, 3]
    """

    max_workers = 1
    in_process = True  # Ctrl-C waits for the end of a task, never interrupts it

    def map_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """``fn(task)`` of each task, in order."""
        for task in tasks:
            yield fn(task)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProcessPool:
    """A pool of local worker processes for :func:`ioukit.evaluate_folder`.

    The workers start at the first :meth:`map_unordered` (so that the engine can load its
    kernels first, and forked workers inherit them) and are reused by later calls until
    :meth:`close` (or the end of a ``with`` block). Each worker ignores Ctrl-C and counts with
    one thread. When a map is abandoned (Ctrl-C, an error, the iterator closed early), its
    workers are terminated at once, waited for at most a few seconds, and started afresh by
    the next map.

    Parameters
    ----------
    workers : int, optional
        Worker processes; default: the cores this process may use.
    start_method : {"fork", "forkserver", "spawn"}, optional
        How workers start. Default: ``fork`` on Linux, or ``forkserver`` when a runtime with
        threads of its own (PyTorch, JAX, TensorFlow, CuPy) is loaded; the platform's default
        elsewhere.

    Examples
    --------
    >>> with ProcessPool(2) as pool:
    ...     sorted(pool.map_unordered(abs, [-2, 1, -3]))
    [1, 2, 3]
    """

    def __init__(self, workers: int | None = None, *, start_method: str | None = None) -> None:
        n = check_workers("ProcessPool", workers)
        self.max_workers: int = default_workers() if n is None else n
        import multiprocessing

        methods = multiprocessing.get_all_start_methods()
        if start_method is not None and start_method not in methods:
            raise ParameterError(
                f"ProcessPool: `start_method` must be one of {methods}; got {start_method!r}."
            )
        self.start_method: str | None = start_method or _start_method()
        self.in_process = False  # this process only waits: Ctrl-C may interrupt the wait
        self._procs: list[Any] = []
        self._conns: list[Connection] = []
        self._busy = False

    # -- life cycle ----------------------------------------------------------------------------
    def _start(self) -> None:
        method = self.start_method
        import multiprocessing

        ctx = multiprocessing.get_context(method)
        if method == "forkserver":  # imported once in the server, inherited by each worker
            ctx.set_forkserver_preload(["numpy", "PIL.Image", "ioukit.io", "ioukit._folder"])
        # a worker starts with SIGINT blocked (the mask is inherited), until it ignores SIGINT
        mask = hasattr(signal, "pthread_sigmask")
        if mask:
            old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            with warnings.catch_warnings():
                # Python >= 3.12 warns about fork() in a process with threads (NumPy's BLAS and
                # numba keep idle pools). The workers only decode images and run
                # single-threaded kernels, and use no lock of those pools.
                warnings.filterwarnings(
                    "ignore", "This process .* is multi-threaded", DeprecationWarning
                )
                for i in range(self.max_workers):
                    ours, theirs = ctx.Pipe()
                    proc = ctx.Process(  # type: ignore[attr-defined]
                        target=_worker,
                        args=(theirs, os.getpid()),
                        name=f"ioukit-worker-{i}",
                        daemon=True,
                    )
                    proc.start()
                    theirs.close()
                    self._procs.append(proc)
                    self._conns.append(ours)
        finally:
            if mask:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def _terminate(self) -> None:
        """Stop every worker now: SIGTERM, a bounded wait, then SIGKILL."""
        procs, conns = self._procs, self._conns
        self._procs, self._conns = [], []
        for proc in procs:
            if proc.exitcode is None:
                proc.terminate()
        deadline = time.monotonic() + _STOP_SECONDS
        for proc in procs:
            proc.join(max(0.0, deadline - time.monotonic()))
        for proc in procs:
            if proc.exitcode is None:
                proc.kill()
                proc.join(1.0)
        for conn in conns:
            conn.close()

    def close(self) -> None:
        """Stop the workers: each finishes its task and exits (terminated after a few
        seconds)."""
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.send(None)
        deadline = time.monotonic() + 5.0
        for proc in self._procs:
            proc.join(max(0.0, deadline - time.monotonic()))
        self._terminate()

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:  # Ctrl-C or an error: no waiting for tasks nobody needs
            self._terminate()

    # -- mapping -------------------------------------------------------------------------------
    def map_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """``fn(task)`` of each task, computed in the workers, yielded as they finish.

        ``fn`` and the tasks must be picklable (``fn`` a module-level function or a
        :func:`functools.partial` of one). Tasks are taken from ``tasks`` as workers free up,
        at most two per worker ahead. An exception in ``fn`` is raised here, with the worker's
        traceback as its cause. Closing the iterator early terminates the workers.
        """
        if self._busy:
            raise IoUKitError("ProcessPool.map_unordered: the pool is already running a map.")
        return self._map(fn, iter(tasks))

    def _map(self, fn: Callable[[T], R], tasks: Iterator[T]) -> Iterator[R]:
        from multiprocessing.connection import wait
        from multiprocessing.reduction import ForkingPickler

        self._busy = True
        finished = False
        try:
            if not self._procs:
                self._start()
            queued = dict.fromkeys(self._conns, 0)
            owner = dict(zip(self._conns, self._procs, strict=True))

            held: dict[Connection, bytes] = {}  # a large task, until its worker is idle

            def feed(conn: Connection) -> bool:
                """Send ``conn`` its next task; False when none was sent."""
                data = held.pop(conn, None)
                if data is None:
                    task = next(tasks, _NO_TASK)
                    if task is _NO_TASK:
                        return False
                    data = bytes(ForkingPickler.dumps((fn, task)))
                if queued[conn] and len(data) > _AHEAD_BYTES:
                    held[conn] = data
                    return False
                try:
                    conn.send_bytes(data)
                except OSError:
                    raise _died(owner[conn]) from None
                queued[conn] += 1
                return True

            for conn in self._conns:
                while queued[conn] < _PREFETCH and feed(conn):
                    pass
            while any(queued.values()):
                busy = [c for c, n in queued.items() if n]
                ready = wait([*busy, *(owner[c].sentinel for c in busy)])
                for conn in busy:
                    if conn not in ready:
                        continue
                    try:
                        ok, value = conn.recv()
                    except (EOFError, OSError):
                        raise _died(owner[conn]) from None
                    queued[conn] -= 1
                    if not ok:
                        error, text = value
                        raise error from _WorkerTraceback(f"in {owner[conn].name}:\n{text}")
                    while queued[conn] < _PREFETCH and feed(conn):
                        pass
                    yield value
                for conn in busy:
                    if owner[conn].sentinel in ready:
                        raise _died(owner[conn])
            finished = True
        finally:
            self._busy = False
            if not finished:  # abandoned: Ctrl-C, an error, or closed early
                self._terminate()


class _WorkerTraceback(Exception):
    """The traceback of an exception raised in a worker (shown as the cause)."""


def _died(proc: Any) -> IoUKitError:
    proc.join(1.0)
    return IoUKitError(
        f"ProcessPool: a worker process died (exit code {proc.exitcode}); out of memory? Try "
        "fewer `workers`."
    )
