"""`ioukit detect` end to end on a small generated COCO dataset: the summary, the JSON and the
CSV equal `coco_evaluate`'s on the same files; bad files exit 1 with a message that names the
file; bad options exit 2; Ctrl-C exits 130; `python -m ioukit detect` works through a pipe."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ioukit
from ioukit import _cli_detect, cli
from ioukit.detection import coco

DASH = "\N{EN DASH}"
FOOTNOTE = f"{DASH} no ground truth for the category in that area range, or no such range"


def _poly(x: float, y: float, w: float, h: float) -> list[list[float]]:
    return [[x, y, x + w, y, x + w, y + h, x, y + h]]


def make_coco(root: Path, seed: int = 0) -> tuple[Path, Path]:
    """GT (4 images, categories 1..3, category 3 without ground truth, a crowd) and results
    (jittered boxes and false positives, with polygon masks) as JSON files under root."""
    rng = np.random.default_rng(seed)
    images = [{"id": i, "height": 120, "width": 160, "file_name": f"{i}.jpg"} for i in (1, 2, 3, 4)]
    cats = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "bird"}]
    anns: list[dict[str, Any]] = []
    dets: list[dict[str, Any]] = []
    for img in images:
        for _ in range(3):
            w, h = (float(v) for v in rng.integers(8, 90, 2))
            x, y = float(rng.integers(0, int(160 - w))), float(rng.integers(0, int(120 - h)))
            cat = int(rng.integers(1, 3))
            anns.append(
                {"id": len(anns) + 1, "image_id": img["id"], "category_id": cat,
                 "bbox": [x, y, w, h], "area": w * h, "iscrowd": int(len(anns) == 4),
                 "segmentation": _poly(x, y, w, h)}
            )  # fmt: skip
            for dx, dy in rng.integers(-4, 5, (2, 2)):
                box = [x + float(dx), y + float(dy), w, h]
                dets.append(
                    {"image_id": img["id"], "category_id": cat, "bbox": box,
                     "segmentation": _poly(*box), "score": round(float(rng.random()), 3)}
                )  # fmt: skip
        box = [1.0, 1.0, 20.0, 20.0]
        dets.append(
            {"image_id": img["id"], "category_id": 3, "bbox": box, "segmentation": _poly(*box),
             "score": 0.25}
        )  # fmt: skip
    gt_path, dt_path = root / "gt.json", root / "dt.json"
    gt_path.write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    dt_path.write_text(json.dumps(dets))
    return gt_path, dt_path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return make_coco(tmp_path)


def run(*argv: Any) -> int:
    return cli.main(["detect", *map(str, argv)])


# -- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "kwargs"),
    [
        ([], {}),
        (["--iou-type", "segm"], {"iou_type": "segm"}),
        (
            ["--max-dets", "100,1", "--area-ranges", "all=0:1e10,small=0:1024,big=1024:1e10"],
            {
                "max_dets": (100, 1),
                "area_ranges": {"all": (0, 1e10), "small": (0, 1024), "big": (1024, 1e10)},
            },
        ),
    ],
)
def test_outputs_equal_the_library(
    files: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    kwargs: dict[str, Any],
) -> None:
    gt, dt = files
    out_json, out_csv = tmp_path / "s.json", tmp_path / "c.csv"
    assert run(gt, dt, *options, "--json", out_json, "--per-category", out_csv) == 0
    expected = ioukit.coco_evaluate(str(gt), str(dt), **kwargs)
    stdout = capsys.readouterr().out
    assert stdout.startswith(expected.summary())
    assert stdout.count("Average Precision") == 6
    doc = json.loads(out_json.read_text())
    config = doc.pop("command")
    assert doc == json.loads(json.dumps(expected.to_dict()))
    assert config["gt"] == str(gt)
    assert config["dt"] == str(dt)
    assert config["iou_type"] == kwargs.get("iou_type", "bbox")
    assert config["max_dets"] == list(kwargs.get("max_dets", (1, 10, 100)))
    areas = kwargs.get("area_ranges")
    assert config["area_ranges"] == (areas and {k: list(v) for k, v in areas.items()})
    with out_csv.open(newline="") as f:
        rows = list(csv.DictReader(f))
    want = expected.per_category()
    assert [r["name"] for r in rows] == ["cat", "dog", "bird"]
    assert len(rows) == len(want) == 3
    for row, w in zip(rows, want, strict=True):
        assert list(row) == [
            "category_id",
            "name",
            "AP",
            "AP50",
            "AP75",
            "APs",
            "APm",
            "APl",
            "AR100",
        ]
        assert row["category_id"] == str(w["category_id"])
        assert row["name"] == w["name"]
        for key in _cli_detect._COLUMNS:
            assert float(row[key]) == w[key]  # written exactly (repr of the float)
    assert all(row[k] == "-1.0" for row in rows[2:] for k in _cli_detect._COLUMNS)


def test_table_rich_and_plain(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gt, dt = files
    rows = ioukit.coco_evaluate(str(gt), str(dt)).per_category()
    outputs = []
    for plain in (False, True):
        if plain:
            monkeypatch.setitem(sys.modules, "rich", None)  # rich not installed
        assert run(gt, dt) == 0
        out = capsys.readouterr().out
        outputs.append(out)
        lines = out.splitlines()
        assert lines[12] == ""  # the 12 summary lines, then the table
        header = next(line for line in lines if "AR100" in line)
        assert header.split() == ["id", "category", *_cli_detect._COLUMNS]
        for row in rows:
            line = next(ln for ln in lines if f" {row['name']} " in f" {ln} ")
            assert line.split()[2:] == [
                DASH if row[c] == -1 else f"{row[c]:.3f}" for c in _cli_detect._COLUMNS
            ]
        assert lines[-1] == FOOTNOTE
        assert all(line == line.rstrip() for line in lines)  # not a terminal: no padding
        assert "\x1b[" not in out
    assert outputs[0].splitlines()[:12] == outputs[1].splitlines()[:12]


def test_quiet_and_json_to_stdout(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gt, dt = files
    assert run(gt, dt, "-q", "--per-category", tmp_path / "c.csv") == 0
    assert capsys.readouterr() == ("", "")
    assert (tmp_path / "c.csv").exists()
    assert run(gt, dt, "--json", "-") == 0
    out = capsys.readouterr().out
    doc = json.loads(out)  # only the JSON on stdout
    assert doc["stats"] == ioukit.coco_evaluate(str(gt), str(dt)).stats.tolist()
    assert doc["command"]["area_ranges"] is None


def test_footnote_only_when_undefined(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gt, dt = files
    assert run(gt, dt, "--area-ranges", "all=0:1e10") == 0  # no small/medium/large: APs.. -1
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.endswith("= -1.000") for line in lines) == 6
    cat = next(line for line in lines if " cat " in line).split()
    assert cat[5:8] == [DASH] * 3
    assert DASH not in cat[2:5] + cat[8:]
    assert lines[-1] == FOOTNOTE
    # one category with an object in each area range, each found: every value is defined
    sizes = ((2, 10), (40, 50), (100, 150))
    anns = [
        {"id": i + 1, "image_id": 1, "category_id": 1, "bbox": [x, x, w, w], "area": w * w}
        for i, (x, w) in enumerate(sizes)
    ]
    dets = [{"image_id": 1, "category_id": 1, "bbox": [x, x, w, w], "score": 1} for x, w in sizes]
    (tmp_path / "g1.json").write_text(
        json.dumps({"images": [{"id": 1}], "annotations": anns, "categories": [{"id": 1}]})
    )
    (tmp_path / "d1.json").write_text(json.dumps(dets))
    assert run(tmp_path / "g1.json", tmp_path / "d1.json") == 0
    out = capsys.readouterr().out
    assert [ln for ln in out.splitlines() if ln][-1].split() == ["1", "1", *["1.000"] * 7]
    assert "no ground truth" not in out
    assert DASH not in out


def test_subprocess_python_dash_m_piped(files: tuple[Path, Path]) -> None:
    gt, dt = files
    proc = subprocess.run(
        [sys.executable, "-m", "ioukit", "detect", str(gt), str(dt), "--iou-type", "segm"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(ioukit.coco_evaluate(str(gt), str(dt), iou_type="segm").summary())
    assert "\x1b[" not in proc.stdout
    assert all(line == line.rstrip() for line in proc.stdout.splitlines())
    assert proc.stderr == ""
    proc = subprocess.run(
        [sys.executable, "-m", "ioukit", "detect", str(dt), str(gt)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "did you swap GT.json and DT.json?" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "segment" in out
    assert "detect" in out
    assert cli.main(["detect", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--iou-type", "--max-dets", "--area-ranges", "--json", "--per-category"):
        assert option in out


# -- errors ----------------------------------------------------------------------------------


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    return captured.err


def test_missing_and_invalid_files(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gt, dt = files
    assert run(tmp_path / "nope.json", dt) == 1
    assert (
        _err(capsys)
        == f"ioukit detect: error: GT.json {str(tmp_path / 'nope.json')!r} does not exist.\n"
    )
    assert run(gt, tmp_path / "nope.json") == 1
    assert "DT.json" in _err(capsys)
    bad = tmp_path / "bad.json"
    bad.write_text('[\n  {"image_id": 1,\n   "score": }\n]')
    assert run(gt, bad) == 1
    err = _err(capsys)
    assert f"DT.json {str(bad)!r} is not valid JSON: Expecting value at line 3, column 13." in err
    bad.write_bytes(b"\xff\xfe[]")
    assert run(bad, dt) == 1
    assert f"GT.json {str(bad)!r} is not UTF-8 text" in _err(capsys)
    assert run(tmp_path, dt) == 1  # a folder
    assert f"cannot read GT.json {str(tmp_path)!r}" in _err(capsys)


@pytest.mark.parametrize(
    ("gt_doc", "dt_doc", "message"),
    [
        ("{dt}", "{dt}", "GT.json {gt!r} is a JSON list (a results file?), not a COCO "
         "annotation file: did you swap GT.json and DT.json?"),
        ("{gt}", "{gt}", "DT.json {dt!r} is a COCO annotation file, not a results list: did "
         "you swap GT.json and DT.json?"),
        ({"info": {}, "licenses": []}, "{dt}", "GT.json {gt!r} is not a COCO annotation file: "
         "no 'images' and no 'annotations' (its keys: 'info', 'licenses')."),
        ({"images": []}, "{dt}", "is not a COCO annotation file: no 'annotations' (its keys: "
         "'images')."),
        (3, "{dt}", "GT.json {gt!r} must be a COCO annotation file (a JSON object with "
         "'images', 'annotations' and 'categories'); got a JSON int."),
        ("{gt}", {"results": []}, "DT.json {dt!r} must be a COCO results file (a JSON list of "
         "detections); got a JSON object."),
        ("{gt}", [], "DT.json {dt!r}: `dt` (the results) is empty"),
        ("{gt}", [{"image_id": 99, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}],
         "DT.json {dt!r}: `dt[0]` has image_id 99, which is not an image of `gt`"),
        ("{gt}", [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}],
         "DT.json {dt!r}: `dt[0]` must have a 'score' field"),
        ({"images": [{"id": 1}, {"id": 1}], "annotations": [], "categories": []}, "{dt}",
         "GT.json {gt!r}: `gt['images']` must have distinct ids"),
    ],
)  # fmt: skip
def test_bad_data_exit_1(
    files: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gt_doc: Any,
    dt_doc: Any,
    message: str,
) -> None:
    docs = {"{gt}": json.loads(files[0].read_text()), "{dt}": json.loads(files[1].read_text())}
    gt, dt = tmp_path / "a.json", tmp_path / "b.json"
    for path, doc in ((gt, gt_doc), (dt, dt_doc)):
        path.write_text(json.dumps(docs.get(doc, doc) if isinstance(doc, str) else doc))
    assert run(gt, dt) == 1
    err = _err(capsys)
    assert err.startswith("ioukit detect: error: ")
    assert message.format(gt=str(gt), dt=str(dt)) in err
    assert "coco_evaluate:" not in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--iou-type", "mask"], "invalid choice: 'mask'"),
        (["--max-dets", "1,x"], "expected positive integers separated by commas"),
        (["--max-dets", "0,10"], "got '0,10'"),
        (["--max-dets", ""], "--max-dets"),
        (["--area-ranges", "all=0"], "expected LABEL=LO:HI items"),
        (["--area-ranges", "all=5:1"], "got 'all=5:1'"),
        (["--area-ranges", "all=0:1,all=0:2"], "distinct labels"),
        (["--area-ranges", "=0:1"], "got '=0:1'"),
        (["--area-ranges", "all=a:b"], "LO <= HI"),
        (["--json", "no/such/dir/s.json"], "--json no/such/dir/s.json: the folder"),
        (
            ["--per-category", "no/x.csv"],
            "--per-category no/x.csv: the folder 'no' does not exist.",
        ),
    ],
)
def test_usage_errors_exit_2(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    assert run(*files, *options) == 2
    err = _err(capsys)
    assert message in err
    assert "ioukit detect: error:" in err


def test_library_parameter_error_exit_2(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a ParameterError from the library (options the parser let through): usage, exit 2
    real = coco._area_ranges
    monkeypatch.setattr(coco, "_area_ranges", lambda value: real({"all": (2.0, 1.0)}))
    assert run(*files) == 2
    err = _err(capsys)
    assert err.startswith("ioukit detect: error: `area_ranges` must be a non-empty dict")


def test_ctrl_c_exits_130(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(coco, "coco_evaluate", interrupted)
    assert run(*files) == 130
    assert _err(capsys) == "ioukit detect: interrupted.\n"


def test_unwritable_output_exit_1(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "s.json.tmp").mkdir()  # the temporary file cannot be created
    assert run(*files, "--json", tmp_path / "s.json") == 1
    err = capsys.readouterr().err
    assert err.startswith("ioukit detect: error: ")
    assert "s.json.tmp" in err
    assert "Traceback" not in err


def test_iou_type_keypoints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kp = [10, 10, 2, 20, 20, 2] + [0, 0, 0] * 15
    gt = {
        "images": [{"id": 1}],
        "categories": [{"id": 1, "name": "person"}],
        "annotations": [{
            "id": 1, "image_id": 1, "category_id": 1, "bbox": [5, 5, 20, 20], "area": 2000,
            "iscrowd": 0, "keypoints": kp, "num_keypoints": 2,
        }],
    }  # fmt: skip
    dt = [{"image_id": 1, "category_id": 1, "score": 0.9, "keypoints": kp}]
    gt_path, dt_path, out = tmp_path / "gt.json", tmp_path / "dt.json", tmp_path / "s.json"
    gt_path.write_text(json.dumps(gt))
    dt_path.write_text(json.dumps(dt))
    assert run(gt_path, dt_path, "--iou-type", "keypoints", "--json", out) == 0
    expected = ioukit.coco_evaluate(gt, dt, iou_type="keypoints")
    assert capsys.readouterr().out.startswith(expected.summary())
    assert expected.stats.round(6).tolist() == [1, 1, 1, 1, -1, 1, 1, 1, 1, -1]  # medium
    doc = json.loads(out.read_text())
    assert doc["command"]["max_dets"] == [20]
    assert doc["stats"] == expected.stats.tolist()
