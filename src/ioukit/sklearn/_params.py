"""scikit-learn's parameter validation, for the twins in :mod:`ioukit.sklearn`.

:func:`_validate_params` binds the arguments like scikit-learn's ``validate_params`` decorator and
checks each against a tuple of :class:`_Rule` s; a value that no rule accepts raises
:class:`InvalidParameterError` with scikit-learn's message.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import numpy as np

from ioukit._errors import ParameterError

__all__ = ["InvalidParameterError"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


class InvalidParameterError(ParameterError, TypeError):
    """A parameter has a type or value outside its documented set.

    Mirrors ``sklearn.utils._param_validation.InvalidParameterError``: same message, and it can
    be caught as ``ValueError`` or ``TypeError`` (and as ioukit's :class:`ParameterError`).
    """


def _is_sparse(x: object) -> bool:
    """Whether ``x`` is a scipy sparse matrix/array (scipy is imported only if it could be)."""
    if not type(x).__module__.startswith("scipy.sparse"):
        return False
    return bool(_scipy_sparse().issparse(x))


def _scipy_sparse() -> Any:
    """scipy.sparse, imported only once an input is a sparse matrix (scipy is optional)."""
    return importlib.import_module("scipy.sparse")


def _is_array_like(x: object) -> bool:
    if _is_sparse(x):
        return False
    has = hasattr(x, "__len__") or hasattr(x, "shape") or hasattr(x, "__array__")
    return has and not np.isscalar(x)


@dataclass(frozen=True)
class _Rule:
    """One accepted kind of value for a parameter, and how scikit-learn names it."""

    test: Callable[[Any], bool]
    text: str


def _among(kind: type, name: str, options: set[Any]) -> _Rule:
    # The text lists the set in its iteration order, as scikit-learn does.
    text = f"a {name} among {{{', '.join(repr(o) for o in options)}}}"
    return _Rule(lambda v: isinstance(v, kind) and v in options, text)


_ARRAY = _Rule(_is_array_like, "an array-like")
_SPARSE = _Rule(_is_sparse, "a sparse array or matrix")
_NONE = _Rule(lambda v: v is None, "None")
_REAL = _Rule(lambda v: isinstance(v, numbers.Real), "an instance of 'float'")
_STR = _Rule(lambda v: isinstance(v, str), "an instance of 'str'")
_BOOL = _Rule(
    lambda v: isinstance(v, (bool, np.bool_)),
    "an instance of 'bool' or an instance of 'numpy.bool'",
)
# Written as set displays in scikit-learn's order: the message lists them in set order.
_AVERAGES = _among(str, "str", {"micro", "macro", "samples", "weighted", "binary"})
_ZERO_DIVISION = _among(numbers.Real, "float", {0, 1})
_WARN = _among(str, "str", {"warn"})
_NORMALIZE = _among(str, "str", {"true", "pred", "all"})


def _validate_params(
    rules: dict[str, tuple[_Rule, ...]],
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Bind the arguments like scikit-learn's ``validate_params`` and check each one."""

    def decorate(func: Callable[_P, _R]) -> Callable[_P, _R]:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, value in bound.arguments.items():
                allowed = rules[name]
                if any(rule.test(value) for rule in allowed):
                    continue
                texts = [rule.text for rule in allowed]
                expected = texts[-1]
                if len(texts) > 1:
                    expected = f"{', '.join(texts[:-1])} or {expected}"
                raise InvalidParameterError(
                    f"The {name!r} parameter of {func.__qualname__} must be {expected}. "
                    f"Got {value!r} instead."
                )
            return func(*args, **kwargs)

        return wrapper

    return decorate
