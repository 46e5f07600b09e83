"""The seed examples of ioukit, computed with the library and printed with their arithmetic.

Run: ``python examples/seed_examples.py``
"""

from __future__ import annotations

import argparse

import numpy as np

import ioukit


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(
        description="Print ioukit's seed examples (Jaccard of sets, binary and multiclass "
        "counts, the averages, the F1 <-> Jaccard identity), each with its arithmetic. "
        "No options."
    ).parse_args(argv)
    print("ioukit", ioukit.__version__)

    a, b = {1, 2, 3, 5, 8}, {2, 3, 4, 8, 9}
    print(f"\nSets {sorted(a)} vs {sorted(b)}")
    print(f"  set_jaccard = {ioukit.set_jaccard(a, b):.4f}   (|{{2,3,8}}| / |A ∪ B| = 3/7)")

    y_true = np.array([1, 1, 0, 0, 1, 0])
    y_pred = np.array([1, 0, 0, 0, 1, 1])
    c = ioukit.binary_counts(y_pred, y_true)
    print(f"\nBinary target {y_true.tolist()} vs prediction {y_pred.tolist()}")
    print(
        f"  counts tp, fp, fn, tn = {int(c.tp[0])}, {int(c.fp[0])}, {int(c.fn[0])}, {int(c.tn[0])}"
    )
    print(f"  jaccard  = {float(ioukit.jaccard(c)):.4f}   (2 / (2 + 1 + 1))")
    print(f"  accuracy = {float(ioukit.accuracy(c)):.4f}   ((2 + 2) / 6)")
    print(f"  dice     = {float(ioukit.dice(c)):.4f}   (2·2 / (2·2 + 1 + 1)) = 2J / (1 + J)")

    # rows are samples, columns labels; sample 1 has no label on either side (0/0 → 1 here)
    ml_true = np.array([[0, 1, 0], [0, 0, 0], [1, 1, 0], [1, 0, 1]])
    ml_pred = np.array([[0, 1, 0], [0, 0, 0], [0, 1, 0], [1, 1, 1]])
    print("\nMultilabel 4 samples × 3 labels, zero_division=1")
    for avg in ("samples", "micro", "macro", "weighted"):
        value = ioukit.multilabel_jaccard(ml_pred, ml_true, average=avg, zero_division=1.0)
        print(f"  {avg:<9}= {float(value):.4f}")
    per_label = ioukit.multilabel_jaccard(ml_pred, ml_true, average="none", zero_division=1.0)
    print(f"  per label = {np.round(per_label, 4).tolist()}")

    mc_true = np.array([0, 1, 2, 2, 1, 0])
    mc_pred = np.array([0, 2, 2, 1, 1, 0])
    print(f"\nMulticlass target {mc_true.tolist()} vs prediction {mc_pred.tolist()}")
    for avg in ("macro", "micro"):
        value = ioukit.multiclass_jaccard(mc_pred, mc_true, num_classes=3, average=avg)
        print(f"  {avg:<9}= {float(value):.4f}")
    per_class = ioukit.multiclass_jaccard(mc_pred, mc_true, num_classes=3, average="none")
    print(f"  per class = {np.round(per_class, 4).tolist()}   (2/2, 1/3, 1/3)")
    print(
        f"  F1 0.5 ↔ J {ioukit.f1_to_jaccard(0.5):.4f};  J 0.5 ↔ F1 {ioukit.jaccard_to_f1(0.5):.4f}"
    )


if __name__ == "__main__":
    main()
