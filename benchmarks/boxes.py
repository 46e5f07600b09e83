"""Pairwise box IoU: ioukit against torchvision, and sparse pairs against shapely's STRtree.

Workload A (dense): ``box_iou`` and ``generalized_box_iou`` of N x N random float32 boxes
(N = 1k, 5k, 10k; 5–50 px boxes in a 1000² scene), for ioukit on NumPy (numba kernel), ioukit
on torch CPU tensors (the same kernel, zero-copy) and torchvision.ops (when importable: it needs
a torch build matching it, so run this script in that environment too). Each contender runs in
its own fresh subprocess (torch's idle OpenMP threads slow numba kernels started after it, and
peak memory is per process): the time is the median of several runs after a warm-up, and the
peak extra memory is the growth of the process's peak RSS (``ru_maxrss``) over one call,
relative to the size of the output. Every contender's result is checked against ioukit NumPy.

Workload B (sparse): every overlapping pair of 1M x 1M random 10–20 px boxes, in a 100k² scene
(~0.1 pair per box) and a 10k² scene (~9 pairs per box; shapely takes over 10 minutes there,
so it is compared on 200k x 200k boxes at that density): ``ioukit.sparse_box_iou`` against
shapely 2's ``STRtree.query(predicate="intersects")`` followed by the exact IoU of the candidate
pairs (areas of the intersections), both keeping the pairs with IoU > 0. Both start from the
same NumPy boxes, so shapely's time and memory include making its box geometries. Medians of 3
runs; a contender whose first run takes over 10 s is timed on that run alone.

Run: ``python benchmarks/boxes.py`` (``--quick`` for smaller sizes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import _timing

DENSE_SIZES = (1000, 5000, 10000)
FUNCS = ("box_iou", "generalized_box_iou")


def dense_boxes(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, size=(n, 2))
    wh = rng.uniform(5, 50, size=(n, 2))
    return np.concatenate([xy, xy + wh], axis=1).astype(np.float32)


def sparse_boxes(n: int, scene: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, scene, size=(n, 2))
    wh = rng.uniform(10, 20, size=(n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


def maxrss() -> int:
    """Peak resident set size of this process so far, in bytes (Linux reports KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def median_time(fn: Callable[[], Any], repeats: int) -> float:
    # the workers warm up themselves, on small inputs
    return _timing.median_time(fn, repeats, warmup=False)


# ----------------------------------------------------------------------------- workers


def dense_worker(contender: str, func: str, n: int, repeats: int) -> dict[str, Any]:
    b1, b2 = dense_boxes(n, 1), dense_boxes(n, 2)
    small1, small2 = b1[:8].copy(), b2[:8].copy()
    if contender == "ioukit-numpy":
        import ioukit.geometry.boxes as ib

        f = getattr(ib, func)
        x1, x2, s1, s2 = b1, b2, small1, small2
    else:
        import torch

        x1, x2 = torch.from_numpy(b1), torch.from_numpy(b2)
        s1, s2 = torch.from_numpy(small1), torch.from_numpy(small2)
        if contender == "ioukit-torch":
            import ioukit.geometry.boxes as ib

            f = getattr(ib, func)
        else:
            import torchvision.ops

            f = getattr(torchvision.ops, func)
    f(s1, s2)  # warm-up: compilation, caches, thread pools
    base = maxrss()
    out = f(x1, x2)
    extra = maxrss() - base
    result = np.asarray(out).astype(np.float64)
    nbytes = int(np.asarray(out).nbytes)
    del out
    # agreement with the float64 definition on a corner of the matrix
    import ioukit.geometry.boxes as ib

    ref = getattr(ib, func)(b1[:300].astype(np.float64), b2[:300].astype(np.float64))
    err = float(np.max(np.abs(result[:300, :300] - ref)))
    t = median_time(lambda: f(x1, x2), repeats)
    return {"time": t, "extra": extra, "out_bytes": nbytes, "max_err": err}


def sparse_worker(contender: str, n: int, scene: float, repeats: int) -> dict[str, Any]:
    b1, b2 = sparse_boxes(n, scene, 3), sparse_boxes(n, scene, 4)
    if contender == "ioukit-sparse":
        from ioukit.geometry.sparse_boxes import sparse_box_iou

        sparse_box_iou(b1[:100], b2[:100])  # warm-up: load the compiled kernels

        def run() -> Any:
            return sparse_box_iou(b1, b2)

    else:
        import shapely

        def run() -> Any:  # from the same NumPy boxes to the same pairs
            g1, g2 = shapely.box(*b1.T), shapely.box(*b2.T)
            tree = shapely.STRtree(g2)
            i, j = tree.query(g1, predicate="intersects")
            inter = shapely.area(shapely.intersection(g1[i], g2[j]))
            union = shapely.area(g1[i]) + shapely.area(g2[j]) - inter
            iou = inter / union
            keep = iou > 0
            return i[keep], j[keep], iou[keep]

    base = maxrss()
    t0 = time.perf_counter()
    out = run()
    first = time.perf_counter() - t0
    extra = maxrss() - base
    pairs = len(out[0])
    del out
    # a contender slower than 10 s is timed once (its first run, after the same warm-up)
    t = first if first > 10 else median_time(run, repeats)
    return {"time": t, "extra": extra, "pairs": pairs}


def in_subprocess(args: list[str]) -> dict[str, Any] | None:
    """Run one contender in a fresh interpreter; None when it cannot run (peer missing)."""
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--worker", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        print(f"<!-- {' '.join(args)} did not run: {last} -->", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def have(module: str) -> bool:
    proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
    return proc.returncode == 0


# ----------------------------------------------------------------------------- tables


def dense_table(sizes: tuple[int, ...], repeats: int) -> None:
    contenders = ["ioukit-numpy"]
    if have("torch"):
        contenders.append("ioukit-torch")
    if have("torchvision"):
        contenders.append("torchvision")
    print("### Dense pairwise IoU, float32 N × N (median time; peak extra RSS / output size)\n")
    print("| function | N | " + " | ".join(contenders) + " | speed-up vs torchvision |")
    print("|---|---|" + "---|" * len(contenders) + "---|")
    for func in FUNCS:
        for n in sizes:
            # more runs of the short ones: a busy machine delays single runs by a time slice
            reps = repeats * 4 if n <= 2000 else (repeats if n < 10000 else max(3, repeats - 2))
            cells, res = [], {}
            for c in contenders:
                # ioukit's runs are short, and the kernel's occasional first-touch page faults of
                # a fresh output (100-400 MB) make single runs spiky: take more of them
                n_runs = reps if c == "torchvision" else max(reps, 11)
                r = in_subprocess(["dense", c, func, str(n), str(n_runs)])
                res[c] = r
                if r is None:
                    cells.append("–")
                else:
                    mem = f"{r['extra'] / r['out_bytes']:.2f}×"
                    cells.append(f"{r['time'] * 1e3:.0f} ms ({mem})")
            tv, ours = res.get("torchvision"), res.get("ioukit-numpy")
            speed = f"{tv['time'] / ours['time']:.1f}×" if tv and ours else "–"
            if tv and res.get("ioukit-torch"):
                speed += f" (torch: {tv['time'] / res['ioukit-torch']['time']:.1f}×)"
            print(f"| {func} | {n} | " + " | ".join(cells) + f" | {speed} |")
            errs = [r["max_err"] for r in res.values() if r]
            if max(errs) > 1e-5:
                print(f"<!-- WARNING {func} {n}: max |diff| {max(errs):.2e} -->")
    print()


def sparse_table(cases: tuple[tuple[int, float, bool], ...], repeats: int) -> None:
    """``cases``: (boxes per set, scene side, whether to run shapely as well)."""
    print("### Sparse pairs with IoU > 0, N × N random boxes of 10–20 px (float64)\n")
    print("| N × N | scene | contender | median time | peak extra RSS | pairs | speed-up |")
    print("|---|---|---|---|---|---|---|")
    shapely_ok = have("shapely")
    for n, scene, with_shapely in cases:
        contenders = ["ioukit-sparse"] + (["shapely-strtree"] if shapely_ok else [])
        res: dict[str, dict[str, Any] | None] = {}
        for c in contenders:
            if c == "ioukit-sparse" or with_shapely:
                res[c] = in_subprocess(["sparse", c, str(n), str(scene), str(repeats)])
        ours = res["ioukit-sparse"]
        for c in contenders:
            r = res.get(c)
            head = f"| {n:,} | {scene:,.0f}² | {c} |"
            if r is None:
                why = "not run (over 10 min here)" if c not in res else "failed"
                print(f"{head} {why} | – | – | – |")
                continue
            speed = f"{r['time'] / ours['time']:.1f}×" if ours and c != "ioukit-sparse" else ""
            print(
                f"{head} {r['time']:.2f} s | {r['extra'] / 2**20:,.0f} MiB | {r['pairs']:,} "
                f"| {speed} |"
            )
        counts = {r["pairs"] for r in res.values() if r}
        if len(counts) > 1:
            print(f"<!-- WARNING: pair counts differ for {n:,} boxes in {scene:,.0f}² -->")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "dense":
            r = dense_worker(rest[0], rest[1], int(rest[2]), int(rest[3]))
        else:
            r = sparse_worker(rest[0], int(rest[1]), float(rest[2]), int(rest[3]))
        print(json.dumps(r))
        return
    import numba

    import ioukit

    print(
        f"ioukit {ioukit.__version__}, numpy {np.__version__}, numba {numba.__version__}, "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n"
    )
    if args.quick:
        dense_table((1000, 2000), 3)
        sparse_table(((100_000, 10_000.0, True),), 3)
    else:
        dense_table(DENSE_SIZES, 5)
        # ~0.1 pair per box; ~9 pairs per box (shapely takes over 10 minutes there, so it runs
        # on 200k boxes in a scene of the same density, ~30 s)
        sparse_table(
            ((1_000_000, 100_000.0, True), (1_000_000, 10_000.0, False), (200_000, 4472.0, True)),
            3,
        )


if __name__ == "__main__":
    main()
