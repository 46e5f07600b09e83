"""The panoptic report: PQ / SQ / RQ of all, things and stuff, the per-category table and bars,
the per-image PQ histogram and the worst images with their PNGs are the result's own."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("plotly")
pytest.importorskip("PIL")

from tests.panoptic.panoptic_helpers import make_dataset
from tests.report.report_parse import decode_image, parse

import ioukit
from ioukit.report import render_html

HAS_STATS = importlib.util.find_spec("ioukit.stats") is not None


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[ioukit.PanopticResult, Path, Path]:
    root = tmp_path_factory.mktemp("pan")
    gt_json, gt_dir, pred_json, pred_dir = make_dataset(root, seed=4, n_images=10, size=(30, 40))
    return (
        ioukit.panoptic_quality(gt_json, gt_dir, pred_json, pred_dir, workers=1),
        gt_dir,
        pred_dir,
    )


def _nan(v: float | None) -> float:
    return math.nan if v is None else v


def test_groups_and_categories(dataset: tuple[ioukit.PanopticResult, Path, Path]) -> None:
    r = dataset[0]
    doc = parse(render_html(r, intervals=False))
    groups = doc.tables["table-groups"]
    assert [c.text for c in groups.column("categories")] == ["All", "Things", "Stuff"]
    for m in ("PQ", "SQ", "RQ"):
        want = [r.scores[g][m.lower()] for g in ("All", "Things", "Stuff")]
        np.testing.assert_array_equal([c.number for c in groups.column(m)], want)
    assert [c.number for c in groups.column("categories counted")] == [
        r.scores[g]["n"] for g in ("All", "Things", "Stuff")
    ]
    cats = doc.tables["table-categories"]
    rows = r.per_category()
    for key in ("pq", "sq", "rq", "tp", "fp", "fn"):
        np.testing.assert_array_equal(
            [c.number for c in cats.column(key.upper())], [row[key] for row in rows]
        )
    assert [c.text for c in cats.column("kind")] == [
        "thing" if row["isthing"] else "stuff" for row in rows
    ]
    bars = doc.figures["plot-category-pq"]["data"][0]
    defined = sorted((row for row in rows if not math.isnan(row["pq"])), key=lambda x: -x["pq"])
    assert bars["x"] == [row["pq"] for row in defined]


def test_histogram_and_worst_images(dataset: tuple[ioukit.PanopticResult, Path, Path]) -> None:
    r, gt_dir, pred_dir = dataset
    pairs = {n: (pred_dir / n, gt_dir / n) for n in r.image_names}
    doc = parse(render_html(r, intervals=False, pairs=pairs, max_thumbnails=3))
    hist = doc.figures["plot-histogram"]["data"][0]
    assert sum(hist["y"]) == int(np.sum(~np.isnan(r.per_image_pq)))
    worst = doc.tables["table-worst"]
    order = np.argsort(r.per_image_pq, kind="stable")[:3]
    assert [c.text for c in worst.column("image")] == [r.image_names[i] for i in order]
    per = r.to_dict()["per_image"]
    for key in ("pq", "sq", "rq"):
        np.testing.assert_array_equal(
            [c.number for c in worst.column(key.upper())], [_nan(per[i][key]) for i in order]
        )
    from PIL import Image

    for i, cell in zip(order, worst.column("target | prediction"), strict=True):
        target, pred = (decode_image(u) for u in cell.html_imgs)
        name = r.image_names[i]
        np.testing.assert_array_equal(target, np.asarray(Image.open(gt_dir / name).convert("RGB")))
        np.testing.assert_array_equal(pred, np.asarray(Image.open(pred_dir / name).convert("RGB")))


def test_unreadable_png_is_said_in_its_row(
    dataset: tuple[ioukit.PanopticResult, Path, Path], tmp_path: Path
) -> None:
    r = dataset[0]
    pairs = dict.fromkeys(r.image_names, (tmp_path / "missing.png", tmp_path / "missing.png"))
    doc = parse(render_html(r, intervals=False, pairs=pairs, max_thumbnails=2))
    cells = doc.tables["table-worst"].column("target | prediction")
    assert all("missing.png: no such file" in c.text for c in cells)


@pytest.mark.skipif(not HAS_STATS, reason="ioukit.stats (the bootstrap) is not there yet")
def test_intervals_of_every_group(dataset: tuple[ioukit.PanopticResult, Path, Path]) -> None:
    from ioukit.stats import confidence_intervals

    r = dataset[0]
    keys = [f"{m}{s}" for s in ("", "_th", "_st") for m in ("PQ", "SQ", "RQ")]
    cis = confidence_intervals(r, keys, n_resamples=200, random_state=2)
    doc = parse(render_html(r, n_resamples=200, random_state=2))
    groups = doc.tables["table-groups"]
    k = groups.headers.index("PQ") + 1  # the interval column after each metric
    assert groups.headers[k] == "95% interval"
    assert [r[k].text for r in groups.rows] == [
        f"[{cis[m].low:.4f}, {cis[m].high:.4f}]" for m in ("PQ", "PQ_th", "PQ_st")
    ]
