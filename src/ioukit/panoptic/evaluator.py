"""Panoptic quality of id maps in memory, image by image: :class:`PanopticEvaluator`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ioukit._errors import InputError
from ioukit._segmentation_boundary import check_boundary
from ioukit.panoptic._boundary import to_ids
from ioukit.panoptic._match import (
    BadImage,
    Categories,
    ImageStats,
    check_options,
    match_files,
    parse_categories,
)
from ioukit.panoptic.result import PanopticResult

__all__ = ["PanopticEvaluator"]

NDArray = np.ndarray[Any, Any]
_FUNC = "PanopticEvaluator"


def _id_map(func: str, x: Any, name: str) -> tuple[NDArray, bool]:
    """An id map as NumPy: ``(array, is colour)``; ``(H, W)`` integers or ``(H, W, 3)`` uint8."""
    from ioukit._xp import to_numpy

    arr = to_numpy(x) if not isinstance(x, np.ndarray) else x
    if arr.ndim == 3 and arr.shape[2] == 3 and arr.dtype == np.uint8:
        return arr, True
    if arr.ndim != 2 or arr.dtype.kind not in "iu":
        raise InputError(
            f"{func}: `{name}` must be an (H, W) integer id map or an (H, W, 3) uint8 RGB map "
            f"(id = R + 256 G + 256**2 B); got shape {tuple(arr.shape)} of {arr.dtype}."
        )
    return arr, False


class PanopticEvaluator:
    """Accumulate panoptic quality image by image, from id maps in memory (training loops).

    The rules are those of :func:`ioukit.panoptic_quality` (panopticapi's by default): see
    there for VOID, crowd regions, matching and every option.

    Parameters
    ----------
    categories : sequence of dict
        COCO panoptic categories, ``[{"id": int, "name": str, "isthing": 0 | 1}, ...]``; the
        order is the order of the per-category table and of the sums.
    convention : {"panopticapi", "ioukit"}, default "panopticapi"
        ``"panopticapi"`` takes target areas from the segments' ``area`` (which must then be
        given) and uses one crowd region per category (the last listed);
        ``"ioukit"`` counts target areas in the map and uses every crowd region.
    pq_dagger : bool, default False
        PQ† (Porzi et al. 2019) for stuff categories.
    aggregation : {"dataset", "image"}, default "dataset"
        The headline scores from summed counts, or the mean of per-image scores.
    boundary : float, optional
        Boundary PQ (boundary-iou-api): the IoU of each pair is ``min(mask IoU, boundary
        IoU)``, the bands of width ``max(1, round(boundary * image diagonal))``
        (:func:`~ioukit.boundary_band`); e.g. 0.02 for COCO, 0.005 for Cityscapes. See
        :func:`ioukit.panoptic_quality`.

    Examples
    --------
    Two things (``isthing=1``) and a stuff category; VOID is id 0:

    >>> import numpy as np, ioukit
    >>> cats = [{"id": 1, "name": "person", "isthing": 1}, {"id": 2, "name": "car", "isthing": 1},
    ...         {"id": 3, "name": "sky", "isthing": 0}]
    >>> target = np.array([[5, 5, 5, 9], [5, 5, 0, 9], [7, 7, 7, 7]])
    >>> pred = np.array([[1, 1, 1, 1], [1, 1, 1, 2], [3, 3, 3, 3]])
    >>> t_segs = [{"id": 5, "category_id": 1, "area": 5}, {"id": 9, "category_id": 2, "area": 2},
    ...           {"id": 7, "category_id": 3, "area": 4}]
    >>> p_segs = [{"id": 1, "category_id": 1}, {"id": 2, "category_id": 2},
    ...           {"id": 3, "category_id": 3}]
    >>> ev = PanopticEvaluator(categories=cats)
    >>> ev.update(pred, target, p_segs, t_segs)
    >>> r = ev.compute()
    >>> # person: 5 / (7 + 5 - 5 - 1 on VOID) = 5/6; car: 1 / (1 + 2 - 1) = 1/2, not > 0.5
    >>> [(row["name"], row["tp"], row["fp"], row["fn"]) for row in r.per_category()]
    [('person', 1, 0, 0), ('car', 0, 1, 1), ('sky', 1, 0, 0)]
    >>> round(r.pq, 4)  # (5/6 + 0 + 1) / 3
    0.6111

    Boundary PQ with ``d = max(1, round(0.02 * 5)) = 1``: the person's bands are its masks
    minus their interiors (none: no 3×3 square fits), so the boundary IoU equals the mask IoU.

    >>> ev = PanopticEvaluator(categories=cats, boundary=0.02)
    >>> ev.update(pred, target, p_segs, t_segs)
    >>> round(ev.compute().pq, 4)
    0.6111
    """

    def __init__(
        self,
        *,
        categories: Sequence[Mapping[str, Any]] | Categories,
        convention: str = "panopticapi",
        pq_dagger: bool = False,
        aggregation: str = "dataset",
        boundary: float | None = None,
    ) -> None:
        check_options(_FUNC, convention, aggregation, "fail")
        self.boundary = check_boundary(_FUNC, boundary, 2)
        self.categories = parse_categories(_FUNC, categories)
        self.convention = convention
        self.pq_dagger = bool(pq_dagger)
        self.aggregation = aggregation
        #: what matching needs (also sent to worker processes by panoptic_quality)
        self.config = {
            "categories": self.categories,
            "convention": convention,
            "pq_dagger": self.pq_dagger,
            "boundary": self.boundary,
        }
        self.reset()

    def reset(self) -> None:
        """Forget every image."""
        self._stats: list[ImageStats] = []
        self._names: list[str] = []

    @property
    def num_images(self) -> int:
        """Images added so far."""
        return len(self._names)

    def update(
        self,
        pred_ids: Any,
        target_ids: Any,
        pred_segments: Sequence[dict[str, Any]],
        target_segments: Sequence[dict[str, Any]],
        *,
        name: str | None = None,
    ) -> None:
        """Add one image.

        Parameters
        ----------
        pred_ids, target_ids : array, shape (H, W) integers or (H, W, 3) uint8 RGB
            Segment id maps (any array library; RGB maps give ``R + 256 G + 256**2 B``);
            0 is VOID.
        pred_segments, target_segments : sequence of dict
            ``segments_info``: ``{"id", "category_id"}``, plus ``"iscrowd"`` (default 0) and,
            for targets with ``convention="panopticapi"``, ``"area"``.
        name : str, optional
            The image's name in the result (default: its position).

        Raises
        ------
        InputError
            Shapes differ; an id of a map is not in its segments or the reverse; an unknown
            category; a target segment without ``area`` (panopticapi convention).
        """
        from ioukit.kernels.panoptic import pair_counts, pair_counts_rgb

        label = f"image {self.num_images}" if name is None else str(name)
        p, p_rgb = _id_map(_FUNC, pred_ids, "pred_ids")
        t, t_rgb = _id_map(_FUNC, target_ids, "target_ids")
        if p.shape[:2] != t.shape[:2]:
            raise InputError(
                f"{_FUNC}.update: {label}: `pred_ids` is {p.shape[1]}x{p.shape[0]} (WxH) and "
                f"`target_ids` {t.shape[1]}x{t.shape[0]}; they must be the same size."
            )
        if p_rgb != t_rgb:  # one colour map, one id map: ids of both
            p = to_ids(p) if p_rgb else p
            t = to_ids(t) if t_rgb else t
        if p_rgb and t_rgb:
            gid, pid, pix = pair_counts_rgb(t, p)
        else:
            gid, pid, pix, bad = pair_counts(t, p)
            if bad:
                raise InputError(
                    f"{_FUNC}.update: {label}: {bad} pixel(s) have ids outside 0 … 2**31-1."
                )
        where = f"{_FUNC}.update: {label}"
        names = (
            f"{where}: `target_ids`",
            f"{where}: `pred_ids`",
            f"{where}: `target_segments`",
            f"{where}: `pred_segments`",
        )
        maps = None
        if self.boundary is not None:  # the bands need the id maps
            maps = (to_ids(t), to_ids(p)) if t_rgb and p_rgb else (t, p)
        try:
            stats = match_files(
                (gid, pid, pix), target_segments, pred_segments, self.config, names, maps
            )
        except BadImage as exc:
            raise InputError(str(exc)) from None
        self.add_stats(stats, label)

    def add_stats(self, stats: ImageStats, name: str) -> None:
        """Add the outcome of one image computed elsewhere (a worker process)."""
        self._stats.append(stats)
        self._names.append(name)

    def compute(self, problems: tuple[Any, ...] = ()) -> PanopticResult:
        """The :class:`PanopticResult` of the images added so far."""
        k = len(self.categories.ids)
        n = len(self._stats)

        def stack(attr: str) -> NDArray:
            if not n:
                return np.zeros((0, k), dtype=np.int64)
            return np.stack([getattr(s, attr) for s in self._stats])

        sizes = [s.match_iou.size for s in self._stats]
        return PanopticResult(
            categories=self.categories,
            image_names=tuple(self._names),
            image_tp=stack("tp"),
            image_fp=stack("fp"),
            image_fn=stack("fn"),
            match_image=np.repeat(np.arange(n, dtype=np.int64), sizes),
            match_cats=np.concatenate(
                [s.match_cats for s in self._stats] or [np.zeros(0, np.int64)]
            ),
            match_iou=np.concatenate([s.match_iou for s in self._stats] or [np.zeros(0)]),
            convention=self.convention,
            pq_dagger=self.pq_dagger,
            aggregation=self.aggregation,
            boundary=self.boundary,
            problems=tuple(problems),
        )
