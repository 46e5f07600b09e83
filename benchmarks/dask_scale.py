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


def _time_runs(runs: dict[str, Any], repeats: int) -> dict[str, tuple[float, Any]]:
    """Each run once to warm up (imports, numba's cache, the file system's cache), then
    ``repeats`` rounds in which they take turns: name -> (median seconds, last result)."""
    for run in runs.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    last: dict[str, Any] = {}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            last[name] = run()
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(times[name]), last[name]) for name in runs}


def _rate(secs: float, n: int) -> tuple[float, float]:
    return secs, n / secs


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

    pool = partial(evaluate_folder, pred, gt, **opts, workers=2)
    starts, results = {}, {}
    for workers in (1, 2):
        start = time.perf_counter()
        ex = DaskExecutor(f"local:{workers}")
        starts[workers] = time.perf_counter() - start
        with ex:
            on_cluster = partial(evaluate_folder, pred, gt, **opts, executor=ex)
            # the pool and the cluster take turns, so that a busy neighbour (this machine is
            # shared) slows both alike: their ratio is what the bar reads
            times = _time_runs({"pool": pool, "cluster": on_cluster}, args.repeats)
            local, got = results.setdefault("pool", times["pool"][1]), times["cluster"][1]
            assert got.to_dict() == local.to_dict(), "the cluster's numbers differ"
            name = f"Dask LocalCluster ({workers} worker processes)"
            secs = times["cluster"][0]
            if workers == 2:
                rows.append(("local ProcessPool (2 processes)", 2, *_rate(times["pool"][0], n)))
            rows.append((name, workers, *_rate(secs, n)))
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
    rows.sort(key=lambda r: r[0][0] != "l")  # the pool first: the ratios are to it

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
    client = client_cost()
    print(f"client bookkeeping per image (counts, row, CSV): {client * 1e6:.1f} us")
    r1 = rows[1][3]  # one single-threaded worker
    project(r1, statistics.median(sizes), back, out, client)


def client_cost(n: int = 20_000, batch: int = 64) -> float:
    """Seconds per image that the client spends recording what comes back: the per-image
    counts into the evaluator, the row, the CSV line (median of 3)."""
    from ioukit import SegmentationEvaluator
    from ioukit._folder import PerImageCsv

    rng = np.random.default_rng(0)
    counts = rng.integers(0, 1000, (batch, 4, C)).astype(np.int64)
    names = [f"frame_{i:05d}" for i in range(batch)]
    times = []
    for _ in range(3):
        ev = SegmentationEvaluator(C, ignore_index=255)
        with tempfile.TemporaryDirectory() as tmp:
            rows = PerImageCsv(Path(tmp) / "rows.csv", [str(c) for c in range(C)])
            start = time.perf_counter()
            for _ in range(n // batch):
                for row in ev._add_image_counts(counts, names):
                    rows.write(row)
            ev.result()
            times.append((time.perf_counter() - start) / (n // batch * batch))
            rows.close()
    return statistics.median(times)


#: Dask's documented costs: "each task suffers about 1ms of overhead" (distributed's docs);
#: LocalCluster start-up grows about linearly, 0.75 s for 1 worker to 3.96 s for 30
#: (dask/distributed#8205): about 0.11 s per worker
TASK_S, START_S, START_PER_WORKER_S = 1e-3, 0.64, 0.11
TASKS_PER_PARTITION = 4  # count, its two halves (counts to the client, matrix to the tree), add


def project(r1: float, pair_bytes: float, back: float, out: float, client: float) -> None:
    """The model of docs/scale.md: a million images on 16 and 128 single-threaded workers."""
    from ioukit._run import MAX_PARTITION_BYTES, TASKS_PER_WORKER

    n = 1_000_000
    print(
        f"\nprojection, {n:,} pairs of {pair_bytes / 1024:.0f} KiB, one worker = one core at "
        f"{r1:.1f} pairs/s (measured above)"
    )
    head = ("workers", "compute s", "sched s", "client s", "start s", "wall min", "bound")
    print(" ".join(f"{h:>10s}" for h in head))
    for w in (16, 128):
        total = n * pair_bytes
        part_bytes = min(MAX_PARTITION_BYTES, total / (TASKS_PER_WORKER * w))
        partitions = int(np.ceil(total / part_bytes))
        compute = n / (w * r1)
        sched = TASKS_PER_PARTITION * partitions * TASK_S
        on_client = n * client
        start = START_S + START_PER_WORKER_S * w
        tail = (n / partitions) / r1  # the last partition, on one worker
        parts = {"compute": compute, "scheduler": sched, "client": on_client}
        bound = max(parts, key=lambda k: parts[k])
        wall = start + max(parts.values()) + tail
        cells = (w, compute, sched, on_client, start, wall / 60)
        print(" ".join(f"{v:10.1f}" if isinstance(v, float) else f"{v:10d}" for v in cells),
              f"{bound:>10s}")  # fmt: skip
        print(
            f"{'':10s} {partitions:,} partitions of {n / partitions:,.0f} pairs; traffic: "
            f"storage -> workers {total / 1e9:.1f} GB, client -> workers {n * out / 1e6:.0f} MB, "
            f"workers -> client {n * back / 1e6:.0f} MB, tree {partitions * C * C * 8 / 1e6:.1f} MB"
        )
    # where the scheduler, not the data, becomes the limit: pairs per task below which the
    # scheduler's task rate binds, and workers beyond which the client's bookkeeping does
    for w in (16, 128):
        least = TASKS_PER_PARTITION * TASK_S * w * r1
        print(
            f"{w:4d} workers: the scheduler binds below {least:.0f} pairs per task (one task "
            f"per image would need {TASKS_PER_PARTITION * w * r1:,.0f} tasks/s)"
        )
    print(f"the client binds beyond {1 / (r1 * client):,.0f} workers")


if __name__ == "__main__":
    main()
