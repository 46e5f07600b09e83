"""The offline HTML report of an evaluation (``pip install 'ioukit[report]'``).

:func:`write_html` writes one self-contained file: plotly.js inlined once, each figure drawn by
``Plotly.newPlot`` from JSON in the page, thumbnails as ``data:`` URIs, nothing loaded from the
network (a Content-Security-Policy forbids it). The report only *draws*: every number on the
page comes from the result it is given (and from :mod:`ioukit.stats` for the intervals).

===============================  ===============================================================
result                           sections
===============================  ===============================================================
:class:`~ioukit.SegmentationResult`  headline metrics with intervals, every convention's mIoU,
(or a :class:`~ioukit.FolderEvaluation`)  configuration, per-class table, confusion matrix,
                                 per-image mIoU histogram, worst images with TP/FP/FN overlays
:class:`~ioukit.COCOResult`,     the summary statistics with intervals, configuration, PR curves
:class:`~ioukit.LVISResult`      at IoU 0.5, 0.75 and their mean (best F1 marked), TIDE bars,
                                 per-category AP
:class:`~ioukit.PanopticResult`  PQ / SQ / RQ of all, things and stuff with intervals,
                                 per-category table, per-image PQ histogram, worst images
``ioukit.stats.Comparison``      both models and their difference with intervals, P(B > A),
                                 per-class differences, the images that changed most
===============================  ===============================================================

Importing this module imports neither plotly nor Pillow; :func:`render_html` does, and raises
:class:`ioukit.MissingDependencyError` naming the ``report`` extra when one is missing.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ioukit._errors import InputError, ParameterError
from ioukit.report._common import Options
from ioukit.report._page import Page, plotly_js

__all__ = ["render_html", "write_html"]

_FUNC = "write_html"


def write_html(
    obj: Any,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    intervals: bool = True,
    n_resamples: int = 2000,
    random_state: Any = 0,
    images: str | os.PathLike[str] | None = None,
    pairs: Mapping[str, tuple[Any, Any]] | None = None,
    max_thumbnails: int = 24,
    thumbnail_budget: int = 4_000_000,
    tide: Any = None,
    reduce_zero_label: bool = False,
) -> Path:
    """Write the HTML report of an evaluation result to ``path`` (one offline file).

    Parameters
    ----------
    obj : SegmentationResult, FolderEvaluation, COCOResult, LVISResult, PanopticResult or Comparison
        What to report. A :class:`~ioukit.FolderEvaluation` (from
        :func:`ioukit.evaluate_folder`) reports its result, with its folders and file problems,
        and finds the label maps of the worst images by itself (``pairs`` not needed).
    path : str or path-like
        The file to write (UTF-8); its folder must exist.
    title : str, optional
        The page's title; default from the kind of result.
    intervals : bool, default True
        Show bootstrap confidence intervals of the headline metrics, from
        ``ioukit.stats.confidence_intervals(result, ..., n_resamples=, random_state=)``
        (whole images resampled; BCa by default). A result without per-image state gets a
        note on the page instead. Not used for a Comparison (it carries its own).
    n_resamples : int, default 2000
        Bootstrap resamples.
    random_state : int, numpy Generator or None, default 0
        Seed of the resampling (0: the same page for the same data).
    images : str or path-like, optional
        A folder of the original images, found by each image's name (relative path) plus a
        common extension (``.jpg``, ``.png``, ...; for a name with an extension, also the
        name without it); the overlays are drawn on them.
    pairs : mapping of str to (path, path), optional
        ``{image name: (prediction path, target path)}``: where each image's label maps
        (segmentation: any file :func:`ioukit.io.read_label_map` reads) or PNGs (panoptic)
        are, for the thumbnails of the worst images.
    max_thumbnails : int, default 24
        How many worst images are listed (with thumbnails when there are files to draw).
    thumbnail_budget : int, default 4_000_000
        The most bytes that thumbnails (``data:`` URIs) may add to the page; once it is
        reached no more are added, and the page says how many were left out.
    tide : TIDEResult, optional
        A :func:`ioukit.detection.tide.tide` result of the same data, drawn as TIDE's error
        bars (detection reports only: TIDE needs the ground truth and detections).
    reduce_zero_label : bool, default False
        Apply :func:`ioukit.io.reduce_zero_label` to the target label maps of ``pairs`` before
        drawing them, as the evaluation did (a FolderEvaluation sets it from its run).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        ``obj`` is not one of the results above; ``images`` is not a folder; the folder of
        ``path`` does not exist.
    ParameterError
        A bad option (type or range), or an option that this kind of result does not use.
    MissingDependencyError
        plotly (or, for thumbnails, Pillow) is not installed: ``pip install 'ioukit[report]'``.

    Examples
    --------
    >>> import pathlib, tempfile, numpy as np, ioukit
    >>> from ioukit.report import write_html
    >>> ev = ioukit.SegmentationEvaluator(2, class_names=["sky", "<b>sea</b>"])
    >>> ev.update(np.array([[0, 1], [1, 1]]), np.array([[0, 1], [0, 1]]), names=["a"])
    >>> out = write_html(ev.result(), pathlib.Path(tempfile.mkdtemp()) / "r.html",
    ...                  intervals=False)
    >>> page = out.read_text(encoding="utf-8")
    >>> "<b>sea</b>" in page, "&lt;b&gt;sea&lt;/b&gt;" in page, 'id="plot-confusion"' in page
    (False, True, True)
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise InputError(
            f"{_FUNC}: the folder of `path` must exist; got {str(path)!r} (no folder "
            f"{str(target.parent)!r})."
        )
    text = _render(
        obj,
        {"title": title, "intervals": intervals, "n_resamples": n_resamples,
         "random_state": random_state, "images": images, "pairs": pairs,
         "max_thumbnails": max_thumbnails, "thumbnail_budget": thumbnail_budget, "tide": tide,
         "reduce_zero_label": reduce_zero_label},
    )  # fmt: skip
    target.write_text(text, encoding="utf-8")
    return target


def render_html(obj: Any, **options: Any) -> str:
    """The HTML report of :func:`write_html` as a string: the same options, no file.

    Raises
    ------
    ParameterError
        An option that :func:`write_html` does not have; as :func:`write_html` otherwise.

    Examples
    --------
    >>> import numpy as np, ioukit
    >>> from ioukit.report import render_html
    >>> ev = ioukit.SegmentationEvaluator(2)
    >>> ev.update(np.array([[0, 1]]), np.array([[0, 0]]))
    >>> page = render_html(ev.result(), intervals=False, title="demo")
    >>> page.startswith("<!DOCTYPE html>"), page.count("Plotly.newPlot")
    (True, 1)
    """
    defaults = {
        name: p.default
        for name, p in inspect.signature(write_html).parameters.items()
        if p.kind is p.KEYWORD_ONLY
    }
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ParameterError(
            f"render_html: unknown option(s) {', '.join(map(repr, unknown))}; the options are "
            f"those of write_html: {', '.join(defaults)}."
        )
    return _render(obj, {**defaults, **options})


def _render(obj: Any, options: dict[str, Any]) -> str:
    from ioukit import __version__

    js = plotly_js(_FUNC)  # first: a missing plotly is the first thing to hear about
    kind, result, opts = _check(obj, options)
    page = Page(title=opts.title or _default_title(kind, result), kind=kind)
    if kind == "segmentation":
        from ioukit.report._segmentation import build_segmentation

        build_segmentation(page, result, opts)
    elif kind == "detection":
        from ioukit.report._detection import build_detection

        build_detection(page, result, opts)
    elif kind == "panoptic":
        from ioukit.report._panoptic import build_panoptic

        build_panoptic(page, result, opts)
    else:
        from ioukit.report._compare import build_comparison

        build_comparison(page, result)
    return page.render(js, __version__)


def _default_title(kind: str, result: Any) -> str:
    if kind == "segmentation":
        return "Semantic segmentation evaluation"
    if kind == "panoptic":
        return "Panoptic segmentation evaluation"
    if kind == "detection":
        protocol = "LVIS" if type(result).__name__ == "LVISResult" else "COCO"
        return f"{protocol} evaluation ({result.params.iou_type})"
    a, b = result.labels
    return f"Comparison of {a} and {b} ({result.metric})"


def _kind(obj: Any) -> tuple[str, Any]:
    from ioukit.detection._lvis_result import LVISResult
    from ioukit.detection.result import COCOResult
    from ioukit.evaluate import FolderEvaluation
    from ioukit.panoptic.result import PanopticResult
    from ioukit.segmentation import SegmentationResult

    if isinstance(obj, (SegmentationResult, FolderEvaluation)):
        return "segmentation", obj
    if isinstance(obj, (COCOResult, LVISResult)):
        return "detection", obj
    if isinstance(obj, PanopticResult):
        return "panoptic", obj
    if importlib.util.find_spec("ioukit.stats") is not None:
        from ioukit.stats import Comparison

        if isinstance(obj, Comparison):
            return "comparison", obj
    raise InputError(
        f"{_FUNC}: `obj` must be a SegmentationResult, FolderEvaluation, COCOResult, "
        f"LVISResult, PanopticResult or ioukit.stats.Comparison; got {type(obj).__name__}."
    )


def _count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        expected = "a positive int" if minimum > 0 else "an int >= 0"
        raise ParameterError(f"{_FUNC}: `{name}` must be {expected}; got {value!r}.")
    return value


def _pairs(pairs: object) -> dict[str, tuple[Path, Path]] | None:
    if pairs is None:
        return None
    if not isinstance(pairs, Mapping):
        raise ParameterError(
            f"{_FUNC}: `pairs` must be a mapping {{image name: (prediction path, target "
            f"path)}}; got {type(pairs).__name__}."
        )
    out: dict[str, tuple[Path, Path]] = {}
    for name, value in pairs.items():
        ok = isinstance(value, (tuple, list)) and len(value) == 2
        if not ok or not all(isinstance(v, (str, os.PathLike)) for v in value):
            raise ParameterError(
                f"{_FUNC}: `pairs` must map each image name to (prediction path, target path); "
                f"got {value!r} for {name!r}."
            )
        out[str(name)] = (Path(value[0]), Path(value[1]))
    return out


def _check(obj: Any, o: dict[str, Any]) -> tuple[str, Any, Options]:
    """The kind of report, the result, and the checked options ``o``."""
    kind, result = _kind(obj)
    title = o["title"]
    if title is not None and not isinstance(title, str):
        raise ParameterError(f"{_FUNC}: `title` must be a str or None; got {title!r}.")
    for flag in ("intervals", "reduce_zero_label"):
        if not isinstance(o[flag], bool):
            raise ParameterError(f"{_FUNC}: `{flag}` must be True or False; got {o[flag]!r}.")
    images = o["images"]
    folder: Path | None = None
    if images is not None:
        if not isinstance(images, (str, os.PathLike)) or not Path(images).is_dir():
            raise InputError(f"{_FUNC}: `images` must be a folder; got {images!r}.")
        folder = Path(images)
    checked = _pairs(o["pairs"])
    if kind in ("detection", "comparison") and (checked is not None or folder is not None):
        raise ParameterError(
            f"{_FUNC}: `pairs` and `images` draw segmentation and panoptic thumbnails; a "
            f"{kind} report does not use them (got {'pairs' if checked else 'images'})."
        )
    tide = o["tide"]
    if tide is not None:
        from ioukit.detection.tide import TIDEResult

        if kind != "detection" or not isinstance(tide, TIDEResult):
            raise ParameterError(
                f"{_FUNC}: `tide` must be None or a TIDEResult (ioukit.detection.tide.tide) "
                f"with a COCOResult or LVISResult; got {type(tide).__name__} with a "
                f"{type(result).__name__}."
            )
    extra: dict[str, Any] = {"reduce_zero_label": o["reduce_zero_label"]}
    if type(result).__name__ == "FolderEvaluation":
        from ioukit._folder import reading

        cfg = result.config
        relabel, palette = cfg.get("label_map"), cfg.get("palette")
        on = cfg.get("label_map_on") or "target"
        extra = {
            "reading": reading(relabel, on, palette),
            "reduce_zero_label": bool(cfg["reduce_zero_label"]),
            "problems": tuple(result.problems),
            "source": (
                ("predictions", cfg["pred_dir"]),
                ("targets", cfg["target_dir"]),
                ("file name suffixes", f"prediction {cfg['pred_suffix']!r}, target "
                                       f"{cfg['target_suffix']!r}"),
                ("reduce_zero_label", "yes" if cfg["reduce_zero_label"] else "no"),
                ("label map", "none" if relabel is None else
                 f"{len(relabel)} ids relabelled, on the {on} files" if on != "both" else
                 f"{len(relabel)} ids relabelled, on both sides"),
                ("palette", "none" if palette is None else
                 f"{len(palette)} colours read as class ids (RGB masks)"),
                ("files", f"{result.num_pairs:,} pairs found, {result.num_evaluated:,} "
                          f"evaluated, {len(result.problems):,} problems"),
            ),
        }  # fmt: skip
        if checked is None:
            checked = _pairs(result.pairs)
        result = result.result
    opts = Options(
        title=title,
        intervals=o["intervals"],
        n_resamples=_count("n_resamples", o["n_resamples"], 1),
        random_state=o["random_state"],
        images=folder,
        pairs=checked,
        max_thumbnails=_count("max_thumbnails", o["max_thumbnails"], 0),
        thumbnail_budget=_count("thumbnail_budget", o["thumbnail_budget"], 0),
        tide=tide,
        **extra,
    )
    return kind, result, opts
