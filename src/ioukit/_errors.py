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


TORCH_HINT = (
    "install the PyTorch build you want first: the CPU-only one with `pip install torch "
    "--index-url https://download.pytorch.org/whl/cpu`, a CUDA one as pytorch.org says (a plain "
    "`pip install torch` resolves a CUDA build of about 3 GB on Linux)"
)
"""How to get PyTorch, for messages: ioukit never installs it itself."""


def install_hint(extra: str, packages: str) -> str:
    """The command that installs an optional extra, for the way this copy of ioukit was
    installed, with the plain packages as the alternative.

    ``pip install 'ioukit[extra]'`` works only where ioukit comes from a package index. In a
    source checkout installed with ``pip install -e .`` (or ``pip install .``) the extra is
    installed from that folder, and a copy that pip did not install at all (the source folder
    on ``PYTHONPATH``) has no extras: only the packages help.

    Three forms: ``pip install 'ioukit[plot]' (or: pip install plotly)`` from an index,
    ``pip install -e '/path/to/ioukit[plot]' (or: pip install plotly)`` from a checkout, and
    ``pip install plotly`` alone.

    >>> "pip install plotly" in install_hint("plot", "plotly")
    True
    """
    import json
    from importlib import metadata

    try:
        dist = metadata.distribution("ioukit")
    except metadata.PackageNotFoundError:
        return f"pip install {packages}"
    direct = dist.read_text("direct_url.json")
    try:
        url = json.loads(direct) if direct else {}
    except ValueError:
        url = {}
    where = str(url.get("url", ""))
    if where.startswith("file://") and "dir_info" in url:
        from urllib.parse import unquote, urlparse

        folder = unquote(urlparse(where).path)
        editable = "-e " if url["dir_info"].get("editable") else ""
        return f"pip install {editable}'{folder}[{extra}]' (or: pip install {packages})"
    return f"pip install 'ioukit[{extra}]' (or: pip install {packages})"


class UndefinedMetricWarning(UserWarning):
    """A score is undefined (0/0) and was replaced by the ``zero_division`` value."""
