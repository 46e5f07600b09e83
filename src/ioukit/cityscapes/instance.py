"""Cityscapes instance-level evaluation: AP and AP50 of instance masks.

The numbers are those of cityscapesScripts' ``evalInstanceLevelSemanticLabeling`` (2.3.0),
reproduced from its definitions. Per class (the 8 evaluated classes with instances) and per
overlap threshold ``th`` in ``np.arange(0.5, 1.0, 0.05)``:

* GT regions are the values of ``*_gtFine_instanceIds.png`` of the class: instances (id ≥ 1000)
  and group regions (id = class id). Only instances of at least ``min_region_size`` (100)
  pixels are positives;
* overlap is ``I / (|gt| + |pred| - I)``; a match needs ``overlap > th`` (strict);
* a positive with several matches keeps the highest score; every other match is an FP with
  its score. A positive without a match is a hard FN;
* a prediction without an overlap ``> th`` with *any* region of its class (groups and small
  instances included) is an FP unless its ignored fraction is above ``th``: the ignored pixels
  are those on GT void (ids of classes ignored in evaluation), plus its intersection with each
  group region, plus its intersection with each instance under ``min_region_size`` (a small
  group region is counted twice, as in the reference);
* predictions with an empty mask, or of a class that is not evaluated, are dropped; a mask
  is every non-zero pixel;
* AP is step-wise: at each unique score ``s``, ``p = TP / (TP + FP)`` and
  ``r = TP / (TP + FN)`` over the predictions scored ``≥ s`` (FN includes the hard FNs), plus
  an artificial point ``(r=0, p=1)``; ``AP = Σ p_i (r_{i-1} - r_{i+1}) / 2``, no precision
  envelope. AP is NaN for a class without positives and 0 for one with positives but no
  prediction. (If every prediction is ignored, the reference fails on an empty array; here
  AP is 0.)
* the class AP is the mean over the 10 thresholds; AP50 the 0.5 slice; the overall values are
  ``nanmean`` over classes (and thresholds).

AP100m and AP50m (the reference's ``distanceAvailable`` mode) are computed when every
:meth:`CityscapesInstanceEvaluator.update` call passes ``gt_distances``: per GT region id, its
median distance in metres and the confidence of that distance (the reference's ``medDist`` and
``distConf``; it computes neither, they come with the GT). They are AP with other positives:

* a positive must also have at least ``distance_min_region_size`` (1000, not 100) pixels, a
  median distance ``≤ 100`` (resp. ``≤ 50``) m and a confidence ``≥ 0.5``;
* a prediction that matches (``overlap > th``) a region that is no positive this way is
  neither TP nor FP; an unmatched prediction's pixels on such regions (too small, too far,
  not confident) count as ignored, a group region's twice unless it passes all three;
* a region absent from ``gt_distances`` has the reference's defaults, distance ``-1`` and
  confidence ``0``: it is never a positive for AP100m / AP50m, and AP / AP50 are unchanged;
* AP50% at 50 m is the 0.5 column of AP50m; per class the mean over thresholds is a plain
  mean (NaN for a class without positives), overall ``nanmean``, as for AP.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit.cityscapes._labels import INSTANCE_CLASSES, LABELS, NUM_LABEL_IDS

__all__ = [
    "DISTANCE_LIMITS",
    "OVERLAPS",
    "CityscapesInstanceEvaluator",
    "CityscapesInstanceResult",
]

NDArray = np.ndarray[Any, Any]

#: the overlap thresholds, exactly as the reference builds them
OVERLAPS: NDArray = np.arange(0.5, 1.0, 0.05)

_VOID_IDS = [lb.id for lb in LABELS if lb.ignore_in_eval]
_CLASS_IDS = [lb.id for lb in INSTANCE_CLASSES]
#: (maximum median distance in m, minimum distance confidence) of AP100m and AP50m
DISTANCE_LIMITS: dict[str, tuple[float, float]] = {"ap100m": (100.0, 0.5), "ap50m": (50.0, 0.5)}
_NO_DISTANCE = (-1.0, 0.0)  # the reference's Instance defaults (medDist, distConf)


@dataclass(frozen=True)
class _Image:
    """Integer match records of one image, for one class each (lists in GT / prediction order)."""

    # per class id: GT regions (id, pixel count, median distance, distance confidence), id order
    gts: dict[int, list[tuple[int, int, float, float]]]
    # per class id: predictions (score, pixel count, void pixels, [(gt index, intersection)])
    preds: dict[int, list[tuple[float, int, int, list[tuple[int, int]]]]]


@dataclass(frozen=True)
class CityscapesInstanceResult:
    """AP of a Cityscapes instance-level evaluation.

    Attributes
    ----------
    ap : numpy.ndarray
        ``(8, 10)`` AP per class (rows, in id order: person, rider, car, truck, bus, train,
        motorcycle, bicycle) and overlap threshold (:data:`OVERLAPS`); NaN for a class without
        positives.
    class_ap, class_ap50 : dict[str, float]
        Per class: the mean over thresholds, and the 0.5 column.
    mean_ap, mean_ap50 : float
        ``nanmean`` of ``ap``, and of its 0.5 column.
    num_images : int
        Images evaluated.
    ap100m, ap50m : numpy.ndarray or None
        ``(8, 10)`` AP with the positives within 100 m (50 m), see the module docstring;
        None unless distances were given.
    class_ap100m, class_ap50m, class_ap50_50m : dict[str, float] or None
        Per class: the mean over thresholds of ``ap100m`` and ``ap50m``, and the 0.5 column of
        ``ap50m`` (the reference's "AP_50%50m"); None unless distances were given.
    mean_ap100m, mean_ap50m, mean_ap50_50m : float or None
        ``nanmean`` of ``ap100m``, ``ap50m`` and of the 0.5 column of ``ap50m``; None unless
        distances were given.
    """

    ap: NDArray = field(repr=False)
    class_ap: dict[str, float]
    class_ap50: dict[str, float]
    mean_ap: float
    mean_ap50: float
    num_images: int = 0
    ap100m: NDArray | None = field(default=None, repr=False)
    ap50m: NDArray | None = field(default=None, repr=False)
    class_ap100m: dict[str, float] | None = None
    class_ap50m: dict[str, float] | None = None
    class_ap50_50m: dict[str, float] | None = None
    mean_ap100m: float | None = None
    mean_ap50m: float | None = None
    mean_ap50_50m: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready Python (NaN becomes None)."""

        def clean(v: float) -> float | None:
            return None if math.isnan(v) else float(v)

        out: dict[str, Any] = {
            "num_images": self.num_images,
            "mean": {"ap": clean(self.mean_ap), "ap50": clean(self.mean_ap50)},
            "class_ap": {k: clean(v) for k, v in self.class_ap.items()},
            "class_ap50": {k: clean(v) for k, v in self.class_ap50.items()},
            "overlaps": OVERLAPS.tolist(),
            "ap": [[clean(v) for v in row] for row in self.ap.tolist()],
        }
        if self.ap100m is None or self.ap50m is None:
            return out
        for name in ("ap100m", "ap50m", "ap50_50m"):
            out["mean"][name] = clean(getattr(self, f"mean_{name}"))
            table: dict[str, float] = getattr(self, f"class_{name}")
            out[f"class_{name}"] = {k: clean(v) for k, v in table.items()}
        out["ap100m"] = [[clean(v) for v in row] for row in self.ap100m.tolist()]
        out["ap50m"] = [[clean(v) for v in row] for row in self.ap50m.tolist()]
        return out


class CityscapesInstanceEvaluator:
    """Streaming Cityscapes instance AP.

    Feed one image at a time with :meth:`update`; :meth:`compute` gives a
    :class:`CityscapesInstanceResult`. See the module docstring for every rule.

    Parameters
    ----------
    min_region_size : int, default 100
        GT instances with fewer pixels are no positives (and predictions on them are ignored).
    distance_min_region_size : int, default 1000
        The same for AP100m and AP50m (computed only when distances are given).

    Examples
    --------
    >>> import numpy as np
    >>> inst = np.zeros((20, 20), dtype=np.int32)
    >>> inst[:, :10] = 26000  # one car of 200 pixels
    >>> good = inst == 26000
    >>> bad = np.zeros_like(good)
    >>> bad[:, 12:] = True  # a false positive on road... on label 0, which is void
    >>> ev = CityscapesInstanceEvaluator()
    >>> ev.update(np.stack([good, bad]), [26, 26], [0.9, 0.8], inst)
    >>> r = ev.compute()
    >>> r.class_ap["car"], math.isnan(r.class_ap["person"])  # the FP lies on void: ignored
    (1.0, True)
    >>> r.ap100m is None  # no distances given
    True
    >>> ev = CityscapesInstanceEvaluator(distance_min_region_size=100)
    >>> ev.update(good[None], [26], [0.9], inst, gt_distances={26000: (70.0, 0.9)})
    >>> r = ev.compute()
    >>> r.class_ap100m["car"], r.class_ap50m["car"]  # the car is 70 m away
    (1.0, nan)
    """

    def __init__(self, *, min_region_size: int = 100, distance_min_region_size: int = 1000) -> None:
        for name, value in (
            ("min_region_size", min_region_size),
            ("distance_min_region_size", distance_min_region_size),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(
                    f"CityscapesInstanceEvaluator: `{name}` must be an int; got {value!r}."
                )
        self.min_region_size = min_region_size
        self.distance_min_region_size = distance_min_region_size
        self._images: list[_Image] = []
        self._with_distances: bool | None = None  # set by the first update

    @property
    def num_images(self) -> int:
        """Images seen so far."""
        return len(self._images)

    def update(
        self,
        pred_masks: Any,
        pred_label_ids: Any,
        pred_scores: Any,
        gt_instance_ids: Any,
        *,
        gt_distances: Mapping[int, tuple[float, float]] | None = None,
    ) -> None:
        """Add one image.

        Parameters
        ----------
        pred_masks : array_like, shape (N, H, W)
            The predicted masks; non-zero is inside.
        pred_label_ids : array_like, shape (N,)
            Their Cityscapes label ids (not train ids).
        pred_scores : array_like, shape (N,)
            Their confidences.
        gt_instance_ids : array_like, shape (H, W)
            Ground-truth instance ids (``*_gtFine_instanceIds.png``).
        gt_distances : mapping of int to (float, float), optional
            GT region id (a value of ``gt_instance_ids``) → (median distance in metres,
            distance confidence): turns on AP100m / AP50m. Regions not named get distance
            ``-1`` and confidence ``0`` (no positive for AP100m / AP50m), as in the reference.
            Give it in every call or in none.

        Raises
        ------
        InputError
            Shapes disagree, a label id or an instance id names no Cityscapes label, a
            ``gt_distances`` key is not in the image or a value is not two numbers (NaN
            excluded), or ``gt_distances`` is given in some calls and not in others.
        """
        inst = np.asarray(gt_instance_ids)
        func = "CityscapesInstanceEvaluator.update"
        if inst.ndim != 2 or inst.dtype.kind not in "iu":
            raise InputError(
                f"{func}: `gt_instance_ids` must be a 2-D integer map; got shape {inst.shape}, "
                f"dtype {inst.dtype}."
            )
        masks = np.asarray(pred_masks)
        if masks.ndim == 2 and masks.size == 0:
            masks = masks.reshape(0, *inst.shape)
        labels = np.asarray(pred_label_ids).reshape(-1)
        scores = np.asarray(pred_scores, dtype=np.float64).reshape(-1)
        if masks.ndim != 3 or masks.shape[1:] != inst.shape:
            raise InputError(
                f"{func}: `pred_masks` must have shape (N, {inst.shape[0]}, {inst.shape[1]}) "
                f"(the shape of `gt_instance_ids`); got {masks.shape}."
            )
        if not labels.size == scores.size == masks.shape[0]:
            raise InputError(
                f"{func}: `pred_label_ids` ({labels.size}) and `pred_scores` ({scores.size}) "
                f"must have one entry per mask ({masks.shape[0]})."
            )
        if labels.size and (labels.dtype.kind not in "iu" or not np.isin(labels, range(34)).all()):
            raise InputError(
                f"{func}: `pred_label_ids` must be Cityscapes label ids 0..{NUM_LABEL_IDS - 1}; "
                f"got {np.unique(labels)[:10].tolist()}."
            )
        with_distances = gt_distances is not None
        if self._with_distances is not None and with_distances != self._with_distances:
            given = "was" if self._with_distances else "was not"
            raise InputError(
                f"{func}: `gt_distances` {given} given for the earlier images; give it for "
                f"every image or for none (got {'a mapping' if with_distances else 'None'})."
            )
        image = _match(inst, masks, labels.astype(np.int64), scores, func)
        if gt_distances is not None:
            image = _with_distances(image, gt_distances, inst, func)
        self._with_distances = with_distances
        self._images.append(image)

    def compute(self) -> CityscapesInstanceResult:
        """AP of everything added so far.

        Returns
        -------
        CityscapesInstanceResult
        """
        ap = self._ap_table(self.min_region_size, math.inf, -math.inf)
        names = [lb.name for lb in INSTANCE_CLASSES]

        def per_class(table: NDArray) -> dict[str, float]:
            return {n: float(np.mean(table[i, :])) for i, n in enumerate(names)}

        def first(table: NDArray) -> dict[str, float]:
            return {n: float(table[i, 0]) for i, n in enumerate(names)}

        extra: dict[str, Any] = {}
        if self._with_distances:
            size = self.distance_min_region_size
            ap100m = self._ap_table(size, *DISTANCE_LIMITS["ap100m"])
            ap50m = self._ap_table(size, *DISTANCE_LIMITS["ap50m"])
            extra = {
                "ap100m": ap100m,
                "ap50m": ap50m,
                "class_ap100m": per_class(ap100m),
                "class_ap50m": per_class(ap50m),
                "class_ap50_50m": first(ap50m),
                "mean_ap100m": _nanmean(ap100m),
                "mean_ap50m": _nanmean(ap50m),
                "mean_ap50_50m": _nanmean(ap50m[:, 0]),
            }
        return CityscapesInstanceResult(
            ap=ap,
            class_ap=per_class(ap),
            class_ap50=first(ap),
            mean_ap=_nanmean(ap),
            mean_ap50=_nanmean(ap[:, 0]),
            num_images=self.num_images,
            **extra,
        )

    def _ap_table(self, min_size: int, max_dist: float, min_conf: float) -> NDArray:
        """``(8, 10)`` AP with positives of ``min_size`` pixels or more, a median distance
        ``≤ max_dist`` and a confidence ``≥ min_conf``."""
        ap = np.zeros((len(_CLASS_IDS), OVERLAPS.size), dtype=np.float64)
        for li, class_id in enumerate(_CLASS_IDS):
            for oi, th in enumerate(OVERLAPS.tolist()):
                ap[li, oi] = self._class_ap(class_id, th, min_size, max_dist, min_conf)
        return ap

    def _class_ap(
        self, class_id: int, th: float, min_size: int, max_dist: float, min_conf: float
    ) -> float:
        true: list[float] = []
        score: list[float] = []
        hard_fn = 0
        have_gt = have_pred = False
        for image in self._images:
            gts = image.gts.get(class_id, [])
            preds = image.preds.get(class_id, [])
            # regions too small, too far or with too unsure a distance (ignored pixels)
            out = [size < min_size or d > max_dist or c < min_conf for _, size, d, c in gts]
            positive = [gt[0] >= 1000 and not o for gt, o in zip(gts, out, strict=True)]
            have_gt |= any(positive)
            have_pred |= bool(preds)
            best: dict[int, float] = {}  # positive GT index -> score of its match
            duplicates: list[float] = []
            matched_any = [False] * len(preds)
            for pi, (conf, psize, _void, hits) in enumerate(preds):
                for gi, inter in hits:
                    if float(inter) / (gts[gi][1] + psize - inter) > th:
                        matched_any[pi] = True
                        if positive[gi]:
                            if gi in best:
                                duplicates.append(min(best[gi], conf))
                                best[gi] = max(best[gi], conf)
                            else:
                                best[gi] = conf
            hard_fn += sum(positive) - len(best)
            true += [1.0] * len(best) + [0.0] * len(duplicates)
            score += list(best.values()) + duplicates
            for pi, (conf, psize, void, hits) in enumerate(preds):
                if matched_any[pi]:
                    continue
                ignored = void
                for gi, inter in hits:
                    if gts[gi][0] < 1000:
                        ignored += inter
                    if out[gi]:
                        ignored += inter
                if float(ignored) / psize <= th:
                    true.append(0.0)
                    score.append(conf)
        if not have_gt:
            return math.nan
        if not have_pred:
            return 0.0
        return _step_ap(np.asarray(true), np.asarray(score), hard_fn)


def _nanmean(x: NDArray) -> float:
    return math.nan if np.isnan(x).all() else float(np.nanmean(x))


def _step_ap(true: NDArray, score: NDArray, hard_fn: int) -> float:
    """Step-wise AP over the unique scores, with the artificial point (r=0, p=1)."""
    order = np.argsort(score, kind="stable")
    s, t = score[order], true[order]
    # first index of each run of equal scores, ascending
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]]) if s.size else np.zeros(0, np.int64)
    below = np.r_[0.0, np.cumsum(t)]  # positives strictly before each index
    n_true = below[-1]
    tp = n_true - below[starts]
    fp = (s.size - starts) - tp
    fn = below[starts] + hard_fn
    precision = np.r_[tp / (tp + fp), 1.0]
    recall = np.r_[tp / (tp + fn), 0.0]
    padded = np.r_[recall[0], recall, 0.0]
    widths = 0.5 * (padded[:-2] - padded[2:])
    return float(np.dot(precision, widths))


def _match(inst: NDArray, masks: NDArray, labels: NDArray, scores: NDArray, func: str) -> _Image:
    """The GT regions of each evaluated class and every prediction's overlaps with them."""
    ids, dense = np.unique(inst, return_inverse=True)
    dense = dense.reshape(inst.shape)
    region_label = np.where(ids < 1000, ids, ids // 1000)
    unknown = (region_label < 0) | (region_label >= NUM_LABEL_IDS)
    if unknown.any():
        raise InputError(
            f"{func}: `gt_instance_ids` has value(s) {ids[unknown][:10].tolist()} that name no "
            "Cityscapes label (expected a label id, or label id × 1000 + index)."
        )
    sizes = np.bincount(dense.reshape(-1), minlength=ids.size)
    is_void = np.isin(ids, _VOID_IDS)
    gts: dict[int, list[tuple[int, int, float, float]]] = {}
    index: dict[int, list[int]] = {}  # class id -> dense indices of its regions
    for k, (gid, lab) in enumerate(zip(ids.tolist(), region_label.tolist(), strict=True)):
        if lab in _CLASS_IDS:
            gts.setdefault(lab, []).append((gid, int(sizes[k]), *_NO_DISTANCE))
            index.setdefault(lab, []).append(k)
    preds: dict[int, list[tuple[float, int, int, list[tuple[int, int]]]]] = {}
    for m, lab, conf in zip(masks, labels.tolist(), scores.tolist(), strict=True):
        if lab not in _CLASS_IDS:
            continue
        inside = dense[m != 0]
        if inside.size == 0:
            continue
        counts = np.bincount(inside, minlength=ids.size)
        hits = [(j, int(counts[k])) for j, k in enumerate(index.get(lab, [])) if counts[k] > 0]
        preds.setdefault(lab, []).append(
            (float(conf), int(inside.size), int(counts[is_void].sum()), hits)
        )
    return _Image(gts=gts, preds=preds)


def _with_distances(
    image: _Image, gt_distances: Mapping[int, tuple[float, float]], inst: NDArray, func: str
) -> _Image:
    """``image`` with the (median distance, confidence) of the regions ``gt_distances`` names."""
    if not isinstance(gt_distances, Mapping):
        raise InputError(
            f"{func}: `gt_distances` must be a mapping of region id to (distance, confidence); "
            f"got {type(gt_distances).__name__}."
        )
    present = set(np.unique(inst).tolist())
    table: dict[int, tuple[float, float]] = {}
    for key, value in gt_distances.items():
        if isinstance(key, bool) or not isinstance(key, int | np.integer) or key not in present:
            raise InputError(
                f"{func}: `gt_distances` key {key!r} is not a region id of `gt_instance_ids` "
                f"(its ids: {sorted(present)[:10]}{'...' if len(present) > 10 else ''})."
            )
        try:
            dist, conf = (float(v) for v in value)
        except (TypeError, ValueError):
            raise InputError(
                f"{func}: `gt_distances[{key}]` must be (median distance, confidence); "
                f"got {value!r}."
            ) from None
        if math.isnan(dist) or math.isnan(conf):
            raise InputError(f"{func}: `gt_distances[{key}]` is NaN; got {value!r}.")
        table[int(key)] = (dist, conf)
    gts = {
        lab: [(gid, size, *table.get(gid, (d, c))) for gid, size, d, c in regions]
        for lab, regions in image.gts.items()
    }
    return _Image(gts=gts, preds=image.preds)
