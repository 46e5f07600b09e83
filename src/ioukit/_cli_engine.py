"""Where a command's work runs: ``--workers N`` (local processes) or ``--scheduler ADDRESS``
(a Dask cluster: ``tcp://host:8786``, or ``local:N`` for a local one), shared by ``segment``,
``detect`` and ``panoptic``."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from ioukit._cli_output import PROG, UsageError, positive_int

__all__ = ["add_engine_options", "engine"]


def add_engine_options(group: Any, *, workers: bool = True) -> None:
    """``--workers N`` (where the command has local workers) and ``--scheduler ADDRESS``, one
    or the other."""
    one = group.add_mutually_exclusive_group()
    if workers:
        one.add_argument(
            "--workers",
            type=positive_int,
            default=None,
            metavar="N",
            help="worker processes (default: every core this process may use); 1 runs in this "
            "process",
        )
    one.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on a Dask cluster: the scheduler's address (tcp://host:8786), or local:N "
        "for a cluster of N worker processes on this machine (needs the dask extra: "
        "dask.distributed); the workers read the files themselves, so they must see the same "
        "paths or URLs",
    )


@contextlib.contextmanager
def engine(args: argparse.Namespace, command: str) -> Iterator[Any]:
    """The executor of ``--scheduler`` (a :class:`~ioukit.evaluate.DaskExecutor`, closed at
    the end), or ``None`` for the local one; stderr says which cluster runs the work."""
    address = getattr(args, "scheduler", None)
    if address is None:
        yield None
        return
    from ioukit._dask import DaskExecutor
    from ioukit._errors import ParameterError

    try:
        executor = DaskExecutor(address, timeout=10)
    except ParameterError as exc:
        raise UsageError(f"--scheduler: {str(exc).removeprefix('DaskExecutor: ')}") from None
    with executor:
        if not getattr(args, "quiet", False):
            workers = executor.client.nthreads()
            print(
                f"{PROG} {command}: Dask scheduler {executor.address}: {len(workers)} worker(s), "
                f"{sum(workers.values())} thread(s)",
                file=sys.stderr,
            )
        yield executor
