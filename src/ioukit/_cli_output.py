"""What every ``ioukit`` command shares: the display options (``--progress`` / ``--quiet``,
``--format``), the HTML report options, the checks of output paths, and the text of each
format (tables, JSON, CSV, GitHub markdown) on stdout.

Nothing here computes a number: each command hands over the texts of its result (its
``to_dict()``, its per-class rows, its summary), and this module only lays them out.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ioukit._cli_table import plain_table, print_table, stdout_is_terminal

__all__ = [
    "FORMATS",
    "PROG",
    "Summary",
    "UsageError",
    "add_display_options",
    "add_report_options",
    "check_output_folders",
    "check_report_options",
    "csv_text",
    "emit",
    "exit_codes",
    "json_text",
    "markdown_table",
    "number",
    "plain_table",
    "positive_int",
    "print_table",
    "show",
    "stdout_is_terminal",
    "write",
    "write_report",
]

PROG = "ioukit"

#: the values of ``--format``
FORMATS = ("table", "json", "csv", "markdown")

#: characters written to stdout at a time: a write that fills a pipe whose reader has gone
#: returns short without an error, and only the next one raises BrokenPipeError (exit 141)
_CHUNK = 1 << 20

_PROGRESS_HELP = (
    "show the progress bar on stderr even when stderr is not a terminal (default: only on a "
    "terminal)"
)
_QUIET_HELP = (
    "print no progress bar and no table; a --format other than table is still printed, and "
    "errors and warnings still go to stderr"
)
_FORMAT_HELP = (
    "what stdout shows: table (default; plain text, nothing cut, when stdout is not a "
    "terminal), json (the document that --json writes), csv (the per-class or per-category "
    "rows, with a header, numbers in full), markdown (GitHub tables of the headline metrics "
    "and of the per-class or per-category rows)"
)


class UsageError(Exception):
    """A bad combination of options, found after parsing: exit code 2."""


def exit_codes(bad_input: str, *, resume: str = "Ctrl-C") -> str:
    """The ``exit codes:`` block of a command's epilog (the codes of :func:`ioukit.cli.main`).

    >>> print(exit_codes("bad input files or data"))
    exit codes:
      0    success
      1    bad input files or data
      2    usage error
      130  interrupted (Ctrl-C)
      141  stdout closed early (e.g. | head): the output stops, quietly
    """
    return (
        "exit codes:\n"
        "  0    success\n"
        f"  1    {bad_input}\n"
        "  2    usage error\n"
        f"  130  interrupted ({resume})\n"
        "  141  stdout closed early (e.g. | head): the output stops, quietly"
    )


# -- options ---------------------------------------------------------------------------------


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value}")
    return value


def add_display_options(group: Any) -> None:
    """``--progress`` / ``-q --quiet`` (one or the other) and ``--format``, in ``group``.

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> add_display_options(parser)
    >>> args = parser.parse_args(["-q", "--format", "csv"])
    >>> args.progress, args.quiet, args.format
    (False, True, 'csv')
    """
    both = group.add_mutually_exclusive_group()
    both.add_argument("--progress", action="store_true", help=_PROGRESS_HELP)
    both.add_argument("-q", "--quiet", action="store_true", help=_QUIET_HELP)
    group.add_argument("--format", choices=FORMATS, default=None, help=_FORMAT_HELP)


def add_report_options(group: Any, *, images: bool = False) -> None:
    """``--html FILE``, ``--ci-resamples N``, ``--no-ci`` (and ``--images DIR``) in ``group``."""
    group.add_argument(
        "--html",
        metavar="FILE",
        help="write an offline HTML report (one file): the headline numbers with bootstrap "
        "confidence intervals, the per-class table and charts"
        + (", and the worst images drawn" if images else ""),
    )
    if images:
        group.add_argument(
            "--images",
            metavar="DIR",
            help="--html: the original images (found by name), under the drawn label maps",
        )
    group.add_argument(
        "--ci-resamples",
        type=positive_int,
        default=None,
        metavar="N",
        help="--html: bootstrap resamples of the images for the intervals (default: 2000)",
    )
    group.add_argument(
        "--no-ci", action="store_true", help="--html: no confidence intervals (a faster report)"
    )


def check_report_options(args: argparse.Namespace) -> None:
    """The report options need ``--html``; ``--images`` is a folder."""
    given = [
        flag
        for flag, on in (
            ("--images", getattr(args, "images", None) is not None),
            ("--ci-resamples", args.ci_resamples is not None),
            ("--no-ci", args.no_ci),
        )
        if on
    ]
    if given and args.html is None:
        raise UsageError(f"{' and '.join(given)} shape the HTML report: add --html FILE.")
    if args.no_ci and args.ci_resamples is not None:
        raise UsageError("--no-ci leaves the intervals out; --ci-resamples sets them: pick one.")
    images = getattr(args, "images", None)
    if images is not None and not Path(images).is_dir():
        raise UsageError(f"--images {images!r} is not a folder.")


def write_report(obj: Any, args: argparse.Namespace, *, busy: Any = None, **extra: Any) -> None:
    """``--html``: :func:`ioukit.report.write_html` of ``obj`` with the report options, a
    spinner on stderr meanwhile (``busy``, a running :class:`~ioukit._cli_progress.Spinner`,
    or a new one); ``extra`` are more keyword arguments of ``write_html``."""
    from ioukit._cli_progress import spinner
    from ioukit.report import write_html

    n = 2000 if args.ci_resamples is None else args.ci_resamples
    what = "" if args.no_ci else f", {n} bootstrap resamples"
    text = f"writing the HTML report{what}\N{HORIZONTAL ELLIPSIS}"
    own = busy is None
    if own:
        busy = spinner(args, text)
    else:
        busy.phase(text)
    try:
        page = write_html(obj, args.html, intervals=not args.no_ci, n_resamples=n, **extra)
    finally:
        if own:
            busy.stop()
    if not args.quiet:  # say where it went (stderr: stdout may be a --format document)
        size = page.stat().st_size / 2**20
        print(f"{PROG} {args.command}: report written to {page} ({size:.1f} MiB)", file=sys.stderr)


def check_output_folders(args: argparse.Namespace, options: Iterable[str]) -> None:
    """Each output file's folder exists (``-`` is stdout): fail now, not after the work."""
    for option in options:
        out = getattr(args, option, None)
        if out not in (None, "-") and not Path(out).resolve().parent.is_dir():
            raise UsageError(
                f"--{option.replace('_', '-')} {out}: the folder {str(Path(out).parent)!r} "
                "does not exist."
            )


# -- files -----------------------------------------------------------------------------------


def write(path: str | Path, text: str) -> None:
    """Write ``text`` to the file ``path`` whole or not at all (a temporary file, renamed)."""
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    tmp.replace(path)


def json_text(value: Any, indent: str = "") -> str:
    """``value`` as JSON: objects and lists of objects indented by two spaces, one member per
    line; a list without objects (an array of numbers of any depth) on one line.

    The same document as ``json.dumps(value, indent=2)`` once parsed (the same numbers, written
    by the same ``float.__repr__``), but the arrays go through the C encoder, which
    ``indent=2`` switches off: for COCO's (10, 101, 80, 4, 3) precision array, 0.7 s and 17 MB
    instead of 6.2 s and 58 MB. Ends without a newline.

    >>> print(json_text({"a": [[1, 2], [3, 4]], "b": [{"c": None}]}))
    {
      "a": [[1, 2], [3, 4]],
      "b": [
        {
          "c": null
        }
      ]
    }
    """
    inner = indent + "  "
    if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
        members = [f"{inner}{json.dumps(k)}: {json_text(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(members) + f"\n{indent}}}"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return "[\n" + ",\n".join(inner + json_text(v, inner) for v in value) + f"\n{indent}]"
    return json.dumps(value)


def csv_text(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> str:
    """The rows as CSV with a header; floats written exactly (their ``repr``), None empty.

    >>> csv_text([{"name": "a, b", "iou": 0.1, "n": None}], ["name", "iou", "n"]).splitlines()
    ['name,iou,n', '"a, b",0.1,']
    """
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(fields), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


# -- tables ----------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    """A cell of a GitHub table: ``|`` escaped, line breaks as spaces, HTML's ``<``, ``>``
    and ``&`` as entities (a class named ``<b>`` stays text)."""
    text = " ".join(str(text).split())
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|")):
        text = text.replace(char, entity)
    return text


def markdown_table(
    head: Sequence[str], rows: Sequence[Sequence[Any]], *, left: Iterable[int] = (0,)
) -> str:
    """A GitHub (GFM) table: the header, the alignment row (``:--`` for the columns at
    ``left``, ``--:`` for the others), one line per row.

    >>> print(markdown_table(["class", "IoU"], [["a|b", "0.5000"]]))
    | class | IoU |
    | :-- | --: |
    | a\\|b | 0.5000 |
    """
    at_left = set(left)
    align = [":--" if j in at_left else "--:" for j in range(len(head))]
    lines = [head, align, *rows]
    return "\n".join("| " + " | ".join(_md_cell(c) for c in line) + " |" for line in lines)


def number(value: float | None, digits: int, *, scale: float = 1.0) -> str:
    """``value * scale`` with ``digits`` decimals; ``n/a`` for None and NaN.

    >>> number(0.123456, 4), number(0.123456, 2, scale=100), number(float("nan"), 4)
    ('0.1235', '12.35', 'n/a')
    """
    if value is None or math.isnan(value):
        return "n/a"
    return f"{scale * value:.{digits}f}"


# -- stdout ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """What a command shows on stdout, one callable per ``--format`` (each called only when
    that format is asked for)."""

    table: Callable[[], None]  # prints the table (rich on a terminal, plain text otherwise)
    json: Callable[[], str]  # the --json document
    csv: Callable[[], str]  # the per-class rows
    markdown: Callable[[], str]  # the headline metrics and the per-class rows


def emit(text: str) -> None:
    """Write ``text`` to stdout in chunks, then flush: a closed pipe raises BrokenPipeError
    here, inside :func:`ioukit.cli.main` (exit 141), not at exit."""
    for i in range(0, len(text), _CHUNK):
        sys.stdout.write(text[i : i + _CHUNK])
    sys.stdout.flush()


def show(args: argparse.Namespace, summary: Summary) -> None:
    """Print ``summary`` in ``args.format`` (the table unless ``--quiet``)."""
    fmt = args.format or "table"
    if fmt == "table":
        if not args.quiet:
            summary.table()
            sys.stdout.flush()
        return
    text = {"json": summary.json, "csv": summary.csv, "markdown": summary.markdown}[fmt]()
    emit(text if text.endswith("\n") else text + "\n")
