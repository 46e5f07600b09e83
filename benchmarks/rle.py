"""COCO RLE: ioukit.rle against pycocotools and faster-coco-eval, same process.

Workloads, on masks of 1024×1024:

* **encode**: 100 masks (filled ellipses of random size, a few of them large) stacked as a
  C-ordered ``(100, 1024, 1024)`` bool array. pycocotools needs a Fortran-ordered
  ``(H, W, N)`` uint8 array: it is timed on one prepared in advance ("prepared") and, in a
  second row, including ``np.asfortranarray(stack.transpose(1, 2, 0))`` from the C stack.
  faster-coco-eval is given the same prepared array.
* **iou sparse**: 100 × 100 masks of small objects (radius 4-30 px) scattered over the image:
  most pairs are disjoint (the bbox prefilter decides).
* **iou dense**: 100 × 100 masks of large objects (radius 150-450 px) around the image centre:
  most pairs overlap and need the run walk.

The IoU inputs are the compressed RLE dicts (ioukit's ``str`` counts, the peers' ``bytes``), so
each library also parses the strings. Every result is checked against pycocotools (same
strings, same IoU matrix bit for bit). ioukit is timed first, before the peers are imported.

Run: ``python benchmarks/rle.py`` (pycocotools and faster-coco-eval are optional peers).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np

import _timing
from ioukit import rle

H = W = 1024
N = 100
REPEATS = 7


def median_time(fn: Callable[[], Any], repeats: int = REPEATS) -> float:
    return _timing.median_time(fn, repeats)


def ellipses(rng: np.random.Generator, n: int, radius: tuple[int, int], spread: float, per: int):
    """``(n, H, W)`` bool masks, each the union of ``per`` random filled ellipses."""
    yy, xx = np.mgrid[:H, :W]
    out = np.zeros((n, H, W), dtype=bool)
    for i in range(n):
        for _ in range(per):
            ry, rx = rng.integers(*radius, 2)
            cy, cx = rng.normal([H / 2, W / 2], spread * H, 2)
            y0, y1 = max(int(cy - ry), 0), min(int(cy + ry) + 1, H)
            x0, x1 = max(int(cx - rx), 0), min(int(cx + rx) + 1, W)
            if y1 <= y0 or x1 <= x0:
                continue
            sy, sx = yy[y0:y1, x0:x1], xx[y0:y1, x0:x1]
            out[i, y0:y1, x0:x1] |= ((sy - cy) / ry) ** 2 + ((sx - cx) / rx) ** 2 <= 1
    return out


def main() -> None:
    rng = np.random.default_rng(0)
    stack = ellipses(rng, N, (20, 400), 0.25, 1)
    sparse_dt = ellipses(rng, N, (4, 30), 0.3, 1)
    sparse_gt = ellipses(rng, N, (4, 30), 0.3, 1)
    dense_dt = ellipses(rng, N, (150, 450), 0.08, 1)
    dense_gt = ellipses(rng, N, (150, 450), 0.08, 1)
    crowd = [0] * N

    # ---- ioukit first (no peer imported yet)
    ours: dict[str, float] = {}
    encoded = rle.encode(stack)
    ours["encode"] = median_time(lambda: rle.encode(stack))
    pairs = {
        "sparse": (rle.encode(sparse_dt), rle.encode(sparse_gt)),
        "dense": (rle.encode(dense_dt), rle.encode(dense_gt)),
    }
    ious = {}
    for name, (dt, gt) in pairs.items():
        ious[name] = rle.iou(dt, gt, crowd=crowd)
        ours[f"iou {name}"] = median_time(lambda dt=dt, gt=gt: rle.iou(dt, gt, crowd=crowd))

    # ---- peers
    peers: dict[str, Any] = {}
    if importlib.util.find_spec("pycocotools") is not None:
        import pycocotools.mask as pm

        peers["pycocotools"] = pm
    if importlib.util.find_spec("faster_coco_eval") is not None:
        import faster_coco_eval.core.mask as fm

        peers["faster_coco_eval"] = fm
    times: dict[str, dict[str, float]] = {p: {} for p in peers}
    same: dict[str, list[str]] = {p: [] for p in peers}
    fortran = np.asfortranarray(stack.transpose(1, 2, 0).astype(np.uint8))
    for pname, lib in peers.items():
        t = times[pname]
        enc = lib.encode(fortran)
        same[pname].append(
            "encode "
            + (
                "identical"
                if [r["counts"].decode() for r in enc] == [r["counts"] for r in encoded]
                else "DIFFERENT"
            )
        )
        t["encode"] = median_time(lambda lib=lib: lib.encode(fortran))
        if pname == "pycocotools":
            t["encode incl. Fortran copy"] = median_time(
                lambda lib=lib: lib.encode(
                    np.asfortranarray(stack.transpose(1, 2, 0)).view(np.uint8)
                )
            )
        for name, (dt, gt) in pairs.items():
            pdt = [{"size": r["size"], "counts": r["counts"].encode()} for r in dt]
            pgt = [{"size": r["size"], "counts": r["counts"].encode()} for r in gt]
            got = np.asarray(lib.iou(pdt, pgt, crowd))
            ok = np.array_equal(got, ious[name])
            same[pname].append(f"iou {name} {'identical' if ok else 'DIFFERENT'}")
            t[f"iou {name}"] = median_time(lambda lib=lib, a=pdt, b=pgt: lib.iou(a, b, crowd))

    rows = ["encode", "encode incl. Fortran copy", "iou sparse", "iou dense"]
    names = list(peers)
    print(
        f"\nCOCO RLE, {N} masks of {H}×{W} (iou: {N}×{N} pairs), medians of ≥ {REPEATS} runs "
        "(short calls: ≥ 0.25 s of runs)\n"
    )
    header = "| workload | ioukit (ms) | " + " | ".join(f"{p} (ms)" for p in names)
    header += " | " + " | ".join(f"speed-up vs {p}" for p in names) + " |"
    print(header)
    print("|---|---:|" + "---:|" * (2 * len(names)))
    for row in rows:
        mine = ours.get(row, ours["encode"] if row.startswith("encode") else None)
        assert mine is not None
        cells = [f"{times[p][row] * 1e3:.2f}" if row in times[p] else "–" for p in names]
        speed = [f"{times[p][row] / mine:.1f}×" if row in times[p] else "–" for p in names]
        label = row if row != "encode incl. Fortran copy" else "encode (peer incl. Fortran copy)"
        print(f"| {label} | {mine * 1e3:.2f} | " + " | ".join(cells + speed) + " |")
    print()
    for p in names:
        print(f"{p}: " + ", ".join(same[p]))


if __name__ == "__main__":
    _timing.no_options(__doc__)
    main()
