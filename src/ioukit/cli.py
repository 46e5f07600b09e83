"""The ``ioukit`` command line: ``segment``, ``detect``, ``panoptic``, ``cityscapes`` and
``compare``, each in its own module (:mod:`ioukit._cli_segment`, :mod:`ioukit._cli_detect`,
:mod:`ioukit._cli_panoptic`, :mod:`ioukit._cli_cityscapes`, :mod:`ioukit._cli_compare`), with
the options and the output formats they share in :mod:`ioukit._cli_output` and the progress bar
and spinner in :mod:`ioukit._cli_progress`.

Each command is a thin face over public library functions, which compute every number and
every JSON document. Here: the parser, the entry point, the exit codes and what a Ctrl-C or a
closed stdout do.

Exit codes: 0 success; 1 bad input files or data (each problem is listed by name); 2 usage
errors (bad options); 130 interrupted (the checkpoint, if any, is saved); 141 stdout closed
early (``| head``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from ioukit._cli_output import PROG, UsageError
from ioukit._errors import IoUKitError
from ioukit.evaluate import PROBLEM_KINDS as PROBLEMS

__all__ = ["PROBLEMS", "main"]

# -- argument parsing ------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    from ioukit import __version__
    from ioukit._cli_cityscapes import add_parser as add_cityscapes
    from ioukit._cli_compare import add_parser as add_compare
    from ioukit._cli_detect import add_parser as add_detect
    from ioukit._cli_panoptic import add_parser as add_panoptic
    from ioukit._cli_segment import add_parser as add_segment
    from ioukit._cli_warmup import add_parser as add_warmup

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Exact, fast and explicit Intersection-over-Union (Jaccard) evaluation.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (add_segment, add_detect, add_panoptic, add_cityscapes, add_compare, add_warmup):
        add(sub)
    return parser


# library words → the words of the command line (messages are printed, never computed, here)
_WORDS = (
    ("Pass them as `ignore_index=`", "Pass them with --ignore-index"),
    ("`reduce_zero_label=True`", "--reduce-zero-label"),
    ("`ignore_index`", "--ignore-index"),
    ("`num_classes`", "--num-classes"),
    ("`class_names`", "--class-names"),
    ("`checkpoint`", "--checkpoint"),
    ("`workers`", "--workers"),
)


def cli_words(message: str) -> str:
    """A library message in the words of the command line."""
    message = message.removeprefix("evaluate_folder: ").removeprefix("ProcessPool: ")
    for api, option in _WORDS:
        message = message.replace(api, option)
    return message


# -- entry point -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    with _noting_ctrl_c():
        try:
            return _main(argv)
        except (KeyboardInterrupt, SystemError) as exc:  # Ctrl-C outside a run (a run says more)
            # Ctrl-C inside a compiled kernel surfaces as SystemErrors ("returned a result
            # with an exception set") chained to the KeyboardInterrupt
            if not _is_interrupt(exc):
                raise
            return interrupted(PROG)
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as `yes | head`
            _detach_stdout()
            return 141  # 128 + SIGPIPE, what a shell reports for a tool ended by a closed pipe


# Set by a Ctrl-C during main(). A Ctrl-C that lands while numba infers a kernel's types comes
# out of its compiler as a TypingError about the kernel ("Unknown attribute 'size' of type
# array"): numba's type inference catches the KeyboardInterrupt as a failed attempt. So
# whatever error ends a run after a Ctrl-C is reported as the interrupt it is.
_CTRL_C = threading.Event()


@contextlib.contextmanager
def _noting_ctrl_c() -> Iterator[None]:
    """Note a Ctrl-C in ``_CTRL_C`` (then raise KeyboardInterrupt as Python does), where
    SIGINT has Python's default handler and this is the main thread; elsewhere, nothing. The
    note starts clear either way: a Ctrl-C noted by an earlier call in the same process (a
    notebook, a test) must not turn this call's errors into an interrupt."""
    _CTRL_C.clear()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return

    note = _NoteCtrlC()
    signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGINT) is note:
            signal.signal(signal.SIGINT, signal.default_int_handler)


class _NoteCtrlC:
    """SIGINT's handler during main(): Python's own (raise KeyboardInterrupt), after noting the
    Ctrl-C. The engine's deferring handler (:class:`ioukit._run.Interrupts`) replaces it as it
    would Python's, for the duration of a run (``raises_keyboard_interrupt``)."""

    raises_keyboard_interrupt = True

    def __call__(self, signum: int, frame: Any) -> None:
        _CTRL_C.set()
        signal.default_int_handler(signum, frame)


def _is_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` ends the command because of a Ctrl-C: it comes from a
    KeyboardInterrupt, or it follows one noted in ``_CTRL_C``."""
    return _from_interrupt(exc) or _CTRL_C.is_set()


def _from_interrupt(exc: BaseException | None) -> bool:
    """Whether ``exc`` comes from a KeyboardInterrupt (through its causes)."""
    seen = 0
    while exc is not None and seen < 100:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _detach_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises nothing more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (a test's captured stdout)
        pass


def interrupted(who: str, where: str = "") -> int:
    """Say ``<who>: interrupted<where>.`` on stderr after a Ctrl-C; the exit code, 130."""
    _keep_exit_code()
    print(f"{who}: interrupted{where}.", file=sys.stderr)
    return 130


def _keep_exit_code() -> None:
    """Make the exit code 130 stick after a Ctrl-C that was handled.

    CPython remembers a ``KeyboardInterrupt`` that escaped an ``exec`` of a string (lazy
    imports do that: numpy, array-api-compat, numba's compiler) even when the caller caught it,
    and then ends the process by SIGINT instead of with its exit code. Each ``exec`` of a
    string that completes clears that memory.
    """
    exec("")  # a constant string: clears the flag, runs nothing


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors (argparse printed them)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        code: int = args.func(args)
    except (KeyboardInterrupt, SystemError) as exc:
        # a command with more to say (segment: its checkpoint) says it
        if not _is_interrupt(exc):
            raise
        return interrupted(f"{PROG} {args.command}")
    except UsageError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # not an error of the data: main() stops quietly
    except Exception as exc:
        if _is_interrupt(exc):  # an error that a Ctrl-C caused (see _CTRL_C)
            return interrupted(f"{PROG} {args.command}")
        if not isinstance(exc, (IoUKitError, OSError)):
            raise
        # bad data; an output file that cannot be written
        print(f"{PROG} {args.command}: error: {cli_words(str(exc))}", file=sys.stderr)
        return 1
    return code
