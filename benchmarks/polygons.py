"""Rotated-box and convex-polygon IoU: ioukit against shapely 2 (and torchvision), same process.

Workloads
---------
A. 10k row-aligned pairs of rotated boxes (a prediction near each target: centre offsets ~2,
   sizes ×0.8–1.2, angles ±10°), ``rotated_box_iou_aligned``.
B. 10k row-aligned pairs of convex polygons, 6 vs 8 vertices, ``polygon_iou_aligned``
   (convexity auto-detected, and with ``convex=True``).
C. Pairwise 1000×1000 rotated boxes in a 200×200 scene, ``rotated_box_iou``. shapely's best
   way here is an STRtree query for candidate pairs and then the exact IoU of those pairs only.
D. (when torchvision is importable) torchvision ``box_iou(fmt="cxcywhr")`` on workload C, and
   the error rate of both libraries on 2000 nearly identical pairs (σ = 1e-6 relative).

shapely is timed as ``shapely.intersection`` + ``shapely.area`` over arrays of polygons (its
vectorised path); building the polygons (``shapely.polygons`` from corner arrays) is timed
separately. ioukit is timed end to end from the raw arrays (validation, corners, convexity
test, kernel). ioukit runs first; every time is the median of ≥ 15 runs (≥ 0.25 s of runs)
after a warm-up. "max |diff|" compares each contender with ioukit.

Run: ``python benchmarks/polygons.py`` (shapely required; torchvision optional).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import shapely

import _timing
from ioukit.geometry.polygons import (
    polygon_iou_aligned,
    rotated_box_iou,
    rotated_box_iou_aligned,
    rotated_box_to_polygon,
)

REPEATS = 15


def median_time(fn: Callable[[], Any], repeats: int = REPEATS) -> float:
    return _timing.median_time(fn, repeats)


def shapely_iou(g1: Any, g2: Any, a1: np.ndarray, a2: np.ndarray) -> np.ndarray:
    inter = shapely.area(shapely.intersection(g1, g2))
    union = a1 + a2 - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def boxes_near(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    b1 = np.column_stack(
        [
            rng.uniform(0, 1000, n),
            rng.uniform(0, 1000, n),
            rng.uniform(5, 50, n),
            rng.uniform(5, 50, n),
            rng.uniform(-90, 90, n),
        ]
    )
    b2 = b1.copy()
    b2[:, :2] += rng.normal(0, 2, (n, 2))
    b2[:, 2:4] *= rng.uniform(0.8, 1.2, (n, 2))
    b2[:, 4] += rng.normal(0, 10, n)
    return b1, b2


def convex_polygons(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    ang = np.sort(rng.uniform(0, 2 * np.pi, (n, k)), axis=1)
    r = rng.uniform(5, 25, (n, 1))
    ratio = rng.uniform(0.4, 1, (n, 1))
    return np.stack([r * np.cos(ang), ratio * r * np.sin(ang)], -1)


Row = tuple[str, str, float, float | None, float | None]


def table(title: str, rows: list[Row]) -> None:
    print(f"\n### {title}\n")
    print("| contender | what is timed | time (ms) | ioukit speed-up | max \\|diff\\| |")
    print("|---|---|---:|---:|---:|")
    for name, what, t, speedup, diff in rows:
        sp = "—" if speedup is None else f"{speedup:.1f}×"
        df = "—" if diff is None else f"{diff:.1e}"
        print(f"| {name} | {what} | {t * 1e3:.2f} | {sp} | {df} |")


def workload_a(rng: np.random.Generator) -> None:
    n = 10_000
    b1, b2 = boxes_near(rng, n)
    t_ours = median_time(lambda: rotated_box_iou_aligned(b1, b2))
    ours = rotated_box_iou_aligned(b1, b2)

    def build() -> tuple[Any, Any]:
        return (
            shapely.polygons(np.asarray(rotated_box_to_polygon(b1))),
            shapely.polygons(np.asarray(rotated_box_to_polygon(b2))),
        )

    t_build = median_time(build)
    g1, g2 = build()
    a1, a2 = b1[:, 2] * b1[:, 3], b2[:, 2] * b2[:, 3]
    t_shp = median_time(lambda: shapely_iou(g1, g2, a1, a2))
    ref = shapely_iou(g1, g2, a1, a2)
    diff = float(np.abs(ref - ours).max())
    table(
        f"A. {n:,} aligned rotated-box pairs ({(ref > 0).mean():.0%} overlapping)",
        [
            ("ioukit `rotated_box_iou_aligned`", "end to end", t_ours, None, None),
            ("shapely 2", "intersection + area", t_shp, t_shp / t_ours, diff),
            ("shapely 2", "building the polygons", t_build, None, None),
            ("shapely 2", "total", t_shp + t_build, (t_shp + t_build) / t_ours, diff),
        ],
    )


def workload_b(rng: np.random.Generator) -> None:
    n = 10_000
    p1 = convex_polygons(rng, n, 6)
    p2 = convex_polygons(rng, n, 8) + rng.normal(0, 8, (n, 1, 2))
    t_auto = median_time(lambda: polygon_iou_aligned(p1, p2))
    t_convex = median_time(lambda: polygon_iou_aligned(p1, p2, convex=True))
    ours = polygon_iou_aligned(p1, p2)

    def build() -> tuple[Any, Any]:
        return shapely.polygons(p1), shapely.polygons(p2)

    t_build = median_time(build)
    g1, g2 = build()
    a1, a2 = shapely.area(g1), shapely.area(g2)
    t_shp = median_time(lambda: shapely_iou(g1, g2, a1, a2))
    ref = shapely_iou(g1, g2, a1, a2)
    diff = float(np.abs(ref - ours).max())
    table(
        f"B. {n:,} aligned convex polygon pairs, 6 vs 8 vertices "
        f"({(ref > 0).mean():.0%} overlapping)",
        [
            ("ioukit `polygon_iou_aligned`", "end to end, convexity detected", t_auto, None, None),
            ("ioukit `polygon_iou_aligned`", "end to end, convex=True", t_convex, None, None),
            ("shapely 2", "intersection + area", t_shp, t_shp / t_auto, diff),
            ("shapely 2", "building the polygons", t_build, None, None),
            ("shapely 2", "total", t_shp + t_build, (t_shp + t_build) / t_auto, diff),
        ],
    )


def scene_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.column_stack(
        [
            rng.uniform(0, 200, n),
            rng.uniform(0, 200, n),
            rng.uniform(2, 20, n),
            rng.uniform(2, 20, n),
            rng.uniform(-90, 90, n),
        ]
    )


def workload_c(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    n = 1000
    b1, b2 = scene_boxes(rng, n), scene_boxes(rng, n)
    t_ours = median_time(lambda: rotated_box_iou(b1, b2))
    ours = rotated_box_iou(b1, b2)
    g1 = shapely.polygons(np.asarray(rotated_box_to_polygon(b1)))
    g2 = shapely.polygons(np.asarray(rotated_box_to_polygon(b2)))
    a1, a2 = b1[:, 2] * b1[:, 3], b2[:, 2] * b2[:, 3]

    def strtree() -> np.ndarray:
        tree = shapely.STRtree(g2)
        i, j = tree.query(g1, predicate="intersects")
        out = np.zeros((n, n))
        out[i, j] = shapely_iou(g1[i], g2[j], a1[i], a2[j])
        return out

    t_tree = median_time(strtree, 5)
    ref = strtree()
    diff = float(np.abs(ref - ours).max())
    table(
        f"C. pairwise {n}×{n} rotated boxes ({(ref > 0).mean():.1%} of pairs overlap)",
        [
            ("ioukit `rotated_box_iou`", "end to end, dense (N, M)", t_ours, None, None),
            ("shapely 2", "STRtree query + IoU of candidates", t_tree, t_tree / t_ours, diff),
        ],
    )
    return b1, b2, t_ours, ours


def workload_d(rng: np.random.Generator, c: tuple[np.ndarray, np.ndarray, float, Any]) -> None:
    try:
        import torch
        from torchvision.ops import box_iou
    except ImportError:
        print("\n### D. torchvision: skipped (torchvision is not installed)")
        return
    b1, b2, t_ours, ours = c
    rows: list[Row] = [("ioukit `rotated_box_iou`", "float64, 1000×1000", t_ours, None, None)]
    for dtype in (torch.float32, torch.float64):
        t1, t2 = torch.from_numpy(b1).to(dtype), torch.from_numpy(b2).to(dtype)
        t_tv = median_time(lambda t1=t1, t2=t2: box_iou(t1, t2, fmt="cxcywhr"))
        tv = box_iou(t1, t2, fmt="cxcywhr").double().numpy()
        rows.append(
            (
                f"torchvision `box_iou(fmt='cxcywhr')` ({torch.__version__})",
                f"{str(dtype)[6:]} input, {torch.get_num_threads()} threads",
                t_tv,
                t_tv / t_ours,
                float(np.abs(tv - ours).max()),
            )
        )
    table("D1. torchvision, pairwise 1000×1000 (workload C)", rows)

    # nearly identical pairs: error rate against shapely (in each pair's local frame)
    n = 2000
    base = scene_boxes(rng, n)
    near = base + rng.normal(0, 1e-6, base.shape) * np.array([200, 200, 20, 20, 180])
    origin = np.zeros_like(base)
    origin[:, :2] = base[:, :2]
    g1 = shapely.polygons(np.asarray(rotated_box_to_polygon(base - origin)))
    g2 = shapely.polygons(np.asarray(rotated_box_to_polygon(near - origin)))
    ref = shapely_iou(g1, g2, shapely.area(g1), shapely.area(g2))
    ours_near = rotated_box_iou_aligned(base, near)
    print(f"\n### D2. {n} nearly identical pairs (σ = 1e-6 relative): pairs off by > 1e-4\n")
    print("| contender | wrong pairs | max \\|error\\| | worst value (truth) |")
    print("|---|---:|---:|---|")
    contenders: list[tuple[str, np.ndarray]] = [("ioukit (float64)", ours_near)]
    for dtype in (torch.float32, torch.float64):
        tv = [
            float(box_iou(torch.from_numpy(base[i : i + 1]).to(dtype),
                          torch.from_numpy(near[i : i + 1]).to(dtype), fmt="cxcywhr")[0, 0])
            for i in range(n)
        ]  # fmt: skip
        contenders.append((f"torchvision ({str(dtype)[6:]})", np.array(tv)))
    for name, values in contenders:
        err = np.abs(values - ref)
        worst = int(np.argmax(err))
        print(
            f"| {name} | {int((err > 1e-4).sum())} / {n} | {err.max():.1e} | "
            f"{values[worst]:.6f} ({ref[worst]:.6f}) |"
        )


def main() -> None:
    import numba

    print(
        f"numpy {np.__version__}, shapely {shapely.__version__} (GEOS "
        f"{shapely.geos_version_string}), numba {numba.__version__} "
        f"({numba.get_num_threads()} threads)"
    )
    rng = np.random.default_rng(0)
    workload_a(rng)
    workload_b(rng)
    c = workload_c(rng)
    workload_d(rng, c)


if __name__ == "__main__":
    _timing.no_options(__doc__)
    main()
