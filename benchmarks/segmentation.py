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

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import ioukit
from _timing import median_time, no_options

C = 19
IGNORE = 255


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
    workloads: list[tuple[str, dict[str, Callable[[], Any]], Callable[[], Any]]] = []
    for kind in ("blocky", "iid"):
        pred, target = make_pair(kind, rng)
        expected = ioukit.multiclass_confusion_matrix(
            pred, target, num_classes=C, ignore_index=IGNORE
        )
        contenders = multiclass_contenders(pred, target)
        assert np.array_equal(contenders["numpy bincount"](), expected)
        title = f"8 × 1024×2048 uint8 label maps, {C} classes, 5% ignored, {kind} data"
        workloads.append((title, contenders, read_once(pred, target)))

    n = 8192
    target = blocky(rng, (1, n // 4, n // 4)).repeat(4, axis=1).repeat(4, axis=2)[0] < 9
    pred = target.copy()
    flip = rng.random((n, n)) < 0.05
    pred[flip] = ~pred[flip]
    expected_iou = float(ioukit.binary_jaccard(pred, target))
    contenders = {"ioukit binary_jaccard": lambda: ioukit.binary_jaccard(pred, target)}
    try:
        import torch
        from torchmetrics.classification import BinaryJaccardIndex

        tp, tt = torch.from_numpy(pred), torch.from_numpy(target)
        for validate in (True, False):

            def run(validate: bool = validate) -> Any:
                m = BinaryJaccardIndex(validate_args=validate)
                m.update(tp, tt)
                return m.compute()

            suffix = "" if validate else " (validate_args=False)"
            contenders["torchmetrics BinaryJaccardIndex" + suffix] = run
    except ImportError:
        print("(torchmetrics not installed: skipped)")
    contenders["numpy: count_nonzero(p & t) / count_nonzero(p | t)"] = lambda: (
        np.count_nonzero(pred & target) / np.count_nonzero(pred | target)
    )
    workloads.append((f"binary mask IoU, {n}×{n} bool", contenders, read_once(pred, target)))

    # Phase 1: ioukit, NumPy and the memory floor, before any PyTorch code runs; phase 2: the
    # peers. PyTorch's idle OpenMP threads keep spinning after each call, which on a small
    # machine would steal cores from whatever runs next.
    times: dict[tuple[int, str], float] = {}
    for phase in (1, 2):
        for w, (_, contenders, floor) in enumerate(workloads):
            for name, fn in contenders.items():
                peer = name.startswith(("torchmetrics", "mmseg", "sklearn"))
                if peer != (phase == 2):
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    times[w, name] = median_time(fn, 3 if peer else 7)
                if "Binary" in name:
                    assert abs(float(fn()) - expected_iou) < 1e-6
            if phase == 1:
                times[w, "read both arrays once"] = median_time(floor, 7)
    for w, (title, contenders, _) in enumerate(workloads):
        rows = [(name, times[w, name]) for name in [*contenders, "read both arrays once"]]
        table(title, rows, times[w, "read both arrays once"])


if __name__ == "__main__":
    no_options(__doc__)
    main()
