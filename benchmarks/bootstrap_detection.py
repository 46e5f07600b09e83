"""Bootstrap confidence intervals of COCO AP: replicates against one evaluation, same process.

The data set is ``coco_eval.py``'s synthetic val2017 (seeded): ``--images`` images (5000;
``--quick``: 500), 80 categories, ≈ 7.3 ground truths and 100 detections per image (500k
detections at 5000 images), bbox. The issue's bar: an AP interval over 5,000 images takes
under 10x one evaluation.

Rows (medians of ``--repeats`` runs):

* **evaluate, end to end**: ``ioukit.coco_evaluate(gt_path, dt_path)`` from the JSON files;
  **eval phase**: that minus the file readers (``load_gt`` and ``load_results``), as in
  ``coco_eval.py``;
* **replicates**: ``detection_source(result).replicates(["AP"], W)`` for ``W`` multinomial
  image counts (B, N), the kernel alone; its plan (category orders, the slice's candidates and
  events, made once per source) timed apart;
* **jackknife**: the ``N`` leave-one-image-out values of AP (BCa's acceleration), as
  replicates on the leave-one-out weights (the generic path) and by
  ``DetectionSource.jackknife`` (the full data's per-category sums, and only the categories
  each image touches accumulated again; from a fresh source, so its pairs are included); the
  largest difference between the two is printed;
* **AP interval**: ``ioukit.stats.confidence_interval(result, "AP", method=...,
  n_resamples=B)`` at B = 1,000 and 10,000, ``"percentile"`` and ``"bca"`` (BCa adds the ``N``
  leave-one-image-out replicates of its jackknife), from a result each time (so the plan is
  included). BCa takes its jackknife from ``DetectionSource.jackknife``.

Each row's ratio is its time over one end-to-end evaluation. The all-ones replicate is checked
to equal ``result.stats[0]`` exactly. The 2-core development machine is shared, so its numbers
vary with the neighbours' load.

Run: ``python benchmarks/bootstrap_detection.py [--images 5000] [--repeats 3] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import ioukit
from coco_eval import make_dataset
from ioukit.detection._bootstrap import detection_source
from ioukit.detection._coco_load import load_gt, load_results
from ioukit.stats import jackknife_weights


def _median(fn: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, after one untimed call."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="500 images, 1 repeat")
    args = parser.parse_args()
    n_img = 500 if args.quick else args.images
    repeats = 1 if args.quick else args.repeats
    from ioukit.stats import confidence_interval

    gt, dt = make_dataset(n_img, segm=False)
    with tempfile.TemporaryDirectory() as tmp:
        gt_path, dt_path = Path(tmp) / "gt.json", Path(tmp) / "dt.json"
        gt_path.write_text(json.dumps(gt))
        dt_path.write_text(json.dumps(dt))
        del gt, dt

        def load() -> None:
            load_results(str(dt_path), load_gt(str(gt_path), need_boxes=True), need_masks=False)

        end_to_end = _median(lambda: ioukit.coco_evaluate(str(gt_path), str(dt_path)), repeats)
        eval_phase = end_to_end - _median(load, repeats)
        result = ioukit.coco_evaluate(str(gt_path), str(dt_path))

    source = detection_source(result)
    n = len(source.image_names)
    ones = source.replicates(["AP"], np.ones((1, n)))[0, 0]
    assert ones == result.stats[0], (ones, result.stats[0])
    weights = np.random.default_rng(0).multinomial(n, np.full(n, 1 / n), size=1000)
    weights = weights.astype(np.float64)

    def plan() -> None:
        detection_source(result).replicates(["AP"], np.ones((1, n)))

    rows: list[tuple[str, float]] = [
        ("evaluate, end to end", end_to_end),
        ("eval phase (without the file readers)", eval_phase),
        ("replicates plan (once per source), AP", _median(plan, repeats)),
        (
            "replicates kernel, AP, B = 1,000",
            _median(lambda: source.replicates(["AP"], weights), repeats),
        ),
    ]
    jack_fast = source.jackknife(["AP"])[:, 0]
    jack_slow = np.concatenate([source.replicates(["AP"], w) for w in jackknife_weights(n)])[:, 0]
    jack_diff = float(np.max(np.abs(jack_fast - jack_slow)))
    assert jack_diff <= 1e-12 * abs(result.stats[0]), jack_diff
    rows.append(
        ("jackknife, AP: N leave-one-out replicates", _median(
            lambda: [source.replicates(["AP"], w) for w in jackknife_weights(n)], repeats))
    )  # fmt: skip
    rows.append(
        ("jackknife, AP: touched categories only", _median(
            lambda: detection_source(result).jackknife(["AP"]), repeats))
    )  # fmt: skip
    intervals = {}
    for b in (1000, 10000):
        for method in ("percentile", "bca"):

            def ci(b: int = b, method: str = method) -> Any:
                return confidence_interval(result, "AP", method=method, n_resamples=b,
                                           random_state=0)  # fmt: skip

            rows.append((f"AP interval, {method}, B = {b:,}", _median(ci, repeats)))
            intervals[(b, method)] = ci()

    print(f"COCO bbox, {n:,} images, {result._records.dt_score.size:,} detections evaluated, "
          f"AP = {result.stats[0]:.4f}; medians of {repeats} runs")  # fmt: skip
    print(f"{'':42s} {'seconds':>9s} {'x evaluate':>11s}")
    for name, seconds in rows:
        print(f"{name:42s} {seconds:9.3f} {seconds / end_to_end:11.2f}")
    print(f"jackknife: touched categories vs replicates, largest difference {jack_diff:.1e}")
    print()
    for (b, method), ci in intervals.items():
        print(f"B = {b:>6,} {method:>10s}: {ci}")


if __name__ == "__main__":
    main()
