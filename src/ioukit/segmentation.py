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
from collections.abc import Sequence
from dataclasses import replace
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np

from ioukit._errors import InputError, MissingDependencyError, ParameterError, StateError
from ioukit._segmentation_boundary import (
    band_counts,
    boundary_part,
    check_boundary,
    check_boundary_convention,
)
from ioukit._segmentation_result import (
    QUALITY_BANDS,
    SegmentationResult,
    _rows,
    parse_quality_bands,
    quality_band,
)
from ioukit._segmentation_state import (
    CONFIG_KEYS,
    OPTIONAL_KEYS,
    class_names_of,
    parse_state,
    read_state,
    state_dict,
    write_state,
)
from ioukit._xp import Array, namespace, to_numpy
from ioukit.core._checks import check_ignore_index, check_num_classes
from ioukit.core.counts import Counts, confusion_per_sample

__all__ = [
    "QUALITY_BANDS",
    "SegmentationEvaluator",
    "SegmentationResult",
    "mean_iou",
    "parse_quality_bands",
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
        ``SemSegEvaluator``; 2-D maps only), ``d = max(1, round(ratio · diagonal))``; the
        counts are summed over the dataset and divided once
        (:attr:`SegmentationResult.boundary_iou`, NaN where the union is empty).
    boundary_convention : {"ioukit", "detectron2"}, default "ioukit"
        ``"ioukit"``, the metric's definition: in each image, the inner bands
        (:func:`~ioukit.boundary_band`) of the masks ``pred == c`` and ``target == c``.
        Ignored target pixels are no boundary and are not counted; ignored classes are NaN.
        ``"detectron2"`` reproduces detectron2's ``BoundaryIoU-{class}`` exactly: ignored
        target values become ``C``, each *label map* is eroded as a grey image (the minimum
        over a ``(2d + 1)²`` square, zeros outside), and ``B = labels - eroded`` is each
        pixel's label drop; "class ``c``" is then the IoU of the pixels with ``B_pred == c``
        and those with ``B_target == c``. It equals ``"ioukit"`` only for class 1 of 0/1
        maps: the interior of every region has drop 0 (class 0 gets a score even when
        absent), a class-2 pixel beside class 1 drops by 1 and counts for class 1. As
        detectron2 does, pairs of drops are numbered ``(C + 1)·B_pred + B_target`` in uint8,
        which wraps modulo 256 from 16 classes on and moves pixels into other classes'
        counts. Needs ``num_classes <= 254`` and predictions in ``[0, C)`` at every pixel;
        ignored classes get scores. Example, a 4×6 map (``d = 1``), target columns 0-2
        class 1 and 3-5 class 2, prediction all 2: ``"ioukit"`` class 1 has no predicted
        band (0.0), class 2's bands share 8 of 18 pixels (0.444), class 0 is NaN;
        ``"detectron2"`` gets 6/8 for drop 0 (the interiors), 0/10 for drop 1 and 8/16 for
        drop 2 (the predicted border ring, 16 pixels, against the 8 target pixels of class 2
        on the border). See the second example.

    Raises
    ------
    ParameterError
        If an option is outside its documented values, or ``boundary_convention`` is
        ``"detectron2"`` without ``boundary`` or with more than 254 classes.

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

    The two boundary conventions on the map described under ``boundary_convention``:

    >>> target = np.repeat([[1, 1, 1, 2, 2, 2]], 4, axis=0); pred = np.full((4, 6), 2)
    >>> for convention in ("ioukit", "detectron2"):
    ...     ev = SegmentationEvaluator(3, boundary=0.02, boundary_convention=convention)
    ...     ev.update(pred, target)
    ...     print(convention, ev.result().boundary_iou.round(4).tolist())
    ioukit [nan, 0.0, 0.4444]
    detectron2 [0.75, 0.0, 0.5]
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
        boundary_convention: str = "ioukit",
    ) -> None:
        func = "SegmentationEvaluator"
        self.num_classes = check_num_classes(func, num_classes)
        self.ignore_index = check_ignore_index(func, ignore_index)
        self.class_names = class_names_of(func, class_names, self.num_classes)
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
        self.boundary: float | None = check_boundary(func, boundary, self.spatial_dims)
        self.boundary_convention: str = check_boundary_convention(
            func, boundary_convention, self.boundary, self.num_classes
        )
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
            counts = band_counts(
                func,
                self.boundary_convention,
                to_numpy(labels),
                to_numpy(target),
                self.ignore_index,
                self.num_classes,
                self.boundary,
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
        kw = {"ignored_classes": self.ignored_classes, "keep_matrix": True}
        return self._push_images(Counts.from_confusion_matrix(cms, **kw), names)  # type: ignore[arg-type]

    def _add_image_counts(self, counts: NDArray, names: list[str]) -> list[dict[str, Any]]:
        """Add ``(n, 4, C)`` int64 per-image tp, fp, fn, tn without their matrices (the folder
        engine sums those apart, in a tree on a cluster: :meth:`_add_matrix`); their rows."""
        tp, fp, fn, tn = counts.transpose(1, 0, 2)
        zero = np.zeros((self.num_classes,) * 2, dtype=np.int64)
        images = Counts(tp, fp, fn, tn, task="multiclass", per_sample=True,
                        ignored_classes=self.ignored_classes, confusion_matrix=zero)  # fmt: skip
        return _rows(self._push_images(images, names), names, self.class_names)

    def _push_images(self, images: Counts, names: Sequence[str | None]) -> Counts:
        images = replace(images, sample_names=tuple(names))
        self._push(images if self.per_image else replace(images.total(), num_samples=len(names)))
        return images

    def _add_matrix(self, confusion_matrix: NDArray) -> None:
        """Add the confusion matrix of images added by :meth:`_add_image_counts`."""
        last = self._parts[-1]
        self._parts[-1] = replace(last, confusion_matrix=last.confusion_matrix + confusion_matrix)

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
            # detectron2 reports every class's boundary score, ignored ones too
            ignored_classes=self.ignored_classes if self.boundary_convention == "ioukit" else (),
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
            **(
                {}
                if self.boundary is None
                else {"boundary": self.boundary, "boundary_convention": self.boundary_convention}
            ),
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
            details = "; ".join(f"{k}: {a.get(k)!r} here, {b.get(k)!r} in `other`" for k in diff)
            raise InputError(
                "SegmentationEvaluator.merge: the evaluators differ in "
                f"{', '.join(diff)} ({details}); only evaluations with the same configuration "
                "can merge."
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
        self._load(func, *parse_state(func, state), boundary_part(func, state))

    def _load(
        self, where: str, config: dict[str, Any], counts: Counts, boundary: Counts | None
    ) -> None:
        mine = self._config()
        diff = [k for k in (*CONFIG_KEYS, *OPTIONAL_KEYS) if config.get(k) != mine.get(k)]
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
        ev._load(where, config, counts, boundary_part(where, state))
        return ev

    # -- distributed ---------------------------------------------------------------------
    def all_reduce(self, group: Any = None) -> SegmentationEvaluator:
        """Combine the state of every rank of ``torch.distributed`` (in place); every rank then
        holds the whole evaluation, per-image rows in rank order. Returns ``self``.

        The per-image counts are gathered with ``torch.distributed.all_gather_object``
        (pickled, so any backend works; with NCCL, call ``torch.cuda.set_device`` first), so
        the message grows with the number of images, ``4·C`` int64 per image. Every rank must
        use the same configuration. An image seen on two ranks is counted twice: PyTorch's
        ``DistributedSampler`` repeats images to even out the ranks unless the dataset's size
        divides by their number, so evaluate with a sampler that does not pad."""
        try:
            import torch.distributed as dist
        except ImportError as exc:  # pragma: no cover - depends on the environment
            from ioukit._errors import TORCH_HINT

            raise MissingDependencyError(
                f"SegmentationEvaluator.all_reduce needs PyTorch, which is not installed; "
                f"{TORCH_HINT}."
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
            boundary_convention=None if self.boundary is None else self.boundary_convention,
            boundary_ratio=self.boundary,
        )


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
    from ioukit.core.conventions import _preset  # its errors name this function

    ev = SegmentationEvaluator(
        num_classes,
        ignore_index=ignore_index,
        per_image=_preset("mean_iou", convention).per_image,
        spatial_dims=spatial_dims,
    )
    ev.update(pred, target)
    return ev.result().mean_iou(convention)
