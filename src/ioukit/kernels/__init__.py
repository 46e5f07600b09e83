"""numba CPU kernels behind plain functions; numba is imported only when a kernel first runs."""
