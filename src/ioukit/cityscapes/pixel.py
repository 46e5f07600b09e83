"""Cityscapes pixel-level evaluation: class and category IoU and iIoU.

The numbers are those of cityscapesScripts' ``evalPixelLevelSemanticLabeling`` (2.3.0),
reproduced from its definitions:

* a 34 × 34 confusion matrix over label ids 0..33 (rows = ground truth), every pixel counted;
* IoU of an evaluated class: ``TP / (TP + FP + FN)``; FN is the rest of its GT row (pixels
  predicted as anything, ignored classes included); FP is its column over GT rows of
  *evaluated* classes only (pixels whose GT is an ignored class are no FP);
* category IoU: the same over the union of a category's evaluated classes;
* iIoU: each GT instance (instance id > 1000, class = id // 1000, classes ignored in evaluation
  skipped) weighs its TP and FN pixels by ``avg_class_size / instance_size`` (the hard-coded
  table :data:`AVG_CLASS_SIZE`); FP stays unweighted, as in IoU. Group (crowd) regions have ids
  below 1000 and are no instances;
* category iIoU (human, vehicle): an instance's TP is its pixels predicted as any label of its
  category; the category's prediction mask and FP columns include the ignored caravan and
  trailer;
* a score whose denominator is 0 is NaN; the means skip NaN.

Counts are the state: per image, the confusion matrix (from :mod:`ioukit.kernels.counting`)
and one integer record per GT instance (class, size, TP, category TP). The weighted sums are
formed at :meth:`CityscapesPixelEvaluator.compute`, image by image and instance by instance in
id order, as the reference adds them, so the floating-point results are identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ioukit._errors import InputError
from ioukit.cityscapes._labels import (
    AVG_CLASS_SIZE,
    CATEGORIES,
    EVAL_CLASSES,
    INSTANCE_CATEGORIES,
    INSTANCE_CLASSES,
    LABELS,
    NUM_LABEL_IDS,
)

__all__ = ["CityscapesPixelEvaluator", "CityscapesPixelResult"]

NDArray = np.ndarray[Any, Any]

_EVALUATED = np.array([not lb.ignore_in_eval for lb in LABELS])
# instance category of each label id (index into INSTANCE_CATEGORIES), -1 for none
_INST_CAT = np.full(NUM_LABEL_IDS, -1, dtype=np.int64)
for _k, _ids in enumerate(INSTANCE_CATEGORIES.values()):
    _INST_CAT[list(_ids)] = _k


@dataclass(frozen=True)
class CityscapesPixelResult:
    """Class and category IoU and iIoU of a Cityscapes pixel-level evaluation.

    Attributes
    ----------
    class_iou : dict[str, float]
        IoU of each of the 19 evaluated classes (NaN when TP + FP + FN = 0).
    class_iiou : dict[str, float]
        iIoU of each of the 8 evaluated classes with instances (NaN when the class has no
        instance and no FP).
    category_iou, category_iiou : dict[str, float]
        The same per category (7 categories with evaluated classes; human and vehicle for iIoU).
    mean_class_iou, mean_class_iiou, mean_category_iou, mean_category_iiou : float
        Means over the non-NaN entries (NaN when there are none).
    confusion_matrix : numpy.ndarray
        ``(34, 34)`` int64 counts over label ids, rows = ground truth.
    num_images : int
        Images evaluated.
    """

    class_iou: dict[str, float]
    class_iiou: dict[str, float]
    category_iou: dict[str, float]
    category_iiou: dict[str, float]
    mean_class_iou: float
    mean_class_iiou: float
    mean_category_iou: float
    mean_category_iiou: float
    confusion_matrix: NDArray = field(repr=False)
    num_images: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready Python (NaN becomes None)."""

        def clean(d: dict[str, float]) -> dict[str, float | None]:
            return {k: None if math.isnan(v) else v for k, v in d.items()}

        means = {
            "class_iou": self.mean_class_iou,
            "class_iiou": self.mean_class_iiou,
            "category_iou": self.mean_category_iou,
            "category_iiou": self.mean_category_iiou,
        }
        return {
            "num_images": self.num_images,
            "mean": clean(means),
            "class_iou": clean(self.class_iou),
            "class_iiou": clean(self.class_iiou),
            "category_iou": clean(self.category_iou),
            "category_iiou": clean(self.category_iiou),
            "confusion_matrix": self.confusion_matrix.tolist(),
        }


def _mean(scores: dict[str, float]) -> float:
    # sequential sum over the valid entries, in table order (as the reference)
    total, n = 0.0, 0
    for v in scores.values():
        if not math.isnan(v):
            total += v
            n += 1
    return total / n if n else math.nan


def _ratio(tp: float, fp: int, fn: float) -> float:
    denom = tp + fp + fn
    return math.nan if denom == 0 else float(tp) / denom


class CityscapesPixelEvaluator:
    """Streaming Cityscapes IoU and iIoU over label-id maps.

    Feed one image at a time with :meth:`update`; :meth:`compute` gives a
    :class:`CityscapesPixelResult`. Labels are Cityscapes label *ids* (0..33, not train ids);
    instance ids are those of ``*_gtFine_instanceIds.png`` (class id × 1000 + index for
    instances, the class id for group regions). See the module docstring for every rule.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.full((2, 4), 7, dtype=np.uint8)  # road
    >>> gt[:, 2:] = 26  # a car ...
    >>> inst = gt.astype(np.int32)
    >>> inst[:, 2:] = 26000  # ... that is one instance of 4 pixels
    >>> pred = gt.copy()
    >>> pred[0, 3] = 7  # one car pixel predicted as road
    >>> ev = CityscapesPixelEvaluator()
    >>> ev.update(pred, gt, inst)
    >>> r = ev.compute()
    >>> r.class_iou["car"], r.class_iou["road"]  # 3 / (3 + 0 + 1), 4 / (4 + 1 + 0)
    (0.75, 0.8)
    >>> round(r.class_iiou["car"], 12)  # w = 12794.02 / 4: 3w / (3w + 0 + 1w)
    0.75
    """

    def __init__(self) -> None:
        self._confusions: list[NDArray] = []
        # per image: (K, 4) int64 records (label id, size, tp, category tp), instances in id order
        self._instances: list[NDArray] = []

    @property
    def num_images(self) -> int:
        """Images seen so far."""
        return len(self._confusions)

    def update(self, pred_label_ids: Any, gt_label_ids: Any, gt_instance_ids: Any) -> None:
        """Add one image.

        Parameters
        ----------
        pred_label_ids : array_like, shape (H, W)
            Predicted label ids, integers in 0..33.
        gt_label_ids : array_like, shape (H, W)
            Ground-truth label ids (``*_gtFine_labelIds.png``), integers in 0..33.
        gt_instance_ids : array_like, shape (H, W)
            Ground-truth instance ids (``*_gtFine_instanceIds.png``).

        Raises
        ------
        InputError
            Shapes differ or are not 2-D, values are not integers, a label id is outside
            0..33, or an instance id > 1000 names no label or a label without instances.
        """
        pred = _labels_2d("pred_label_ids", pred_label_ids)
        gt = _labels_2d("gt_label_ids", gt_label_ids)
        inst = _labels_2d("gt_instance_ids", gt_instance_ids)
        for name, arr in (("gt_label_ids", gt), ("gt_instance_ids", inst)):
            if arr.shape != pred.shape:
                raise InputError(
                    f"CityscapesPixelEvaluator.update: `{name}` has shape {arr.shape}, expected "
                    f"the shape of `pred_label_ids`, {pred.shape}."
                )
        from ioukit.kernels.counting import confusion

        cm, bad_p, bad_t = confusion(pred, gt, NUM_LABEL_IDS, ())
        for name, arr, bad in (("pred_label_ids", pred, bad_p), ("gt_label_ids", gt, bad_t)):
            if bad:
                wrong = np.unique(arr[(arr < 0) | (arr >= NUM_LABEL_IDS)])[:10].tolist()
                raise InputError(
                    f"CityscapesPixelEvaluator.update: `{name}` has {bad} value(s) outside the "
                    f"Cityscapes label ids 0..{NUM_LABEL_IDS - 1}, e.g. {wrong}. Labels are "
                    "label ids, not train ids."
                )
        records = _instance_records(pred, inst)
        self._confusions.append(cm)
        self._instances.append(records)

    def compute(self) -> CityscapesPixelResult:
        """The scores of everything added so far.

        Returns
        -------
        CityscapesPixelResult
        """
        cm = np.zeros((NUM_LABEL_IDS, NUM_LABEL_IDS), dtype=np.int64)
        for c in self._confusions:
            cm += c
        # weighted TP/FN per class and per instance category, summed in the reference's order
        tp_w = {lb.name: 0.0 for lb in INSTANCE_CLASSES}
        fn_w = dict(tp_w)
        cat_tp_w = dict.fromkeys(INSTANCE_CATEGORIES, 0.0)
        cat_fn_w = dict(cat_tp_w)
        for records in self._instances:
            for label_id, size, tp, cat_tp in records.tolist():
                label = LABELS[label_id]
                weight = AVG_CLASS_SIZE[label.name] / float(size)
                tp_w[label.name] += float(tp) * weight
                fn_w[label.name] += float(size - tp) * weight
                cat_tp_w[label.category] += float(cat_tp) * weight
                cat_fn_w[label.category] += float(size - cat_tp) * weight

        evaluated_rows = cm[_EVALUATED]
        class_iou: dict[str, float] = {}
        class_iiou: dict[str, float] = {}
        for lb in EVAL_CLASSES:
            i = lb.id
            tp = int(cm[i, i])
            fn = int(cm[i].sum()) - tp
            fp = int(evaluated_rows[:, i].sum()) - tp
            class_iou[lb.name] = _ratio(tp, fp, fn)
            if lb.has_instances:
                class_iiou[lb.name] = _ratio(tp_w[lb.name], fp, fn_w[lb.name])
        category_iou: dict[str, float] = {}
        category_iiou: dict[str, float] = {}
        for cat, ids in CATEGORIES.items():
            valid = [i for i in ids if _EVALUATED[i]]
            if not valid:
                continue
            other_rows = [i for i in range(NUM_LABEL_IDS) if _EVALUATED[i] and i not in ids]
            tp = int(cm[np.ix_(valid, valid)].sum())
            fn = int(cm[valid].sum()) - tp
            fp = int(cm[np.ix_(other_rows, valid)].sum())
            category_iou[cat] = _ratio(tp, fp, fn)
            if cat in INSTANCE_CATEGORIES:
                inst_cols = list(INSTANCE_CATEGORIES[cat])
                fp_inst = int(cm[np.ix_(other_rows, inst_cols)].sum())
                category_iiou[cat] = _ratio(cat_tp_w[cat], fp_inst, cat_fn_w[cat])
        return CityscapesPixelResult(
            class_iou=class_iou,
            class_iiou=class_iiou,
            category_iou=category_iou,
            category_iiou=category_iiou,
            mean_class_iou=_mean(class_iou),
            mean_class_iiou=_mean(class_iiou),
            mean_category_iou=_mean(category_iou),
            mean_category_iiou=_mean(category_iiou),
            confusion_matrix=cm,
            num_images=self.num_images,
        )


def _labels_2d(name: str, x: Any) -> NDArray:
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise InputError(
            f"CityscapesPixelEvaluator.update: `{name}` must be a 2-D (H, W) map; got shape "
            f"{arr.shape}."
        )
    if arr.dtype.kind not in "iub":
        raise InputError(
            f"CityscapesPixelEvaluator.update: `{name}` must hold integers; got {arr.dtype}."
        )
    return arr


def _instance_records(pred: NDArray, inst: NDArray) -> NDArray:
    """(K, 4) int64 rows (label id, size, tp, category tp) of the GT instances (id > 1000, class
    evaluated), in instance-id order."""
    sel = inst > 1000
    ids, dense = np.unique(inst[sel], return_inverse=True)
    labels = ids // 1000
    bad = (labels >= NUM_LABEL_IDS) | ~np.isin(labels, [lb.id for lb in LABELS if lb.has_instances])
    # an id of an ignored class without instances is skipped by the reference only if ignored
    bad &= ~np.isin(labels, [lb.id for lb in LABELS if lb.ignore_in_eval])
    if bad.any():
        raise InputError(
            "CityscapesPixelEvaluator.update: `gt_instance_ids` has instance id(s) "
            f"{ids[bad][:10].tolist()} whose class (id // 1000) is not a Cityscapes class with "
            "instances."
        )
    keep = ~np.isin(labels, [lb.id for lb in LABELS if lb.ignore_in_eval])
    pv = pred[sel].astype(np.int64)
    lab_px = labels[dense]
    n = ids.size
    size = np.bincount(dense, minlength=n)
    tp = np.bincount(dense[pv == lab_px], minlength=n)
    cat_of_pred = _INST_CAT[np.clip(pv, 0, NUM_LABEL_IDS - 1)]
    in_cat = (cat_of_pred == _INST_CAT[np.clip(lab_px, 0, NUM_LABEL_IDS - 1)]) & (
        pv < NUM_LABEL_IDS
    )
    cat_tp = np.bincount(dense[in_cat & (cat_of_pred >= 0)], minlength=n)
    out = np.stack([labels, size, tp, cat_tp], axis=1).astype(np.int64)
    return out[keep]
