"""Read a result back from its JSON document, for ``ioukit compare`` and for notebooks."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ioukit._errors import InputError

__all__ = ["load_result"]

_KINDS = ("segmentation", "detection", "panoptic")


def load_result(source: str | os.PathLike[str] | Mapping[str, Any]) -> Any:
    """The result a JSON document describes, rebuilt exactly from the state it carries.

    ``source`` is a path to, or the parsed contents of, a document written by a result's
    ``to_dict()`` or by ``ioukit segment``, ``ioukit detect`` or ``ioukit panoptic`` with
    ``--json``. Its ``"kind"`` says which result class rebuilds it
    (:class:`~ioukit.SegmentationResult`, :class:`~ioukit.COCOResult` or
    :class:`~ioukit.LVISResult`, :class:`~ioukit.PanopticResult`), and its ``"state"`` holds the
    per-image counts or match records that every number is computed from, so the rebuilt
    result gives the same numbers, bit for bit, with no re-evaluation.

    Raises
    ------
    InputError
        The file is missing or not JSON, or the document has no kind or no state (written by
        an older ioukit: evaluate again to write it with its state).

    Examples
    --------
    >>> import numpy as np, ioukit
    >>> ev = ioukit.SegmentationEvaluator(num_classes=2, per_image=True)
    >>> ev.update(np.array([[0, 1], [1, 1]]), np.array([[0, 1], [0, 1]]), names=["a"])
    >>> r = ioukit.load_result(ev.result().to_dict())
    >>> r.miou == ev.result().miou, r.image_names
    (True, ('a',))
    """
    where = "load_result"
    if isinstance(source, Mapping):
        doc: Any = source
    else:
        path = Path(source)
        where = str(path)
        try:
            with path.open(encoding="utf-8") as f:
                doc = json.load(f)
        except FileNotFoundError:
            raise InputError(f"{path}: no such file.") from None
        except IsADirectoryError:
            raise InputError(f"{path} is a folder, not a JSON file.") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path} is not a JSON document ({exc}).") from None
    if not isinstance(doc, Mapping):
        raise InputError(f"{where}: expected a JSON object; got {type(doc).__name__}.")
    kind = doc.get("kind")
    if kind not in _KINDS:
        raise InputError(
            f'{where}: not an ioukit result (its "kind" is {kind!r}; expected one of '
            f"{', '.join(_KINDS)}). Write it with a result's to_dict() or a command's --json."
        )
    if "state" not in doc:
        raise InputError(
            f'{where}: this {kind} document has no "state" (the per-image data every number '
            "is computed from), so it cannot be compared or rebuilt. It was written by an "
            "older ioukit: evaluate again to write it with its state."
        )
    if kind == "segmentation":
        from ioukit.segmentation import SegmentationResult

        return SegmentationResult.from_dict(doc)
    if kind == "panoptic":
        from ioukit.panoptic import PanopticResult

        return PanopticResult.from_dict(doc)
    from ioukit.detection import COCOResult, LVISResult

    if doc.get("protocol") == "lvis" or doc.get("lvis"):
        return LVISResult.from_dict(doc)
    return COCOResult.from_dict(doc)
