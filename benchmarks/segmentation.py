"""Confusion counting of segmentation label maps: ioukit against its peers, same process.

Workload A: 8 label maps of 1024×2048 uint8, 19 classes, ~5% of target pixels = 255 (ignored),
on blocky data (rectangles of one class, like real segmentations) and on i.i.d. random labels.
Workload B: one binary mask pair of 8192×8192 (bool), IoU.

Every contender computes the same thing (a 19×19 confusion matrix without the ignored pixels,
or the binary IoU) and is checked against ioukit's answer. "read once" is the time to read both
arrays once (a sum over their bytes viewed as uint64): the memory-bandwidth floor.

Run: ``python benchmarks/segmentation.py`` (torchmetrics and scikit-learn are optional peers).
"""

from __future__ import annotations

import os

# PyTorch and numba each run an OpenMP thread pool; with the default spin-waiting, the idle pool
# of one steals the cores of the other on a small machine. Passive waiting keeps the contenders
# from slowing each other down (set before either library starts its pool).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import ioukit

C = 19
IGNORE = 255


def median_time(fn: Callable[[], Any], repeats: int) -> float:
    fn()  # warm-up (compilation, caches)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def rectangles(
    rng: np.random.Generator, img: np.ndarray, count: int, size: tuple[int, int], value: Any
) -> None:
    """Paint ``count`` random rectangles (sides in ``size``) of ``value`` (or random classes)."""
    for _ in range(count):
        h, w = rng.integers(*size, 2)
        y, x = rng.integers(0, img.shape[0] - h), rng.integers(0, img.shape[1] - w)
        img[y : y + h, x : x + w] = rng.integers(0, C) if value is None else value


def blocky(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Label maps made of random rectangles, each of one class."""
    out = np.empty(shape, dtype=np.uint8)
    for img in out:
        img[:] = rng.integers(0, C)
        rectangles(rng, img, 60, (32, 400), None)
    return out


def make_pair(kind: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    shape = (8, 1024, 2048)
    if kind == "iid":
        target = rng.integers(0, C, shape, dtype=np.uint8)
        pred = rng.integers(0, C, shape, dtype=np.uint8)
        target[rng.random(shape) < 0.05] = IGNORE
        return pred, target
    # blocky: regions of one class; the prediction gets ~15% of the area wrong in patches, and
    # ~5% of the target is void (255) in patches, as along object borders in real annotations
    target = blocky(rng, shape)
    pred = target.copy()
    for p_img, t_img in zip(pred, target, strict=True):
        rectangles(rng, p_img, 120, (16, 96), None)
        rectangles(rng, t_img, 60, (16, 72), IGNORE)
    return pred, target


def read_once(*arrays: np.ndarray) -> Callable[[], Any]:
    views = [a.reshape(-1).view(np.uint64) for a in arrays]
    return lambda: [v.sum() for v in views]


def multiclass_contenders(pred: np.ndarray, target: np.ndarray) -> dict[str, Callable[[], Any]]:
    out: dict[str, Callable[[], Any]] = {}
    out["ioukit SegmentationEvaluator.update"] = lambda: ioukit.SegmentationEvaluator(
        C, ignore_index=IGNORE
    ).update(pred, target)
    out["ioukit multiclass_confusion_matrix"] = lambda: ioukit.multiclass_confusion_matrix(
        pred, target, num_classes=C, ignore_index=IGNORE
    )

    def numpy_bincount() -> np.ndarray:
        keep = target != IGNORE
        idx = target[keep].astype(np.int64) * C + pred[keep]
        return np.bincount(idx, minlength=C * C).reshape(C, C)

    out["numpy bincount"] = numpy_bincount
    try:
        import torch
        from torchmetrics.classification import MulticlassJaccardIndex

        tp, tt = torch.from_numpy(pred), torch.from_numpy(target)

        def tm(validate: bool) -> Callable[[], Any]:
            def run() -> Any:
                m = MulticlassJaccardIndex(C, ignore_index=IGNORE, validate_args=validate)
                m.update(tp, tt)
                return m.compute()

            return run

        out["torchmetrics MulticlassJaccardIndex"] = tm(True)
        out["torchmetrics (validate_args=False)"] = tm(False)

        def mmseg() -> np.ndarray:
            # MMSegmentation 1.x IoUMetric.intersect_and_union per image, then summed
            total = torch.zeros(4, C, dtype=torch.float64)
            for p, t in zip(tp, tt, strict=True):
                mask = t != IGNORE
                p, t = p[mask], t[mask]
                inter = p[p == t]
                hist = [torch.histc(x.float(), bins=C, min=0, max=C - 1) for x in (inter, p, t)]
                union = hist[1] + hist[2] - hist[0]
                total += torch.stack([hist[0], union, hist[1], hist[2]]).double()
            return total.numpy()

        out["mmseg algorithm (torch.histc)"] = mmseg
    except ImportError:
        print("(torchmetrics not installed: skipped)")
    try:
        from sklearn.metrics import confusion_matrix

        def sk() -> np.ndarray:
            keep = (target != IGNORE).reshape(-1)
            return confusion_matrix(
                target.reshape(-1)[keep], pred.reshape(-1)[keep], labels=np.arange(C)
            )

        out["sklearn confusion_matrix"] = sk
    except ImportError:
        print("(scikit-learn not installed: skipped)")
    return out


def table(title: str, rows: list[tuple[str, float]], floor: float) -> None:
    print(f"\n{title}\n")
    print("| contender | median (ms) | × read once | ioukit speed-up |")
    print("|---|---:|---:|---:|")
    ours = rows[0][1]
    for name, t in rows:
        print(f"| {name} | {t * 1e3:.1f} | {t / floor:.2f} | {t / ours:.1f}× |")


def main() -> None:
    rng = np.random.default_rng(0)
    for kind in ("blocky", "iid"):
        pred, target = make_pair(kind, rng)
        expected = ioukit.multiclass_confusion_matrix(
            pred, target, num_classes=C, ignore_index=IGNORE
        )
        floor = median_time(read_once(pred, target), 7)
        rows: list[tuple[str, float]] = []
        for name, fn in multiclass_contenders(pred, target).items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                slow = name.startswith(("sklearn", "torchmetrics MulticlassJaccardIndex"))
                rows.append((name, median_time(fn, 3 if slow else 7)))
            if name == "numpy bincount":
                assert np.array_equal(fn(), expected)
        rows.append(("read both arrays once", floor))
        table(
            f"8 × 1024×2048 uint8 label maps, {C} classes, 5% ignored, {kind} data",
            rows,
            floor,
        )

    n = 8192
    target = blocky(rng, (1, n // 4, n // 4)).repeat(4, axis=1).repeat(4, axis=2)[0] < 9
    pred = target.copy()
    flip = rng.random((n, n)) < 0.05
    pred[flip] = ~pred[flip]
    floor = median_time(read_once(pred, target), 7)
    rows = [("ioukit binary_jaccard", median_time(lambda: ioukit.binary_jaccard(pred, target), 7))]
    try:
        import torch
        from torchmetrics.classification import BinaryJaccardIndex

        tp, tt = torch.from_numpy(pred), torch.from_numpy(target)
        for validate in (True, False):

            def run(validate: bool = validate) -> Any:
                m = BinaryJaccardIndex(validate_args=validate)
                m.update(tp, tt)
                return m.compute()

            label = "torchmetrics BinaryJaccardIndex" + (
                "" if validate else " (validate_args=False)"
            )
            rows.append((label, median_time(run, 3)))
            assert abs(float(run()) - float(ioukit.binary_jaccard(pred, target))) < 1e-6
    except ImportError:
        print("(torchmetrics not installed: skipped)")
    rows.append(
        (
            "numpy: count_nonzero(p & t) / count_nonzero(p | t)",
            median_time(
                lambda: np.count_nonzero(pred & target) / np.count_nonzero(pred | target), 7
            ),
        )
    )
    rows.append(("read both arrays once", floor))
    table(f"binary mask IoU, {n}×{n} bool", rows, floor)


if __name__ == "__main__":
    main()
