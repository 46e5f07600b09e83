"""Dataset evaluation of segmentation label maps: a streaming evaluator and its result.

The state is exact integer counts: a ``(C, C)`` confusion matrix (rows = target, columns =
prediction) summed over every image, plus, when ``per_image=True``, each image's true/false
positives and false negatives per class. Memory grows with the number of images (``O(N·C)``),
never with pixels. Evaluators merge by integer addition (exact, associative, commutative), save
to JSON or ``.npz`` and resume, and sum across ``torch.distributed`` ranks.

Every number of a :class:`SegmentationResult` is a reduction of those counts by
:mod:`ioukit.core.reduce`; the averaging conventions of other libraries are presets of
:mod:`ioukit.core.conventions`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ioukit._errors import InputError, MissingDependencyError, ParameterError
from ioukit._xp import Array, namespace, to_numpy
from ioukit.core._checks import check_ignore_index, check_num_classes
from ioukit.core.counts import Counts, multiclass_confusion_matrix
from ioukit.core.reduce import accuracy, dice, jaccard, nanmean, precision, recall

__all__ = [
    "QUALITY_BANDS",
    "SegmentationEvaluator",
    "SegmentationResult",
    "mean_iou",
    "quality_band",
]

QUALITY_BANDS: tuple[tuple[float, str], ...] = ((0.95, "excellent"), (0.7, "good"))
"""IoU above 0.95 is "excellent", above 0.7 "good", anything else "poor" (NaN: "n/a")."""

_STATE_VERSION = 1
NDArray = np.ndarray[Any, Any]


def quality_band(iou: float) -> str:
    """The quality band of one IoU value (see :data:`QUALITY_BANDS`).

    >>> quality_band(0.97), quality_band(0.8), quality_band(0.2), quality_band(float("nan"))
    ('excellent', 'good', 'poor', 'n/a')
    """
    if math.isnan(iou):
        return "n/a"
    for bound, name in QUALITY_BANDS:
        if iou > bound:
            return name
    return "poor"


def _image_scores(counts: Counts) -> dict[str, NDArray]:
    """Per-image scores of per-sample multiclass counts ``(N, C)``: IoU per class, mIoU (NaN
    classes skipped) and pixel accuracy — all through the reduce module."""
    per_class = np.asarray(jaccard(counts, average="none"), dtype=np.float64)  # ignored: NaN
    # pixel accuracy of each image: its classes summed into one (ignored classes have no
    # target pixels, so they add nothing to tp or fn)
    tp, fp, fn = (np.sum(a, axis=1, keepdims=True) for a in (counts.tp, counts.fp, counts.fn))
    pixels = Counts(tp, fp, fn, np.zeros_like(tp), task="multiclass", per_sample=True)
    return {
        "iou": per_class,
        "miou": np.asarray(nanmean(per_class, axis=1)),
        "pixel_accuracy": np.asarray(accuracy(pixels, average="none"))[:, 0],
    }


@dataclass(frozen=True, eq=False)
class SegmentationResult:
    """Scores of a segmentation evaluation, all derived from its exact counts.

    Per class (arrays of shape ``(C,)``): ``iou``, ``dice``, ``precision``, ``recall`` (= class
    accuracy), ``support`` (target pixels), ``tp``, ``fp``, ``fn``. Summary: ``miou``, ``mdice``,
    ``pixel_accuracy`` (aAcc), ``mean_accuracy`` (mAcc), ``fw_iou`` (frequency-weighted IoU).
    NaN marks an undefined score; :attr:`nan_reasons` says why. Means skip NaN classes.
    """

    num_classes: int
    class_names: tuple[str, ...]
    ignore_index: tuple[int, ...]
    confusion_matrix: NDArray
    counts: Counts
    per_image_counts: Counts | None = None
    image_names: tuple[str, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- per class -----------------------------------------------------------------------
    @property
    def iou(self) -> NDArray:
        return np.asarray(jaccard(self.counts, average="none"))

    @property
    def dice(self) -> NDArray:
        return np.asarray(dice(self.counts, average="none"))

    @property
    def precision(self) -> NDArray:
        return np.asarray(precision(self.counts, average="none"))

    @property
    def recall(self) -> NDArray:
        return np.asarray(recall(self.counts, average="none"))

    @property
    def support(self) -> NDArray:
        return np.asarray(self.counts.support)

    @property
    def tp(self) -> NDArray:
        return np.asarray(self.counts.tp)

    @property
    def fp(self) -> NDArray:
        return np.asarray(self.counts.fp)

    @property
    def fn(self) -> NDArray:
        return np.asarray(self.counts.fn)

    @property
    def nan_reasons(self) -> dict[int, str]:
        """Why a class's IoU is NaN: ``"ignored"`` (its target pixels are removed by
        ``ignore_index``) or ``"absent"`` (in neither target nor prediction)."""
        reasons: dict[int, str] = {}
        for c in range(self.num_classes):
            if c in self.counts.ignored_classes:
                reasons[c] = "ignored"
            elif self.tp[c] + self.fp[c] + self.fn[c] == 0:
                reasons[c] = "absent"
        return reasons

    @property
    def class_quality(self) -> list[str]:
        """Quality band of each class's IoU."""
        return [quality_band(float(v)) for v in self.iou]

    # -- summary -------------------------------------------------------------------------
    @property
    def miou(self) -> float:
        """Dataset-level mean IoU over classes, absent and ignored classes skipped."""
        return float(jaccard(self.counts, average="macro"))

    @property
    def mdice(self) -> float:
        return float(dice(self.counts, average="macro"))

    @property
    def pixel_accuracy(self) -> float:
        """Fraction of (non-ignored) pixels labelled correctly (aAcc)."""
        return float(accuracy(self.counts, average="micro"))

    @property
    def mean_accuracy(self) -> float:
        """Mean class accuracy (mAcc): mean over classes of tp / (tp + fn)."""
        return float(accuracy(self.counts, average="macro"))

    @property
    def fw_iou(self) -> float:
        """Frequency-weighted IoU: per-class IoU weighted by target pixels (support)."""
        return float(jaccard(self.counts, average="weighted"))

    # -- conventions ---------------------------------------------------------------------
    def mean_iou(self, convention: str = "ioukit") -> float:
        """The mean IoU under a named convention (see :mod:`ioukit.core.conventions`)."""
        from ioukit.core.conventions import mean_iou_from_counts

        return mean_iou_from_counts(self.counts, self.per_image_counts, convention=convention)

    def conventions(self) -> dict[str, float | None]:
        """Every convention's mean IoU side by side; ``None`` where a convention cannot be
        computed for this evaluation (see :meth:`convention_notes` for why)."""
        return {name: value for name, (value, _) in self._conventions().items()}

    def convention_notes(self) -> dict[str, str]:
        """Why a convention has no value: e.g. it needs per-image counts, or the library it
        reproduces cannot take this evaluation's void classes."""
        return {name: note for name, (value, note) in self._conventions().items() if note}

    def _conventions(self) -> dict[str, tuple[float | None, str]]:
        from ioukit.core.conventions import CONVENTIONS

        if "conventions" not in self._cache:
            out: dict[str, tuple[float | None, str]] = {}
            for name in CONVENTIONS:
                try:
                    out[name] = (self.mean_iou(name), "")
                except ParameterError as exc:  # the convention's own explanation
                    out[name] = (None, str(exc))
            self._cache["conventions"] = out
        return self._cache["conventions"]  # type: ignore[no-any-return]

    # -- per image -----------------------------------------------------------------------
    def _images(self) -> dict[str, NDArray]:
        if self.per_image_counts is None:
            raise ParameterError(
                "SegmentationResult: per-image scores need per_image=True in the evaluator."
            )
        if "images" not in self._cache:
            self._cache["images"] = _image_scores(self.per_image_counts)
        return self._cache["images"]  # type: ignore[no-any-return]

    @property
    def per_image_iou(self) -> NDArray:
        """``(N, C)`` IoU of each class in each image (NaN where absent from both)."""
        return self._images()["iou"]

    @property
    def per_image_miou(self) -> NDArray:
        """``(N,)`` mean IoU of each image over the classes defined in it."""
        return self._images()["miou"]

    @property
    def per_image_accuracy(self) -> NDArray:
        """``(N,)`` pixel accuracy of each image."""
        return self._images()["pixel_accuracy"]

    @property
    def image_quality(self) -> list[str]:
        """Quality band of each image's mIoU."""
        return [quality_band(float(v)) for v in self.per_image_miou]

    def per_image_rows(self) -> list[dict[str, Any]]:
        """One dict per image: name, mIoU, pixel accuracy, quality, IoU per class."""
        return _rows(self._images(), self.image_names, self.class_names)

    # -- export --------------------------------------------------------------------------
    def per_class_rows(self) -> list[dict[str, Any]]:
        """One dict per class: id, name, IoU, Dice, precision, recall, support, tp, fp, fn,
        quality and, where the IoU is NaN, the reason."""
        reasons = self.nan_reasons
        iou, dsc, prec, rec = self.iou, self.dice, self.precision, self.recall
        return [
            {
                "id": c,
                "name": self.class_names[c],
                "iou": _num(iou[c]),
                "dice": _num(dsc[c]),
                "precision": _num(prec[c]),
                "recall": _num(rec[c]),
                "support": int(self.support[c]),
                "tp": int(self.tp[c]),
                "fp": int(self.fp[c]),
                "fn": int(self.fn[c]),
                "quality": quality_band(float(iou[c])),
                "nan_reason": reasons.get(c),
            }
            for c in range(self.num_classes)
        ]

    def summary(self) -> dict[str, float | None]:
        """The headline numbers (NaN as ``None``)."""
        return {
            "miou": _num(self.miou),
            "mdice": _num(self.mdice),
            "pixel_accuracy": _num(self.pixel_accuracy),
            "mean_accuracy": _num(self.mean_accuracy),
            "fw_iou": _num(self.fw_iou),
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary: configuration, confusion matrix, per-class rows, summary,
        every convention's mIoU and (when kept) per-image rows. NaN becomes ``None``."""
        out: dict[str, Any] = {
            "config": {
                "num_classes": self.num_classes,
                "class_names": list(self.class_names),
                "ignore_index": list(self.ignore_index),
                "ignored_classes": list(self.counts.ignored_classes),
                "averaging": "dataset-level; classes with no target and no prediction pixels "
                "and ignored classes are left out of means",
                "confusion_matrix_layout": "rows = target, columns = prediction",
                "num_images": len(self.image_names) if self.per_image_counts is not None else None,
            },
            "summary": self.summary(),
            "conventions": {k: _num(v) for k, v in self.conventions().items()},
            "per_class": self.per_class_rows(),
            "confusion_matrix": self.confusion_matrix.tolist(),
        }
        if self.per_image_counts is not None:
            out["per_image"] = self.per_image_rows()
        return out

    def to_frame(self) -> Any:
        """The per-class table as a pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise MissingDependencyError(
                "SegmentationResult.to_frame needs pandas: pip install pandas"
            ) from exc
        return pd.DataFrame(self.per_class_rows()).set_index("id")

    def __str__(self) -> str:
        rows = self.per_class_rows()
        width = max(5, *(len(r["name"]) for r in rows))
        head = (
            f"{'class':<{width}}  {'IoU':>7}  {'Dice':>7}  {'Prec':>7}  {'Recall':>7}  "
            f"{'support':>12}  quality"
        )
        lines = [head, "-" * len(head)]
        for r in rows:
            note = f"  ({r['nan_reason']})" if r["nan_reason"] else ""
            lines.append(
                f"{r['name']:<{width}}  {_fmt(r['iou'])}  {_fmt(r['dice'])}  "
                f"{_fmt(r['precision'])}  {_fmt(r['recall'])}  {r['support']:>12}  "
                f"{r['quality']}{note}"
            )
        lines.append("-" * len(head))
        s = self.summary()
        lines.append(
            f"mIoU {_fmt(s['miou'])}   mDice {_fmt(s['mdice'])}   aAcc "
            f"{_fmt(s['pixel_accuracy'])}   mAcc {_fmt(s['mean_accuracy'])}   fwIoU "
            f"{_fmt(s['fw_iou'])}"
        )
        return "\n".join(lines)


def _rows(
    images: dict[str, NDArray] | Counts, names: Sequence[str], class_names: Sequence[str]
) -> list[dict[str, Any]]:
    """Per-image table rows from :func:`_image_scores` output (or per-sample counts)."""
    if isinstance(images, Counts):
        images = _image_scores(images)
    rows = []
    for i, name in enumerate(names):
        row: dict[str, Any] = {
            "image": name,
            "miou": _num(images["miou"][i]),
            "pixel_accuracy": _num(images["pixel_accuracy"][i]),
            "quality": quality_band(float(images["miou"][i])),
        }
        for c, cname in enumerate(class_names):
            row[f"iou_{cname}"] = _num(images["iou"][i, c])
        rows.append(row)
    return rows


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f


def _fmt(v: float | None) -> str:
    return f"{'nan':>7}" if v is None else f"{v:7.4f}"


class SegmentationEvaluator:
    """Streaming evaluator of segmentation label maps.

    Parameters
    ----------
    num_classes : int
        Number of classes ``C``; labels must lie in ``[0, C)`` or in ``ignore_index``.
    ignore_index : int or sequence of int, optional
        Target values whose pixels are left out (e.g. 255). A value inside ``[0, C)`` also
        removes that class from every mean.
    class_names : sequence of str or mapping id → name, optional
        Names for reports; default ``"0"``, ``"1"``, ….
    per_image : bool, default True
        Keep each image's counts (``O(N·C)`` memory) for per-image scores and per-image
        conventions.
    spatial_dims : int, default 2
        Dimensions of one image: 2 for ``(H, W)`` maps, 3 for ``(D, H, W)`` volumes. An input
        with one more dimension is a batch ``(N, ...)``.

    Examples
    --------
    >>> import numpy as np
    >>> ev = SegmentationEvaluator(3, ignore_index=255)
    >>> target = np.array([[0, 0, 1], [1, 1, 255]])
    >>> pred = np.array([[0, 1, 1], [1, 1, 0]])
    >>> ev.update(pred, target)
    >>> r = ev.result()
    >>> r.iou.round(4).tolist()  # class 0: 1/2, class 1: 3/4, class 2 absent
    [0.5, 0.75, nan]
    >>> round(r.miou, 4), r.nan_reasons
    (0.625, {2: 'absent'})
    """

    def __init__(
        self,
        num_classes: int,
        *,
        ignore_index: int | Sequence[int] | None = None,
        class_names: Sequence[str] | dict[int, str] | None = None,
        per_image: bool = True,
        spatial_dims: int = 2,
    ) -> None:
        func = "SegmentationEvaluator"
        self.num_classes = check_num_classes(func, num_classes)
        self.ignore_index = check_ignore_index(func, ignore_index)
        self.class_names = _class_names(func, class_names, self.num_classes)
        self.per_image = bool(per_image)
        if spatial_dims not in (1, 2, 3):
            raise ParameterError(f"{func}: `spatial_dims` must be 1, 2 or 3; got {spatial_dims!r}.")
        self.spatial_dims = int(spatial_dims)
        self.reset()

    @property
    def ignored_classes(self) -> tuple[int, ...]:
        return tuple(v for v in self.ignore_index if 0 <= v < self.num_classes)

    def reset(self) -> None:
        """Forget every image."""
        c = self.num_classes
        self._cm: NDArray = np.zeros((c, c), dtype=np.int64)
        self._images: list[NDArray] = []  # (n_i, 4, C): tp, fp, fn, valid pixels (broadcast)
        self._names: list[str | None] = []  # None: unnamed, shown as the image's index
        self._count = 0

    @property
    def num_images(self) -> int:
        """Images seen so far."""
        return self._count

    @property
    def confusion_matrix(self) -> NDArray:
        """The ``(C, C)`` int64 confusion matrix so far (rows = target)."""
        out: NDArray = self._cm.copy()
        return out

    # -- updating ------------------------------------------------------------------------
    def update(self, pred: Array, target: Array, *, names: Sequence[str] | None = None) -> None:
        """Add one label map ``(H, W)`` / ``(D, H, W)`` or a batch ``(N, ...)``.

        ``pred`` holds integer labels with the shape of ``target``, or class scores with one
        extra axis (``(C, ...)`` for one image, ``(N, C, ...)`` for a batch) that are argmaxed.
        NumPy arrays are counted by the CPU kernels, tensors on their own device; only the
        small per-image count matrices leave the device.
        """
        func = "SegmentationEvaluator.update"
        _, (pred, target) = namespace(pred, target, func=func)
        batch = target.ndim == self.spatial_dims + 1
        if pred.ndim == target.ndim + 1:  # class scores: (C, ...) or (N, C, ...)
            label_shape = (pred.shape[0], *pred.shape[2:]) if batch else tuple(pred.shape[1:])
        else:
            label_shape = tuple(pred.shape)
        if tuple(label_shape) != tuple(target.shape):
            raise InputError(
                f"{func}: `pred` {tuple(pred.shape)} does not match `target` "
                f"{tuple(target.shape)}; pred must be labels of the same shape, or class scores "
                "with the class axis first ((C, H, W) for one image, (N, C, H, W) for a batch)."
            )
        if target.ndim == self.spatial_dims:
            pred, target = pred[None, ...], target[None, ...]
        elif target.ndim != self.spatial_dims + 1:
            raise InputError(
                f"{func}: `target` must have {self.spatial_dims} dimensions (one image) or "
                f"{self.spatial_dims + 1} (a batch (N, ...)); got shape {tuple(target.shape)}. "
                "Set spatial_dims=3 for volumes."
            )
        class_axis = 1 if pred.ndim == target.ndim + 1 else None
        stack = multiclass_confusion_matrix(
            pred,
            target,
            num_classes=self.num_classes,
            ignore_index=self.ignore_index,
            class_axis=class_axis,
            per_sample=True,
        )
        cms = to_numpy(stack).astype(np.int64, copy=False)
        if names is not None and len(names) != cms.shape[0]:
            raise InputError(
                f"{func}: got {len(names)} name(s) for a batch of {cms.shape[0]} image(s)."
            )
        self._add(cms, [None] * cms.shape[0] if names is None else [str(n) for n in names])

    def _add(self, cms: NDArray, names: list[str | None]) -> NDArray:
        """Add ``(n, C, C)`` validated int64 matrices; returns their ``(n, 4, C)`` counts."""
        images = _image_counts(cms)
        self._cm += cms.sum(axis=0)
        if self.per_image:
            self._images.append(images)
            self._names.extend(names)
        self._count += cms.shape[0]
        return images

    def add_confusion_matrix(
        self, confusion_matrix: Array, *, name: str | None = None
    ) -> dict[str, Any]:
        """Add one image given by its ``(C, C)`` confusion matrix (rows = target), e.g. from
        :func:`ioukit.multiclass_confusion_matrix` in a worker process.

        Returns that image's row (name, mIoU, pixel accuracy, quality, IoU per class), the
        same row :meth:`SegmentationResult.per_image_rows` gives, so a caller can stream it.
        """
        cm = to_numpy(confusion_matrix)
        c = self.num_classes
        if cm.shape != (c, c) or not np.issubdtype(cm.dtype, np.integer) or (cm < 0).any():
            raise InputError(
                f"SegmentationEvaluator.add_confusion_matrix: expected a ({c}, {c}) matrix of "
                f"non-negative integers; got shape {cm.shape} and dtype {cm.dtype}."
            )
        shown = str(self._count) if name is None else str(name)
        image = self._add(cm.astype(np.int64, copy=False)[None], [None if name is None else shown])
        return _rows(_per_image_counts(image, self.ignored_classes), (shown,), self.class_names)[0]

    # -- combining -----------------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        return {
            "num_classes": self.num_classes,
            "ignore_index": list(self.ignore_index),
            "class_names": list(self.class_names),
            "per_image": self.per_image,
            "spatial_dims": self.spatial_dims,
        }

    def merge(self, other: SegmentationEvaluator) -> SegmentationEvaluator:
        """A new evaluator holding both evaluations (images of ``self`` first)."""
        if not isinstance(other, SegmentationEvaluator):
            raise InputError(
                f"SegmentationEvaluator.merge: expected a SegmentationEvaluator; got "
                f"{type(other).__name__}."
            )
        a, b = self._config(), other._config()
        diff = [k for k in a if a[k] != b[k]]
        if diff:
            raise InputError(
                "SegmentationEvaluator.merge: the evaluators differ in "
                f"{', '.join(diff)}; only evaluations with the same configuration can merge."
            )
        out = SegmentationEvaluator.__new__(SegmentationEvaluator)
        out.__dict__.update({k: v for k, v in self.__dict__.items() if not k.startswith("_")})
        out._cm = self._cm + other._cm
        out._images = [*self._images, *other._images]
        out._names = [*self._names, *other._names]
        out._count = self._count + other._count
        return out

    def __add__(self, other: object) -> SegmentationEvaluator:
        if not isinstance(other, SegmentationEvaluator):
            return NotImplemented
        return self.merge(other)

    def _per_image_array(self) -> NDArray:
        if not self._images:
            return np.zeros((0, 4, self.num_classes), dtype=np.int64)
        if len(self._images) > 1:
            self._images = [np.concatenate(self._images)]
        out: NDArray = self._images[0]
        return out

    # -- persistence ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The whole state as plain Python data (JSON-safe)."""
        state: dict[str, Any] = {
            "version": _STATE_VERSION,
            "config": self._config(),
            "num_images": self._count,
            "confusion_matrix": self._cm.tolist(),
        }
        if self.per_image:
            state["per_image"] = self._per_image_array().tolist()
            state["image_names"] = list(self._names)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Replace the state with one from :meth:`state_dict` of an evaluator with the same
        configuration."""
        func = "SegmentationEvaluator.load_state_dict"
        if state.get("version") != _STATE_VERSION:
            raise InputError(f"{func}: unknown state version {state.get('version')!r}.")
        config = dict(state["config"])
        if config != self._config():
            diff = [k for k in config if config[k] != self._config().get(k)]
            raise InputError(
                f"{func}: the saved evaluation differs in {', '.join(diff)} from this evaluator."
            )
        cm = np.asarray(state["confusion_matrix"], dtype=np.int64)
        c = self.num_classes
        per = np.asarray(state.get("per_image", []), dtype=np.int64)
        if self.per_image:
            per = per.reshape((-1, 4, c))
        names = [None if n is None else str(n) for n in state.get("image_names", [])]
        if cm.shape != (c, c) or (self.per_image and len(names) != per.shape[0]):
            raise InputError(f"{func}: the saved state is inconsistent (shapes do not match).")
        self._cm = cm
        self._images = [per] if self.per_image and per.shape[0] else []
        self._names = names
        self._count = int(state["num_images"])

    def save(self, path: str | Path) -> None:
        """Save the state to ``path``: JSON for ``.json``, NumPy's ``.npz`` otherwise."""
        path = Path(path)
        state = self.state_dict()
        if path.suffix == ".json":
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(json.dumps(state))
            tmp.replace(path)  # atomic: a crash never leaves half a checkpoint
            return
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                state=np.frombuffer(
                    json.dumps({k: v for k, v in state.items() if k != "per_image"}).encode(),
                    dtype=np.uint8,
                ),
                per_image=self._per_image_array(),
            )

    @classmethod
    def load(cls, path: str | Path) -> SegmentationEvaluator:
        """An evaluator restored from :meth:`save`."""
        path = Path(path)
        if path.suffix == ".json":
            state = json.loads(path.read_text())
        else:
            with np.load(path) as data:
                state = json.loads(bytes(data["state"]).decode())
                state["per_image"] = data["per_image"]
        config = state["config"]
        ev = cls(
            config["num_classes"],
            ignore_index=config["ignore_index"],
            class_names=config["class_names"],
            per_image=config["per_image"],
            spatial_dims=config["spatial_dims"],
        )
        ev.load_state_dict(state)
        return ev

    # -- distributed ---------------------------------------------------------------------
    def all_reduce(self, group: Any = None) -> SegmentationEvaluator:
        """Sum the state across the ranks of ``torch.distributed`` (in place); every rank then
        holds the whole evaluation, per-image rows in rank order. Returns ``self``."""
        try:
            import torch
            import torch.distributed as dist
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise MissingDependencyError(
                "SegmentationEvaluator.all_reduce needs PyTorch: pip install 'ioukit[torch]'"
            ) from exc
        if not dist.is_available() or not dist.is_initialized():
            raise InputError(
                "SegmentationEvaluator.all_reduce: torch.distributed is not initialised; call "
                "torch.distributed.init_process_group first."
            )
        device = "cuda" if dist.get_backend(group) == "nccl" else "cpu"
        cm = torch.as_tensor(self._cm, device=device)
        dist.all_reduce(cm, op=dist.ReduceOp.SUM, group=group)
        self._cm = cm.cpu().numpy().astype(np.int64)
        parts: list[Any] = [None] * dist.get_world_size(group)
        dist.all_gather_object(parts, (self._per_image_array(), self._names, self._count), group)
        arrays = [p[0] for p in parts if p[0].shape[0]]
        self._images = [np.concatenate(arrays)] if arrays else []
        self._names = [n for p in parts for n in p[1]]
        self._count = sum(p[2] for p in parts)
        return self

    # -- result --------------------------------------------------------------------------
    def result(self) -> SegmentationResult:
        """Scores of everything seen so far."""
        if self._count == 0:
            raise InputError("SegmentationEvaluator.result: no image has been added yet.")
        ignored = self.ignored_classes
        counts = Counts.from_confusion_matrix(self._cm, ignored_classes=ignored)
        per_image = None
        if self.per_image:
            per_image = _per_image_counts(self._per_image_array(), ignored)
        return SegmentationResult(
            num_classes=self.num_classes,
            class_names=self.class_names,
            ignore_index=self.ignore_index,
            confusion_matrix=self._cm.copy(),
            counts=counts,
            per_image_counts=per_image,
            image_names=tuple(str(i) if n is None else n for i, n in enumerate(self._names)),
        )


def _per_image_counts(arr: NDArray, ignored: tuple[int, ...]) -> Counts:
    """Per-sample Counts from the ``(n, 4, C)`` per-image state."""
    tp, fp, fn, valid = arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]
    return Counts(
        tp,
        fp,
        fn,
        valid - tp - fp - fn,
        task="multiclass",
        per_sample=True,
        ignored_classes=ignored,
    )


def _image_counts(cms: NDArray) -> NDArray:
    """``(n, C, C)`` per-image confusion matrices → ``(n, 4, C)``: tp, fp, fn and the image's
    valid pixel count (repeated per class, so the array stays rectangular)."""
    tp = np.diagonal(cms, axis1=1, axis2=2)
    fp = cms.sum(axis=1) - tp
    fn = cms.sum(axis=2) - tp
    valid = np.broadcast_to(cms.sum(axis=(1, 2))[:, None], tp.shape)
    return np.stack([tp, fp, fn, valid], axis=1).astype(np.int64)


def _class_names(func: str, names: object, c: int) -> tuple[str, ...]:
    if names is None:
        return tuple(str(i) for i in range(c))
    if isinstance(names, dict):
        out = [str(i) for i in range(c)]
        for k, v in names.items():
            if not isinstance(k, (int, np.integer)) and not (isinstance(k, str) and k.isdigit()):
                raise ParameterError(f"{func}: `class_names` keys must be class ids; got {k!r}.")
            if not 0 <= int(k) < c:
                raise ParameterError(
                    f"{func}: `class_names` has id {k} outside [0, {c}) (num_classes={c})."
                )
            out[int(k)] = str(v)
        return tuple(out)
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise ParameterError(
            f"{func}: `class_names` must be a sequence of names or a dict id → name; got "
            f"{type(names).__name__}."
        )
    if len(names) != c:
        raise ParameterError(
            f"{func}: `class_names` has {len(names)} names but num_classes is {c}."
        )
    return tuple(str(n) for n in names)


def mean_iou(
    pred: Array,
    target: Array,
    *,
    num_classes: int,
    ignore_index: int | Sequence[int] | None = None,
    convention: str = "ioukit",
    spatial_dims: int = 2,
) -> float:
    """Mean IoU of label maps under a named convention, in one call.

    ``pred`` and ``target`` are one image ``(H, W)`` or a batch ``(N, H, W)`` (volumes with
    ``spatial_dims=3``). ``convention="ioukit"`` is the dataset-level mean over classes present
    in target or prediction; the other names reproduce other libraries' numbers exactly (see
    :mod:`ioukit.core.conventions`).

    Examples
    --------
    >>> import numpy as np
    >>> target = np.zeros((2, 4, 4), dtype=np.uint8); target[0, 1:3, 1:3] = 1; target[1] = 1
    >>> pred = target.copy(); pred[1, 2:] = 0
    >>> round(mean_iou(pred, target, num_classes=3), 3)  # class 2 absent: (0.6 + 0.6) / 2
    0.6
    """
    from ioukit.core.conventions import needs_per_image

    ev = SegmentationEvaluator(
        num_classes,
        ignore_index=ignore_index,
        per_image=needs_per_image(convention),
        spatial_dims=spatial_dims,
    )
    ev.update(pred, target)
    return ev.result().mean_iou(convention)
