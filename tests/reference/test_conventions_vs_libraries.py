"""ioukit.core.conventions against the libraries: every mIoU convention gives the number that
its library reports on the same label maps.

Each reference below evaluates the label maps with the real library, the way its users do
(the calls listed in the conventions module's docstring), and each convention computes the
same number from ``multiclass_counts(..., per_sample=True)``. Cases: the anchors' two-image
example, random label maps (1 to 4 images, 2 to 6 classes, absent classes, classes that are
only predicted, void pixels and all-void images, void values outside and inside ``[0, C)``,
two void classes) and a dataset that is void everywhere.

MMSegmentation needs mmcv and mmengine, which do not install next to a CPU torch here; its
``IoUMetric.intersect_and_union`` and the mIoU part of ``total_area_to_metrics`` and
``compute_metrics`` (mmseg 1.2.2, ``mmseg/evaluation/metrics/iou_metric.py``) are transcribed
below and run under torch. segmentation_models_pytorch is loaded from its
``metrics/functional.py`` file alone: its package ``__init__`` needs torchvision and timm.

Tolerances: scikit-learn and smp (run with torch's default dtype set to float64) compute in
float64 and must agree to 1e-12. torchmetrics, MMSegmentation, MONAI and Keras compute in
float32 (Keras also adds 1e-7 to denominators): 1e-6.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from ioukit import ParameterError, multiclass_counts
from ioukit.core.conventions import CONVENTIONS, mean_iou_from_counts

pytestmark = pytest.mark.reference

Void = tuple[int, ...]
Case = tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], int, Void]


class Refused(Exception):
    """The library cannot evaluate this input (it raises, or cannot be fed it)."""


class NotComparable(Exception):
    """The library gives no meaningful number for this case (documented in the reference)."""


@contextmanager
def quiet() -> Iterator[None]:
    """Peers' own warnings (deprecations, empty means) are not under test here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _import(name: str) -> Any:
    with quiet():
        return pytest.importorskip(name)


def _torch() -> Any:
    return _import("torch")


def _one_hot(labels: np.ndarray[Any, Any], c: int, keep: np.ndarray[Any, Any]) -> Any:
    """(N, C, H, W) int64 one-hot tensor; rows of pixels outside ``keep`` are all zero."""
    safe = np.where(keep, labels, 0)
    oh = np.eye(c, dtype=np.int64)[safe] * keep[..., None]
    return _torch().from_numpy(np.ascontiguousarray(np.moveaxis(oh, -1, 1)))


def _single_void(target: np.ndarray[Any, Any], void: Void) -> tuple[Any, int | None]:
    """For libraries with one ignore value: the target with every void value mapped to one
    value (the void value itself when there is one, else 255), and that value."""
    if not void:
        return target, None
    value = void[0] if len(void) == 1 else 255
    return np.where(np.isin(target, void), value, target), value


# ------------------------------------------------------------------------------- references


def ref_sklearn(pred: Any, target: Any, c: int, void: Void) -> float:
    metrics = _import("sklearn.metrics")
    keep = ~np.isin(target, void)
    try:
        with quiet():
            return float(metrics.jaccard_score(target[keep], pred[keep], average="macro"))
    except ValueError as exc:
        if "empty" not in str(exc):
            raise
        raise Refused(str(exc)) from exc


def ref_torchmetrics(pred: Any, target: Any, c: int, void: Void) -> float:
    tm = _import("torchmetrics.classification")
    torch = _torch()
    inside = [v for v in void if 0 <= v < c]
    if len(inside) > 1:
        raise Refused("ignore_index is one integer: it drops one class at most")
    if len(void) > 1:  # the user maps every void value to the one ignore_index
        value = inside[0] if inside else 255
        target, ignore = np.where(np.isin(target, void), value, target), value
    else:
        ignore = void[0] if void else None
    with quiet():
        metric = tm.MulticlassJaccardIndex(num_classes=c, ignore_index=ignore)
        for p, t in zip(pred, target, strict=True):
            metric.update(torch.from_numpy(p), torch.from_numpy(t))
        return float(metric.compute())


def ref_torchmetrics_meaniou(pred: Any, target: Any, c: int, void: Void) -> float:
    seg = _import("torchmetrics.segmentation")
    torch = _torch()
    with quiet():
        metric = seg.MeanIoU(num_classes=c, input_format="index" if not void else "one-hot")
        for i in range(pred.shape[0]):
            p, t = pred[i : i + 1], target[i : i + 1]
            if void:  # MeanIoU has no ignore_index: void pixels are all-zero one-hot rows
                keep = ~np.isin(t, void)
                metric.update(_one_hot(p, c, keep), _one_hot(t, c, keep))
            else:
                metric.update(torch.from_numpy(p), torch.from_numpy(t))
        return float(metric.compute())


# mmseg 1.2.2, mmseg/evaluation/metrics/iou_metric.py, IoUMetric.intersect_and_union (verbatim
# apart from names and formatting).
def _mmseg_intersect_and_union(
    pred_label: Any, label: Any, num_classes: int, ignore_index: int
) -> tuple[Any, Any, Any, Any]:
    torch = _torch()
    mask = label != ignore_index
    pred_label = pred_label[mask]
    label = label[mask]
    intersect = pred_label[pred_label == label]
    area_intersect = torch.histc(intersect.float(), bins=num_classes, min=0, max=num_classes - 1)
    area_pred_label = torch.histc(pred_label.float(), bins=num_classes, min=0, max=num_classes - 1)
    area_label = torch.histc(label.float(), bins=num_classes, min=0, max=num_classes - 1)
    area_union = area_pred_label + area_label - area_intersect
    return area_intersect, area_union, area_pred_label, area_label


def mmseg_report(pred: Any, target: Any, c: int, void: Void) -> tuple[float, float]:
    """(nanmean of the per-class IoU, the mIoU that IoUMetric returns: x100, 2 decimals)."""
    torch = _torch()
    label, ignore = _single_void(target, void)
    ignore = 255 if ignore is None else ignore  # IoUMetric's default ignore_index
    # IoUMetric.process: one result per image, the label cast to the prediction's dtype
    results = [
        _mmseg_intersect_and_union(
            torch.from_numpy(p), torch.from_numpy(np.ascontiguousarray(t)), c, ignore
        )
        for p, t in zip(pred, label, strict=True)
    ]
    # IoUMetric.compute_metrics + total_area_to_metrics(metrics=['mIoU'])
    columns = tuple(zip(*results, strict=True))
    total_area_intersect = sum(columns[0])
    total_area_union = sum(columns[1])
    iou = (total_area_intersect / total_area_union).numpy()
    with quiet():  # all-NaN: "Mean of empty slice"
        miou = np.nanmean(iou)
    return float(miou), float(np.round(miou * 100, 2))


def ref_mmseg(pred: Any, target: Any, c: int, void: Void) -> float:
    return mmseg_report(pred, target, c, void)[0]


@functools.cache
def _smp_functional() -> ModuleType:
    spec = importlib.util.find_spec("segmentation_models_pytorch")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("segmentation_models_pytorch is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "metrics" / "functional.py"
    if not path.is_file():
        pytest.skip(f"segmentation_models_pytorch has no {path}")
    file_spec = importlib.util.spec_from_file_location("_smp_metrics_functional", path)
    assert file_spec is not None
    assert file_spec.loader is not None
    module = importlib.util.module_from_spec(file_spec)
    with quiet():
        file_spec.loader.exec_module(module)
    return module


@contextmanager
def torch_float64() -> Iterator[None]:
    torch = _torch()
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


def ref_smp(reduction: str) -> Callable[[Any, Any, int, Void], float]:
    def ref(pred: Any, target: Any, c: int, void: Void) -> float:
        smp = _smp_functional()
        torch = _torch()
        inside = sorted(v for v in void if 0 <= v < c)
        n_classes = c
        if inside:
            # smp raises for an ignore_index in [0, C) and says to renumber the labels so that
            # the void value lies outside: the void classes become -1, the others 0..C'-1.
            kept = [k for k in range(c) if k not in inside]
            n_classes = len(kept)
            if n_classes == 1:
                # torch.histc(bins=1, min=0, max=0) falls back to the data's range and counts
                # the -1 pixels: smp gives no usable number with a single class left.
                raise NotComparable
            renumber = np.full(c, -1, dtype=np.int64)
            renumber[kept] = np.arange(n_classes)
            is_void = np.isin(target, void)
            target = np.where(is_void, -1, renumber[np.where(is_void, 0, target)])
            pred, ignore = renumber[pred], -1
        else:
            target, ignore = _single_void(target, void)
        with quiet(), torch_float64():
            stats = smp.get_stats(
                torch.from_numpy(np.ascontiguousarray(pred)),
                torch.from_numpy(np.ascontiguousarray(target)),
                mode="multiclass",
                num_classes=n_classes,
                ignore_index=ignore,
            )
            return float(smp.iou_score(*stats, reduction=reduction))

    return ref


def ref_monai(pred: Any, target: Any, c: int, void: Void) -> float:
    metrics = _import("monai.metrics")
    keep = ~np.isin(target, void)
    with quiet():
        metric = metrics.MeanIoU()  # include_background=True, reduction="mean", ignore_empty
        metric(_one_hot(pred, c, keep).double(), _one_hot(target, c, keep).double())
        value = float(metric.aggregate()[0])
        if void and all(not 0 <= v < c for v in void):
            # MONAI >= 1.6: ignore_index with a value outside [0, C) masks the all-zero target
            # rows in the prediction too: the same number as zeroing them by hand
            sentinel = metrics.MeanIoU(ignore_index=void[0])
            everywhere = np.ones_like(keep)
            sentinel(_one_hot(pred, c, everywhere).double(), _one_hot(target, c, keep).double())
            assert float(sentinel.aggregate()[0]) == value
        return value


def ref_keras(pred: Any, target: Any, c: int, void: Void) -> float:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = _import("keras")
    target, ignore = _single_void(target, void)
    with quiet():
        metric = keras.metrics.MeanIoU(num_classes=c, ignore_class=ignore)
        for p, t in zip(pred, target, strict=True):
            metric.update_state(t, p)
        return float(metric.result())


REFERENCES: dict[str, tuple[Callable[[Any, Any, int, Void], float], float]] = {
    "sklearn": (ref_sklearn, 1e-12),
    "torchmetrics": (ref_torchmetrics, 1e-6),
    "torchmetrics-meaniou": (ref_torchmetrics_meaniou, 1e-6),
    "mmseg": (ref_mmseg, 1e-6),
    "smp-micro": (ref_smp("micro"), 1e-12),
    "smp-macro": (ref_smp("macro"), 1e-12),
    "smp-micro-imagewise": (ref_smp("micro-imagewise"), 1e-12),
    "smp-macro-imagewise": (ref_smp("macro-imagewise"), 1e-12),
    "monai": (ref_monai, 1e-6),
    "keras": (ref_keras, 1e-6),
}


def test_every_library_convention_has_a_reference() -> None:
    assert set(REFERENCES) == set(CONVENTIONS) - {"ioukit"}


# ------------------------------------------------------------------------------------ cases


def anchors_example() -> Case:
    """The anchors' §0 example: 2 images 4×4, 3 classes, class 2 absent."""
    target = np.zeros((2, 4, 4), dtype=np.int64)
    pred = np.zeros_like(target)
    target[0, 1:3, 1:3] = pred[0, 1:3, 1:3] = 1
    target[1] = 1
    pred[1, :2] = 1
    return pred, target, 3, ()


def random_case(seed: int) -> Case:
    """Random label maps; ``seed`` also picks the shape and the kind of void values."""
    rng = np.random.default_rng(seed)
    n, c = 1 + seed % 4, 2 + (seed // 4) % 5
    shape = (n, *(int(s) for s in rng.integers(3, 7, size=2)))
    order = rng.permutation(c)
    n_target = int(rng.integers(1, c + 1))
    in_target = order[:n_target]  # the others are absent from the target...
    only_pred = order[n_target : n_target + int(rng.integers(0, c - n_target + 1))]  # ...or not
    target = rng.choice(in_target, size=shape).astype(np.int64)
    errors = rng.choice(np.concatenate([in_target, only_pred]), size=shape)
    pred = np.where(rng.random(shape) < 0.5, target, errors).astype(np.int64)
    k = int(rng.integers(c))
    void: Void = [(), (255,), (-1,), (k,), (k, 255), (k, (k + 1) % c)][seed % 6]
    if c == 2 and seed % 6 == 5:
        void = (k,)
    if void:
        target = np.where(rng.random(shape) < 0.15, rng.choice(void, size=shape), target)
        if seed % 3 == 0:  # an image that is void everywhere
            target[int(rng.integers(n))] = void[0]
    return pred, target, c, void


def all_void_case() -> Case:
    pred, target, c, _ = random_case(7)
    return pred, np.full_like(target, 255), c, (255,)


CASES: dict[str, Callable[[], Case]] = {
    "anchors": anchors_example,
    **{f"random-{seed}": functools.partial(random_case, seed) for seed in range(30)},
    "all-void": all_void_case,
}


def _same(got: float, expected: float, tol: float) -> bool:
    if math.isnan(expected):
        return math.isnan(got)
    return abs(got - expected) <= tol


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("convention", list(REFERENCES))
def test_convention_matches_library(convention: str, case: str) -> None:
    pred, target, c, void = CASES[case]()
    reference, tol = REFERENCES[convention]
    counts = multiclass_counts(
        pred, target, num_classes=c, ignore_index=void or None, per_sample=True
    )
    try:
        expected = reference(pred, target, c, void)
    except Refused:
        with pytest.raises(ParameterError, match=convention):
            mean_iou_from_counts(counts.total(), counts, convention=convention)
        return
    except NotComparable:
        return
    got = mean_iou_from_counts(counts.total(), counts, convention=convention)
    assert _same(got, expected, tol), (got, expected)


def test_anchor_values() -> None:
    """The anchors' §0 table, which every library above reproduced (3 decimals)."""
    pred, target, c, _ = anchors_example()
    counts = multiclass_counts(pred, target, num_classes=c, per_sample=True)
    expected = {
        "ioukit": 0.6,
        "sklearn": 0.6,
        "torchmetrics": 0.6,
        "torchmetrics-meaniou": 0.625,
        "mmseg": 0.6,
        "smp-micro": 0.6,
        "smp-macro": 11 / 15,
        "smp-micro-imagewise": 2 / 3,
        "smp-macro-imagewise": 0.75,
        "monai": 0.75,
        "keras": 0.6,
    }
    assert list(expected) == list(CONVENTIONS)
    for name, value in expected.items():
        assert mean_iou_from_counts(counts, convention=name) == pytest.approx(value, abs=1e-15)


@pytest.mark.parametrize("case", ["anchors", "random-3", "random-4", "random-10", "all-void"])
def test_mmseg_reported_number(case: str) -> None:
    """IoUMetric returns round(100 * mIoU, 2): the convention's value, rounded."""
    pred, target, c, void = CASES[case]()
    counts = multiclass_counts(
        pred, target, num_classes=c, ignore_index=void or None, per_sample=True
    )
    got = mean_iou_from_counts(counts.total(), convention="mmseg")
    reported = mmseg_report(pred, target, c, void)[1]
    if math.isnan(reported):
        assert math.isnan(got)
    else:
        assert abs(100 * got - reported) <= 0.005 + 1e-4


def test_smp_rejects_ignore_index_inside_the_classes() -> None:
    """Why the smp conventions follow smp's renumbering hint for void classes."""
    smp = _smp_functional()
    torch = _torch()
    labels = torch.tensor([[0, 1, 2]])
    with pytest.raises(ValueError, match="outside the class values range"):
        smp.get_stats(labels, labels, mode="multiclass", num_classes=3, ignore_index=0)


def test_monai_ignore_index_inside_the_classes_is_not_removal() -> None:
    """MONAI's ignore_index=k for k in [0, C) zeroes channel k only: a pixel of class k that
    is predicted as class 1 stays a false positive of class 1. Counts have no such pixel, so
    the monai convention is the evaluation with the void pixels zeroed (documented)."""
    metrics = _import("monai.metrics")
    target = np.array([[[0, 1, 1, 2]]])
    pred = np.array([[[1, 1, 1, 2]]])
    everywhere = np.ones(target.shape, dtype=bool)
    with quiet():
        metric = metrics.MeanIoU(ignore_index=0)
        metric(_one_hot(pred, 3, everywhere).float(), _one_hot(target, 3, everywhere).float())
        monai_value = float(metric.aggregate()[0])
    counts = multiclass_counts(pred, target, num_classes=3, ignore_index=0, per_sample=True)
    # class 1: MONAI 2 / 3 (the void pixel predicted 1 is a false positive), ioukit 2 / 2
    assert monai_value == pytest.approx((2 / 3 + 1) / 2)
    assert mean_iou_from_counts(counts, convention="monai") == 1.0
    assert ref_monai(pred, target, 3, (0,)) == 1.0
