"""Doctest collection of optional modules: skipped when their extra is not installed.

``pytest --doctest-modules`` imports every module under ``src/ioukit``; ``ioukit.plot`` needs
plotly and ``ioukit.losses`` needs torch, so without them those modules are left out of
collection instead of failing it (their tests in ``tests/`` skip themselves).
"""

from __future__ import annotations

import importlib.util

collect_ignore: list[str] = []
if importlib.util.find_spec("plotly") is None:
    collect_ignore.append("src/ioukit/plot")
if importlib.util.find_spec("torch") is None:
    collect_ignore.append("src/ioukit/losses")
