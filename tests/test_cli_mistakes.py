"""`ioukit segment` on the common mistakes, end to end in a subprocess: swapped folders, suffixes
that do not match, long problem lists, JPEG masks, a missing Pillow, bad --bands; each says what
is wrong and what to run instead, in the command's words (no internal function names)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

Image = pytest.importorskip("PIL.Image")
Arr = np.ndarray[Any, Any]
INTERNAL = ("pair_files", "evaluate_folder", "load_palette", "load_label_map", "read_label_map")


def segment(*args: str, pre: str = "") -> subprocess.CompletedProcess[str]:
    """``ioukit segment ARGS`` in a fresh interpreter (after the Python statements ``pre``)."""
    code = f"{pre}\nimport sys\nfrom ioukit.cli import main\nsys.exit(main(sys.argv[1:]))"
    proc = subprocess.run(
        [sys.executable, "-c", code, "segment", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    for name in INTERNAL:
        assert f"{name}:" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _save(path: Path, arr: Arr) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


def cityscapes_like(root: Path, n: int = 6, seed: int = 0) -> tuple[Path, Path]:
    """root/pred/<city>_<i>_leftImg8bit.png (trainIds) and
    root/gt/<city>_<i>_gtFine_labelIds.png, in per-city sub-folders."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        city = ("aachen", "bremen")[i % 2]
        stem = f"{city}/{city}_{i:06d}_000019"
        label = rng.integers(0, 3, (8, 12)).astype(np.uint8)
        _save(root / "pred" / f"{stem}_leftImg8bit.png", label)
        _save(root / "gt" / f"{stem}_gtFine_labelIds.png", label + 7)  # road, sidewalk, parking
    return root / "pred", root / "gt"


def test_suffix_mismatch_suggests_the_suffixes(tmp_path: Path) -> None:
    pred, gt = cityscapes_like(tmp_path)
    proc = segment(str(pred), str(gt), "--num-classes", "19")
    assert proc.returncode == 2
    assert "these options pair 0 of 6 target(s)" in proc.stderr
    assert "This pairs 6:" in proc.stderr
    assert (
        f"ioukit segment {pred} {gt} --pred-suffix _leftImg8bit "
        "--target-suffix _gtFine_labelIds ..." in proc.stderr
    )
    assert "swapped" not in proc.stderr
    # the suggestion works: with it and the Cityscapes label map the run succeeds
    ok = segment(
        str(pred),
        str(gt),
        "--num-classes",
        "19",
        "--ignore-index",
        "255",
        "--pred-suffix",
        "_leftImg8bit",
        "--target-suffix",
        "_gtFine_labelIds",
        "--label-map",
        "cityscapes",
        "--format",
        "json",
    )
    assert ok.returncode == 0, ok.stderr
    # parking (id 9) is ignored in Cityscapes: 255, so class 1 (sidewalk) is the only other
    assert json.loads(ok.stdout)["mean_iou"]["value"] == pytest.approx(1.0)


def test_swapped_folders_are_named(tmp_path: Path) -> None:
    pred, gt = cityscapes_like(tmp_path)
    proc = segment(str(gt), str(pred), "--num-classes", "19")  # the folders the wrong way
    assert proc.returncode == 2
    assert "PRED_DIR and TARGET_DIR look swapped" in proc.stderr
    assert "'_gtFine_labelIds', a target's name" in proc.stderr
    assert f"ioukit segment {pred} {gt} --pred-suffix _leftImg8bit" in proc.stderr
    # the same with the right suffixes given, but the folders swapped
    proc = segment(
        str(gt),
        str(pred),
        "--num-classes",
        "19",
        "--pred-suffix",
        "_leftImg8bit",
        "--target-suffix",
        "_gtFine_labelIds",
    )
    assert proc.returncode == 2
    assert "the target suffix is on the prediction side's names" in proc.stderr
    assert f"ioukit segment {pred} {gt} --pred-suffix _leftImg8bit" in proc.stderr


def test_swapped_folders_found_by_their_values(tmp_path: Path) -> None:
    # same names on both sides; the "predictions" hold 255 (ignored), the "targets" never do
    rng = np.random.default_rng(1)
    for i in range(3):
        target = rng.integers(0, 3, (8, 8)).astype(np.uint8)
        target[0] = 255
        _save(tmp_path / "gt" / f"{i}.png", target)
        _save(tmp_path / "pred" / f"{i}.png", np.where(target == 255, 0, target).astype(np.uint8))
    args = ("--num-classes", "3", "--ignore-index", "255")
    proc = segment(str(tmp_path / "gt"), str(tmp_path / "pred"), *args)
    assert proc.returncode == 1
    assert "the prediction and target folders look swapped" in proc.stderr
    assert segment(str(tmp_path / "pred"), str(tmp_path / "gt"), *args).returncode == 0


def test_long_problem_lists_are_cut_per_kind(tmp_path: Path) -> None:
    for i in range(30):
        _save(tmp_path / "gt" / f"t{i:02d}.png", np.zeros((4, 4), np.uint8))
    for i in range(3):
        _save(tmp_path / "pred" / f"t{i:02d}.png", np.zeros((4, 4), np.uint8))
    _save(tmp_path / "pred" / "t00_extra.png", np.zeros((4, 4), np.uint8))
    pred, gt = str(tmp_path / "pred"), str(tmp_path / "gt")
    proc = segment(pred, gt, "--num-classes", "2")
    assert proc.returncode == 1
    assert "targets without a prediction (27):" in proc.stderr
    assert "t22.png" in proc.stderr
    assert "t23.png" not in proc.stderr  # the 21st
    assert "… and 7 more" in proc.stderr
    assert "t00_extra.png" in proc.stderr  # the other kind is not hidden behind the long one
    assert "rerun with --json FILE to get all 28" in proc.stderr
    out = tmp_path / "s.json"
    proc = segment(pred, gt, "--num-classes", "2", "--json", str(out))
    assert f"all 28 are in {out} (files.problems)" in proc.stderr
    failed = json.loads(out.read_text())
    assert failed["status"] == "failed"
    assert len(failed["files"]["problems"]["missing_prediction"]) == 27
    proc = segment(pred, gt, "--num-classes", "2", "--json", str(out), "--skip-bad")
    assert proc.returncode == 0
    assert "… and 7 more" in proc.stderr
    assert len(json.loads(out.read_text())["files"]["problems"]["missing_prediction"]) == 27


def test_jpeg_masks(tmp_path: Path) -> None:
    for i in range(3):
        _save(tmp_path / "gt" / f"{i}.png", np.zeros((8, 8), np.uint8))
        _save(tmp_path / "pred" / f"{i}.jpg", np.zeros((8, 8), np.uint8))
    (tmp_path / "pred" / "notes.txt").write_text("model v2")
    pred, gt = str(tmp_path / "pred"), str(tmp_path / "gt")
    proc = segment(pred, gt, "--num-classes", "2")
    assert proc.returncode == 1
    assert "no label maps in the prediction folder" in proc.stderr
    assert "It holds 3 JPEG file(s) (0.jpg, ...), which are not read: JPEG is lossy" in proc.stderr
    assert "Save the label maps as PNG" in proc.stderr
    assert "notes.txt" not in proc.stderr
    _save(tmp_path / "pred" / "0.png", np.zeros((8, 8), np.uint8))  # one good prediction
    proc = segment(pred, gt, "--num-classes", "2", "--skip-bad")
    assert proc.returncode == 0
    assert "note: 3 JPEG file(s) in the prediction folder skipped (0.jpg, 1.jpg, 2.jpg)" in (
        proc.stderr
    )
    assert "1.png: its prediction 1.jpg is a JPEG file, not read" in proc.stderr
    assert "notes.txt" not in proc.stderr  # not an image: not worth a line


def test_missing_pillow_is_said_once_before_the_run(tmp_path: Path) -> None:
    pred, gt = cityscapes_like(tmp_path)
    args = ["--pred-suffix", "_leftImg8bit", "--target-suffix", "_gtFine_labelIds"]
    proc = segment(str(pred), str(gt), "--num-classes", "40", *args, pre="import sys\n"
                   "sys.modules['PIL'] = None")  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.count("Pillow") == 1, proc.stderr
    assert "12 of the 12 files to read are PNG/TIFF images, which need Pillow: pip install" in (
        proc.stderr
    )
    assert "ioukit segment: error:" in proc.stderr


def test_bands_in_the_per_image_csv(tmp_path: Path) -> None:
    _save(tmp_path / "gt" / "a.png", np.array([[0, 0, 1, 1]], np.uint8))
    _save(tmp_path / "pred" / "a.png", np.array([[0, 0, 1, 0]], np.uint8))  # IoU 2/3, 1/2
    rows = tmp_path / "rows.csv"
    base = [str(tmp_path / "pred"), str(tmp_path / "gt"), "--num-classes", "2"]
    proc = segment(*base, "--per-image", str(rows), "--bands", "0.9,0.6,0.5")
    assert proc.returncode == 0, proc.stderr
    assert next(csv.DictReader(rows.read_text().splitlines()))["quality"] == "fair"  # 7/12
    proc = segment(*base, "--per-image", str(rows))
    assert next(csv.DictReader(rows.read_text().splitlines()))["quality"] == "poor"  # default
    proc = segment(*base, "--bands", "0.5,0.9")
    assert proc.returncode == 2
    assert "--bands '0.5,0.9': thresholds must be strictly decreasing" in proc.stderr


def test_palette_and_label_map_errors_in_the_commands_words(tmp_path: Path) -> None:
    _save(tmp_path / "gt" / "a.png", np.zeros((2, 2), np.uint8))
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0] = (10, 20, 30)
    _save(tmp_path / "pred" / "a.png", rgb)
    palette = tmp_path / "palette.json"
    palette.write_text('{"0": [0, 0, 0], "1": [128, 64, 128]}')
    base = [str(tmp_path / "pred"), str(tmp_path / "gt"), "--num-classes", "2"]
    proc = segment(*base, "--palette", str(palette))
    assert proc.returncode == 1
    assert "1 colour(s) not in the palette: (10, 20, 30) #0a141e in 1 pixel(s)" in proc.stderr
    assert "an id in --ignore-index leaves its pixels out" in proc.stderr
    palette.write_text('{"0": [0, 0, 0], "1": [0, 0, 0]}')
    proc = segment(*base, "--palette", str(palette))
    assert proc.returncode == 1
    assert f"error: --palette: {palette}: classes 0 and 1 have the same colour" in proc.stderr
    proc = segment(*base, "--label-map", str(tmp_path / "none.json"))
    assert proc.returncode == 1
    assert "error: --label-map: cannot read" in proc.stderr


def test_cityscapes_label_ids_are_pointed_to_the_label_map(tmp_path: Path) -> None:
    pred, gt = cityscapes_like(tmp_path)
    suffixes = ("--pred-suffix", "_leftImg8bit", "--target-suffix", "_gtFine_labelIds")
    # labelIds 7, 8, 9 are inside 19 classes: no bad label, so a note says what they are
    quiet = segment(str(pred), str(gt), "--num-classes", "19", *suffixes, "--format", "json")
    assert quiet.returncode == 0, quiet.stderr
    assert "map the targets with --label-map cityscapes" in quiet.stderr
    # labelIds beyond 18 (26: car) fail the run; its closing line names the option
    _save(
        gt / "aachen" / "aachen_000000_000019_gtFine_labelIds.png", np.full((8, 12), 26, np.uint8)
    )
    bad = segment(str(pred), str(gt), "--num-classes", "19", "--ignore-index", "255", *suffixes)
    assert bad.returncode == 1
    assert "6 of the 6 targets are named *labelIds*" in bad.stderr
    assert "Map them with --label-map cityscapes" in bad.stderr
    # the built-in map gives the 19 classes and their names; parking (9) becomes 255 (void)
    ok = segment(str(pred), str(gt), "--ignore-index", "255", *suffixes, "--label-map",
                 "cityscapes", "--format", "json")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "note:" not in ok.stderr
    doc = json.loads(ok.stdout)
    classes = [row["name"] for row in doc["per_class"]]
    assert len(classes) == 19
    assert classes[:2] == ["road", "sidewalk"]
    assert classes[-1] == "bicycle"
