"""Quality bands: the words that name an IoU ("excellent", "good", "poor", ...).

:data:`QUALITY_BANDS` is the default; :func:`parse_quality_bands` reads other bands from a short
text (the ``--bands`` option); :func:`quality_band` names one value. A
:class:`~ioukit.SegmentationResult` carries its bands (``with_quality_bands``) into every
quality it reports. Public names are re-exported by :mod:`ioukit.segmentation`.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

from ioukit._errors import ParameterError

__all__ = [
    "BAND_LADDERS",
    "QUALITY_BANDS",
    "Bands",
    "check_quality_bands",
    "describe_quality_bands",
    "parse_quality_bands",
    "quality_band",
]

Bands = tuple[tuple[float, str], ...]
"""``(threshold, name)`` pairs, best first: IoU strictly above a threshold is in its band."""

QUALITY_BANDS: Bands = ((0.95, "excellent"), (0.7, "good"))
"""IoU above 0.95 is "excellent", above 0.7 "good", anything else "poor" (NaN: "n/a")."""

#: the band names of 1 to 4 bare thresholds, best first ("poor" is always below the last)
BAND_LADDERS: dict[int, tuple[str, ...]] = {
    1: ("good",),
    2: ("excellent", "good"),
    3: ("excellent", "good", "fair"),
    4: ("excellent", "good", "fair", "weak"),
}
_RESERVED = ("poor", "n/a")
_EXAMPLE = 'e.g. "0.95,0.7,0.5" or "excellent=0.95,good=0.7,fair=0.5"'


def quality_band(iou: float, *, bands: Bands = QUALITY_BANDS) -> str:
    """The quality band of one IoU value: the name of the first band whose threshold it is
    strictly above, ``"poor"`` below them all, ``"n/a"`` for NaN.

    Parameters
    ----------
    iou : float
        One IoU value.
    bands : tuple of (float, str), optional
        ``(threshold, name)`` pairs, thresholds strictly decreasing (default
        :data:`QUALITY_BANDS`; :func:`parse_quality_bands` builds others).

    Returns
    -------
    str
        The band's name.

    Examples
    --------
    >>> quality_band(0.97), quality_band(0.8), quality_band(0.2), quality_band(float("nan"))
    ('excellent', 'good', 'poor', 'n/a')
    >>> quality_band(0.95), quality_band(0.6, bands=parse_quality_bands("0.95,0.7,0.5"))
    ('good', 'fair')
    """
    if math.isnan(iou):
        return "n/a"
    for bound, name in bands:
        if iou > bound:
            return name
    return "poor"


def parse_quality_bands(text: str) -> Bands:
    """Quality bands from a short text such as a command-line option.

    Two forms, 1 to 4 thresholds, strictly decreasing, each in ``(0, 1]``:

    * bare thresholds, ``"0.95,0.7,0.5"``: named by their count, best first — 1: good;
      2: excellent, good (the default :data:`QUALITY_BANDS`); 3: excellent, good, fair;
      4: excellent, good, fair, weak;
    * named thresholds, ``"excellent=0.95,good=0.7,fair=0.5"``: any distinct names of
      letters, digits, ``-`` and ``_`` except the reserved ``poor`` and ``n/a``.

    An IoU strictly above a threshold is in its band; below the last one it is ``"poor"``,
    and NaN is ``"n/a"`` (see :func:`quality_band`).

    Parameters
    ----------
    text : str
        The bands, comma-separated (spaces around items are ignored).

    Returns
    -------
    tuple of (float, str)
        ``(threshold, name)`` pairs, best first: what :func:`quality_band` and
        :meth:`SegmentationResult.with_quality_bands` take.

    Raises
    ------
    ParameterError
        Anything else; the message quotes the text and shows a valid example.

    Examples
    --------
    >>> parse_quality_bands("0.95,0.7,0.5")
    ((0.95, 'excellent'), (0.7, 'good'), (0.5, 'fair'))
    >>> parse_quality_bands("great=0.9, ok=0.6")
    ((0.9, 'great'), (0.6, 'ok'))
    """
    where = f"parse_quality_bands: text {text!r}"
    if not isinstance(text, str):
        raise ParameterError(f"{where}: expected a str ({_EXAMPLE}), got {type(text).__name__}.")
    items = [item.strip() for item in text.split(",")]
    named = ["=" in item for item in items]
    if any(named) and not all(named):
        raise ParameterError(f"{where}: name every threshold or none ({_EXAMPLE}).")
    if not 1 <= len(items) <= len(BAND_LADDERS):
        raise ParameterError(
            f"{where}: expected 1 to {len(BAND_LADDERS)} thresholds ({_EXAMPLE}), got {len(items)}."
        )
    pairs = [item.split("=", 1) if named[0] else ["", item] for item in items]
    values = []
    for _, value in pairs:
        try:
            values.append(float(value))
        except ValueError:
            raise ParameterError(
                f"{where}: {value.strip()!r} is not a number ({_EXAMPLE})."
            ) from None
    names = [n.strip() for n, _ in pairs] if named[0] else list(BAND_LADDERS[len(items)])
    return check_quality_bands(tuple(zip(values, names, strict=True)), where=where)


def check_quality_bands(bands: Any, *, where: str) -> Bands:
    """``bands`` as a tuple of ``(float, str)`` pairs, checked: 1 to 4 of them, thresholds
    strictly decreasing in ``(0, 1]``, distinct names that are not reserved."""
    try:
        pairs = tuple((float(t), n) for t, n in bands)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{where}: expected (threshold, name) pairs ({_EXAMPLE}), got {bands!r}."
        ) from None
    problem = ""
    if not 1 <= len(pairs) <= len(BAND_LADDERS):
        problem = f"expected 1 to {len(BAND_LADDERS)} bands, got {len(pairs)}"
    elif not all(0 < t <= 1 for t, _ in pairs):
        problem = f"thresholds must lie in (0, 1], got {[t for t, _ in pairs]}"
    elif any(a <= b for (a, _), (b, _) in itertools.pairwise(pairs)):
        problem = f"thresholds must be strictly decreasing, got {[t for t, _ in pairs]}"
    elif not all(isinstance(n, str) and re.fullmatch(r"[\w-]+", n) for _, n in pairs):
        problem = f"names must be letters, digits, '-' or '_', got {[n for _, n in pairs]}"
    elif len({n for _, n in pairs}) < len(pairs) or any(n in _RESERVED for _, n in pairs):
        problem = f"names must be distinct and not 'poor' or 'n/a', got {[n for _, n in pairs]}"
    if problem:
        raise ParameterError(f"{where}: {problem} ({_EXAMPLE}).")
    return pairs


def describe_quality_bands(bands: Bands = QUALITY_BANDS) -> str:
    """The bands in words, e.g. ``"IoU > 0.95 excellent, > 0.7 good, else poor"``.

    >>> describe_quality_bands(parse_quality_bands("0.9"))
    'IoU > 0.9 good, else poor'
    """
    return "IoU " + ", ".join(f"> {t:g} {n}" for t, n in bands) + ", else poor"
