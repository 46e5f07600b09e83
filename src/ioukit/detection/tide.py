"""TIDE: the object-detection error analysis of Bolya et al. (ECCV 2020), as ``tidecv`` 1.0.1.

:func:`tide` sorts every false-positive detection into one error type, fixes each type in
isolation with an oracle, and reports how much AP each fix would gain (ΔAP). The numbers are
those of ``tidecv``'s ``TIDE().evaluate(gt, preds, mode=TIDE.BOX or TIDE.MASK)``, quirks
included; ``convention="ioukit"`` fixes its two bugs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ioukit._errors import ParameterError
from ioukit.core._checks import check_choice
from ioukit.detection._tide_ap import MAIN_ERRORS, SPECIAL_ERRORS, TIDEData, delta_aps
from ioukit.detection._tide_pairs import check_iou_type, check_unit, load, renamed
from ioukit.detection._tide_run import analyse

__all__ = ["TIDEResult", "tide"]

_CONVENTIONS = ("tidecv", "ioukit")


@dataclass(frozen=True)
class TIDEResult:
    """The result of :func:`tide`: AP at one IoU threshold and the ΔAP of each error type.

    All AP values are in AP points (AP × 100), as ``tidecv`` reports them.

    Attributes
    ----------
    base_ap : float
        TIDE's AP at ``pos_threshold`` (×100): the mean over categories of 101-point
        interpolated AP (see :func:`tide` for how it differs from COCO's AP50). NaN when no
        category has a ground truth or a detection (``tidecv`` raises ZeroDivisionError).
    main_errors : dict of str to float
        ΔAP of fixing each main error type alone, ``max(AP_fixed - base_ap, 0)``, keys in the
        order ``Cls``, ``Loc``, ``Both``, ``Dupe``, ``Bkg``, ``Miss``.
    special_errors : dict of str to float
        ``FalsePos`` (every false positive scored below every true positive: perfect
        precision) and ``FalseNeg`` (every missed ground truth removed: perfect recall),
        ``AP_fixed - base_ap`` (not clipped at 0, as in ``tidecv``).
    counts : dict of str to int
        How many detections (``Cls`` ... ``Bkg``) or ground truths (``Miss``) have each main
        error type; under ``convention="tidecv"`` this includes detections ignored by a crowd
        region.
    n_images, n_gt, n_detections : int
        Images, regular (non-crowd) ground truths, and detections evaluated (at most
        ``max_dets`` per image).
    n_tp, n_fp, n_fn, n_ignored : int
        True positives, false positives, unmatched ground truths, and detections ignored by a
        crowd region (neither true nor false positive).
    iou_type : str
        ``"bbox"`` or ``"segm"``.
    pos_threshold, background_threshold : float
        The foreground IoU threshold t_f and the background threshold t_b.
    max_dets : int
        Detections kept per image (all categories together).
    convention : str
        ``"tidecv"`` or ``"ioukit"``.

    Examples
    --------
    See :func:`tide`.
    """

    base_ap: float
    main_errors: dict[str, float]
    special_errors: dict[str, float]
    counts: dict[str, int]
    n_images: int
    n_gt: int
    n_detections: int
    n_tp: int
    n_fp: int
    n_fn: int
    n_ignored: int
    iou_type: str = "bbox"
    pos_threshold: float = 0.5
    background_threshold: float = 0.1
    max_dets: int = 100
    convention: str = "tidecv"

    def __repr__(self) -> str:
        main = ", ".join(f"{k}={v:.2f}" for k, v in self.main_errors.items())
        return (
            f"TIDEResult(iou_type={self.iou_type!r}, AP{_pct(self.pos_threshold)}="
            f"{self.base_ap:.2f}, {main}, FalsePos={self.special_errors['FalsePos']:.2f}, "
            f"FalseNeg={self.special_errors['FalseNeg']:.2f})"
        )

    def summary(self) -> str:
        """A compact text table: the AP, then ΔAP and count of each error type.

        Returns
        -------
        str
            Lines joined by newlines, with a final newline; ΔAP in AP points with two
            decimals, as ``tidecv``'s ``summarize()``.

        Examples
        --------
        See :func:`tide`.
        """
        mode = "mask" if self.iou_type == "segm" else "bbox"
        head = (
            f"TIDE {mode} AP @ {_pct(self.pos_threshold)}: {self.base_ap:.2f}   "
            f"(t_f {self.pos_threshold:g}, t_b {self.background_threshold:g}, "
            f"max_dets {self.max_dets}, {self.convention})"
        )
        rows = [
            ["Main errors", *MAIN_ERRORS],
            ["dAP", *(f"{self.main_errors[k]:.2f}" for k in MAIN_ERRORS)],
            ["count", *(str(self.counts[k]) for k in MAIN_ERRORS)],
        ]
        special = [
            ["Special errors", *SPECIAL_ERRORS],
            ["dAP", *(f"{self.special_errors[k]:.2f}" for k in SPECIAL_ERRORS)],
        ]
        tail = (
            f"{self.n_images} images, {self.n_gt} ground truths, {self.n_detections} "
            f"detections: {self.n_tp} TP, {self.n_fp} FP, {self.n_ignored} ignored, "
            f"{self.n_fn} FN"
        )
        return "\n".join([head, *_table(rows), *_table(special), tail]) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain Python, ready for ``json.dumps`` (NaN becomes ``None``).

        Returns
        -------
        dict
            ``base_ap``, ``main_errors``, ``special_errors``, ``counts``, the ``n_*`` totals
            and ``params`` (``iou_type``, ``pos_threshold``, ``background_threshold``,
            ``max_dets``, ``convention``).

        Examples
        --------
        See :func:`tide`.
        """
        return {
            "base_ap": _json(self.base_ap),
            "main_errors": {k: _json(v) for k, v in self.main_errors.items()},
            "special_errors": {k: _json(v) for k, v in self.special_errors.items()},
            "counts": dict(self.counts),
            "n_images": self.n_images,
            "n_gt": self.n_gt,
            "n_detections": self.n_detections,
            "n_tp": self.n_tp,
            "n_fp": self.n_fp,
            "n_fn": self.n_fn,
            "n_ignored": self.n_ignored,
            "params": {
                "iou_type": self.iou_type,
                "pos_threshold": self.pos_threshold,
                "background_threshold": self.background_threshold,
                "max_dets": self.max_dets,
                "convention": self.convention,
            },
        }


def _pct(t: float) -> str:
    return f"{t * 100:g}"


def _json(v: float) -> float | None:
    return None if math.isnan(v) else float(v)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
    return out


def tide(
    gt: Any,
    dt: Any,
    *,
    iou_type: str = "bbox",
    pos_threshold: float = 0.5,
    background_threshold: float = 0.1,
    max_dets: int = 100,
    convention: str = "tidecv",
) -> TIDEResult:
    """TIDE error analysis (Bolya et al., "TIDE: A General Toolbox for Identifying Object
    Detection Errors", ECCV 2020), with the numbers of ``tidecv`` 1.0.1.

    **Matching.** Per image, the ``max_dets`` highest-scoring detections (all categories
    together; equal scores in file order) are taken in decreasing score order; each takes the
    unmatched regular (non-crowd) ground truth of its category with the highest IoU if that
    IoU is ``>= pos_threshold`` (t_f); on equal IoU the first in file order. A detection left
    unmatched whose intersection over its own area with a crowd region of its category is
    ``> t_f`` (strict) is *ignored*: neither true nor false positive.

    **Error types.** Each unmatched detection gets exactly one type, tested in this order
    (IoUs with the regular ground truths of its image, matched or not; t_b =
    ``background_threshold``):

    1. ``Bkg`` if the image has no regular ground truth;
    2. ``Loc`` if its highest same-category IoU is in [t_b, t_f] (with that ground truth);
    3. ``Cls`` if its highest other-category IoU is ``>= t_f`` (with that ground truth);
    4. ``Dupe`` if its highest IoU with a *matched* same-category ground truth is ``>= t_f``;
    5. ``Bkg`` if its highest IoU with any ground truth is ``<= t_b``;
    6. ``Both`` otherwise.

    A regular ground truth that no detection matched is ``Miss`` unless some ``Loc`` or
    ``Cls`` error points at it.

    **Fixes (oracles), each applied alone to the base run.** ``Cls``: among the ``Cls`` and
    ``Loc`` errors that point at one unmatched ground truth, the highest-scoring (the first on
    ties) becomes a true positive of the ground truth's category if it is a ``Cls`` error; the
    other ``Cls`` errors are removed. ``Loc``: likewise for ``Loc`` errors, in their own
    category. ``Both``, ``Dupe``, ``Bkg``: the detections are removed. ``Miss``: the missed
    ground truths are removed from the positives. ``FalsePos``: every false positive gets
    score 0 and every true positive score 1. ``FalseNeg``: every unmatched ground truth is
    removed. Main ΔAP = ``max(AP_fixed - AP, 0)``; special ΔAP = ``AP_fixed - AP``. The
    fixes overlap, so the ΔAPs do not add up to ``100 - AP``.

    **TIDE's AP** (not COCO's AP50): per category, the detections sorted by decreasing score
    (stable), precision ``tp / (tp + fp)`` made monotone from the right, read at the 101
    recall levels ``k / 100`` (the first detection reaching each level, 0 when none does),
    averaged, ×100; then the mean over the categories that have a ground truth or a
    detection. It differs from COCO's AP50: ``max_dets`` counts detections per image across
    categories (COCO: per category); there are no area ranges; a category with detections
    but no ground truth counts with AP 0 (COCO leaves it out); a crowd region ignores only
    detections left unmatched, of its own category, with intersection over the detection's
    area ``> t_f`` (COCO: ``>= t``); equal IoUs go to the first ground truth (COCO: the
    last); the recall levels are ``k / 100`` (COCO: ``np.linspace(0, 1, 101)``) and
    precision has no epsilon.

    **Quirks of tidecv, reproduced by default** (``convention="tidecv"``):

    * detections ignored by a crowd region still get an error type: they are counted, a
      ``Loc``/``Cls`` one can be fixed into a true positive (which raises AP) and keeps its
      ground truth from being a ``Miss`` (**bug**; fixed by ``convention="ioukit"``, where
      ignored detections get no error type);
    * the fixed runs list the error detections before the true positives, so among equal
      scores their order differs from the base run's (image order): a fix that changes
      nothing can still move AP, and ``FalseNeg`` can be negative (**bug**; fixed by
      ``convention="ioukit"``, which keeps the base order);
    * ``Loc`` is tested before ``Cls`` and its interval is closed at t_f; a ``Loc`` or
      ``Cls`` error on an already matched ground truth is removed by its fix;
    * ``Cls`` and ``Loc`` errors compete for one ground truth: a ``Loc`` error is not fixed
      when a higher-scoring ``Cls`` error points at the same ground truth, and vice versa;
    * with ``background_threshold=0``, a detection without any same-category overlap is a
      ``Loc`` error against the first ground truth of its image;
    * a ground-truth category id of -1 on a crowd region ignores detections of any category;
    * a fix that leaves a category with neither detections nor ground truths takes it out of
      the mean: removing the only detections of a category without ground truth (AP 0)
      raises AP;
    * the category means are summed in the order in which categories first appear (floating
      point addition is not associative; this is reproduced to the last bit).

    Differences from ``tidecv`` kept in both conventions: results on images that are not in
    ``gt`` raise an error (``tidecv`` drops them); ground truths on images that are not in
    ``gt['images']`` are dropped (``tidecv``'s reader crashes), and neither ``file_name`` nor,
    for boxes, ``segmentation`` is required; detections scored ``<= -1`` are never fixed into
    true positives (``tidecv`` raises KeyError when every candidate for a ground truth is);
    when no category has a ground truth or a detection, AP and ΔAP are NaN (``tidecv`` raises
    ZeroDivisionError). An empty result list is allowed, as in ``tidecv`` (every ground
    truth is missed).

    Parameters
    ----------
    gt : str, path or dict
        A COCO annotation file or its dict (``images`` with ``id``, and ``height``/``width``
        for ``"segm"``; ``annotations`` with ``image_id``, ``category_id``, ``area``,
        ``iscrowd``, and ``bbox`` or ``segmentation``; ``categories``).
    dt : str, path or list of dict
        A COCO results file or its list: ``image_id``, ``category_id``, ``score``, and
        ``bbox`` ``[x, y, w, h]`` and/or ``segmentation`` (an RLE of the image's size).
    iou_type : {"bbox", "segm"}, default "bbox"
        Overlap of boxes (``TIDE.BOX``) or masks (``TIDE.MASK``).
    pos_threshold : float, default 0.5
        t_f, in [0, 1]: the IoU at which a detection is a true positive.
    background_threshold : float, default 0.1
        t_b, in [0, 1] and below t_f: overlaps at or below it are background.
    max_dets : int, default 100
        Detections kept per image, all categories together.
    convention : {"tidecv", "ioukit"}, default "tidecv"
        ``"tidecv"`` reproduces ``tidecv`` 1.0.1 bit for bit; ``"ioukit"`` fixes the two bugs
        marked above.

    Returns
    -------
    TIDEResult
        ``base_ap``, ``main_errors``, ``special_errors`` (ΔAP in AP points), ``counts``,
        ``summary()``, ``to_dict()``.

    Raises
    ------
    ParameterError
        For an unknown ``iou_type`` or ``convention``, a threshold outside [0, 1],
        ``background_threshold >= pos_threshold``, or ``max_dets`` not a positive int.
    InputError
        For malformed ground truth or results (as :func:`ioukit.coco_evaluate`).

    Examples
    --------
    A dog found twice (a duplicate), a cat box shifted by 4 pixels (IoU 0.43: a localisation
    error), a dog box on the other cat (a class error) and a cat box on nothing:

    >>> from ioukit.detection.tide import tide
    >>> def box(i, cat, xywh):
    ...     return {"id": i, "image_id": 1, "category_id": cat, "bbox": xywh,
    ...             "area": 100, "iscrowd": 0}
    >>> gt = {"images": [{"id": 1}],
    ...       "categories": [{"id": 1, "name": "dog"}, {"id": 2, "name": "cat"}],
    ...       "annotations": [box(1, 1, [0, 0, 10, 10]), box(2, 2, [20, 0, 10, 10]),
    ...                       box(3, 2, [40, 0, 10, 10])]}
    >>> dt = [{"image_id": 1, "category_id": c, "bbox": b, "score": s} for c, b, s in [
    ...     (1, [0, 0, 10, 10], 0.9), (1, [1, 0, 10, 10], 0.8), (2, [24, 0, 10, 10], 0.7),
    ...     (1, [40, 0, 10, 10], 0.6), (2, [70, 70, 10, 10], 0.5)]]
    >>> r = tide(gt, dt)
    >>> r.base_ap  # dog: AP 100; cat: no true positive, AP 0
    50.0
    >>> r.counts
    {'Cls': 1, 'Loc': 1, 'Both': 0, 'Dupe': 1, 'Bkg': 1, 'Miss': 0}

    Fixing the Loc error makes the cat box a true positive: cat AP = 51 / 101 (recall 1/2 at
    precision 1), so AP = (100 + 50.50) / 2 and ΔAP = 25.25. Fixing the class error turns the
    dog box into a cat true positive behind the cat false positive (precision 1/2):

    >>> {k: round(v, 2) for k, v in r.main_errors.items()}
    {'Cls': 12.62, 'Loc': 25.25, 'Both': 0.0, 'Dupe': 0.0, 'Bkg': 0.0, 'Miss': 0.0}
    >>> print(r.summary(), end="")
    TIDE bbox AP @ 50: 50.00   (t_f 0.5, t_b 0.1, max_dets 100, tidecv)
    Main errors    Cls    Loc  Both  Dupe   Bkg  Miss
    dAP          12.62  25.25  0.00  0.00  0.00  0.00
    count            1      1     0     1     1     0
    Special errors  FalsePos  FalseNeg
    dAP                 0.00      0.00
    1 images, 3 ground truths, 5 detections: 1 TP, 4 FP, 0 ignored, 2 FN
    """
    func = "tide"
    segm = check_iou_type(func, iou_type)
    pos = check_unit(func, "pos_threshold", pos_threshold)
    bg = check_unit(func, "background_threshold", background_threshold)
    if not bg < pos:
        raise ParameterError(
            f"{func}: `background_threshold` must be below `pos_threshold`; got "
            f"background_threshold={background_threshold!r}, pos_threshold={pos_threshold!r}."
        )
    if isinstance(max_dets, bool) or not isinstance(max_dets, (int, np.integer)) or max_dets < 1:
        raise ParameterError(f"{func}: `max_dets` must be a positive int; got {max_dets!r}.")
    check_choice(func, "convention", convention, _CONVENTIONS)
    with renamed(func):
        g, d = load(gt, dt, segm=segm, keep_unknown=True)
        data: TIDEData = analyse(
            g, d, pos=pos, bg=bg, max_dets=int(max_dets), segm=segm,
            fixed=convention == "ioukit",
        )  # fmt: skip
    base, main, special = delta_aps(data, stable=convention == "ioukit")
    return TIDEResult(
        base_ap=base, main_errors=main, special_errors=special, counts=data.counts(),
        n_images=data.n_images, n_gt=data.n_gt, n_detections=data.n_detections,
        n_tp=data.n_tp, n_fp=data.n_fp, n_fn=data.n_fn, n_ignored=data.n_ignored,
        iou_type=iou_type, pos_threshold=pos, background_threshold=bg,
        max_dets=int(max_dets), convention=convention,
    )  # fmt: skip
