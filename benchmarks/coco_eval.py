"""COCO evaluation from files to the 12 stats: ioukit.coco_evaluate against its peers.

The data set is synthetic and seeded, shaped like val2017: ``--images`` images (5000, as
val2017; ``--quick``: 500) of COCO's usual sizes, 80 categories with
skewed frequencies, ≈ 7.3 ground truths per image whose sizes span small, medium and large
(≈ 43 / 30 / 27 %; val2017: 41 / 34 / 24), ≈ 1 % of them crowd. Every ground truth is a
random convex polygon (its box is the polygon's bounding box, its area the polygon's), a
crowd one an uncompressed RLE of a filled ellipse. The results hold 100 detections per
image: 1-5 jittered copies of each ground truth (10 % of them with a wrong category), the rest
background boxes (half of them with a category of the image's ground truth, half with one of
4 categories drawn per image, so that an image's detections fall in a few categories, as a
detector's do); a copy's score rises with its IoU with the ground truth, a background box
scores low. Scores are rounded to 5 decimals (so ties occur, as in real result files), boxes
to 2. Under ``segm`` the results are compressed RLEs only (no ``bbox``): the jittered
ground-truth polygon (or an ellipse for a background box) rasterised by
``ioukit.rle.from_polygons``.

Each engine runs in a fresh subprocess, ``--repeats`` times in a row (``--slow-repeats``, 1
by default, for pycocotools), and the medians are printed. Its peak resident memory is its own
(interpreter, imports, parsed files and evaluation together): ``VmHWM`` from
``/proc/self/status``, since Linux's ``ru_maxrss`` of an exec'd child starts at the parent's
peak.

* **ioukit**: load = its file readers on both files (``load_gt`` and ``load_results``, what
  ``coco_evaluate(path, path)`` runs first), timed alone; eval = the time of the whole
  ``coco_evaluate(gt_path, dt_path, iou_type=...)`` minus that. One untimed call on a tiny set
  first (numba's on-disk cache, thread pool).
* **pycocotools**: load = ``COCO(gt)`` + ``loadRes(dt)``, eval = ``COCOeval`` ``evaluate``,
  ``accumulate``, ``summarize``.
* **faster-coco-eval** (``COCO``, ``loadRes``, ``COCOeval_faster``) and **hotcoco** (``COCO``,
  ``loadRes``, ``COCOeval``): the same phases, when installed (``pip install --group bench``).

Every engine's 12 stats are compared with ioukit's (max absolute difference), and so is its
``precision`` array (T, R, K, A, M) where the engine exposes one.

Run: ``python benchmarks/coco_eval.py [--iou-type bbox|segm] [--images N] [--repeats 3]
[--quick] [--skip ENGINE]`` (``--images 50000 --skip pycocotools`` shows how time and memory
grow).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

N_CATS = 80
GT_PER_IMAGE = 7.3
DT_PER_IMAGE = 100
CROWD_FRACTION = 0.01
SIZES = ((640, 480), (640, 427), (480, 640), (640, 640), (500, 375), (427, 640))
ENGINES = ("ioukit", "pycocotools", "faster-coco-eval", "hotcoco")
MODULES = {
    "ioukit": "ioukit",
    "pycocotools": "pycocotools",
    "faster-coco-eval": "faster_coco_eval",
    "hotcoco": "hotcoco",
}
#: Engines slow enough that ``--slow-repeats`` (default 1) applies instead of ``--repeats``.
SLOW = ("pycocotools",)


# ---------------------------------------------------------------------------- data set


def _ellipse_polygons(
    rng: np.random.Generator, boxes: np.ndarray, lo: int = 5, hi: int = 13
) -> list[np.ndarray]:
    """One convex polygon per ``[x, y, w, h]`` box: ``lo``..``hi - 1`` vertices at sorted random
    angles on the ellipse inscribed in the box."""
    n = len(boxes)
    k = rng.integers(lo, hi, n)
    angles = rng.uniform(0, 2 * np.pi, (n, hi - 1))
    angles[np.arange(hi - 1)[None, :] >= k[:, None]] = np.inf
    angles.sort(axis=1)
    cx = boxes[:, 0] + boxes[:, 2] / 2
    cy = boxes[:, 1] + boxes[:, 3] / 2
    with np.errstate(invalid="ignore"):
        xs = cx[:, None] + boxes[:, 2:3] / 2 * np.cos(angles)
        ys = cy[:, None] + boxes[:, 3:4] / 2 * np.sin(angles)
    return [np.stack([xs[i, : k[i]], ys[i, : k[i]]], axis=1) for i in range(n)]


def _shoelace(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _uncompressed_rle(mask: np.ndarray) -> list[int]:
    """COCO's uncompressed RLE counts of a 2-D bool mask (column-major, zeros first)."""
    flat = mask.ravel(order="F")
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    counts = np.diff(np.concatenate([[0], change, [flat.size]])).tolist()
    return [0, *counts] if flat[0] else counts


def _crowd_mask(box: np.ndarray, h: int, w: int) -> np.ndarray:
    x, y, bw, bh = box
    yy, xx = np.mgrid[:h, :w]
    inside = ((xx + 0.5 - x - bw / 2) / (bw / 2)) ** 2 + ((yy + 0.5 - y - bh / 2) / (bh / 2)) ** 2
    return inside <= 1


def _random_boxes(rng: np.random.Generator, n: int, wh: np.ndarray, lo: float, hi: float):
    """``n`` boxes ``[x, y, w, h]`` inside images of sizes ``wh`` (n, 2), sqrt-area log-uniform
    in [lo, hi], aspect ratio log-normal."""
    side = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    ratio = np.exp(rng.normal(0, 0.5, n))
    bw = np.clip(side * np.sqrt(ratio), 2, wh[:, 0] - 1)
    bh = np.clip(side / np.sqrt(ratio), 2, wh[:, 1] - 1)
    x = rng.uniform(0, wh[:, 0] - bw)
    y = rng.uniform(0, wh[:, 1] - bh)
    return np.stack([x, y, bw, bh], axis=1)


def _box_iou_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of row ``i`` of ``a`` with row ``i`` of ``b`` (both ``[x, y, w, h]``)."""
    ix = np.clip(
        np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None
    )
    iy = np.clip(
        np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None
    )
    inter = ix * iy
    return inter / (a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter)


def make_dataset(n_images: int, segm: bool, seed: int = 0) -> tuple[dict[str, Any], list[Any]]:
    """The ground-truth dict and the results list (see the module docstring)."""
    rng = np.random.default_rng(seed)
    cat_ids = np.sort(rng.choice(np.arange(1, 91), N_CATS, replace=False))
    cat_p = 1.0 / np.arange(1, N_CATS + 1) ** 0.9
    cat_p /= cat_p.sum()
    img_wh = np.array(SIZES)[rng.integers(0, len(SIZES), n_images)]
    images = [
        {"id": i + 1, "file_name": f"{i + 1:012d}.jpg", "width": int(w), "height": int(h)}
        for i, (w, h) in enumerate(img_wh)
    ]
    categories = [{"id": int(c), "name": f"class_{c}", "supercategory": "x"} for c in cat_ids]

    # ---- ground truth
    per_img = rng.poisson(GT_PER_IMAGE, n_images)
    g_img = np.repeat(np.arange(n_images), per_img)
    n_gt = len(g_img)
    g_wh = img_wh[g_img]
    g_box = _random_boxes(rng, n_gt, g_wh, 8, 380)
    # an image shows objects of 1-4 categories (≈ 2.6 distinct on average; val2017: 2.9)
    img_cats = cat_ids[rng.choice(N_CATS, (n_images, 4), p=cat_p)]
    n_img_cats = np.clip(1 + rng.poisson(2.5, n_images), 1, 4)
    g_cat = img_cats[g_img, (rng.random(n_gt) * n_img_cats[g_img]).astype(np.int64)]
    g_crowd = rng.random(n_gt) < CROWD_FRACTION
    polys = _ellipse_polygons(rng, g_box)
    annotations = []
    for j in range(n_gt):
        w, h = (int(v) for v in g_wh[j])
        ann: dict[str, Any] = {"id": j + 1, "image_id": int(g_img[j]) + 1}
        ann["category_id"] = int(g_cat[j])
        if g_crowd[j]:
            mask = _crowd_mask(g_box[j], h, w)
            rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
            box = [float(cols[0]), float(rows[0]), float(cols[-1] - cols[0] + 1)]
            box.append(float(rows[-1] - rows[0] + 1))
            ann["segmentation"] = {"size": [h, w], "counts": _uncompressed_rle(mask)}
            area = float(mask.sum())
        else:
            p = polys[j]
            lo, hi = p.min(axis=0), p.max(axis=0)
            box = [*lo.tolist(), *(hi - lo).tolist()]
            ann["segmentation"] = [np.round(p, 2).ravel().tolist()]
            area = _shoelace(p)
        g_box[j] = box
        ann["bbox"] = [round(v, 2) for v in box]
        ann["area"] = round(area, 2)
        ann["iscrowd"] = int(g_crowd[j])
        annotations.append(ann)
    gt = {"info": {"description": "synthetic val2017-like"}, "images": images}
    gt.update(annotations=annotations, categories=categories)

    # ---- detections: jittered copies of the ground truth, then background up to 100 per image
    copies = rng.integers(1, 6, n_gt)
    src = np.repeat(np.arange(n_gt), copies)
    sigma = rng.uniform(0.02, 0.35, len(src))[:, None]
    base = g_box[src]
    wh2 = np.repeat(base[:, 2:], 2, axis=1)
    d_box = base + rng.normal(0, 1, (len(src), 4)) * sigma * wh2
    d_box[:, 2:] = np.maximum(d_box[:, 2:], 1.0)
    iou = _box_iou_rows(d_box, base)
    d_cat = g_cat[src].copy()
    wrong = rng.random(len(src)) < 0.1
    # a detector confuses an image's objects with a few classes: each image has a pool of 4
    pool = cat_ids[rng.choice(N_CATS, (n_images, 4), p=cat_p)]
    d_cat[wrong] = pool[g_img[src][wrong], rng.integers(0, 4, int(wrong.sum()))]
    d_score = 1 / (1 + np.exp(-(8 * (iou - 0.55) + rng.normal(0, 1, len(src)))))
    d_img = g_img[src]
    # keep at most DT_PER_IMAGE copies per image (the highest scores), pad with background
    order = np.lexsort((-d_score, d_img))
    d_img, d_box, d_cat, d_score, src = (a[order] for a in (d_img, d_box, d_cat, d_score, src))
    first = np.searchsorted(d_img, d_img)
    keep = np.arange(len(d_img)) - first < DT_PER_IMAGE
    d_img, d_box, d_cat, d_score, src = (a[keep] for a in (d_img, d_box, d_cat, d_score, src))
    n_bg_img = DT_PER_IMAGE - np.bincount(d_img, minlength=n_images)
    b_img = np.repeat(np.arange(n_images), n_bg_img)
    b_box = _random_boxes(rng, len(b_img), img_wh[b_img], 4, 300)
    # half of the background boxes take a category of the image's ground truth, half the pool's
    b_cat = pool[b_img, rng.integers(0, 4, len(b_img))]
    start = np.cumsum(per_img) - per_img
    own = (rng.random(len(b_img)) < 0.5) & (per_img[b_img] > 0)
    pick = start[b_img] + (rng.random(len(b_img)) * per_img[b_img]).astype(np.int64)
    b_cat[own] = g_cat[pick[own]]
    b_score = rng.beta(1, 6, len(b_img))
    all_img = np.concatenate([d_img, b_img])
    all_box = np.round(np.concatenate([d_box, b_box]), 2)
    all_cat = np.concatenate([d_cat, b_cat])
    all_score = np.round(np.concatenate([d_score, b_score]), 5)
    all_src = np.concatenate([src, np.full(len(b_img), -1)])
    order = np.argsort(all_img, kind="stable")
    results: list[Any] = []
    if segm:
        from ioukit import rle

        bg_polys = iter(_ellipse_polygons(rng, b_box, 8, 17))
        shapes: list[np.ndarray] = []
        for s, box in zip(all_src, np.concatenate([d_box, b_box]), strict=True):
            if s < 0:
                shapes.append(next(bg_polys))
                continue
            g, p = g_box[s], polys[s]
            scale = box[2:] / np.maximum(g[2:], 1e-6)
            shapes.append(box[:2] + (p - g[:2]) * scale)
    for i in order:
        w, h = (int(v) for v in img_wh[all_img[i]])
        item: dict[str, Any] = {"image_id": int(all_img[i]) + 1, "category_id": int(all_cat[i])}
        if segm:
            item["segmentation"] = rle.from_polygons([shapes[i].ravel()], h, w)
        else:
            item["bbox"] = all_box[i].tolist()
        item["score"] = float(all_score[i])
        results.append(item)
    return gt, results


# ---------------------------------------------------------------------------- engines


def _run_engine(engine: str, gt_path: str, dt_path: str, iou_type: str):
    """One evaluation: (load seconds, eval seconds, stats, precision or None)."""
    if engine == "ioukit":
        import ioukit
        from ioukit.detection._coco_load import load_gt, load_results

        # load: the file readers alone (what coco_evaluate runs first); end to end: the whole
        # coco_evaluate(path, path), so eval = end to end - load
        t0 = time.perf_counter()
        g = load_gt(gt_path, need_boxes=iou_type != "segm")
        load_results(dt_path, g, need_masks=iou_type == "segm", lazy_area=iou_type == "segm")
        load = time.perf_counter() - t0
        del g
        t0 = time.perf_counter()
        r = ioukit.coco_evaluate(gt_path, dt_path, iou_type=iou_type)
        total = time.perf_counter() - t0
        return load, total - load, np.asarray(r.stats), np.asarray(r.precision)
    if engine == "pycocotools":
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval as Eval
    elif engine == "faster-coco-eval":
        from faster_coco_eval import COCO
        from faster_coco_eval import COCOeval_faster as Eval
    else:
        from hotcoco import COCO
        from hotcoco import COCOeval as Eval
    t0 = time.perf_counter()
    cg = COCO(gt_path)
    cd = cg.loadRes(dt_path)
    t1 = time.perf_counter()
    e = Eval(cg, cd, iou_type)
    e.evaluate()
    e.accumulate()
    e.summarize()
    t2 = time.perf_counter()
    ev = getattr(e, "eval", None)
    prec = ev.get("precision") if isinstance(ev, dict) else None
    return t1 - t0, t2 - t1, np.asarray(e.stats, dtype=float), prec


def _peak_kib() -> int:
    """This process's peak resident memory in KiB: ``VmHWM``, which starts afresh at ``exec``
    (Linux's ``ru_maxrss`` keeps the forking parent's high-water mark), else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def worker(args: argparse.Namespace) -> None:
    """Subprocess entry: run one engine ``--repeats`` times, write times/stats/peak to ``--out``."""
    warm = 0.0
    if args.worker == "ioukit":
        import ioukit

        gt, dt = make_dataset(2, args.iou_type == "segm", seed=1)
        with tempfile.TemporaryDirectory() as tmp:  # files, so the file readers warm up too
            paths = (os.path.join(tmp, "gt.json"), os.path.join(tmp, "dt.json"))
            for path, data in zip(paths, (gt, dt), strict=True):
                Path(path).write_text(json.dumps(data))
            t0 = time.perf_counter()
            ioukit.coco_evaluate(*paths, iou_type=args.iou_type)
            warm = time.perf_counter() - t0
    loads, evals = [], []
    stats = prec = None
    for _ in range(args.repeats):
        load, ev, stats, prec = _run_engine(args.worker, args.gt, args.dt, args.iou_type)
        loads.append(load)
        evals.append(ev)
    assert stats is not None
    out = Path(args.out)
    if prec is not None:
        np.save(out.with_suffix(".precision.npy"), np.asarray(prec, dtype=float))
    peak_kib = _peak_kib()
    record = {"load": loads, "eval": evals, "stats": stats.tolist(), "peak_kib": peak_kib}
    record["warmup"] = warm
    out.write_text(json.dumps(record))


# ---------------------------------------------------------------------------- driver


def _measure(engine: str, paths: tuple[str, str], args: argparse.Namespace, tmp: str):
    out = os.path.join(tmp, f"{engine}.json")
    repeats = args.slow_repeats if engine in SLOW else args.repeats
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", engine, "--gt", paths[0]]
    cmd += ["--dt", paths[1], "--iou-type", args.iou_type, "--repeats", str(repeats), "--out", out]
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
        return None, f"{engine}: failed (exit {proc.returncode}): {tail[0]}"
    rec = json.loads(Path(out).read_text())
    prec_path = Path(out).with_suffix(".precision.npy")
    rec["precision"] = np.load(prec_path) if prec_path.exists() else None
    rec["repeats"] = repeats
    return rec, None


def _compare(rec: dict[str, Any], ref: dict[str, Any]) -> str:
    a, b = np.asarray(rec["stats"]), np.asarray(ref["stats"])
    diff = float(np.max(np.abs(a - b)))
    text = "yes" if np.array_equal(a, b) else f"NO (max abs diff {diff:.2e})"
    p, q = rec["precision"], ref["precision"]
    if p is None or q is None:
        return text + "; precision n/a"
    if p.shape != q.shape:
        return text + f"; precision shape {p.shape}"
    if np.array_equal(p, q):
        return text + "; precision identical"
    return text + f"; precision max abs diff {float(np.max(np.abs(p - q))):.2e}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iou-type", choices=("bbox", "segm"), default="bbox")
    ap.add_argument("--images", type=int, default=5000, help="images (default 5000, val2017's)")
    ap.add_argument("--quick", action="store_true", help="500 images")
    ap.add_argument("--repeats", type=int, default=3, help="runs per engine (median)")
    ap.add_argument("--slow-repeats", type=int, default=1, help=f"runs for {', '.join(SLOW)}")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--skip", action="append", default=[], choices=ENGINES, help="leave an engine out"
    )
    ap.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    ap.add_argument("--gt", help=argparse.SUPPRESS)
    ap.add_argument("--dt", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    segm = args.iou_type == "segm"
    n_images = 500 if args.quick else args.images

    with tempfile.TemporaryDirectory(prefix="coco_eval_") as tmp:
        t0 = time.perf_counter()
        gt, dt = make_dataset(n_images, segm, args.seed)
        paths = (os.path.join(tmp, "gt.json"), os.path.join(tmp, "results.json"))
        for path, obj in zip(paths, (gt, dt), strict=True):
            with open(path, "w", encoding="utf-8") as f:
                json.dump(obj, f)
        gen = time.perf_counter() - t0
        n_gt, n_crowd = len(gt["annotations"]), sum(a["iscrowd"] for a in gt["annotations"])
        del gt, dt
        sizes = [os.path.getsize(p) / 2**20 for p in paths]

        records: dict[str, dict[str, Any]] = {}
        notes: list[str] = []
        for engine in ENGINES:
            if engine in args.skip:
                notes.append(f"{engine}: skipped (--skip)")
                continue
            if importlib.util.find_spec(MODULES[engine]) is None:
                notes.append(f"{engine}: not installed, skipped")
                continue
            rec, err = _measure(engine, paths, args, tmp)
            if rec is None:
                notes.append(str(err))
            else:
                records[engine] = rec

    print(
        f"\nCOCO {args.iou_type} evaluation, synthetic val2017-like set (seed {args.seed}): "
        f"{n_images} images, 80 categories, {n_gt} ground truths ({n_crowd} crowd), "
        f"{DT_PER_IMAGE * n_images} detections; gt.json {sizes[0]:.1f} MiB, "
        f"results.json {sizes[1]:.1f} MiB (generated and written in {gen:.1f} s)."
    )
    print(
        f"Medians of --repeats {args.repeats} runs ({', '.join(SLOW)}: --slow-repeats "
        f"{args.slow_repeats}), each engine in a fresh subprocess; peak = its VmHWM "
        f"(interpreter + imports + data). {os.cpu_count()} CPUs, "
        f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}.\n"
    )
    print("| engine | load (s) | eval (s) | total (s) | peak MiB | stats equal to ioukit |")
    print("|---|---:|---:|---:|---:|---|")
    ref = records.get("ioukit")
    for engine, rec in records.items():
        load, ev = statistics.median(rec["load"]), statistics.median(rec["eval"])
        total = statistics.median(a + b for a, b in zip(rec["load"], rec["eval"], strict=True))
        same = "(reference)" if engine == "ioukit" else _compare(rec, ref) if ref else "n/a"
        name = f"{engine} (×{rec['repeats']})"
        print(
            f"| {name} | {load:.2f} | {ev:.2f} | {total:.2f} | {rec['peak_kib'] / 1024:.0f} "
            f"| {same} |"
        )
    print()
    if ref:
        print(f"ioukit: untimed warm-up call on a 2-image set took {ref['warmup']:.2f} s.")
        print("ioukit stats: " + " ".join(f"{s:.4f}" for s in ref["stats"]))
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
