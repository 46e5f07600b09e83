"""Throughput of `ioukit segment` against decoding the same PNGs with Pillow on the same cores.

Workload: 200 pairs of 1024×2048 label maps (Cityscapes-sized), 19 classes plus 255 (void),
uint8 PNGs with realistic content: a few dozen polygonal regions with wavy boundaries (PNG sizes
like real label maps), predictions that disagree with the targets along the boundaries and on a
few whole regions. Generated once into a cache folder (``--data``; default under the temp dir).

Measured, each the median of ``--repeats`` runs (interleaved) after one warm-up run (files in the
page cache):

* decode (np.asarray): a process pool of N workers (started with the same method as the CLI's)
  that decodes every PNG of every pair to a NumPy array with ``np.asarray(Image.open(p))``, one
  task per pair, pool start-up included;
* decode (Pillow load): the same, but only ``Image.open(p).load()``: Pillow's decoding without
  the conversion to an array (a stricter baseline: no ioukit work at all fits in it);
* CLI: ``ioukit.cli.main(["segment", ..., "--quiet", "--workers", N])`` in this process:
  pairing, reading, counting, the evaluator, the summary. N = ``os.cpu_count()``.

The bar: CLI pairs/s ≥ 0.90 × decode pairs/s (np.asarray baseline).

    python benchmarks/cli_segmentation.py [--pairs 200] [--mode P L] [--repeats 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ioukit._pool import _start_method
from ioukit.cli import main

H, W, CLASSES, VOID = 1024, 2048, 19, 255


# -- data --------------------------------------------------------------------------------------


def _regions(seeds: dict[str, Any], h: int, w: int) -> np.ndarray[Any, Any]:
    """Nearest-seed regions on a warped half-resolution grid, upsampled ×2: polygon-like areas
    with wavy borders, like the objects and stuff of a street scene."""
    hs, ws = h // 2, w // 2
    yy, xx = np.mgrid[0:hs, 0:ws].astype(np.float32)
    ph = seeds["phase"]
    yy += 6 * np.sin(xx / 37.0 + ph[0]) + 3 * np.sin(xx / 9.0 + ph[1])
    xx += 6 * np.sin(yy / 23.0 + ph[2]) + 3 * np.sin(yy / 7.0 + ph[3])
    best = np.full((hs, ws), np.inf, dtype=np.float32)
    out = np.zeros((hs, ws), dtype=np.uint8)
    for y, x, label in zip(seeds["y"], seeds["x"], seeds["label"], strict=True):
        d = (yy - y) ** 2 + (xx - x) ** 2
        closer = d < best
        best[closer] = d[closer]
        out[closer] = label
    return np.repeat(np.repeat(out, 2, axis=0), 2, axis=1)


def _pair(i: int, h: int, w: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    rng = np.random.default_rng(1000 + i)
    k = int(rng.integers(40, 90))
    seeds = {
        "y": rng.uniform(0, h // 2, k),
        "x": rng.uniform(0, w // 2, k),
        "label": rng.integers(0, CLASSES, k),
        "phase": rng.uniform(0, 6.3, 4),
    }
    target = _regions(seeds, h, w)
    # void: the ego-vehicle strip at the bottom (as in Cityscapes)
    target[int(h * 0.9) :] = VOID
    # a model's output: borders moved by a few pixels, some regions given the wrong class
    wrong = rng.random(k) < 0.12
    moved = {
        "y": seeds["y"] + rng.normal(0, 3, k),
        "x": seeds["x"] + rng.normal(0, 3, k),
        "label": np.where(wrong, rng.integers(0, CLASSES, k), seeds["label"]),
        "phase": seeds["phase"] + rng.normal(0, 0.03, 4),
    }
    pred = _regions(moved, h, w)
    return pred, target


def _write_pair(args: tuple[int, str, int, int, str]) -> None:
    i, root, h, w, mode = args
    pred, target = _pair(i, h, w)
    palette = [v for c in range(256) for v in ((c * 53) % 256, (c * 97) % 256, (c * 151) % 256)]
    for sub, arr in (("pred", pred), ("target", target)):
        im = Image.fromarray(arr)
        if mode == "P":
            im.putpalette(palette)
        im.save(Path(root) / sub / f"frame_{i:04d}.png")


def make_data(root: Path, pairs: int, h: int, w: int, mode: str, workers: int) -> Path:
    folder = root / f"{pairs}x{h}x{w}-{mode}"
    done = folder / "DONE"
    if done.exists():
        return folder
    for sub in ("pred", "target"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as ex:
        list(ex.map(_write_pair, [(i, str(folder), h, w, mode) for i in range(pairs)]))
    done.write_text("ok\n")
    print(f"generated {pairs} {mode} pairs in {time.perf_counter() - start:.1f} s: {folder}")
    return folder


# -- measurements --------------------------------------------------------------------------------


def _decode_pair(paths: tuple[str, str]) -> int:
    return sum(np.asarray(Image.open(p)).shape[0] for p in paths)


def _load_pair(paths: tuple[str, str]) -> int:
    total = 0
    for p in paths:
        with Image.open(p) as im:
            im.load()
            total += im.size[1]
    return total


def decode(folder: Path, workers: int, func: Any) -> float:
    pairs = [
        (str(p), str(folder / "target" / p.name)) for p in sorted((folder / "pred").glob("*.png"))
    ]
    start = time.perf_counter()
    ctx = multiprocessing.get_context(_start_method())
    with ProcessPoolExecutor(workers, mp_context=ctx) as ex:
        list(ex.map(func, pairs))
    return time.perf_counter() - start


def cli(folder: Path, workers: int) -> float:
    argv = ["segment", str(folder / "pred"), str(folder / "target"), "--num-classes", "19"]
    argv += ["--ignore-index", "255", "--quiet", "--workers", str(workers)]
    start = time.perf_counter()
    rc = main(argv)
    elapsed = time.perf_counter() - start
    if rc != 0:
        raise SystemExit(f"ioukit segment failed with exit code {rc}")
    return elapsed


def measure(funcs: dict[str, Any], repeats: int) -> dict[str, float]:
    """Median seconds of each function; the runs are interleaved (a, b, c, a, b, c, ...) so
    that a change of machine load hits every measurement alike. One warm-up run each first:
    page cache, numba's compiled kernels."""
    for func in funcs.values():
        func()
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, func in funcs.items():
            times[name].append(func())
    return {name: statistics.median(t) for name, t in times.items()}


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--height", type=int, default=H)
    parser.add_argument("--width", type=int, default=W)
    parser.add_argument("--mode", nargs="+", default=["P", "L"], choices=["P", "L"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--data", type=Path, default=Path(tempfile.gettempdir()) / "ioukit-bench-cli"
    )
    args = parser.parse_args()
    n = args.workers
    rows = []
    for mode in args.mode:
        folder = make_data(args.data, args.pairs, args.height, args.width, mode, n)
        size = sum(f.stat().st_size for f in folder.glob("*/*.png")) / (2 * args.pairs)
        t = measure(
            {
                "asarray": lambda f=folder: decode(f, n, _decode_pair),
                "load": lambda f=folder: decode(f, n, _load_pair),
                "cli": lambda f=folder: cli(f, n),
            },
            args.repeats,
        )
        rows.append((mode, size, t["asarray"], t["load"], t["cli"]))
    p = args.pairs
    print(
        f"\n{p} pairs of {args.width}x{args.height} uint8 PNGs, 19 classes + 255; {n} workers on "
        f"{os.cpu_count()} cores; Python {sys.version.split()[0]}, Pillow {Image.__version__}; "
        f"median of {args.repeats}\n"
    )
    print(
        "| images | PNG mode (mean size) | decode-only pairs/s (np.asarray) | decode-only pairs/s "
        "(Pillow load) | CLI pairs/s | ratio vs np.asarray (bar ≥ 0.90) | ratio vs load |"
    )
    print("|---|---|---|---|---|---|---|")
    for mode, size, t_a, t_l, t_c in rows:
        print(
            f"| {2 * p} | {mode} ({size / 1024:.0f} KiB) | {p / t_a:.1f} | {p / t_l:.1f} | "
            f"{p / t_c:.1f} | {t_a / t_c:.2f} | {t_l / t_c:.2f} |"
        )


if __name__ == "__main__":
    main_bench()
