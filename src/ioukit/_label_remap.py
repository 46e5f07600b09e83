"""Label remapping and colour palettes: the class ids a label map's pixel values stand for.

* a *label map* (:func:`load_label_map`) is ``{from id: to id}``, applied through a look-up
  table (:func:`apply_label_map`); values that are not keys stay as they are;
* a *palette* (:func:`load_palette`) is ``{class id: (r, g, b)}``, through which colour-coded
  masks become class ids (:func:`colours_to_ids`): each pixel's colour is packed into one 24-bit
  integer and looked up exactly; a colour that is not in the palette is an error.

Both are plain dicts of ints: small, picklable, JSON-safe, so they travel to worker processes
and Dask workers with the rest of a run's configuration.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Mapping
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np

from ioukit._errors import InputError
from ioukit._fs import why

__all__ = [
    "LABEL_MAP_NAMES",
    "PaletteColourError",
    "apply_label_map",
    "colours_to_ids",
    "load_label_map",
    "load_palette",
]

NDArray = np.ndarray[Any, Any]

LABEL_MAP_NAMES: tuple[str, ...] = ("cityscapes",)
"""The built-in label maps of :func:`load_label_map`."""

_COLOUR_KEYS = ("color", "colour", "rgb")
_ID_KEYS = ("id", "trainId", "train_id", "label", "index")


class PaletteColourError(InputError):
    """A colour-coded mask holds colours that are not in the palette."""


def _cityscapes() -> dict[int, int]:
    """Cityscapes labelIds → trainIds: the 19 evaluated classes in id order are 0..18, every
    other id (the classes ignored in evaluation) is 255."""
    from ioukit.cityscapes._labels import EVAL_CLASSES, LABELS

    train = {lb.id: i for i, lb in enumerate(EVAL_CLASSES)}
    return {lb.id: train.get(lb.id, 255) for lb in LABELS}


def label_map_class_names(label_map: object, num_classes: int) -> dict[int, str] | None:
    """The class names that a built-in label map implies (the 19 Cityscapes trainId names for
    ``"cityscapes"`` with 19 classes), else None.

    >>> label_map_class_names("cityscapes", 19)[18], label_map_class_names("cityscapes", 20)
    ('bicycle', None)
    """
    if label_map != "cityscapes" or num_classes != 19:
        return None
    from ioukit.cityscapes._labels import EVAL_CLASSES

    return {i: lb.name for i, lb in enumerate(EVAL_CLASSES)}


def _read_json(func: str, path: str | os.PathLike[str]) -> object:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{func}: cannot read {str(path)!r} ({why(exc)}).") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{func}: {path} is not valid JSON ({exc}).") from exc


def _class_id(func: str, path: object, what: str, value: object) -> int:
    """A non-negative integer id from JSON (an int, or a string of digits), or an error."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, Integral) and not isinstance(value, bool) and int(value) >= 0:
        return int(value)
    raise InputError(f"{func}: {path}: {what} must be a non-negative integer; got {value!r}.")


def load_label_map(path_or_name: str | os.PathLike[str]) -> dict[int, int]:
    """Read a label map ``{from id: to id}``: a JSON file, or the name of a built-in one.

    * a JSON object ``{"7": 0, "8": 1, "0": 255}`` (keys are ids as strings), or a JSON list
      ``[255, 255, 0, 1]`` whose item ``i`` is what id ``i`` becomes;
    * ``"cityscapes"``: Cityscapes ``labelIds`` → ``trainIds`` (the 19 evaluated classes,
      road … bicycle, become 0 … 18; the 15 classes ignored in evaluation become 255), from
      the label table of :mod:`ioukit.cityscapes`.

    Values that are not keys of the map are kept as they are (so a map may merge or move a
    few classes and leave the rest); labels that end up outside the classes are reported by
    the evaluation as usual, never dropped silently.

    Parameters
    ----------
    path_or_name : str or path-like
        A ``.json`` file, or one of :data:`LABEL_MAP_NAMES`.

    Returns
    -------
    dict of int to int
        Sorted by key.

    Raises
    ------
    InputError
        The file cannot be read, is not JSON, or holds something other than non-negative
        integer ids.

    Examples
    --------
    >>> m = load_label_map("cityscapes")
    >>> m[7], m[8], m[33], m[0]  # road, sidewalk, bicycle, unlabeled
    (0, 1, 18, 255)
    """
    func = "load_label_map"
    if isinstance(path_or_name, str) and path_or_name in LABEL_MAP_NAMES:
        return _cityscapes()
    data = _read_json(func, path_or_name)
    items: Iterable[tuple[object, object]]
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        raise InputError(
            f"{func}: {path_or_name} must hold a JSON object {{from id: to id}} or a list "
            f"whose item i is what id i becomes; got {type(data).__name__}. Built-in maps: "
            f"{', '.join(LABEL_MAP_NAMES)}."
        )
    out = {
        _class_id(func, path_or_name, "a label id", k): _class_id(
            func, path_or_name, f"what id {k} becomes", v
        )
        for k, v in items
    }
    if not out:
        raise InputError(f"{func}: {path_or_name} maps no id.")
    return dict(sorted(out.items()))


def apply_label_map(labels: NDArray, label_map: Mapping[int, int]) -> NDArray:
    """Relabel an integer array through ``label_map`` (values not in it stay): a look-up
    table, one pass, exact.

    The result's dtype holds both the input's values and the map's (``uint8`` stays
    ``uint8`` for a map into ``0 … 255``).

    >>> apply_label_map(np.array([[7, 8], [0, 40]], dtype=np.uint8), {7: 0, 8: 1, 0: 255})
    array([[  0,   1],
           [255,  40]], dtype=uint8)
    """
    arr = np.asarray(labels)
    if arr.dtype.kind not in "iu":
        raise InputError(f"apply_label_map: expected integer labels; got dtype {arr.dtype}.")
    keys = np.fromiter(label_map.keys(), dtype=np.int64, count=len(label_map))
    vals = np.fromiter(label_map.values(), dtype=np.int64, count=len(label_map))
    top = int(vals.max()) if vals.size else 0
    dtype = np.result_type(arr.dtype, np.min_scalar_type(top))
    if arr.dtype in (np.uint8, np.uint16):  # a table over every value the dtype holds
        lut = np.arange(np.iinfo(arr.dtype).max + 1, dtype=dtype)
        inside = keys <= np.iinfo(arr.dtype).max
        lut[keys[inside]] = vals[inside]
        looked_up: NDArray = lut[arr]
        return looked_up
    hi = int(keys.max()) if keys.size else -1
    lut = np.arange(hi + 1, dtype=dtype)
    lut[keys] = vals
    out = arr.astype(dtype, copy=True)
    where = (arr >= 0) & (arr <= hi)
    out[where] = lut[arr[where]]
    return out


# -- palettes ------------------------------------------------------------------------------------


def _colour(func: str, path: object, cls: object, value: object) -> tuple[int, int, int]:
    """``(r, g, b)`` from ``[r, g, b]`` (or ``[r, g, b, a]`` with a = 255) or ``"#rrggbb"``."""
    if isinstance(value, str):
        text = value.strip().removeprefix("#")
        if len(text) == 6:
            try:
                n = int(text, 16)
            except ValueError:
                pass
            else:
                return (n >> 16) & 255, (n >> 8) & 255, n & 255
    elif (
        isinstance(value, (list, tuple))
        and len(value) in (3, 4)
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value)
        and (len(value) == 3 or value[3] == 255)
    ):
        return int(value[0]), int(value[1]), int(value[2])
    raise InputError(
        f"{func}: {path}: the colour of class {cls} must be [r, g, b] (0..255 each) or "
        f'"#rrggbb"; got {value!r}.'
    )


def _palette_items(func: str, path: object, data: object) -> Iterable[tuple[object, object]]:
    """``(id, colour)`` pairs of the palette forms users have."""
    if isinstance(data, dict) and isinstance(data.get("labels"), list):  # Mapillary's config
        data = data["labels"]
    if isinstance(data, dict):  # {"0": [128, 64, 128]}
        return data.items()
    if isinstance(data, list) and all(isinstance(d, dict) for d in data) and data:
        out = []  # [{"id": 0, "name": "road", "color": [128, 64, 128]}, ...]
        for i, d in enumerate(data):
            colour = next((d[k] for k in _COLOUR_KEYS if k in d), None)
            if colour is None:
                raise InputError(
                    f"{func}: {path}: entry {i} ({d!r}) has no colour (a key among "
                    f"{', '.join(_COLOUR_KEYS)})."
                )
            out.append((next((d[k] for k in _ID_KEYS if k in d), i), colour))
        return out
    if isinstance(data, list):  # [[128, 64, 128], ...]: item i is the colour of class i
        return enumerate(data)
    raise InputError(
        f'{func}: {path} must hold {{"id": [r, g, b]}}, a list of [r, g, b] indexed by id, or '
        f'a list of {{"id": ..., "color": [r, g, b]}}; got {type(data).__name__}.'
    )


def load_palette(path: str | os.PathLike[str]) -> dict[int, tuple[int, int, int]]:
    """Read a palette ``{class id: (r, g, b)}`` from a JSON file, for colour-coded masks.

    The forms accepted:

    * an object ``{"0": [128, 64, 128], "1": "#f423e8"}`` (colours as ``[r, g, b]``, or as
      ``"#rrggbb"``);
    * a list ``[[128, 64, 128], [244, 35, 232]]`` whose item ``i`` is the colour of class ``i``;
    * a list of objects ``[{"id": 0, "name": "road", "color": [128, 64, 128]}, ...]``
      (``classes.json``-like: the id under ``id``, ``trainId``, ``label`` or ``index``, else
      the position; the colour under ``color``, ``colour`` or ``rgb``), or such a list under
      ``"labels"`` (Mapillary Vistas' ``config.json``).

    An ``[r, g, b, 255]`` colour is the opaque ``(r, g, b)``. Two classes with one colour are
    an error (which one a pixel is would be a guess); several colours for one class are not.

    Parameters
    ----------
    path : str or path-like
        The JSON file.

    Returns
    -------
    dict of int to tuple of int
        ``{id: (r, g, b)}``, sorted by id.

    Raises
    ------
    InputError
        The file cannot be read, is not JSON, is not one of the forms, or gives one colour to
        two classes.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "palette.json"
    >>> _ = p.write_text('{"0": [128, 64, 128], "1": "#f423e8"}')
    >>> load_palette(p)
    {0: (128, 64, 128), 1: (244, 35, 232)}
    """
    func = "load_palette"
    data = _read_json(func, path)
    out: dict[int, tuple[int, int, int]] = {}
    owner: dict[tuple[int, int, int], int] = {}
    for key, value in _palette_items(func, path, data):
        cls = _class_id(func, path, "a class id", key)
        colour = _colour(func, path, cls, value)
        if owner.get(colour, cls) != cls:
            raise InputError(
                f"{func}: {path}: classes {owner[colour]} and {cls} have the same colour "
                f"{_colour_words(colour)}; each colour must stand for one class."
            )
        owner[colour] = cls
        out[cls] = colour
    if not out:
        raise InputError(f"{func}: {path} holds no colour.")
    return dict(sorted(out.items()))


def _colour_words(colour: tuple[int, int, int]) -> str:
    r, g, b = colour
    return f"({r}, {g}, {b}) #{r:02x}{g:02x}{b:02x}"


def packed_palette(palette: Mapping[int, Any]) -> tuple[tuple[int, int], ...]:
    """``((packed colour, id), ...)`` sorted by colour: the palette as a worker needs it
    (``r << 16 | g << 8 | b``). ``palette`` is ``{id: (r, g, b)}``."""
    return tuple(sorted(((r << 16) | (g << 8) | b, int(k)) for k, (r, g, b) in palette.items()))


def colours_to_ids(
    rgb: NDArray, palette: Mapping[int, Any] | tuple[tuple[int, int], ...], name: object
) -> NDArray:
    """The class ids of an ``(..., 3)`` or ``(..., 4)`` ``uint8`` colour image.

    ``palette`` is ``{id: (r, g, b)}`` or :func:`packed_palette`'s pairs. Each pixel is packed
    into ``r << 16 | g << 8 | b`` and looked up in a perfect hash of the palette's colours (a
    remainder, then an exact check; a binary search for palettes too large for one): no table
    of 2**24 entries. An alpha channel must be 255 everywhere. ``name`` (the file) is what the
    errors say.

    >>> rgb = np.array([[[128, 64, 128], [0, 0, 142]]], dtype=np.uint8)
    >>> colours_to_ids(rgb, {0: (128, 64, 128), 13: (0, 0, 142)}, "a.png").tolist()
    [[0, 13]]
    """
    pairs = packed_palette(palette) if isinstance(palette, Mapping) else palette
    if rgb.shape[-1] == 4:
        alpha = rgb[..., 3]
        if not (alpha == 255).all():
            raise InputError(
                f"{name}: has {int((alpha != 255).sum())} transparent or translucent pixel(s); "
                "a colour-coded mask must be opaque (alpha 255) for its colours to be classes."
            )
    packed = rgb[..., 0].astype(np.uint32) << 16
    packed |= rgb[..., 1].astype(np.uint32) << 8
    packed |= rgb[..., 2]
    modulus, keys, ids = _table(pairs)
    if modulus:
        slot = packed % np.uint32(modulus)
    else:  # sorted colours
        slot = np.minimum(np.searchsorted(keys, packed), len(keys) - 1)
    known = keys[slot] == packed
    if not known.all():
        _unknown_colours(packed[~known], name)
    out: NDArray = ids[slot]
    return out


@functools.lru_cache(maxsize=8)
def _table(pairs: tuple[tuple[int, int], ...]) -> tuple[int, NDArray, NDArray]:
    """A perfect hash of the palette's packed colours: the smallest ``m`` under which they have
    distinct remainders, and the colour and id of each remainder (a slot without a colour holds
    one that cannot be packed, so every look-up is checked exactly)."""
    colours = np.array([c for c, _ in pairs], dtype=np.uint32)
    m = len(pairs)
    while len(np.unique(colours % m)) < len(pairs):
        m += 1
        if m > 8 * len(pairs) + 256:  # no small hash: the sorted colours (modulus 0)
            top = max(i for _, i in pairs)
            return 0, colours, np.array([i for _, i in pairs], dtype=np.min_scalar_type(top))
    keys = np.full(m, 0xFFFFFFFF, dtype=np.uint32)  # above 2**24: never a pixel's colour
    keys[colours % m] = colours
    top = max(i for _, i in pairs)
    ids = np.zeros(m, dtype=np.min_scalar_type(top))
    ids[colours % m] = [i for _, i in pairs]
    return m, keys, ids


def _unknown_colours(packed: NDArray, name: object) -> None:
    colours, counts = np.unique(packed, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    shown = [
        f"{_colour_words(((int(c) >> 16) & 255, (int(c) >> 8) & 255, int(c) & 255))} "
        f"in {int(n)} pixel(s)"
        for c, n in zip(colours[order][:5], counts[order][:5], strict=True)
    ]
    more = f", and {len(colours) - 5} more colour(s)" if len(colours) > 5 else ""
    raise PaletteColourError(
        f"{name}: {len(colours)} colour(s) not in the palette: {'; '.join(shown)}{more}. Add "
        "each to the palette file with its class id (an id in `ignore_index` leaves its "
        "pixels out); colours blended by resizing or JPEG saving are "
        "not classes: save masks as PNG, resized with nearest-neighbour."
    )


def as_label_map(func: str, value: object) -> dict[int, int] | None:
    """A ``label_map`` argument (a mapping, a JSON file or a built-in name) as a dict."""
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        return load_label_map(value)
    if not isinstance(value, Mapping):
        raise InputError(
            f"{func}: `label_map` must be a mapping {{from id: to id}}, a JSON file or one of "
            f"{', '.join(LABEL_MAP_NAMES)}; got {type(value).__name__}."
        )
    out = {
        _class_id(func, "`label_map`", "a label id", k): _class_id(
            func, "`label_map`", f"what id {k} becomes", v
        )
        for k, v in value.items()
    }
    return dict(sorted(out.items()))


def as_palette(func: str, value: object) -> dict[int, tuple[int, int, int]] | None:
    """A ``palette`` argument (a mapping id → colour, or a JSON file) as a dict."""
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        return load_palette(value)
    if not isinstance(value, Mapping):
        raise InputError(
            f"{func}: `palette` must be a mapping {{id: (r, g, b)}} or a JSON file; got "
            f"{type(value).__name__}."
        )
    out: dict[int, tuple[int, int, int]] = {}
    for k, v in value.items():
        cls = _class_id(func, "`palette`", "a class id", k)
        out[cls] = _colour(func, "`palette`", cls, list(v) if isinstance(v, tuple) else v)
    if len(set(out.values())) < len(out):
        raise InputError(f"{func}: `palette` gives one colour to several classes.")
    return dict(sorted(out.items()))
