"""Panoptic quality: ioukit against panopticapi's algorithm, torchmetrics and PNG decoding alone.

Workload: ``--pairs`` (default 100) generated pairs of 1024×2048 COCO panoptic RGB PNGs with
realistic content (the wavy nearest-seed regions of ``cli_segmentation.py``): 40–90 regions per
image, 80 thing and 53 stuff categories (stuff regions of one category share one segment), 5% of
things crowd, VOID regions and a VOID strip at the bottom; predictions with borders moved by a
few pixels, 12% wrong categories, their own ids. Generated once into a cache folder (``--data``).

Measured in the same run (files in the page cache), as pairs per second, the median of
``--repeats`` interleaved runs:

* decode only: a process pool of ``--workers`` that decodes both PNGs of every pair, with Pillow
  (``np.asarray(Image.open(p))``), OpenCV (``cv2.imread``) and pyspng (libspng); every file is
  also checked to give exactly the same pixels from each (ioukit reads with pyspng, else
  OpenCV, when installed);
* ioukit: ``panoptic_quality(..., workers=N)`` end to end (JSON, pool start, decode, counting,
  matching, result), with N = ``--workers`` and N = 1;
* the reference: the transcription of panopticapi's ``pq_compute_single_core`` in
  ``tests/panoptic/panoptic_helpers.py`` (``np.unique`` over a uint64 array), single core, and on
  ``--workers`` processes over halves of the images (panopticapi's ``pq_compute`` layout; the
  final merge of stats is not timed); its numbers are checked equal to ioukit's;
* torchmetrics ``PanopticQuality`` on ``--torchmetrics-pairs`` pairs, inputs converted to its
  (category, instance) tensors beforehand (not timed).
* hotcoco's panoptic engine (Rust, ``hotcoco.panoptic.pq_compute``, all cores), when installed;
  its PQ/SQ/RQ are checked equal to ioukit's.

The bars: ioukit on 2 workers ≥ 2.5 × the single-core reference, and ≥ 0.8 × decode-only.

    python benchmarks/panoptic.py [--pairs 100] [--workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # geometry_helpers
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "panoptic"))

from panoptic_helpers import ids_to_rgb, reference_pq, rgb_to_ids

import ioukit
from cli_segmentation import _regions

H, W = 1024, 2048
THINGS, STUFF = 80, 53
CATEGORIES = [
    {"id": c + 1, "name": f"{'thing' if c < THINGS else 'stuff'}{c}", "isthing": int(c < THINGS)}
    for c in range(THINGS + STUFF)
]


def _segments(regions: np.ndarray, cats: np.ndarray, void: np.ndarray, rng: Any) -> Any:
    """Region labels → (id map, segments_info): one segment per thing region, one per stuff
    category; VOID regions get id 0."""
    ids_of = np.zeros(regions.max() + 1, dtype=np.int64)
    segs: dict[int, dict[str, Any]] = {}
    stuff_id: dict[int, int] = {}
    fresh = rng.choice(np.arange(1, 1 << 24), size=ids_of.size, replace=False)
    for r in range(ids_of.size):
        if void[r]:
            continue
        c = int(cats[r])
        if c > THINGS:
            ids_of[r] = stuff_id.setdefault(c, int(fresh[r]))
        else:
            ids_of[r] = int(fresh[r])
        segs.setdefault(int(ids_of[r]), {"id": int(ids_of[r]), "category_id": c, "iscrowd": 0})
        if c <= THINGS and rng.random() < 0.05:
            segs[int(ids_of[r])]["iscrowd"] = 1
    ids = ids_of[regions]
    ids[int(H * 0.9) :] = 0
    present, area = np.unique(ids, return_counts=True)
    pixels = dict(zip(present.tolist(), area.tolist(), strict=True))
    info = [dict(s, area=pixels[k]) for k, s in segs.items() if k in pixels]
    return ids, info


def _write_pair(args: tuple[int, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    i, root = args
    rng = np.random.default_rng(5000 + i)
    k = int(rng.integers(40, 90))
    seeds = {
        "y": rng.uniform(0, H // 2, k),
        "x": rng.uniform(0, W // 2, k),
        "label": np.arange(k),
        "phase": rng.uniform(0, 6.3, 4),
    }
    cats = rng.integers(1, THINGS + STUFF + 1, k)
    void = rng.random(k) < 0.08
    gt, gt_info = _segments(_regions(seeds, H, W), cats, void, rng)
    moved = dict(seeds, y=seeds["y"] + rng.normal(0, 3, k), x=seeds["x"] + rng.normal(0, 3, k))
    wrong = rng.random(k) < 0.12
    pred_cats = np.where(wrong, rng.integers(1, THINGS + STUFF + 1, k), cats)
    pred, pred_info = _segments(_regions(moved, H, W), pred_cats, np.zeros(k, bool), rng)
    for info in pred_info:
        info["iscrowd"] = 0
    name = f"frame_{i:04d}.png"
    Image.fromarray(ids_to_rgb(gt)).save(Path(root) / "gt" / name)
    Image.fromarray(ids_to_rgb(pred)).save(Path(root) / "pred" / name)
    return (
        {"image_id": i, "file_name": name, "segments_info": gt_info},
        {"image_id": i, "file_name": name, "segments_info": pred_info},
    )


def make_data(root: Path, pairs: int, workers: int) -> Path:
    folder = root / f"panoptic_{pairs}"
    if (folder / "pred.json").exists():
        return folder
    for sub in ("gt", "pred"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(workers) as ex:
        anns = list(ex.map(_write_pair, [(i, str(folder)) for i in range(pairs)]))
    (folder / "gt.json").write_text(
        json.dumps({"categories": CATEGORIES, "annotations": [a for a, _ in anns]})
    )
    (folder / "pred.json").write_text(json.dumps({"annotations": [b for _, b in anns]}))
    return folder


# -- measurements ------------------------------------------------------------------------------


def _decode_pil(paths: tuple[str, str]) -> int:
    return sum(np.asarray(Image.open(p)).shape[0] for p in paths)


def _decode_cv2(paths: tuple[str, str]) -> int:
    import cv2

    return sum(cv2.imread(p, cv2.IMREAD_UNCHANGED).shape[0] for p in paths)


def _decode_spng(paths: tuple[str, str]) -> int:
    import pyspng

    total = 0
    for p in paths:
        with open(p, "rb") as fh:
            total += pyspng.load(fh.read()).shape[0]
    return total


def _same_pixels(path: str) -> bool:
    import cv2

    return bool(np.array_equal(np.asarray(Image.open(path)), cv2.imread(path, -1)[..., ::-1]))


def _same_pixels_spng(path: str) -> bool:
    import pyspng

    with open(path, "rb") as fh:
        return bool(np.array_equal(np.asarray(Image.open(path)), pyspng.load(fh.read())))


def _pairs(folder: Path) -> list[tuple[str, str]]:
    return [(str(p), str(folder / "pred" / p.name)) for p in sorted((folder / "gt").glob("*.png"))]


def _timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def decode(folder: Path, workers: int, func: Any) -> Any:
    ctx = multiprocessing.get_context("fork")

    def run() -> None:
        with ProcessPoolExecutor(workers, mp_context=ctx) as ex:
            list(ex.map(func, _pairs(folder), chunksize=4))

    return run


def _reference_part(args: tuple[str, str, list[dict[str, Any]], str]) -> Any:
    folder, gt_text, anns, name = args
    part = Path(folder) / name
    doc = json.loads(gt_text)
    doc["annotations"] = anns
    part.write_text(json.dumps(doc))
    f = Path(folder)
    return reference_pq(part, f / "gt", f / "pred.json", f / "pred")


def reference_multi(folder: Path, workers: int) -> Any:
    gt_text = (folder / "gt.json").read_text()
    anns = json.loads(gt_text)["annotations"]
    parts = [
        (str(folder), gt_text, list(chunk), f"gt_part{i}.json")
        for i, chunk in enumerate(np.array_split(np.array(anns, dtype=object), workers))
    ]
    ctx = multiprocessing.get_context("fork")

    def run() -> None:
        with ProcessPoolExecutor(workers, mp_context=ctx) as ex:
            list(ex.map(_reference_part, parts))

    return run


def torchmetrics_time(folder: Path, n: int) -> float | None:
    try:
        import torch
        from torchmetrics.detection import PanopticQuality
    except ImportError:
        return None
    gt = json.loads((folder / "gt.json").read_text())
    pred = {a["image_id"]: a for a in json.loads((folder / "pred.json").read_text())["annotations"]}
    inputs = []
    for ann in gt["annotations"][:n]:
        pair = []
        for d, info in (("pred", pred[ann["image_id"]]), ("gt", ann)):
            ids = rgb_to_ids(np.asarray(Image.open(folder / d / info["file_name"]))).astype(
                np.int64
            )
            keys = np.array(sorted(s["id"] for s in info["segments_info"]) or [0])
            cat = {s["id"]: s["category_id"] for s in info["segments_info"]}  # sorted lookup
            lut_c = np.array([cat[k] for k in keys])
            pos = np.clip(np.searchsorted(keys, ids), 0, len(keys) - 1)
            known = (keys[pos] == ids) & (ids != 0)
            c = np.where(known, lut_c[pos], 0)  # 0: not a category → VOID for torchmetrics
            inst = np.where(known & (c <= THINGS), pos + 1, 0)
            pair.append(torch.from_numpy(np.stack([c, inst], -1))[None])
        inputs.append(pair)
    metric = PanopticQuality(
        things=set(range(1, THINGS + 1)),
        stuffs=set(range(THINGS + 1, THINGS + STUFF + 1)),
        allow_unknown_preds_category=True,
    )

    def run() -> None:
        for p, t in inputs:
            metric.update(p, t)
        metric.compute()

    return _timed(run) / n


def hotcoco_run(folder: Path, out: list[Any]) -> Any:
    """hotcoco's panoptic engine (Rust), when installed: ``pq_compute`` on the same files; its
    printed table is swallowed."""
    try:
        from hotcoco import panoptic as hp
    except ImportError:
        return None
    args = [str(folder / n) for n in ("gt.json", "pred.json", "gt", "pred")]

    def run() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            out.append(hp.pq_compute(*args))

    return run


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--torchmetrics-pairs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "ioukit-bench")
    args = parser.parse_args()
    n, p = args.workers, args.pairs
    t0 = time.perf_counter()
    folder = make_data(args.data, p, n)
    print(f"data: {folder} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    files = (folder / "gt.json", folder / "gt", folder / "pred.json", folder / "pred")
    ioukit.panoptic_quality(*files, workers=1)  # compile, page cache
    result: list[Any] = []
    ref: list[Any] = []
    funcs = {f"decode only, Pillow ({n} processes)": decode(folder, n, _decode_pil)}
    try:
        import cv2  # noqa: F401

        same = all(_same_pixels(path) for pair in _pairs(folder) for path in pair)
        funcs[f"decode only, OpenCV ({n} processes)"] = decode(folder, n, _decode_cv2)
    except ImportError:
        same = None
    try:
        import pyspng  # noqa: F401

        same_spng = all(_same_pixels_spng(path) for pair in _pairs(folder) for path in pair)
        funcs[f"decode only, pyspng ({n} processes)"] = decode(folder, n, _decode_spng)
    except ImportError:
        same_spng = None
    funcs[f"ioukit ({n} workers)"] = lambda: result.append(
        ioukit.panoptic_quality(*files, workers=n)
    )
    funcs["ioukit (1 worker)"] = lambda: ioukit.panoptic_quality(*files, workers=1)
    funcs["pq_compute_single_core (transcription)"] = lambda: ref.append(reference_pq(*files))
    funcs[f"pq_compute, {n} processes (transcription)"] = reference_multi(folder, n)
    hot: list[Any] = []
    hotcoco = hotcoco_run(folder, hot)
    if hotcoco is not None:
        funcs["hotcoco panoptic.pq_compute (Rust, all cores)"] = hotcoco
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(args.repeats):  # interleaved: a competitor for the cores hits every row
        for name, fn in funcs.items():
            times[name].append(_timed(fn))
    rows = [(name, statistics.median(t)) for name, t in times.items()]
    tm = torchmetrics_time(folder, args.torchmetrics_pairs)
    equal = all(
        result[0].scores[g][k] == ref[0][g][k]
        for g in ("All", "Things", "Stuff")
        for k in ("pq", "sq", "rq")
    )
    hot_equal = (
        None
        if not hot
        else all(
            result[0].scores[g][k] == hot[0][g][k]
            for g in ("All", "Things", "Stuff")
            for k in ("pq", "sq", "rq")
        )
    )
    size = sum(f.stat().st_size for f in folder.glob("*/*.png")) / (2 * p)
    print(
        f"\n{p} pairs of {W}x{H} RGB panoptic PNGs ({size / 1024:.0f} KiB mean), {len(CATEGORIES)} "
        f"categories; {n} workers on {os.cpu_count()} cores; Python {sys.version.split()[0]}, "
        f"numpy {np.__version__}, Pillow {Image.__version__}; median of {args.repeats} "
        "interleaved runs (torchmetrics: one). "
        f"OpenCV pixels identical to Pillow's: {same}; pyspng's: {same_spng}. "
        f"ioukit PQ/SQ/RQ == reference: {equal}; "
        f"== hotcoco: {hot_equal}.\n"
    )
    single = dict(rows)["pq_compute_single_core (transcription)"]
    decode_best = min(t for name, t in rows if name.startswith("decode"))
    print("| method | pairs/s | ms per pair | × single-core reference | × decode-only (fastest) |")
    print("|---|---|---|---|---|")
    for name, t in rows:
        print(
            f"| {name} | {p / t:.1f} | {1000 * t / p:.1f} | {single / t:.2f} | "
            f"{decode_best / t:.2f} |"
        )
    if tm is not None:
        print(
            f"| torchmetrics PanopticQuality ({args.torchmetrics_pairs} pairs, 1 process) | "
            f"{1 / tm:.2f} | {1000 * tm:.0f} | {single / p / tm:.3f} | {decode_best / p / tm:.3f} |"
        )


if __name__ == "__main__":
    main_bench()
