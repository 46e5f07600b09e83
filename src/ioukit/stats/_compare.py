"""Paired comparison of two evaluations on the same images: :func:`compare`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ioukit._errors import InputError, ParameterError
from ioukit.stats._bootstrap import (
    ConfidenceInterval,
    build,
    check_options,
    describe,
    fmt,
    level_text,
)
from ioukit.stats._source import BootstrapSource, resolve_metrics, source_of
from ioukit.stats._weights import (
    bootstrap_weights,
    jackknife_matrices,
    jackknife_weights,
    make_rng,
    replicate_matrices,
)

__all__ = ["Comparison", "compare"]

NDArray = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Comparison:
    """Two evaluations of the same images compared by a paired bootstrap.

    Attributes
    ----------
    metric : str
        The metric compared, e.g. ``"miou"``.
    labels : tuple of (str, str)
        Names of the two results (default ``("A", "B")``).
    a, b : ConfidenceInterval
        Each result's own interval, from the same resampled datasets.
    difference : ConfidenceInterval
        The interval of ``b − a`` (metric ``"Δ <metric>"``), each replicate the difference of
        the two results on the same resampled dataset.
    prob_b_better : float
        The share of replicates where ``b − a > 0`` (ties are not "better").
    p_value : float
        Two-sided paired bootstrap p-value of "no difference":
        ``min(1, 2 (1 + min(#{δ* ≤ 0}, #{δ* ≥ 0})) / (B + 1))`` over the replicates ``δ*``
        of the difference: the smallest ``1 − level`` at which the equal-tailed percentile
        interval of the difference leaves out 0, with the Monte Carlo ``+1`` so it is never 0
        (its resolution is about ``2 / B``).
    per_class : tuple of dict
        One row per class of the metric's family (``iou:<class>`` for mIoU, ``PQ:<category>``
        for PQ, …): ``name``, ``metric``, ``a``, ``b``, ``difference``, ``low``, ``high`` (the
        interval of the difference) and ``prob_b_better``.
    images : tuple of dict
        The images where the two differ most in :attr:`image_score`, ``|difference|``
        descending (NaN last): ``image``, ``score``, ``a``, ``b``, ``difference``.
    image_score : str
        The per-image score of :attr:`images` (``"miou"``, ``"pq"``, …).
    n_images, level, method, n_resamples
        As in :class:`ConfidenceInterval` (``method`` is the one requested).

    Examples
    --------
    >>> import numpy as np, ioukit
    >>> ev = ioukit.SegmentationEvaluator(2, class_names=["bg", "fg"])
    >>> for i in range(6):
    ...     ev.update(np.eye(3, dtype=int), np.roll(np.eye(3, dtype=int), i % 2, axis=0))
    >>> c = compare(ev.result(), ev.result(), n_resamples=100, random_state=0)
    >>> (c.difference.low, c.difference.high), c.prob_b_better, c.p_value
    ((0.0, 0.0), 0.0, 1.0)
    >>> [(row["name"], row["difference"]) for row in c.to_dict()["per_class"]]
    [('bg', 0.0), ('fg', 0.0)]
    """

    metric: str
    labels: tuple[str, str]
    a: ConfidenceInterval
    b: ConfidenceInterval
    difference: ConfidenceInterval
    prob_b_better: float
    p_value: float
    per_class: tuple[dict[str, Any], ...]
    images: tuple[dict[str, Any], ...]
    image_score: str
    n_images: int
    level: float
    method: str
    n_resamples: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: every field, intervals as :meth:`ConfidenceInterval.to_dict`, NaN as
        ``None``."""
        return {
            "metric": self.metric,
            "labels": list(self.labels),
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "difference": self.difference.to_dict(),
            "prob_b_better": _num(self.prob_b_better),
            "p_value": _num(self.p_value),
            "per_class": [{k: _num(v) for k, v in row.items()} for row in self.per_class],
            "images": [{k: _num(v) for k, v in row.items()} for row in self.images],
            "image_score": self.image_score,
            "n_images": self.n_images,
            "level": self.level,
            "method": self.method,
            "n_resamples": self.n_resamples,
        }

    def __str__(self) -> str:
        la, lb = self.labels
        diff = f"{lb} − {la}"
        width = max(len(la), len(lb), len(diff))
        d = self.difference

        def line(name: str, ci: ConfidenceInterval, sign: bool) -> str:
            return (
                f"  {name:<{width}}  {fmt(ci.estimate, sign):>7} [{fmt(ci.low, sign)}, "
                f"{fmt(ci.high, sign)}]"
            )

        lines = [
            f"{self.metric}: {lb} vs {la} "
            f"({describe(self.level, self.method, self.n_resamples, self.n_images)})",
            line(la, self.a, False),
            line(lb, self.b, False),
            f"{line(diff, d, True)}   P({lb} > {la}) {self.prob_b_better:.3f}   "
            f"p {self.p_value:.4f}",
        ]
        lines += [f"  note ({ci.metric}): {ci.note}" for ci in (self.a, self.b, d) if ci.note]
        col = max(7, len(la), len(lb))
        if self.per_class:
            names = max(5, *(len(str(r["name"])) for r in self.per_class))
            lines += [
                "",
                f"  {'class':<{names}}  {la:>{col}}  {lb:>{col}}  {'diff':>7}  "
                f"{level_text(self.level) + ' interval':>19}  P({lb} > {la})",
            ]
            lines += [
                f"  {r['name']:<{names}}  {fmt(r['a']):>{col}}  {fmt(r['b']):>{col}}  "
                f"{fmt(r['difference'], True):>7}  "
                f"[{fmt(r['low'], True):>7}, {fmt(r['high'], True):>7}]  "
                f"{r['prob_b_better']:.3f}"
                for r in self.per_class
            ]
        if self.images:
            names = max(5, *(len(str(r["image"])) for r in self.images))
            lines += [
                "",
                f"  images where they differ most ({self.image_score}):",
                f"  {'image':<{names}}  {la:>{col}}  {lb:>{col}}  {'diff':>7}",
            ]
            lines += [
                f"  {r['image']:<{names}}  {fmt(r['a']):>{col}}  {fmt(r['b']):>{col}}  "
                f"{fmt(r['difference'], True):>7}"
                for r in self.images
            ]
        return "\n".join(lines)


def _num(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def compare(
    result_a: Any,
    result_b: Any,
    *,
    metric: str | None = None,
    level: float = 0.95,
    method: str = "bca",
    n_resamples: int = 10000,
    random_state: int | np.random.Generator | None = None,
    top_images: int = 20,
    labels: tuple[str, str] = ("A", "B"),
) -> Comparison:
    """Compare two evaluations of the same images by a paired bootstrap over images.

    Each replicate draws one resampled dataset (images with replacement) and computes the
    metric of both results on it (Everingham et al., PASCAL VOC): the interval of ``b − a``
    accounts for the images both results share, so it is much narrower than two separate
    intervals suggest.

    Parameters
    ----------
    result_a, result_b : results of the same kind
        Evaluated with the same configuration (``source.config()``; e.g. classes and ignored
        values, or panoptic conventions) on the same set of images, matched by name (their
        order may differ; ``result_b`` is reordered).
    metric : str, optional
        Default: the headline (``"miou"``, ``"PQ"``, ``"AP"``); see
        :func:`confidence_interval` for the names.
    level, method, n_resamples, random_state
        As in :func:`confidence_interval`.
    top_images : int, default 20
        How many images to list where the two differ most in their per-image score.
    labels : (str, str), default ("A", "B")
        Names of the results in :attr:`Comparison.labels` and the printed table.

    Returns
    -------
    Comparison

    Raises
    ------
    InputError
        Results of different kinds, or of different image sets (up to 5 names missing from
        each side are listed), or duplicate image names in different orders.
    ParameterError
        Results evaluated with different configurations (each differing setting with both
        values), or a bad option.

    Examples
    --------
    >>> import numpy as np, ioukit
    >>> rng = np.random.default_rng(0)
    >>> ev_a, ev_b = ioukit.SegmentationEvaluator(2), ioukit.SegmentationEvaluator(2)
    >>> for i in range(30):
    ...     t = rng.integers(0, 2, (8, 8))
    ...     ev_a.update(np.where(rng.random((8, 8)) < 0.7, t, 1 - t), t, names=[f"{i}.png"])
    ...     ev_b.update(np.where(rng.random((8, 8)) < 0.9, t, 1 - t), t, names=[f"{i}.png"])
    >>> c = compare(ev_a.result(), ev_b.result(), n_resamples=2000, random_state=0)
    >>> c.difference.low > 0, c.prob_b_better, c.p_value < 0.01
    (True, 1.0, True)
    """
    func = "compare"
    lvl, how, n_b = check_options(func, level, method, n_resamples)
    rng = make_rng(func, random_state)
    if isinstance(top_images, bool) or not isinstance(top_images, int) or top_images < 0:
        raise ParameterError(f"{func}: `top_images` must be an int >= 0; got {top_images!r}.")
    if (
        not isinstance(labels, (tuple, list))
        or len(labels) != 2
        or not all(isinstance(v, str) for v in labels)
    ):
        raise ParameterError(f"{func}: `labels` must be two strings; got {labels!r}.")
    if metric is not None and not isinstance(metric, str):
        raise ParameterError(f"{func}: `metric` must be a str or None; got {metric!r}.")
    sa, sb = source_of(result_a, func=func), source_of(result_b, func=func)
    if sa.kind != sb.kind:
        raise InputError(
            f"{func}: both results must be of the same kind; got a {sa.kind} result and a "
            f"{sb.kind} result."
        )
    _same_config(func, sa, sb, labels)
    sb = _paired(func, sa, sb, labels)
    (name,) = resolve_metrics(func, sa, None if metric is None else [metric], single=True)
    family = sa.per_class_metrics(name)
    metrics = [name, *(m for _, m in family)]
    n = len(sa.image_names)
    est_a, est_b = (np.asarray(s.estimate(metrics), dtype=np.float64) for s in (sa, sb))
    reps_a, reps_b = replicate_matrices(
        [sa, sb], metrics, bootstrap_weights(n, n_b, random_state=rng)
    )
    jack_a = jack_b = None
    if how == "bca" and n >= 2:
        jack_a, jack_b = jackknife_matrices([sa, sb], metrics, jackknife_weights(n))

    def ci(metric: str, j: int, which: str) -> ConfidenceInterval:
        est = {"a": est_a[j], "b": est_b[j], "d": est_b[j] - est_a[j]}[which]
        reps = {"a": reps_a[:, j], "b": reps_b[:, j], "d": reps_b[:, j] - reps_a[:, j]}[which]
        jack = None
        if jack_a is not None and jack_b is not None:
            jack = {"a": jack_a[:, j], "b": jack_b[:, j], "d": jack_b[:, j] - jack_a[:, j]}[which]
        return build(metric, float(est), reps, jack, level=lvl, method=how, n_images=n)

    difference = ci(f"Δ {name}", 0, "d")
    prob, p_value = _paired_stats(reps_b[:, 0] - reps_a[:, 0])
    rows = []
    for j, (cls, m) in enumerate(family, start=1):
        d = ci(f"Δ {m}", j, "d")
        rows.append(
            {
                "name": cls,
                "metric": m,
                "a": float(est_a[j]),
                "b": float(est_b[j]),
                "difference": d.estimate,
                "low": d.low,
                "high": d.high,
                "prob_b_better": _paired_stats(reps_b[:, j] - reps_a[:, j])[0],
            }
        )
    score, images = _top_images(sa, sb, top_images)
    return Comparison(
        metric=name,
        labels=(labels[0], labels[1]),
        a=ci(name, 0, "a"),
        b=ci(name, 0, "b"),
        difference=difference,
        prob_b_better=prob,
        p_value=p_value,
        per_class=tuple(rows),
        images=images,
        image_score=score,
        n_images=n,
        level=lvl,
        method=how,
        n_resamples=n_b,
    )


def _paired_stats(diff: NDArray) -> tuple[float, float]:
    """``(P(b > a), two-sided p-value)`` from the replicates of ``b − a`` (NaN ones left out;
    both NaN when none is left)."""
    d = diff[~np.isnan(diff)]
    if d.size == 0:
        return math.nan, math.nan
    below, above = int(np.count_nonzero(d <= 0)), int(np.count_nonzero(d >= 0))
    p = min(1.0, 2.0 * (1 + min(below, above)) / (d.size + 1))
    return float(np.count_nonzero(d > 0)) / d.size, p


def _same_config(
    func: str, sa: BootstrapSource, sb: BootstrapSource, labels: Sequence[str]
) -> None:
    a, b = sa.config(), sb.config()
    diff = [k for k in {**a, **b} if a.get(k) != b.get(k)]
    if diff:
        details = "; ".join(
            f"{k}: {a.get(k)!r} in {labels[0]}, {b.get(k)!r} in {labels[1]}" for k in diff
        )
        raise ParameterError(
            f"{func}: the results were evaluated with different settings ({details}); only "
            "evaluations with the same configuration can be compared."
        )


def _paired(
    func: str, sa: BootstrapSource, sb: BootstrapSource, labels: Sequence[str]
) -> BootstrapSource:
    """``sb`` with its images in the order of ``sa``'s (checked to be the same images)."""
    na, nb = tuple(sa.image_names), tuple(sb.image_names)
    if na == nb:
        return sb
    only_a = [n for n in dict.fromkeys(na) if n not in set(nb)]
    only_b = [n for n in dict.fromkeys(nb) if n not in set(na)]
    if only_a or only_b:
        parts = [
            f"{len(names)} image(s) only in {label}: {', '.join(map(repr, names[:5]))}"
            + (", …" if len(names) > 5 else "")
            for label, names in ((labels[0], only_a), (labels[1], only_b))
            if names
        ]
        raise InputError(
            f"{func}: the results must be evaluated on the same images (matched by name); "
            f"{'; '.join(parts)}."
        )
    if len(set(na)) != len(na) or len(na) != len(nb):
        raise InputError(
            f"{func}: the image names repeat, so the images cannot be paired by name; give "
            "every image a distinct name, or evaluate both in the same order."
        )
    return sb.reorder(na)


def _top_images(
    sa: BootstrapSource, sb: BootstrapSource, top: int
) -> tuple[str, tuple[dict[str, Any], ...]]:
    score, va = sa.per_image_scores()
    _, vb = sb.per_image_scores()
    va, vb = np.asarray(va, dtype=np.float64), np.asarray(vb, dtype=np.float64)
    d = vb - va
    key = np.where(np.isnan(d), -1.0, np.abs(d))  # NaN last
    order = np.argsort(-key, kind="stable")[:top]
    rows = tuple(
        {
            "image": sa.image_names[i],
            "score": score,
            "a": float(va[i]),
            "b": float(vb[i]),
            "difference": float(d[i]),
        }
        for i in order
    )
    return score, rows
