"""Dense pairwise instance-mask IoU: ioukit against its peers, same process.

Workloads: N × N masks of 512×512 (N = 100 and 300), each a random filled ellipse or rectangle
with sides of 16 to 256 pixels (instance-like objects), plus a worst case for ioukit's
word-range pruning: 300 × 300 masks with sides of 256 to 512 pixels (every pair overlaps on
most rows). Every contender computes the full (N, N) IoU matrix and is checked against
ioukit's answer.

Contenders:

* ``ioukit mask_iou (numpy)``: bit-packed masks, numba popcount kernel (the NumPy path).
* ``numpy float32 matmul``: the alternative kernel for the NumPy path (flattened masks as
  float32, ``A @ B.T``), measured to justify the choice of the bit kernel.
* ``ioukit mask_iou (torch CPU)``: bool tensors; runs the same numba kernel on the tensors'
  memory and returns a tensor.
* ``ioukit GEMM path (torch CPU)``: the tiled exact float32 matrix product that ioukit runs on
  CUDA tensors and other libraries, here on the CPU.
* ``torch float32 matmul (ultralytics)``: ``inter = m1 @ m2.T; union = a1 + a2 - inter`` on
  flattened float32 masks, as ``ultralytics.utils.metrics.mask_iou``, timed on float32 masks
  (as ultralytics receives them) and from bool masks (conversion included). Builds no N×M×P
  temporary but needs float32 copies of both sets (4 bytes per pixel).
* ``pycocotools encode`` / ``pycocotools iou``: RLE-encode both sets, then ``mask.iou`` on the
  RLEs (its C code skips pairs whose boxes do not overlap).

The "peak MB" column is the tracemalloc peak (NumPy allocations only; PyTorch and C libraries
are not traced, shown as "–").

Run: ``python benchmarks/masks.py [--repeats 5]``. ioukit's NumPy path is timed before PyTorch
is imported (PyTorch's idle OpenMP threads would otherwise steal cores on a small machine).
"""

from __future__ import annotations

import argparse
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from _timing import median_time
from ioukit.geometry.masks import mask_iou

SIZE = 512


def peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def objects(rng: np.random.Generator, n: int, sides: tuple[int, int]) -> np.ndarray:
    """``n`` masks of SIZE², each one filled ellipse or rectangle."""
    out = np.zeros((n, SIZE, SIZE), dtype=bool)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    for k in range(n):
        h, w = rng.integers(sides[0], sides[1] + 1, 2)
        y, x = rng.integers(0, SIZE - h + 1), rng.integers(0, SIZE - w + 1)
        if k % 2:
            out[k, y : y + h, x : x + w] = True
        else:
            cy, cx = y + h / 2, x + w / 2
            out[k] = ((yy + 0.5 - cy) / (h / 2)) ** 2 + ((xx + 0.5 - cx) / (w / 2)) ** 2 <= 1
    return out


def numpy_matmul(a: np.ndarray, b: np.ndarray) -> Callable[[], np.ndarray]:
    fa = a.reshape(len(a), -1).astype(np.float32)
    fb = b.reshape(len(b), -1).astype(np.float32)

    def run() -> np.ndarray:
        inter = fa @ fb.T
        union = fa.sum(1)[:, None] + fb.sum(1)[None, :] - inter
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    workloads = []
    for n, sides, label in (
        (100, (16, 256), "100 × 100 masks of 512², objects 16–256 px"),
        (300, (16, 256), "300 × 300 masks of 512², objects 16–256 px"),
        (300, (256, 512), "300 × 300 masks of 512², objects 256–512 px (little pruning)"),
    ):
        a, b = objects(rng, n, sides), objects(rng, n, sides)
        workloads.append((label, a, b, mask_iou(a, b)))

    results: dict[str, list[tuple[str, float, str, float]]] = {w[0]: [] for w in workloads}

    def record(label: str, name: str, fn: Callable[[], Any], expected: Any, trace: bool) -> None:
        t = median_time(fn, args.repeats)
        mem = f"{peak_mb(fn):.1f}" if trace else "–"
        out = fn()
        err = float("nan") if expected is None else float(np.abs(np.asarray(out) - expected).max())
        results[label].append((name, t, mem, err))

    # phase 1: NumPy only (before torch is imported)
    for label, a, b, expected in workloads:
        record(label, "ioukit mask_iou (numpy)", lambda a=a, b=b: mask_iou(a, b), expected, True)
        record(label, "numpy float32 matmul", numpy_matmul(a, b), expected, True)

    # phase 2: the peers
    try:
        import torch

        from ioukit.geometry.masks import _areas, _gemm_counts

        for label, a, b, expected in workloads:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            record(
                label,
                "ioukit mask_iou (torch CPU)",
                lambda x=ta, y=tb: mask_iou(x, y),
                expected,
                False,
            )

            def gemm(x: Any = ta, y: Any = tb) -> Any:
                import array_api_compat.torch as xt

                fx, fy = x.reshape(len(x), -1), y.reshape(len(y), -1)
                inter = _gemm_counts(xt, fx, fy)
                union = _areas(xt, fx)[:, None] + _areas(xt, fy)[None, :] - inter
                return torch.where(union > 0, inter / union.clamp(min=1), 0.0)

            record(label, "ioukit GEMM path (torch CPU, as on CUDA)", gemm, expected, False)
            fa = ta.reshape(len(ta), -1).float()
            fb = tb.reshape(len(tb), -1).float()

            def ultralytics(x: Any = fa, y: Any = fb) -> Any:
                inter = torch.matmul(x, y.T).clamp(0)
                union = (x.sum(1)[:, None] + y.sum(1)[None]) - inter
                return inter / (union + 1e-7)

            record(label, "torch float32 matmul (ultralytics)", ultralytics, expected, False)

            def ultralytics_bool(x: Any = ta, y: Any = tb) -> Any:
                return ultralytics(x.reshape(len(x), -1).float(), y.reshape(len(y), -1).float())

            record(label, "  same, incl. bool → float32", ultralytics_bool, expected, False)
    except ImportError:
        print("(torch not installed: skipped)")
    try:
        from pycocotools import mask as mask_utils

        for label, a, b, expected in workloads:
            fa = np.asfortranarray(a.transpose(1, 2, 0).astype(np.uint8))
            fb = np.asfortranarray(b.transpose(1, 2, 0).astype(np.uint8))

            def encode(x: Any = fa, y: Any = fb) -> Any:
                return mask_utils.encode(x), mask_utils.encode(y)

            ra, rb = encode()
            record(label, "pycocotools encode (both sets)", encode, None, False)
            crowd = [0] * len(b)
            record(
                label,
                "pycocotools iou (on RLE)",
                lambda ra=ra, rb=rb, c=crowd: np.asarray(mask_utils.iou(ra, rb, c)),
                expected,
                False,
            )
    except ImportError:
        print("(pycocotools not installed: skipped)")

    for label, rows in results.items():
        print(f"\n{label}, median of ≥ {args.repeats} runs (short calls: ≥ 0.25 s of runs)\n")
        print("| contender | median (ms) | vs ioukit numpy | peak MB | max abs diff |")
        print("|---|---:|---:|---:|---:|")
        ours = rows[0][1]
        for name, t, mem, err in rows:
            diff = "–" if err != err else f"{err:.1e}"
            print(f"| {name} | {t * 1e3:.1f} | {t / ours:.1f}× | {mem} | {diff} |")


if __name__ == "__main__":
    main()
