"""Ctrl-C ends `ioukit segment` with exit code 130 within seconds, at any moment of a run, and
leaves a checkpoint from which the same command resumes to exactly the uninterrupted result.

Each run is a real process (``python -m ioukit segment``) sent SIGINT after a random delay,
measured from the moment the run starts its work (the checkpoint's companion file appears), so
that every phase is hit: the pool starting, counting, the last pairs, the summary."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ioukit import cli

Image = pytest.importorskip("PIL.Image")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="POSIX")

PAIRS, CLASSES = 160, 19
RUNS = 16  # about 2 s each
STOP_SECONDS = 5.0


def _write_data(root: Path) -> None:
    rng = np.random.default_rng(11)
    for sub in ("pred", "target"):
        (root / sub).mkdir(parents=True)
    for i in range(PAIRS):
        small = rng.integers(0, CLASSES, (24, 32))
        target = np.kron(small, np.ones((8, 8), dtype=np.int64)).astype(np.uint8)
        target[rng.random(target.shape) < 0.03] = 255
        pred = target.copy()
        noise = rng.random(pred.shape) < 0.2
        pred[noise] = rng.integers(0, CLASSES, int(noise.sum()))
        pred[pred == 255] = 0
        Image.fromarray(target).save(root / "target" / f"f{i:03d}.png")
        Image.fromarray(pred).save(root / "pred" / f"f{i:03d}.png")


def _as_from_a_terminal() -> None:
    """In the child, before exec: SIGINT delivered and handled by default, as a shell started
    from a terminal leaves it. The test process may hold it blocked or ignored (a library, a
    runner's worker), and exec keeps both, which would make every run ignore Ctrl-C."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _signal_state() -> str:
    """This process's blocked and ignored signals (for a failure message)."""
    with open("/proc/self/status") as f:
        return " ".join(line.strip() for line in f if line.startswith(("SigBlk", "SigIgn")))


def _command(root: Path, tag: str, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "ioukit", "segment", str(root / "pred"), str(root / "target"),
        "--num-classes", str(CLASSES), "--ignore-index", "255", "--workers", str(workers),
        "--checkpoint", str(root / f"{tag}.ckpt"), "--json", str(root / f"{tag}.json"),
        "--per-image", str(root / f"{tag}.csv"),
    ]  # fmt: skip


def _interrupted_run(root: Path, tag: str, workers: int, delay: float) -> tuple[int, str]:
    """Start the command, wait until its run has begun, then ``delay`` s, then SIGINT; the exit
    code and stderr. Fails if the process does not end within STOP_SECONDS of the signal."""
    meta = root / f"{tag}.ckpt.meta.json"
    with (
        (root / f"{tag}.out").open("w") as out,
        subprocess.Popen(
            _command(root, tag, workers),
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_as_from_a_terminal,
        ) as proc,
    ):  # stdout is a file, not a terminal
        deadline = time.monotonic() + 60
        while not meta.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        try:
            _, err = proc.communicate(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            pytest.fail(f"run {tag} hung {STOP_SECONDS} s after Ctrl-C (delay {delay:.2f} s)")
        assert time.monotonic() - sent < STOP_SECONDS
    return proc.returncode, err


def _run_span(root: Path, tag: str, workers: int) -> float:
    """Run the command to its end, as the interrupted runs do (a fresh process, stdout to a
    file); the seconds from the start of its work (the checkpoint's companion file) to its end.
    Timed in a subprocess, not in this process: here, modules that earlier tests imported
    (torch) change the pool's start method and so the length of a run."""
    meta = root / f"{tag}.ckpt.meta.json"
    with (
        (root / f"{tag}.out").open("w") as out,
        subprocess.Popen(
            _command(root, tag, workers), stdout=out, preexec_fn=_as_from_a_terminal
        ) as proc,
    ):
        while not meta.exists() and proc.poll() is None:
            time.sleep(0.005)
        start = time.monotonic()
        assert proc.wait(timeout=120) == 0
    return time.monotonic() - start


def test_ctrl_c_at_random_moments_exits_130_and_resumes_exactly(tmp_path: Path) -> None:
    _write_data(tmp_path)
    _run_span(tmp_path, "warm", 2)  # one-time costs (bytecode, numba's cache) not in the span
    span = 1.2 * _run_span(tmp_path, "full", 2)  # delays cover the whole run, and its end
    rng = random.Random(20240611)
    outcomes = {0: 0, 130: 0, -signal.SIGINT: 0}
    seen: list[Any] = [("span", round(span, 3)), _signal_state() if os.path.exists("/proc") else ""]
    for run in range(RUNS):
        tag, workers = f"run{run}", 1 if run % 4 == 3 else 2
        delay = rng.uniform(0.0, span)
        code, err = _interrupted_run(tmp_path, tag, workers, delay)
        info: Any = (tag, workers, round(delay, 2), code, err[-800:])
        assert code in (0, 130, -signal.SIGINT), info  # 0: the run had ended before the signal
        assert "Traceback" not in err, info
        outcomes[code] += 1
        seen.append((tag, workers, round(delay, 2), code))
        if code == -signal.SIGINT:
            # the signal came after main() had returned, while the interpreter shut down with
            # the default disposition of SIGINT back (a shell reports this as 130 too): the run
            # had finished and printed nothing
            assert err == "", info
            assert (tmp_path / f"{tag}.json").exists(), info
        if code != 0:
            if code == 130:
                assert "interrupted; rerun the same command to resume" in err, info
            # the same command again (in this process: the same code, without a start-up)
            assert cli.main([*_command(tmp_path, tag, 2)[3:], "-q"]) == 0, info
        for ext in ("json", "csv"):
            done = (tmp_path / f"{tag}.{ext}").read_text()
            assert done == (tmp_path / f"full.{ext}").read_text(), info
    assert outcomes[130] >= RUNS // 2, seen  # most signals land inside the run
