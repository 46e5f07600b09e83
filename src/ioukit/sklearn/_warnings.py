"""The warning class of the twins' "ill-defined" warnings, caught by scikit-learn's filters.

scikit-learn warns with ``sklearn.exceptions.UndefinedMetricWarning``. ioukit does not depend on
scikit-learn, so its own :class:`ioukit.UndefinedMetricWarning` cannot derive from that class.
Instead, when scikit-learn is already imported at the time of a warning (so that a user's
``pytest.warns`` or ``warnings.filterwarnings`` may name scikit-learn's class), the twins warn
with a class built once that derives from both. Without scikit-learn in ``sys.modules`` they
warn with ioukit's class; nothing here ever imports scikit-learn itself.
"""

from __future__ import annotations

import importlib
import sys
from functools import cache

from ioukit._errors import UndefinedMetricWarning

__all__ = ["undefined_metric_warning"]


@cache
def _bridge(theirs: type[Warning]) -> type[UndefinedMetricWarning]:
    """A class deriving from ioukit's and from scikit-learn's ``UndefinedMetricWarning``
    (``theirs``), built once per class of scikit-learn's."""
    doc = (
        "A score is undefined (0/0): both ioukit.UndefinedMetricWarning and "
        "sklearn.exceptions.UndefinedMetricWarning."
    )
    namespace = {"__module__": __name__, "__qualname__": "UndefinedMetricWarning", "__doc__": doc}
    bridge: type[UndefinedMetricWarning] = type(
        "UndefinedMetricWarning", (UndefinedMetricWarning, theirs), namespace
    )
    return bridge


def undefined_metric_warning() -> type[UndefinedMetricWarning]:
    """The class to warn with now: the bridge while scikit-learn is imported, else ioukit's."""
    if sys.modules.get("sklearn") is None:  # absent, or blocked with sys.modules["sklearn"] = None
        return UndefinedMetricWarning
    try:
        theirs = importlib.import_module("sklearn.exceptions").UndefinedMetricWarning
    except (ImportError, AttributeError):  # a broken or partial scikit-learn: ioukit's class
        return UndefinedMetricWarning
    return _bridge(theirs)
