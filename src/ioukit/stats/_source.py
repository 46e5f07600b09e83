"""What the bootstrap needs from an evaluation: the :class:`BootstrapSource` protocol.

A source wraps one result's exact per-image state (segmentation: per-image counts; panoptic:
per-image TP/FP/FN and IoU sums; detection: per-image match records) and computes any of its
metrics on resampled datasets given as rows of image multiplicities. The interval and comparison
code (:mod:`ioukit.stats`) sees only this protocol, so every kind of result gets the same
intervals, the same paired comparison and the same treatment of degenerate cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ioukit._errors import InputError, ParameterError

__all__ = ["BootstrapSource", "metric_labels", "resolve_metrics", "source_of"]

NDArray = np.ndarray[Any, Any]


@runtime_checkable
class BootstrapSource(Protocol):
    """The per-image state of one evaluation, as the bootstrap sees it.

    Attributes
    ----------
    kind : {"segmentation", "detection", "panoptic"}
    image_names : tuple of str
        The ``N`` images, the resampling unit, in the order of the weight columns;
        :func:`~ioukit.stats.compare` pairs two sources by these names.

    Methods
    -------
    config()
        JSON-safe settings that must be equal for two results to be compared.
    headline_metrics()
        The metrics of :func:`~ioukit.stats.confidence_intervals` by default; the first is the
        default of :func:`~ioukit.stats.confidence_interval`.
    metric_names()
        Every accepted metric name.
    estimate(metrics)
        ``(M,)`` float64: each metric on the full data, equal to the result's own number.
    replicates(metrics, weights)
        ``weights`` ``(B, N)`` float64 multiplicities (bootstrap rows sum to ``N``, jackknife
        rows to ``N - 1``) → ``(B, M)`` float64: each metric on each resampled dataset, NaN where
        it is undefined there.
    per_class_metrics(metric)
        The per-class family of a metric: ``((class name, metric name), ...)``, ``()`` if none.
    per_image_scores()
        ``(score name, (N,) float64)``: one score per image (NaN allowed), to list the images
        where two results differ most.
    reorder(names)
        The same source with its images in the order of ``names`` (a permutation of
        ``image_names``).
    """

    kind: str
    image_names: tuple[str, ...]

    def config(self) -> dict[str, Any]: ...

    def headline_metrics(self) -> tuple[str, ...]: ...

    def metric_names(self) -> tuple[str, ...]: ...

    def estimate(self, metrics: Sequence[str]) -> NDArray: ...

    def replicates(self, metrics: Sequence[str], weights: NDArray) -> NDArray: ...

    def per_class_metrics(self, metric: str) -> tuple[tuple[str, str], ...]: ...

    def per_image_scores(self) -> tuple[str, NDArray]: ...

    def reorder(self, names: Sequence[str]) -> BootstrapSource: ...


def source_of(result: Any, *, func: str = "source_of") -> BootstrapSource:
    """The :class:`BootstrapSource` of a result (a source is returned as is).

    Parameters
    ----------
    result : SegmentationResult, PanopticResult, COCOResult, LVISResult or BootstrapSource

    Raises
    ------
    InputError
        Another type, or a result without images.
    ParameterError
        A segmentation result without per-image counts (evaluate with ``per_image=True``).

    Examples
    --------
    >>> import numpy as np, ioukit
    >>> ev = ioukit.SegmentationEvaluator(2, class_names=["bg", "cat"])
    >>> ev.update(np.array([[0, 1]]), np.array([[0, 1]]), names=["a.png"])
    >>> s = source_of(ev.result())
    >>> s.kind, s.image_names, s.per_class_metrics("miou")
    ('segmentation', ('a.png',), (('bg', 'iou:bg'), ('cat', 'iou:cat')))
    """
    from ioukit._segmentation_result import SegmentationResult
    from ioukit.panoptic.result import PanopticResult

    source: BootstrapSource
    if isinstance(result, SegmentationResult):
        from ioukit.stats._segmentation import SegmentationSource

        source = SegmentationSource(result, func=func)
    elif isinstance(result, PanopticResult):
        from ioukit.stats._panoptic import PanopticSource

        source = PanopticSource(result)
    elif _is_detection(result):
        from ioukit.detection._bootstrap import detection_source

        source = detection_source(result)
    elif isinstance(result, BootstrapSource):
        source = result
    else:
        raise InputError(
            f"{func}: expected a SegmentationResult, PanopticResult, COCOResult or LVISResult; "
            f"got {type(result).__name__}."
        )
    if not source.image_names:
        raise InputError(f"{func}: the result has no images; there is nothing to resample.")
    return source


def _is_detection(result: Any) -> bool:
    """Whether ``result`` is a COCOResult or LVISResult (imported only when it may be one)."""
    if not type(result).__module__.startswith("ioukit.detection"):
        return False
    from ioukit.detection._lvis_result import LVISResult
    from ioukit.detection.result import COCOResult

    return isinstance(result, (COCOResult, LVISResult))


def resolve_metrics(
    func: str, source: BootstrapSource, metrics: Sequence[str] | None, *, single: bool = False
) -> list[str]:
    """The metric names to compute: the source's headline (all of them, or the first with
    ``single``) when ``metrics`` is None; else ``metrics`` without repeats, each checked."""
    if metrics is None:
        headline = list(source.headline_metrics())
        return headline[:1] if single else headline
    if not metrics:
        raise ParameterError(f"{func}: `metrics` is empty; name at least one metric.")
    if set(metrics) <= set(source.headline_metrics()):  # no need to list every name
        return list(dict.fromkeys(metrics))
    valid = source.metric_names()
    known = set(valid)
    unknown = [m for m in metrics if m not in known]
    if unknown:
        shown = ", ".join(repr(m) for m in valid[:40])
        more = f", … ({len(valid) - 40} more)" if len(valid) > 40 else ""
        raise ParameterError(
            f"{func}: unknown metric {unknown[0]!r} for a {source.kind} result; valid metrics "
            f"are {shown}{more}."
        )
    return list(dict.fromkeys(metrics))


def metric_labels(names: Sequence[str]) -> tuple[str, ...]:
    """The label of each class in metric names (``"iou:<label>"``): its name, or
    ``"<name>#<position>"`` when several classes share that name.

    >>> metric_labels(["road", "car", "car"])
    ('road', 'car#1', 'car#2')
    """
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    return tuple(n if seen[n] == 1 else f"{n}#{i}" for i, n in enumerate(names))


def reorder_index(func: str, current: Sequence[str], names: Sequence[str]) -> NDArray:
    """``index`` such that ``current[index] == names`` (a permutation; names unique)."""
    position = {n: i for i, n in enumerate(current)}
    if len(position) != len(current) or len(names) != len(current) or set(names) != set(position):
        raise InputError(
            f"{func}: `names` must be a permutation of the {len(current)} distinct image names."
        )
    return np.asarray([position[n] for n in names], dtype=np.int64)
