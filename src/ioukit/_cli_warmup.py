"""``ioukit warmup``: compile every numba kernel ahead of time into numba's on-disk cache.

For Docker images and CI caches: run it once after installing, and the first call of each
public function in a later process loads compiled code instead of compiling it. The calls are
the representative calls of :mod:`ioukit._warmup`, run in groups on ``--jobs`` worker
processes (:class:`ioukit._pool.ProcessPool`); each worker takes the threaded path of every
kernel whatever the load of the machine, so that both twins of a kernel are compiled. Here: the
options, what is printed, and the exit codes of :mod:`ioukit.cli`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from ioukit._cli_output import PROG, UsageError, exit_codes, positive_int

__all__ = ["add_parser", "cache_dir", "run_calls"]

_NAME = "warmup"
_DESCRIPTION = """\
Compile ioukit's numba kernels ahead of time into numba's on-disk cache, so that
the first call of each public function in a later process loads compiled code
instead of compiling it (seconds each on a fresh install). Run it once when
building a Docker image, or cache the folder it prints between CI jobs.

The cache is numba's: the __pycache__ folders next to the installed package
(when writable), or NUMBA_CACHE_DIR when set. A second run finds everything
compiled and says so."""
_EPILOG = (
    exit_codes("a call failed (its error is printed)")
    + """

examples:
  ioukit warmup
  NUMBA_CACHE_DIR=/opt/numba-cache ioukit warmup --jobs 4
  ioukit warmup --only boxes,rle_encode -q
  ioukit warmup --list"""
)


def add_parser(sub: Any) -> None:
    """Register the ``warmup`` subcommand (its options and its handler).

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subcommands of the parser of :func:`ioukit.cli.main`.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="ioukit")
    >>> add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["warmup", "--jobs", "2", "--only", "boxes,rle_iou"])
    >>> args.jobs, args.only, args.list, args.quiet
    (2, 'boxes,rle_iou', False, False)
    """
    p = sub.add_parser(
        _NAME,
        help="compile every numba kernel ahead of time into numba's cache (Docker, CI)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
    p.add_argument(
        "--jobs",
        type=positive_int,
        default=None,
        metavar="N",
        help="worker processes compiling at once (default: the cores this process may use)",
    )
    p.add_argument(
        "--only",
        metavar="NAME[,NAME]",
        default=None,
        help="only these calls or groups of calls (names as --list prints them)",
    )
    p.add_argument(
        "--list", action="store_true", help="print the calls and their groups, run nothing"
    )
    p.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing but errors (on stderr)"
    )
    p.set_defaults(func=_warmup)


def cache_dir() -> str:
    """Where numba writes the compiled kernels of ioukit: ``NUMBA_CACHE_DIR`` when set,
    otherwise the ``__pycache__`` folder next to the kernels (numba falls back to a folder in
    the user's cache when that one is not writable)."""
    env = os.environ.get("NUMBA_CACHE_DIR")
    if env:
        return env
    return str(Path(__file__).resolve().parent / "kernels" / "__pycache__")


def run_calls(names: list[str]) -> list[tuple[str, float, int, str]]:
    """Run the calls ``names`` of :mod:`ioukit._warmup` in this process, each on the threaded
    path: ``(name, seconds, kernels compiled, error text or "")`` for each."""
    import numba
    from numba.core import event

    from ioukit._warmup import select
    from ioukit.kernels import _threads

    _threads.force_threads(min(2, int(numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]
    compiled: list[int] = [0, 0]  # [depth, compiles]

    class _Count(event.Listener):  # numba is untyped
        def on_start(self, ev: Any) -> None:
            compiled[0] += 1

        def on_end(self, ev: Any) -> None:
            compiled[0] -= 1
            compiled[1] += compiled[0] == 0

    listener = _Count()  # counts each kernel compiled at the top level (not its callees)
    event.register("numba:compile", listener)  # type: ignore[no-untyped-call]
    out = []
    try:
        for call in select(names):
            before = compiled[1]
            t0 = time.perf_counter()
            try:
                call.build()()
                error = ""
            except Exception as exc:  # reported by name, the others still run
                error = f"{type(exc).__name__}: {exc}"
            out.append((call.name, time.perf_counter() - t0, compiled[1] - before, error))
    finally:
        event.unregister("numba:compile", listener)  # type: ignore[no-untyped-call]
        _threads.force_threads(None)
    return out


def _silent(*args: object, **kwargs: Any) -> None:
    """``print`` of ``-q``: nothing."""


def _list(calls: Any) -> int:
    for call in calls:
        print(f"{call.group:12s} {call.name}")
    return 0


def _warmup(args: argparse.Namespace) -> int:
    from ioukit._pool import ProcessPool, default_workers
    from ioukit._warmup import select

    names = args.only.split(",") if args.only else None
    try:
        calls = select(names)
    except KeyError as exc:
        raise UsageError(
            f"--only: unknown call or group {exc.args[0]} (`{PROG} warmup --list` prints them)"
        ) from None
    if args.list:
        return _list(calls)
    groups: dict[str, list[str]] = {}
    for call in calls:
        groups.setdefault(call.group, []).append(call.name)
    jobs = min(args.jobs or default_workers(), len(groups))
    say = _silent if args.quiet else print
    say(f"numba cache: {cache_dir()}")
    say(f"compiling {len(calls)} calls in {len(groups)} groups on {jobs} processes ...", flush=True)
    t0 = time.perf_counter()
    if jobs > 1:
        import numba  # noqa: F401  (before the workers fork: they may then use several threads)

        with ProcessPool(jobs) as pool:
            results = [
                r for part in pool.map_unordered(run_calls, list(groups.values())) for r in part
            ]
    else:
        results = run_calls([c.name for c in calls])
    order = {c.name: k for k, c in enumerate(calls)}
    results.sort(key=lambda r: order[r[0]])
    for name, seconds, n, error in results:
        if error:
            print(f"{PROG} warmup: error: {name}: {error}", file=sys.stderr)
        else:
            what = f"{n} kernel{'s' * (n != 1)} compiled" if n else "cached"
            say(f"  {name:40s} {seconds:7.2f} s  {what}")
    total = sum(r[2] for r in results)
    failed = sum(1 for r in results if r[3])
    summary = f"{total} kernels compiled" if total else "everything was already compiled (cached)"
    ok = len(results) - failed
    say(f"done in {time.perf_counter() - t0:.1f} s: {summary}; {ok} calls ok, {failed} failed")
    return 1 if failed else 0
