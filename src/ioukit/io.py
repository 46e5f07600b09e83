"""Reading label maps from files, and pairing folders of predictions and targets.

Label maps are single-channel images whose pixel values are class ids:

* PNG through Pillow: modes ``L`` (8-bit), ``P`` (palette: the *indices* are the labels, the
  palette is only their display colour), ``I;16`` (16-bit), ``I`` and ``1``;
* TIFF through Pillow, in the same modes (and ``F``, 32-bit float, whose values must be whole
  numbers);
* ``.npy`` through NumPy (``allow_pickle=False``), any shape (volumes too).

Colour images (``RGB``, ``RGBA``, …) are refused with an error: their values are colours, not
class ids, and converting them would silently produce wrong labels. Pillow's decompression-bomb
guard stays on: an image above ``2 × PIL.Image.MAX_IMAGE_PIXELS`` pixels is an error.

Pillow is imported when the first image is read; it comes with the ``io`` extra
(``pip install 'ioukit[io]'``).
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterable, Iterator
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, NamedTuple

import numpy as np

from ioukit._errors import InputError, IoUKitError, MissingDependencyError
from ioukit._fs import file_sizes, is_url, list_files, read_bytes, remember_sizes, why

__all__ = [
    "LABEL_MAP_SUFFIXES",
    "Pair",
    "Pairing",
    "load_class_names",
    "pair_file_sizes",
    "pair_files",
    "read_label_map",
    "reduce_zero_label",
]

NDArray = np.ndarray[Any, Any]

LABEL_MAP_SUFFIXES: tuple[str, ...] = (".png", ".tif", ".tiff", ".npy")
"""File extensions read as label maps (compared case-insensitively)."""

# the reader of each extension: NumPy, or Pillow with this format name
_KINDS = {".npy": "NPY", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF"}
# Pillow modes that hold class ids (one channel of integers, or floats for TIFF)
_LABEL_MODES = ("L", "P", "1", "I;16", "I;16L", "I;16B", "I;16N", "I", "F")
# modes decoded straight into a NumPy buffer (saves Pillow's tobytes() copy)
_MAPPED: dict[str, np.dtype[Any]] = {
    "L": np.dtype(np.uint8),
    "P": np.dtype(np.uint8),
    "I;16": np.dtype("<u2"),
}


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError as exc:
        raise MissingDependencyError(
            "Reading PNG/TIFF label maps needs Pillow: pip install 'ioukit[io]' (or pip install "
            "pillow). .npy files are read without it."
        ) from exc
    return Image


def read_label_map(path: str | os.PathLike[str]) -> NDArray:
    """Read one label map: an integer array of class ids.

    Parameters
    ----------
    path : str or path-like
        A ``.png``, ``.tif`` / ``.tiff`` or ``.npy`` file: a local path, or a URL string
        (``file://``, ``s3://``, ``gs://``, ``http(s)://``, ``memory://``, ... read through
        fsspec: ``pip install fsspec``, plus the protocol's package: s3fs, gcsfs, aiohttp,
        adlfs, ...). A URL's file is read once into memory and decoded there, with the same
        rules, dtypes and errors as a local file; local paths never import fsspec.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` for images: ``uint8`` for modes ``L``, ``P`` (palette indices, never the
        palette colours) and ``1``; ``uint16`` for 16-bit images; ``int32`` for ``I``;
        ``float32`` for ``F``. ``.npy`` files come back with their own shape and dtype.

    Raises
    ------
    InputError
        The file cannot be read or decoded (missing, truncated, corrupt, not the format its
        extension says), is a colour image, has several frames, holds no numbers, or is above
        Pillow's decompression-bomb limit. The message names the file (the URL as given).
    MissingDependencyError
        Pillow is not installed and the file is an image; or the path is a URL and fsspec (or
        the package of its protocol) is not installed.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from PIL import Image
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "mask.png"
    >>> im = Image.fromarray(np.array([[0, 1], [2, 255]], dtype=np.uint8))
    >>> im.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0] + [255] * 756)  # mode P
    >>> im.save(p)
    >>> read_label_map(p).tolist()  # the palette indices
    [[0, 1], [2, 255]]

    The same file behind a URL (``memory://`` is fsspec's in-process filesystem):

    >>> import fsspec
    >>> fsspec.filesystem("memory").pipe("/doc_read/mask.png", p.read_bytes())
    >>> read_label_map("memory://doc_read/mask.png").tolist()
    [[0, 1], [2, 255]]
    """
    if is_url(path):
        kind = _kind_of(path, _url_suffix(path))  # an unsupported type is refused before reading
        return _decode(BytesIO(read_bytes(path)), path, kind)
    path = Path(path)
    return _decode(path, path, _kind_of(path, path.suffix))


def _url_suffix(url: str) -> str:
    if url.lower().startswith(("http://", "https://")):  # query and fragment: not the name
        url = url.split("#", 1)[0].split("?", 1)[0]
    return PurePosixPath(url).suffix


def _kind_of(name: str | Path, suffix: str) -> str:
    """``"NPY"``, ``"PNG"`` or ``"TIFF"`` for a file extension, or an error naming the file."""
    kind = _KINDS.get(suffix.lower())
    if kind is None:
        raise InputError(
            f"{name}: unsupported file type {suffix!r}; label maps are "
            f"{', '.join(LABEL_MAP_SUFFIXES)} files."
        )
    return kind


def _decode(source: Path | BinaryIO, name: str | Path, kind: str) -> NDArray:
    """Decode the label map in ``source`` (a local file, or the bytes of a URL's file);
    ``name`` is what the error messages call it."""
    if kind == "NPY":
        return _read_npy(source, name)
    Image = _pil()
    try:
        with Image.open(source, formats=[kind]) as im:
            return _image_to_array(im, name)
    except IoUKitError:
        raise
    except Image.DecompressionBombError as exc:
        raise InputError(
            f"{name}: refused as a possible decompression bomb ({exc}). The guard stays on; if "
            "the file is trusted, raise PIL.Image.MAX_IMAGE_PIXELS."
        ) from exc
    except FileNotFoundError as exc:
        raise InputError(f"{name}: no such file.") from exc
    except Exception as exc:  # any decoder failure: corrupt, truncated, wrong format
        raise InputError(f"{name}: cannot read it as {kind} ({why(exc)}).") from exc


def _image_to_array(im: Any, path: str | Path) -> NDArray:
    mode = im.mode
    if mode not in _LABEL_MODES:
        raise InputError(
            f"{path}: is a colour or multi-channel image (mode {mode}); label maps must be "
            "single-channel images whose pixel values are class ids (PNG/TIFF mode L, P, "
            "I;16 or I; or .npy). Convert colour-coded masks (RGB/RGBA) to class ids with "
            "the dataset's palette first; a palette (mode P) PNG keeps its indices."
        )
    frames = int(getattr(im, "n_frames", 1))
    if frames > 1:
        raise InputError(
            f"{path}: has {frames} frames; a label map is one single-frame image (save volumes "
            "as .npy)."
        )
    arr = _decode_into_numpy(im) if mode in _MAPPED and im.format == "PNG" else None
    if arr is None:
        arr = np.asarray(im)
    if mode == "1":
        arr = arr.astype(np.uint8)
    elif arr.dtype.byteorder not in ("=", "|"):
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return arr


def _decode_into_numpy(im: Any) -> NDArray | None:
    """Decode ``im`` directly into a new NumPy array, or return None if this Pillow version
    does not allow it (the caller then converts with ``np.asarray``, a copy).

    Pillow decodes into the image's core storage. A core image mapped onto a NumPy buffer
    (``Image.frombuffer``) of the same mode and size is kept by ``load()``, so the decoder
    writes into the array and Pillow's ``tobytes()`` copy is saved (a tenth of the decoding
    time of a palette PNG). If ``load()`` replaced the storage, the array is not used.
    """
    from PIL import Image

    width, height = im.size
    arr = np.empty((height, width), dtype=_MAPPED[im.mode])
    try:
        core = Image.frombuffer(im.mode, im.size, arr, "raw", im.mode, 0, 1).im
        im.im = core
    except Exception:  # pragma: no cover - depends on the Pillow version
        return None
    im.load()
    return arr if im.im is core else None


def _read_npy(source: Path | BinaryIO, path: str | Path) -> NDArray:
    try:
        arr = np.load(source, allow_pickle=False)
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file.") from exc
    except Exception as exc:  # corrupt, truncated, pickled objects, not a .npy file
        raise InputError(f"{path}: cannot read it as .npy ({why(exc)}).") from exc
    if not isinstance(arr, np.ndarray):  # pragma: no cover - np.load of .npy gives an array
        raise InputError(f"{path}: expected one array in a .npy file.")
    if arr.dtype.kind not in "biuf":
        raise InputError(f"{path}: holds {arr.dtype} values; a label map holds integer class ids.")
    if arr.ndim == 0:
        raise InputError(f"{path}: holds a single number, not a label map.")
    return arr


def reduce_zero_label(label_map: NDArray) -> NDArray:
    """MMSegmentation's ``reduce_zero_label``: label 0 becomes 255 and every other label
    ``v`` becomes ``v - 1`` (255 stays 255).

    For datasets such as ADE20K whose label 0 means "other/void" and whose classes are
    numbered from 1: after the shift, the classes are ``0 … C-1`` and void is 255, to be left
    out with ``ignore_index=255``. The three steps are MMSegmentation's exactly
    (``x[x == 0] = 255; x = x - 1; x[x == 254] = 255``, also HF ``evaluate``'s
    ``reduce_labels``), on a copy in the array's dtype; so in a 16-bit map the label 256 also
    becomes 255. It is applied to targets only: predictions are already numbered from 0.

    >>> reduce_zero_label(np.array([0, 1, 2, 150, 255], dtype=np.uint8)).tolist()
    [255, 0, 1, 149, 255]
    """
    x = np.array(label_map, copy=True)
    if x.dtype.kind not in "iu":
        raise InputError(f"reduce_zero_label: expected integer labels; got dtype {x.dtype}.")
    if x.dtype.itemsize == 1 and x.dtype.kind == "i":  # int8 cannot hold 255
        x = x.astype(np.int16)
    x[x == 0] = 255
    x -= 1
    x[x == 254] = 255
    return x


# -- pairing -----------------------------------------------------------------------------


class Pair(NamedTuple):
    """One prediction/target pair: ``name`` is the relative path of the target without its
    extension and suffix (``"city/img_001"``), the key that matched both files. ``pred`` and
    ``target`` are :class:`pathlib.Path` for a local folder, and the full URL (a ``str``,
    ``"s3://bucket/pred/city/img_001.png"``) for a folder given as a URL."""

    name: str
    pred: Path | str
    target: Path | str


class Pairing(NamedTuple):
    """Result of :func:`pair_files`: pairs sorted by name, and the files left unpaired."""

    pairs: list[Pair]
    missing_predictions: list[str]
    """Targets without a prediction: their paths relative to the target folder."""
    extra_predictions: list[str]
    """Predictions without a target: their paths relative to the prediction folder."""


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


def _folder_files(
    arg: str, folder: str | os.PathLike[str], suffix: str, sizes: dict[str, int]
) -> tuple[_Files, list[list[str]]]:
    """:func:`_label_files` of a local folder, or of a URL's listing (whose sizes are added
    to ``sizes``, by full URL)."""
    if is_url(folder):
        listed = list_files(str(folder), label=f"pair_files: `{arg}`")
        sizes.update((full, size) for _, full, size in listed if size is not None)
        return _label_files(((rel, full) for rel, full, _ in listed), suffix)
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"pair_files: `{arg}` {str(root)!r} is not a folder.")
    return _label_files(_local_files(root), suffix)


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
    :data:`LABEL_MAP_SUFFIXES`. The extension does not take part in matching and is compared
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
        their folder (posix, also for URLs), sorted.

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

    The predictions behind a URL (``memory://`` is fsspec's in-process filesystem):

    >>> import fsspec
    >>> fsspec.filesystem("memory").pipe({"/doc_pair/a.png": b"", "/doc_pair/sub/b.npy": b""})
    >>> pairs, missing, extra = pair_files("memory://doc_pair", root / "gt", target_suffix="_gt")
    >>> [(p.name, p.pred) for p in pairs]
    [('a', 'memory:///doc_pair/a.png'), ('sub/b', 'memory:///doc_pair/sub/b.npy')]
    """
    sizes: dict[str, int] = {}
    preds, pred_dups = _folder_files("pred_dir", pred_dir, pred_suffix, sizes)
    targets, target_dups = _folder_files("target_dir", target_dir, target_suffix, sizes)
    if pred_dups or target_dups:
        lines = [
            f"  {label} folder: {' and '.join(group)}"
            for label, dups in (("prediction", pred_dups), ("target", target_dups))
            for group in dups
        ]
        raise InputError(
            "pair_files: these files have the same name but for the extension, so which one "
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
    return Pairing(pairs, missing, extra)


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


# -- class names -------------------------------------------------------------------------


def load_class_names(path: str | os.PathLike[str]) -> dict[int, str]:
    """Read class names: ``{id: name}``.

    * ``.json``: an object ``{"0": "road", "1": "car"}`` or a list ``["road", "car"]``;
    * ``.yaml`` / ``.yml``: the same as YAML (needs PyYAML: ``pip install pyyaml``);
    * any other file: text, one name per line, the first line being class 0; lines starting
      with ``#`` and blank lines at the end are skipped, a blank line in between is an error.

    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "classes.txt"
    >>> _ = p.write_text("road\\ncar\\n")
    >>> load_class_names(p)
    {0: 'road', 1: 'car'}
    """
    path = Path(path)
    func = "load_class_names"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{func}: cannot read {str(path)!r} ({why(exc)}).") from exc
    suffix = path.suffix.lower()
    data: object
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{func}: {path} is not valid JSON ({exc}).") from exc
    elif suffix in (".yaml", ".yml"):
        try:
            yaml = importlib.import_module("yaml")  # PyYAML, optional
        except ImportError as exc:
            raise MissingDependencyError(
                f"{func}: reading {path} needs PyYAML: pip install pyyaml (or give the class "
                "names as JSON or as a text file with one name per line)."
            ) from exc
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"{func}: {path} is not valid YAML ({exc}).") from exc
    else:
        lines = [ln.strip() for ln in text.splitlines() if not ln.lstrip().startswith("#")]
        while lines and not lines[-1]:
            lines.pop()
        if "" in lines:
            raise InputError(
                f"{func}: {path} has a blank line between class names; line i names class i, "
                "so every class up to the last one needs a name."
            )
        data = lines
    return _names_from(func, path, data)


def _names_from(func: str, path: Path, data: object) -> dict[int, str]:
    items: Iterable[tuple[object, object]]
    if isinstance(data, list):
        items = enumerate(data)
    elif isinstance(data, dict):
        items = data.items()
    else:
        raise InputError(
            f"{func}: {path} must hold a mapping {{id: name}} or a list of names; got "
            f"{type(data).__name__}."
        )
    out: dict[int, str] = {}
    for key, name in items:
        if isinstance(key, bool) or not (
            isinstance(key, int) or (isinstance(key, str) and key.strip().isdigit())
        ):
            raise InputError(
                f"{func}: {path}: class ids must be non-negative integers; got {key!r}."
            )
        if not isinstance(name, (str, int, float)) or isinstance(name, bool):
            raise InputError(f"{func}: {path}: the name of class {key} must be text; got {name!r}.")
        out[int(key)] = str(name)
    if not out:
        raise InputError(f"{func}: {path} names no class.")
    return dict(sorted(out.items()))
