"""``ioukit compare A.json B.json``: is model B better than model A on the same images?

A thin face over :func:`ioukit.load_result` (the two ``--json`` documents of ``ioukit
segment``, ``detect`` or ``panoptic``, rebuilt from the per-image state they carry, without
evaluating again), :func:`ioukit.stats.compare` (the paired bootstrap: each model's interval,
the difference B - A with its interval, P(B > A), the p-value, the per-class differences and
the images that changed most) and :func:`ioukit.report.write_html` (``--html``). Here: the
options, the layout of the numbers in each ``--format``, the messages and the exit codes of
:mod:`ioukit.cli`.
"""

from __future__ import annotations

import argparse
import math
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ioukit._cli_output import (
    PROG,
    Summary,
    UsageError,
    add_display_options,
    check_output_folders,
    csv_text,
    exit_codes,
    json_text,
    markdown_table,
    number,
    positive_int,
    print_table,
    show,
    write,
)
from ioukit._cli_table import Screen
from ioukit._errors import InputError, ParameterError

if TYPE_CHECKING:
    from ioukit.stats import Comparison, ConfidenceInterval

__all__ = ["add_parser"]

_NAME = "compare"
_DESCRIPTION = """\
Compare two models evaluated on the same images: the difference B - A of a
metric with its bootstrap confidence interval, the probability that B is better,
a two-sided p-value, the per-class differences and the images that changed most.

A.json and B.json are the --json documents of `ioukit segment`, `ioukit detect`
or `ioukit panoptic` (they carry the per-image state, so nothing is evaluated
again). Both must be of the same kind, with the same settings (classes, ignored
values, IoU type, ...), on the same images. Images are resampled whole, with
replacement, the same draws for both models (a paired bootstrap)."""
_EPILOG = (
    exit_codes(
        "bad input: a missing file, not JSON, a JSON without state (written by\n"
        "       an older ioukit), or two runs that cannot be compared (another kind,\n"
        "       other settings or other images)"
    )
    + """

examples:
  ioukit segment pred_a/ gt/ --num-classes 19 --ignore-index 255 --json a.json -q
  ioukit segment pred_b/ gt/ --num-classes 19 --ignore-index 255 --json b.json -q
  ioukit compare a.json b.json --labels baseline ours --html comparison.html
  ioukit compare a.json b.json --metric iou:road --format markdown > comparison.md
  ioukit compare coco_a.json coco_b.json --metric AP50 --resamples 2000 --seed 1"""
)
# library words → the words of the command line
_WORDS = (
    ("`result_a`", "A.json"),
    ("`result_b`", "B.json"),
    ("`metric`", "--metric"),
    ("`n_resamples`", "--resamples"),
    ("`random_state`", "--seed"),
    ("`level`", "--level"),
    ("`method`", "--method"),
    ("`top_images`", "--top-images"),
    ("`labels`", "--labels"),
)


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a confidence level between 0 and 1, e.g. 0.95; got {text!r}"
        )
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0; got {text!r}")
    return value


def add_parser(sub: Any) -> None:
    """Register the ``compare`` subcommand (its options and its handler).

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subcommands of the parser of :func:`ioukit.cli.main`.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="ioukit")
    >>> add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["compare", "a.json", "b.json", "--labels", "old", "new"])
    >>> args.metric, args.labels, args.resamples, args.seed, args.level, args.method
    (None, ['old', 'new'], 10000, 0, 0.95, 'bca')
    """
    p = sub.add_parser(
        _NAME,
        help="compare two models on the same images: the difference of a metric with its "
        "bootstrap confidence interval",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
    p.add_argument("a", metavar="A.json", help="the --json of the first model (the baseline)")
    p.add_argument("b", metavar="B.json", help="the --json of the second model")
    g = p.add_argument_group("comparison")
    g.add_argument(
        "--metric",
        metavar="NAME",
        default=None,
        help="the metric to compare (default: the headline: miou, AP or PQ), e.g. "
        "miou:mmseg, mdice, iou:road, AP50, AP:person, PQ_th; an unknown name lists the "
        "valid ones",
    )
    g.add_argument(
        "--labels",
        nargs=2,
        metavar=("A", "B"),
        default=None,
        help="the names of the two models in the output (default: the file names without "
        ".json, or A and B when those are the same)",
    )
    g.add_argument(
        "--level",
        type=_level,
        default=0.95,
        help="confidence level of the intervals (default: 0.95)",
    )
    g.add_argument(
        "--resamples",
        type=positive_int,
        default=10000,
        metavar="N",
        help="bootstrap resamples of the images (default: 10000)",
    )
    g.add_argument(
        "--seed",
        type=_seed,
        default=0,
        metavar="S",
        help="seed of the resampling (default: 0: a rerun prints the same numbers)",
    )
    g.add_argument(
        "--method",
        choices=("bca", "percentile"),
        default="bca",
        help="the interval: bias-corrected and accelerated (default) or percentile",
    )
    g.add_argument(
        "--top-images",
        type=positive_int,
        default=20,
        metavar="N",
        help="how many of the images that changed most to list (default: 20)",
    )
    g = p.add_argument_group("output")
    g.add_argument("--json", metavar="FILE", help="write the comparison as JSON to FILE")
    g.add_argument(
        "--html",
        metavar="FILE",
        help="write the comparison as an offline HTML report (one file)",
    )
    add_display_options(g)
    p.set_defaults(func=_compare)


def _words(message: str) -> str:
    for func in ("compare", "confidence_intervals", "confidence_interval", "load_result"):
        message = message.removeprefix(f"{func}: ")
    for api, option in _WORDS:
        message = message.replace(api, option)
    return message


def _labels(args: argparse.Namespace) -> tuple[str, str]:
    if args.labels is not None:
        return args.labels[0], args.labels[1]
    stems = Path(args.a).stem, Path(args.b).stem
    return stems if stems[0] != stems[1] else ("A", "B")


class _BadFile(Exception):
    """An input file that cannot be read or compared: exit code 1."""


def _compare(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except _BadFile as exc:
        print(f"{PROG} {_NAME}: error: {exc}", file=sys.stderr)
        return 1


def _load(path: str, name: str) -> Any:
    """The result of the ``--json`` document at ``path``; a message naming the file."""
    from ioukit._load import load_result

    try:
        return load_result(path)
    except InputError as exc:
        message = _words(str(exc))
        raise _BadFile(message if path in message else f"{name} {path!r}: {message}") from None


def _run(args: argparse.Namespace) -> int:
    from ioukit._cli_progress import spinner

    check_output_folders(args, ("json", "html"))
    result_a, result_b = _load(args.a, "A.json"), _load(args.b, "B.json")
    labels = _labels(args)
    busy = spinner(
        args,
        f"comparing {labels[1]} with {labels[0]}: {args.resamples} bootstrap resamples of the "
        f"images\N{HORIZONTAL ELLIPSIS}",
    )
    try:
        comparison = _comparison(args, result_a, result_b, labels)
        if args.html:
            from ioukit.report import write_html

            busy.phase("writing the HTML report\N{HORIZONTAL ELLIPSIS}")
            write_html(comparison, args.html)
    finally:
        busy.stop()

    @cache
    def document() -> str:
        return json_text(comparison.to_dict()) + "\n"

    if args.json:
        write(args.json, document())
    show(
        args,
        Summary(
            lambda: _table(comparison),
            document,
            lambda: csv_text(comparison.per_class, _CLASS_FIELDS),
            lambda: _markdown(comparison),
        ),
    )
    return 0


def _comparison(
    args: argparse.Namespace, result_a: Any, result_b: Any, labels: tuple[str, str]
) -> Comparison:
    """:func:`ioukit.stats.compare` of the two results. A bad option (an unknown metric) is a
    usage error (exit 2); two results that cannot be compared, bad input (exit 1)."""
    from ioukit.stats import compare

    try:
        return compare(
            result_a,
            result_b,
            metric=args.metric,
            level=args.level,
            method=args.method,
            n_resamples=args.resamples,
            random_state=args.seed,
            top_images=args.top_images,
            labels=labels,
        )
    except (ParameterError, InputError) as exc:
        message = _words(str(exc))
        if isinstance(exc, ParameterError) and _names_an_option(message):
            raise UsageError(message) from None
        # other kinds, settings or images
        raise _BadFile(f"{args.a} and {args.b} cannot be compared: {message}") from None


def _names_an_option(message: str) -> bool:
    """Whether a library message is about an option of this command (a usage error), rather
    than about the two files (evaluated with other settings)."""
    options = [option for api, option in _WORDS if not api.startswith("`result")]
    return "unknown metric" in message or any(option in message for option in options)


# -- what is printed -------------------------------------------------------------------------

#: the columns of ``--format csv``: the rows of ``Comparison.per_class``
_CLASS_FIELDS = ("name", "metric", "a", "b", "difference", "low", "high", "prob_b_better")


def _signed(v: float | None) -> str:
    return "n/a" if v is None or math.isnan(v) else f"{v:+.4f}"


def _headline(c: Comparison) -> list[list[str]]:
    """``[who, metric, estimate, low, high]`` of A, B and the difference B - A."""

    def row(who: str, ci: ConfidenceInterval, diff: bool = False) -> list[str]:
        fmt = _signed if diff else (lambda v: number(v, 4))
        return [who, ci.metric, fmt(ci.estimate), fmt(ci.low), fmt(ci.high)]

    a, b = c.labels
    return [row(a, c.a), row(b, c.b), row(f"{b} - {a}", c.difference, diff=True)]


def _odds(c: Comparison) -> str:
    return (
        f"P({c.labels[1]} > {c.labels[0]}) = {c.prob_b_better:.4f}   "
        f"p-value = {c.p_value:.4f} (two-sided, paired bootstrap)"
    )


def _class_cells(c: Comparison) -> list[list[str]]:
    return [
        [
            str(r["name"]),
            str(r["metric"]),
            number(r["a"], 4),
            number(r["b"], 4),
            _signed(r["difference"]),
            _signed(r["low"]),
            _signed(r["high"]),
            number(r["prob_b_better"], 3),
        ]
        for r in c.per_class
    ]


def _image_cells(c: Comparison) -> list[list[str]]:
    return [
        [str(r["image"]), number(r["a"], 4), number(r["b"], 4), _signed(r["difference"])]
        for r in c.images
    ]


def _heads(c: Comparison) -> tuple[list[str], list[str]]:
    a, b = c.labels
    pct = f"{100 * c.level:g}%"
    per_class = [
        "class",
        "metric",
        a,
        b,
        f"{b} - {a}",
        f"{pct} low",
        f"{pct} high",
        f"P({b} > {a})",
    ]
    return per_class, ["image", a, b, f"{b} - {a}"]


def _table(c: Comparison) -> None:
    a, b = c.labels
    screen = Screen()  # on a terminal, lines wrapped at word breaks, never cut
    screen.text(f"{c.metric}: {b} against {a} on {c.n_images} images")
    for who, ci in ((a, c.a), (b, c.b), (f"{b} - {a}", c.difference)):
        screen.text(f"  {who}: {ci}")
    screen.text(f"  {_odds(c)}")
    per_class, images = _heads(c)
    if c.per_class:
        title = f"per class ({len(c.per_class)})"  # narrow: the interval goes first, B - A stays
        print_table(title, per_class, _class_cells(c), left=[0, 1], drop=(5, 6, 7, 1, 2, 3))
    if c.images:
        title = f"the {len(c.images)} images that changed most ({c.image_score})"
        print_table(title, images, _image_cells(c), left=[0], drop=(1, 2))


def _markdown(c: Comparison) -> str:
    a, b = c.labels
    per_class, images = _heads(c)
    pct = f"{100 * c.level:g}%"
    head = ["", "metric", "estimate", f"{pct} low", f"{pct} high"]
    method = "BCa" if c.method == "bca" else c.method
    parts = [
        f"**{c.metric}: {b} against {a}** ({c.n_images} images, {method} intervals from "
        f"{c.n_resamples} resamples)",
        markdown_table(head, _headline(c)),
        _odds(c),
    ]
    if c.per_class:
        parts.append(markdown_table(per_class, _class_cells(c), left=[0, 1]))
    if c.images:
        parts.append(f"**The images that changed most** ({c.image_score})")
        parts.append(markdown_table(images, _image_cells(c)))
    return "\n\n".join(parts) + "\n"
