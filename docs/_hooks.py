"""Build hooks of the documentation site (named in ``mkdocs.yml``).

- ``assets/plotly.min.js``: the Plotly bundle of the installed ``plotly`` package, served once
  for every page, so that the figures embedded with ``include_plotlyjs=False`` work offline.
- ``PATH``: the shell examples call ``ioukit``; the folder of the Python that builds the site
  comes first on ``PATH``, so ``python -m mkdocs build`` from a venv that is not activated runs
  that venv's ``ioukit``.
- ``sample-report.html``: the HTML report of the README's main command, made from the sample
  data at build time, so that the page that links to it shows what the command writes today.
"""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import sys
import tempfile
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = pathlib.Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample_data"


def _plotly_bundle() -> bytes:
    import plotly

    path = pathlib.Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return path.read_bytes()


def _sample_report() -> bytes:
    from ioukit.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "report.html"
        args = [
            "segment", str(SAMPLE / "pred"), str(SAMPLE / "target"),
            "--num-classes", "5", "--ignore-index", "255",
            "--class-names", str(SAMPLE / "classes.json"), "--html", str(out),
        ]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = main(args)
        if code not in (0, None) or not out.is_file():
            raise RuntimeError(f"the sample report was not written (exit code {code})")
        return out.read_bytes()


def on_config(config: Any) -> Any:
    bin_dir = str(pathlib.Path(sys.executable).parent)
    os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    return config


def on_files(files: Files, config: Any) -> Files:
    files.append(File.generated(config, "assets/plotly.min.js", content=_plotly_bundle()))
    files.append(File.generated(config, "sample-report.html", content=_sample_report()))
    return files
