"""Narrow terminals and redirected output: every table of every command, run for real under a
pseudo-terminal of 80, 60 and 40 columns and with stdout to a file, never cuts a number or a
word. On a terminal no line is wider than it (the terminal would break it), a column that does
not fit is named in a note rather than cut; to a file everything is printed, plain (no ANSI, no
box drawing), whatever ``COLUMNS`` says. Every number shown is checked against the JSON
document that the same run writes (``--json``)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.cityscapes._data import write_dataset as make_cityscapes_data
from tests.panoptic.panoptic_helpers import make_dataset as make_panoptic_data

from test_cli_detect import make_coco

pytest.importorskip("rich")

WIDTHS = (80, 60, 40)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BOX = re.compile("[\N{BOX DRAWINGS LIGHT HORIZONTAL}\N{BOX DRAWINGS HEAVY HORIZONTAL}│┃]")
#: the 19 Cityscapes training classes, and one long name as panoptic datasets have
CLASSES = ["road", "sidewalk", "building", "wall", "fence", "pole", "traffic light",
           "traffic sign", "vegetation", "terrain", "sky", "person", "rider", "car", "truck",
           "bus", "train", "motorcycle", "bicycle", "motorcycle-ridden-by-person"]  # fmt: skip


def run_cli(argv: list[str], width: int | None, cwd: Path) -> str:
    """``ioukit ARGV`` in a subprocess: under a pseudo-terminal ``width`` columns wide
    (``COLUMNS`` and the window size), or with stdout to a file (``width`` None, ``COLUMNS``
    set to 40 all the same). stderr (progress) is discarded. Returns stdout, ANSI kept."""
    cmd = [sys.executable, "-c", "import sys; from ioukit.cli import main; sys.exit(main())"]
    env = {**os.environ, "COLUMNS": str(width or 40), "TERM": "xterm-256color"}
    for var in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(var, None)
    if width is None:
        out = cwd / "stdout.txt"
        with out.open("wb") as f:
            done = subprocess.run([*cmd, *argv], stdout=f, stderr=subprocess.DEVNULL, env=env,
                                  cwd=cwd, timeout=300)  # fmt: skip
        assert done.returncode == 0, argv
        return out.read_text(encoding="utf-8")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, width, 0, 0))
    proc = subprocess.Popen([*cmd, *argv], stdin=slave, stdout=slave,
                            stderr=subprocess.DEVNULL, env=env, cwd=cwd)  # fmt: skip
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:  # EIO: the child has gone
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=300) == 0, argv
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def check_screen(raw: str, width: int | None) -> str:
    """The text as a person sees it; fails on a cut cell or a line the terminal would break."""
    text = ANSI.sub("", raw)
    assert "\N{HORIZONTAL ELLIPSIS}" not in text
    if width is None:
        assert "\x1b[" not in raw
        assert not BOX.search(text)
        assert all(line == line.rstrip() for line in text.splitlines())
    else:
        wide = [line for line in text.splitlines() if len(line) > width]
        assert not wide, wide
    return text


def shown(text: str, values: Iterable[str]) -> set[str]:
    """The values not found whole in ``text`` (a whole token: no digit, point or comma
    glued to either side)."""
    return {v for v in values if not re.search(rf"(?<![\w.,]){re.escape(v)}(?![\w,]|\.\d)", text)}


def dropped(text: str) -> str:
    """The names of the columns that the note says were left out ('' if none)."""
    flat = " ".join(text.split())
    found = re.search(r"Not shown at \d+ columns: (.*?)\. See them with --format csv", flat)
    return found.group(1) if found else ""


def words_whole(text: str, names: Iterable[str]) -> None:
    """Each word of each name is on screen whole, or broken only after one of its hyphens."""
    for name in names:
        for word in name.split():
            for part in word.split("-"):
                assert re.search(rf"(?<![\w]){re.escape(part)}(?![\w])", text), (part, name)


def check_columns(text: str, columns: dict[str, list[str]], keep: Iterable[str]) -> None:
    """Every column's values are on screen whole, unless the note names the column."""
    left_out = dropped(text)
    for head, values in columns.items():
        if head in keep or head not in left_out:
            assert not shown(text, values), (head, shown(text, values))


# -- segment ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def segment_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two 2048 x 2048 image pairs, 20 classes with the Cityscapes names (supports in the
    millions for road and building), 5% void (255)."""
    root = tmp_path_factory.mktemp("segment")
    rng = np.random.default_rng(0)
    p = np.array(
        [35, 6, 20, 1, 1, 2, 0.3, 0.8, 14, 1, 4, 1.2, 0.2, 6, 0.3, 0.3, 0.1, 0.1, 0.4, 0.2]
    )
    for i in range(2):
        target = rng.choice(len(CLASSES), size=(2048, 2048), p=p / p.sum()).astype(np.uint8)
        pred = target.copy()
        noise = rng.random(target.shape) < 0.2
        pred[noise] = rng.integers(0, len(CLASSES), int(noise.sum()))
        target[rng.random(target.shape) < 0.05] = 255
        for folder, labels in (("pred", pred), ("target", target)):
            (root / folder).mkdir(exist_ok=True)
            np.save(root / folder / f"frankfurt_{i:06d}.npy", labels)
    (root / "names.json").write_text(json.dumps(CLASSES))
    return root


@pytest.mark.parametrize("percent", [False, True])
@pytest.mark.parametrize("width", [*WIDTHS, None])
def test_segment_never_cuts(segment_data: Path, width: int | None, percent: bool) -> None:
    doc_path = segment_data / f"doc_{width}_{percent}.json"
    argv = ["segment", "pred", "target", "--num-classes", str(len(CLASSES)), "--ignore-index",
            "255", "--class-names", "names.json", "--workers", "1", "--all-conventions",
            "--json", str(doc_path), *(["--percent"] if percent else [])]  # fmt: skip
    text = check_screen(run_cli(argv, width, segment_data), width)
    doc = json.loads(doc_path.read_text())
    rows = doc["per_class"]
    assert max(r["support"] for r in rows) > 2_000_000  # supports in the millions

    def fmt(v: float) -> str:
        return f"{100 * v:.2f}" if percent else f"{v:.4f}"

    unit = " (%)" if percent else ""
    columns = {f"{h}{unit}": [fmt(r[k]) for r in rows] for h, k in
               (("IoU", "iou"), ("Dice", "dice"), ("Precision", "precision"),
                ("Recall", "recall"))}  # fmt: skip
    columns["Support"] = [f"{r['support']:,}" for r in rows]
    check_columns(text, columns, keep=[f"IoU{unit}"])
    words_whole(text, CLASSES)
    words_whole(text, ["Precision", "Support", "Quality", "what it computes"])
    assert not shown(text, [fmt(doc["summary"][k]) for k in ("mdice", "pixel_accuracy")])
    assert not shown(text, [fmt(v) for v in doc["conventions"].values()])
    if width is None:  # a file: everything, each class on one line with its numbers
        assert dropped(text) == ""
        for r in rows:
            line = next(ln for ln in text.splitlines() if f" {r['name']} " in ln)
            assert fmt(r["iou"]) in line
            assert f"{r['support']:,}" in line
    elif width == 40:
        assert "Precision" in dropped(text)


def test_redirected_ignores_columns(segment_data: Path) -> None:
    """To a file, COLUMNS=40 changes nothing: the table is as wide as its widest row."""
    argv = ["segment", "pred", "target", "--num-classes", str(len(CLASSES)), "--ignore-index",
            "255", "--class-names", "names.json", "--workers", "1"]  # fmt: skip
    text = check_screen(run_cli(argv, None, segment_data), None)
    assert max(len(line) for line in text.splitlines()) > 80
    assert "Not shown" not in text


# -- detect, panoptic, cityscapes --------------------------------------------------------------


@pytest.mark.parametrize("width", [*WIDTHS, None])
def test_detect_with_tide_never_cuts(tmp_path: Path, width: int | None) -> None:
    gt, dt = make_coco(tmp_path)
    argv = ["detect", str(gt), str(dt), "--tide", "--json", "doc.json"]
    text = check_screen(run_cli(argv, width, tmp_path), width)
    doc = json.loads((tmp_path / "doc.json").read_text())
    stats = doc["stats"] if "stats" in doc else doc["summary"]["stats"]
    assert not shown(text, [f"{v:.3f}" for v in stats if v != -1])
    per_category = doc["per_category"]
    columns = {
        k: [f"{r[k]:.3f}" for r in per_category if r[k] != -1]
        for k in ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR100")
    }
    check_columns(text, columns, keep=["AP"])
    words_whole(text, [r["name"] for r in per_category])
    tide = doc["tide"]
    errors = tide.get("main_errors", {})
    assert not shown(text, [f"{v:.2f}" for v in errors.values()])


@pytest.mark.parametrize("width", [*WIDTHS, None])
def test_panoptic_never_cuts(tmp_path: Path, width: int | None) -> None:
    files = [str(p) for p in make_panoptic_data(tmp_path / "data", 4, n_images=3)]
    argv = ["panoptic", *files, "--workers", "1", "--json", "doc.json"]
    text = check_screen(run_cli(argv, width, tmp_path), width)
    doc = json.loads((tmp_path / "doc.json").read_text())
    rows: list[dict[str, Any]] = doc["per_category"]
    assert not shown(text, [f"{100 * r['pq']:.1f}" for r in rows if r["pq"] is not None])
    words_whole(text, [r["name"] for r in rows])


@pytest.mark.parametrize("width", [40, None])
def test_cityscapes_never_cuts(tmp_path: Path, width: int | None) -> None:
    pred, gt = make_cityscapes_data(tmp_path, 2, seed=0)
    argv = ["cityscapes", str(pred), str(gt), "--json", "doc.json"]
    text = check_screen(run_cli(argv, width, tmp_path), width)
    doc = json.loads((tmp_path / "doc.json").read_text())
    pixel = doc["pixel_level"]
    ious = pixel["class_iou"] if "class_iou" in pixel else pixel["classes"]["iou"]
    assert not shown(text, [f"{v:.3f}" for v in ious.values() if v is not None])
    words_whole(text, list(ious))
