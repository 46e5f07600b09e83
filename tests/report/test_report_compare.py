"""The two-model page: both models and their difference with intervals, P(B > A), the
per-class differences (bars and whiskers, table) and the images that changed most are the
Comparison's own numbers."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

pytest.importorskip("plotly")
if importlib.util.find_spec("ioukit.stats") is None:
    pytest.skip("ioukit.stats (compare) is not there yet", allow_module_level=True)

from tests.report.report_parse import parse

import ioukit
from ioukit.report import render_html
from ioukit.stats import compare


def _model(seed: int, noise: int) -> ioukit.SegmentationResult:
    rng = np.random.default_rng(seed)
    ev = ioukit.SegmentationEvaluator(5, class_names=["a", "b", "c", "d", "<e>"])
    for i in range(40):
        cm = np.diag(rng.integers(100, 5000, 5)) + rng.integers(0, noise, (5, 5))
        ev.add_confusion_matrix(cm.astype(np.int64), name=f"img{i:03d}")
    return ev.result()


@pytest.fixture(scope="module")
def comparison():  # type: ignore[no-untyped-def]
    return compare(
        _model(0, 400), _model(1, 900), n_resamples=300, random_state=0,
        labels=("base", "new <b>model</b>"), top_images=7,
    )  # fmt: skip


def test_summary_and_forest_plot(comparison) -> None:  # type: ignore[no-untyped-def]
    doc = parse(render_html(comparison))
    text = doc.text()
    assert doc.title == "Comparison of base and new <b>model</b> (miou)"
    for ci in (comparison.a, comparison.b, comparison.difference):
        assert f"{ci.estimate:.4f}" in text
        assert f"[{ci.low:.4f}, {ci.high:.4f}]" in text
    assert f"{comparison.prob_b_better:.4f}" in text
    assert f"{comparison.p_value:.4f}" in text
    assert "300 paired bootstrap resamples of 40 images" in text
    data = doc.figures["plot-difference"]["data"]
    models, delta = data[1], data[3]
    assert models["x"] == [comparison.a.estimate, comparison.b.estimate]
    assert models["customdata"] == [[comparison.a.low, comparison.a.high],
                                    [comparison.b.low, comparison.b.high]]  # fmt: skip
    assert models["y"] == ["A: base", "B: new &lt;b&gt;model&lt;/b&gt;"]
    assert delta["x"] == [comparison.difference.estimate]
    assert data[2]["x"] == [comparison.difference.low, comparison.difference.high, None]


def test_per_class_differences(comparison) -> None:  # type: ignore[no-untyped-def]
    doc = parse(render_html(comparison))
    t = doc.tables["table-classes"]
    rows = comparison.per_class
    assert [c.text for c in t.column("class")] == [r["name"] for r in rows]
    columns = {"a": "A: base", "b": "B: new <b>model</b>", "difference": "B − A", "low": "low",
               "high": "high", "prob_b_better": "P(B > A)"}  # fmt: skip
    for key, header in columns.items():
        got = [c.number for c in t.column(header)]
        np.testing.assert_array_equal(got, [r[key] for r in rows])
    bars, whiskers = doc.figures["plot-class-delta"]["data"]
    ordered = sorted(rows, key=lambda r: -r["difference"])
    assert bars["x"] == [r["difference"] for r in ordered]
    assert bars["y"] == [r["name"].replace("<", "&lt;").replace(">", "&gt;") for r in ordered]
    assert whiskers["x"][:3] == [ordered[0]["low"], ordered[0]["high"], None]


def test_images_that_changed_most(comparison) -> None:  # type: ignore[no-untyped-def]
    doc = parse(render_html(comparison))
    t = doc.tables["table-images"]
    assert [c.text for c in t.column("image")] == [r["image"] for r in comparison.images]
    assert [c.number for c in t.column("B − A")] == [r["difference"] for r in comparison.images]
    assert len(t.rows) == 7
    assert f"per-image {comparison.image_score}" in doc.text()


def test_comparison_refuses_thumbnail_options(comparison, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ioukit.ParameterError, match="a comparison report does not use them"):
        render_html(comparison, images=tmp_path)
