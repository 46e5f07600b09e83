"""Why two folders do not pair, and what would pair them: the common mistakes of a folder
evaluation, found from the file names alone (no file is read).

* files of a type that is not read (:class:`SkippedFile`): JPEG masks above all, whose lossy
  compression changes pixel values around every edge, so they are never taken as class ids;
* stem suffixes (:func:`suggest_suffixes`): ``aachen_000000_000019_leftImg8bit.png`` against
  ``aachen_000000_000019_gtFine_labelIds.png`` pairs with ``pred_suffix="_leftImg8bit"`` and
  ``target_suffix="_gtFine_labelIds"``; the suggestion is checked on every file first;
* swapped folders (:func:`pairing_hint`): the targets' suffix found on the prediction side, or
  names that say ``gt`` on the prediction side only.

A hint is given only when the alternative pairs (nearly) every file and the options given pair
few: strong evidence, never a guess.
"""

from __future__ import annotations

import bisect
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ioukit._pairing import Pairing

__all__ = [
    "PairingHint",
    "SkippedFile",
    "jpeg_notes",
    "no_label_maps",
    "pairing_hint",
    "skipped_file",
    "suggest_suffixes",
]

LOSSY_SUFFIXES = (".jpg", ".jpeg", ".jpe", ".jfif")
# image types that could hold a mask but are not read (a mask saved as one of them is converted
# to PNG by the user, who knows whether the conversion is exact)
_OTHER_IMAGES = (".bmp", ".gif", ".webp", ".jp2", ".j2k", ".ppm", ".pgm", ".pbm", ".avif", ".heic")
_SEPARATORS = "_-. "
# words of target file names (Cityscapes, KITTI, Mapillary, ADE20K, COCO-Stuff, VOC, ...)
_TARGET_WORDS = frozenset(
    {"gt", "gtfine", "gtcoarse", "labelids", "trainids", "groundtruth", "label", "labels"}
    | {"annotation", "annotations", "anno", "annot"}
)
_PRED_WORDS = frozenset(
    ("pred", "preds", "prediction", "predictions", "leftimg8bit", "output", "result")
)
_MOST = 0.9  # an alternative must pair this share of the files


class SkippedFile(NamedTuple):
    """A file of a folder that :func:`ioukit.io.pair_files` did not take as a label map.

    ``folder`` is ``"prediction"`` or ``"target"``, ``path`` the file relative to its folder,
    ``kind`` ``"lossy"`` (JPEG), ``"image"`` (another image type) or ``"other"`` (not an
    image: notes, JSON, ...), and ``reason`` says why in words."""

    folder: str
    path: str
    kind: str
    reason: str


def skipped_file(folder: str, path: str) -> SkippedFile:
    """The :class:`SkippedFile` of ``path`` (relative to its folder), by its extension."""
    ext = os.path.splitext(path)[1].lower()
    if ext in LOSSY_SUFFIXES:
        return SkippedFile(
            folder,
            path,
            "lossy",
            "JPEG is lossy: its pixel values change around every edge, so they are not "
            "trusted as class ids; save label maps as PNG",
        )
    if ext in _OTHER_IMAGES:
        return SkippedFile(
            folder,
            path,
            "image",
            f"{ext} is not read as a label map (.png, .tif, .tiff, .npy are); save it as PNG",
        )
    return SkippedFile(folder, path, "other", "not a label map")


class PairingHint(NamedTuple):
    """What would pair the folders: the prediction and target folders (swapped or not), the
    suffixes, how many pairs that makes, and why it is suggested."""

    swap: bool
    pred_suffix: str
    target_suffix: str
    pairs: int
    reason: str


def _paired(
    preds: Iterable[str], targets: Iterable[str], pred_suffix: str, target_suffix: str
) -> int:
    """How many keys pair once the suffixes are removed from the keys that end with them."""

    def keys(names: Iterable[str], suffix: str) -> set[str]:
        return {n[: len(n) - len(suffix)] for n in names if n.endswith(suffix)}

    return len(keys(preds, pred_suffix) & keys(targets, target_suffix))


def _common(names: list[str]) -> str:
    """The longest common start of two strings, character by character."""
    a, b = names
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _tails(pred: str, target: str) -> tuple[str, str] | None:
    """The differing ends of two names after their longest common start, cut at a separator
    (``a_000_left`` / ``a_000_gt``: ``_left`` / ``_gt``); None if they differ in the folder."""
    n = len(_common([pred, target]))
    if (n < len(pred) and n < len(target)) or (pred[n:] + target[n:])[:1] not in _SEPARATORS:
        cut = max(pred.rfind(s, 0, n + 1) for s in _SEPARATORS)
        if cut <= 0 or "/" in pred[cut:] + target[cut:]:
            return None
        n = cut
    pt, tt = pred[n:], target[n:]
    if "/" in pt + tt or not (pt or tt):
        return None
    return pt, tt


def suggest_suffixes(
    preds: Sequence[str], targets: Sequence[str], *, sample: int = 400
) -> tuple[str, str, int] | None:
    """``(pred_suffix, target_suffix, pairs)`` that pair (nearly) all of the file keys (relative
    path without extension) ``preds`` and ``targets``, or None.

    Each of up to ``sample`` targets is set beside the prediction that shares the longest start
    with it; the most frequent pairs of differing ends (cut at ``_``, ``-``, ``.``) are the
    candidates, and each is tried on every file: the best is returned if it pairs at least 90%
    of the smaller folder.

    >>> preds, targets = ["a_000_left", "b_001_left"], ["a_000_gtFine", "b_001_gtFine"]
    >>> suggest_suffixes(preds, targets)
    ('_left', '_gtFine', 2)
    >>> suggest_suffixes(["a", "b"], ["x_gt", "y_gt"]) is None
    True
    """
    if not preds or not targets:
        return None
    ordered = sorted(preds)
    step = max(1, len(targets) // sample)
    votes: Counter[tuple[str, str]] = Counter()
    for target in sorted(targets)[::step]:
        i = bisect.bisect_left(ordered, target)
        near = [ordered[j] for j in (i - 1, i) if 0 <= j < len(ordered)]
        best = max(near, key=lambda p: len(_common([p, target])))
        tails = _tails(best, target)
        if tails is not None:
            votes[tails] += 1
    found = [(_paired(preds, targets, p, t), p, t) for (p, t), _ in votes.most_common(3)]
    if not found:
        return None
    pairs, pred_suffix, target_suffix = max(found, key=lambda f: (f[0], -len(f[1] + f[2])))
    if pairs < _MOST * min(len(preds), len(targets)):
        return None
    return pred_suffix, target_suffix, pairs


def _words(suffix: str) -> set[str]:
    return {w.lower() for w in re.split(r"[_\-. ]+", suffix) if w}


def looks_like_target(suffix: str) -> bool:
    """Whether a file-name end says "ground truth" and not "prediction" (``_gtFine_labelIds``)."""
    words = _words(suffix)
    return bool(words & _TARGET_WORDS) and not words & _PRED_WORDS


def pairing_hint(
    preds: Sequence[str],
    targets: Sequence[str],
    *,
    pred_suffix: str,
    target_suffix: str,
    paired: int,
) -> PairingHint | None:
    """What would pair the folders when the options given pair few of their files (``paired``
    pairs, under half of the smaller folder), or None.

    ``preds`` and ``targets`` are the keys of every label map of each folder (relative path
    without extension, no suffix removed). Tried in turn: the folders swapped with the same
    suffixes; other suffixes (:func:`suggest_suffixes`), with the folders swapped when the
    prediction side's end names a target (``_gtFine_labelIds``) and the target side's does
    not; the folders swapped, when only the prediction side's names say so.

    >>> h = pairing_hint(["a_gt", "b_gt"], ["a", "b"], pred_suffix="", target_suffix="_gt",
    ...                  paired=0)
    >>> h.swap, h.pairs
    (True, 2)
    """
    fewest = min(len(preds), len(targets))
    if not fewest or paired >= 0.5 * fewest:
        return None
    if pred_suffix or target_suffix:
        n = _paired(targets, preds, pred_suffix, target_suffix)
        if n >= _MOST * fewest and n > paired:
            return PairingHint(
                True,
                pred_suffix,
                target_suffix,
                n,
                "the target suffix is on the prediction side's names",
            )
    found = suggest_suffixes(preds, targets)
    if found is None:
        return None
    ps, ts, n = found
    if n <= paired:
        return None
    if looks_like_target(ps) and not looks_like_target(ts):
        return PairingHint(
            True,
            ts,
            ps,
            n,
            f"the prediction folder's names end with {ps!r}, a target's name",
        )
    return PairingHint(False, ps, ts, n, "the file names differ by these ends")


def _key(rel: str, suffix: str) -> str | None:
    """The pairing key of a file (relative path without extension and suffix), or None."""
    stem = os.path.splitext(rel)[0]
    return stem[: len(stem) - len(suffix)] if stem.endswith(suffix) else None


def jpeg_notes(pairing: Pairing, *, target_suffix: str, pred_suffix: str) -> dict[str, str]:
    """For each target without a prediction whose prediction is there as a JPEG file (not
    read): its relative path → a note that says so."""
    lossy = {
        _key(f.path, pred_suffix): f.path
        for f in pairing.skipped
        if f.folder == "prediction" and f.kind == "lossy"
    }
    lossy.pop(None, None)
    notes = {}
    for rel in pairing.missing_predictions:
        jpeg = lossy.get(_key(rel, target_suffix))
        if jpeg is not None:
            notes[rel] = (
                f"its prediction {jpeg} is a JPEG file, not read (lossy: its values are not "
                "class ids); save the prediction as PNG"
            )
    return notes


def no_label_maps(pairing: Pairing, side: str, folder: object, suffix: str) -> str | None:
    """Why a folder without label maps has none, for an error: always for the targets, and for
    the predictions when the folder holds images of a type that is not read (JPEG above all);
    otherwise None (each target is then listed as missing its prediction)."""
    skipped = [f for f in pairing.skipped if f.folder == side and f.kind != "other"]
    if side == "prediction" and not skipped:
        return None
    named = f" named *{suffix}.*" if suffix else ""
    text = (
        f"no label maps in the {side} folder {str(folder)!r} (looked for *.png, *.tif, *.tiff, "
        f"*.npy{named}, in sub-folders too)."
    )
    lossy = [f.path for f in skipped if f.kind == "lossy"]
    if lossy:
        text += (
            f" It holds {len(lossy)} JPEG file(s) ({lossy[0]}, ...), which are not read: "
            "JPEG is lossy, so its pixel values change around every edge and are not class "
            "ids. Save the label maps as PNG from the arrays (converting the JPEG files would "
            "keep their changed values)."
        )
    elif skipped:
        exts = sorted({os.path.splitext(f.path)[1].lower() for f in skipped})
        text += (
            f" It holds {len(skipped)} image(s) of a type that is not read ({', '.join(exts)}); "
            "save the label maps as PNG."
        )
    return text
