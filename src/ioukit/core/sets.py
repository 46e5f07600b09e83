"""Jaccard of Python sets (or any iterables of hashable items)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

from ioukit._errors import InputError
from ioukit._typing import ZeroDivision
from ioukit.core.counts import Counts
from ioukit.core.reduce import jaccard

__all__ = ["set_counts", "set_jaccard"]


def _as_set(func: str, name: str, items: object) -> set[Hashable]:
    if isinstance(items, (str, bytes)):
        raise InputError(
            f"{func}: `{name}` must be an iterable of items, not a {type(items).__name__}; "
            f"wrap it as {{{items!r}}} for one item or set({items!r}) for its characters."
        )
    if not isinstance(items, Iterable):
        raise InputError(
            f"{func}: `{name}` must be an iterable of hashable items; got {type(items).__name__}."
        )
    try:
        return set(items)
    except TypeError as exc:
        raise InputError(f"{func}: every item of `{name}` must be hashable ({exc}).") from exc


def set_counts(pred: Iterable[Hashable], target: Iterable[Hashable]) -> Counts:
    """Counts of a predicted set against a target set.

    ``tp = |P ∩ T|``, ``fp = |P − T|``, ``fn = |T − P|``, ``tn = 0`` (a set has no countable
    true negatives).

    Parameters
    ----------
    pred, target : iterable of hashable items
        The predicted and the target set: any iterables (sets, lists, generators); duplicates
        are ignored. A bare string is rejected: say ``{"word"}`` or ``set("word")``.

    Returns
    -------
    Counts
        ``task="binary"``, one class: ``tp``, ``fp``, ``fn``, ``tn`` of shape ``(1,)``, int64.

    Examples
    --------
    >>> c = set_counts({2, 3, 4, 8, 9}, {1, 2, 3, 5, 8})  # P − T = {4, 9}, T − P = {1, 5}
    >>> int(c.tp[0]), int(c.fp[0]), int(c.fn[0]), int(c.tn[0])
    (3, 2, 2, 0)
    """
    return _set_counts("set_counts", pred, target)


def _set_counts(func: str, pred: object, target: object) -> Counts:
    sp = _as_set(func, "pred", pred)
    st = _as_set(func, "target", target)
    inter = len(sp & st)

    def one(v: int) -> np.ndarray[Any, Any]:
        return np.array([v], dtype=np.int64)

    return Counts(one(inter), one(len(sp) - inter), one(len(st) - inter), one(0), task="binary")


def set_jaccard(
    pred: Iterable[Hashable], target: Iterable[Hashable], *, zero_division: ZeroDivision = "nan"
) -> float:
    """Jaccard index of two sets: ``|P ∩ T| / |P ∪ T|``.

    Symmetric: swapping ``pred`` and ``target`` gives the same value.

    Parameters
    ----------
    pred, target : iterable of hashable items
        Any iterables (sets, lists, generators); duplicates are ignored. A bare string is
        rejected: say ``{"word"}`` or ``set("word")``.
    zero_division : "nan", "warn" or float, default "nan"
        Value when both sets are empty (0/0).

    Returns
    -------
    float

    Examples
    --------
    >>> set_jaccard({1, 2, 3, 5, 8}, {2, 3, 4, 8, 9})  # {2, 3, 8} / {1, 2, 3, 4, 5, 8, 9}
    0.42857142857142855
    >>> set_jaccard([], [], zero_division=1.0)
    1.0
    """
    counts = _set_counts("set_jaccard", pred, target)
    return float(jaccard(counts, average="micro", zero_division=zero_division))
