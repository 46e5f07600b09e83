"""`ioukit detect` with --lvis, --tide, --convention and --iou-type boundary on small generated
datasets (`random_dataset`): every printed and written number equals the library's on the same
files; the options that cannot combine exit 2; an LVIS run on a COCO file exits 1 and names the
missing LVIS field."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from tests.detection.coco_helpers import random_dataset

import ioukit
from ioukit import cli

LVIS_NUMBERS = ["AP", "AP50", "AP75", "APs", "APm", "APl"]


def write_files(root: Path, gt: Any, dt: Any) -> tuple[Path, Path]:
    gt_path, dt_path = root / "gt.json", root / "dt.json"
    gt_path.write_text(json.dumps(gt))
    dt_path.write_text(json.dumps(dt))
    return gt_path, dt_path


def lvis_dataset(seed: int = 0, *, masks: bool = False) -> tuple[dict[str, Any], list[Any]]:
    """`random_dataset` with the LVIS fields: per image, the categories it does not show are
    verified absent on every other image, its first category is not exhaustively annotated on
    every third; frequencies r, c, f in turn."""
    gt, dt = random_dataset(seed, masks=masks)
    cats = [c["id"] for c in gt["categories"]]
    for c, freq in zip(gt["categories"], "rcfrc", strict=True):
        c["frequency"] = freq
    for n, img in enumerate(gt["images"]):
        shown = sorted({a["category_id"] for a in gt["annotations"] if a["image_id"] == img["id"]})
        img["neg_category_ids"] = [c for c in cats if c not in shown] if n % 2 else []
        img["not_exhaustive_category_ids"] = shown[:1] if n % 3 == 0 else []
    return gt, dt


def run(*argv: Any) -> int:
    return cli.main(["detect", *map(str, argv)])


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    return captured.err


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


# -- LVIS ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "kwargs", "masks"),
    [
        ([], {}, False),
        (["--max-dets", "3"], {"max_dets": 3}, False),
        (["--max-dets-per-category", "4"], {"max_dets_per_category": 4}, False),
        (["--iou-type", "segm", "--area-ranges", "all=0:1e10"], {"iou_type": "segm",
         "area_ranges": {"all": (0, 1e10)}}, True),
    ],
)  # fmt: skip
def test_lvis_outputs_equal_the_library(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    kwargs: dict[str, Any],
    masks: bool,
) -> None:
    gt, dt = lvis_dataset(masks=masks)
    gt_path, dt_path = write_files(tmp_path, gt, dt)
    out_json, out_csv = tmp_path / "s.json", tmp_path / "c.csv"
    argv = [gt_path, dt_path, "--lvis", *options, "--json", out_json, "--per-category", out_csv]
    assert run(*argv) == 0
    expected = ioukit.lvis_evaluate(gt, dt, **kwargs)
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith(expected.summary() + "\n")
    assert captured.out.count("Average Precision") == 9  # AP AP50 AP75 APs APm APl APr APc APf
    lines = captured.out.splitlines()
    ar = f"AR@{expected.params.max_dets}"
    header = next(line for line in lines if ar in line)
    assert header.split() == ["id", "category", "freq", *LVIS_NUMBERS, ar]
    rows = expected.per_category()
    for row in rows:
        line = next(ln for ln in lines if f" {row['name']} " in f" {ln} ").split()
        assert line[2] == row["frequency"]
        want = ["\N{EN DASH}" if row[c] == -1 else f"{row[c]:.3f}" for c in [*LVIS_NUMBERS, ar]]
        assert line[3:] == want
    doc = json.loads(out_json.read_text())
    config = doc.pop("command")
    assert doc == _json(expected.to_dict())
    assert config["evaluation"] == "lvis"
    assert config["iou_type"] == kwargs.get("iou_type", "bbox")
    assert config["max_dets"] == expected.params.max_dets
    assert config["max_dets_per_category"] == kwargs.get("max_dets_per_category")
    with out_csv.open(newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == len(rows) == 5
    for got, want_row in zip(table, rows, strict=True):
        assert list(got) == ["category_id", "name", "frequency", *LVIS_NUMBERS, ar,
                             *(f"AR{a}@{expected.params.max_dets}" for a in "sml")]  # fmt: skip
        assert got["category_id"] == str(want_row["category_id"])
        assert got["frequency"] == want_row["frequency"]
        for key in list(got)[3:]:
            assert float(got[key]) == want_row[key]  # written exactly


def test_lvis_caps_change_the_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the caps reach the library: 1 detection per image loses recall, a category cap of 1 too
    gt_path, dt_path = write_files(tmp_path, *lvis_dataset())
    results = []
    for options in ([], ["--max-dets", "1"], ["--max-dets-per-category", "1"]):
        assert run(gt_path, dt_path, "--lvis", "--json", "-", *options) == 0
        results.append(json.loads(capsys.readouterr().out)["results"])
    assert list(results[1]) == [*list(results[0])[:9], "AR@1", "ARs@1", "ARm@1", "ARl@1"]
    assert results[1]["AR@1"] < results[0]["AR@300"]
    assert results[2]["AR@-1"] < results[0]["AR@300"]  # the fixed AP: no per-image cap


def test_lvis_on_a_coco_file_names_the_missing_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gt_path, dt_path = write_files(tmp_path, *random_dataset(0))
    assert run(gt_path, dt_path, "--lvis") == 1
    err = _err(capsys)
    assert err.startswith(
        f"ioukit detect: error: GT.json {str(gt_path)!r}: `gt['images'][0]` must have a list "
        "'neg_category_ids' (a field of the LVIS format"
    )
    assert "run without --lvis" in err
    assert "lvis_evaluate" not in err
    assert err.count("\n") == 1
    gt, dt = lvis_dataset()
    del gt["categories"][2]["frequency"]
    gt_path, dt_path = write_files(tmp_path, gt, dt)
    assert run(gt_path, dt_path, "--lvis") == 1
    assert "`gt['categories'][2]` must have a 'frequency' of 'r', 'c' or 'f'" in _err(capsys)


def test_lvis_file_without_lvis_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gt, dt = lvis_dataset()
    gt_path, dt_path = write_files(tmp_path, gt, dt)
    assert run(gt_path, dt_path) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(ioukit.coco_evaluate(gt, dt).summary())
    assert captured.err == (
        f"ioukit detect: warning: GT.json {str(gt_path)!r} is an LVIS annotation file (it has "
        "'not_exhaustive_category_ids'): these are COCO numbers, without LVIS's federated "
        "rules; pass --lvis for LVIS AP.\n"
    )


def test_lvis_bad_files_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gt, dt = lvis_dataset()
    gt_path, dt_path = write_files(tmp_path, gt, dt)
    assert run(dt_path, gt_path, "--lvis") == 1  # swapped: parsed here to say so
    assert "did you swap GT.json and DT.json?" in _err(capsys)
    (tmp_path / "bad.json").write_text("[{]")
    assert run(gt_path, tmp_path / "bad.json", "--lvis") == 1
    assert "is not valid JSON: Expecting property name enclosed in double quotes at line 1, " \
        "column 3." in _err(capsys)  # fmt: skip
    dt_path.write_text(json.dumps([*dt, {**dt[0], "image_id": 10**6}]))
    assert run(gt_path, dt_path, "--lvis") == 1
    assert f"DT.json {str(dt_path)!r}: `dt[{len(dt)}]` has image_id 1000000" in _err(capsys)


# -- TIDE, conventions, Boundary AP -----------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "iou_type", "convention"),
    [([], "bbox", "pycocotools"), (["--iou-type", "segm", "--convention", "ioukit"], "segm",
      "ioukit")],
)  # fmt: skip
def test_tide_after_the_summary_and_in_the_json(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    iou_type: str,
    convention: str,
) -> None:
    gt, dt = random_dataset(1, masks=iou_type == "segm")
    gt_path, dt_path = write_files(tmp_path, gt, dt)
    assert run(gt_path, dt_path, "--tide", *options) == 0
    coco = ioukit.coco_evaluate(gt, dt, iou_type=iou_type, convention=convention)
    tide_convention = "tidecv" if convention == "pycocotools" else convention
    errors = ioukit.tide(gt, dt, iou_type=iou_type, convention=tide_convention)
    out = capsys.readouterr().out
    assert out.startswith(coco.summary() + "\n" + errors.summary() + "\n")
    assert f"max_dets 100, {errors.convention})" in out
    assert run(gt_path, dt_path, "--tide", *options, "--json", "-") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc.pop("tide") == _json(errors.to_dict())
    config = doc.pop("command")
    assert doc == _json(coco.to_dict())
    assert (config["tide"], config["convention"], config["evaluation"]) == (
        True, convention, "coco"
    )  # fmt: skip


def test_convention_reaches_the_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # random_dataset has a ground truth with id 0, which only the ioukit convention can match
    gt, dt = random_dataset(0)
    gt_path, dt_path = write_files(tmp_path, gt, dt)
    stats = {}
    for convention in ("pycocotools", "ioukit"):
        assert run(gt_path, dt_path, "--convention", convention, "--json", "-") == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["command"]["convention"] == convention
        expected = ioukit.coco_evaluate(gt, dt, convention=convention)
        assert doc["stats"] == expected.stats.tolist()
        stats[convention] = doc["stats"]
    assert stats["pycocotools"] != stats["ioukit"]
    assert run(gt_path, dt_path, "--json", "-") == 0  # the default
    assert json.loads(capsys.readouterr().out)["stats"] == stats["pycocotools"]


def test_per_image_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gt, dt = random_dataset(3)
    gt_path, dt_path = write_files(tmp_path, gt, dt)
    assert run(gt_path, dt_path, "--max-dets", "1,3", "--per-image-cap", "--json", "-") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"]["per_image_cap"] is True
    expected = ioukit.coco_evaluate(gt, dt, max_dets=(1, 3), per_image_cap=True)
    assert doc["stats"] == expected.stats.tolist()
    assert expected.stats.tolist() != ioukit.coco_evaluate(gt, dt, max_dets=(1, 3)).stats.tolist()
    assert run(gt_path, dt_path, "--lvis", "--per-image-cap") == 2


def test_boundary_iou_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gt, dt = random_dataset(2, masks=True)
    gt_path, dt_path = write_files(tmp_path, gt, dt)
    stats = []
    for ratio in (None, 0.2):
        extra = [] if ratio is None else ["--boundary-dilation-ratio", str(ratio)]
        assert run(gt_path, dt_path, "--iou-type", "boundary", *extra, "--json", "-") == 0
        doc = json.loads(capsys.readouterr().out)
        expected = ioukit.coco_evaluate(
            gt, dt, iou_type="boundary", boundary_dilation_ratio=0.02 if ratio is None else ratio
        )
        assert doc["stats"] == expected.stats.tolist()
        assert doc["command"]["boundary_dilation_ratio"] == (0.02 if ratio is None else ratio)
        stats.append(doc["stats"])
    assert stats[0] != stats[1]
    assert run(gt_path, dt_path, "--iou-type", "boundary") == 0
    out = capsys.readouterr().out
    assert out.startswith(ioukit.coco_evaluate(gt, dt, iou_type="boundary").summary())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--lvis", "--max-dets", "1,10,100"], "--lvis keeps one number of detections per "
         "image, all categories together (LVIS's 300); --max-dets 1,10,100 gives 3: pass one "
         "number, e.g. --max-dets 300."),
        (["--max-dets-per-category", "5"], "--max-dets-per-category (LVIS's fixed AP) needs "
         "--lvis."),
        (["--lvis", "--max-dets-per-category", "5", "--max-dets", "9"], "pass one of them"),
        (["--lvis", "--max-dets-per-category", "0"], "expected one positive integer"),
        (["--lvis", "--max-dets-per-category", "1,2"], "expected one positive integer; got '1,2'"),
        (["--lvis", "--iou-type", "keypoints"], "--lvis takes --iou-type bbox or segm; got "
         "--iou-type keypoints."),
        (["--lvis", "--iou-type", "boundary"], "--lvis takes --iou-type bbox or segm"),
        (["--tide", "--iou-type", "keypoints"], "--tide takes --iou-type bbox or segm"),
        (["--tide", "--iou-type", "boundary"], "--tide takes --iou-type bbox or segm"),
        (["--lvis", "--tide"], "cannot be combined with --lvis"),
        (["--lvis", "--convention", "pycocotools"], "--lvis reproduces lvis-api 0.5.3"),
        (["--convention", "cocoapi"], "invalid choice: 'cocoapi'"),
        (["--boundary-dilation-ratio", "0.1"], "--boundary-dilation-ratio needs --iou-type "
         "boundary; got --iou-type bbox."),
        (["--iou-type", "boundary", "--boundary-dilation-ratio", "0"], "expected a number > 0"),
        (["--iou-type", "boundary", "--boundary-dilation-ratio", "nan"], "got 'nan'"),
        (["--json", "-", "--per-category", "-"], "would both write to stdout"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    gt_path, dt_path = write_files(tmp_path, *lvis_dataset())
    assert run(gt_path, dt_path, *options) == 2
    err = _err(capsys)
    assert "ioukit detect: error:" in err
    assert message in err


def test_per_category_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gt, dt = random_dataset(3)
    gt_path, dt_path = write_files(tmp_path, gt, dt)
    assert run(gt_path, dt_path, "--per-category", "-") == 0
    out = capsys.readouterr().out
    rows = list(csv.DictReader(out.splitlines()))  # the CSV alone, no summary, no table
    want = ioukit.coco_evaluate(gt, dt).per_category()
    assert [{k: float(v) for k, v in r.items() if k != "name"} for r in rows] == [
        {k: float(v) for k, v in w.items() if k != "name"} for w in want
    ]


def test_help_epilog(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["detect", "--help"]) == 0
    out = capsys.readouterr().out
    for text in ("--lvis", "--tide", "--convention", "--max-dets-per-category",
                 "--boundary-dilation-ratio", "141", "130", "common mistakes",
                 "without --iou-type segm", "without --lvis", "image ids"):  # fmt: skip
        assert text in out
    assert out.count("ioukit detect ") >= 2  # two examples
