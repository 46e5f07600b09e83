"""The folder engine on one machine: the local process pool against a Dask ``LocalCluster`` of
1 and 2 workers, on generated Cityscapes-sized label maps; and the inputs of the scale model in
docs/scale.md: per-task scheduler overhead and the bytes that travel per image.

    python benchmarks/dask_scale.py                   # 2,000 pairs of 1024x2048 PNGs
    python benchmarks/dask_scale.py --pairs 200 --repeats 1   # a quick look

The label maps (19 classes and 255, blocky like real ones, PNG mode L) are written once to
``--data`` (default: a folder under the system's temporary folder) and reused. Each engine
evaluates the folder ``--repeats`` times after one warm-up run (the workers import ioukit and
load numba's cached kernels); the table gives the median wall time of a run, the throughput
and its ratio to the local pool, all measured in this one process. Cluster start-up is timed
apart: it is paid once per session, not per run. Every run's result is checked bit for bit
against the local pool's.

"Per image" bytes are serialized sizes (pickle protocol 5, what Dask sends) of what the engine
actually ships: the task (paths), the counts each image sends back, and the confusion matrices
summed in the tree (one per partition). The bar of issue 13: 2 workers reach >= 85% of the
local pool's throughput, and the per-image payload is <= 2*C^2*8 bytes.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

C = 19


def _label_map(seed: int, h: int, w: int) -> np.ndarray[Any, Any]:
    """A blocky label map: a coarse grid of classes, upsampled, with rectangles and void."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, C, (h // 64, w // 64)).astype(np.uint8)
    out = np.repeat(np.repeat(coarse, 64, axis=0), 64, axis=1)
    for _ in range(30):
        y, x = int(rng.integers(0, h - 40)), int(rng.integers(0, w - 40))
        out[y : y + int(rng.integers(8, 200)), x : x + int(rng.integers(8, 300))] = rng.integers(C)
    out[rng.random((h, w)) < 0.002] = 255
    return out


def _write_pair(args: tuple[Path, int, int, int]) -> None:
    from PIL import Image

    root, i, h, w = args
    target = _label_map(i, h, w)
    pred = target.copy()
    rng = np.random.default_rng(10_000 + i)
    for _ in range(40):  # the prediction misses some blocks
        y, x = int(rng.integers(0, h - 64)), int(rng.integers(0, w - 64))
        pred[y : y + 64, x : x + 96] = rng.integers(C)
    pred[pred == 255] = 0
    Image.fromarray(target).save(root / "gt" / f"frame_{i:05d}.png")
    Image.fromarray(pred).save(root / "pred" / f"frame_{i:05d}.png")


def make_data(root: Path, n: int, h: int, w: int) -> None:
    (root / "gt").mkdir(parents=True, exist_ok=True)
    (root / "pred").mkdir(parents=True, exist_ok=True)
    todo = [i for i in range(n) if not (root / "pred" / f"frame_{i:05d}.png").exists()]
    if todo:
        print(f"writing {len(todo)} pairs of {w}x{h} PNGs to {root} ...", flush=True)
        with ProcessPoolExecutor() as pool:
            list(pool.map(_write_pair, [(root, i, h, w) for i in todo], chunksize=8))


def _noop(x: int) -> int:
    return x


def _time_runs(run: Any, repeats: int) -> tuple[float, Any]:
    run()  # warm-up: imports, numba's cache, file system cache
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--height", type=int, default=1024)
    parser.add_argument("--width", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()

    from ioukit._dask import DaskExecutor
    from ioukit._folder import count_batch
    from ioukit._run import partition
    from ioukit.evaluate import evaluate_folder
    from ioukit.io import pair_file_sizes, pair_files

    root = args.data or Path(tempfile.gettempdir()) / f"ioukit-dask-{args.height}x{args.width}"
    make_data(root, args.pairs, args.height, args.width)
    pred, gt = root / "pred", root / "gt"
    names = sorted(os.listdir(gt))[: args.pairs]
    if len(names) < args.pairs:
        raise SystemExit(f"{root} holds {len(names)} pairs; remove it to write {args.pairs}.")
    sub = root / f"first_{args.pairs}"  # a folder of exactly --pairs pairs (links)
    if not sub.exists():
        for side in ("gt", "pred"):
            (sub / side).mkdir(parents=True)
            for name in names:
                (sub / side / name).symlink_to(root / side / name)
    pred, gt = sub / "pred", sub / "gt"
    opts: dict[str, Any] = {"num_classes": C, "ignore_index": 255}
    n = args.pairs
    rows: list[tuple[str, int, float, float]] = []

    local_s, local = _time_runs(lambda: evaluate_folder(pred, gt, **opts, workers=2), args.repeats)
    rows.append(("local ProcessPool", 2, local_s, n / local_s))
    starts = {}
    for workers in (1, 2):
        start = time.perf_counter()
        ex = DaskExecutor(f"local:{workers}")
        starts[workers] = time.perf_counter() - start
        with ex:
            secs, got = _time_runs(
                partial(evaluate_folder, pred, gt, **opts, executor=ex), args.repeats
            )
            assert got.to_dict() == local.to_dict(), "the cluster's numbers differ"
            rows.append(
                (f"Dask LocalCluster ({workers} worker processes)", workers, secs, n / secs)
            )
            if workers == 2:  # scheduler overhead: round trips of tasks that do nothing
                futures = ex.client.map(_noop, range(2000), pure=False)
                ex.client.gather(futures)
                start = time.perf_counter()
                futures = ex.client.map(_noop, range(2000, 4000), pure=False)
                ex.client.gather(futures)
                per_task = (time.perf_counter() - start) / 2000
                del futures
                pairs = pair_files(pred, gt).pairs
                sizes = pair_file_sizes(pairs)
                bounds = partition(n, ex, sizes)

    print(f"\n{n:,} pairs of {args.width}x{args.height} label maps, {C} classes; medians of "
          f"{args.repeats} runs after a warm-up; load {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"{'engine':44s} {'workers':>7s} {'run s':>8s} {'pairs/s':>8s} {'x pool':>7s}")
    print("-" * 78)
    for name, workers, secs, rate in rows:
        print(f"{name:44s} {workers:7d} {secs:8.2f} {rate:8.1f} {rate / rows[0][3]:7.2f}")
    print(
        f"\ncluster start-up (once per session): 1 worker {starts[1]:.2f} s, 2 workers "
        f"{starts[2]:.2f} s"
    )
    print(f"scheduler round trip per no-op task (2 workers): {per_task * 1e3:.2f} ms")

    # what travels, per image, measured on the first partition as the engine cuts it
    a, b = bounds[0]
    task = (0, [(str(p.pred), str(p.target)) for p in pairs[a:b]])
    config = {"num_classes": C, "ignore_index": (255,), "reduce_zero_label": False}
    index, outcomes, matrix = count_batch(config, task)
    back = len(pickle.dumps((index, outcomes), protocol=5)) / (b - a)
    out = len(pickle.dumps(task, protocol=5)) / (b - a)
    tree = len(pickle.dumps(matrix, protocol=5)) * len(bounds) / n
    print(
        f"partitions: {len(bounds)} of {statistics.median(b - a for a, b in bounds):.0f} pairs "
        f"(median; {statistics.median(sizes) / 1024:.0f} KiB of PNG per pair)"
    )
    print(f"per image, to the worker (the task's paths):        {out:8.0f} B")
    print(f"per image, back to the client (tp, fp, fn, tn):     {back:8.0f} B")
    print(f"per image, matrices in the tree (C^2*8 / partition): {tree:8.1f} B")
    print(f"bar: 2*C^2*8 = {2 * C * C * 8} B per image")


if __name__ == "__main__":
    main()
