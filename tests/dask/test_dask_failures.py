"""Exactness under failure, on a real ``LocalCluster``: a worker killed in the middle of a run
(its nanny starts it again), and the client itself killed and the run resumed from its
checkpoint. Either way the result is the local one, bit for bit: no image counted twice or
missed (per-image rows and the confusion matrix are compared)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from seg_data import C, local_client, make_folders

import ioukit._folder
from ioukit import SegmentationEvaluator
from ioukit._dask import DaskExecutor
from ioukit.evaluate import evaluate_folder

distributed = pytest.importorskip("distributed")

OPTS: dict[str, Any] = {"num_classes": C, "ignore_index": 255}
N = 60


def _same(a: Any, b: Any) -> None:
    assert a.result.image_names == b.result.image_names  # none missed, none twice
    for name in ("tp", "fp", "fn", "tn"):
        x, y = a.result.per_image_counts, b.result.per_image_counts
        assert np.array_equal(getattr(x, name), getattr(y, name))
    assert np.array_equal(a.result.confusion_matrix, b.result.confusion_matrix)
    assert a.to_dict() == b.to_dict()


_COUNT_PAIR = ioukit._folder._count_pair


def _slow(pred_path: str, target_path: str, config: dict[str, Any]) -> Any:
    """The worker's task, slowed down so that the kill lands while tasks are running."""
    import time

    time.sleep(0.02)
    return _COUNT_PAIR(pred_path, target_path, config)


def test_worker_killed_mid_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folders = make_folders(tmp_path, n=N, seed=11)
    local = evaluate_folder(*folders, **OPTS, workers=1)
    with local_client(2) as client:
        pids = client.run(os.getpid)
        victim = sorted(pids.values())[0]
        killed: list[int] = []

        def kill_once(done: int, total: int) -> None:
            if done >= N // 3 and not killed:
                os.kill(victim, signal.SIGKILL)
                killed.append(done)

        # the tasks count through a slowed reader (a module-level function: pickled by
        # reference, so the workers import this test module; it is on their path)
        monkeypatch.setattr("ioukit._folder._count_pair", _slow)
        client.run(sys.path.insert, 0, str(Path(__file__).parent))
        client.run(_patch_workers)
        with DaskExecutor(client, partition_bytes=2500) as ex:
            got = evaluate_folder(*folders, **OPTS, executor=ex, progress=kill_once)
        assert killed, "the worker was never killed"
        client.wait_for_workers(2, timeout=30)
        assert victim not in client.run(os.getpid).values()  # it was killed, and restarted
    _same(got, local)


def _patch_workers() -> None:
    """Slow down the reader on a worker (run there by ``client.run``), also after a restart:
    the restarted worker reads at full speed, which is fine."""
    ioukit._folder._count_pair = _slow


CRASH = textwrap.dedent(
    """
    import os, signal, sys
    from ioukit._dask import DaskExecutor
    from ioukit._folder import Checkpoint
    from ioukit.evaluate import evaluate_folder

    Checkpoint.due = lambda self: True  # a checkpoint after every task

    def crash(done, total):
        if done >= {stop}:
            os.kill(os.getpid(), signal.SIGKILL)  # the client dies, with tasks in flight

    with DaskExecutor({address!r}, partition_bytes=2000) as ex:
        evaluate_folder({pred!r}, {target!r}, num_classes={c}, ignore_index=255,
                        executor=ex, checkpoint={ck!r}, per_image_csv={csv!r},
                        progress=crash)
    """
)


def test_client_crash_resumes_exactly(client: Any, tmp_path: Path) -> None:
    folders = make_folders(tmp_path, n=N, seed=12)
    full_csv = tmp_path / "full.csv"
    local = evaluate_folder(*folders, **OPTS, workers=1, per_image_csv=full_csv)
    ck, csv = tmp_path / "run.npz", tmp_path / "rows.csv"
    script = CRASH.format(
        stop=N // 2,
        address=client.scheduler.address,
        pred=str(folders[0]),
        target=str(folders[1]),
        c=C,
        ck=str(ck),
        csv=str(csv),
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    saved = SegmentationEvaluator.load(ck)
    assert N // 2 <= saved.num_images < N  # what the checkpoint holds: a part of the run
    with DaskExecutor(client, partition_bytes=2000) as ex:
        got = evaluate_folder(*folders, **OPTS, executor=ex, checkpoint=ck, per_image_csv=csv)
    _same(got, local)
    assert csv.read_text() == full_csv.read_text()


def test_ctrl_c_in_a_terminal_stops_the_cluster_run_cleanly(tmp_path: Path) -> None:
    """Ctrl-C in a terminal reaches every process of the group, the cluster's workers too:
    they ignore it, the command stops at once with exit code 130 and a checkpoint, prints no
    traceback, leaves no process behind, and the same command resumes to the local result."""
    folders = make_folders(tmp_path, n=1500, seed=13)
    ck, out = tmp_path / "run.npz", tmp_path / "out.json"
    command = [sys.executable, "-m", "ioukit", "segment", *map(str, folders), "--num-classes",
               str(C), "--ignore-index", "255", "--scheduler", "local:2", "--checkpoint",
               str(ck), "--json", str(out), "-q"]  # fmt: skip
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, start_new_session=True)
    meta = ck.with_name(ck.name + ".meta.json")
    while not meta.exists() and proc.poll() is None:
        time.sleep(0.01)
    time.sleep(1.0)  # the workers start, then count
    os.killpg(proc.pid, signal.SIGINT)
    start = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - start < 8, "the run took too long to stop"
    text = err.decode()
    assert proc.returncode == 130, text
    assert "Traceback" not in text, text
    assert "interrupted; rerun the same command to resume" in text
    assert SegmentationEvaluator.load(ck).num_images < 1500
    left = b""
    for _ in range(50):  # the cluster's processes exit with the command (a moment later)
        left = subprocess.run(["pgrep", "-a", "-g", str(proc.pid)], capture_output=True).stdout
        if not left:
            break
        time.sleep(0.1)
    assert left == b"", left.decode()
    assert subprocess.run(command, capture_output=True, timeout=120).returncode == 0
    local = evaluate_folder(*folders, **OPTS, workers=1)
    doc = json.loads(out.read_text())
    assert doc["confusion_matrix"] == local.to_dict()["confusion_matrix"]
    assert doc["state"] == local.to_dict()["state"]
