"""A cross-category confusion matrix for object detection (rows = ground truth, columns =
prediction, plus a background row and column)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

from ioukit._errors import ParameterError, UndefinedMetricWarning
from ioukit._typing import Normalize, ZeroDivision
from ioukit._xp import safe_divide
from ioukit.core._checks import check_choice
from ioukit.core.reduce import _check_zero_division
from ioukit.detection._coco_load import GroundTruth, Results
from ioukit.detection._tide_pairs import (
    by_image,
    check_iou_type,
    check_unit,
    greedy,
    load,
    mask_rles,
    offsets,
    pair_ious,
    positions,
    renamed,
)

__all__ = ["DetectionConfusion", "detection_confusion_matrix"]

_NDArray = np.ndarray[Any, Any]


@dataclass(frozen=True, eq=False)
class DetectionConfusion:
    """The result of :func:`detection_confusion_matrix`.

    Attributes
    ----------
    matrix : ndarray of int64, shape (K + 1, K + 1)
        ``matrix[i, j]``: ground truths of category ``i`` matched by a detection of category
        ``j``. Row ``K`` (background): detections that match no ground truth (false
        positives), by predicted category; column ``K`` (background): ground truths that no
        detection matches (false negatives), by true category; ``matrix[K, K]`` is 0. Row
        sums are the ground truths per category, column sums the counted detections.
    labels : tuple of str
        The K category names, then ``"background"``.
    category_ids : tuple
        The K category ids of ``gt``, sorted (as COCO orders them).
    n_ignored : int
        Detections left out because they fall in a crowd region of their category.
    iou_type : str
        ``"bbox"`` or ``"segm"``.
    iou_threshold, score_threshold : float
        The thresholds used.
    class_agnostic : bool
        Whether the matching ignored the categories.

    Examples
    --------
    See :func:`detection_confusion_matrix`.
    """

    matrix: _NDArray
    labels: tuple[str, ...]
    category_ids: tuple[Any, ...]
    n_ignored: int
    iou_type: str = "bbox"
    iou_threshold: float = 0.5
    score_threshold: float = 0.0
    class_agnostic: bool = False

    def __repr__(self) -> str:
        k = len(self.category_ids)
        m = self.matrix
        return (
            f"DetectionConfusion(categories={k}, iou_type={self.iou_type!r}, "
            f"iou_threshold={self.iou_threshold:g}, score_threshold={self.score_threshold:g}, "
            f"matched={int(np.trace(m))}, confused={int(m[:k, :k].sum() - np.trace(m))}, "
            f"background_fp={int(m[k].sum())}, missed={int(m[:, k].sum())})"
        )

    def normalized(
        self, normalize: Normalize = "true", *, zero_division: ZeroDivision = "nan"
    ) -> _NDArray:
        """The matrix divided by its row sums, column sums or total.

        Parameters
        ----------
        normalize : {"true", "pred", "all"} or None, default "true"
            ``"true"``: each row (ground-truth category; the background row: the false
            positives) sums to 1; ``"pred"``: each column (predicted category) sums to 1;
            ``"all"``: the whole matrix sums to 1; None: the counts as float64.
        zero_division : {"nan", "warn"} or float, default "nan"
            The value of a row or column with no count at all (0/0), ioukit's rule: NaN, or
            0.0 with an :class:`~ioukit.UndefinedMetricWarning`, or a number in [0, 1].

        Returns
        -------
        ndarray of float64, shape (K + 1, K + 1)

        Raises
        ------
        ParameterError
            For an unknown ``normalize`` or ``zero_division``.

        Examples
        --------
        See :func:`detection_confusion_matrix`.
        """
        func = "DetectionConfusion.normalized"
        check_choice(func, "normalize", normalize, (None, "true", "pred", "all"))
        fill, warn = _check_zero_division(func, zero_division)
        cm = self.matrix.astype(np.float64)
        if normalize is None:
            return cm
        axis = {"true": 1, "pred": 0}.get(str(normalize))
        den = np.asarray(cm.sum() if axis is None else cm.sum(axis=axis, keepdims=True))
        if warn and bool((den == 0).any()):
            warnings.warn(
                f"{func}: some {'rows' if normalize == 'true' else 'columns'} have no count; "
                "they are set to 0.0. Pass zero_division='nan' to mark them, or a number.",
                UndefinedMetricWarning,
                stacklevel=2,
            )
        return np.asarray(safe_divide(np, cm, den, fill))

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain Python, ready for ``json.dumps``.

        Returns
        -------
        dict
            ``matrix`` (nested lists of int), ``labels``, ``category_ids``, ``n_ignored`` and
            ``params`` (``iou_type``, ``iou_threshold``, ``score_threshold``,
            ``class_agnostic``).

        Examples
        --------
        See :func:`detection_confusion_matrix`.
        """
        return {
            "matrix": self.matrix.tolist(),
            "labels": list(self.labels),
            "category_ids": [
                v.item() if isinstance(v, np.generic) else v for v in self.category_ids
            ],
            "n_ignored": self.n_ignored,
            "params": {
                "iou_type": self.iou_type,
                "iou_threshold": self.iou_threshold,
                "score_threshold": self.score_threshold,
                "class_agnostic": self.class_agnostic,
            },
        }


def _sorted_ids(ids: list[Any]) -> list[Any]:
    try:
        return sorted(ids)
    except TypeError:  # ids of mixed types: file order
        return list(ids)


def detection_confusion_matrix(
    gt: Any,
    dt: Any,
    *,
    iou_type: str = "bbox",
    iou_threshold: float = 0.5,
    score_threshold: float = 0.0,
    class_agnostic: bool = False,
) -> DetectionConfusion:
    """A (K + 1) × (K + 1) detection confusion matrix: **rows = ground-truth category,
    columns = predicted category**, the last row and column = background.

    **Matching rule** (per image; detections with ``score >= score_threshold`` only, in
    decreasing score order, equal scores in file order; "IoU" is box or mask IoU):

    1. *Same category* (skipped when ``class_agnostic``): each detection takes the unmatched
       regular (non-crowd) ground truth of its own category with the highest IoU
       ``>= iou_threshold``; on equal IoU the later one in file order. This is COCO's
       matching at one IoU threshold (area "all", no ``max_dets`` cap), so the diagonal holds
       COCO's true positives.
    2. *Crowd regions*: a detection still unmatched whose intersection over its own area with
       a crowd region of its own category is ``>= iou_threshold`` is ignored (counted
       nowhere, see ``n_ignored``), as COCO ignores it. Crowd regions of other categories
       never ignore a detection and are never counted.
    3. *Across categories*: each detection still unmatched and not ignored takes, in the
       same score order, the unmatched regular ground truth of **any** category with the
       highest IoU ``>= iou_threshold`` (later in file order on ties). With
       ``class_agnostic=True`` this step replaces step 1 and comes before step 2 (the
       diagonal is then no longer COCO's true positives).
    4. A matched pair adds 1 to ``matrix[gt category, detection category]``; a detection left
       unmatched (and not ignored) to ``matrix[K, detection category]``; a ground truth left
       unmatched to ``matrix[gt category, K]``.

    Results of categories that are not in ``gt['categories']`` are dropped, as
    :func:`ioukit.coco_evaluate` drops them; so are ground truths of such categories.

    Compared with other tools (all match one image at a time, across categories):

    * hotcoco's ``COCOeval.confusion_matrix`` has the same orientation and matches as
      ``class_agnostic=True`` does, but counts the detections in crowd regions as background
      and does not keep file order among equal scores;
    * supervision's ``ConfusionMatrix`` has the same orientation but matches pairs by
      decreasing IoU (same-category pairs first), whatever their scores, with ``IoU >
      threshold`` (strict), and has no crowd regions;
    * ultralytics' ``ConfusionMatrix`` is transposed (rows = predicted category, its
      "background" row holds the missed objects), keeps detections with ``conf > 0.25`` and
      pairs with ``IoU > 0.45`` (both strict), matches by decreasing IoU regardless of
      category and score, and has no crowd regions (YOLOv5's version also drops the
      unmatched detections of an image in which nothing matched);
    * torchmetrics has no detection confusion matrix.

    Parameters
    ----------
    gt : str, path or dict
        A COCO annotation file or its dict (as :func:`ioukit.coco_evaluate`).
    dt : str, path or list of dict
        A COCO results file or its list (an empty list is allowed).
    iou_type : {"bbox", "segm"}, default "bbox"
        Overlap of boxes or of masks.
    iou_threshold : float, default 0.5
        The IoU at which a detection matches a ground truth, in (0, 1] (inclusive).
    score_threshold : float, default 0.0
        Detections with ``score >= score_threshold`` are counted; the others are dropped.
    class_agnostic : bool, default False
        Match across categories from the start instead of same category first.

    Returns
    -------
    DetectionConfusion
        ``matrix`` (K + 1, K + 1) int64, ``labels``, ``category_ids``, ``n_ignored``,
        ``normalized()``, ``to_dict()``.

    Raises
    ------
    ParameterError
        For an unknown ``iou_type``, ``iou_threshold`` outside (0, 1], a non-finite
        ``score_threshold`` or a non-bool ``class_agnostic``.
    InputError
        For malformed ground truth or results (as :func:`ioukit.coco_evaluate`).

    Examples
    --------
    A dog found as a dog, a cat found as a dog, a missed cat and a box on nothing:

    >>> from ioukit.detection.confusion import detection_confusion_matrix
    >>> gt = {"images": [{"id": 1}],
    ...       "categories": [{"id": 1, "name": "dog"}, {"id": 2, "name": "cat"}],
    ...       "annotations": [
    ...           {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10],
    ...            "area": 100, "iscrowd": 0},
    ...           {"id": 2, "image_id": 1, "category_id": 2, "bbox": [20, 0, 10, 10],
    ...            "area": 100, "iscrowd": 0},
    ...           {"id": 3, "image_id": 1, "category_id": 2, "bbox": [40, 0, 10, 10],
    ...            "area": 100, "iscrowd": 0}]}
    >>> dt = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
    ...       {"image_id": 1, "category_id": 1, "bbox": [20, 0, 10, 10], "score": 0.8},
    ...       {"image_id": 1, "category_id": 2, "bbox": [80, 80, 5, 5], "score": 0.7}]
    >>> cm = detection_confusion_matrix(gt, dt)
    >>> cm.labels
    ('dog', 'cat', 'background')
    >>> cm.matrix  # rows: true dog, cat, background; columns: predicted dog, cat, background
    array([[1, 0, 0],
           [1, 0, 1],
           [0, 1, 0]])
    >>> cm.normalized("true")[1].tolist()  # of the cats: half taken for dogs, half missed
    [0.5, 0.0, 0.5]
    """
    func = "detection_confusion_matrix"
    segm = check_iou_type(func, iou_type)
    t = check_unit(func, "iou_threshold", iou_threshold)
    if t == 0.0:
        raise ParameterError(f"{func}: `iou_threshold` must be in (0, 1]; got {iou_threshold!r}.")
    ok = isinstance(score_threshold, Real) and not isinstance(score_threshold, bool)
    if not (ok and math.isfinite(float(score_threshold))):
        raise ParameterError(
            f"{func}: `score_threshold` must be a finite number; got {score_threshold!r}."
        )
    if not isinstance(class_agnostic, (bool, np.bool_)):
        raise ParameterError(
            f"{func}: `class_agnostic` must be True or False; got {class_agnostic!r}."
        )
    with renamed(func):
        g, d = load(gt, dt, segm=segm)
        cat_ids = _sorted_ids(list(g.cat_ids))
        matrix, n_ignored = _count(
            g, d, cat_ids, t=t, score_threshold=float(score_threshold),
            class_agnostic=bool(class_agnostic), segm=segm,
        )  # fmt: skip
    names = tuple(g.cat_names.get(c, str(c)) for c in cat_ids)
    return DetectionConfusion(
        matrix=matrix, labels=(*names, "background"),
        category_ids=tuple(v.item() if isinstance(v, np.generic) else v for v in cat_ids),
        n_ignored=n_ignored, iou_type=iou_type, iou_threshold=t,
        score_threshold=float(score_threshold), class_agnostic=bool(class_agnostic),
    )  # fmt: skip


def _count(
    g: GroundTruth,
    d: Results,
    cat_ids: list[Any],
    *,
    t: float,
    score_threshold: float,
    class_agnostic: bool,
    segm: bool,
) -> tuple[_NDArray, int]:
    """The matrix and the number of ignored detections (the matching rule of
    :func:`detection_confusion_matrix`)."""
    k = len(cat_ids)
    n_img = len(g.img_ids)

    g_pos, g_cat = positions(g.image_id, g.img_ids), positions(g.category_id, cat_ids)
    crowd = np.asarray(g.crowd, bool)
    valid = (g_pos >= 0) & (g_cat >= 0)
    g_rows, g_img = by_image(np.flatnonzero(valid & ~crowd), g_pos)
    c_rows, c_img = by_image(np.flatnonzero(valid & crowd), g_pos)

    d_pos, d_cat = positions(d.image_id, g.img_ids), positions(d.category_id, cat_ids)
    score = np.asarray(d.score, np.float64)
    order = np.lexsort((np.arange(score.size), -score, d_pos))
    d_rows = order[(d_cat[order] >= 0) & (score[order] >= score_threshold)]
    d_img = d_pos[d_rows]
    rank = np.arange(d_rows.size) - offsets(d_img, n_img)[d_img]
    d_cls, g_cls = d_cat[d_rows], g_cat[g_rows]

    rles = mask_rles(g, d, d_rows) if segm and d_rows.size else None
    pairs = pair_ious(g, d, d_rows, d_img, g_rows, g_img, n_img, segm=segm,
                      crowd=False, det_rles=rles)  # fmt: skip
    hit = pairs.iou >= t
    if not class_agnostic:
        hit_same = hit & (d_cls[pairs.det] == g_cls[pairs.gt])
        match = greedy(pairs, hit_same, rank, g_rows.size, last=True)
    else:
        match = greedy(pairs, hit, rank, g_rows.size, last=True)
    ignored = np.zeros(d_rows.size, bool)
    free = np.flatnonzero(match < 0)
    if c_rows.size and free.size:
        sub = [rles[i] for i in free.tolist()] if rles is not None else None
        cp = pair_ious(g, d, d_rows[free], d_img[free], c_rows, c_img, n_img,
                       segm=segm, crowd=True, det_rles=sub)  # fmt: skip
        own = g_cat[c_rows][cp.gt] == d_cls[free][cp.det]
        ignored[free[cp.det[(cp.iou >= t) & own]]] = True
    used = np.zeros(g_rows.size, bool)
    used[match[match >= 0]] = True
    if not class_agnostic:
        left = (match[pairs.det] < 0) & ~ignored[pairs.det] & ~used[pairs.gt]
        second = greedy(pairs, hit & left, rank, g_rows.size, last=True)
        match = np.where(match >= 0, match, second)
        used[second[second >= 0]] = True

    matrix = np.zeros((k + 1, k + 1), np.int64)
    m = match >= 0
    np.add.at(matrix, (g_cls[match[m]], d_cls[m]), 1)
    np.add.at(matrix, (np.full(int((~m & ~ignored).sum()), k), d_cls[~m & ~ignored]), 1)
    np.add.at(matrix, (g_cls[~used], np.full(int((~used).sum()), k)), 1)
    return matrix, int(ignored.sum())
