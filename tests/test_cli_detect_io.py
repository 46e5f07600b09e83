"""`ioukit detect`'s terminal and stream behaviour: the spinner appears on stderr only on a
terminal, only after its delay, never with -q and never on stdout; a closed stdout (`| head`)
ends the run quietly (exit 0 or 141, no traceback); Ctrl-C exits 130 with the spinner gone;
the JSON text parses to the same document as `json.dumps(indent=2)`; the table is plain text in
a pipe (nothing cut) and rich on a terminal."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from tests.detection.coco_helpers import random_dataset

import ioukit
from ioukit import _cli_detect_show, _cli_progress, cli
from ioukit._cli_output import json_text
from ioukit._cli_progress import Spinner
from ioukit.detection import coco


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    gt, dt = random_dataset(4)
    gt_path, dt_path = tmp_path / "gt.json", tmp_path / "dt.json"
    gt_path.write_text(json.dumps(gt))
    dt_path.write_text(json.dumps(dt))
    return gt_path, dt_path


def run(*argv: Any) -> int:
    return cli.main(["detect", *map(str, argv)])


def _slow_coco(monkeypatch: pytest.MonkeyPatch, action: str = "evaluate") -> None:
    """coco_evaluate after 0.3 s (a long read), then its result or a Ctrl-C."""
    real = coco.coco_evaluate

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        if action == "interrupt":
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(coco, "coco_evaluate", slow)


# -- the spinner -----------------------------------------------------------------------------


def _threads_back_to(count: int) -> bool:
    """Whether there are at most ``count`` threads again within 2 s (rich's Live.stop tells
    its refresh thread to end without waiting for it; a thread of an earlier test may end)."""
    deadline = time.monotonic() + 2
    while threading.active_count() > count and time.monotonic() < deadline:
        time.sleep(0.01)
    return threading.active_count() <= count


def test_spinner_shows_its_phases_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("rich")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    spinner = Spinner(enabled=True, delay=0)
    spinner.phase("reading gt.json (1.0 MiB)")
    spinner.start()
    deadline = time.monotonic() + 10
    while not spinner.shown and time.monotonic() < deadline:
        time.sleep(0.01)
    assert spinner.shown
    spinner.phase("evaluating")
    spinner.stop()
    assert not spinner.shown
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "reading gt.json (1.0 MiB)" in captured.err
    assert "evaluating" in captured.err


@pytest.mark.parametrize(("enabled", "tty"), [(True, False), (False, True), (True, True)])
def test_no_spinner_when_quick_quiet_or_piped(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    enabled: bool,
    tty: bool,
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    before = threading.active_count()
    spinner = Spinner(enabled=enabled, delay=None if tty and enabled else 0)
    spinner.phase("reading")
    spinner.start()
    time.sleep(0.05)  # shorter than the default delay (tty and enabled), else no spinner
    spinner.stop()
    assert not spinner.shown
    assert capsys.readouterr() == ("", "")
    assert _threads_back_to(before)


def test_spinner_during_a_long_run_stays_off_stdout(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("rich")
    gt, dt = files
    expected = ioukit.coco_evaluate(str(gt), str(dt))
    monkeypatch.setattr(_cli_progress, "SPINNER_DELAY", 0.05)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    _slow_coco(monkeypatch)
    assert run(gt, dt, "--json", "-") == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["stats"] == expected.stats.tolist()
    phase = "reading gt.json (0.0 MiB) and dt.json (0.0 MiB), evaluating COCO bbox AP"
    assert phase in captured.err
    assert run(gt, dt, "-q", "--json", "-") == 0  # -q: no spinner
    captured = capsys.readouterr()
    assert captured.err == ""
    assert json.loads(captured.out)["stats"] == expected.stats.tolist()


def test_ctrl_c_removes_the_spinner_and_exits_130(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_cli_progress, "SPINNER_DELAY", 0.05)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    _slow_coco(monkeypatch, "interrupt")
    before = threading.active_count()
    assert run(*files) == 130
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.endswith("ioukit detect: interrupted.\n")
    assert _threads_back_to(before)  # the spinner's threads ended


def test_ctrl_c_in_tide_exits_130(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(sys.modules["ioukit.detection.tide"], "tide", interrupted)
    assert run(*files, "--tide") == 130
    assert capsys.readouterr() == ("", "ioukit detect: interrupted.\n")


def test_ctrl_c_inside_a_compiled_kernel_exits_130(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """numba turns a Ctrl-C inside a kernel into SystemErrors chained to the interrupt."""

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            try:
                raise SystemError("returned a result with an exception set") from exc
            except SystemError as inner:
                raise SystemError("returned a result with an exception set") from inner

    monkeypatch.setattr(coco, "coco_evaluate", interrupted)
    assert run(*files) == 130
    assert capsys.readouterr() == ("", "ioukit detect: interrupted.\n")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise SystemError("a real one")

    monkeypatch.setattr(coco, "coco_evaluate", broken)
    with pytest.raises(SystemError, match="a real one"):
        run(*files)


# -- closed pipes ----------------------------------------------------------------------------


@pytest.mark.parametrize("options", [[], ["--json", "-"], ["--tide", "--per-category", "-"]])
def test_closed_stdout_ends_quietly(files: tuple[Path, Path], options: list[str]) -> None:
    # `ioukit detect ... | head -3`: the reader goes after 3 lines
    argv = [sys.executable, "-m", "ioukit", "detect", *map(str, files), *options]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stderr is not None
    head = [proc.stdout.readline() for _ in range(3)]
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) in (0, 141)
    assert err == b""
    assert all(line.endswith(b"\n") for line in head)


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("options", [[], ["--json", "-"], ["--lvis"]])
def test_broken_pipe_exits_141(
    files: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
) -> None:
    gt, dt = files
    if options == ["--lvis"]:
        doc = json.loads(gt.read_text())
        for img in doc["images"]:
            img.update(neg_category_ids=[], not_exhaustive_category_ids=[])
        for c in doc["categories"]:
            c["frequency"] = "f"
        gt.write_text(json.dumps(doc))
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert run(gt, dt, *options) == 141
    assert capsys.readouterr().err == ""


# -- text ------------------------------------------------------------------------------------


def test_json_text_is_indented_json_with_arrays_on_one_line() -> None:
    doc = {
        "stats": [0.1, -1.0, 1e-17, 0.30000000000000004],
        "precision": [[[1.0, 0.5], [0.0, -1.0]], [[0.25, 1], [2, 3]]],
        "per_category": [{"category_id": 1, "name": 'a "b"\n', "AP": 0.5}, {"x": []}],
        "params": {"area_ranges": {"all": [0.0, 1e10]}, "img_ids": [3, 1], "none": None},
        "by_id": {1: "one"},  # a non-string key: as json.dumps writes it
        "empty": {},
        "tide": {"base_ap": None, "counts": {"Cls": 0}},
    }
    text = json_text(doc)
    assert json.loads(text) == json.loads(json.dumps(doc, indent=2))
    lines = text.splitlines()
    assert '  "precision": [[[1.0, 0.5], [0.0, -1.0]], [[0.25, 1], [2, 3]]],' in lines
    assert '  "stats": [0.1, -1.0, 1e-17, 0.30000000000000004],' in lines
    assert '      "AP": 0.5' in lines  # the rows of a list of objects, one member per line
    assert lines[0] == "{"
    assert lines[-1] == "}"
    assert json_text([1, 2]) == "[1, 2]"


def test_table_in_a_pipe_keeps_long_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gt, dt = random_dataset(5)
    long = "a_category_name_far_too_long_for_eighty_columns_of_table"
    gt["categories"][0]["name"] = long
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    assert run(tmp_path / "gt.json", tmp_path / "dt.json") == 0
    out = capsys.readouterr().out
    row = next(r for r in ioukit.coco_evaluate(gt, dt).per_category() if r["name"] == long)
    line = next(ln for ln in out.splitlines() if long in ln)
    assert line.split()[2:] == [f"{row[c]:.3f}" for c in _cli_detect_show.COLUMNS]


def test_table_on_a_terminal_is_rich(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("rich")
    gt, dt = files
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert run(gt, dt) == 0
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", capsys.readouterr().out)  # colours, if any
    assert "\N{BOX DRAWINGS LIGHT HORIZONTAL}" * 10 in out  # rich's rule under the header
    for row in ioukit.coco_evaluate(str(gt), str(dt)).per_category():
        line = next(ln for ln in out.splitlines() if f" {row['name']} " in f" {ln} ")
        assert line.split()[2:] == [
            "\N{EN DASH}" if row[c] == -1 else f"{row[c]:.3f}" for c in _cli_detect_show.COLUMNS
        ]
