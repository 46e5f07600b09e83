"""The problems of a folder evaluation: how they are listed (:func:`format_problems`), the
errors that carry them (:class:`FolderProblemsError`, :class:`PairingError`), and the checks of
a pairing before any file is read. Public names are re-exported by :mod:`ioukit.evaluate`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ioukit._errors import InputError
from ioukit._folder import PROBLEM_KINDS, Problem
from ioukit._pair_hints import PairingHint, SkippedFile

if TYPE_CHECKING:
    from ioukit._pairing import Pairing

__all__ = [
    "MESSAGE_LIMIT",
    "FolderProblemsError",
    "PairingError",
    "check_pairing",
    "format_problems",
    "hex_palette",
    "problems_by_kind",
    "skipped_rows",
    "truncated",
]


def problems_by_kind(problems: Iterable[Problem]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {kind: [] for kind in PROBLEM_KINDS}
    for p in problems:
        out[p.kind].append(str(p))
    return out


def format_problems(problems: Iterable[Problem], *, limit: int | None = None) -> str:
    """The problems as indented lines, grouped under the heading of their kind.

    ``limit``: at most this many lines per kind, then ``… and N more``. Per kind, so that a
    few problems of one kind are never hidden behind hundreds of another (600 missing
    predictions, 2 size mismatches).

    >>> print(format_problems([Problem("missing_prediction", "a.png", ""),
    ...                        Problem("size_mismatch", "b", "prediction 2x2, target 3x3")]))
      targets without a prediction (1):
        a.png
      prediction and target sizes differ (1):
        b: prediction 2x2, target 3x3
    >>> print(format_problems([Problem("extra_prediction", f"{i}.png", "") for i in range(4)],
    ...                       limit=2))
      predictions without a target (4):
        0.png
        1.png
        … and 2 more
    """
    lines = []
    for kind, texts in problems_by_kind(problems).items():
        if texts:
            lines.append(f"  {PROBLEM_KINDS[kind]} ({len(texts)}):")
            shown = texts if limit is None or len(texts) <= limit else texts[:limit]
            lines.extend(f"    {text}" for text in shown)
            if len(shown) < len(texts):
                lines.append(f"    … and {len(texts) - len(shown)} more")
    return "\n".join(lines)


def truncated(problems: Sequence[Problem], limit: int) -> bool:
    """Whether :func:`format_problems` with ``limit`` leaves some problem out."""
    return any(len(texts) > limit for texts in problems_by_kind(problems).values())


MESSAGE_LIMIT = 20
"""Problems of one kind that an error message lists; the error keeps them all."""


class FolderProblemsError(InputError):
    """:func:`evaluate_folder` with ``on_bad="fail"`` found problems with the files.

    Every pair was still read, so a checkpoint holds the good ones. Attributes: ``problems``
    (a tuple of :class:`Problem`: all of them; the message lists up to 20 of each kind),
    ``num_evaluated`` (the good pairs), ``num_pairs``, ``note`` (empty, or a line on what
    the problems suggest: swapped folders) and ``skipped`` (the files that are not label maps:
    :attr:`ioukit.io.Pairing.skipped`).
    """

    def __init__(
        self,
        problems: tuple[Problem, ...],
        *,
        num_evaluated: int,
        num_pairs: int,
        note: str = "",
        skipped: tuple[SkippedFile, ...] = (),
    ):
        self.problems = problems
        self.note = note
        self.skipped = skipped
        self.num_evaluated = num_evaluated
        self.num_pairs = num_pairs
        if num_evaluated:
            advice = (
                'Fix the files, or pass on_bad="skip" to evaluate the '
                f"{num_evaluated} good pair(s) and record the problems."
            )
        else:
            advice = "No pair could be evaluated: fix the files or the options."
        more = (
            f" Every problem is in this error's `problems` ({len(problems)})."
            if truncated(problems, MESSAGE_LIMIT)
            else ""
        )
        super().__init__(
            f"evaluate_folder: {len(problems)} problem(s) with the input files:\n"
            f"{format_problems(problems, limit=MESSAGE_LIMIT)}{note}\n{advice}{more}"
        )

    def to_dict(self) -> dict[str, Any]:
        """What ``ioukit segment --json`` writes for a failed run: no scores, and every
        problem by kind (``files.problems``, as in :meth:`FolderEvaluation.to_dict`)."""
        from ioukit import __version__

        return {
            "ioukit_version": __version__,
            "command": "segment",
            "status": "failed",
            "files": {
                "pairs": self.num_pairs,
                "evaluated": self.num_evaluated,
                "problems": problems_by_kind(self.problems),
                "skipped": skipped_rows(self.skipped),
            },
        }


def skipped_rows(skipped: Iterable[SkippedFile]) -> list[dict[str, str]]:
    """The skipped image files (JPEG, other image types) as JSON rows."""
    return [
        {"folder": f.folder, "path": f.path, "kind": f.kind} for f in skipped if f.kind != "other"
    ]


class PairingError(InputError):
    """:func:`evaluate_folder`'s options pair few of the files, and other options would pair
    (nearly) all of them: the folders are swapped, or the suffixes are wrong.

    Attributes: ``hint`` (a :class:`~ioukit._pair_hints.PairingHint`: ``swap``, ``pred_suffix``,
    ``target_suffix``, ``pairs``, ``reason``), ``paired`` (the pairs these options make) and
    ``num_targets``.
    """

    def __init__(self, message: str, *, hint: PairingHint, paired: int, num_targets: int):
        super().__init__(message)
        self.hint = hint
        self.paired = paired
        self.num_targets = num_targets


def hex_palette(colours: Mapping[int, tuple[int, int, int]]) -> dict[str, str]:
    """A palette as the configuration records it: ``{"id": "#rrggbb"}``."""
    return {str(k): "#{:02x}{:02x}{:02x}".format(*rgb) for k, rgb in colours.items()}


def check_pairing(
    pairing: Pairing,
    hint: PairingHint | None,
    pred_dir: str | os.PathLike[str],
    target_dir: str | os.PathLike[str],
    target_suffix: str,
    pred_suffix: str,
) -> None:
    """Raise when the pairing cannot be meant: other options would pair (nearly) every file,
    or a folder holds no label map (JPEG files only, say)."""
    from ioukit._pair_hints import no_label_maps

    func = "evaluate_folder"
    targets = len(pairing.pairs) + len(pairing.missing_predictions)
    if hint is not None:
        new = (target_dir, pred_dir) if hint.swap else (pred_dir, target_dir)
        raise PairingError(
            f"{func}: these options pair {len(pairing.pairs)} of {targets} target(s), while "
            f"pred_dir={str(new[0])!r}, target_dir={str(new[1])!r}, "
            f"pred_suffix={hint.pred_suffix!r}, target_suffix={hint.target_suffix!r} would "
            f"pair {hint.pairs}: {hint.reason}.",
            hint=hint,
            paired=len(pairing.pairs),
            num_targets=targets,
        )
    preds = len(pairing.pairs) + len(pairing.extra_predictions)
    for side, folder, count, suffix in (
        ("target", target_dir, targets, target_suffix),
        ("prediction", pred_dir, preds, pred_suffix),
    ):
        why = None if count else no_label_maps(pairing, side, folder, suffix)
        if why is not None:
            raise InputError(f"{func}: {why}")
