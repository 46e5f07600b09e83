"""`--html FILE` on `ioukit segment`, `detect` and `panoptic`: the report is written through
`ioukit.report.write_html` and holds the headline number (and its interval unless --no-ci);
class names are escaped (a `<script>` name stays text); the worst images are drawn from the
label maps (and over the original images of --images); bad report options and a missing output
folder are usage errors found before any work."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.panoptic.panoptic_helpers import make_dataset as make_panoptic_data

import ioukit
from ioukit import cli
from test_cli import expected, make_dataset
from test_cli_detect import make_coco

pytest.importorskip("plotly")
Image = pytest.importorskip("PIL.Image")

SCRIPT = "<script>alert(1)</script>"
NAMES = {0: "background", 1: SCRIPT, 2: "car & bus", 3: "person"}


def _segment_argv(root: Path) -> list[str]:
    names = root / "names.json"
    names.write_text(json.dumps(NAMES))
    return ["segment", str(root / "pred"), str(root / "target"), "--num-classes", "4",
            "--ignore-index", "255", "--class-names", str(names), "--workers", "1"]  # fmt: skip


def test_segment_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = make_dataset(tmp_path, n=4)
    out = tmp_path / "report.html"
    rc = cli.main([*_segment_argv(tmp_path), "--html", str(out), "--ci-resamples", "200", "-q"])
    assert rc == 0
    assert capsys.readouterr() == ("", "")
    page = out.read_text(encoding="utf-8")
    result = expected(pairs, class_names=list(NAMES.values())).result()
    assert f"{result.miou:.4f}" in page
    assert SCRIPT not in page  # the class name is text, not a script
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "car &amp; bus" in page
    assert "data:image/png;base64," in page  # the worst images, drawn from the label maps
    # the intervals: on by default, off with --no-ci
    fast = tmp_path / "fast.html"
    assert cli.main([*_segment_argv(tmp_path), "--html", str(fast), "--no-ci", "-q"]) == 0
    assert len(fast.read_text(encoding="utf-8")) > 0
    assert page.count('class="ci"') > fast.read_text(encoding="utf-8").count('class="ci"')


def test_segment_report_over_the_original_images(tmp_path: Path) -> None:
    make_dataset(tmp_path, n=3)
    images = tmp_path / "images"
    for name in ("img_1", "img_2", "sub/img_0"):
        (images / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((24, 32, 3), 200, np.uint8)).save(images / f"{name}.jpg")
    plain, over = tmp_path / "plain.html", tmp_path / "over.html"
    argv = [*_segment_argv(tmp_path), "--no-ci", "-q"]
    assert cli.main([*argv, "--html", str(plain)]) == 0
    assert cli.main([*argv, "--html", str(over), "--images", str(images)]) == 0
    # the thumbnails differ: drawn over the grey photographs
    assert over.read_text(encoding="utf-8") != plain.read_text(encoding="utf-8")


def test_detect_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gt, dt = make_coco(tmp_path)
    doc = json.loads(gt.read_text())
    doc["categories"][0]["name"] = SCRIPT
    gt.write_text(json.dumps(doc))
    out = tmp_path / "det.html"
    assert cli.main(["detect", str(gt), str(dt), "--html", str(out), "--no-ci"]) == 0
    stdout = capsys.readouterr().out
    result = ioukit.coco_evaluate(str(gt), str(dt))
    assert stdout.startswith(result.summary())  # the report does not replace the table
    page = out.read_text(encoding="utf-8")
    assert f"{result.stats[0]:.4f}" in page
    assert SCRIPT not in page
    assert "&lt;script&gt;" in page


def test_panoptic_report(tmp_path: Path) -> None:
    files = [str(p) for p in make_panoptic_data(tmp_path / "data", 4, n_images=3)]
    out = tmp_path / "pq.html"
    rc = cli.main(["panoptic", *files, "--workers", "1", "--html", str(out), "--no-ci", "-q"])
    assert rc == 0
    result = ioukit.panoptic_quality(*files, workers=1)
    page = out.read_text(encoding="utf-8")
    assert f"{result.pq:.4f}" in page


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--html", "{tmp}/no/r.html"], "--html {tmp}/no/r.html: the folder"),
        (["--no-ci"], "--no-ci shape the HTML report: add --html FILE"),
        (["--ci-resamples", "10"], "--ci-resamples shape the HTML report"),
        (["--images", "{tmp}"], "--images shape the HTML report"),
        (["--html", "{tmp}/r.html", "--images", "{tmp}/none"], "is not a folder"),
        (["--html", "{tmp}/r.html", "--no-ci", "--ci-resamples", "9"], "pick one"),
        (["--html", "{tmp}/r.html", "--ci-resamples", "0"], "expected a positive integer"),
    ],
)
def test_bad_report_options_exit_2_before_the_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    make_dataset(tmp_path, n=1)
    out = tmp_path / "s.json"
    argv = [*_segment_argv(tmp_path), "--json", str(out)]
    assert cli.main([*argv, *(a.replace("{tmp}", str(tmp_path)) for a in extra)]) == 2
    err = capsys.readouterr().err
    assert message.replace("{tmp}", str(tmp_path)) in err
    assert "Traceback" not in err
    assert not out.exists()  # nothing was evaluated


@pytest.mark.parametrize("command", ["detect", "panoptic"])
def test_missing_report_folder_exits_2(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if command == "detect":
        argv = [str(p) for p in make_coco(tmp_path)]
    else:
        argv = [str(p) for p in make_panoptic_data(tmp_path / "data", 4, n_images=1)]
    assert cli.main([command, *argv, "--html", str(tmp_path / "no" / "r.html")]) == 2
    assert "does not exist" in capsys.readouterr().err
