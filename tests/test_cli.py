"""`ioukit segment` end to end on small generated folders: numbers equal SegmentationEvaluator's
on the same arrays; every bad input is listed by name with exit code 1; --skip-bad records them;
usage errors exit 2; checkpoints resume to the same result; `python -m ioukit` works."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ioukit import _folder, _pool, cli
from ioukit.core.conventions import CONVENTIONS
from ioukit.io import reduce_zero_label
from ioukit.segmentation import SegmentationEvaluator

Image = pytest.importorskip("PIL.Image")

C = 4
NAMES = {0: "background", 1: "road", 2: "car", 3: "person"}
Arr = np.ndarray[Any, Any]


def _blocky(rng: np.random.Generator, shape: tuple[int, int], high: int) -> Arr:
    small = rng.integers(0, high, (shape[0] // 4, shape[1] // 4))
    return np.kron(small, np.ones((4, 4), dtype=np.int64)).astype(np.uint8)


def _save(path: Path, arr: Arr) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".npy":
        np.save(path, arr)
    elif arr.dtype == np.uint8 and path.suffix == ".png":
        im = Image.fromarray(arr)
        im.putpalette([(i * 37) % 256 for i in range(768)])  # a palette PNG: indices are labels
        im.save(path)
    else:
        Image.fromarray(arr).save(path)


def make_dataset(root: Path, n: int = 7, seed: int = 0) -> list[tuple[str, Arr, Arr]]:
    """n pairs under root/pred and root/target, with 255 in targets, a nested folder and mixed
    formats; returns (name, pred, target) in name order."""
    rng = np.random.default_rng(seed)
    pairs = []
    for i in range(n):
        name = f"img_{i}" if i % 3 else f"sub/img_{i}"
        target = _blocky(rng, (24, 32), C)
        target[rng.random(target.shape) < 0.08] = 255
        pred = target.copy()
        noise = rng.random(pred.shape) < 0.25
        pred[noise] = rng.integers(0, C, int(noise.sum()))
        pred[pred == 255] = rng.integers(0, C)
        t_ext = {0: ".png", 1: ".png", 2: ".tif", 3: ".npy"}[i % 4]
        p_ext = {0: ".png", 1: ".npy", 2: ".png", 3: ".npy"}[i % 4]
        if i == 5:  # a 16-bit target
            target = target.astype(np.uint16)
        _save(root / "target" / f"{name}{t_ext}", target)
        _save(root / "pred" / f"{name}{p_ext}", pred)
        pairs.append((name, pred, target))
    return sorted(pairs, key=lambda p: p[0])


def expected(pairs: list[tuple[str, Arr, Arr]], **kwargs: Any) -> SegmentationEvaluator:
    ev = SegmentationEvaluator(C, ignore_index=kwargs.pop("ignore_index", 255), **kwargs)
    for name, pred, target in pairs:
        ev.update(pred, target, names=[name])
    return ev


def run(tmp_path: Path, *extra: str, root: Path | None = None) -> int:
    root = tmp_path if root is None else root
    return cli.main(
        [
            "segment",
            str(root / "pred"),
            str(root / "target"),
            "--num-classes",
            str(C),
            "--ignore-index",
            "255",
            *extra,
        ]
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _csv_value(v: Any) -> str:
    return "" if v is None else str(v)


# -- numbers ---------------------------------------------------------------------------------------


def test_numbers_equal_the_evaluator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = make_dataset(tmp_path)
    out_json, out_csv = tmp_path / "s.json", tmp_path / "rows.csv"
    rc = run(tmp_path, "--workers", "1", "--json", str(out_json), "--per-image", str(out_csv))
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    result = expected(pairs).result()
    summary = json.loads(out_json.read_text())
    ref = json.loads(json.dumps(result.to_dict()))
    del ref["per_image"]
    for key, value in ref.items():
        assert summary[key] == value, key
    assert summary["mean_iou"] == {"convention": "ioukit", "value": result.miou}
    assert summary["files"] == {
        "pairs": 7,
        "evaluated": 7,
        "missing_predictions": 0,
        "extra_predictions": 0,
        "failed": 0,
        "problems": {k: [] for k in cli.PROBLEMS},
    }
    assert set(summary) == {
        "ioukit_version",
        "command",
        "options",
        "mean_iou",
        "config",
        "summary",
        "conventions",
        "per_class",
        "confusion_matrix",
        "files",
        "kind",  # the result's kind and per-image state: what `ioukit compare` reads back
        "state",
    }
    assert summary["options"]["ignore_index"] == [255]
    # per-image CSV: one row per image, in pair order, the evaluator's rows
    rows = read_csv(out_csv)
    assert [r["image"] for r in rows] == [p[0] for p in pairs]
    for row, ref_row in zip(rows, result.per_image_rows(), strict=True):
        assert row == {k: _csv_value(v) for k, v in ref_row.items()}
    # the table on stdout
    assert "mIoU" in captured.out
    assert f"{result.miou:.4f}" in captured.out
    for c in range(C):
        assert f"{result.iou[c]:.4f}" in captured.out


def test_workers_2_equals_workers_1(tmp_path: Path) -> None:
    make_dataset(tmp_path, n=11)
    outs = {}
    for w in ("1", "2"):
        j, c = tmp_path / f"{w}.json", tmp_path / f"{w}.csv"
        assert (
            run(tmp_path, "--workers", w, "--quiet", "--json", str(j), "--per-image", str(c)) == 0
        )
        outs[w] = (j.read_text(), c.read_text())
    assert outs["1"] == outs["2"]


@pytest.mark.parametrize("method", ["forkserver", "spawn"])
def test_workers_start_methods(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    # fork is the default on Linux; the worker functions also work in fresh processes (forkserver
    # when a threaded runtime is loaded, spawn on macOS and Windows)
    make_dataset(tmp_path, n=5)
    outs = []
    for w in ("1", "2"):
        if w == "2":
            monkeypatch.setattr(_pool, "_start_method", lambda: method)
        out = tmp_path / f"{w}.json"
        assert run(tmp_path, "--workers", w, "-q", "--json", str(out)) == 0
        outs.append(out.read_text())
    assert outs[0] == outs[1]


def test_reduce_zero_label(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    pairs = []
    for i in range(3):
        target = _blocky(rng, (16, 20), C + 1)  # 0 = void, classes 1..C
        pred = rng.integers(0, C, target.shape).astype(np.uint8)
        _save(tmp_path / "target" / f"{i}.png", target)
        _save(tmp_path / "pred" / f"{i}.png", pred)
        pairs.append((str(i), pred, reduce_zero_label(target)))
    out = tmp_path / "s.json"
    assert run(tmp_path, "--reduce-zero-label", "--json", str(out), "--workers", "1", "-q") == 0
    summary = json.loads(out.read_text())
    result = expected(pairs).result()
    assert summary["confusion_matrix"] == result.confusion_matrix.tolist()
    assert summary["options"]["reduce_zero_label"] is True


def test_class_names_and_inferred_num_classes(tmp_path: Path) -> None:
    pairs = make_dataset(tmp_path, n=3)
    names = tmp_path / "names.txt"
    names.write_text("\n".join(NAMES.values()) + "\n")
    out = tmp_path / "s.json"
    rc = cli.main(
        [
            "segment",
            str(tmp_path / "pred"),
            str(tmp_path / "target"),
            "--class-names",
            str(names),
            "--ignore-index",
            "255",
            "--json",
            str(out),
            "-q",
        ]
    )
    assert rc == 0
    summary = json.loads(out.read_text())
    assert summary["config"]["class_names"] == list(NAMES.values())
    assert summary["confusion_matrix"] == expected(pairs).confusion_matrix.tolist()


def test_all_conventions_and_percent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = make_dataset(tmp_path, n=4)
    result = expected(pairs).result()
    rc = run(tmp_path, "--all-conventions", "--percent", "--convention", "mmseg")
    out = capsys.readouterr().out
    assert rc == 0
    for name in CONVENTIONS:
        assert name in out
        assert f"{100 * result.mean_iou(name):.2f}" in out
    assert f"mIoU {100 * result.mean_iou('mmseg'):.2f} (mmseg)" in out
    assert "IoU (%)" in out


def test_quiet_prints_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_dataset(tmp_path, n=2)
    assert run(tmp_path, "--quiet") == 0
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""


def test_progress_bar_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("rich")
    make_dataset(tmp_path, n=3)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert run(tmp_path, "--workers", "1") == 0
    assert "pairs/s" in capsys.readouterr().err


# -- bad input ---------------------------------------------------------------------------------


def make_bad_dataset(root: Path) -> list[tuple[str, Arr, Arr]]:
    """A dataset with one of each problem; returns the good pairs."""
    pairs = make_dataset(root, n=4)
    rng = np.random.default_rng(1)
    good = _blocky(rng, (24, 32), C)
    _save(root / "target" / "missing.png", good)  # no prediction
    _save(root / "pred" / "extra.png", good)  # no target
    _save(root / "target" / "size.png", good)
    _save(root / "pred" / "size.png", good[:20])
    _save(root / "target" / "corrupt.png", good)
    (root / "pred" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    _save(root / "target" / "colour.png", good)
    Image.new("RGB", (32, 24)).save(root / "pred" / "colour.png")
    bad_t = good.copy()
    bad_t[0, 0] = 7
    _save(root / "target" / "label_t.png", bad_t)
    _save(root / "pred" / "label_t.png", good)
    bad_p = good.copy()
    bad_p[3, 3] = 9
    _save(root / "target" / "label_p.png", good)
    _save(root / "pred" / "label_p.png", bad_p)
    return pairs


BAD_NAMES = ["missing.png", "extra.png", "size", "corrupt.png", "colour.png", "label_t", "label_p"]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_bad_inputs_fail_and_list_every_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str
) -> None:
    make_bad_dataset(tmp_path)
    out = tmp_path / "s.json"
    rc = run(tmp_path, "--workers", workers, "--json", str(out))
    err = capsys.readouterr().err
    assert rc == 1
    assert "7 problem(s)" in err
    for name in BAD_NAMES:
        assert name in err
    assert "size: prediction 32x20 (WxH), target 32x24 (WxH)" in err
    assert "label_t: `target` has 1 label(s) outside [0, 4)" in err
    assert "--ignore-index" in err
    assert "label_p: `pred` has 1 label(s) outside [0, 4)" in err
    assert "is a colour or multi-channel image (mode RGB)" in err
    assert "--skip-bad" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_skip_bad_records_the_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = make_bad_dataset(tmp_path)
    out = tmp_path / "s.json"
    rc = run(tmp_path, "--skip-bad", "--json", str(out), "--workers", "1")
    err = capsys.readouterr().err
    assert rc == 0
    assert "warning: 7 problem(s) skipped" in err
    summary = json.loads(out.read_text())
    files = summary["files"]
    assert (files["pairs"], files["evaluated"], files["failed"]) == (9, 4, 5)
    assert (files["missing_predictions"], files["extra_predictions"]) == (1, 1)
    assert files["problems"]["missing_prediction"] == ["missing.png"]
    assert files["problems"]["extra_prediction"] == ["extra.png"]
    assert [len(files["problems"][k]) for k in ("size_mismatch", "unreadable", "bad_labels")] == [
        1,
        2,
        2,
    ]
    assert summary["confusion_matrix"] == expected(pairs).confusion_matrix.tolist()


def test_decompression_bomb_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_dataset(tmp_path, n=2)
    _save(tmp_path / "target" / "bomb.png", np.zeros((64, 64), np.uint8))
    _save(tmp_path / "pred" / "bomb.png", np.zeros((64, 64), np.uint8))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert run(tmp_path, "--workers", "1") == 1
    assert "bomb.png: refused as a possible decompression bomb" in capsys.readouterr().err


def test_duplicates_and_empty_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pred").mkdir()
    (tmp_path / "target").mkdir()
    assert run(tmp_path) == 1
    assert "no label maps in" in capsys.readouterr().err
    make_dataset(tmp_path, n=2)
    np.save(tmp_path / "pred" / "img_1.npy", np.zeros((24, 32), np.uint8))
    _save(tmp_path / "pred" / "img_1.png", np.zeros((24, 32), np.uint8))
    assert run(tmp_path) == 1
    assert "img_1.npy and img_1.png" in capsys.readouterr().err


# -- usage errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "required"),
        (["segment"], "required"),
        (["frobnicate"], "invalid choice"),
        (["segment", "{p}", "{t}"], "give --num-classes"),
        (["segment", "{p}", "{t}", "--num-classes", "0"], "positive integer"),
        (["segment", "{p}", "{t}", "--num-classes", "x"], "positive integer"),
        (["segment", "{p}", "{t}", "--num-classes", "4", "--workers", "0"], "positive integer"),
        (["segment", "{p}", "{t}", "--num-classes", "4", "--convention", "x"], "invalid choice"),
        (["segment", "{p}", "{t}", "--num-classes", "4", "--bogus"], "unrecognized"),
        (["segment", "{p}", "{t}", "--num-classes", "4", "--reduce-zero-label"], "255"),
        (["segment", "{p}", "nope", "--num-classes", "4"], "is not a folder"),
        (["segment", "{p}", "{t}", "--num-classes", "4", "--json", "no/s.json"], "does not exist"),
        (["segment", "{p}", "{t}", "--num-classes", "2", "--class-names", "{n}"], "outside 0..1"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    make_dataset(tmp_path, n=1)
    (tmp_path / "n.json").write_text(json.dumps(NAMES))
    subs = {"{p}": tmp_path / "pred", "{t}": tmp_path / "target", "{n}": tmp_path / "n.json"}
    assert cli.main([str(subs.get(a, a)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    assert "segment" in capsys.readouterr().out
    assert cli.main(["segment", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--ignore-index", "--skip-bad", "--checkpoint", "--all-conventions"):
        assert option in out
    assert cli.main(["--version"]) == 0
    assert "ioukit" in capsys.readouterr().out


def test_python_dash_m(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ioukit", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "segment" in proc.stdout
    make_dataset(tmp_path, n=2)
    proc = subprocess.run(
        [sys.executable, "-m", "ioukit", "segment", str(tmp_path / "pred"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "give --num-classes" in proc.stderr


# -- checkpoints -----------------------------------------------------------------------------------


def test_checkpoint_resume_gives_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dataset(tmp_path, n=9)
    full_json, full_csv = tmp_path / "full.json", tmp_path / "full.csv"
    assert run(tmp_path, "-q", "--json", str(full_json), "--per-image", str(full_csv)) == 0

    part_json, part_csv, ckpt = tmp_path / "part.json", tmp_path / "part.csv", tmp_path / "run.ckpt"
    args = ("--json", str(part_json), "--per-image", str(part_csv), "--checkpoint", str(ckpt))
    # the engine adds each task's images at once (here a task is one image)
    real_add = SegmentationEvaluator._add_image_counts
    calls = {"n": 0}

    def interrupting_add(self: SegmentationEvaluator, counts: Any, names: Any) -> Any:
        calls["n"] += len(names)
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real_add(self, counts, names)

    monkeypatch.setattr(SegmentationEvaluator, "_add_image_counts", interrupting_add)
    assert run(tmp_path, "--workers", "2", *args) == 130
    assert "rerun the same command to resume" in capsys.readouterr().err
    assert len(read_csv(part_csv)) == 3  # rows were streamed before the interruption
    assert not part_json.exists()
    assert SegmentationEvaluator.load(ckpt).num_images == 3
    monkeypatch.setattr(SegmentationEvaluator, "_add_image_counts", real_add)

    counted: list[str] = []
    real_count = _folder._count_pair

    def counting(pred: str, target: str, config: Any = None) -> Any:
        counted.append(pred)
        return real_count(pred, target, config)

    monkeypatch.setattr(_folder, "_count_pair", counting)
    assert run(tmp_path, "-q", "--workers", "1", *args) == 0
    assert len(counted) == 6  # only the pairs not in the checkpoint were read
    assert part_json.read_text() == full_json.read_text()
    assert part_csv.read_text() == full_csv.read_text()

    # a finished checkpoint: nothing is read again, the same summary comes out
    counted.clear()
    part_json.unlink()
    assert run(tmp_path, "-q", "--workers", "1", *args) == 0
    assert counted == []
    assert part_json.read_text() == full_json.read_text()


def test_checkpoint_with_other_options_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dataset(tmp_path, n=2)
    ckpt = tmp_path / "c.json"
    assert run(tmp_path, "-q", "--checkpoint", str(ckpt)) == 0
    assert ckpt.exists()
    rc = cli.main(
        [
            "segment",
            str(tmp_path / "pred"),
            str(tmp_path / "target"),
            "--num-classes",
            "5",
            "--checkpoint",
            str(ckpt),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert "was made with other options" in err
    assert "num_classes: 4 then, 5 now" in err
    assert "ignore_index: [255] then, [] now" in err


def test_closed_stdout_stops_quietly(monkeypatch, capsys) -> None:
    # `ioukit segment ... | head`: the reader closes the pipe; no traceback, no error message
    def closed(argv):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli, "_main", closed)
    assert cli.main([]) == 141
    assert capsys.readouterr().err == ""
