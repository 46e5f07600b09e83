"""`ioukit panoptic` end to end on a small generated dataset: the table, the JSON and the CSV
equal panoptic_quality's on the same files; bad files exit 1 naming the file; --skip-bad exits
0 with a warning; bad options exit 2; `python -m ioukit panoptic` runs."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from panoptic_helpers import make_dataset

import ioukit
from ioukit import cli


@pytest.fixture
def files(tmp_path):
    return [str(p) for p in make_dataset(tmp_path / "data", 4, n_images=5)]


def test_table_json_and_csv(files, tmp_path, capsys):
    out_json, out_csv = tmp_path / "pq.json", tmp_path / "pq.csv"
    code = cli.main(
        [
            "panoptic",
            *files,
            "--json",
            str(out_json),
            "--per-category",
            str(out_csv),
            "--workers",
            "1",
        ]
    )
    assert code == 0
    result = ioukit.panoptic_quality(*files, workers=1)
    stdout = capsys.readouterr().out
    assert stdout.startswith("5 image(s), convention panopticapi\n")
    assert result.summary() in stdout
    doc = json.loads(out_json.read_text())
    assert doc["command"] == "panoptic"
    assert doc["scores"] == result.to_dict()["scores"]
    assert doc["per_category"] == result.to_dict()["per_category"]
    rows = list(csv.DictReader(out_csv.read_text().splitlines()))
    assert [int(r["tp"]) for r in rows] == result.tp.tolist()
    assert [float(r["pq"]) for r in rows] == [r["pq"] for r in result.per_category()]


def test_options_reach_the_library(files, tmp_path, capsys):
    out_json = tmp_path / "pq.json"
    args = ["--convention", "ioukit", "--pq-dagger", "--aggregation", "image", "-q"]
    assert cli.main(["panoptic", *files, *args, "--json", str(out_json), "--workers", "2"]) == 0
    assert capsys.readouterr().out == ""
    want = ioukit.panoptic_quality(
        *files, workers=1, convention="ioukit", pq_dagger=True, aggregation="image"
    )
    doc = json.loads(out_json.read_text())
    assert doc["options"] == want.to_dict()["options"]
    assert doc["scores"] == want.to_dict()["scores"]


def test_bad_file_exits_1_naming_it(files, capsys):
    path = Path(files[2])
    gt_json = json.loads(path.read_text())
    gt_json["annotations"][0]["segments_info"].pop()
    path.write_text(json.dumps(gt_json))
    name = gt_json["annotations"][0]["file_name"]
    assert cli.main(["panoptic", *files, "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ioukit panoptic: error: 1 problem(s)")
    assert f"pred/{name}: the prediction PNG holds segment id" in err
    assert "rerun with --skip-bad" in err
    assert cli.main(["panoptic", *files, "--workers", "1", "--skip-bad"]) == 0
    captured = capsys.readouterr()
    assert "1 image(s) skipped (--skip-bad); 4 evaluated" in captured.err
    assert captured.out.startswith("4 image(s)")


def test_missing_json_exits_1(files, tmp_path, capsys):
    assert cli.main(["panoptic", str(tmp_path / "no.json"), *files[1:]]) == 1
    assert "no.json: no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--workers", "0"], "expected a positive integer"),
        (["--convention", "coco"], "invalid choice"),
        (["--json", "/nonexistent/dir/x.json"], "does not exist"),
    ],
)
def test_usage_errors_exit_2(files, capsys, extra, message):
    assert cli.main(["panoptic", *files, *extra]) == 2
    assert message in capsys.readouterr().err


def test_python_m_ioukit(files):
    proc = subprocess.run(
        [sys.executable, "-m", "ioukit", "panoptic", *files, "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "All       |" in proc.stdout
