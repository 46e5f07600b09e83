"""Shared test machinery: the array-library matrix.

The ``xp`` fixture runs a test body once per array library: NumPy (the numba kernels),
array-api-strict (the pure Array API path, strictest about dtypes and scalars), PyTorch on the
CPU and, when a GPU is present, PyTorch on CUDA. A library that is not installed is skipped.

Tests build their inputs with ``xp.asarray(...)`` from plain lists or NumPy arrays, and compare
results with ``xp.to_numpy(...)`` against NumPy expectations; ``xp.check(result, like=input)``
asserts that a result stayed in the input's library and on its device.
"""

from __future__ import annotations

import importlib.util
import signal
from typing import Any

import array_api_compat
import numpy as np
import pytest

# The Ctrl-C tests need SIGINT to behave as in a terminal. A runner started in the background
# by a non-interactive shell (or under nohup) ignores SIGINT, and so would the command lines
# the tests start (an ignored signal stays ignored across exec): restore Python's handler.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _cuda_available() -> bool:
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


BACKENDS = (
    ["numpy", "array_api_strict", "torch"]
    + (["torch-cuda"] if _cuda_available() else [])
    # optional, when installed: JAX (in 64-bit mode, which ioukit requires) and CuPy
    + (["jax"] if importlib.util.find_spec("jax") is not None else [])
    + (["cupy"] if importlib.util.find_spec("cupy") is not None else [])
)


def to_numpy(x: Any) -> np.ndarray[Any, Any]:
    """A NumPy copy of an array from any of the backends (host memory), or of a Python number."""
    if isinstance(x, (np.ndarray, np.generic, int, float, bool)):
        return np.asarray(x)
    if hasattr(x, "detach"):  # torch
        return np.asarray(x.detach().cpu().numpy())
    return np.asarray(np.from_dlpack(x))


class Backend:
    """One array library of the matrix: builds arrays in it and checks results against it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.device: str | None = None
        if name == "numpy":
            self.lib: Any = np
        elif name == "array_api_strict":
            self.lib = pytest.importorskip("array_api_strict")
        elif name == "jax":
            jax = pytest.importorskip("jax")
            jax.config.update("jax_enable_x64", True)
            self.lib = pytest.importorskip("jax.numpy")
        elif name == "cupy":
            self.lib = pytest.importorskip("cupy")
        else:
            self.lib = pytest.importorskip("torch")
            self.device = "cuda" if name == "torch-cuda" else "cpu"

    def __repr__(self) -> str:
        return f"Backend({self.name!r})"

    @property
    def is_numpy(self) -> bool:
        return self.name == "numpy"

    def asarray(self, obj: Any, dtype: Any = None) -> Any:
        """``obj`` (nested lists or a NumPy array) as an array of this library.

        ``dtype`` is a NumPy dtype or its name ("uint8", "bool", "float64", …).
        """
        a = np.asarray(obj, dtype=dtype)
        if self.name == "numpy":
            return a
        if self.name in ("array_api_strict", "jax", "cupy"):
            return self.lib.asarray(a)
        return self.lib.from_numpy(np.ascontiguousarray(a).copy()).to(self.device)

    to_numpy = staticmethod(to_numpy)

    def check(self, result: Any, like: Any) -> None:
        """``result`` is an array of the same library (and device) as ``like``."""
        assert array_api_compat.array_namespace(result) is array_api_compat.array_namespace(like)
        assert str(array_api_compat.device(result)) == str(array_api_compat.device(like))


@pytest.fixture(params=BACKENDS, scope="session")
def xp(request: pytest.FixtureRequest) -> Backend:
    """The array library a test body runs on (see the module docstring)."""
    return Backend(request.param)


@pytest.fixture
def idle_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin the thread policy's view of the machine to "idle" (no other process runs).

    ``ioukit.kernels`` runs a threaded kernel only on cores that other processes leave free;
    tests that check the threaded kernels against their serial twins use this fixture so that
    they take the threaded path even when the machine running the tests is busy.
    """
    import math

    from ioukit.kernels import _threads

    monkeypatch.setattr(_threads, "busy_threads", lambda: 0)
    monkeypatch.setattr(_threads, "_probe", (-math.inf, -math.inf, None))
