"""Jaccard of Python sets (or any iterables of hashable items)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

from ioukit._errors import InputError
from ioukit.core.counts import Counts
from ioukit.core.reduce import ZeroDivision, jaccard

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


def set_counts(a: Iterable[Hashable], b: Iterable[Hashable]) -> Counts:
    """Counts of two sets: ``tp = |A ∩ B|``, ``fp = |B − A|``, ``fn = |A − B|``, ``tn = 0``.

    ``a`` plays the role of the target and ``b`` of the prediction; duplicates are ignored.
    """
    return _set_counts("set_counts", a, b)


def _set_counts(func: str, a: object, b: object) -> Counts:
    sa = _as_set(func, "a", a)
    sb = _as_set(func, "b", b)
    inter = len(sa & sb)

    def one(v: int) -> np.ndarray[Any, Any]:
        return np.array([v], dtype=np.int64)

    return Counts(one(inter), one(len(sb) - inter), one(len(sa) - inter), one(0), task="binary")


def set_jaccard(
    a: Iterable[Hashable], b: Iterable[Hashable], *, zero_division: ZeroDivision = "nan"
) -> float:
    """Jaccard index of two sets: ``|A ∩ B| / |A ∪ B|``.

    Parameters
    ----------
    a, b : iterable of hashable items
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
    counts = _set_counts("set_jaccard", a, b)
    return float(jaccard(counts, average="micro", zero_division=zero_division))
