"""The README's Python blocks run as written (each in a fresh namespace, with ``examples/``
copied into a temporary working directory), and every result they show (``# → ...``) is the
library's (:mod:`readme_check`). Its test command is the one CI runs."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme_check import ShownResultError, run_block

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 1


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs_and_shows_true_results(
    index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = BLOCKS[index]
    for module in re.findall(r"^\s*(?:import|from) (torch|plotly)\b", code, flags=re.M):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"README block {index} needs {module}")
    # relative paths in the README are relative to the repository root
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"readme_block_{index}"}
    run_block(code, f"README.md block {index}", namespace)
    assert os.getcwd() == str(tmp_path)


def test_readme_shows_results() -> None:
    """The blocks show their numbers: a block that stopped showing them would check nothing."""
    assert sum(block.count("# →") for block in BLOCKS) >= 5


def test_the_folder_example_gives_the_table_of_command_1() -> None:
    """The mIoU of ``evaluate_folder`` on the sample data is the one the README's table shows."""
    import ioukit

    table = re.search(r"mIoU (\d\.\d{4}) \(ioukit\)", README)
    assert table
    sample = ROOT / "examples" / "sample_data"
    run = ioukit.evaluate_folder(sample / "pred", sample / "target", num_classes=5,
                                 ignore_index=255, workers=1)
    assert f"{run.result.miou:.4f}" == table.group(1)


def test_the_readme_points_to_the_documentation_site() -> None:
    assert "python -m mkdocs serve" in README
    assert "`site/`" in README
    assert (ROOT / "mkdocs.yml").is_file()


def test_a_wrong_result_fails() -> None:
    with pytest.raises(ShownResultError, match=r"shown '0\.5'"):
        run_block("1 / 3  # → 0.5\n", "wrong", {})
    with pytest.raises(ShownResultError, match="not marked"):
        run_block("x = [1, 2]\nx  # [1, 2]\n", "unmarked", {})
    assert run_block("print('a', 1 / 3)  # → a 0.333\nx = (1, 2.5)  # → (1, 2.5)\n", "ok", {}) == 2


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "awk '/^# 2\\./" in ci
    assert 'exec bash -c "$cmd"' in ci
    lines = README.splitlines()
    command = lines[[line.startswith("# 2. ") for line in lines].index(True) + 1]
    assert "--group test --group docs" in command
    assert command.endswith("&& python -m pytest && python -m mkdocs build --strict")
    nodeps = ROOT / "tests" / "requirements-no-deps.txt"
    assert f"--no-deps -r {nodeps.relative_to(ROOT).as_posix()}" in command
    for line in nodeps.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r"[a-z0-9-]+==[\d.]+", line), line


def test_the_readme_shows_what_command_1_prints() -> None:
    """The table under "On the sample data" is command 1's stdout (redirected: plain text)."""
    import shlex
    import subprocess

    lines = README.splitlines()
    command = lines[
        lines.index("# 1. Install, then run the main job on the sample data shipped in the repo")
        + 1
    ]
    args = shlex.split(command.split(" && ")[-1])
    assert args[0] == "ioukit"
    assert args[-2:] == ["--html", "report.html"]
    shown = re.search(r"On the sample data .*?```text\n(.*?)```", README, flags=re.DOTALL)
    assert shown
    run = subprocess.run(
        [sys.executable, "-m", "ioukit", *args[1:-2], "--workers", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == shown.group(1)
