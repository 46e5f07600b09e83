"""`ioukit compare A.json B.json` end to end: two `--json` runs on generated data that differ in
one prediction; the printed difference, its interval, P(B > A) and the p-value are those of
`ioukit.stats.compare` on the same documents (`ioukit.load_result`), in every --format, and in
the --html report; runs that cannot be compared (other settings, images or kind) and bad files
exit 1 or 2 with the library's message in the words of the command line, never a traceback.

The `--json` documents of `segment`, `detect` and `panoptic` must carry the result's "kind" and
"state" (load_result reads them back). Tests that need a kind of result to be read back or
resampled skip, naming what is missing, until that part of issue 12 has landed."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.panoptic.panoptic_helpers import make_dataset as make_panoptic_data

import ioukit
from ioukit import cli
from ioukit._load import load_result
from ioukit.detection import COCOResult, LVISResult
from ioukit.panoptic import PanopticResult
from ioukit.segmentation import SegmentationResult
from test_cli import make_dataset
from test_cli_detect import make_coco
from test_cli_detect_modes import lvis_dataset, write_files
from test_cli_formats import markdown_tables

RESAMPLES = ("--resamples", "300", "--seed", "7")


def _needs_segmentation_state() -> None:
    if not hasattr(SegmentationResult, "from_dict"):
        pytest.skip("SegmentationResult.from_dict (the state in segment --json) has not landed")


def _needs_detection_bootstrap() -> None:
    if not hasattr(COCOResult, "from_dict"):
        pytest.skip("COCOResult.from_dict has not landed")
    if importlib.util.find_spec("ioukit.detection._bootstrap") is None:
        pytest.skip("ioukit.detection._bootstrap (the detection source of stats) has not landed")


def _segment(tmp_path: Path, pred: str, out: str, *extra: str) -> Path:
    path = tmp_path / out
    argv = ["segment", str(tmp_path / pred), str(tmp_path / "target"), "--num-classes", "4",
            "--ignore-index", "255", "--workers", "1", "--json", str(path), "-q",
            *extra]  # fmt: skip
    assert cli.main(argv) == 0
    return path


def _two_segment_runs(tmp_path: Path) -> tuple[Path, Path]:
    """base.json and better.json: the same images, one prediction made perfect in B."""
    pairs = make_dataset(tmp_path, n=6)
    shutil.copytree(tmp_path / "pred", tmp_path / "pred_b")
    target = next(t for name, _, t in pairs if name == "img_1")  # a .npy prediction
    np.save(tmp_path / "pred_b" / "img_1.npy", np.where(target == 255, 0, target).astype(np.uint8))
    return _segment(tmp_path, "pred", "base.json"), _segment(tmp_path, "pred_b", "better.json")


def _compare(*argv: Any) -> int:
    return cli.main(["compare", *map(str, argv)])


def test_json_documents_carry_kind_and_state(tmp_path: Path) -> None:
    gt, dt = make_coco(tmp_path)
    out = tmp_path / "d.json"
    assert cli.main(["detect", str(gt), str(dt), "--tide", "--json", str(out), "-q"]) == 0
    doc = json.loads(out.read_text())
    assert doc["kind"] == "detection"
    assert "state" in doc
    if not hasattr(COCOResult, "from_dict"):
        pytest.skip("COCOResult.from_dict has not landed")
    back = load_result(out)
    assert back.stats.tolist() == ioukit.coco_evaluate(str(gt), str(dt)).stats.tolist()
    gt_l, dt_l = write_files(tmp_path, *lvis_dataset())
    out = tmp_path / "l.json"
    assert cli.main(["detect", str(gt_l), str(dt_l), "--lvis", "--json", str(out), "-q"]) == 0
    assert json.loads(out.read_text())["kind"] == "detection"
    if not hasattr(LVISResult, "from_dict"):
        pytest.skip("LVISResult.from_dict has not landed")
    assert load_result(out).results == ioukit.lvis_evaluate(str(gt_l), str(dt_l)).results


def test_segment_and_panoptic_json_documents_load_back(tmp_path: Path) -> None:
    _needs_segmentation_state()
    a, _ = _two_segment_runs(tmp_path)
    doc = json.loads(a.read_text())
    assert doc["kind"] == "segmentation"
    assert load_result(a).miou == doc["mean_iou"]["value"]
    if not hasattr(PanopticResult, "from_dict"):
        pytest.skip("PanopticResult.from_dict has not landed")
    files = [str(p) for p in make_panoptic_data(tmp_path / "pan", 4, n_images=3)]
    out = tmp_path / "pq.json"
    assert cli.main(["panoptic", *files, "--workers", "1", "--json", str(out), "-q"]) == 0
    assert json.loads(out.read_text())["kind"] == "panoptic"
    assert load_result(out).pq == ioukit.panoptic_quality(*files, workers=1).pq


def test_segment_comparison_is_the_librarys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _needs_segmentation_state()
    from ioukit.stats import compare

    a, b = _two_segment_runs(tmp_path)
    want = compare(load_result(a), load_result(b), n_resamples=300, random_state=7,
                   labels=("base", "better"))  # fmt: skip
    assert want.difference.estimate > 0  # one prediction made perfect
    assert _compare(a, b, *RESAMPLES) == 0
    out = capsys.readouterr().out
    assert str(want.difference) in out
    assert f"P(better > base) = {want.prob_b_better:.4f}" in out
    assert f"p-value = {want.p_value:.4f}" in out
    assert want.images[0]["image"] in out  # the image that changed most
    # json: the comparison's document; csv: its per-class rows, numbers in full
    assert _compare(a, b, *RESAMPLES, "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(want.to_dict()))
    assert _compare(a, b, *RESAMPLES, "--format", "csv") == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert [r["name"] for r in rows] == [r["name"] for r in want.per_class]
    for row, w in zip(rows, want.per_class, strict=True):
        for key in ("a", "b", "difference", "low", "high"):
            assert row[key] == ("" if w[key] is None else repr(w[key])), key
    assert _compare(a, b, *RESAMPLES, "--format", "markdown", "--labels", "A0", "B1") == 0
    tables = markdown_tables(capsys.readouterr().out)
    assert tables[0][3][:3] == ["B1 - A0", "Δ miou", f"{want.difference.estimate:+.4f}"]


def test_compare_writes_json_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _needs_segmentation_state()
    pytest.importorskip("plotly")
    a, b = _two_segment_runs(tmp_path)
    out_json, out_html = tmp_path / "c.json", tmp_path / "c.html"
    rc = _compare(a, b, *RESAMPLES, "--metric", "mdice", "--json", out_json,
                  "--html", out_html, "-q")  # fmt: skip
    assert rc == 0
    assert capsys.readouterr() == ("", "")
    doc = json.loads(out_json.read_text())
    assert doc["metric"] == "mdice"
    assert doc["labels"] == ["base", "better"]
    page = out_html.read_text(encoding="utf-8")
    assert f"{doc['difference']['estimate']:+.4f}" in page or (
        f"{doc['difference']['estimate']:.4f}" in page
    )


def test_progress_and_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _needs_segmentation_state()
    pytest.importorskip("rich")
    a, b = _two_segment_runs(tmp_path)
    assert _compare(a, b, *RESAMPLES, "--quiet") == 0
    assert capsys.readouterr() == ("", "")
    assert _compare(a, b, *RESAMPLES, "--progress", "--format", "csv") == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("name,metric,a,b,difference,low,high,prob_b_better")
    assert "300 bootstrap resamples" in captured.err  # the spinner, forced


@pytest.mark.parametrize(
    ("b_options", "setting"),
    [(["--num-classes", "5"], "num_classes"), (["--ignore-index", "0"], "ignore_index")],
)
def test_other_settings_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], b_options: list[str], setting: str
) -> None:
    _needs_segmentation_state()
    make_dataset(tmp_path, n=3)
    a = _segment(tmp_path, "pred", "a.json")
    argv = ["segment", str(tmp_path / "pred"), str(tmp_path / "target"), "--workers", "1",
            "--num-classes", "4", "--ignore-index", "255", *b_options, "--json",
            str(tmp_path / "b.json"), "-q"]  # fmt: skip
    assert cli.main(argv) == 0
    assert _compare(a, tmp_path / "b.json", *RESAMPLES) in (1, 2)
    err = capsys.readouterr().err
    assert err.startswith("ioukit compare: error:")
    assert setting in err
    assert "Traceback" not in err


def test_other_images_and_other_kinds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _needs_segmentation_state()
    a, _ = _two_segment_runs(tmp_path)
    shutil.copytree(tmp_path / "pred", tmp_path / "pred_c")
    (tmp_path / "pred_c" / "img_2.png").unlink()
    c = _segment(tmp_path, "pred_c", "fewer.json", "--skip-bad")
    assert _compare(a, c, *RESAMPLES) == 1
    err = capsys.readouterr().err
    assert "same images" in err
    assert "'img_2'" in err
    gt, dt = make_coco(tmp_path)
    d = tmp_path / "det.json"
    assert cli.main(["detect", str(gt), str(dt), "--json", str(d), "-q"]) == 0
    capsys.readouterr()
    if importlib.util.find_spec("ioukit.detection._bootstrap") is None:
        pytest.skip("ioukit.detection._bootstrap (the detection source of stats) has not landed")
    assert _compare(a, d, *RESAMPLES) == 1
    assert "same kind" in capsys.readouterr().err


def test_unknown_metric_lists_the_valid_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _needs_segmentation_state()
    a, b = _two_segment_runs(tmp_path)
    assert _compare(a, b, "--metric", "mIoU") == 2
    err = capsys.readouterr().err
    assert "unknown metric 'mIoU'" in err
    assert "miou" in err


def test_detection_comparison(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _needs_detection_bootstrap()
    from ioukit.stats import compare

    gt, dt = make_coco(tmp_path)
    dets = json.loads(dt.read_text())
    dets[0]["bbox"] = [0.0, 0.0, 3.0, 3.0]  # one detection moved off its object
    dt_b = tmp_path / "dt_b.json"
    dt_b.write_text(json.dumps(dets))
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert cli.main(["detect", str(gt), str(dt), "--json", str(a), "-q"]) == 0
    assert cli.main(["detect", str(gt), str(dt_b), "--json", str(b), "-q"]) == 0
    assert _compare(a, b, *RESAMPLES, "--format", "json") == 0
    want = compare(load_result(a), load_result(b), n_resamples=300, random_state=7,
                   labels=("a", "b"))  # fmt: skip
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(want.to_dict()))


def test_ctrl_c_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs_segmentation_state()
    import ioukit.stats

    a, b = _two_segment_runs(tmp_path)

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(ioukit.stats, "compare", interrupted)
    assert _compare(a, b) == 130
    assert capsys.readouterr() == ("", "ioukit compare: interrupted.\n")


# -- bad input --------------------------------------------------------------------------------


def _doc(tmp_path: Path, name: str, value: Any) -> Path:
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return path


@pytest.mark.parametrize(
    ("a", "message"),
    [
        (None, "no such file"),
        ("[1, 2", "is not a JSON document"),
        ([1, 2], "expected a JSON object"),
        ({"summary": {}}, "not an ioukit result"),
        ({"kind": "segmentation", "summary": {}}, "older ioukit"),
    ],
)
def test_bad_files_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], a: Any, message: str
) -> None:
    good = _doc(tmp_path, "good.json", {"kind": "segmentation"})
    path = tmp_path / "missing.json" if a is None else _doc(tmp_path, "a.json", a)
    assert _compare(path, good) == 1
    err = capsys.readouterr().err
    assert err.startswith("ioukit compare: error:")
    assert message in err
    assert str(path) in err
    assert "Traceback" not in err


def test_a_document_without_state_says_to_evaluate_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dataset(tmp_path, n=2)
    a = _segment(tmp_path, "pred", "a.json")
    doc = json.loads(a.read_text())
    doc.pop("state", None)  # as an older ioukit wrote it
    doc["kind"] = "segmentation"
    a.write_text(json.dumps(doc))
    assert _compare(a, a) == 1
    err = capsys.readouterr().err
    assert "older ioukit" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--level", "1.5"], "between 0 and 1"),
        (["--level", "x"], "between 0 and 1"),
        (["--resamples", "0"], "positive integer"),
        (["--seed", "-1"], "integer >= 0"),
        (["--method", "normal"], "invalid choice"),
        (["--labels", "only-one"], "expected 2 arguments"),
        (["--json", "{tmp}/no/c.json"], "does not exist"),
        (["--html", "{tmp}/no/c.html"], "does not exist"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    a = _doc(tmp_path, "a.json", {})
    argv = [a, a, *(o.replace("{tmp}", str(tmp_path)) for o in options)]
    assert _compare(*argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["compare", "--help"]) == 0
    out = capsys.readouterr().out
    assert "ioukit compare a.json b.json" in out
    for option in ("--metric", "--labels", "--html", "--resamples", "--seed", "--level"):
        assert option in out
