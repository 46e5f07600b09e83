"""Pairing two folders of label maps by relative path and stem: :func:`pair_files` (re-exported
by :mod:`ioukit.io`), what a pairing skipped, and what would pair folders that do not."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from ioukit._errors import InputError
from ioukit._fs import file_sizes, is_url, list_files, remember_sizes
from ioukit._pair_hints import PairingHint, SkippedFile, pairing_hint, skipped_file

__all__ = [
    "LABEL_MAP_SUFFIXES",
    "Pair",
    "Pairing",
    "SkippedFile",
    "pair_file_sizes",
    "pair_files",
    "pair_with_hint",
]

LABEL_MAP_SUFFIXES: tuple[str, ...] = (".png", ".tif", ".tiff", ".npy")
"""File extensions read as label maps (compared case-insensitively)."""


class Pair(NamedTuple):
    """One prediction/target pair: ``name`` is the relative path of the target without its
    extension and suffix (``"city/img_001"``), the key that matched both files. ``pred`` and
    ``target`` are :class:`pathlib.Path` for a local folder, and the full URL (a ``str``,
    ``"s3://bucket/pred/city/img_001.png"``) for a folder given as a URL."""

    name: str
    pred: Path | str
    target: Path | str


class _PairingFields(NamedTuple):
    pairs: list[Pair]
    missing_predictions: list[str]
    """Targets without a prediction: their paths relative to the target folder."""
    extra_predictions: list[str]
    """Predictions without a target: their paths relative to the prediction folder."""


class Pairing(_PairingFields):
    """Result of :func:`pair_files`: pairs sorted by name, and the files left unpaired.

    A named tuple ``(pairs, missing_predictions, extra_predictions)``, so that
    ``pairs, missing, extra = pair_files(...)`` unpacks it; ``skipped`` (not one of the three)
    holds the files that are not label maps, each with the reason (:class:`SkippedFile`:
    JPEG masks, other image types, other files), predictions first, each folder in path
    order.
    """

    skipped: tuple[SkippedFile, ...]

    def __new__(
        cls,
        pairs: list[Pair],
        missing_predictions: list[str],
        extra_predictions: list[str],
        skipped: Iterable[SkippedFile] = (),
    ) -> Pairing:
        self = super().__new__(cls, pairs, missing_predictions, extra_predictions)
        self.skipped = tuple(skipped)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Pairing, (*self, self.skipped))


def _local_files(root: Path) -> Iterator[tuple[str, Path]]:
    """``(relative posix path, path)`` of the files under ``root``, hidden ones skipped."""
    seen = {os.path.realpath(root)}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        # linked folders are followed, each real folder once (no loops)
        keep = []
        for d in sorted(dirnames):
            real = os.path.realpath(os.path.join(dirpath, d))
            if not d.startswith(".") and real not in seen:
                seen.add(real)
                keep.append(d)
        dirnames[:] = keep
        rel_dir = PurePosixPath(Path(dirpath).relative_to(root).as_posix())
        for fname in sorted(filenames):
            if not fname.startswith("."):
                yield (rel_dir / fname).as_posix(), Path(dirpath) / fname


_Files = dict[str, tuple[str, "Path | str"]]


def _label_files(
    entries: Iterable[tuple[str, Path | str]], suffix: str
) -> tuple[_Files, list[list[str]]]:
    """``key → (relative path, file)`` of the label files among ``entries`` (``(relative
    posix path, file)``) whose stem ends with ``suffix``, and the groups of relative paths that
    share a key."""
    found: dict[str, list[tuple[str, Path | str]]] = {}
    for rel, full in entries:
        rel_path = PurePosixPath(rel)
        stem, ext = os.path.splitext(rel_path.name)
        if ext.lower() not in LABEL_MAP_SUFFIXES or not stem.endswith(suffix):
            continue
        key = (rel_path.parent / stem[: len(stem) - len(suffix)]).as_posix()
        found.setdefault(key, []).append((rel, full))
    files = {k: v[0] for k, v in found.items()}
    dups = [sorted(rel for rel, _ in v) for v in found.values() if len(v) > 1]
    return files, sorted(dups)


_Entries = list[tuple[str, "Path | str"]]


def _folder_entries(
    arg: str, folder: str | os.PathLike[str], sizes: dict[str, int], func: str
) -> _Entries:
    """``(relative posix path, file)`` of every file of a local folder, or of a URL's listing
    (whose sizes are added to ``sizes``, by full URL)."""
    if is_url(folder):
        listed = list_files(str(folder), label=f"{func}: `{arg}`")
        sizes.update((full, size) for _, full, size in listed if size is not None)
        return [(rel, full) for rel, full, _ in listed]
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{func}: `{arg}` {str(root)!r} is not a folder.")
    return list(_local_files(root))


def pair_files(
    pred_dir: str | os.PathLike[str],
    target_dir: str | os.PathLike[str],
    *,
    target_suffix: str = "",
    pred_suffix: str = "",
) -> Pairing:
    """Pair the label maps of two folders by relative path and file stem.

    Files are found recursively (following linked folders). Hidden files and folders (names
    starting with ``.``) are skipped, and so are files whose extension is not one of
    :data:`LABEL_MAP_SUFFIXES`, which are listed in the result's ``skipped`` with the reason
    (JPEG above all: it is lossy, so its pixel values are never taken as class ids). The
    extension does not take part in matching and is compared
    case-insensitively, so ``a.png`` pairs with ``a.tif``. ``target_suffix`` /
    ``pred_suffix`` is the end of the stem that is removed before matching
    (``target_suffix="_gt"``: ``a.png`` ↔ ``a_gt.png``); a file whose stem does not end with
    it is not a target (prediction).

    Either folder may be a URL string (``file://``, ``s3://``, ``gs://``, ``http(s)://``,
    ``memory://``, ...), listed once through fsspec (``pip install fsspec``, plus the
    protocol's package: s3fs, gcsfs, aiohttp, adlfs, ...); a local folder and a URL can be
    mixed. The rules are the same, except that linked folders behind a URL are not followed.
    The pairs of a URL folder hold full URLs (``str``), those of a local folder
    :class:`pathlib.Path`; :func:`read_label_map` reads both. The sizes the listing gave are
    kept for :func:`pair_file_sizes`.

    Parameters
    ----------
    pred_dir, target_dir : str or path-like
        The two folders: local paths or URL strings.
    target_suffix, pred_suffix : str, default ""
        Stem suffixes removed before matching.

    Returns
    -------
    Pairing
        ``(pairs, missing_predictions, extra_predictions)``: pairs sorted by name; targets
        that have no prediction and predictions that have no target, as paths relative to
        their folder (posix, also for URLs), sorted. Its ``skipped`` attribute lists the files
        that are not label maps (:class:`SkippedFile`).

    Raises
    ------
    InputError
        A folder does not exist, or two files of one folder have the same key (``a.png`` and
        ``a.tif``): which one to use is ambiguous. Every such group is listed.
    MissingDependencyError
        A folder is a URL and fsspec (or the package of its protocol) is not installed.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for f in ["pred/a.png", "pred/sub/b.npy", "pred/x.png", "gt/a_gt.PNG", "gt/sub/b_gt.png",
    ...           "gt/c_gt.png", "gt/notes.txt"]:
    ...     (root / f).parent.mkdir(parents=True, exist_ok=True); (root / f).touch()
    >>> pairs, missing, extra = pair_files(root / "pred", root / "gt", target_suffix="_gt")
    >>> [p.name for p in pairs], missing, extra
    (['a', 'sub/b'], ['c_gt.png'], ['x.png'])
    >>> [(f.folder, f.path, f.kind) for f in pair_files(root / "pred", root / "gt").skipped]
    [('target', 'notes.txt', 'other')]

    The predictions behind a URL (``memory://`` is fsspec's in-process filesystem):

    >>> import fsspec
    >>> fsspec.filesystem("memory").pipe({"/doc_pair/a.png": b"", "/doc_pair/sub/b.npy": b""})
    >>> pairs, missing, extra = pair_files("memory://doc_pair", root / "gt", target_suffix="_gt")
    >>> [(p.name, p.pred) for p in pairs]
    [('a', 'memory:///doc_pair/a.png'), ('sub/b', 'memory:///doc_pair/sub/b.npy')]
    """
    return pair_with_hint(
        pred_dir, target_dir, target_suffix=target_suffix, pred_suffix=pred_suffix
    )[0]


def pair_with_hint(
    pred_dir: str | os.PathLike[str],
    target_dir: str | os.PathLike[str],
    *,
    target_suffix: str = "",
    pred_suffix: str = "",
    func: str = "pair_files",
) -> tuple[Pairing, PairingHint | None]:
    """:func:`pair_files`, and what would pair the folders if these options pair few of their
    files (:func:`ioukit._pair_hints.pairing_hint`; None if nothing would, or if they pair
    well). ``func`` is the function the error messages name."""
    sizes: dict[str, int] = {}
    pred_entries = _folder_entries("pred_dir", pred_dir, sizes, func)
    target_entries = _folder_entries("target_dir", target_dir, sizes, func)
    preds, pred_dups = _label_files(pred_entries, pred_suffix)
    targets, target_dups = _label_files(target_entries, target_suffix)
    if pred_dups or target_dups:
        lines = [
            f"  {label} folder: {' and '.join(group)}"
            for label, dups in (("prediction", pred_dups), ("target", target_dups))
            for group in dups
        ]
        raise InputError(
            f"{func}: these files have the same name but for the extension, so which one "
            "to use is ambiguous; remove or rename all but one of each:\n" + "\n".join(lines)
        )
    pairs = [Pair(k, preds[k][1], targets[k][1]) for k in sorted(targets.keys() & preds.keys())]
    missing = sorted(targets[k][0] for k in targets.keys() - preds.keys())
    extra = sorted(preds[k][0] for k in preds.keys() - targets.keys())
    if sizes:
        remember_sizes(
            (f, sizes[f])
            for p in pairs
            for f in (p.pred, p.target)
            if isinstance(f, str) and f in sizes
        )
    skipped = [
        skipped_file(folder, rel)
        for folder, entries in (("prediction", pred_entries), ("target", target_entries))
        for rel in sorted(rel for rel, _ in entries)
        if os.path.splitext(rel)[1].lower() not in LABEL_MAP_SUFFIXES
    ]
    hint = None
    if missing or extra or not pairs:
        hint = pairing_hint(
            list(_label_files(pred_entries, "")[0]),
            list(_label_files(target_entries, "")[0]),
            pred_suffix=pred_suffix,
            target_suffix=target_suffix,
            paired=len(pairs),
        )
    return Pairing(pairs, missing, extra, skipped), hint


def pair_file_sizes(pairs: Iterable[Pair]) -> list[int]:
    """Bytes of each pair's two files (prediction + target), in order: to balance work by
    size.

    Sizes of local files come from ``os.stat``; those of URL files from the listing that
    :func:`pair_files` made (no second listing, no request per file). A URL that no listing
    of this process met (a :class:`Pair` made by hand, or forgotten after millions of others)
    costs one request to its store; a store that does not tell a file's size counts it as 0.

    Parameters
    ----------
    pairs : iterable of Pair
        Usually ``pair_files(...).pairs``.

    Returns
    -------
    list of int
        ``len(pairs)`` sizes in bytes.

    Raises
    ------
    InputError
        A file does not exist (any more).

    Examples
    --------
    >>> import fsspec
    >>> fsspec.filesystem("memory").pipe({"/doc_sz/p/a.npy": b"123", "/doc_sz/t/a.npy": b"45"})
    >>> pair_file_sizes(pair_files("memory://doc_sz/p", "memory://doc_sz/t").pairs)
    [5]
    """
    pairs = list(pairs)
    sizes = file_sizes([f for p in pairs for f in (p.pred, p.target)])
    return [pred + target for pred, target in zip(sizes[::2], sizes[1::2], strict=True)]
