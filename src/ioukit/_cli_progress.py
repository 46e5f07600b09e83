"""Progress on stderr for every ``ioukit`` command: a bar where the library reports progress
(``segment``, ``panoptic``), a spinner with the phase of the work elsewhere (``detect``,
``cityscapes``, ``compare``, the HTML report).

Both appear only on a terminal (stderr), unless ``--progress`` forces them, never with
``--quiet``, and never write to stdout. Both need rich (the ``io`` extra); without it, nothing
is shown.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

__all__ = ["SPINNER_DELAY", "Progress", "Spinner", "progress_bar", "spinner"]

#: seconds before the spinner appears: a run shorter than this shows nothing (a small file
#: takes about 0.8 s from here, most of it loading numba's compiled kernels)
SPINNER_DELAY = 1.0


def _console(force: bool) -> Any:
    from rich.console import Console

    return Console(stderr=True, force_terminal=True if force else None)


class Progress:
    """A rich progress bar on stderr: done/total, pairs per second, elapsed time, ETA.

    The ``progress`` callback of :func:`ioukit.evaluate_folder` and
    :func:`ioukit.panoptic_quality`; the bar starts at the first item counted (after the
    workers started: they fork first). ``force``: drawn even when stderr is not a terminal.
    No bar without rich."""

    def __init__(self, label: str = "segment", *, unit: str = "pairs", force: bool = False):
        self.label = label
        self.unit = unit
        self.force = force
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            try:
                self._start(done, total)
            except ImportError:  # rich is optional
                self.bar = False
        elif self.bar:
            self.bar.update(self.task, completed=done)

    def _start(self, done: int, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress
        from rich.text import Text

        unit = self.unit

        class Rate(ProgressColumn):  # type: ignore[misc]
            def render(self, task: Any) -> Any:
                speed = task.finished_speed or task.speed
                return Text("" if speed is None else f"{speed:,.1f} {unit}/s", style="cyan")

        self.bar = RichProgress(
            TextColumn(f"[bold]{self.label}"),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=_console(self.force),
        )
        self.task = self.bar.add_task(self.label, total=total, completed=done)
        self.bar.start()

    def stop(self) -> None:
        """Remove the bar from the screen's live area (its last state stays)."""
        if self.bar:
            self.bar.stop()


def progress_bar(args: argparse.Namespace, label: str, *, unit: str = "pairs") -> Progress | None:
    """The bar that ``--progress`` / ``--quiet`` and stderr ask for, or None."""
    if args.progress or (not args.quiet and sys.stderr.isatty()):
        return Progress(label, unit=unit, force=args.progress)
    return None


class Spinner:
    """A transient rich spinner on stderr while files are read and evaluated.

    Shown only when ``enabled`` (not ``-q``), stderr is a terminal (or ``force``) and rich is
    installed, and only once the run has lasted ``delay`` seconds: a quick run shows nothing.
    It never touches stdout (rich's redirection of stdout and stderr is off); :meth:`stop`
    removes it, before anything is printed. :meth:`phase` changes its text."""

    def __init__(self, *, enabled: bool, delay: float | None = None, force: bool = False):
        self._lock = threading.Lock()
        self._live: Any = None
        self._spinner: Any = None
        self._shown = False
        self._timer: threading.Timer | None = None
        if not (enabled and (force or sys.stderr.isatty())):
            return
        try:
            from rich.live import Live
            from rich.spinner import Spinner as RichSpinner

            console = _console(force)
        except ImportError:  # rich is optional
            return
        if not console.is_terminal:
            return
        self._spinner = RichSpinner("dots", text="")
        self._live = Live(
            self._spinner,
            console=console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
            refresh_per_second=12.5,
        )
        self._timer = threading.Timer(SPINNER_DELAY if delay is None else delay, self._show)
        self._timer.daemon = True

    def start(self) -> None:
        """Start the clock: the spinner appears after the delay (at once for a delay of 0),
        unless :meth:`stop` comes first."""
        if self._timer is None:
            return
        if self._timer.interval <= 0:
            self._timer = None
            self._show()
        else:
            self._timer.start()

    @property
    def shown(self) -> bool:
        """Whether the spinner is on the screen now."""
        return self._shown

    def phase(self, text: str) -> None:
        """Show ``text`` beside the spinner (from now, or from when it appears), cut to one
        line of the terminal."""
        with self._lock:
            if self._spinner is not None:
                width = self._live.console.width - 3  # the spinner, a space, the cursor
                if len(text) > width:
                    text = text[: max(width - 1, 0)] + "\N{HORIZONTAL ELLIPSIS}"
                self._spinner.update(text=text)

    def _show(self) -> None:
        with self._lock:
            self._live.start(refresh=True)
            self._shown = True

    def stop(self) -> None:
        """Remove the spinner (or make sure it never appears)."""
        if self._timer is not None:
            self._timer.cancel()
            if self._timer.ident is not None:  # started: wait for _show, if it is running
                self._timer.join()
        with self._lock:
            if self._shown:
                self._live.stop()
                self._shown = False


def spinner(args: argparse.Namespace, text: str) -> Spinner:
    """A started spinner showing ``text``, as ``--progress`` / ``--quiet`` ask."""
    # asked for with --progress: at once, not after the delay that hides a quick run's
    out = Spinner(enabled=not args.quiet, force=args.progress, delay=0 if args.progress else None)
    out.phase(text)
    out.start()
    return out
