"""numba CPU kernels behind plain functions; numba is imported only when a kernel first runs."""

from __future__ import annotations


def num_threads() -> int:
    """Number of threads numba's parallel kernels run on (imports numba)."""
    import numba

    return int(numba.get_num_threads())
