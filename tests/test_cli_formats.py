"""`--format table|json|csv|markdown`, `--quiet` and `--progress` on every command, on small
generated data: json is the document that --json writes, csv parses with the csv module to the
result's own numbers, markdown is GitHub tables with the headline number, a table on a redirected
stdout is plain text (no colours, no boxes, nothing cut), --quiet prints nothing, --progress
draws on stderr that is not a terminal; the shared options have one help text in every command,
and every epilog lists the exit codes."""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.cityscapes._data import write_dataset as make_cityscapes_data
from tests.panoptic.panoptic_helpers import make_dataset as make_panoptic_data

import ioukit
from ioukit import cli
from ioukit.cityscapes import cityscapes_instance_level, cityscapes_pixel_level
from test_cli import NAMES, expected
from test_cli import make_dataset as make_segment_data
from test_cli_detect import make_coco

COMMANDS = ("segment", "detect", "panoptic", "cityscapes")
#: a numeric cell of a markdown or plain table: 0.1234, 12.3, 1,234, n/a, a dash
BOX = re.compile("[\N{BOX DRAWINGS LIGHT HORIZONTAL}\N{BOX DRAWINGS HEAVY HORIZONTAL}│┃]")


class Case:
    """One command on its generated data: the arguments, the library's result, and what the
    CSV rows and the headline number should be."""

    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.argv: list[str]
        self.rows: Callable[[], list[dict[str, Any]]]  # the CSV rows, as the library gives them
        self.headline: Callable[[], str]  # the headline number, as the tables print it
        getattr(self, f"_{name}")(root)

    def _segment(self, root: Path) -> None:
        pairs = make_segment_data(root, n=3)
        names = root / "names.json"
        names.write_text(json.dumps(NAMES))
        self.argv = ["segment", str(root / "pred"), str(root / "target"), "--num-classes", "4",
                     "--ignore-index", "255", "--class-names", str(names),
                     "--workers", "1"]  # fmt: skip
        result = expected(pairs, class_names=list(NAMES.values())).result()
        self.rows = result.per_class_rows
        self.headline = lambda: f"{result.miou:.4f}"

    def _detect(self, root: Path) -> None:
        gt, dt = make_coco(root)
        self.argv = ["detect", str(gt), str(dt)]
        result = ioukit.coco_evaluate(str(gt), str(dt))
        self.rows = result.per_category
        self.headline = lambda: f"{result.stats[0]:.3f}"

    def _panoptic(self, root: Path) -> None:
        files = [str(p) for p in make_panoptic_data(root / "data", 4, n_images=3)]
        self.argv = ["panoptic", *files, "--workers", "1"]
        result = ioukit.panoptic_quality(*files, workers=1)
        self.rows = result.per_category
        self.headline = lambda: f"{100 * result.pq:.1f}"

    def _cityscapes(self, root: Path) -> None:
        pred, gt = make_cityscapes_data(root, 2, seed=0)
        self.argv = ["cityscapes", str(pred), str(gt)]
        pixel = cityscapes_pixel_level(pred, gt)
        instance = cityscapes_instance_level(pred, gt)

        def rows() -> list[dict[str, Any]]:
            return [
                {"class": name, "iou": iou, "iiou": pixel.class_iiou.get(name),
                 "ap": instance.class_ap.get(name), "ap50": instance.class_ap50.get(name)}
                for name, iou in pixel.class_iou.items()
            ]  # fmt: skip

        self.rows = rows
        self.headline = lambda: f"{pixel.mean_class_iou:.3f}"


@pytest.fixture(params=COMMANDS)
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Case:
    return Case(request.param, tmp_path)


def run(case: Case, *extra: str) -> int:
    return cli.main([*case.argv, *extra])


def _same(cell: str, value: Any) -> bool:
    """A CSV cell is the value written in full: "" for None, the repr of a float."""
    if value is None:
        return cell == ""
    if isinstance(value, bool):
        return cell == str(value)
    if isinstance(value, float):
        return math.isnan(value) if math.isnan(float(cell)) else float(cell) == value
    return cell == str(value)


def markdown_tables(text: str) -> list[list[list[str]]]:
    """The GitHub tables of ``text``, each a list of rows of cells (the header first, the
    alignment row dropped); fails unless every table is well formed."""
    tables: list[list[list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("|"):
            i += 1
            continue
        block = []
        while i < len(lines) and lines[i].startswith("|"):
            block.append(lines[i])
            i += 1
        rows = [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in block]
        assert all(line.endswith(" |") for line in block), block
        assert len(rows) >= 2, block
        assert all(re.fullmatch(":--|--:", c) for c in rows[1]), block[1]
        assert {len(r) for r in rows} == {len(rows[0])}, block  # one width
        tables.append([rows[0], *rows[2:]])
    return tables


# -- each format ------------------------------------------------------------------------------


def test_json_is_the_json_document(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "doc.json"
    assert run(case, "--json", str(out), "--format", "json") == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == json.loads(out.read_text())  # the JSON alone
    assert captured.out.endswith("}\n")


def test_csv_rows_are_the_results_numbers(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(case, "--format", "csv") == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    want = case.rows()
    assert len(rows) == len(want) > 0
    for row, w in zip(rows, want, strict=True):
        assert set(row) <= set(w), (row, w)
        for key, cell in row.items():
            assert _same(cell, w[key]), (key, cell, w[key])


def test_markdown_is_github_tables(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(case, "--format", "markdown") == 0
    out = capsys.readouterr().out
    tables = markdown_tables(out)
    assert len(tables) >= 2  # the headline metrics, then the per-class rows
    assert case.headline() in [cell for row in tables[0] for cell in row]
    names = {str(r.get("name", r.get("class"))) for r in case.rows()}
    assert names <= {cell for table in tables[1:] for row in table for cell in row}
    assert "\x1b[" not in out


def test_table_redirected_is_plain_text(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(case) == 0  # capsys: stdout is not a terminal
    out = capsys.readouterr().out
    assert case.headline() in out
    assert "\x1b[" not in out
    assert not BOX.search(out)
    assert all(line == line.rstrip() for line in out.splitlines())


def test_quiet_prints_nothing(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(case, "--quiet") == 0
    assert capsys.readouterr() == ("", "")
    assert run(case, "-q", "--format", "csv") == 0  # a format asked for is still printed
    captured = capsys.readouterr()
    assert captured.out.startswith(("id,", "category_id,", "class,"))
    assert captured.err == ""


def test_progress_is_forced_on_stderr_that_is_no_terminal(
    case: Case, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("rich")
    assert run(case) == 0
    assert capsys.readouterr().err == ""  # by default: only on a terminal
    assert run(case, "--progress", "--format", "json") == 0
    captured = capsys.readouterr()
    json.loads(captured.out)  # stdout untouched
    shown = {
        "segment": "pairs/s",
        "detect": "evaluating COCO bbox AP",
        "panoptic": "images/s",
        "cityscapes": "evaluating the",
    }
    assert shown[case.name] in captured.err


def test_progress_and_quiet_exclude_each_other(
    case: Case, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(case, "--progress", "--quiet") == 2
    assert "not allowed with argument --progress" in capsys.readouterr().err
    assert run(case, "--format", "yaml") == 2
    assert "invalid choice: 'yaml'" in capsys.readouterr().err


def test_ctrl_c_exits_130(
    case: Case, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    where = {
        "segment": ("ioukit.evaluate", "evaluate_folder"),
        "detect": ("ioukit.detection.coco", "coco_evaluate"),
        "panoptic": ("ioukit.panoptic", "panoptic_quality"),
        "cityscapes": ("ioukit.cityscapes", "cityscapes_pixel_level"),
    }[case.name]

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(sys.modules[where[0]], where[1], interrupted)
    assert run(case, "--format", "json") == 130
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"ioukit {case.name}: interrupted.\n"


# -- one command each -------------------------------------------------------------------------


def test_segment_names_are_never_cut(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_segment_data(tmp_path, n=2)
    long = "a_class_name_far_too_long_for_eighty_columns_of_a_terminal_table_" * 2
    names = tmp_path / "names.json"
    names.write_text(json.dumps({0: "bg", 1: long, 2: "a | b", 3: "<script>x</script>"}))
    argv = ["segment", str(tmp_path / "pred"), str(tmp_path / "target"), "--num-classes", "4",
            "--ignore-index", "255", "--class-names", str(names), "--workers", "1"]  # fmt: skip
    assert cli.main([*argv, "--all-conventions"]) == 0
    out = capsys.readouterr().out
    assert long in out
    line = next(ln for ln in out.splitlines() if long in ln)
    assert re.search(r"\d\.\d{4}", line)  # the row's numbers on its line
    assert cli.main([*argv, "--format", "markdown"]) == 0
    tables = markdown_tables(capsys.readouterr().out)
    cells = [row[1] for row in tables[1][1:]]
    assert cells == ["bg", long, "a \\| b", "&lt;script&gt;x&lt;/script&gt;"]


def test_segment_table_on_a_terminal_is_rich(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("rich")
    pairs = make_segment_data(tmp_path, n=2)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    argv = ["segment", str(tmp_path / "pred"), str(tmp_path / "target"), "--num-classes", "4",
            "--ignore-index", "255", "--workers", "1"]  # fmt: skip
    assert cli.main(argv) == 0
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", capsys.readouterr().out)
    assert BOX.search(out)
    assert f"mIoU {expected(pairs).result().miou:.4f} (ioukit)" in out


def test_percent_changes_the_display_not_the_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = make_segment_data(tmp_path, n=2)
    result = expected(pairs).result()
    argv = ["segment", str(tmp_path / "pred"), str(tmp_path / "target"), "--num-classes", "4",
            "--ignore-index", "255", "--workers", "1", "--percent"]  # fmt: skip
    assert cli.main([*argv, "--format", "markdown"]) == 0
    tables = markdown_tables(capsys.readouterr().out)
    assert tables[0][1] == ["mIoU (ioukit)", f"{100 * result.miou:.2f}"]
    assert tables[1][0][2] == "IoU (%)"
    assert cli.main([*argv, "--format", "csv"]) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert [float(r["iou"]) for r in rows] == result.iou.tolist()


def test_detect_markdown_has_the_twelve_stats_and_tide(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gt, dt = make_coco(tmp_path)
    assert cli.main(["detect", str(gt), str(dt), "--tide", "--format", "markdown"]) == 0
    tables = markdown_tables(capsys.readouterr().out)
    result = ioukit.coco_evaluate(str(gt), str(dt))
    stats = tables[0]
    assert stats[0] == ["metric", "IoU", "area", "maxDets", "value"]
    assert stats[1] == ["AP", "0.50:0.95", "all", "100", f"{result.stats[0]:.3f}"]
    assert stats[2][:2] == ["AP", "0.50"]
    assert [r[0] for r in stats[1:]] == ["AP"] * 6 + ["AR"] * 6
    assert tables[2][0] == ["error", "dAP", "count"]  # TIDE's errors


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--json", "-", "--format", "csv"], "--json - and --format csv would both write"),
        (["--per-category", "-", "--format", "json"], "--per-category - and --format json"),
    ],
)
def test_detect_stdout_claimed_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    gt, dt = make_coco(tmp_path)
    assert cli.main(["detect", str(gt), str(dt), *options]) == 2
    assert message in capsys.readouterr().err
    assert cli.main(["detect", str(gt), str(dt), "--json", "-", "--format", "json"]) == 0
    json.loads(capsys.readouterr().out)


# -- help -------------------------------------------------------------------------------------


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_shared_options_read_the_same_everywhere() -> None:
    """The evaluating commands share their output options (``warmup`` prints no results)."""
    helps: dict[str, set[tuple[str, str]]] = {}
    for name, sub in _subparsers().items():
        if name == "warmup":
            continue
        for action in sub._actions:
            for flag in ("--progress", "--quiet", "--format"):
                if flag in action.option_strings:
                    helps.setdefault(flag, set()).add((str(action.help), str(action.choices)))
    assert set(helps) == {"--progress", "--quiet", "--format"}
    assert all(len(texts) == 1 for texts in helps.values()), helps
    assert set(_subparsers()) == {*COMMANDS, "compare", "warmup"}


@pytest.mark.parametrize("command", [*COMMANDS, "compare"])
def test_epilog_lists_the_exit_codes(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    codes = out[out.index("exit codes:") :]
    for code in ("0", "1", "2", "130", "141"):
        assert re.search(rf"^  {code} +\S", codes, re.M), code
    for option in ("--progress", "--quiet", "--format"):
        assert option in out
    assert f"ioukit {command} " in out[out.index("example") :]
