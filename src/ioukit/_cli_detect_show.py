"""What ``ioukit detect`` shows and writes (see :mod:`ioukit._cli_detect`): the per-category
table, the JSON and CSV text, the output files, and the spinner on stderr during a long run.

Nothing here computes a number: the rows, the summaries and the JSON documents come from the
results of :func:`ioukit.coco_evaluate`, :func:`ioukit.lvis_evaluate` and :func:`ioukit.tide`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ioukit.cli import _print_captured

__all__ = ["COLUMNS", "FOOTNOTE", "Spinner", "csv_text", "json_text", "mib", "table", "write"]

#: the numeric columns of the COCO table and CSV (``COCOResult.per_category``)
COLUMNS = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR100")
_DASH = "\N{EN DASH}"
FOOTNOTE = f"{_DASH} no ground truth for the category in that area range, or no such range"
#: seconds before the spinner appears: a run shorter than this shows nothing (a small file
#: takes about 0.8 s from here, most of it loading numba's compiled kernels)
SPINNER_DELAY = 1.0


# -- output text and files -------------------------------------------------------------------


def json_text(value: Any, indent: str = "") -> str:
    """``value`` as JSON: objects and lists of objects indented by two spaces, one member per
    line; a list without objects (an array of numbers of any depth) on one line.

    The same document as ``json.dumps(value, indent=2)`` once parsed (the same numbers, written
    by the same ``float.__repr__``), but the arrays go through the C encoder, which
    ``indent=2`` switches off: for COCO's (10, 101, 80, 4, 3) precision array, 0.7 s and 17 MB
    instead of 6.2 s and 58 MB. Ends without a newline."""
    inner = indent + "  "
    if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
        members = [f"{inner}{json.dumps(k)}: {json_text(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(members) + f"\n{indent}}}"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return "[\n" + ",\n".join(inner + json_text(v, inner) for v in value) + f"\n{indent}]"
    return json.dumps(value)


def csv_text(rows: list[dict[str, Any]], fields: Sequence[str]) -> str:
    """The rows as CSV with a header; floats written exactly (their ``repr``)."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(fields))
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def write(path: str, text: str) -> None:
    """Write ``text`` to the file ``path`` whole or not at all (a temporary file, renamed)."""
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    tmp.replace(path)


def mib(path: str) -> str:
    """``name (45.5 MiB)``: a file's name and size, for the spinner."""
    name = Path(path).name
    try:
        return f"{name} ({os.path.getsize(path) / 2**20:.1f} MiB)"
    except OSError:
        return name


# -- the table -------------------------------------------------------------------------------


def _cell(v: float) -> str:
    return _DASH if v == -1 else f"{v:.3f}"


def table(
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    labels: Sequence[tuple[str, str]] = (("id", "category_id"), ("category", "name")),
) -> None:
    """Print the per-category table on stdout: the ``labels`` columns (header, key; the first
    right-aligned), then ``columns`` with three decimals, a dash for -1.

    On a terminal, with rich when it is installed (fitted to the terminal's width); to a file
    or a pipe, as plain text, which has no width to fit: rich would cut LVIS's long category
    names to its default 80 columns."""
    title = f"{len(rows)} categor{'y' if len(rows) == 1 else 'ies'}"
    undefined = any(row[c] == -1 for row in rows for c in columns)
    head = [h for h, _ in labels] + list(columns)
    cells = [[str(r[k]) for _, k in labels] + [_cell(r[c]) for c in columns] for r in rows]
    try:
        from rich import box
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        terminal = Console().is_terminal
    except ImportError:
        terminal = False
    if not terminal:
        widths = [max(len(x) for x in col) for col in zip(head, *cells, strict=True)]
        print(f"\n{title}")
        for line in [head, *cells]:
            text = [
                x.ljust(w) if 0 < j < len(labels) else x.rjust(w)
                for j, (x, w) in enumerate(zip(line, widths, strict=True))
            ]
            print("  ".join(text).rstrip())
        if undefined:
            print(FOOTNOTE)
        return
    out_table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for j, h in enumerate(head):
        if j == 0:
            out_table.add_column(h, justify="right", style="dim")
        else:
            out_table.add_column(h, justify="left" if j < len(labels) else "right")
    for line in cells:
        out_table.add_row(*line)
    out: list[Any] = ["", out_table]
    if undefined:
        out.append(Text(FOOTNOTE, style="dim"))
    _print_captured(out)


# -- the spinner -----------------------------------------------------------------------------


class Spinner:
    """A transient rich spinner on stderr while files are read and evaluated.

    Shown only when ``enabled`` (not ``-q``), stderr is a terminal and rich is installed, and
    only once the run has lasted ``delay`` seconds: a quick run shows nothing. It never touches
    stdout (rich's redirection of stdout and stderr is off); :meth:`stop` removes it, before
    anything is printed. :meth:`phase` changes its text."""

    def __init__(self, *, enabled: bool, delay: float | None = None) -> None:
        self._lock = threading.Lock()
        self._live: Any = None
        self._spinner: Any = None
        self._shown = False
        self._timer: threading.Timer | None = None
        if not (enabled and sys.stderr.isatty()):
            return
        try:
            from rich.console import Console
            from rich.live import Live
            from rich.spinner import Spinner as RichSpinner
        except ImportError:  # rich is optional
            return
        console = Console(stderr=True)
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
        """Start the clock: the spinner appears after the delay, unless :meth:`stop` comes
        first."""
        if self._timer is not None:
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
