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
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ioukit._errors import InputError, IoUKitError, MissingDependencyError

__all__ = [
    "LABEL_MAP_SUFFIXES",
    "Pair",
    "Pairing",
    "load_class_names",
    "pair_files",
    "read_label_map",
    "reduce_zero_label",
]

NDArray = np.ndarray[Any, Any]

LABEL_MAP_SUFFIXES: tuple[str, ...] = (".png", ".tif", ".tiff", ".npy")
"""File extensions read as label maps (compared case-insensitively)."""

_PIL_FORMATS = {".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF"}
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
        A ``.png``, ``.tif`` / ``.tiff`` or ``.npy`` file.

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
        Pillow's decompression-bomb limit. The message names the file.
    MissingDependencyError
        Pillow is not installed and the file is an image.

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
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return _read_npy(path)
    if suffix not in _PIL_FORMATS:
        raise InputError(
            f"{path}: unsupported file type {path.suffix!r}; label maps are "
            f"{', '.join(LABEL_MAP_SUFFIXES)} files."
        )
    Image = _pil()
    try:
        with Image.open(path, formats=[_PIL_FORMATS[suffix]]) as im:
            return _image_to_array(im, path)
    except IoUKitError:
        raise
    except Image.DecompressionBombError as exc:
        raise InputError(
            f"{path}: refused as a possible decompression bomb ({exc}). The guard stays on; if "
            "the file is trusted, raise PIL.Image.MAX_IMAGE_PIXELS."
        ) from exc
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file.") from exc
    except Exception as exc:  # any decoder failure: corrupt, truncated, wrong format
        raise InputError(
            f"{path}: cannot read it as {_PIL_FORMATS[suffix]} ({_why(exc)})."
        ) from exc


def _why(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _image_to_array(im: Any, path: Path) -> NDArray:
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


def _read_npy(path: Path) -> NDArray:
    try:
        arr = np.load(path, allow_pickle=False)
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file.") from exc
    except Exception as exc:  # corrupt, truncated, pickled objects, not a .npy file
        raise InputError(f"{path}: cannot read it as .npy ({_why(exc)}).") from exc
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
    extension and suffix (``"city/img_001"``), the key that matched both files."""

    name: str
    pred: Path
    target: Path


class Pairing(NamedTuple):
    """Result of :func:`pair_files`: pairs sorted by name, and the files left unpaired."""

    pairs: list[Pair]
    missing_predictions: list[str]
    """Targets without a prediction: their paths relative to the target folder."""
    extra_predictions: list[str]
    """Predictions without a target: their paths relative to the prediction folder."""


def _label_files(root: Path, suffix: str) -> tuple[dict[str, Path], list[list[str]]]:
    """``key → path`` of the label files under ``root`` whose stem ends with ``suffix``, and
    the groups of files that share a key."""
    found: dict[str, list[Path]] = {}
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
        for fname in sorted(filenames):
            if fname.startswith("."):
                continue
            stem, ext = os.path.splitext(fname)
            if ext.lower() not in LABEL_MAP_SUFFIXES or not stem.endswith(suffix):
                continue
            full = Path(dirpath) / fname
            rel_dir = Path(dirpath).relative_to(root)
            key = (rel_dir / stem[: len(stem) - len(suffix)]).as_posix()
            found.setdefault(key, []).append(full)
    files = {k: v[0] for k, v in found.items()}
    dups = [sorted(p.relative_to(root).as_posix() for p in v) for v in found.values() if len(v) > 1]
    return files, sorted(dups)


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

    Parameters
    ----------
    pred_dir, target_dir : str or path-like
        The two folders.
    target_suffix, pred_suffix : str, default ""
        Stem suffixes removed before matching.

    Returns
    -------
    Pairing
        ``(pairs, missing_predictions, extra_predictions)``: pairs sorted by name; targets
        that have no prediction and predictions that have no target, as paths relative to
        their folder, sorted.

    Raises
    ------
    InputError
        A folder does not exist, or two files of one folder have the same key (``a.png`` and
        ``a.tif``): which one to use is ambiguous. Every such group is listed.

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
    """
    roots = {"pred_dir": Path(pred_dir), "target_dir": Path(target_dir)}
    for arg, root in roots.items():
        if not root.is_dir():
            raise InputError(f"pair_files: `{arg}` {str(root)!r} is not a folder.")
    preds, pred_dups = _label_files(roots["pred_dir"], pred_suffix)
    targets, target_dups = _label_files(roots["target_dir"], target_suffix)
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
    pairs = [Pair(k, preds[k], targets[k]) for k in sorted(targets.keys() & preds.keys())]
    missing = sorted(
        targets[k].relative_to(roots["target_dir"]).as_posix()
        for k in targets.keys() - preds.keys()
    )
    extra = sorted(
        preds[k].relative_to(roots["pred_dir"]).as_posix() for k in preds.keys() - targets.keys()
    )
    return Pairing(pairs, missing, extra)


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
        raise InputError(f"{func}: cannot read {str(path)!r} ({_why(exc)}).") from exc
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
