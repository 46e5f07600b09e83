"""The saved state of a :class:`~ioukit.SegmentationEvaluator`: its format, versions and errors.

A state is the evaluator's configuration and its one :class:`~ioukit.Counts`::

    {"version": 2,
     "config": {"num_classes": C, "ignore_index": [...], "class_names": [...],
                "per_image": true, "spatial_dims": 2},
     "counts": Counts.to_dict()}   # multiclass, int64, with the (C, C) confusion matrix;
                                   # per-sample with image names when per_image, else
                                   # dataset-level with num_samples

An evaluator with the option ``boundary`` (Boundary IoU per class) also has ``"boundary":
ratio`` and ``"boundary_convention": "ioukit" | "detectron2"`` in its config (a config without
the convention is ``"ioukit"``) and ``"boundary_counts"``: the bands' tp / fp / fn per class, a
:class:`~ioukit.Counts` of the same layout without the confusion matrix (under
``"detectron2"``: detectron2's ``b_tp``, ``b_pos_pred - b_tp``, ``b_pos_gt - b_tp``, with no
ignored classes). States without them are evaluators without the option.

On disk, ``.json`` holds that dictionary. ``.npz`` holds it as UTF-8 JSON bytes under
``"state"``, without its arrays, and each array under its path in the dictionary
(``"counts/tp"``, ``"counts/confusion_matrix"``, …), so nothing large goes through text.

Version 1 (written before this format) is read, never written: ``"num_images"``, a
``"confusion_matrix"``, and with ``per_image`` an ``(N, 4, C)`` ``"per_image"`` array (tp, fp, fn
and the image's valid pixels, repeated per class) with ``"image_names"``; its ``.npz`` kept
``"per_image"`` as an array. It becomes the same :class:`~ioukit.Counts` (tn = valid − tp − fp −
fn), so it loads to identical results.

Every problem with a state, from a truncated file to a count of the wrong shape, raises
:class:`ioukit._errors.StateError` naming the file (or the method) and what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ioukit._errors import ParameterError, StateError
from ioukit.core.counts import Counts

__all__ = [
    "CONFIG_KEYS",
    "OPTIONAL_KEYS",
    "STATE_VERSION",
    "class_names_of",
    "parse_boundary",
    "parse_state",
    "read_state",
    "state_dict",
    "write_state",
]

STATE_VERSION = 2
CONFIG_KEYS = ("num_classes", "ignore_index", "class_names", "per_image", "spatial_dims")
OPTIONAL_KEYS = ("boundary", "boundary_convention")  # present only with boundary
_SUMMARY_KEYS = ("summary", "per_class")  # SegmentationResult.to_dict, the CLI's --json
NDArray = np.ndarray[Any, Any]


def state_dict(
    config: dict[str, Any],
    counts: Counts,
    *,
    as_lists: bool = True,
    boundary_counts: Counts | None = None,
) -> dict[str, Any]:
    """The state of an evaluator with ``config`` and ``counts`` (and ``boundary_counts`` with
    the option ``boundary``), arrays as lists, or as NumPy arrays with ``as_lists=False``."""
    out = {
        "version": STATE_VERSION,
        "config": config,
        "counts": counts.to_dict(as_lists=as_lists),
    }
    if boundary_counts is not None:
        out["boundary_counts"] = boundary_counts.to_dict(as_lists=as_lists)
    return out


def parse_boundary(where: str, state: dict[str, Any]) -> Counts | None:
    """The boundary counts of a state parsed by :func:`parse_state` (``None`` when its config
    has no ``boundary``)."""
    if state["config"].get("boundary") is None:
        return None
    try:
        return Counts.from_dict(_get(where, state, "boundary_counts", dict))
    except StateError as exc:
        raise StateError(f"{where}: the boundary counts are malformed: {exc}") from None


def parse_state(where: str, state: object) -> tuple[dict[str, Any], Counts]:
    """The configuration and counts of a state of any known version. ``where`` starts every
    message (the method, and the file when there is one)."""
    if not isinstance(state, dict):
        raise StateError(f"{where}: a state is a dict; got {type(state).__name__}.")
    if "version" not in state and all(k in state for k in _SUMMARY_KEYS):
        raise StateError(
            f"{where}: this is a results summary (SegmentationResult.to_dict, as written by "
            "`ioukit segment --json`), not an evaluator state: it holds scores, not the counts "
            "needed to resume. Resume from the --checkpoint file instead, or save the evaluator "
            "with SegmentationEvaluator.save."
        )
    version = state.get("version")
    if version not in (1, STATE_VERSION):
        raise StateError(
            f"{where}: unknown state version {version!r}; this ioukit reads versions 1 and "
            f"{STATE_VERSION}. Was it written by a newer ioukit, or is it not a "
            "SegmentationEvaluator state?"
        )
    config = _get(where, state, "config", dict)
    missing = [k for k in CONFIG_KEYS if k not in config]
    unknown = [k for k in config if k not in CONFIG_KEYS + OPTIONAL_KEYS]
    if missing or unknown:
        raise StateError(
            f"{where}: `config` must hold exactly {', '.join(CONFIG_KEYS)}; "
            + ("missing " + ", ".join(missing) if missing else "unknown " + ", ".join(unknown))
            + "."
        )
    if config.get("boundary") is not None and "boundary_convention" not in config:
        config = {**config, "boundary_convention": "ioukit"}  # saved before the option
    counts = _counts_v1(where, state, config) if version == 1 else _get(where, state, "counts")
    try:
        return config, Counts.from_dict(counts)
    except StateError as exc:
        raise StateError(f"{where}: the counts are malformed: {exc}") from None


def _get(where: str, state: dict[str, Any], key: str, *kinds: type) -> Any:
    """``state[key]``, which must be there and (when ``kinds`` are given) of one of them."""
    if key not in state:
        raise StateError(f"{where}: the state has no {key!r}; it is incomplete.")
    value = state[key]
    if kinds and (isinstance(value, bool) or not isinstance(value, kinds)):
        expected = " or ".join(k.__name__ for k in kinds)
        raise StateError(f"{where}: {key!r} must be a {expected}; got {type(value).__name__}.")
    return value


def _counts_v1(where: str, state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """A version-1 state's arrays as the dict of :meth:`Counts.to_dict` (checked there)."""
    c = config["num_classes"]
    if isinstance(c, bool) or not isinstance(c, int) or c < 1:
        raise StateError(f"{where}: config `num_classes` must be a positive integer; got {c!r}.")
    ignore = config["ignore_index"] if isinstance(config["ignore_index"], list) else []
    matrix = _integers(where, state, "confusion_matrix")
    n = _get(where, state, "num_images", int)
    if matrix.shape != (c, c):
        raise StateError(f"{where}: `confusion_matrix` must be ({c}, {c}); got {matrix.shape}.")
    ignored = [v for v in ignore if isinstance(v, int) and 0 <= v < c]
    if not config["per_image"]:
        whole = Counts.from_confusion_matrix(matrix, ignored_classes=tuple(ignored))
        return {**whole.to_dict(as_lists=False), "confusion_matrix": matrix, "num_samples": n}
    per = _integers(where, state, "per_image")
    names = _get(where, state, "image_names", list)
    if per.size == 0:
        per = per.reshape(0, 4, c)
    if per.shape != (n, 4, c) or len(names) != n:
        raise StateError(
            f"{where}: `per_image` must be ({n}, 4, {c}) with {n} `image_names` "
            f"(num_images={n}); got shape {per.shape} and {len(names)} names."
        )
    tp, fp, fn, valid = (per[:, i] for i in range(4))
    return {
        "task": "multiclass",
        "per_sample": True,
        "num_classes": c,
        "ignored_classes": ignored,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": valid - tp - fp - fn,
        "confusion_matrix": matrix,
        "sample_names": names,
    }


def _integers(where: str, state: dict[str, Any], key: str) -> NDArray:
    """``state[key]``, nested lists or an array of integers, as int64."""
    try:
        a = np.asarray(_get(where, state, key, list, np.ndarray))
    except ValueError:  # ragged lists
        a = np.asarray(None)
    if a.size and a.dtype.kind not in "iu":
        raise StateError(f"{where}: {key!r} must be a rectangular array of integers.")
    return a.astype(np.int64)


# ------------------------------------------------------------------------------------- files


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (from :func:`state_dict`; with ``as_lists=False`` for ``.npz``) to
    ``path``: JSON for ``.json``, ``.npz`` otherwise. Written to ``path.tmp``, then renamed:
    a crash never leaves half a state."""
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix == ".json":
        tmp.write_text(json.dumps(state))
    else:
        parts = [p for p in ("counts", "boundary_counts") if p in state]
        arrays: dict[str, Any] = {
            f"{p}/{k}": v for p in parts for k, v in state[p].items() if isinstance(v, np.ndarray)
        }
        meta: dict[str, Any] = {
            **state,
            **{p: {k: v for k, v in state[p].items() if f"{p}/{k}" not in arrays} for p in parts},
        }
        text = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        with tmp.open("wb") as fh:
            np.savez_compressed(fh, state=text, **arrays)
    tmp.replace(path)


def read_state(where: str, path: Path) -> dict[str, Any]:
    """The state dictionary in ``path`` (as written by :func:`write_state`, any version)."""
    with path.open("rb") as fh:  # a missing file stays a FileNotFoundError
        if not fh.read(1):
            raise StateError(f"{where}: the file is empty; it is not a saved state.")
        fh.seek(0)
        state = _read_json(where, fh.read()) if path.suffix == ".json" else _read_npz(where, fh)
    if not isinstance(state, dict):
        raise StateError(f"{where}: the file holds a {type(state).__name__}, not a state.")
    return state


def _read_json(where: str, raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise StateError(
            f"{where}: not a readable JSON state ({type(exc).__name__}: {exc}); the file is "
            "truncated or was not written by SegmentationEvaluator.save."
        ) from None


def _read_npz(where: str, fh: Any) -> Any:
    """The state of an ``.npz`` file: its ``"state"`` JSON with each array put back at its
    path (``"counts/tp"`` → ``state["counts"]["tp"]``; version 1: ``"per_image"``)."""
    try:
        data = np.load(fh, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise StateError(f"{where}: a single .npy array, not an .npz state.")
        with data:
            if "state" not in data.files:
                raise StateError(
                    f"{where}: the .npz archive has no 'state' entry; it was not written by "
                    "SegmentationEvaluator.save."
                )
            state = _read_json(where, bytes(data["state"]))
            arrays = {k: data[k] for k in data.files if k != "state"}
    except StateError:
        raise
    except Exception as exc:
        # whatever a damaged archive makes zipfile or NumPy raise (BadZipFile, zlib.error,
        # EOFError, ValueError, KeyError, OSError, NotImplementedError, RuntimeError, …)
        # means one thing here: not a readable state
        raise StateError(
            f"{where}: not a readable .npz state; the file is truncated or corrupt "
            f"({type(exc).__name__}: {exc})."
        ) from None
    for key, value in arrays.items():
        *parents, name = key.split("/")
        node = state
        for parent in parents:
            node = node.get(parent) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise StateError(f"{where}: the array {key!r} has no place in the state.")
        node[name] = value
    return state


def class_names_of(func: str, names: object, c: int) -> tuple[str, ...]:
    """The names of the classes of an evaluator: ``C`` strings (ids by default)."""
    if names is None:
        return tuple(str(i) for i in range(c))
    if isinstance(names, dict):
        out = [str(i) for i in range(c)]
        for k, v in names.items():
            if not isinstance(k, (int, np.integer)) and not (isinstance(k, str) and k.isdigit()):
                raise ParameterError(f"{func}: `class_names` keys must be class ids; got {k!r}.")
            if not 0 <= int(k) < c:
                raise ParameterError(
                    f"{func}: `class_names` has id {k} outside [0, {c}) (num_classes={c})."
                )
            out[int(k)] = str(v)
        return tuple(out)
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise ParameterError(
            f"{func}: `class_names` must be a sequence of names or a dict id → name; got "
            f"{type(names).__name__}."
        )
    if len(names) != c:
        raise ParameterError(
            f"{func}: `class_names` has {len(names)} names but num_classes is {c}."
        )
    return tuple(str(n) for n in names)
