"""The ordered run of the engine: tasks to an executor, their outcomes consumed in item order in
this process, Ctrl-C deferred to a safe point, and the partial sums of the tasks (confusion
matrices) added in task order, in this process or, with a cluster executor, in a tree on the
cluster (:class:`LocalSum`, ``executor.accumulator()``).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar, cast

from ioukit._errors import IoUKitError
from ioukit._pool import Executor, ProcessPool, SerialExecutor, default_workers

__all__ = ["Accumulator", "Interrupts", "LocalSum", "partition", "run_ordered"]

T = TypeVar("T")
U = TypeVar("U")

_END = object()


class Accumulator(Protocol):
    """A sum of partial results (arrays added with ``+``) fed in task order: :meth:`add` a
    task's partial (or, from an executor's ``map_split``, its handle), :meth:`value` the sum
    so far (``None`` before any)."""

    def add(self, partial: Any) -> None: ...

    def value(self, timeout: float | None = None) -> Any: ...


class LocalSum:
    """The :class:`Accumulator` of local executors: the partials are summed here.

    >>> acc = LocalSum()
    >>> acc.add(2); acc.add(None); acc.add(3); acc.value()
    5
    """

    def __init__(self) -> None:
        self._total: Any = None

    def add(self, partial: Any) -> None:
        if partial is not None:
            self._total = partial if self._total is None else self._total + partial

    def value(self, timeout: float | None = None) -> Any:
        return self._total


class Interrupts:
    """Ctrl-C during a run of the engine.

    While the run waits for other processes (:meth:`next`), Ctrl-C raises ``KeyboardInterrupt``
    at once, inside the executor, whose clean-up stops the workers. Anywhere else (recording
    results in the evaluator, the CSV, the checkpoint; a task computed in this thread, where it
    could land in a decoder or numba's compiler and be swallowed) it is deferred to the next
    :meth:`check`, so that no state is left half-updated. A second Ctrl-C while the run stops
    is ignored (the stopping is bounded). The handler is installed only in the main thread,
    and only over Python's default one (or the command line's, which is Python's after noting
    the Ctrl-C); it is restored on exit, where a deferred Ctrl-C is raised.
    """

    def __init__(self) -> None:
        self.requested = False
        self.waiting = False
        self._old: Any = None

    def __enter__(self) -> Interrupts:
        handler = signal.getsignal(signal.SIGINT)
        if threading.current_thread() is threading.main_thread() and (
            handler is signal.default_int_handler
            or getattr(handler, "raises_keyboard_interrupt", False)  # the command line's
        ):
            self._old = signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum: int, frame: object) -> None:
        if self.requested:
            return
        self.requested = True
        if self.waiting:
            raise KeyboardInterrupt

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt

    def next(self, it: Iterator[T], *, immediate: bool = True) -> T | object:
        """``next(it)``, or :data:`_END`. With ``immediate``, Ctrl-C interrupts the wait (for an
        iterator that only waits for other processes); else it is deferred (an iterator that
        computes in this thread: decoders, compilers)."""
        self.waiting = immediate
        try:
            self.check()
            return next(it, _END)
        finally:
            self.waiting = False

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
            self._old = None
        if exc_type is None:
            self.check()


#: the largest partition of a cluster executor whose ``partition_bytes`` is None (auto)
MAX_PARTITION_BYTES = 64 << 20
#: tasks per worker when the partitions are sized automatically: enough that the workers end
#: together (the last task is a 32nd of a worker's share), few enough that the scheduler's
#: round trips (about 2 ms for the 4 tasks of a partition) stay far below a task's time
TASKS_PER_WORKER = 32


def partition(
    n: int, executor: Executor, sizes: Sequence[int] | None = None
) -> list[tuple[int, int]]:
    """The tasks of a run over ``n`` items: ``[(start, stop), ...]``, contiguous, in order.

    In this process (``executor.in_process``) a task is one item (Ctrl-C waits for the end of
    a task). An executor with a ``partition_bytes`` attribute (a cluster) gets partitions
    sized by the bytes of their files (``sizes``): each closes once it holds
    ``partition_bytes`` (``None``: the total over :data:`TASKS_PER_WORKER` tasks per worker, at
    most 64 MiB), so
    large files make small partitions and the tasks cost about the same. Else a few items
    per task (fewer messages), small enough that the workers finish together.

    >>> partition(5, SerialExecutor())
    [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    >>> class Cluster:
    ...     max_workers, partition_bytes = 2, 100
    >>> partition(5, Cluster(), sizes=[60, 50, 10, 200, 5])
    [(0, 2), (2, 4), (4, 5)]
    """
    if getattr(executor, "in_process", False):
        return [(i, i + 1) for i in range(n)]
    workers = max(1, executor.max_workers)
    target = getattr(executor, "partition_bytes", False)
    if target is False or sizes is None:
        size = max(1, min(8, n // (16 * workers)))
        return [(j, min(j + size, n)) for j in range(0, n, size)]
    if len(sizes) != n:
        raise IoUKitError(f"partition: {len(sizes)} sizes for {n} items.")
    if target is None:
        target = min(MAX_PARTITION_BYTES, max(1, sum(sizes) // (TASKS_PER_WORKER * workers)))
    out: list[tuple[int, int]] = []
    start, held = 0, 0
    for i, size in enumerate(sizes):
        held += max(0, int(size))
        if held >= target:
            out.append((start, i + 1))
            start, held = i + 1, 0
    if start < n:
        out.append((start, n))
    return out


def run_ordered(
    func: str,
    items: Sequence[T],
    task: Callable[[tuple[int, list[Any]]], Any],
    consume: Callable[[T, U], object],
    *,
    executor: Executor | None,
    workers: int | None,
    send: Callable[[T], Any] | None = None,
    warm_up: Callable[[], object] | None = None,
    sizes: Sequence[int] | None = None,
    finish_task: Callable[[Any], object] | None = None,
) -> None:
    """Run ``task`` over ``items`` with ``executor`` and ``consume(item, outcome)`` each item,
    in item order, in this process.

    ``task`` (picklable) maps ``(index, [send(item), ...])`` to ``(index, [outcome, ...])``.
    With ``finish_task`` it returns ``(index, [outcome, ...], partial)`` instead, and
    ``finish_task(partial)`` runs after the task's items were consumed, in task order; an
    executor with ``map_split`` (a cluster) keeps the partials where they were computed and
    passes a handle for its ``accumulator()`` instead. Without an executor, one is made for
    the run (``workers`` processes, default: the cores this process may use; 1: this process)
    and closed after it. Tasks are cut by :func:`partition` (``sizes``: the bytes of each
    item's files). ``warm_up`` runs first when workers are forked (they inherit what it
    loads). Ctrl-C is handled by :class:`Interrupts`: nothing is left half-consumed.
    """
    if not items:
        return
    own = None
    if executor is None:
        n = max(1, min(workers or default_workers(), len(items)))
        executor = own = SerialExecutor() if n == 1 else ProcessPool(n)
    here = bool(getattr(executor, "in_process", False))
    bounds = partition(len(items), executor, sizes)
    tasks = (
        (i, [x if send is None else send(x) for x in items[a:b]]) for i, (a, b) in enumerate(bounds)
    )
    split = finish_task is not None and hasattr(executor, "map_split")
    with Interrupts() as interrupts:
        fork = isinstance(executor, ProcessPool) and executor.start_method == "fork"
        if warm_up is not None and fork:
            warm_up()
        interrupts.check()
        mapper = executor.map_split if split else executor.map_unordered  # type: ignore[attr-defined]
        results = mapper(task, tasks)
        early: dict[int, tuple[Any, ...]] = {}  # results that came before earlier tasks'
        try:
            for index, (a, b) in enumerate(bounds):
                while index not in early:
                    got = interrupts.next(results, immediate=not here)
                    if got is _END:
                        raise IoUKitError(
                            f"{func}: the executor {type(executor).__name__} gave no result "
                            f"for task {index}."
                        )
                    result = cast("tuple[Any, ...]", got)
                    early[result[0]] = result
                _, outcomes, *rest = early.pop(index)
                for item, outcome in zip(items[a:b], outcomes, strict=True):
                    consume(item, outcome)
                if finish_task is not None:
                    finish_task(rest[0])
                interrupts.check()
            # run the iterator to its end: an executor that sees it closed early (a
            # ProcessPool) takes the run for abandoned and stops its workers
            if interrupts.next(results, immediate=not here) is not _END:
                raise IoUKitError(f"{func}: the executor gave more results than tasks.")
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()
            if own is not None:
                own.close()
