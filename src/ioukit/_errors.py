"""Exceptions and warnings raised by ioukit.

The tree::

    IoUKitError (Exception)
    ├── InputError (IoUKitError, ValueError)          bad shapes, dtypes or values of data
    │   └── StateError (InputError)                    a saved state that cannot be loaded
    ├── ParameterError (IoUKitError, ValueError)      bad option values (``average=``, …)
    ├── BackendError (IoUKitError, TypeError)         unsupported or mixed array libraries
    └── MissingDependencyError (IoUKitError, ImportError)   an optional extra is not installed

    UndefinedMetricWarning (UserWarning)              a score is 0/0 (``zero_division="warn"``)

Every error derives from the matching builtin, so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "InputError",
    "IoUKitError",
    "MissingDependencyError",
    "ParameterError",
    "StateError",
    "UndefinedMetricWarning",
]


class IoUKitError(Exception):
    """Base class of every error raised by ioukit."""


class InputError(IoUKitError, ValueError):
    """A data argument has the wrong shape, dtype or values."""


class StateError(InputError):
    """A saved state (a file from ``save``, a dict from ``state_dict`` or ``to_dict``) is
    malformed, of an unknown version, or does not fit the evaluator it is loaded into."""


class ParameterError(IoUKitError, ValueError):
    """An option has a value outside its documented set."""


class BackendError(IoUKitError, TypeError):
    """Arrays come from an unsupported library, or from several libraries at once."""


class MissingDependencyError(IoUKitError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class UndefinedMetricWarning(UserWarning):
    """A score is undefined (0/0) and was replaced by the ``zero_division`` value."""
