"""Threaded kernels on an idle machine and beside one busy process, parallel against serial.

Users evaluate beside data loaders and training processes. A parallel region ends when its
slowest thread does, so a thread that shares its core with a busy process can make a threaded
kernel slower than its serial twin. Every threaded kernel family is timed here through the
public API in four conditions:

* idle, parallel: numba's default thread count (ioukit's thread policy decides);
* idle, serial: ``numba.set_num_threads(1)`` around the call;
* busy, parallel / busy, serial: the same, while a ``multiprocessing`` child spins a
  pure-Python loop on one core (started and stopped here, and it stops by itself after
  ``--busy-seconds`` at most).

The last column, ``busy par / ser``, must stay at or below about 1.05: the parallel kernels
never lose to their serial version when a core is busy. Each condition runs ``--rounds``
rounds of one block of calls of par then one of ser (``_timing.median_time``: the median of
the block); a time is the median of its rounds, and the ratio the median of the rounds'
par / ser ratios, so that par and ser are compared under the same background load.
``/proc/loadavg`` is printed before, during and after: on a shared machine, "idle" is only as
idle as the machine was.

Run: ``python benchmarks/contention.py [--quick] [--rounds 5] [--only rle]``
(about a minute; ``--quick``: smaller inputs, 3 rounds, well under a minute).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

import _timing
import ioukit
from ioukit import rle

Case = tuple[str, str, Callable[[], Any]]

#: Calls per median (one block of a round): about this much serial time, between --repeats
#: and MAX_CALLS calls.
TARGET_SECONDS = 0.03
MAX_CALLS = 60


def spin(stop: Any, seconds: float) -> None:
    """A CPU-bound pure-Python loop until ``stop`` is set or ``seconds`` have passed."""
    end = time.monotonic() + seconds
    x = 0
    while not stop.is_set() and time.monotonic() < end:
        for _ in range(20_000):
            x += 1


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return f.read().strip()
    except OSError:
        return "n/a"


# ----------------------------------------------------------------------------- workloads


def label_maps(rng: np.random.Generator, shape: tuple[int, ...], c: int) -> tuple[Any, Any]:
    """Blocky uint8 label maps (runs of 16 equal labels) with 10 % noise in pred."""
    runs = rng.integers(0, c, (*shape[:-1], shape[-1] // 16), dtype=np.uint8)
    target = np.repeat(runs, 16, axis=-1)
    pred = target.copy()
    noise = rng.random(shape) < 0.1
    pred[noise] = rng.integers(0, c, int(noise.sum()), dtype=np.uint8)
    return pred, target


def ellipses(rng: np.random.Generator, n: int, size: int, radius: tuple[int, int]) -> Any:
    """``(n, size, size)`` bool masks, one filled ellipse each around the image centre."""
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    ry = rng.integers(*radius, n).astype(np.float32)[:, None, None]
    rx = rng.integers(*radius, n).astype(np.float32)[:, None, None]
    cy = rng.normal(size / 2, size / 10, n).astype(np.float32)[:, None, None]
    cx = rng.normal(size / 2, size / 10, n).astype(np.float32)[:, None, None]
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1


def rotated(rng: np.random.Generator, n: int) -> tuple[Any, Any]:
    """Rotated boxes ``(cx, cy, w, h, angle)`` and a prediction near each: centres moved by
    ~2, sizes scaled by 0.8-1.2, angles turned by ~10°."""
    target = np.column_stack([rng.uniform(0, 1000, (n, 2)), rng.uniform(5, 50, (n, 3))])
    target[:, 4] = rng.uniform(-90, 90, n)
    scale = np.ones((n, 5))
    scale[:, 2:4] = rng.uniform(0.8, 1.2, (n, 2))
    shift = rng.normal(0, [2, 2, 0, 0, 10], (n, 5))
    return target, target * scale + shift


def convex(rng: np.random.Generator, n: int, k: int) -> Any:
    ang = np.sort(rng.uniform(0, 2 * np.pi, (n, k)), axis=1)
    r = rng.uniform(5, 25, (n, 1))
    return np.stack([r * np.cos(ang), rng.uniform(0.4, 1, (n, 1)) * r * np.sin(ang)], -1)


def xyxy(rng: np.random.Generator, n: int, scene: float, sides: tuple[float, float]) -> Any:
    xy = rng.uniform(0, scene, (n, 2))
    return np.hstack([xy, xy + rng.uniform(*sides, (n, 2))])


def cases(quick: bool) -> list[Case]:
    rng = np.random.default_rng(0)
    s = 2 if quick else 1  # --quick: about half the work
    out: list[Case] = []

    pred, target = label_maps(rng, (8 // s, 512, 1024), 19)
    out.append(
        (
            "multiclass_counts",
            f"{pred.size / 1e6:.1f}M px, 19 cl.",
            lambda: ioukit.multiclass_counts(pred, target, num_classes=19, ignore_index=255),
        )
    )
    bp, bt = pred & 1, target & 1
    out.append(
        (
            "binary_counts",
            f"{bp.size / 1e6:.1f}M px",
            lambda: ioukit.binary_counts(bp, bt),
        )
    )

    m1 = ellipses(rng, 64 // s, 256, (10, 100))
    m2 = ellipses(rng, 64 // s, 256, (10, 100))
    out.append(("mask_iou", f"{len(m1)}×{len(m2)} of 256²", lambda: ioukit.mask_iou(m1, m2)))

    # 100 × 100 RLEs: at least the 4096 pairs from which rle.iou runs threaded
    side = 512 // s
    masks = ellipses(rng, 100, side, (40 // s, 200 // s))
    out.append(("rle.encode", f"100 of {side}²", lambda: rle.encode(masks)))
    dt = rle.encode(ellipses(rng, 100, side, (40 // s, 200 // s)))
    gt = rle.encode(masks)
    out.append(("rle.iou", f"100×100 of {side}²", lambda: rle.iou(dt, gt)))

    n_pairs = 10_000
    r1, r2 = rotated(rng, n_pairs)
    out.append(
        (
            "rotated_box_iou_aligned",
            f"{n_pairs // 1000}k pairs",
            lambda: ioukit.rotated_box_iou_aligned(r1, r2),
        )
    )
    p1, p2 = convex(rng, n_pairs, 6), convex(rng, n_pairs, 8)
    out.append(
        (
            "polygon_iou_aligned",
            f"{n_pairs // 1000}k pairs, 6 vs 8",
            lambda: ioukit.polygon_iou_aligned(p1, p2),
        )
    )

    a, b = xyxy(rng, 2000 // s, 1000, (5, 50)), xyxy(rng, 2000 // s, 1000, (5, 50))
    out.append(("box_iou", f"{len(a)}×{len(b)}", lambda: ioukit.box_iou(a, b)))
    many = xyxy(rng, 200_000 // s, 20_000, (10, 20))
    out.append(
        ("sparse_box_iou", f"{len(many) // 1000}k self", lambda: ioukit.sparse_box_iou(many)),
    )

    scores = rng.random(2_000_000 // s)
    labels = (rng.random(scores.size) < scores).astype(np.uint8)
    out.append(
        (
            "threshold_sweep",
            f"{scores.size / 1e6:.0f}M scores",
            lambda: ioukit.threshold_sweep(target=labels, scores=scores),
        )
    )

    from ioukit.sklearn import jaccard_score

    yt = rng.integers(0, 2, (400_000 // s, 20))
    yp = np.where(rng.random(yt.shape) < 0.8, yt, 1 - yt)
    out.append(
        (
            "sklearn jaccard_score",
            f"{len(yt) // 1000}k×20 multilabel, samples",
            lambda: jaccard_score(yt, yp, average="samples"),
        )
    )
    return out


# ----------------------------------------------------------------------------- timing


def serial(fn: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        previous = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            return fn()
        finally:
            numba.set_num_threads(previous)

    return run


def calls(fn: Callable[[], Any], least: int) -> int:
    """Calls per median: about ``TARGET_SECONDS`` of ``fn`` on one thread, at least ``least``.
    Fixed per kernel, so that a slow condition (a parallel call stuck behind a busy core) takes
    longer but does not also run more calls."""
    t = min(_time_once(serial(fn)) for _ in range(3))
    return max(least, min(MAX_CALLS, math.ceil(TARGET_SECONDS / max(t, 1e-6))))


def _time_once(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(
    par: Callable[[], Any], ser: Callable[[], Any], repeats: int, rounds: int
) -> tuple[float, float, float]:
    """``(par ms, ser ms, par / ser)``: the median over ``rounds`` rounds of each function's
    median time (one block of ``repeats`` calls per round, par then ser), and the median of
    the rounds' par / ser ratios (each round's pair measured under the same background load)."""
    times: dict[str, list[float]] = {"par": [], "ser": []}
    for _ in range(rounds):
        for name, fn in (("par", par), ("ser", ser)):
            fn()  # untimed: wakes the thread pool, or lets it go back to sleep
            times[name].append(_timing.median_time(fn, repeats, warmup=False) * 1e3)
    ratios = [p / s for p, s in zip(times["par"], times["ser"], strict=True)]
    return (
        statistics.median(times["par"]),
        statistics.median(times["ser"]),
        statistics.median(ratios),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, 3 rounds")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per condition (5)")
    parser.add_argument("--repeats", type=int, default=3, help="calls per median (at least)")
    parser.add_argument("--only", default="", help="run the kernels whose name holds this")
    parser.add_argument("--busy-seconds", type=float, default=90.0, help="busy child's limit")
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 5)

    start = time.perf_counter()
    print(f"load before: {loadavg()}")
    todo = [c for c in cases(args.quick) if args.only in c[0]]
    par = {name: fn for name, _, fn in todo}
    ser = {name: serial(fn) for name, fn in par.items()}
    for fn in par.values():  # compile everything before any timing
        fn()
        serial(fn)()
    n_calls = {name: calls(fn, args.repeats) for name, fn in par.items()}

    def phase() -> dict[str, tuple[float, float, float]]:
        return {name: measure(par[name], ser[name], n_calls[name], rounds) for name in par}

    idle = phase()
    # fork: the child only spins, so it starts at once (spawn re-imports this script first)
    ctx = mp.get_context("fork" if hasattr(os, "fork") else "spawn")
    stop = ctx.Event()
    child = ctx.Process(target=spin, args=(stop, args.busy_seconds), daemon=True)
    child.start()
    try:
        time.sleep(0.2)
        load_busy = loadavg()
        busy = phase()
    finally:
        stop.set()
        child.join(5)
        if child.is_alive():
            child.terminate()
    print(f"load while busy (after warm-up): {load_busy}")
    print(f"load after: {loadavg()}")

    layer = numba.threading_layer()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"\n{cores} cores, numba {numba.__version__} ({layer}, {numba.get_num_threads()} "
        f"threads); median of {rounds} rounds, each the median of "
        f"{min(n_calls.values())}–"
        f"{max(n_calls.values())} calls; "
        f"{time.perf_counter() - start:.0f} s in all\n"
    )
    print(
        "| kernel | work | idle par (ms) | idle ser (ms) | busy par (ms) | busy ser (ms) "
        "| busy par / ser |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, work, _ in todo:
        ip, iser, _ = idle[name]
        bp, bs, ratio = busy[name]
        print(f"| {name} | {work} | {ip:.2f} | {iser:.2f} | {bp:.2f} | {bs:.2f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
