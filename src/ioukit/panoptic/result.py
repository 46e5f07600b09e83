"""The result of a panoptic evaluation: :class:`PanopticResult`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ioukit._errors import StateError
from ioukit._folder import Problem
from ioukit._result_faces import ResultFaces
from ioukit.panoptic._match import Categories
from ioukit.panoptic._reduce import GROUPS, category_scores, group_scores

if TYPE_CHECKING:
    pass

__all__ = ["PanopticResult"]

NDArray = np.ndarray[Any, Any]

#: the arrays of the JSON state: per-image counts, then the match records
_STATE_ARRAYS = ("image_tp", "image_fp", "image_fn", "match_image", "match_cats", "match_iou")


def _num(v: Any) -> float | None:
    v = float(v)
    return None if math.isnan(v) else v


@dataclass(frozen=True, eq=False)
class PanopticResult(ResultFaces):
    """PQ, SQ and RQ of a panoptic evaluation, overall, per category and per image.

    Made by :func:`ioukit.panoptic_quality` and :meth:`ioukit.PanopticEvaluator.compute`; every
    number is a reduction of the integer counts it holds (TP/FP/FN per image and category) and
    of the IoU of each match.

    Attributes
    ----------
    categories : Categories
        ``ids``, ``names`` and ``isthing`` of the K categories, in the order given.
    image_names : tuple of str
        The N evaluated images, in evaluation order.
    image_tp, image_fp, image_fn : ndarray of int64, shape (N, K)
        TP, FP and FN of each image and category (with ``pq_dagger``, the "TP" of a stuff
        category counts its target segments, and its FP and FN are 0).
    match_image, match_cats : ndarray of int64, shape (M,)
        The image and category position of each match, in the order the IoUs are summed.
    match_iou : ndarray of float64, shape (M,)
        The IoU of each match.
    convention, aggregation : str
        The options used; ``pq_dagger`` : bool; ``boundary`` : float or None, the dilation
        ratio of Boundary PQ (then ``match_iou`` holds ``min(mask IoU, boundary IoU)``).
    problems : tuple of Problem
        Images that were skipped (``on_bad="skip"``) and why.

    Examples
    --------
    >>> import numpy as np, ioukit
    >>> ev = ioukit.PanopticEvaluator(categories=[{"id": 1, "name": "cat", "isthing": 1}])
    >>> t = np.array([[1, 1, 1, 1]]); p = np.array([[1, 1, 1, 0]])
    >>> ev.update(p, t, [{"id": 1, "category_id": 1}], [{"id": 1, "category_id": 1, "area": 4}])
    >>> r = ev.compute()
    >>> r.pq, r.sq, r.rq  # IoU 3/4 > 0.5: one TP
    (0.75, 0.75, 1.0)
    >>> print(r.summary().splitlines()[2])
    All       |  75.0   75.0  100.0     1
    """

    _headline: ClassVar[str] = "PQ"
    categories: Categories
    image_names: tuple[str, ...]
    image_tp: NDArray
    image_fp: NDArray
    image_fn: NDArray
    match_image: NDArray
    match_cats: NDArray
    match_iou: NDArray
    convention: str = "panopticapi"
    pq_dagger: bool = False
    aggregation: str = "dataset"
    boundary: float | None = None
    problems: tuple[Problem, ...] = field(default=())

    # -- counts ----------------------------------------------------------------------------
    @property
    def isthing(self) -> NDArray:
        """``(K,)`` bool: which categories are things."""
        return np.asarray(self.categories.isthing, dtype=bool)

    @cached_property
    def tp(self) -> NDArray:
        """``(K,)`` int64 TP per category over all images (likewise :attr:`fp`, :attr:`fn`)."""
        return np.asarray(self.image_tp.sum(axis=0), dtype=np.int64)

    @cached_property
    def fp(self) -> NDArray:
        """``(K,)`` int64 FP per category over all images."""
        return np.asarray(self.image_fp.sum(axis=0), dtype=np.int64)

    @cached_property
    def fn(self) -> NDArray:
        """``(K,)`` int64 FN per category over all images."""
        return np.asarray(self.image_fn.sum(axis=0), dtype=np.int64)

    @cached_property
    def iou_sum(self) -> NDArray:
        """``(K,)`` float64 ΣIoU per category, summed in image order, then match order (as
        panopticapi's single-core loop, so it is bit-identical)."""
        out = np.zeros(len(self.categories.ids), dtype=np.float64)
        np.add.at(out, self.match_cats, self.match_iou)  # unbuffered: in order
        return out

    @cached_property
    def image_iou_sum(self) -> NDArray:
        """``(N, K)`` float64 ΣIoU per image and category."""
        out = np.zeros(self.image_tp.shape, dtype=np.float64)
        np.add.at(out, (self.match_image, self.match_cats), self.match_iou)
        return out

    # -- scores ----------------------------------------------------------------------------
    @cached_property
    def _per_category(self) -> tuple[NDArray, NDArray, NDArray]:
        return category_scores(self.iou_sum, self.tp, self.fp, self.fn)

    @cached_property
    def _per_image(self) -> dict[str, dict[str, NDArray]]:
        pq, sq, rq = category_scores(
            self.image_iou_sum, self.image_tp, self.image_fp, self.image_fn
        )
        return group_scores(pq, sq, rq, self.isthing)

    @cached_property
    def scores(self) -> dict[str, dict[str, float]]:
        """``{"All" | "Things" | "Stuff": {"pq", "sq", "rq", "n"}}``.

        ``aggregation="dataset"``: means over the ``n`` categories with TP + FP + FN > 0 of
        the summed counts. ``"image"``: each image's own value (the same rule on its counts),
        averaged over the ``n`` images where it is defined. NaN when nothing counts.
        """
        out: dict[str, dict[str, float]] = {}
        if self.aggregation == "dataset":
            groups = group_scores(*self._per_category, self.isthing)
            for g in GROUPS:
                out[g] = {k: float(v) for k, v in groups[g].items()}
                out[g]["n"] = int(groups[g]["n"])
            return out
        for g in GROUPS:
            per = self._per_image[g]
            defined = ~np.isnan(per["pq"])
            n = int(defined.sum())
            out[g] = {
                k: float(per[k][defined].mean()) if n else math.nan for k in ("pq", "sq", "rq")
            }
            out[g]["n"] = n
        return out

    @property
    def pq(self) -> float:
        """PQ over all categories (the headline)."""
        return self.scores["All"]["pq"]

    @property
    def sq(self) -> float:
        """SQ over all categories."""
        return self.scores["All"]["sq"]

    @property
    def rq(self) -> float:
        """RQ over all categories."""
        return self.scores["All"]["rq"]

    @property
    def per_image_pq(self) -> NDArray:
        """``(N,)`` float64: each image's PQ over its categories with TP + FP + FN > 0 (NaN for
        an image without segments)."""
        return self._per_image["All"]["pq"]

    def per_category(self) -> list[dict[str, Any]]:
        """One row per category, in order: ``category_id``, ``name``, ``isthing``, ``pq``,
        ``sq``, ``rq`` (NaN for a category without segments; panopticapi prints 0), ``tp``,
        ``fp``, ``fn``, ``iou_sum``."""
        pq, sq, rq = self._per_category
        cats = self.categories
        return [
            {
                "category_id": cats.ids[i],
                "name": cats.names[i],
                "isthing": cats.isthing[i],
                "pq": float(pq[i]),
                "sq": float(sq[i]),
                "rq": float(rq[i]),
                "tp": int(self.tp[i]),
                "fp": int(self.fp[i]),
                "fn": int(self.fn[i]),
                "iou_sum": float(self.iou_sum[i]),
            }
            for i in range(len(cats.ids))
        ]

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-safe Python (NaN becomes ``None``): ``kind`` (``"panoptic"``),
        ``options``, ``scores``, ``per_category``, ``per_image``
        (``[{"image", "pq", "sq", "rq"}]``), ``problems`` and ``state``: the exact per-image
        counts and match records, names and options, from which :meth:`from_dict` rebuilds
        the result."""
        per = self._per_image["All"]
        return {
            "kind": "panoptic",
            "options": {
                "convention": self.convention,
                "pq_dagger": self.pq_dagger,
                "aggregation": self.aggregation,
                "boundary": self.boundary,
            },
            "scores": {
                g: {k: (v if k == "n" else _num(v)) for k, v in s.items()}
                for g, s in self.scores.items()
            },
            "per_category": [
                {k: (_num(v) if isinstance(v, float) else v) for k, v in row.items()}
                for row in self.per_category()
            ],
            "per_image": [
                {"image": name, **{k: _num(per[k][i]) for k in ("pq", "sq", "rq")}}
                for i, name in enumerate(self.image_names)
            ],
            "problems": [
                {"kind": p.kind, "name": p.name, "message": p.message} for p in self.problems
            ],
            "state": self._state(),
        }

    def _state(self) -> dict[str, str]:
        from ioukit.stats._records import pack

        cats = self.categories
        meta = {
            "category_ids": list(cats.ids),
            "category_names": list(cats.names),
            "isthing": [bool(v) for v in cats.isthing],
            "image_names": list(self.image_names),
            "convention": self.convention,
            "pq_dagger": self.pq_dagger,
            "aggregation": self.aggregation,
            "boundary": self.boundary,
            "problems": [list(p) for p in self.problems],
        }
        return pack(meta, {name: getattr(self, name) for name in _STATE_ARRAYS})

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> PanopticResult:
        """The result that :meth:`to_dict` describes, rebuilt from its ``"state"``: the same
        counts and match records (bit for bit), names and options, so every score is identical.

        Raises :class:`ioukit.StateError` for a document without a valid panoptic state.

        >>> import json, numpy as np, ioukit
        >>> ev = ioukit.PanopticEvaluator(categories=[{"id": 1, "name": "cat", "isthing": 1}])
        >>> p, t = [{"id": 1, "category_id": 1}], [{"id": 1, "category_id": 1, "area": 4}]
        >>> ev.update(np.array([[1, 1, 1, 0]]), np.array([[1, 1, 1, 1]]), p, t, name="a")
        >>> r = ev.compute()
        >>> back = PanopticResult.from_dict(json.loads(json.dumps(r.to_dict())))
        >>> back.pq == r.pq, back.image_names, back.categories.names
        (True, ('a',), ('cat',))
        """
        from ioukit._state import take
        from ioukit.stats._records import reading, unpack

        where = "PanopticResult.from_dict"
        meta, arrays = unpack(doc, "panoptic", where)
        with reading(where):
            n, k = len(meta["image_names"]), len(meta["category_ids"])
            images = [take(arrays, a, where, "i", 2, (n, k)) for a in _STATE_ARRAYS[:3]]
            m = take(arrays, "match_iou", where, "f", 1).shape[0]
            matches = [take(arrays, a, where, "i", 1, (m,)) for a in _STATE_ARRAYS[3:5]]
            if m and not (
                matches[0].min() >= 0
                and matches[0].max() < n
                and matches[1].min() >= 0
                and matches[1].max() < k
            ):
                raise StateError(f"{where}: the state's matches point outside the images.")
            boundary = meta["boundary"]
            return cls(
                categories=Categories(
                    tuple(int(v) for v in meta["category_ids"]),
                    tuple(str(v) for v in meta["category_names"]),
                    tuple(bool(v) for v in meta["isthing"]),
                ),
                image_names=tuple(str(v) for v in meta["image_names"]),
                image_tp=images[0].astype(np.int64),
                image_fp=images[1].astype(np.int64),
                image_fn=images[2].astype(np.int64),
                match_image=matches[0].astype(np.int64),
                match_cats=matches[1].astype(np.int64),
                match_iou=arrays["match_iou"].astype(np.float64),
                convention=str(meta["convention"]),
                pq_dagger=bool(meta["pq_dagger"]),
                aggregation=str(meta["aggregation"]),
                boundary=None if boundary is None else float(boundary),
                problems=tuple(Problem(*(str(v) for v in p)) for p in meta["problems"]),
            )

    def summary(self) -> str:
        """panopticapi's printed table (PQ, SQ, RQ in %, and N, for All, Things and Stuff),
        then one line per category with its TP, FP and FN."""
        lines = ["{:10s}| {:>5s}  {:>5s}  {:>5s} {:>5s}".format("", "PQ", "SQ", "RQ", "N")]
        lines.append("-" * (10 + 7 * 4))
        for g in GROUPS:
            s = self.scores[g]
            vals = [
                ("  n/a" if math.isnan(s[k]) else f"{100 * s[k]:5.1f}") for k in ("pq", "sq", "rq")
            ]
            lines.append(f"{g:10s}| {vals[0]}  {vals[1]}  {vals[2]} {int(s['n']):5d}")
        lines.append("")
        width = max([8, *(len(n) for n in self.categories.names)])
        lines.append(f"{'category':{width}s}  kind     PQ     SQ     RQ      TP      FP      FN")
        for row in self.per_category():
            vals = [
                "  n/a" if math.isnan(row[k]) else f"{100 * row[k]:5.1f}"
                for k in ("pq", "sq", "rq")
            ]
            kind = "thing" if row["isthing"] else "stuff"
            lines.append(
                f"{row['name']:{width}s}  {kind}  {vals[0]}  {vals[1]}  {vals[2]}  "
                f"{row['tp']:6d}  {row['fp']:6d}  {row['fn']:6d}"
            )
        return "\n".join(lines) + "\n"
