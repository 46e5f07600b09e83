"""The scikit-learn twins' unit tests pass where scikit-learn cannot be imported at all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_unit_tests_pass_with_sklearn_blocked() -> None:
    files = sorted(str(p) for p in HERE.glob("test_sklearn_*.py"))
    assert files
    code = (
        "import sys; sys.modules['sklearn'] = None; import pytest; "
        f"raise SystemExit(pytest.main(['-q', '-p', 'no:cacheprovider', *{files!r}]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=HERE.parents[1], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert " passed" in out.stdout
