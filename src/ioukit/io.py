"""Reading label maps from files, and pairing folders of predictions and targets.

Label maps are single-channel images whose pixel values are class ids:

* PNG through Pillow: modes ``L`` (8-bit), ``P`` (palette: the *indices* are the labels, the
  palette is only their display colour), ``I;16`` (16-bit), ``I`` and ``1``;
* TIFF through Pillow, in the same modes (and ``F``, 32-bit float, whose values must be whole
  numbers);
* ``.npy`` through NumPy (``allow_pickle=False``), any shape (volumes too).

Colour images (``RGB``, ``RGBA``, …) are refused with an error: their values are colours, not
class ids, and converting them would silently produce wrong labels; with a palette
(:func:`load_palette`, ``read_label_map(path, palette=...)``) each colour is looked up exactly.
Label maps are relabelled with :func:`load_label_map` and :func:`apply_label_map`. Pillow's
decompression-bomb guard stays on: an image above ``2 × PIL.Image.MAX_IMAGE_PIXELS`` pixels is
an error.

Pillow is imported when the first image is read; it comes with the ``io`` extra
(``pip install 'ioukit[io]'``).
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import numpy as np

from ioukit._errors import InputError, IoUKitError, MissingDependencyError
from ioukit._fs import is_url, read_bytes, why
from ioukit._label_remap import (
    LABEL_MAP_NAMES,
    apply_label_map,
    colours_to_ids,
    load_label_map,
    load_palette,
    packed_palette,
)
from ioukit._pairing import (
    LABEL_MAP_SUFFIXES,
    Pair,
    Pairing,
    SkippedFile,
    pair_file_sizes,
    pair_files,
)

__all__ = [
    "LABEL_MAP_NAMES",
    "LABEL_MAP_SUFFIXES",
    "Pair",
    "Pairing",
    "SkippedFile",
    "apply_label_map",
    "load_class_names",
    "load_label_map",
    "load_palette",
    "pair_file_sizes",
    "pair_files",
    "read_label_map",
    "reduce_zero_label",
]

NDArray = np.ndarray[Any, Any]

# the reader of each extension: NumPy, or Pillow with this format name
_KINDS = {".npy": "NPY", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF"}
# Pillow modes that hold class ids (one channel of integers, or floats for TIFF)
_LABEL_MODES = ("L", "P", "1", "I;16", "I;16L", "I;16B", "I;16N", "I", "F")
# modes decoded straight into a NumPy buffer (saves Pillow's tobytes() copy)
_COLOUR_MODES = ("RGB", "RGBA")  # read through a palette, when one is given
Palette = tuple[tuple[int, int], ...]  # (packed colour, id) pairs: packed_palette
_MAPPED: dict[str, np.dtype[Any]] = {
    "L": np.dtype(np.uint8),
    "P": np.dtype(np.uint8),
    "I;16": np.dtype("<u2"),
}


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError as exc:
        from ioukit._errors import install_hint

        raise MissingDependencyError(
            f"Reading PNG/TIFF label maps needs Pillow: {install_hint('io', 'pillow')}. .npy "
            "files are read without it."
        ) from exc
    return Image


def read_label_map(
    path: str | os.PathLike[str], *, palette: Mapping[int, Sequence[int]] | None = None
) -> NDArray:
    """Read one label map: an integer array of class ids.

    Parameters
    ----------
    path : str or path-like
        A ``.png``, ``.tif`` / ``.tiff`` or ``.npy`` file: a local path, or a URL string
        (``file://``, ``s3://``, ``gs://``, ``http(s)://``, ``memory://``, ... read through
        fsspec: ``pip install fsspec``, plus the protocol's package: s3fs, gcsfs, aiohttp,
        adlfs, ...). A URL's file is read once into memory and decoded there, with the same
        rules, dtypes and errors as a local file; local paths never import fsspec.
    palette : mapping of int to (r, g, b), optional
        Class id → colour (:func:`load_palette`): a colour image (PNG/TIFF mode ``RGB``, or
        ``RGBA`` opaque everywhere; a ``.npy`` of shape ``(..., 3)`` or ``(..., 4)``, uint8)
        becomes the ids of its colours, exactly; a colour not in the palette is an error that
        names it. Single-channel files are read as without it (a mode ``P`` PNG keeps its
        indices).

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` for images: ``uint8`` for modes ``L``, ``P`` (palette indices, never the
        palette colours) and ``1``; ``uint16`` for 16-bit images; ``int32`` for ``I``;
        ``float32`` for ``F``. ``.npy`` files come back with their own shape and dtype.
        Through a palette: the smallest unsigned dtype that holds its ids.

    Raises
    ------
    InputError
        The file cannot be read or decoded (missing, truncated, corrupt, not the format its
        extension says), is a colour image (and no palette is given), holds colours that are
        not in the palette, has several frames, holds no numbers, or is above Pillow's
        decompression-bomb limit. The message names the file (the URL as given).
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

    A colour-coded mask, through its palette:

    >>> q = p.with_name("colour.png")
    >>> Image.fromarray(np.array([[[128, 64, 128], [0, 0, 142]]], dtype=np.uint8)).save(q)
    >>> read_label_map(q, palette={0: (128, 64, 128), 13: (0, 0, 142)}).tolist()
    [[0, 13]]
    """
    return read_file(path, None if palette is None else packed_palette(palette))


def read_file(path: str | os.PathLike[str], palette: Palette | None = None) -> NDArray:
    """:func:`read_label_map` with the palette packed already (a worker's form)."""
    if is_url(path):
        kind = _kind_of(path, _url_suffix(path))  # an unsupported type is refused before reading
        return _decode(BytesIO(read_bytes(path)), path, kind, palette)
    path = Path(path)
    return _decode(path, path, _kind_of(path, path.suffix), palette)


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


def _decode(
    source: Path | BinaryIO, name: str | Path, kind: str, palette: Palette | None
) -> NDArray:
    """Decode the label map in ``source`` (a local file, or the bytes of a URL's file);
    ``name`` is what the error messages call it."""
    if kind == "NPY":
        arr = _read_npy(source, name)
        if (
            palette is not None
            and arr.dtype == np.uint8
            and arr.ndim > 2
            and arr.shape[-1] in (3, 4)
        ):
            return colours_to_ids(arr, palette, name)
        return arr
    Image = _pil()
    try:
        with Image.open(source, formats=[kind]) as im:
            if palette is not None and im.mode in _COLOUR_MODES:
                return colours_to_ids(np.asarray(im), palette, name)
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
            "the dataset's palette: pass it as `palette`; a palette (mode P) PNG keeps its "
            "indices."
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
