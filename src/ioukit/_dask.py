"""The Dask engine: :class:`DaskExecutor`, an :class:`~ioukit.evaluate.Executor` on a
``dask.distributed`` cluster, and the tree in which it sums the tasks' partial results.
Public through :mod:`ioukit.evaluate`; ``dask`` is imported when an executor is made, never by
``import ioukit``.

A task goes to the cluster as one Dask task; the engine gets back only what it records per
image (a few hundred bytes of counts), while each task's partial sum (a confusion matrix)
stays on the worker that computed it and is added to the others there, two at a time, in a
binary tree (:class:`TreeSum`). Tasks are pure functions of their inputs, so a task lost with
its worker is simply computed again (Dask's scheduler does so), and the engine records each
task's outcome exactly once, in order: a run on a cluster gives the numbers of a local run,
bit for bit, whatever fails on the way.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from ioukit._errors import IoUKitError, MissingDependencyError, ParameterError, install_hint
from ioukit._pool import default_workers

__all__ = ["DaskExecutor", "TreeSum", "parse_scheduler"]

T = TypeVar("T")
R = TypeVar("R")

_LOCAL = re.compile(r"local(?::(\d+))?")
#: tasks given to the cluster per worker thread before the first result is taken
_AHEAD = 3


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise MissingDependencyError(
            "The Dask engine needs dask.distributed, which is not installed: "
            f"{install_hint('dask', chr(39) + 'dask[distributed]' + chr(39))}."
        ) from exc
    return distributed


def parse_scheduler(address: str) -> int | str | None:
    """What ``--scheduler`` names: ``local`` or ``local:N`` (a local cluster of N worker
    processes; ``local``: one per core) gives N (``None`` for every core); an address of a
    running scheduler (``tcp://host:8786``, ``tls://...``, ``ws://...``, or ``host:port``)
    is returned as given.

    >>> parse_scheduler("local:2"), parse_scheduler("local"), parse_scheduler("tcp://h:8786")
    (2, None, 'tcp://h:8786')
    """
    if not isinstance(address, str) or not address.strip():
        raise ParameterError(
            f"DaskExecutor: `scheduler` must be 'local', 'local:N' or a scheduler address such "
            f"as 'tcp://host:8786'; got {address!r}."
        )
    m = _LOCAL.fullmatch(address.strip())
    if m:
        n = m.group(1)
        if n is not None and int(n) < 1:
            raise ParameterError(f"DaskExecutor: 'local:N' needs N >= 1; got {address!r}.")
        return None if n is None else int(n)
    if address.startswith("local"):
        raise ParameterError(
            f"DaskExecutor: {address!r} is not 'local' or 'local:N' (N worker processes)."
        )
    return address.strip()


# -- worker side -------------------------------------------------------------------------------


def _call(fn: Callable[[Any], Any], task: Any) -> Any:
    """Run ``fn(task)`` on a worker, numba with one thread (a worker thread is one core)."""
    from ioukit._pool import one_thread

    one_thread()
    return fn(task)


def _head(result: tuple[Any, ...]) -> tuple[Any, ...]:
    return result[:-1]


def _last(result: tuple[Any, ...]) -> Any:
    return result[-1]


def _add(a: Any, b: Any) -> Any:
    if a is None:
        return b
    return a if b is None else a + b


# -- the tree of partial sums ------------------------------------------------------------------


class TreeSum:
    """The :class:`~ioukit._run.Accumulator` of a :class:`DaskExecutor`: partial results
    (futures on the cluster) added two at a time on the workers, as a binary counter: level
    ``k`` holds the sum of ``2**k`` partials. Adding one costs at most ``log2(P)`` small tasks,
    and :meth:`value` brings back only the ``O(log P)`` roots, never the ``P`` partials."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._levels: list[Any] = []
        self._key = f"ioukit-sum-{uuid.uuid4().hex[:12]}"
        self._n = itertools.count()

    def add(self, partial: Any) -> None:
        carry = partial
        for k, held in enumerate(self._levels):
            if held is None:
                self._levels[k] = carry
                return
            self._levels[k] = None
            carry = self._client.submit(_add, held, carry, key=f"{self._key}-{next(self._n)}")
        self._levels.append(carry)

    def value(self, timeout: float | None = None) -> Any:
        """The sum so far, brought back from the cluster; with ``timeout``, a
        :class:`TimeoutError` once that many seconds have passed (a run that stops must not
        wait for dead workers)."""
        roots = [f for f in self._levels if f is not None]
        deadline = None if timeout is None else time.monotonic() + timeout
        total = None
        for root in roots:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            total = _add(total, root.result(timeout=left))
        return total


# -- the executor ------------------------------------------------------------------------------


class DaskExecutor:
    """Run :func:`ioukit.evaluate_folder` (and the other engines) on a Dask cluster.

    Parameters
    ----------
    scheduler : str or distributed.Client, default "local"
        ``"local:N"``: a ``LocalCluster`` of ``N`` single-threaded worker processes, made
        here and closed with the executor (``"local"``: one per core); an address
        (``"tcp://host:8786"``): the scheduler of a running cluster; a ``distributed.Client``:
        used as it is, and left open.
    partition_bytes : int, optional
        The input bytes (prediction and target files) of one task. Default: the total over 32
        tasks per worker thread, at most 64 MiB; smaller partitions balance better, larger
        ones cost fewer scheduler round trips (about a millisecond each).
    timeout : float, default 30
        Seconds to wait for the scheduler to answer.

    Notes
    -----
    Workers read the files themselves: they must see the paths (a shared file system) or the
    URLs (``s3://`` ...: the workers need the fsspec package of the protocol). Per image, only
    its counts come back (``32·C`` bytes for ``C`` classes); each task's summed confusion
    matrix stays on its worker and is added to the others in a tree (:class:`TreeSum`).
    A worker that dies takes nothing with it: its tasks run again elsewhere (Dask retries a
    task whose workers died up to ``distributed.scheduler.allowed-failures`` times, 3 by
    default), and each task's outcome is recorded once, in order.

    Examples
    --------
    >>> from ioukit.evaluate import DaskExecutor
    >>> with DaskExecutor("local:1") as ex:  # doctest: +SKIP
    ...     ev = ioukit.evaluate_folder("pred", "gt", num_classes=19, executor=ex)
    """

    in_process = False

    def __init__(
        self,
        scheduler: Any = "local",
        *,
        partition_bytes: int | None = None,
        timeout: float = 30.0,
    ) -> None:
        if partition_bytes is not None and (
            isinstance(partition_bytes, bool)
            or not isinstance(partition_bytes, int)
            or partition_bytes < 1
        ):
            raise ParameterError(
                f"DaskExecutor: `partition_bytes` must be a positive integer; got "
                f"{partition_bytes!r}."
            )
        self.partition_bytes = partition_bytes
        distributed = _distributed()
        self._cluster: Any = None
        self._own_client = True
        if isinstance(scheduler, distributed.Client):
            self.client = scheduler
            self._own_client = False
            self.address = str(scheduler.scheduler.address)
            return
        where = parse_scheduler(scheduler)
        for name in ("distributed", "distributed.worker", "distributed.nanny"):
            logging.getLogger(name).setLevel(logging.ERROR)
        if isinstance(where, str):
            try:
                self.client = distributed.Client(where, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise IoUKitError(
                    f"DaskExecutor: no Dask scheduler answered at {where!r} within {timeout:g} "
                    f"s ({type(exc).__name__}: {exc}). Start one (`dask scheduler`, then "
                    "`dask worker ADDRESS` on each machine), check the address and port, or "
                    "use 'local:N' for a cluster on this machine."
                ) from None
        else:
            n = where or default_workers()
            with _ctrl_c_ignored():  # inherited: Ctrl-C is this process's, which stops them
                self._cluster = distributed.LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # a free port: never 8787, taken by another cluster
                    silence_logs=logging.CRITICAL,
                )
            self.client = distributed.Client(self._cluster, set_as_default=False)
        self.address = str(self.client.scheduler.address)

    # -- life cycle ----------------------------------------------------------------------------
    @property
    def max_workers(self) -> int:
        """Worker threads on the cluster now (at least 1)."""
        threads: dict[str, int] = self.client.nthreads()
        return max(1, sum(threads.values()))

    def close(self) -> None:
        """Close the client and the local cluster made here (not a client given). A Ctrl-C
        meanwhile is raised once both are closed: left half-closed, the cluster's processes
        would hold the exit of this process for many seconds."""
        interrupted = []
        main = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGINT, lambda *_: interrupted.append(1)) if main else None
        try:
            if self._own_client:
                self.client.close()
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)
        if interrupted:
            raise KeyboardInterrupt

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DaskExecutor({self.address!r}, workers={len(self.client.nthreads())})"

    # -- mapping -------------------------------------------------------------------------------
    def map_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """``fn(task)`` of each task, computed on the cluster, yielded as they finish."""
        return self._map(fn, iter(tasks), split=False)

    def map_split(self, fn: Callable[[T], Any], tasks: Iterable[T]) -> Iterator[tuple[Any, ...]]:
        """As :meth:`map_unordered` for tasks whose result is a tuple ending with a partial
        sum: that last element stays on the cluster, and its future takes its place in the
        tuple yielded, for :meth:`accumulator`."""
        return self._map(fn, iter(tasks), split=True)

    def accumulator(self) -> TreeSum:
        """A new tree of partial sums on this cluster."""
        return TreeSum(self.client)

    def _map(self, fn: Callable[[Any], Any], tasks: Iterator[Any], *, split: bool) -> Iterator[Any]:
        distributed = _distributed()
        client = self.client
        run = f"ioukit-{uuid.uuid4().hex[:12]}"
        done = distributed.as_completed(loop=client.loop)
        partials: dict[Any, Any] = {}
        pending: set[Any] = set()
        count = itertools.count()

        def submit() -> bool:
            task = next(tasks, None)
            if task is None:
                return False
            i = next(count)
            future = client.submit(_call, fn, task, key=f"{run}-task-{i}", pure=False)
            if split:
                head = client.submit(_head, future, key=f"{run}-head-{i}")
                partials[head.key] = client.submit(_last, future, key=f"{run}-part-{i}")
                future = head
            pending.add(future)
            done.add(future)
            return True

        try:
            for _ in range(_AHEAD * self.max_workers):
                if not submit():
                    break
            while pending:
                future = next(done)
                pending.discard(future)
                try:
                    value = future.result()
                except distributed.KilledWorker as exc:
                    raise IoUKitError(
                        "DaskExecutor: a task was lost with its worker too many times "
                        f"(distributed.scheduler.allowed-failures): {exc}. A file that crashes "
                        "the reader, or workers out of memory?"
                    ) from None
                if split:
                    value = (*value, partials.pop(future.key))
                submit()
                yield value
        finally:
            rest = [*pending, *partials.values()]
            if rest:
                client.cancel(rest, force=True)
            done.clear()


@contextlib.contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """SIGINT ignored while the local cluster's processes start: they inherit it, so that a
    Ctrl-C in a terminal (sent to every process of the group) reaches only this process, which
    stops the run, saves its checkpoint and closes the cluster."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
