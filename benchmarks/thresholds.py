"""Threshold sweeps on 1M scores (imbalanced binary target): ioukit vs peers, same process.

Run: ``python benchmarks/thresholds.py``. Prints a markdown table of medians. ioukit is timed
before torch is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import _timing

N = 1_000_000
REPEATS = 5
GRID = 201


def median_ms(f: Callable[[], Any], repeats: int = REPEATS) -> float:
    return _timing.median_time(f, repeats) * 1e3


def main() -> None:
    from ioukit.core.sweep import threshold_sweep
    from ioukit.sklearn import precision_recall_curve

    rng = np.random.default_rng(0)
    target = rng.random(N) < 0.05  # 5 % positives
    scores = np.clip(rng.normal(0.3 + 0.4 * target, 0.2), 0, 1)  # float64, ~all distinct
    rows: list[tuple[str, float, str]] = []

    rows.append(
        ("np.argsort(scores) alone (reference cost)", median_ms(lambda: np.argsort(scores)), "")
    )
    rows.append(
        ("ioukit threshold_sweep, exact", median_ms(lambda: threshold_sweep(scores, target)), "")
    )
    rows.append(
        (
            "ioukit threshold_sweep, grid=201",
            median_ms(lambda: threshold_sweep(scores, target, grid=GRID)),
            "",
        )
    )
    rows.append(
        (
            "ioukit precision_recall_curve (sklearn twin)",
            median_ms(lambda: precision_recall_curve(target, scores)),
            "",
        )
    )

    from sklearn.metrics import jaccard_score
    from sklearn.metrics import precision_recall_curve as sk_prc

    rows.append(("sklearn precision_recall_curve", median_ms(lambda: sk_prc(target, scores)), ""))
    grid = np.linspace(0, 1, GRID)
    few = 10

    def naive() -> None:
        for t in grid[:: GRID // few][:few]:
            jaccard_score(target, scores >= t)

    naive_ms = median_ms(naive, 3) * GRID / few
    rows.append(
        (
            "naive loop: 201 × sklearn jaccard_score",
            naive_ms,
            f"timed {few} thresholds, ×{GRID / few:.1f}",
        )
    )

    try:
        import torch
        from torchmetrics.classification import BinaryPrecisionRecallCurve
    except ImportError:
        torch = None
    if torch is not None:
        ts, tt = torch.as_tensor(scores), torch.as_tensor(target).long()

        def tm(thresholds: int | None) -> None:
            m = BinaryPrecisionRecallCurve(thresholds=thresholds)
            m.update(ts, tt)
            m.compute()

        rows.append(
            (
                "torchmetrics BinaryPrecisionRecallCurve(thresholds=None)",
                median_ms(lambda: tm(None)),
                "",
            )
        )
        rows.append(
            (
                "torchmetrics BinaryPrecisionRecallCurve(thresholds=201)",
                median_ms(lambda: tm(GRID)),
                "",
            )
        )
        rows.append(
            (
                "ioukit threshold_sweep, exact, torch CPU tensors",
                median_ms(lambda: threshold_sweep(ts, tt)),
                "torch.sort path",
            )
        )

    ref = rows[0][1]
    print(
        f"{N:,} scores, {int(target.sum()):,} positives; median of ≥ {REPEATS} runs "
        "(short calls: ≥ 0.25 s of runs)\n"
    )
    print("| method | ms | × argsort | note |")
    print("|---|---:|---:|---|")
    for name, ms, note in rows:
        print(f"| {name} | {ms:.1f} | {ms / ref:.2f} | {note} |")


if __name__ == "__main__":
    _timing.no_options(__doc__)
    main()
