"""The report page as a whole: one offline file (plotly inlined once, nothing fetched, images as
data: URIs), scripts allowed by hash only, user strings escaped everywhere, plots and tables
addressable by id, bad options refused, and the missing extra named."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("plotly")
pytest.importorskip("PIL")

from tests.report.report_parse import csp_hashes, parse, sha256

import ioukit
from ioukit.report import render_html, write_html

EVIL = '<script>window.__pwned = 1</script><img src=x onerror="alert(1)">'
CLOSE = "a</script><script>alert(2)</script>"


def _result(names: list[str] | None = None, image_names: list[str] | None = None):
    rng = np.random.default_rng(0)
    c = 3 if names is None else len(names)
    ev = ioukit.SegmentationEvaluator(c, ignore_index=255, class_names=names)
    for i in range(6):
        t = rng.integers(0, c, (8, 10))
        p = np.where(rng.random((8, 10)) < 0.7, t, rng.integers(0, c, (8, 10)))
        t[0, 0] = 255
        name = f"img{i}" if image_names is None else image_names[i]
        ev.update(p, t, names=[name])
    return ev.result()


def _plotly_js() -> str:
    import plotly.offline

    return str(plotly.offline.get_plotlyjs())


def test_one_self_contained_file(tmp_path: Path) -> None:
    out = write_html(_result(), tmp_path / "r.html", intervals=False)
    html = out.read_text(encoding="utf-8")
    js = _plotly_js()
    assert html.count(js) == 1  # plotly.js inlined once, byte for byte
    rest = html.replace(js, "")
    # nothing to fetch: no external script, stylesheet, font, frame or URL outside plotly.js
    assert not re.search(r"<(script|img|link|iframe)[^>]*\s(src|href)=\"(?!data:)", rest)
    assert "http://" not in rest
    assert "https://" not in rest
    assert "@import" not in rest
    assert "url(" not in rest
    assert "MathJax" not in rest
    doc = parse(html)
    assert all(src.startswith("data:") for src in doc.imgs)
    assert "default-src 'none'" in doc.csp
    assert "connect-src 'none'" in doc.csp


def test_scripts_run_only_by_hash() -> None:
    doc = parse(render_html(_result(), intervals=False))
    executable = [text for attrs, text in doc.scripts if attrs.get("type") != "application/json"]
    assert len(executable) == 2  # plotly.js and the page's own script
    assert {sha256(t) for t in executable} == csp_hashes(doc)
    assert "'unsafe-inline'" not in doc.csp.split("script-src")[1].split(";")[0]


def test_every_plot_slot_has_its_figure_drawn_by_newplot() -> None:
    doc = parse(render_html(_result(), intervals=False))
    figures = doc.figures
    assert doc.plots
    assert sorted(doc.plots) == sorted(figures)
    assert len(set(doc.plots)) == len(doc.plots)
    page_script = [t for a, t in doc.scripts if a.get("type") != "application/json"][-1]
    assert "Plotly.newPlot(id,data[id].data,data[id].layout,config)" in page_script
    for fig in figures.values():
        assert fig["data"]
        assert isinstance(fig["layout"]["height"], int)
    assert all(t.id for t in doc.tables.values())  # every table is addressable


def test_markup_in_names_and_title_stays_text() -> None:
    result = _result([EVIL, CLOSE, "ok & fine"], [f"{EVIL}{i}" for i in range(6)])
    html = render_html(result, intervals=False, title=EVIL)
    assert "<script>window" not in html
    assert "<img src=x" not in html
    assert "alert(2)</script>" not in html
    doc = parse(html)
    # the only script blocks are the report's own three
    assert len(doc.scripts) == 3
    assert sum(1 for tag, _ in doc.tags if tag == "img") == len(doc.imgs) == 0
    assert doc.title == EVIL  # shown as typed
    assert EVIL in doc.text()
    assert CLOSE in doc.text()
    assert "ok & fine" in doc.text()
    # inside the figure JSON: escaped for plotly's HTML-like text, and JSON-escaped for <script>
    raw = next(t for a, t in doc.scripts if a.get("id") == "ioukit-figures")
    assert "<" not in raw
    assert ">" not in raw
    assert "&" not in raw
    labels = doc.figures["plot-confusion"]["data"][0]["x"]
    assert labels[0] == "&lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;img src=x " \
        "onerror=&quot;alert(1)&quot;&gt;"  # fmt: skip
    assert labels[2] == "ok &amp; fine"


def test_same_class_names_get_distinct_axis_labels() -> None:
    doc = parse(render_html(_result(["a", "a", "b"]), intervals=False))
    assert doc.figures["plot-confusion"]["data"][0]["y"] == ["0: a", "1: a", "2: b"]


def test_header_states_kind_version_and_title() -> None:
    doc = parse(render_html(_result(), intervals=False, title="My run"))
    text = doc.text()
    assert doc.title == "My run"
    assert f"ioukit {ioukit.__version__}" in text
    assert "segmentation report" in text


def test_write_html_returns_the_path(tmp_path: Path) -> None:
    out = write_html(_result(), str(tmp_path / "x.html"), intervals=False)
    assert out == tmp_path / "x.html"
    assert out.stat().st_size > 4_000_000


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"title": 3}, ioukit.ParameterError, "`title` must be a str or None; got 3"),
        ({"intervals": "yes"}, ioukit.ParameterError, "`intervals` must be True or False"),
        ({"n_resamples": 0}, ioukit.ParameterError, "`n_resamples` must be a positive int"),
        ({"n_resamples": True}, ioukit.ParameterError, "`n_resamples` must be a positive int"),
        ({"max_thumbnails": -1}, ioukit.ParameterError, "`max_thumbnails` must be an int >= 0"),
        ({"thumbnail_budget": 1.5}, ioukit.ParameterError, "`thumbnail_budget` must be an int"),
        ({"pairs": ["a"]}, ioukit.ParameterError, "`pairs` must be a mapping"),
        ({"pairs": {"a": "p.png"}}, ioukit.ParameterError, "(prediction path, target path)"),
        ({"pairs": {"a": ("p", 3)}}, ioukit.ParameterError, "got ('p', 3) for 'a'"),
        ({"images": "/no/such/folder"}, ioukit.InputError, "`images` must be a folder"),
        ({"tide": 1}, ioukit.ParameterError, "`tide` must be None or a TIDEResult"),
        ({"reduce_zero_label": 1}, ioukit.ParameterError, "`reduce_zero_label` must be True"),
    ],
)
def test_bad_options(kwargs: dict, error: type, words: str) -> None:
    with pytest.raises(error, match=re.escape(words)) as info:
        render_html(_result(), **{"intervals": False, **kwargs})
    assert str(info.value).startswith("write_html: ")


def test_bad_object_and_path(tmp_path: Path) -> None:
    with pytest.raises(ioukit.InputError, match=r"`obj` must be a SegmentationResult.*got dict"):
        render_html({"miou": 0.5})
    with pytest.raises(ioukit.InputError, match="the folder of `path` must exist"):
        write_html(_result(), tmp_path / "missing" / "r.html", intervals=False)


def test_missing_plotly_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['plotly'] = None; sys.modules['plotly.offline'] = None\n"
        "import numpy as np, ioukit\n"
        "import ioukit.report\n"  # importing the module needs no plotly
        "ev = ioukit.SegmentationEvaluator(2); ev.update(np.array([[0, 1]]), np.array([[0, 1]]))\n"
        "try:\n    ioukit.report.render_html(ev.result(), intervals=False)\n"
        "except ioukit.MissingDependencyError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    from ioukit._errors import install_hint

    assert install_hint("report", "plotly pillow") in out.stdout


def test_import_ioukit_report_imports_no_plotly_or_pillow() -> None:
    code = (
        "import sys, ioukit.report\n"
        "print(json.dumps([m for m in ('plotly', 'PIL') if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import json\n" + code], check=True, capture_output=True, text=True
    )
    assert json.loads(out.stdout) == []


def test_render_html_takes_the_options_of_write_html() -> None:
    with pytest.raises(ioukit.ParameterError, match=r"render_html: unknown option\(s\) 'colour'"):
        render_html(_result(), colour="red")
