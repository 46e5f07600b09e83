"""Dataset evaluation of segmentation label maps: a streaming evaluator and its result.

The evaluator's state is one :class:`~ioukit.Counts` of exact int64 multiclass counts. It
carries the ``(C, C)`` confusion matrix summed over every image (rows = target, columns =
prediction) and, with ``per_image=True``, each image's tp, fp, fn and tn per class (their sum
is the image's valid pixel count) and name; with ``per_image=False``, dataset-level counts and
the number of images. Memory grows with the number of images (``O(N·C)``), never with pixels.
Merging evaluators, saving them (JSON or ``.npz``; the format is described in
:mod:`ioukit._segmentation_state`), loading them and summing them across ``torch.distributed``
ranks all handle that one object; merging is integer addition (exact, associative,
commutative).

Every number of a :class:`SegmentationResult` is a reduction of those counts by
:mod:`ioukit.core.reduce`; the averaging conventions of other libraries are presets of
:mod:`ioukit.core.conventions`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import replace
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

from ioukit._errors import InputError, MissingDependencyError, ParameterError, StateError
from ioukit._segmentation_result import QUALITY_BANDS, SegmentationResult, _rows, quality_band
from ioukit._segmentation_state import (
    CONFIG_KEYS,
    parse_boundary,
    parse_state,
    read_state,
    state_dict,
    write_state,
)
from ioukit._xp import Array, namespace, to_numpy
from ioukit.core._checks import check_ignore_index, check_num_classes
from ioukit.core.counts import Counts, confusion_per_sample
from ioukit.geometry.boundary import class_band_counts

__all__ = [
    "QUALITY_BANDS",
    "SegmentationEvaluator",
    "SegmentationResult",
    "mean_iou",
    "quality_band",
]

NDArray = np.ndarray[Any, Any]


class SegmentationEvaluator:
    """Streaming evaluator of segmentation label maps.

    The configuration is checked once, here; :meth:`update` checks only the data it gets. The
    whole state is one :class:`~ioukit.Counts` (:attr:`counts`): merged by :meth:`merge`
    (``+``), saved by :meth:`save` / :meth:`state_dict`, summed across ranks by
    :meth:`all_reduce`.

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
    boundary : float, optional
        Also count Boundary IoU per class with this dilation ratio (0.02 as detectron2's
        ``SemSegEvaluator``; 2-D maps only): in each image, the inner bands
        (:func:`~ioukit.boundary_band`) of ``pred == c`` and ``target == c``; their
        intersection, and each band's pixels, are summed over the dataset and divided once
        (:attr:`SegmentationResult.boundary_iou`). Ignored target pixels are no boundary and
        are not counted. detectron2 erodes the label map itself rather than each class's mask,
        so its ``BoundaryIoU-{class}`` equals this only for 0/1 maps (class 1).

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
    >>> ev.counts.tp.tolist(), ev.counts.confusion_matrix.tolist()  # one image: (1, C)
    ([[1, 3, 0]], [[1, 1, 0], [0, 3, 0], [0, 0, 0]])
    """

    def __init__(
        self,
        num_classes: int,
        *,
        ignore_index: int | Sequence[int] | None = None,
        class_names: Sequence[str] | dict[int, str] | None = None,
        per_image: bool = True,
        spatial_dims: int = 2,
        boundary: float | None = None,
    ) -> None:
        func = "SegmentationEvaluator"
        self.num_classes = check_num_classes(func, num_classes)
        self.ignore_index = check_ignore_index(func, ignore_index)
        self.class_names = _class_names(func, class_names, self.num_classes)
        if not isinstance(per_image, (bool, np.bool_)):
            raise ParameterError(f"{func}: `per_image` must be True or False; got {per_image!r}.")
        self.per_image = bool(per_image)
        if (
            isinstance(spatial_dims, bool)
            or not isinstance(spatial_dims, Integral)
            or spatial_dims not in (1, 2, 3)
        ):
            raise ParameterError(f"{func}: `spatial_dims` must be 1, 2 or 3; got {spatial_dims!r}.")
        self.spatial_dims: int = int(spatial_dims)
        self.boundary: float | None = _check_boundary(func, boundary, self.spatial_dims)
        # classes in ignore_index: NaN scores, left out of every mean
        self.ignored_classes: tuple[int, ...] = tuple(
            v for v in self.ignore_index if 0 <= v < self.num_classes
        )
        self.reset()

    def reset(self) -> None:
        """Forget every image."""
        c = self.num_classes
        # the state is a few Counts parts, merged as they come (see _push) and into one
        # whenever it is read (see counts): the counts of no image to start with
        self._parts: list[Counts] = []
        self._bparts: list[Counts] = []
        self._add(np.zeros((0, c, c), dtype=np.int64), [])
        if self.boundary is not None:
            self._add_boundary(np.zeros((0, c, 3), dtype=np.int64), [])

    @property
    def counts(self) -> Counts:
        """The whole state: multiclass int64 :class:`~ioukit.Counts` with the confusion
        matrix; per-sample ``(N, C)`` with image names when ``per_image``, else dataset-level
        ``(C,)`` with ``num_samples``."""
        if len(self._parts) > 1:
            self._parts = [Counts.combine(self._parts)]
        return self._parts[0]

    @property
    def boundary_counts(self) -> Counts | None:
        """With the option ``boundary``: the bands' tp / fp / fn per class (tn 0), laid out as
        :attr:`counts` (per image when ``per_image``), without a confusion matrix; else
        ``None``."""
        return None if self.boundary is None else self._bcounts()

    def _bcounts(self) -> Counts:
        if len(self._bparts) > 1:
            self._bparts = [Counts.combine(self._bparts)]
        return self._bparts[0]

    @property
    def num_images(self) -> int:
        """Images seen so far."""
        return sum(int(p.num_samples or 0) for p in self._parts)

    @property
    def confusion_matrix(self) -> NDArray:
        """The ``(C, C)`` int64 confusion matrix so far (rows = target), a copy."""
        out: NDArray = np.sum([to_numpy(p.confusion_matrix) for p in self._parts], axis=0)
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
        xp, (pred, target) = namespace(pred, target, func=func)
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
        elif not batch:
            raise InputError(
                f"{func}: `target` must have {self.spatial_dims} dimensions (one image) or "
                f"{self.spatial_dims + 1} (a batch (N, ...)); got shape {tuple(target.shape)}. "
                "Set spatial_dims=3 for volumes."
            )
        n = int(target.shape[0])
        if isinstance(names, str):
            raise InputError(f"{func}: `names` must be a sequence of names; got the str {names!r}.")
        if names is not None and len(names) != n:
            raise InputError(f"{func}: got {len(names)} name(s) for a batch of {n} image(s).")
        stack = confusion_per_sample(
            func,
            xp,
            pred,
            target,
            num_classes=self.num_classes,
            ignore=self.ignore_index,
            class_axis=1 if pred.ndim == target.ndim + 1 else None,
        )
        cms = to_numpy(stack).astype(np.int64, copy=False)
        shown: list[str | None] = [None] * n if names is None else [str(v) for v in names]
        if self.boundary is not None:
            labels = xp.argmax(pred, axis=1) if pred.ndim == target.ndim + 1 else pred
            host_t = to_numpy(target)
            valid = ~np.isin(host_t, np.asarray(self.ignore_index, dtype=np.int64))
            counts = class_band_counts(
                to_numpy(labels), host_t, valid, self.num_classes, self.boundary
            )
            self._add_boundary(counts, shown)
        self._add(cms, shown)

    def add_confusion_matrix(
        self, confusion_matrix: Array, *, name: str | None = None
    ) -> dict[str, Any]:
        """Add one image given by its ``(C, C)`` confusion matrix (rows = target), e.g. from
        :func:`ioukit.multiclass_confusion_matrix` in a worker process.

        Returns that image's row (name, mIoU, pixel accuracy, quality, IoU per class), the
        same row :meth:`SegmentationResult.per_image_rows` gives, so a caller can stream it.
        """
        if self.boundary is not None:
            raise InputError(
                "SegmentationEvaluator.add_confusion_matrix: this evaluator counts Boundary IoU "
                f"(boundary={self.boundary}), which needs the label maps; use update(pred, "
                "target)."
            )
        cm = to_numpy(confusion_matrix)
        c = self.num_classes
        if cm.shape != (c, c) or not np.issubdtype(cm.dtype, np.integer) or (cm < 0).any():
            raise InputError(
                f"SegmentationEvaluator.add_confusion_matrix: expected a ({c}, {c}) matrix of "
                f"non-negative integers; got shape {cm.shape} and dtype {cm.dtype}."
            )
        shown = str(self.num_images) if name is None else str(name)
        image = self._add(cm.astype(np.int64, copy=False)[None], [None if name is None else shown])
        return _rows(image, (shown,), self.class_names)[0]

    def _add(self, cms: NDArray, names: list[str | None]) -> Counts:
        """Add ``(n, C, C)`` checked int64 per-image matrices; returns their per-image counts."""
        images = Counts.from_confusion_matrix(
            cms, ignored_classes=self.ignored_classes, keep_matrix=True
        )
        images = replace(images, sample_names=tuple(names))
        self._push(images if self.per_image else replace(images.total(), num_samples=len(names)))
        return images

    def _add_boundary(self, counts: NDArray, names: list[str | None]) -> None:
        """Add ``(n, C, 3)`` band counts (intersection, pred band, target band) per image."""
        inter, bp, bt = (counts[..., k] for k in range(3))
        images = Counts(
            tp=inter,
            fp=bp - inter,
            fn=bt - inter,
            tn=np.zeros_like(inter),
            task="multiclass",
            per_sample=True,
            ignored_classes=self.ignored_classes,
            sample_names=tuple(names),
        )
        self._bparts.append(
            images if self.per_image else replace(images.total(), num_samples=len(names))
        )

    def _push(self, part: Counts) -> None:
        """Append ``part``, merging the newest parts while the older holds at most twice the
        images of the newer (dataset-level parts: always). The parts stay few (``O(log N)``)
        and each image is copied ``O(log N)`` times, however the images come."""
        parts = self._parts
        parts.append(part)
        while len(parts) > 1 and (
            not self.per_image or parts[-2].tp.shape[0] <= 2 * parts[-1].tp.shape[0]
        ):
            parts[-2:] = [Counts.combine(parts[-2:])]

    # -- combining -----------------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        return {
            "num_classes": self.num_classes,
            "ignore_index": list(self.ignore_index),
            "class_names": list(self.class_names),
            "per_image": self.per_image,
            "spatial_dims": self.spatial_dims,
            **({} if self.boundary is None else {"boundary": self.boundary}),
        }

    def merge(self, other: SegmentationEvaluator) -> SegmentationEvaluator:
        """A new evaluator holding both evaluations (images of ``self`` first)."""
        if not isinstance(other, SegmentationEvaluator):
            raise InputError(
                f"SegmentationEvaluator.merge: expected a SegmentationEvaluator; got "
                f"{type(other).__name__}."
            )
        a, b = self._config(), other._config()
        diff = [k for k in {**a, **b} if a.get(k) != b.get(k)]
        if diff:
            raise InputError(
                "SegmentationEvaluator.merge: the evaluators differ in "
                f"{', '.join(diff)}; only evaluations with the same configuration can merge."
            )
        out = copy.copy(self)
        out._parts = [Counts.combine([self.counts, other.counts])]
        if self.boundary is not None:
            out._bparts = [Counts.combine([self._bcounts(), other._bcounts()])]
        return out

    def __add__(self, other: object) -> SegmentationEvaluator:
        if not isinstance(other, SegmentationEvaluator):
            return NotImplemented
        return self.merge(other)

    # -- persistence ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The whole state as plain Python data (JSON-safe): ``{"version": 2, "config": …,
        "counts": Counts.to_dict()}`` (see :mod:`ioukit._segmentation_state`)."""
        return state_dict(self._config(), self.counts, boundary_counts=self.boundary_counts)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Replace the state with one from :meth:`state_dict` (of this or an earlier version
        of ioukit) of an evaluator with the same configuration. A malformed state, or one of
        another configuration, raises :class:`ioukit._errors.StateError` (an
        :class:`~ioukit.InputError`)."""
        func = "SegmentationEvaluator.load_state_dict"
        self._load(func, *parse_state(func, state), _boundary_part(func, state))

    def _load(
        self, where: str, config: dict[str, Any], counts: Counts, boundary: Counts | None
    ) -> None:
        mine = self._config()
        diff = [k for k in (*CONFIG_KEYS, "boundary") if config.get(k) != mine.get(k)]
        if diff:
            details = "; ".join(f"{k}: {config.get(k)!r} saved, {mine.get(k)!r} here" for k in diff)
            raise StateError(
                f"{where}: the saved evaluation differs in {', '.join(diff)} from this evaluator "
                f"({details})."
            )
        got = _layout(counts)
        want = {
            "task": "multiclass",
            "per_sample": self.per_image,
            "num_classes": self.num_classes,
            "ignored_classes": self.ignored_classes,
            "dtype": "int64",
            "confusion_matrix": True,
            "sample_weight": False,
            "num_samples": True,
        }
        bad = [f"{k} ({got[k]!r}, expected {v!r})" for k, v in want.items() if got[k] != v]
        if bad:
            raise StateError(
                f"{where}: the saved counts do not fit its configuration (num_classes="
                f"{self.num_classes}, per_image={self.per_image}): they differ in "
                f"{', '.join(bad)}."
            )
        if boundary is not None and _layout(boundary)["per_sample"] != self.per_image:
            raise StateError(f"{where}: the saved boundary counts do not fit `per_image`.")
        self._parts = [counts]
        self._bparts = [boundary] if boundary is not None else []

    def save(self, path: str | Path) -> None:
        """Save the state to ``path``: JSON for ``.json``, NumPy's ``.npz`` otherwise (see
        :mod:`ioukit._segmentation_state`). Written to a temporary file, then renamed."""
        path = Path(path)
        json_file = path.suffix == ".json"
        write_state(
            path,
            state_dict(
                self._config(),
                self.counts,
                as_lists=json_file,
                boundary_counts=self.boundary_counts,
            ),
        )

    @classmethod
    def load(cls, path: str | Path) -> SegmentationEvaluator:
        """An evaluator restored from :meth:`save` (of this or an earlier version of ioukit).

        A file that is not such a state (empty, truncated, corrupt, of an unknown version, or
        a results summary from ``ioukit segment --json``) raises
        :class:`ioukit._errors.StateError` (an :class:`~ioukit.InputError`) naming the file
        and what is wrong with it.
        """
        path = Path(path)
        where = f"SegmentationEvaluator.load: {str(path)!r}"
        state = read_state(where, path)
        config, counts = parse_state(where, state)
        try:
            ev = cls(**config)
        except ParameterError as exc:
            raise StateError(f"{where}: the saved configuration is invalid: {exc}") from None
        ev._load(where, config, counts, _boundary_part(where, state))
        return ev

    # -- distributed ---------------------------------------------------------------------
    def all_reduce(self, group: Any = None) -> SegmentationEvaluator:
        """Sum the state across the ranks of ``torch.distributed`` (in place); every rank then
        holds the whole evaluation, per-image rows in rank order. Returns ``self``."""
        try:
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
        parts: list[Any] = [None] * dist.get_world_size(group)
        dist.all_gather_object(parts, (self._config(), self.counts, self.boundary_counts), group)
        mine = self._config()
        diff = sorted(
            {k for config, *_ in parts for k in {*config, *mine} if config.get(k) != mine.get(k)}
        )
        if diff:
            raise InputError(
                f"SegmentationEvaluator.all_reduce: the ranks' evaluators differ in "
                f"{', '.join(diff)}; every rank must evaluate with the same configuration."
            )
        self._parts = [Counts.combine([counts for _, counts, _ in parts])]
        if self.boundary is not None:
            self._bparts = [Counts.combine([b for *_, b in parts])]
        return self

    # -- result --------------------------------------------------------------------------
    def result(self) -> SegmentationResult:
        """Scores of everything seen so far."""
        state = self.counts
        n = self.num_images
        if n == 0:
            raise InputError("SegmentationEvaluator.result: no image has been added yet.")
        names = (state.sample_names or (None,) * n) if self.per_image else ()
        return SegmentationResult(
            num_classes=self.num_classes,
            class_names=self.class_names,
            ignore_index=self.ignore_index,
            counts=state.total(),
            per_image_counts=state if self.per_image else None,
            image_names=tuple(str(i) if v is None else v for i, v in enumerate(names)),
            boundary_counts=None if self.boundary is None else self._bcounts().total(),
        )


def _check_boundary(func: str, boundary: object, spatial_dims: int) -> float | None:
    if boundary is None:
        return None
    if (
        not isinstance(boundary, Real)
        or isinstance(boundary, bool)
        or not math.isfinite(float(boundary))
        or float(boundary) <= 0
    ):
        raise ParameterError(
            f"{func}: `boundary` must be None or a dilation ratio, a finite number > 0 (e.g. "
            f"0.02); got {boundary!r}."
        )
    if spatial_dims != 2:
        raise ParameterError(
            f"{func}: `boundary` needs 2-D label maps (spatial_dims=2); got spatial_dims="
            f"{spatial_dims}."
        )
    return float(boundary)


def _boundary_part(where: str, state: object) -> Counts | None:
    """The boundary counts of a state that :func:`parse_state` accepted."""
    return parse_boundary(where, state) if isinstance(state, dict) else None


def _layout(counts: Counts) -> dict[str, object]:
    """What :meth:`SegmentationEvaluator._load` checks of loaded counts."""
    return {
        "task": counts.task,
        "per_sample": counts.per_sample,
        "num_classes": counts.num_classes,
        "ignored_classes": counts.ignored_classes,
        "dtype": to_numpy(counts.tp).dtype.name,
        "confusion_matrix": counts.confusion_matrix is not None,
        "sample_weight": counts.sample_weight is not None,
        "num_samples": counts.num_samples is not None,
    }


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
