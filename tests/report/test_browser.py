"""The HTML reports opened in a real browser (headless Chromium), as a user opens them.

Each page: no console error or uncaught exception, no request beyond file:/data:/blob: (the
report is one offline file), every plot drawn (its screenshot is not blank), and opened with
every plot drawn in under 3 s. A 5,000-image report stays under 15 MB. A dataset whose class
and image names are markup runs none of it. Set ``IOUKIT_SCREENSHOTS=DIR`` to keep a
full-page screenshot of each page.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from tests.report.browser import Browser, PageVisit, chromium_path

pytest.importorskip("plotly")
import ioukit

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample_data"
EVIL = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned2 = 1">'
PROBE = "() => ({a: window.__pwned ?? null, b: window.__pwned2 ?? null})"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium_path()
    b = Browser()
    yield b
    b.close()


def _shot(name: str) -> Path | None:
    where = os.environ.get("IOUKIT_SCREENSHOTS")
    if not where:
        return None
    Path(where).mkdir(parents=True, exist_ok=True)
    return Path(where) / f"{name}.png"


def _check_page(visit: PageVisit, *, min_plots: int) -> None:
    assert visit.console_errors == [], visit.console_errors
    assert visit.page_errors == [], visit.page_errors
    assert visit.remote_requests == [], visit.remote_requests
    assert visit.dialogs == []
    assert len(visit.plots) >= min_plots, sorted(visit.plots)
    for pid, ink in visit.plots.items():
        # a drawn plot: axes, marks and labels in several colours over a good share of it
        assert ink["drawn"] > 0.01, (pid, ink)
        assert ink["colours"] >= 4, (pid, ink)
    assert visit.seconds_to_plots < 3.0, visit.seconds_to_plots


def test_sample_data_segmentation_report(browser: Browser, tmp_path: Path) -> None:
    names = json.loads((SAMPLE / "classes.json").read_text())
    ev = ioukit.evaluate_folder(
        SAMPLE / "pred", SAMPLE / "target", num_classes=5, ignore_index=255, class_names=names
    )
    page = ev.to_html(tmp_path / "report.html")
    html = page.read_text(encoding="utf-8")
    assert f"{ev.result.miou:.4f}"[:5] in html or f"{100 * ev.result.miou:.1f}" in html
    visit = browser.visit(page, screenshot=_shot("segmentation"))
    _check_page(visit, min_plots=3)  # per-class bars, confusion matrix, per-image histogram
    assert "data:image/png;base64," in html  # the worst images' overlays


def _many_images(n: int, c: int, names: dict[int, str] | None = None) -> ioukit.SegmentationResult:
    rng = np.random.default_rng(0)
    ev = ioukit.SegmentationEvaluator(c, per_image=True, class_names=names)
    for i in range(n):
        cm = np.diag(rng.integers(0, 40_000, c)) + rng.integers(0, 800, (c, c))
        ev.add_confusion_matrix(cm.astype(np.int64), name=f"city_{i // 500}/frame_{i:06d}")
    return ev.result()


def test_five_thousand_images_stay_small_and_fast(browser: Browser, tmp_path: Path) -> None:
    result = _many_images(5000, 19)
    page = ioukit.report.write_html(result, tmp_path / "big.html")
    size = page.stat().st_size
    assert size < 15 * 2**20, f"{size / 2**20:.1f} MiB"
    visit = browser.visit(page, screenshot=_shot("segmentation_5000"))
    _check_page(visit, min_plots=3)


def test_markup_in_names_runs_nothing(browser: Browser, tmp_path: Path) -> None:
    names = {0: EVIL, 1: "road</script><script>window.__pwned = 1</script>", 2: "ok"}
    rng = np.random.default_rng(1)
    ev = ioukit.SegmentationEvaluator(3, per_image=True, class_names=names)
    for i in range(6):
        cm = np.diag(rng.integers(10, 400, 3)) + rng.integers(0, 30, (3, 3))
        ev.add_confusion_matrix(cm.astype(np.int64), name=f"{EVIL}{i}")
    page = ioukit.report.write_html(ev.result(), tmp_path / "evil.html", title=EVIL)
    html = page.read_text(encoding="utf-8")
    # escaped as text everywhere (the browser probe below is the real check)
    assert "<script>window.__pwned" not in html
    assert "<img src=x" not in html
    visit = browser.visit(page, probe=PROBE)
    assert visit.globals_set == {"a": None, "b": None}
    _check_page(visit, min_plots=3)


def test_detection_report(browser: Browser, tmp_path: Path) -> None:
    from tests.detection.coco_helpers import random_dataset

    gt, dt = random_dataset(3, n_images=30)
    result = ioukit.coco_evaluate(gt, dt)
    page = ioukit.report.write_html(result, tmp_path / "detect.html")
    visit = browser.visit(page, screenshot=_shot("detection"))
    _check_page(visit, min_plots=2)  # PR curves, per-category AP


def test_panoptic_report(browser: Browser, tmp_path: Path) -> None:
    from tests.panoptic.panoptic_helpers import make_dataset

    gt_json, gt_dir, pred_json, pred_dir = make_dataset(tmp_path, seed=2, n_images=8)
    result = ioukit.panoptic_quality(gt_json, gt_dir, pred_json, pred_dir)
    page = ioukit.report.write_html(result, tmp_path / "panoptic.html")
    visit = browser.visit(page, screenshot=_shot("panoptic"))
    _check_page(visit, min_plots=2)


def test_comparison_report(browser: Browser, tmp_path: Path) -> None:
    a = _many_images(300, 6)
    rng = np.random.default_rng(5)
    ev = ioukit.SegmentationEvaluator(6, per_image=True)
    for row, name in zip(a.per_image_counts.tp, a.image_names, strict=True):
        cm = np.diag(row + rng.integers(0, 500, 6)) + rng.integers(0, 700, (6, 6))
        ev.add_confusion_matrix(cm.astype(np.int64), name=name)
    comparison = ioukit.compare(a, ev.result(), n_resamples=500, random_state=0)
    page = ioukit.report.write_html(comparison, tmp_path / "compare.html")
    visit = browser.visit(page, screenshot=_shot("compare"))
    _check_page(visit, min_plots=2)
