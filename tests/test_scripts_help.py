"""Every example and benchmark script answers ``--help`` with its usage, and does nothing else
(no benchmark starts, no file is written)."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import ioukit

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(
    p
    for folder in ("examples", "benchmarks")
    for p in (ROOT / folder).glob("*.py")
    if not p.name.startswith("_")
)


def _help(script: Path, cwd: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    run = subprocess.run(
        [sys.executable, str(script), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )
    return script, run


def test_every_script_answers_help(tmp_path: Path) -> None:
    assert len(SCRIPTS) >= 15
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda s: _help(s, tmp_path), SCRIPTS))
    for script, run in runs:
        assert run.returncode == 0, f"{script.name}: {run.stderr[-2000:]}"
        assert run.stdout.startswith(f"usage: {script.name}"), (script.name, run.stdout[:200])
    assert list(tmp_path.iterdir()) == []  # --help wrote nothing


def test_mean_iou_names_itself_for_an_unknown_convention() -> None:
    p = np.array([[0, 1]])
    with pytest.raises(ioukit.ParameterError, match=r"^mean_iou: unknown `convention` 'foo'"):
        ioukit.mean_iou(p, p, num_classes=2, convention="foo")


def test_sweep_repr_is_one_short_line() -> None:
    rng = np.random.default_rng(0)
    sweep = ioukit.threshold_sweep(rng.random(100_000), rng.random(100_000) < 0.1)
    text = repr(sweep)
    assert "\n" not in text, text
    assert len(text) < 120, text
    assert text.startswith(f"Sweep({len(sweep)} thresholds from ")
    assert f"{int(sweep.counts.tp[0] + sweep.counts.fn[0])} positives of 100000" in text
