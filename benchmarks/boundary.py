"""Boundary IoU of mask pairs: ioukit against boundary-iou-api's algorithm and faster-coco-eval.

Workload: 500 pairs of 512×512 binary masks with COCO-like object sizes (about 41 % small
objects, area < 32², 34 % medium, < 96², 25 % large), each an ellipse or a rectangle; the
prediction is the target shifted and resized by a few pixels. Ratio 0.02, so d = 14.

Contenders, in one process:

* ``ioukit boundary_iou (batched)``: one call on the ``(500, 512, 512)`` stacks (bands inside
  each mask's box, pairs in parallel under ioukit's thread policy).
* ``OpenCV reference``: boundary-iou-api's ``mask_to_boundary`` transcribed (1-pixel zero
  border, ``cv2.erode`` with a 3×3 kernel ``d`` times, ``mask - eroded``) on each mask, then
  the bands' intersection over union with NumPy, pair by pair.
* ``faster-coco-eval``: it has no Boundary IoU of raw masks; its boundary mode works on RLEs,
  so this times ``mask.encode`` of both masks, ``mask.rleToBoundary`` (its C++ band,
  ``backend="mask_api"``) and ``mask.iou`` of the two band RLEs.

Each result is checked against the OpenCV reference. Run: ``python benchmarks/boundary.py
[--repeats 3]``; prints a markdown table of medians.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

import ioukit
from _timing import median_time

H = W = 512
RATIO = 0.02


def _shape(rng: np.random.Generator, cy: float, cx: float, hy: float, hx: float, ellipse: bool):  # type: ignore[no-untyped-def]
    m = np.zeros((H, W), dtype=bool)
    if ellipse:
        yy, xx = np.ogrid[:H, :W]
        m[((yy - cy) / hy) ** 2 + ((xx - cx) / hx) ** 2 <= 1] = True
    else:
        m[max(0, int(cy - hy)) : int(cy + hy) + 1, max(0, int(cx - hx)) : int(cx + hx) + 1] = True
    return m


def make_pairs(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pred = np.zeros((n, H, W), dtype=bool)
    target = np.zeros((n, H, W), dtype=bool)
    for i in range(n):
        u = rng.random()
        lo, hi = (4, 32) if u < 0.41 else (32, 96) if u < 0.75 else (96, 400)
        side = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        aspect = math.exp(rng.uniform(-0.7, 0.7))
        hy, hx = side * math.sqrt(aspect) / 2, side / math.sqrt(aspect) / 2
        cy, cx = rng.uniform(0, H), rng.uniform(0, W)
        ellipse = bool(rng.random() < 0.5)
        target[i] = _shape(rng, cy, cx, hy, hx, ellipse)
        j = max(1.0, 0.08 * side)
        pred[i] = _shape(
            rng, cy + rng.normal(0, j), cx + rng.normal(0, j),
            hy * rng.uniform(0.85, 1.15), hx * rng.uniform(0.85, 1.15), ellipse,
        )  # fmt: skip
    return pred, target


def reference(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    import cv2

    d = max(1, int(round(RATIO * np.sqrt(H**2 + W**2))))  # noqa: RUF046 - as the reference
    kernel = np.ones((3, 3), dtype=np.uint8)

    def band(m: np.ndarray) -> np.ndarray:
        padded = cv2.copyMakeBorder(m, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
        return m - cv2.erode(padded, kernel, iterations=d)[1:-1, 1:-1]

    out = np.empty(len(pred))
    for i in range(len(pred)):
        bp, bt = band(pred[i].view(np.uint8)), band(target[i].view(np.uint8))
        inter, union = np.count_nonzero(bp & bt), np.count_nonzero(bp | bt)
        out[i] = inter / union if union else math.nan
    return out


def faster_coco_eval(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    from faster_coco_eval.core import mask as fm

    out = np.empty(len(pred))
    for i in range(len(pred)):
        rp = fm.encode(np.asfortranarray(pred[i, :, :, None].view(np.uint8)))
        rt = fm.encode(np.asfortranarray(target[i, :, :, None].view(np.uint8)))
        bp, bt = fm.rleToBoundary(rp[0], RATIO), fm.rleToBoundary(rt[0], RATIO)
        out[i] = fm.iou([bp], [bt], [0])[0, 0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    pred, target = make_pairs(args.pairs)
    expected = reference(pred, target)
    rows: list[tuple[str, str, float | None]] = []

    def ioukit_run() -> np.ndarray:
        return np.asarray(ioukit.boundary_iou(pred, target, dilation_ratio=RATIO))

    np.testing.assert_array_equal(ioukit_run(), expected)
    rows.append(
        ("ioukit boundary_iou (batched)", "bit-equal", median_time(ioukit_run, args.repeats))
    )
    t_ref = median_time(lambda: reference(pred, target), args.repeats)
    rows.append(("OpenCV reference (mask_to_boundary)", "reference", t_ref))
    try:
        got = faster_coco_eval(pred, target)
    except Exception as exc:  # not installed, or its API changed
        rows.append((f"faster-coco-eval (not run: {type(exc).__name__}: {exc})", "–", None))
    else:
        same = (
            "equal" if np.allclose(got, np.nan_to_num(expected), rtol=0, atol=1e-12) else "DIFFERS"
        )
        t = median_time(lambda: faster_coco_eval(pred, target), args.repeats)
        rows.append(("faster-coco-eval (encode + toBoundary + iou)", same, t))
    ref = rows[1][2]
    assert ref is not None
    print(f"Boundary IoU, {args.pairs} pairs of {H}×{W}, dilation_ratio={RATIO}\n")
    print("| contender | result | median (ms) | µs / pair | × OpenCV reference |")
    print("|---|---|---:|---:|---:|")
    for name, note, t in rows:
        if t is None:
            print(f"| {name} | {note} | – | – | – |")
        else:
            print(
                f"| {name} | {note} | {t * 1e3:.1f} | {t / args.pairs * 1e6:.0f} | {ref / t:.2f} |"
            )


if __name__ == "__main__":
    main()
