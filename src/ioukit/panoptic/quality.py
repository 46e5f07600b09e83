"""Panoptic quality of COCO panoptic files: :func:`panoptic_quality`."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ioukit._errors import InputError
from ioukit._folder import Problem
from ioukit._segmentation_boundary import check_boundary
from ioukit.panoptic._files import PanopticProblemsError, load_json, plan, run_all
from ioukit.panoptic._match import check_options, parse_categories
from ioukit.panoptic.evaluator import PanopticEvaluator
from ioukit.panoptic.result import PanopticResult

if TYPE_CHECKING:
    from ioukit._pool import Executor

__all__ = ["PanopticProblemsError", "panoptic_quality"]

_FUNC = "panoptic_quality"
Json = str | os.PathLike[str] | Mapping[str, Any]


def panoptic_quality(
    gt_json: Json,
    gt_dir: str | os.PathLike[str],
    pred_json: Json,
    pred_dir: str | os.PathLike[str],
    *,
    convention: Literal["panopticapi", "ioukit"] = "panopticapi",
    pq_dagger: bool = False,
    aggregation: Literal["dataset", "image"] = "dataset",
    boundary: float | None = None,
    on_bad: Literal["fail", "skip"] = "fail",
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> PanopticResult:
    """Panoptic quality (PQ, SQ, RQ) of COCO panoptic predictions, as panopticapi's
    ``pq_compute`` computes it (Kirillov et al., CVPR 2019).

    Inputs are COCO panoptic: a JSON document with ``annotations``, one per image,
    ``{"image_id", "file_name", "segments_info": [{"id", "category_id", "iscrowd", "area"}]}``
    (the target's also has ``categories``, ``[{"id", "name", "isthing"}]``; the prediction's
    are ignored), and one RGB PNG per image whose pixel ids are ``R + 256 G + 256² B``.
    Images are those of ``gt_json`` in its order, paired with predictions by ``image_id``,
    read and counted in worker processes; the counts are added in image order, so the numbers
    do not depend on ``workers``.

    The rules (panopticapi's, ``convention="panopticapi"``), per image:

    1. **VOID** is id 0 in both maps. Prediction areas are counted in the PNG; target areas
       are the JSON ``area``, never recounted (an asymmetry).
    2. A (target g, prediction p) pair of the **same category**, g not crowd, is a **match**
       when ``IoU > 0.5`` (strict), where the prediction's pixels on target VOID leave the
       union::

           IoU = |g ∩ p| / (area_p + area_g − |g ∩ p| − |p ∩ VOID_target|)

       (target pixels on prediction VOID stay in the union: PQ is not symmetric). A match
       counts one **TP** and adds its IoU. Matches are unique since IoU > 0.5.
    3. An unmatched non-crowd target is a **FN**. Crowd targets (``iscrowd=1``) are never TP
       or FN; panopticapi keeps **one crowd region per category, the last one listed**.
    4. An unmatched prediction is a **FP**, unless more than half of it lies on target VOID
       plus the crowd region of its category: ``(|p ∩ VOID| + |p ∩ crowd_c|) / area_p > 0.5``;
       then it is ignored.

    Then, per category, over all images (the one division, :mod:`ioukit.panoptic._reduce`)::

        PQ_c = ΣIoU_c / (TP_c + ½FP_c + ½FN_c)   (directly, not SQ_c × RQ_c)
        SQ_c = ΣIoU_c / TP_c   (0 if TP_c = 0)      RQ_c = TP_c / (TP_c + ½FP_c + ½FN_c)

    PQ / SQ / RQ for All, Things (``isthing=1``) and Stuff are unweighted means over the
    categories with ``TP + FP + FN > 0`` (so mean PQ ≠ mean SQ × mean RQ). Sums run in the
    order of panopticapi's single-core loop, so the numbers are bit-identical to
    ``pq_compute_single_core``. Differences: a category without segments is NaN in the table
    (panopticapi prints 0); a group without categories is NaN (panopticapi raises
    ``ZeroDivisionError``); bad input is an error that names the file (below), where
    panopticapi raises a bare ``KeyError``, crashes, or goes on silently (unknown target
    ids, target JSON ids missing from the PNG, RGBA, size mismatches).

    ``convention="ioukit"`` changes two things: target areas are counted in the PNG (so a
    wrong JSON ``area`` cannot skew IoU), and every crowd region of a category counts in
    rule 4, not only the last. ``pq_dagger=True`` gives PQ† (Porzi et al., 2019) for stuff
    categories: every same-category pair with IoU > 0 adds its IoU, and
    ``PQ†_c = ΣIoU_c / |S_c|``, with ``|S_c|`` the non-crowd target segments of ``c``
    (reported as TP, with FP = FN = 0, so SQ = PQ† and RQ = 1, as torchmetrics'
    ``ModifiedPanopticQuality``); things keep the PQ rules. ``aggregation="image"`` makes
    the headline scores the mean over images of each image's own PQ/SQ/RQ (images without
    segments skipped), as in per-tile histopathology protocols; the per-category table stays
    dataset-level.

    ``boundary=ratio`` gives **Boundary PQ**, as boundary-iou-api computes it
    (``coco_panoptic_api/evaluation.py``, ``iou_type="boundary"``; Cheng et al., CVPR 2021):
    in rule 2 the IoU of each pair (target not crowd, same category) becomes
    ``min(mask IoU, boundary IoU)`` (for matching, SQ and PQ), with::

        boundary IoU = |B_g ∩ B_p| / (|B_p| + |B_g| − |B_g ∩ B_p| − |B_p ∩ VOID_target|)

    ``B_s`` is the inner band (:func:`~ioukit.boundary_band`) of the mask of segment ``s``
    alone in the whole image: pixels of ``s`` within chessboard distance ``d`` of a pixel that
    is not ``s`` (another segment, VOID, or outside the image), ``d = max(1, round(ratio ×
    sqrt(H² + W²)))``. As in the reference, band areas are counted in the PNGs (target ones
    too, whatever ``convention``), the prediction's band pixels on target VOID leave the union,
    and rules 3 and 4 (crowd, ignored predictions) use the masks only. With ``pq_dagger``,
    stuff pairs count when the minimum is > 0. One difference: the reference rewrites each
    map in ``segments_info`` order, painting a segment's interior with the id
    ``max(category id) + 1``, so a segment whose id equals it takes the interiors of the
    segments listed before it into its mask and those listed after into its band; here each
    band is that segment's own (the reference's numbers whenever no segment has that id, and
    its numbers with the id renamed when one has). The reference uses ``ratio`` 0.02 for COCO
    and 0.005 for Cityscapes.

    Worked example (one image; ``person`` is a thing, ``sky`` stuff; ``.`` is VOID)::

        target            prediction       segments
        5 5 5 9           1 1 1 1          target 5: person, area 5
        5 5 . 9           1 1 1 2          target 9: person, iscrowd=1
        7 7 7 7           3 3 3 3          target 7: sky, area 4
                                           pred 1, 2: person; pred 3: sky

    pred 1 on target 5: 5 pixels; IoU = 5 / (7 + 5 − 5 − 1 on VOID) = 5/6 > 0.5: TP.
    pred 2 is unmatched, but 1 of its 1 pixels is on the person crowd region: ignored.
    pred 3 on target 7: IoU 1: TP. Target 9 is crowd: no FN. So person PQ = 5/6, sky PQ = 1,
    PQ = (5/6 + 1) / 2 = 0.9167.

    Parameters
    ----------
    gt_json, pred_json : str, path-like or dict
        The target and prediction COCO panoptic JSON files (or their parsed dicts).
    gt_dir, pred_dir : str or path-like
        The folders of their PNGs (``file_name`` is relative to them).
    convention : {"panopticapi", "ioukit"}, default "panopticapi"
        See above.
    pq_dagger : bool, default False
        PQ† for stuff categories.
    aggregation : {"dataset", "image"}, default "dataset"
        Headline scores from summed counts, or the mean of per-image scores.
    boundary : float, optional
        Boundary PQ with this dilation ratio (a fraction of the image diagonal, > 0); see
        above. Default: mask IoU only.
    on_bad : {"fail", "skip"}, default "fail"
        Bad images raise :class:`PanopticProblemsError` listing every one (after all were
        read), or are skipped and recorded in ``result.problems``.
    workers : int, optional
        Worker processes (default: the cores this process may use; 1: this process).
    executor : Executor, optional
        Where images are evaluated (:class:`ioukit.evaluate.Executor`); not with ``workers``.
    progress : callable, optional
        ``progress(done, total)`` after each image.

    Returns
    -------
    PanopticResult
        ``pq``, ``sq``, ``rq``, ``scores`` (All/Things/Stuff), ``per_category()`` with TP, FP
        and FN, ``per_image_pq``, ``summary()``, ``to_dict()``.

    Raises
    ------
    PanopticProblemsError
        Bad images (``on_bad="fail"``), each naming its file: a target without a prediction;
        an unreadable PNG; a PNG that is not RGB (RGBA, P, L: the mode found is named); sizes
        that differ; a PNG id missing from ``segments_info`` or the reverse; an unknown
        category; a malformed segment or a target segment without ``area``.
    InputError
        A JSON file that cannot be read or is not COCO panoptic; a folder that does not
        exist; no image could be evaluated.
    ParameterError
        A bad option.

    Examples
    --------
    The worked example above, as files:

    >>> import json, pathlib, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> def save(folder, ids):
    ...     (root / folder).mkdir()
    ...     ids = np.array(ids)
    ...     rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], -1).astype(np.uint8)
    ...     Image.fromarray(rgb).save(root / folder / "a.png")
    >>> save("gt", [[5, 5, 5, 9], [5, 5, 0, 9], [7, 7, 7, 7]])
    >>> save("pred", [[1, 1, 1, 1], [1, 1, 1, 2], [3, 3, 3, 3]])
    >>> cats = [{"id": 1, "name": "person", "isthing": 1}, {"id": 2, "name": "sky", "isthing": 0}]
    >>> gt = {"categories": cats, "annotations": [{"image_id": 1, "file_name": "a.png",
    ...       "segments_info": [{"id": 5, "category_id": 1, "area": 5, "iscrowd": 0},
    ...                         {"id": 9, "category_id": 1, "area": 2, "iscrowd": 1},
    ...                         {"id": 7, "category_id": 2, "area": 4, "iscrowd": 0}]}]}
    >>> pred = {"annotations": [{"image_id": 1, "file_name": "a.png", "segments_info": [
    ...     {"id": 1, "category_id": 1}, {"id": 2, "category_id": 1},
    ...     {"id": 3, "category_id": 2}]}]}
    >>> r = panoptic_quality(gt, root / "gt", pred, root / "pred", workers=1)
    >>> round(r.pq, 4), round(r.scores["Things"]["pq"], 4), r.scores["Stuff"]["pq"]
    (0.9167, 0.8333, 1.0)
    >>> [(c["name"], c["tp"], c["fp"], c["fn"]) for c in r.per_category()]
    [('person', 1, 0, 0), ('sky', 1, 0, 0)]

    Boundary PQ: here ``d = 1`` and no segment has a 3×3 interior, so every band is its mask and
    the numbers stay (see ``tests/panoptic/test_panoptic_boundary.py`` for bands that differ).

    >>> b = panoptic_quality(gt, root / "gt", pred, root / "pred", workers=1, boundary=0.02)
    >>> round(b.pq, 4), b.to_dict()["options"]["boundary"]
    (0.9167, 0.02)
    """
    from ioukit._pool import check_run_options

    check_options(_FUNC, convention, aggregation, on_bad)
    check_boundary(_FUNC, boundary, 2)
    check_run_options(_FUNC, workers, executor, progress)
    gt, gt_where = load_json(_FUNC, gt_json, "gt_json")
    pred, _ = load_json(_FUNC, pred_json, "pred_json")
    if "categories" not in gt:
        raise InputError(f'{_FUNC}: `gt_json` {gt_where} has no "categories".')
    ev = PanopticEvaluator(
        categories=parse_categories(_FUNC, gt["categories"], f"{gt_where} categories"),
        convention=convention,
        pq_dagger=pq_dagger,
        aggregation=aggregation,
        boundary=boundary,
    )
    dirs = []
    for arg, folder in (("gt_dir", gt_dir), ("pred_dir", pred_dir)):
        if not Path(folder).is_dir():
            raise InputError(f"{_FUNC}: `{arg}` {str(folder)!r} is not a folder.")
        dirs.append(Path(folder))
    items, problems = plan(_FUNC, gt, dirs[0], pred, dirs[1])
    found: list[Problem] = list(problems)
    run_all(
        items,
        ev,
        found,
        config=ev.config,
        executor=executor,
        workers=workers,
        progress=progress,
    )
    ordered = tuple(sorted(found, key=_order(gt)))
    if ordered and on_bad == "fail":
        raise PanopticProblemsError(ordered, ev.num_images)
    if ev.num_images == 0:
        raise (
            PanopticProblemsError(ordered, 0)
            if ordered
            else InputError(
                f"{_FUNC}: `gt_json` {gt_where} has no annotations: nothing to evaluate."
            )
        )
    return ev.compute(problems=ordered)


def _order(gt: dict[str, Any]) -> Callable[[Problem], int]:
    """Problems in the order of the target's images."""
    position = {str(a["file_name"]): i for i, a in enumerate(gt["annotations"])}
    return lambda p: position.get(p.name, len(position))
