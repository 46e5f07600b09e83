"""The repository stays ruff- and mypy-clean: checked with the tests so CI enforces it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_clean() -> None:
    if shutil.which("ruff") is None:
        pytest.skip("ruff is not installed (it is in the `test` dependency group)")
    result = _run(["ruff", "check", "src", "tests", "benchmarks", "examples", "docs"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_clean() -> None:
    pytest.importorskip("mypy")
    result = _run([sys.executable, "-m", "mypy"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_file_over_600_lines() -> None:
    # a file that grows past 600 lines holds two concepts (DESIGN.md, "Layout")
    long = {
        str(path.relative_to(ROOT)): n
        for folder in ("src", "tests", "benchmarks", "examples")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert not long, f"files over 600 lines: {long}"
