"""``evaluate_folder`` and ``ioukit segment`` on a Dask cluster give the local numbers bit for
bit: per-image rows, the confusion matrix, every score; for any workers and partitioning."""

from __future__ import annotations

import itertools
import pickle
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seg_data import C, make_folders

from ioukit import cli
from ioukit._dask import DaskExecutor, TreeSum, parse_scheduler
from ioukit._errors import IoUKitError, MissingDependencyError, ParameterError
from ioukit._folder import count_batch
from ioukit._run import partition
from ioukit.evaluate import evaluate_folder
from ioukit.io import pair_file_sizes, pair_files

OPTS: dict[str, Any] = {"num_classes": C, "ignore_index": 255}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_folders(tmp_path_factory.mktemp("seg"), n=40)


@pytest.fixture(scope="module")
def local(folders: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Any:
    csv = tmp_path_factory.mktemp("local") / "rows.csv"
    ev = evaluate_folder(*folders, **OPTS, workers=1, per_image_csv=csv)
    return ev, csv.read_text()


def test_equals_local_bit_for_bit(client: Any, folders: Any, local: Any, tmp_path: Path) -> None:
    ev, rows = local
    csv = tmp_path / "rows.csv"
    with DaskExecutor(client, partition_bytes=4000) as ex:
        got = evaluate_folder(*folders, **OPTS, executor=ex, per_image_csv=csv)
    assert got.to_dict() == ev.to_dict()
    assert np.array_equal(got.result.confusion_matrix, ev.result.confusion_matrix)
    assert got.result.image_names == ev.result.image_names
    for name in ("tp", "fp", "fn", "tn"):
        a, b = got.result.per_image_counts, ev.result.per_image_counts
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert csv.read_text() == rows  # the per-image rows, streamed in order


@pytest.mark.parametrize("n", [1, 4])
def test_any_number_of_workers(folders: Any, local: Any, n: int) -> None:
    with DaskExecutor(f"local:{n}") as ex:
        assert ex.max_workers == n
        got = evaluate_folder(*folders, **OPTS, executor=ex)
    assert got.to_dict() == local[0].to_dict()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_partitioning(client: Any, folders: Any, local: Any, data: st.DataObject) -> None:
    sizes = pair_file_sizes(pair_files(*folders).pairs)
    limit = data.draw(st.integers(1, sum(sizes) + 1), label="partition_bytes")
    with DaskExecutor(client, partition_bytes=limit) as ex:
        bounds = partition(len(sizes), ex, sizes)
        got = evaluate_folder(*folders, **OPTS, executor=ex)
    assert got.to_dict() == local[0].to_dict()
    # contiguous, complete, and each partition closes at the first item that fills it
    assert bounds[0][0] == 0
    assert bounds[-1][1] == len(sizes)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    assert all(sum(sizes[a : b - 1]) < limit for a, b in bounds)


def test_partitions_follow_bytes() -> None:
    class Cluster:
        max_workers, partition_bytes = 2, None

    # auto: the total over 32 tasks per worker (here 8,260 // 64 = 129 bytes)
    bounds = partition(6, Cluster(), [4000, 4000, 200, 40, 10, 10])
    assert bounds == [(0, 1), (1, 2), (2, 3), (3, 6)]
    Cluster.partition_bytes = 15
    assert partition(4, Cluster(), [10, 10, 10, 10]) == [(0, 2), (2, 4)]


def test_corrupt_file_reported_by_name_as_locally(client: Any, tmp_path: Path) -> None:
    pred, target = make_folders(tmp_path, n=12, seed=3)
    (pred / "img_005.png").write_bytes(b"\x89PNG\r\n\x1a\n not a png")
    (target / "img_006.png").write_bytes(b"")
    here = evaluate_folder(pred, target, **OPTS, workers=1, on_bad="skip")
    with DaskExecutor(client, partition_bytes=1000) as ex:
        there = evaluate_folder(pred, target, **OPTS, executor=ex, on_bad="skip")
    assert [str(p) for p in there.problems] == [str(p) for p in here.problems]
    assert len(there.problems) == 2
    assert "img_005.png" in str(there.problems[0])
    assert there.to_dict() == here.to_dict()


def test_per_image_payload_is_counts_not_matrices(folders: Any) -> None:
    """What travels back per image is its tp, fp, fn, tn (32·C bytes), under the bar of
    2·C²·8 bytes; the matrices come summed, one per task."""
    pairs = pair_files(*folders).pairs[:16]
    task = (0, [(str(p.pred), str(p.target)) for p in pairs])
    index, outcomes, total = count_batch(
        {"num_classes": C, "ignore_index": (255,), "reduce_zero_label": False}, task
    )
    per_image = len(pickle.dumps((index, outcomes), protocol=5)) / len(pairs)
    assert per_image <= 2 * C * C * 8
    assert all(o[0].shape == (4, C) and o[0].dtype == np.int64 for o in outcomes)
    assert total.shape == (C, C)


def test_tree_sum_adds_on_the_cluster(client: Any) -> None:
    tree = TreeSum(client)
    parts = [np.full((3, 3), i, dtype=np.int64) for i in range(37)]
    for part in parts:
        tree.add(client.scatter(part))
    assert sum(f is not None for f in tree._levels) == bin(37).count("1")  # O(log P) roots
    assert np.array_equal(tree.value(), sum(parts))
    assert TreeSum(client).value() is None


def test_scheduler_addresses() -> None:
    assert parse_scheduler("local:3") == 3
    assert parse_scheduler(" tcp://10.0.0.1:8786 ") == "tcp://10.0.0.1:8786"
    for bad in ("", "local:0", "locale", 3):
        with pytest.raises(ParameterError, match="local"):
            parse_scheduler(bad)  # type: ignore[arg-type]
    with pytest.raises(IoUKitError, match=r"no Dask scheduler answered at 'tcp://127.0.0.1:9'"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=1)
    with pytest.raises(ParameterError, match="partition_bytes"):
        DaskExecutor("local:1", partition_bytes=0)


def test_without_dask_the_message_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    from ioukit._errors import install_hint

    hint = install_hint("dask", "'dask[distributed]'")
    with pytest.raises(MissingDependencyError, match=re.escape(hint)):
        DaskExecutor("local:1")


def test_interrupt_keeps_a_checkpoint_that_resumes_exactly(
    client: Any, folders: Any, local: Any, tmp_path: Path
) -> None:
    ck = tmp_path / "run.npz"

    def stop(done: int, total: int) -> None:
        if done >= 15:
            raise KeyboardInterrupt

    with DaskExecutor(client, partition_bytes=3000) as ex:
        with pytest.raises(KeyboardInterrupt):
            evaluate_folder(*folders, **OPTS, executor=ex, checkpoint=ck, progress=stop)
        from ioukit import SegmentationEvaluator

        saved = SegmentationEvaluator.load(ck)
        assert 15 <= saved.num_images < 40
        # counts and matrix of the same images: the matrix sums the per-image counts
        cm = saved.confusion_matrix
        assert np.array_equal(np.diagonal(cm), saved.counts.tp.sum(axis=0))
        got = evaluate_folder(*folders, **OPTS, executor=ex, checkpoint=ck)
    assert got.to_dict() == local[0].to_dict()


def test_cli_scheduler(client: Any, folders: Any, tmp_path: Path, capsys: Any) -> None:
    base = ["segment", str(folders[0]), str(folders[1]), "--num-classes", str(C)]
    base += ["--ignore-index", "255", "-q"]
    assert cli.main([*base, "--workers", "1", "--json", str(tmp_path / "a.json")]) == 0
    address = client.scheduler.address
    assert cli.main([*base, "--scheduler", address, "--json", str(tmp_path / "b.json")]) == 0
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()
    capsys.readouterr()
    assert cli.main([*base, "--scheduler", address, "--workers", "2"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert cli.main([*base, "--scheduler", "local:0"]) == 2
    assert "--scheduler: 'local:N' needs N >= 1" in capsys.readouterr().err
