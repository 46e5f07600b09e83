"""The README's Python blocks run as written (each in a fresh namespace, with ``examples/``
copied into a temporary working directory), and the numbers it quotes are the library's."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(
    index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    code = BLOCKS[index]
    for module in re.findall(r"^\s*(?:import|from) (torch|plotly)\b", code, flags=re.M):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"README block {index} needs {module}")
    # relative paths in the README are relative to the repository root
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"readme_block_{index}"}
    exec(compile(code, f"README.md block {index}", "exec"), namespace)
    capsys.readouterr()
    if "multiclass_counts(pred, target, num_classes=3)" in code:
        import ioukit

        counts = namespace["counts"]
        np.testing.assert_allclose(
            ioukit.jaccard(counts, average="none"), [1.0, 1 / 3, 1 / 3], rtol=0, atol=1e-15
        )
        assert round(float(ioukit.jaccard(counts, average="macro")), 4) == 0.5556
        assert round(float(ioukit.dice(counts, average="micro")), 4) == 0.6667
        total = namespace["total"]
        for field in ("tp", "fp", "fn", "tn"):
            np.testing.assert_array_equal(getattr(total, field), getattr(counts, field))
    if "evaluate_folder" in code:
        run = namespace["run"]
        assert f"{run.result.miou:.4f}" == "0.8554"  # as in the README's table
        assert "mIoU 0.8554" in README
    if "box_iou(a, b)" in code:
        assert (
            round(float(namespace["ioukit"].box_iou(namespace["a"], namespace["b"])[0, 0]), 4)
            == 0.1429
        )
    assert os.getcwd() == str(tmp_path)
