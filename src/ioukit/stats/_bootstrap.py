"""Bootstrap confidence intervals over images: percentile and BCa, and the public functions.

The resampling unit is the image (Everingham et al., "Assessing the significance of performance
differences on the PASCAL VOC challenges via bootstrapping"): a replicate draws ``N`` images
with replacement from the ``N`` evaluated ones and recomputes the metric on that dataset. A
replicate is therefore a row of integer multiplicities ``w`` (how often each image was drawn;
``Σ w = N``; :mod:`ioukit.stats._weights`), and the metric of the resampled dataset is a
function of ``w`` and each image's exact state (its counts, or its match records), which a
:class:`~ioukit.stats.BootstrapSource` computes for many rows at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from statistics import NormalDist
from typing import Any

import numpy as np

from ioukit._errors import ParameterError
from ioukit.stats._weights import (
    bootstrap_weights,
    jackknife_matrices,
    jackknife_weights,
    make_rng,
    replicate_matrices,
)

__all__ = ["ConfidenceInterval", "confidence_interval", "confidence_intervals", "interval"]

NDArray = np.ndarray[Any, Any]

METHODS = ("bca", "percentile")

_NORMAL = NormalDist()


# -- options ---------------------------------------------------------------------------------


def check_options(
    func: str, level: object, method: object, n_resamples: object
) -> tuple[float, str, int]:
    """The options shared by every bootstrap function, validated: ``(level, method, B)``."""
    if isinstance(level, bool) or not isinstance(level, Real) or not 0 < float(level) < 1:
        raise ParameterError(
            f"{func}: `level` must be a number strictly between 0 and 1 (e.g. 0.95); got {level!r}."
        )
    if method not in METHODS:
        raise ParameterError(
            f"{func}: `method` must be one of {', '.join(map(repr, METHODS))}; got {method!r}."
        )
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, Integral) or n_resamples < 1:
        raise ParameterError(
            f"{func}: `n_resamples` must be an integer >= 1 (e.g. 10000); got {n_resamples!r}."
        )
    return float(level), str(method), int(n_resamples)


# -- intervals -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfidenceInterval:
    """A bootstrap confidence interval of one metric.

    Attributes
    ----------
    metric : str
        The metric's name, e.g. ``"miou"``, ``"iou:road"``, ``"PQ"``, ``"AP"``.
    estimate : float
        The metric on the full data: the result's own number, bit for bit.
    low, high : float
        The interval (NaN when there is none; ``note`` says why).
    level : float
        The confidence level, e.g. 0.95.
    method : {"bca", "percentile"}
        The method actually used (BCa falls back to percentile in degenerate cases).
    n_resamples, n_images : int
        Replicates drawn, and images in each (the resampling unit).
    note : str
        What was not ordinary: a fallback from BCa and why, replicates left out because the
        metric is undefined (NaN) on them; ``""`` otherwise.

    Examples
    --------
    >>> ci = ConfidenceInterval("miou", 0.6423, 0.6101, 0.6712, 0.95, "bca", 10000, 500)
    >>> print(ci)
    miou 0.6423 [0.6101, 0.6712] (95% BCa, 10000 resamples of 500 images)
    >>> ci.to_dict()["low"]
    0.6101
    """

    metric: str
    estimate: float
    low: float
    high: float
    level: float
    method: str
    n_resamples: int
    n_images: int
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the fields, NaN as ``None``."""
        return {
            "metric": self.metric,
            "estimate": _num(self.estimate),
            "low": _num(self.low),
            "high": _num(self.high),
            "level": self.level,
            "method": self.method,
            "n_resamples": self.n_resamples,
            "n_images": self.n_images,
            "note": self.note,
        }

    def describe(self) -> str:
        """``"95% BCa, 10000 resamples of 500 images"``."""
        return describe(self.level, self.method, self.n_resamples, self.n_images)

    def __str__(self) -> str:
        text = (
            f"{self.metric} {fmt(self.estimate)} [{fmt(self.low)}, {fmt(self.high)}] "
            f"({self.describe()})"
        )
        return f"{text}; {self.note}" if self.note else text


def describe(level: float, method: str, n_resamples: int, n_images: int) -> str:
    """``"95% BCa, 10000 resamples of 500 images"``."""
    return (
        f"{level_text(level)} {'BCa' if method == 'bca' else 'percentile'}, "
        f"{n_resamples} resamples of {n_images} images"
    )


def level_text(level: float) -> str:
    """``0.95 -> "95%"``, ``0.975 -> "97.5%"``."""
    return f"{round(100 * level, 10):g}%"


def fmt(value: float, sign: bool = False) -> str:
    """Four decimals (``nan`` for NaN); with ``sign``, a leading ``+`` for positive values."""
    if math.isnan(value):
        return "nan"
    return f"{value:+.4f}" if sign else f"{value:.4f}"


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def interval(
    estimate: float,
    replicates: NDArray,
    jackknife: NDArray | None,
    level: float,
    method: str,
) -> tuple[float, float, str, str]:
    """``(low, high, method used, note)`` from ``(B,)`` replicates and, for BCa, the ``(N,)``
    leave-one-out values.

    NaN replicates (the metric undefined on that resampled dataset) are left out and counted
    in the note, as long as they are at most ``(1 - level) / 2`` of them: NaN replicates could
    belong anywhere in the ordering, so each interval end can move by up to their share of
    quantile, and past the tail that the interval leaves out the end is not determined; then
    the interval is NaN. A NaN estimate gives a NaN interval.

    BCa (Efron & Tibshirani 1993, §14.3): ``z0 = Φ⁻¹(p)`` with ``p`` the share of replicates
    below the estimate, ties counted half (as ``scipy.stats.bootstrap``); acceleration
    ``a = Σ d_i³ / (6 (Σ d_i²)^{3/2})`` with ``d_i = mean_j θ_(j) − θ_(i)`` from the jackknife;
    ends at the quantiles ``Φ(z0 + (z0 + z_α) / (1 − a (z0 + z_α)))`` of the replicates for
    ``z_α = Φ⁻¹((1 − level) / 2)`` and ``Φ⁻¹((1 + level) / 2)``. It falls back to the
    percentile interval, saying why, when any of this is undefined: fewer than 2 images, all
    replicates equal, all on one side of the estimate, a NaN jackknife value or a constant
    jackknife. Quantiles are NumPy's linear interpolation (as scipy).
    """
    nan = math.nan
    if math.isnan(estimate):
        return nan, nan, method, "the estimate is NaN (the metric is undefined on these data)"
    reps = replicates[~np.isnan(replicates)]
    b, kept = replicates.size, reps.size
    alpha = (1.0 - level) / 2.0
    notes = []
    if kept < b:
        share = (b - kept) / b
        what = (
            f"{b - kept} of {b} replicates are NaN (the metric is undefined on those "
            "resampled datasets, e.g. a class drawn in no image)"
        )
        if share > alpha:
            return (
                nan,
                nan,
                method,
                (
                    f"{what}: more than the {alpha:.2%} tail that the interval leaves out, so its "
                    "ends are not determined"
                ),
            )
        notes.append(f"{what} and were left out")
    probs = (alpha, 1.0 - alpha)
    if method == "bca":
        bca_probs, why = _bca_probabilities(estimate, reps, jackknife, alpha)
        if why:
            method = "percentile"
            notes.append(f"BCa fell back to percentile: {why}")
        else:
            probs = bca_probs
    low, high = (float(v) for v in np.quantile(reps, probs))
    return low, high, method, "; ".join(notes)


def _bca_probabilities(
    estimate: float, reps: NDArray, jackknife: NDArray | None, alpha: float
) -> tuple[tuple[float, float], str]:
    """The BCa quantile levels, or ``((0, 0), reason)`` when BCa is undefined."""
    none = (0.0, 0.0)
    if jackknife is None or jackknife.size < 2:
        return none, "fewer than 2 images (no jackknife)"
    if reps.min() == reps.max():
        return none, "all replicates are equal"
    below = np.count_nonzero(reps < estimate) + np.count_nonzero(reps <= estimate)
    p = below / (2.0 * reps.size)
    if not 0.0 < p < 1.0:
        side = "above" if p == 0.0 else "below"
        return none, f"every replicate lies {side} the estimate (the bias correction is infinite)"
    if np.isnan(jackknife).any():
        k = int(np.isnan(jackknife).sum())
        return none, f"the leave-one-image-out value is NaN for {k} image(s)"
    d = jackknife.mean() - jackknife
    den = float(np.sum(d**2))
    if den == 0.0:
        return none, "the leave-one-image-out values are all equal (no acceleration)"
    a = float(np.sum(d**3)) / (6.0 * den**1.5)
    z0 = _NORMAL.inv_cdf(p)
    out = []
    for z in (_NORMAL.inv_cdf(alpha), _NORMAL.inv_cdf(1.0 - alpha)):
        num = z0 + z
        q = 1.0 - a * num
        if q <= 0.0:
            return none, f"the acceleration {a:.3g} is too large for this level"
        out.append(_NORMAL.cdf(z0 + num / q))
    return (out[0], out[1]), ""


def build(
    metric: str,
    estimate: float,
    replicates: NDArray,
    jackknife: NDArray | None,
    *,
    level: float,
    method: str,
    n_images: int,
) -> ConfidenceInterval:
    """The :class:`ConfidenceInterval` of one metric from its replicates."""
    low, high, used, note = interval(estimate, replicates, jackknife, level, method)
    return ConfidenceInterval(
        metric=metric,
        estimate=float(estimate),
        low=low,
        high=high,
        level=float(level),
        method=used,
        n_resamples=int(replicates.size),
        n_images=n_images,
        note=note,
    )


# -- the public functions --------------------------------------------------------------------


def confidence_interval(
    result: Any,
    metric: str | None = None,
    *,
    level: float = 0.95,
    method: str = "bca",
    n_resamples: int = 10000,
    random_state: int | np.random.Generator | None = None,
) -> ConfidenceInterval:
    """Bootstrap confidence interval of one metric of an evaluation, images resampled.

    Parameters
    ----------
    result : SegmentationResult, PanopticResult, COCOResult, LVISResult or BootstrapSource
        The evaluation; it must keep per-image state (segmentation: evaluated with
        ``SegmentationEvaluator(per_image=True)``, the default).
    metric : str, optional
        The metric's name (default: the result's headline, ``"miou"``, ``"PQ"`` or ``"AP"``).
        Segmentation: ``"miou"``, ``"miou:<convention>"`` (every convention of
        :data:`ioukit.CONVENTIONS` that this evaluation can compute), ``"mdice"``,
        ``"pixel_accuracy"``, ``"mean_accuracy"``, ``"fw_iou"``, ``"iou:<class name>"``,
        ``"dice:<class name>"``. Panoptic: ``"PQ"``, ``"SQ"``, ``"RQ"``, their ``_th`` and
        ``_st`` variants, ``"PQ:<category>"``, ``"SQ:<category>"``, ``"RQ:<category>"``.
        Detection: the summary stats (``"AP"``, ``"AP50"``, …) and ``"AP:<category>"``.
    level : float, default 0.95
        Confidence level, in (0, 1).
    method : {"bca", "percentile"}, default "bca"
        Bias-corrected and accelerated (Efron), or the plain percentile interval. BCa falls back
        to percentile when it is undefined, and says so in ``note``.
    n_resamples : int, default 10000
        Number of replicates ``B``.
    random_state : None, int or numpy.random.Generator
        Seed of the resampling.

    Returns
    -------
    ConfidenceInterval
        ``estimate`` is the result's own number, bit for bit.

    Raises
    ------
    ParameterError
        Unknown metric (the message lists the valid ones), ``level`` outside (0, 1),
        ``n_resamples < 1``, an unknown ``method``, a result without per-image state.

    Notes
    -----
    Each replicate is the metric of a resampled dataset: ``N`` images drawn with replacement,
    an image drawn ``k`` times counting ``k`` times, every rule of the evaluation applied
    (absent classes, conventions, PQ's category means). For counts this is a matrix product of
    the ``(B, N)`` multiplicities and the per-image counts, exact in floating point (every
    partial sum is an integer below ``2**53``, or ``2**24`` for float32), computed in chunks of
    at most 64 MiB of weights and temporaries.

    NaN replicates (the metric undefined on a resampled dataset, e.g. a class drawn in no image)
    are left out, and ``note`` counts them, as long as they are at most ``(1 - level) / 2`` of
    the replicates; beyond that the interval is NaN (they could sit anywhere in the ordering,
    so an interval end is not determined). A NaN estimate gives a NaN interval.

    BCa follows Efron & Tibshirani (1993, §14.3): bias correction from the share of replicates
    below the estimate (ties count half, as ``scipy.stats.bootstrap``), acceleration from the
    leave-one-image-out jackknife (``N`` more evaluations). It falls back to the percentile
    interval, and says why in ``note``, with fewer than 2 images, when all replicates are equal
    or all on one side of the estimate, or when a jackknife value is NaN or all are equal.

    Examples
    --------
    >>> import numpy as np, ioukit
    >>> ev = ioukit.SegmentationEvaluator(2)
    >>> rng = np.random.default_rng(0)
    >>> for _ in range(20):
    ...     t = rng.integers(0, 2, (8, 8)); p = np.where(rng.random((8, 8)) < 0.8, t, 1 - t)
    ...     ev.update(p, t)
    >>> r = ev.result()
    >>> ci = confidence_interval(r, "miou", n_resamples=2000, random_state=0)
    >>> ci.estimate == r.miou, ci.low < r.miou < ci.high, ci.method
    (True, True, 'bca')
    """
    func = "confidence_interval"
    if metric is not None and not isinstance(metric, str):
        raise ParameterError(f"{func}: `metric` must be a str or None; got {metric!r}.")
    out = _intervals(func, result, None if metric is None else [metric], level, method,
                     n_resamples, random_state, single=True)  # fmt: skip
    return next(iter(out.values()))


def confidence_intervals(
    result: Any,
    metrics: Sequence[str] | None = None,
    *,
    level: float = 0.95,
    method: str = "bca",
    n_resamples: int = 10000,
    random_state: int | np.random.Generator | None = None,
) -> dict[str, ConfidenceInterval]:
    """Bootstrap confidence intervals of several metrics from one draw of resampling weights.

    ``metrics=None`` gives the result's headline metrics (segmentation: ``miou``, ``mdice``,
    ``pixel_accuracy``, ``mean_accuracy``, ``fw_iou``; panoptic: ``PQ``, ``SQ``, ``RQ`` for
    All, Things and Stuff; detection: the summary stats). Every metric is computed on the same
    resampled datasets, so ``confidence_intervals(r, random_state=0)["miou"]`` equals
    ``confidence_interval(r, "miou", random_state=0)``. Options as in
    :func:`confidence_interval`.

    Examples
    --------
    >>> import numpy as np, ioukit
    >>> ev = ioukit.SegmentationEvaluator(3)
    >>> rng = np.random.default_rng(1)
    >>> for _ in range(10):
    ...     ev.update(rng.integers(0, 3, (6, 6)), rng.integers(0, 3, (6, 6)))
    >>> cis = confidence_intervals(ev.result(), n_resamples=500, random_state=0)
    >>> list(cis)
    ['miou', 'mdice', 'pixel_accuracy', 'mean_accuracy', 'fw_iou']
    """
    func = "confidence_intervals"
    if metrics is not None and (
        isinstance(metrics, str)
        or not isinstance(metrics, Sequence)
        or not all(isinstance(m, str) for m in metrics)
    ):
        raise ParameterError(
            f"{func}: `metrics` must be a sequence of metric names or None; got {metrics!r}."
        )
    return _intervals(func, result, metrics, level, method, n_resamples, random_state, single=False)


def _intervals(
    func: str,
    result: Any,
    metrics: Sequence[str] | None,
    level: object,
    method: object,
    n_resamples: object,
    random_state: object,
    *,
    single: bool,
) -> dict[str, ConfidenceInterval]:
    from ioukit.stats._source import resolve_metrics, source_of

    lvl, how, b = check_options(func, level, method, n_resamples)
    rng = make_rng(func, random_state)
    source = source_of(result, func=func)
    names = resolve_metrics(func, source, metrics, single=single)
    n = len(source.image_names)
    estimates = np.asarray(source.estimate(names), dtype=np.float64)
    (reps,) = replicate_matrices([source], names, bootstrap_weights(n, b, random_state=rng))
    jack = None
    if how == "bca" and n >= 2:
        (jack,) = jackknife_matrices([source], names, jackknife_weights(n))
    return {
        name: build(
            name,
            float(estimates[j]),
            reps[:, j],
            None if jack is None else jack[:, j],
            level=lvl,
            method=how,
            n_images=n,
        )
        for j, name in enumerate(names)
    }
