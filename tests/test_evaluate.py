"""ioukit.evaluate_folder, the engine under `ioukit segment`: its JSON is the CLI's, byte for
byte (so the CLI computes nothing); its numbers are SegmentationEvaluator's on the same arrays,
for every executor; problems are listed by kind; checkpoints resume exactly; options are
checked; the local executors stop promptly when abandoned."""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

import ioukit
from ioukit import InputError, IoUKitError, ParameterError, cli, evaluate_folder
from ioukit.evaluate import (
    PROBLEM_KINDS,
    Executor,
    FolderEvaluation,
    FolderProblemsError,
    Problem,
    ProcessPool,
    SerialExecutor,
)
from ioukit.io import load_class_names

pytest.importorskip("PIL.Image")
from test_cli import C, expected, make_bad_dataset, make_dataset

T = TypeVar("T")
R = TypeVar("R")
SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample_data"


def cli_json(tmp_path: Path, pred: Path, target: Path, *options: str) -> dict[str, Any]:
    out = tmp_path / "cli.json"
    assert cli.main(["segment", str(pred), str(target), *options, "-q", "--json", str(out)]) == 0
    doc: dict[str, Any] = json.loads(out.read_text())
    return doc


def as_json(doc: dict[str, Any]) -> dict[str, Any]:
    """What json.dumps/json.loads makes of a document (the file the CLI writes)."""
    out: dict[str, Any] = json.loads(json.dumps(doc, indent=2))
    return out


# -- the CLI's JSON is to_dict() ------------------------------------------------------------------


def test_sample_data_json_is_to_dict(tmp_path: Path) -> None:
    names = SAMPLE / "classes.json"
    pred, target = SAMPLE / "pred", SAMPLE / "target"
    options = ("--num-classes", "5", "--ignore-index", "255", "--class-names", str(names))
    by_cli = cli_json(tmp_path, pred, target, *options, "--convention", "mmseg")
    ev = evaluate_folder(
        pred,
        target,
        num_classes=5,
        ignore_index=255,
        class_names=load_class_names(names),
        workers=1,
    )
    assert as_json(ev.to_dict(convention="mmseg")) == by_cli
    assert by_cli["mean_iou"]["convention"] == "mmseg"
    assert ev.num_evaluated == ev.num_pairs == 6
    assert ev.problems == ()


@pytest.mark.parametrize("workers", [1, 2])
def test_generated_50_pairs_json_and_numbers(tmp_path: Path, workers: int) -> None:
    pairs = make_dataset(tmp_path, n=50, seed=5)
    by_cli = cli_json(
        tmp_path, tmp_path / "pred", tmp_path / "target", "--num-classes", "4",
        "--ignore-index", "255", "--workers", str(workers),
    )  # fmt: skip
    ev = evaluate_folder(
        tmp_path / "pred", tmp_path / "target", num_classes=C, ignore_index=[255], workers=workers
    )
    assert as_json(ev.to_dict()) == by_cli
    # the same numbers as the evaluator on the arrays themselves
    ref = expected(pairs).result()
    np.testing.assert_array_equal(ev.result.confusion_matrix, ref.confusion_matrix)
    assert ev.result.image_names == ref.image_names
    assert ev.result.to_dict() == ref.to_dict()
    assert by_cli["mean_iou"]["value"] == ref.miou
    assert by_cli["per_class"] == as_json({"x": ref.per_class_rows()})["x"]


def test_skip_bad_json_and_problems(tmp_path: Path) -> None:
    pairs = make_bad_dataset(tmp_path)
    by_cli = cli_json(
        tmp_path, tmp_path / "pred", tmp_path / "target", "--num-classes", "4",
        "--ignore-index", "255", "--skip-bad",
    )  # fmt: skip
    ev = evaluate_folder(
        tmp_path / "pred", tmp_path / "target", num_classes=C, ignore_index=255, on_bad="skip"
    )
    assert as_json(ev.to_dict()) == by_cli
    assert ev.num_pairs == 9
    assert ev.num_evaluated == 4 == len(pairs)
    assert [p.kind for p in ev.problems[:2]] == ["missing_prediction", "extra_prediction"]
    assert {p.name for p in ev.problems} == {
        "missing.png", "extra.png", "colour", "corrupt", "label_p", "label_t", "size"
    }  # fmt: skip
    size = next(p for p in ev.problems if p.kind == "size_mismatch")
    assert str(size) == "size: prediction 32x20 (WxH), target 32x24 (WxH)"
    label_t = next(p for p in ev.problems if p.name == "label_t")
    assert label_t.kind == "bad_labels"
    assert label_t.message.startswith("`target` has 1 label(s) outside [0, 4)")
    assert "ignore_index" in label_t.message  # the library's words; the CLI says --ignore-index
    assert list(ev.problems_by_kind) == list(PROBLEM_KINDS)
    assert ev.to_dict()["files"]["problems"] == ev.problems_by_kind
    np.testing.assert_array_equal(ev.result.confusion_matrix, expected(pairs).confusion_matrix)


def test_on_bad_fail_raises_with_every_problem(tmp_path: Path) -> None:
    make_bad_dataset(tmp_path)
    with pytest.raises(FolderProblemsError) as info:
        evaluate_folder(tmp_path / "pred", tmp_path / "target", num_classes=C, ignore_index=255)
    err = info.value
    assert isinstance(err, InputError)
    assert (len(err.problems), err.num_evaluated, err.num_pairs) == (7, 4, 9)
    text = str(err)
    assert text.startswith("evaluate_folder: 7 problem(s) with the input files:")
    for heading in PROBLEM_KINDS.values():
        assert heading in text
    assert 'on_bad="skip"' in text


def test_problem_lines() -> None:
    assert str(Problem("extra_prediction", "x.png", "")) == "x.png"
    assert str(Problem("unreadable", "a", "/p/a.png: broken")) == "/p/a.png: broken"
    assert str(Problem("bad_labels", "a", "bad")) == "a: bad"


# -- executors ---------------------------------------------------------------------------------


class ThreadExecutor:
    """An Executor made of the standard library's thread pool, results in completion order
    (the newest first when several are done): how another engine plugs in."""

    def __init__(self, workers: int) -> None:
        self.max_workers = workers
        self.pool = ThreadPoolExecutor(workers)
        self.closed = 0

    def map_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        pending: list[Future[R]] = []
        try:
            for task in tasks:
                pending.append(self.pool.submit(fn, task))
                if len(pending) >= 2 * self.max_workers:
                    wait(pending, return_when=FIRST_COMPLETED)
                    done = [f for f in pending if f.done()]
                    pending = [f for f in pending if not f.done()]
                    yield from (f.result() for f in reversed(done))
            yield from (f.result() for f in reversed(pending))
        finally:
            self.closed += 1
            for f in pending:
                f.cancel()


def test_any_executor_gives_the_same_result(tmp_path: Path) -> None:
    make_dataset(tmp_path, n=40, seed=2)
    args = (tmp_path / "pred", tmp_path / "target")
    ref = evaluate_folder(*args, num_classes=C, ignore_index=255, workers=1).to_dict()
    threads = ThreadExecutor(3)
    assert isinstance(threads, Executor)
    with ProcessPool(2) as pool, SerialExecutor() as serial:
        for ex in (threads, pool, serial):
            ev = evaluate_folder(*args, num_classes=C, ignore_index=255, executor=ex)
            assert ev.to_dict() == ref
        # the pool is reused by a second call
        assert (
            evaluate_folder(*args, num_classes=C, ignore_index=255, executor=pool).to_dict() == ref
        )
    assert threads.closed == 1
    threads.pool.shutdown()


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three is bad")
    return x


def _die_on_three(x: int) -> int:
    if x == 3:
        os._exit(7)
    return x


def _slow(x: int) -> int:
    time.sleep(0.0 if x == 0 else 60.0)
    return x


def test_process_pool_errors_and_deaths() -> None:
    with ProcessPool(2) as pool:
        assert sorted(pool.map_unordered(_fail_on_three, range(3))) == [0, 1, 2]
        with pytest.raises(ValueError, match="three is bad") as info:
            list(pool.map_unordered(_fail_on_three, range(6)))
        assert "_fail_on_three" in str(info.value.__cause__)  # the worker's traceback
        with pytest.raises(IoUKitError, match=r"worker process died \(exit code 7\)"):
            list(pool.map_unordered(_die_on_three, range(6)))
        assert sorted(pool.map_unordered(abs, [-1, -2])) == [1, 2]  # started afresh


def test_abandoned_map_stops_at_once() -> None:
    pool = ProcessPool(2)
    results = pool.map_unordered(_slow, range(6))
    assert next(results) == 0
    procs = list(pool._procs)
    start = time.monotonic()
    results.close()  # two workers are 60 s into a task: they are terminated, not waited for
    assert time.monotonic() - start < 5.0
    assert all(p.exitcode is not None for p in procs)
    pool.close()


# -- checkpoints, progress, CSV -------------------------------------------------------------------


def test_checkpoint_progress_and_csv_resume_exactly(tmp_path: Path) -> None:
    make_dataset(tmp_path, n=12, seed=4)
    args = (tmp_path / "pred", tmp_path / "target")
    full = evaluate_folder(*args, num_classes=C, ignore_index=255, per_image_csv=tmp_path / "a.csv")
    seen: list[tuple[int, int]] = []

    def stop_at_5(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 5:
            raise KeyboardInterrupt

    ck, rows = tmp_path / "run.npz", tmp_path / "b.csv"
    opts: dict[str, Any] = {"num_classes": C, "ignore_index": 255, "checkpoint": ck}
    with pytest.raises(KeyboardInterrupt):
        evaluate_folder(*args, **opts, per_image_csv=rows, progress=stop_at_5, workers=2)
    assert seen == [(i, 12) for i in range(1, 6)]
    assert ioukit.SegmentationEvaluator.load(ck).num_images == 5
    with rows.open() as fh:
        assert len(list(csv.DictReader(fh))) == 5
    seen.clear()
    ev = evaluate_folder(
        *args, **opts, per_image_csv=rows, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(i, 12) for i in range(6, 13)]  # the 5 pairs of the checkpoint count as done
    assert ev.to_dict() == full.to_dict()
    assert rows.read_text() == (tmp_path / "a.csv").read_text()


def test_checkpoint_errors(tmp_path: Path) -> None:
    make_dataset(tmp_path, n=3)
    args = (tmp_path / "pred", tmp_path / "target")
    ck = tmp_path / "c.json"
    evaluate_folder(*args, num_classes=C, ignore_index=255, checkpoint=ck)
    with pytest.raises(ParameterError, match=r"made with other options.*num_classes: 4 then, 5"):
        evaluate_folder(*args, num_classes=5, ignore_index=255, checkpoint=ck)
    (tmp_path / "pred" / "img_1.npy").unlink()
    (tmp_path / "target" / "img_1.png").unlink()
    with pytest.raises(InputError, match=r"no longer paired, e.g. \['img_1'\]"):
        evaluate_folder(*args, num_classes=C, ignore_index=255, checkpoint=ck)
    Path(str(ck) + ".meta.json").unlink()
    with pytest.raises(ParameterError, match=r"companion c\.json\.meta\.json is missing"):
        evaluate_folder(*args, num_classes=C, ignore_index=255, checkpoint=ck)


# -- options -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"num_classes": 0}, "`num_classes` must be a positive integer"),
        ({"on_bad": "ignore"}, '`on_bad` must be "fail" or "skip"'),
        ({"workers": 0}, "`workers` must be a positive integer"),
        ({"workers": 2, "executor": SerialExecutor()}, "not both"),
        ({"executor": object()}, "`executor` must have `max_workers`"),
        ({"progress": 3}, "`progress` must be callable"),
        ({"reduce_zero_label": True}, "add 255 to `ignore_index`"),
        ({"class_names": {0: "a", 7: "b"}}, r"class id\(s\) \[7\] outside 0..3"),
        ({"class_names": "abc"}, "`class_names` must be a sequence"),
        ({"target_suffix": 1}, "`target_suffix` must be a string"),
    ],
)
def test_bad_options(tmp_path: Path, options: dict[str, Any], message: str) -> None:
    make_dataset(tmp_path, n=1)
    kwargs: dict[str, Any] = {"num_classes": C, **options}
    with pytest.raises(ParameterError, match=message) as info:
        evaluate_folder(tmp_path / "pred", tmp_path / "target", **kwargs)
    assert str(info.value).startswith("evaluate_folder: ")


def test_class_names_ignore_index_order_and_config(tmp_path: Path) -> None:
    make_dataset(tmp_path, n=2)
    ev = evaluate_folder(
        tmp_path / "pred",
        tmp_path / "target",
        num_classes=C,
        ignore_index=[255, 254, 255],
        class_names={"1": "road", 255: "void"},  # void: an ignored id, dropped
    )
    assert isinstance(ev, FolderEvaluation)
    assert ev.config["ignore_index"] == [255, 254]  # distinct, in the order given
    assert ev.config["class_names"] == {"1": "road"}
    assert ev.result.class_names == ("0", "road", "2", "3")
    assert ev.config["pred_dir"] == str((tmp_path / "pred").resolve())


def test_no_label_maps_and_nothing_evaluable(tmp_path: Path) -> None:
    (tmp_path / "pred").mkdir()
    (tmp_path / "target").mkdir()
    with pytest.raises(InputError, match="evaluate_folder: no label maps in"):
        evaluate_folder(tmp_path / "pred", tmp_path / "target", num_classes=C)
    np.save(tmp_path / "target" / "a.npy", np.zeros((2, 2), np.uint8))
    np.save(tmp_path / "pred" / "a.npy", np.zeros((3, 2), np.uint8))
    with pytest.raises(
        InputError, match=r"(?s)no pair could be evaluated:\n.*a: prediction 2x3 \(WxH\)"
    ):
        evaluate_folder(tmp_path / "pred", tmp_path / "target", num_classes=C, on_bad="skip")


def test_pairing_error_quality_bands_and_long_problem_lists(tmp_path: Path) -> None:
    from ioukit.evaluate import FolderProblemsError, PairingError

    for i in range(25):
        (tmp_path / "gt").mkdir(exist_ok=True)
        np.save(tmp_path / "gt" / f"{i}_gt.npy", np.array([[0, 1]], dtype=np.uint8))
    (tmp_path / "pred").mkdir()
    np.save(tmp_path / "pred" / "0.npy", np.array([[0, 0]], dtype=np.uint8))
    with pytest.raises(PairingError) as info:  # swapped: the targets' suffix is on pred_dir
        evaluate_folder(tmp_path / "gt", tmp_path / "pred", num_classes=2, target_suffix="_gt")
    assert info.value.hint.swap
    assert (info.value.paired, info.value.num_targets, info.value.hint.pairs) == (0, 0, 1)
    with pytest.raises(FolderProblemsError) as problems:
        evaluate_folder(
            tmp_path / "pred", tmp_path / "gt", num_classes=2, target_suffix="_gt", workers=1
        )
    assert len(problems.value.problems) == 24  # all kept
    msg = str(problems.value)
    assert "… and 4 more" in msg
    assert "Every problem is in this error's `problems` (24)." in msg
    ev = evaluate_folder(
        tmp_path / "pred",
        tmp_path / "gt",
        num_classes=2,
        target_suffix="_gt",
        workers=1,
        on_bad="skip",
        quality_bands="0.9,0.2",
        per_image_csv=tmp_path / "rows.csv",
    )
    assert ev.result.image_quality == ["good"]  # mIoU (1/2 + 0) / 2 = 0.25: above 0.2
    assert "good" in (tmp_path / "rows.csv").read_text().splitlines()[1]
    with pytest.raises(ParameterError, match="`quality_bands`"):
        evaluate_folder(
            tmp_path / "pred",
            tmp_path / "gt",
            num_classes=2,
            quality_bands=((0.2, "a"), (0.5, "b")),
        )
