"""The result of a segmentation evaluation: every score, derived from exact counts.

:class:`SegmentationResult` holds the dataset-level :class:`~ioukit.Counts` (with the ``(C, C)``
confusion matrix) and, when kept, the per-image counts of a
:class:`~ioukit.SegmentationEvaluator`. Every number is a reduction of those counts by
:mod:`ioukit.core.reduce`; the averaging conventions of other libraries are presets of
:mod:`ioukit.core.conventions`. Public names are re-exported by :mod:`ioukit.segmentation`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from ioukit._errors import MissingDependencyError, ParameterError, StateError
from ioukit._quality_bands import (
    QUALITY_BANDS,
    Bands,
    check_quality_bands,
    describe_quality_bands,
    parse_quality_bands,
    quality_band,
)
from ioukit._result_faces import ResultFaces
from ioukit.core.counts import Counts
from ioukit.core.reduce import accuracy, dice, jaccard, nanmean, precision, recall

__all__ = ["QUALITY_BANDS", "SegmentationResult", "parse_quality_bands", "quality_band"]

NDArray = np.ndarray[Any, Any]


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
class SegmentationResult(ResultFaces):
    """Scores of a segmentation evaluation, all derived from its exact counts.

    Per class (arrays of shape ``(C,)``): ``iou``, ``dice``, ``precision``, ``recall`` (= class
    accuracy), ``support`` (target pixels), ``tp``, ``fp``, ``fn``. Summary: ``miou``, ``mdice``,
    ``pixel_accuracy`` (aAcc), ``mean_accuracy`` (mAcc), ``fw_iou`` (frequency-weighted IoU).
    NaN marks an undefined score; :attr:`nan_reasons` says why. Means skip NaN classes.
    ``quality_bands`` name the quality of an IoU (:func:`quality_band`; default
    :data:`QUALITY_BANDS`; :meth:`with_quality_bands` changes them).
    """

    _headline: ClassVar[str] = "miou"
    num_classes: int
    class_names: tuple[str, ...]
    ignore_index: tuple[int, ...]
    counts: Counts
    per_image_counts: Counts | None = None
    image_names: tuple[str, ...] = ()
    boundary_counts: Counts | None = None
    boundary_convention: str | None = None
    boundary_ratio: float | None = None
    quality_bands: Bands = QUALITY_BANDS
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def confusion_matrix(self) -> NDArray:
        """The ``(C, C)`` int64 confusion matrix (rows = target, columns = prediction), a copy
        of the one the counts carry."""
        return np.array(self.counts.confusion_matrix)

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
    def boundary_iou(self) -> NDArray | None:
        """``(C,)`` Boundary IoU per class (evaluator option ``boundary``): band intersection
        over band union, both summed over the dataset, then divided once; NaN where the union
        is empty. Under :attr:`boundary_convention` ``"ioukit"`` the bands are those of each
        class's masks, and ignored classes are NaN; under ``"detectron2"`` it is detectron2's
        ``b_iou`` (class ``c``: the pixels whose label drops by ``c`` across the band, see
        :class:`~ioukit.SegmentationEvaluator`). ``None`` without ``boundary``."""
        if self.boundary_counts is None:
            return None
        return np.asarray(jaccard(self.boundary_counts, average="none"))

    @property
    def mean_boundary_iou(self) -> float | None:
        """Mean of :attr:`boundary_iou` over classes, NaN classes skipped (``None`` without
        the evaluator option ``boundary``)."""
        if self.boundary_counts is None:
            return None
        return float(jaccard(self.boundary_counts, average="macro"))

    @property
    def class_quality(self) -> list[str]:
        """Quality band of each class's IoU (under :attr:`quality_bands`)."""
        return [quality_band(float(v), bands=self.quality_bands) for v in self.iou]

    def with_quality_bands(self, bands: Bands | str) -> SegmentationResult:
        """This result with other quality bands: every quality it reports (:attr:`class_quality`,
        :attr:`image_quality`, the rows, ``str()``, :meth:`to_dict`, the HTML report) uses them.

        A cheap copy: the counts and cached scores are shared, not copied.

        Parameters
        ----------
        bands : tuple of (float, str) or str
            ``(threshold, name)`` pairs, best first, or a text for :func:`parse_quality_bands`.

        Returns
        -------
        SegmentationResult

        Raises
        ------
        ParameterError
            Bands that :func:`parse_quality_bands` would not accept.

        Examples
        --------
        >>> import numpy as np, ioukit
        >>> ev = ioukit.SegmentationEvaluator(2)
        >>> ev.update(np.array([[0, 0, 1, 1]]), np.array([[0, 0, 0, 1]]))
        >>> r = ev.result()
        >>> r.iou.tolist(), r.class_quality
        ([0.6666666666666666, 0.5], ['poor', 'poor'])
        >>> r.with_quality_bands("0.95,0.6,0.4").class_quality
        ['good', 'fair']
        """
        where = "SegmentationResult.with_quality_bands: bands"
        checked = (
            parse_quality_bands(bands)
            if isinstance(bands, str)
            else check_quality_bands(bands, where=where)
        )
        return replace(self, quality_bands=checked, _cache=self._cache)

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
        """Quality band of each image's mIoU (under :attr:`quality_bands`)."""
        return [quality_band(float(v), bands=self.quality_bands) for v in self.per_image_miou]

    def per_image_rows(self) -> list[dict[str, Any]]:
        """One dict per image: name, mIoU, pixel accuracy, quality, IoU per class."""
        return _rows(self._images(), self.image_names, self.class_names, bands=self.quality_bands)

    def per_class_rows(self) -> list[dict[str, Any]]:
        """One dict per class: id, name, IoU, Dice, precision, recall, support, tp, fp, fn,
        quality and, where the IoU is NaN, the reason."""
        reasons = self.nan_reasons
        iou, dsc, prec, rec = self.iou, self.dice, self.precision, self.recall
        quality = self.class_quality
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
                "quality": quality[c],
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

    # -- export --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary: ``"kind": "segmentation"``, configuration, confusion
        matrix, per-class rows, summary, every convention's mIoU, Boundary IoU per class
        (evaluator option ``boundary``), (when kept) per-image rows, and ``"state"``: the exact
        counts (dataset, per image, boundary), names and options, from which
        :meth:`from_dict` rebuilds the result. NaN becomes ``None``."""
        out: dict[str, Any] = {
            "kind": "segmentation",
            "config": {
                "num_classes": self.num_classes,
                "class_names": list(self.class_names),
                "ignore_index": list(self.ignore_index),
                "ignored_classes": list(self.counts.ignored_classes),
                "averaging": "dataset-level; classes with no target and no prediction pixels "
                "and ignored classes are left out of means",
                "confusion_matrix_layout": "rows = target, columns = prediction",
                "num_images": len(self.image_names) if self.per_image_counts is not None else None,
                "quality_bands": [[t, n] for t, n in self.quality_bands],
            },
            "summary": self.summary(),
            "conventions": {k: _num(v) for k, v in self.conventions().items()},
            "per_class": self.per_class_rows(),
            "confusion_matrix": self.confusion_matrix.tolist(),
        }
        if self.boundary_counts is not None and self.boundary_iou is not None:
            out["boundary"] = {
                "dilation_ratio": self.boundary_ratio,
                "convention": self.boundary_convention,
                "iou": [_num(v) for v in self.boundary_iou],
                "mean_iou": _num(self.mean_boundary_iou),
            }
        if self.per_image_counts is not None:
            out["per_image"] = self.per_image_rows()
        out["state"] = self._state()
        return out

    def _state(self) -> dict[str, str]:
        from ioukit.stats._records import counts_to_state, pack

        meta: dict[str, Any] = {
            "num_classes": self.num_classes,
            "class_names": list(self.class_names),
            "ignore_index": list(self.ignore_index),
            "image_names": list(self.image_names),
            "boundary_convention": self.boundary_convention,
            "boundary_ratio": self.boundary_ratio,
            "quality_bands": [[t, n] for t, n in self.quality_bands],
        }
        arrays: dict[str, NDArray] = {}
        for name in ("counts", "per_image_counts", "boundary_counts"):
            counts = getattr(self, name)
            if counts is not None:
                meta[name], part = counts_to_state(name, counts)
                arrays.update(part)
        return pack(meta, arrays)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> SegmentationResult:
        """The result that :meth:`to_dict` describes, rebuilt from its ``"state"``: the same
        counts (bit for bit), names and options, so every score is identical.

        Raises :class:`ioukit.StateError` for a document without a valid segmentation state.

        >>> import json, numpy as np, ioukit
        >>> ev = ioukit.SegmentationEvaluator(3, ignore_index=255)
        >>> ev.update(np.array([[0, 1, 2]]), np.array([[0, 1, 255]]), names=["a"])
        >>> r = ev.result()
        >>> back = SegmentationResult.from_dict(json.loads(json.dumps(r.to_dict())))
        >>> back.miou == r.miou, back.image_names, back.per_image_counts.tp.tolist()
        (True, ('a',), [[1, 1, 0]])
        """
        from ioukit.stats._records import counts_from_state, reading, unpack

        where = "SegmentationResult.from_dict"
        meta, arrays = unpack(doc, "segmentation", where)
        with reading(where):
            total, images, boundary = (
                counts_from_state(name, meta, arrays, where) if name in meta else None
                for name in ("counts", "per_image_counts", "boundary_counts")
            )
            if total is None:
                raise StateError(f"{where}: the state has no dataset counts.")
            ratio = meta["boundary_ratio"]
            bands = meta.get("quality_bands")  # None in older documents: the default
            result = cls(
                num_classes=int(meta["num_classes"]),
                class_names=tuple(str(v) for v in meta["class_names"]),
                ignore_index=tuple(int(v) for v in meta["ignore_index"]),
                counts=total,
                per_image_counts=images,
                image_names=tuple(str(v) for v in meta["image_names"]),
                boundary_counts=boundary,
                boundary_convention=meta["boundary_convention"],
                boundary_ratio=None if ratio is None else float(ratio),
                quality_bands=QUALITY_BANDS
                if bands is None
                else check_quality_bands(bands, where=f"{where}: quality_bands"),
            )
        _check_shapes(where, result)
        return result

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
        lines.append(f"quality: {describe_quality_bands(self.quality_bands)}")
        s = self.summary()
        lines.append(
            f"mIoU {_fmt(s['miou'])}   mDice {_fmt(s['mdice'])}   aAcc "
            f"{_fmt(s['pixel_accuracy'])}   mAcc {_fmt(s['mean_accuracy'])}   fwIoU "
            f"{_fmt(s['fw_iou'])}"
        )
        return "\n".join(lines)


def _check_shapes(where: str, r: SegmentationResult) -> None:
    """The rebuilt parts must fit together."""
    c = r.num_classes
    problems = []
    if len(r.class_names) != c or r.counts.num_classes != c:
        problems.append(f"{c} classes, {len(r.class_names)} names, {r.counts.num_classes} counted")
    images = r.per_image_counts
    if images is not None and (images.num_classes != c or images.num_samples != len(r.image_names)):
        problems.append(
            f"per-image counts of {images.num_samples} images and {images.num_classes} classes, "
            f"{len(r.image_names)} image names"
        )
    if r.boundary_counts is not None and r.boundary_counts.num_classes != c:
        problems.append(f"boundary counts of {r.boundary_counts.num_classes} classes")
    if problems:
        raise StateError(f"{where}: the state does not fit together: {'; '.join(problems)}.")


def _rows(
    images: dict[str, NDArray] | Counts,
    names: Sequence[str],
    class_names: Sequence[str],
    *,
    bands: Bands = QUALITY_BANDS,
) -> list[dict[str, Any]]:
    """Per-image table rows from :func:`_image_scores` output (or per-sample counts); the
    quality under ``bands``."""
    if isinstance(images, Counts):
        images = _image_scores(images)
    rows = []
    for i, name in enumerate(names):
        row: dict[str, Any] = {
            "image": name,
            "miou": _num(images["miou"][i]),
            "pixel_accuracy": _num(images["pixel_accuracy"][i]),
            "quality": quality_band(float(images["miou"][i]), bands=bands),
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
