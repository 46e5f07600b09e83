"""Freed memory given back to the operating system after a large evaluation.

glibc's allocator keeps what a process frees: in the heap of the main thread once its
dynamic mmap threshold has risen (after the first large array is freed, arrays up to 32 MiB
come from the heap), and in the arenas of the threads that the parallel kernels run on. A
COCO evaluation of 500k detections frees about 80 MiB that the process would otherwise keep
resident for good, and the next evaluation's peak then sits on top of it.
:func:`release_free_memory` asks glibc to return it (``malloc_trim(0)``, a few milliseconds).
Elsewhere (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache
from typing import Any

__all__ = ["release_free_memory"]


@cache
def _malloc_trim() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # no glibc (musl has no malloc_trim)
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


def release_free_memory() -> None:
    """Return the memory this process has freed to the operating system, where the C
    library can (glibc); otherwise do nothing."""
    fn = _malloc_trim()
    if fn is not None:
        fn(0)
