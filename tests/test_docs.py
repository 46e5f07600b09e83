"""The documentation site's sources keep their promises: every public name is in the API
reference (and nothing else is), every page is in the navigation, and every code block runs
when the site is built (``python -m mkdocs build --strict`` fails on an example that raises).

The build itself is the README's test command's last step; these checks read the sources, so
they run in a second and name the page and the block at fault."""

from __future__ import annotations

import importlib
import re
import types
from pathlib import Path

import pytest

import ioukit

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))

# the modules whose ``__all__`` is public API; the top level comes first, so that a name it
# re-exports is documented once, under ``ioukit.<name>``
PUBLIC_MODULES = (
    "ioukit",
    "ioukit.rle",
    "ioukit.segmentation",
    "ioukit.detection",
    "ioukit.panoptic",
    "ioukit.cityscapes",
    "ioukit.stats",
    "ioukit.evaluate",
    "ioukit.io",
    "ioukit.losses",
    "ioukit.plot",
    "ioukit.report",
    "ioukit.sklearn",
    "ioukit.kernels",
    "ioukit.cli",
)
NEEDS = {"ioukit.losses": "torch", "ioukit.plot": "plotly", "ioukit.report": "plotly"}

FENCE = re.compile(
    r"^(?P<indent> *)(?P<ticks>```+)(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)(?P=ticks) *$",
    re.M | re.S,
)
# what a shell block may hold without running at build time: installing, serving the site,
# running the test suite, and reproducing a measurement (a benchmark takes minutes; its table is
# shown as measured)
SETUP = re.compile(
    r"^(pip install |python3? -m pip install |python3? -m venv |\. \S+/bin/activate"
    r"|source \.venv/bin/activate|git clone |cd |mkdocs serve|python3? -m mkdocs serve"
    r"|python3? -m pytest|python3? benchmarks/\w+\.py|#|$)"
)


def _documented() -> set[str]:
    names: set[str] = set()
    for page in (DOCS / "api").glob("*.md"):
        names.update(re.findall(r"^::: (\S+)", page.read_text(encoding="utf-8"), flags=re.M))
    return names


def _public() -> dict[str, object]:
    """Every public name, as it is documented, mapped to its object."""
    seen: dict[int, str] = {}
    out: dict[str, object] = {}
    for module_name in PUBLIC_MODULES:
        if module_name in NEEDS:
            pytest.importorskip(NEEDS[module_name])
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType):
                continue  # a public module: its own names are listed under it
            key = id(obj)
            if module_name != "ioukit" and key in seen and not _is_value(obj):
                continue  # re-exported: documented under its first public name
            seen.setdefault(key, f"{module_name}.{name}")
            out[f"{module_name}.{name}"] = obj
    return out


def _is_value(obj: object) -> bool:
    """Constants (tuples, strings, numbers) may share an object by accident, not by export."""
    return isinstance(obj, (str, int, float))


def test_every_public_name_is_in_the_api_reference() -> None:
    missing = sorted(set(_public()) - _documented())
    assert not missing, f"add to docs/api/*.md: {', '.join('::: ' + m for m in missing)}"


def test_the_api_reference_documents_only_public_names() -> None:
    public = _public()
    stale = sorted(_documented() - set(public))
    assert not stale, f"not public (not in an __all__, or documented twice): {stale}"


def test_the_api_reference_documents_each_name_once() -> None:
    entries: list[str] = []
    for page in (DOCS / "api").glob("*.md"):
        entries += re.findall(r"^::: (\S+)", page.read_text(encoding="utf-8"), flags=re.M)
    twice = sorted({e for e in entries if entries.count(e) > 1})
    assert not twice


def test_every_page_is_in_the_navigation() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = config[config.index("\nnav:") :]
    listed = set(re.findall(r"([\w/.-]+\.md)\s*$", nav, flags=re.M))
    pages = {str(p.relative_to(DOCS)) for p in PAGES}
    assert pages - listed == set(), "pages missing from mkdocs.yml's nav"
    assert listed - pages == set(), "nav entries with no page"


def _blocks() -> list[tuple[str, int, str, str]]:
    out = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            info = m.group("info").strip()
            out.append((str(page.relative_to(ROOT)), line, info, m.group("body")))
    return out


def test_the_pages_have_code() -> None:
    assert sum('exec="on"' in info for _, _, info, _ in _blocks()) >= 50


@pytest.mark.parametrize("lang", ["python", "pycon", "py"])
def test_every_python_block_runs_at_build_time(lang: str) -> None:
    idle = [f"{page}:{line}" for page, line, info, _ in _blocks()
            if info.split(" ")[0] == lang and 'exec="on"' not in info]
    assert not idle, f'add exec="on" to these blocks (a shown example must run): {idle}'


def test_shell_blocks_run_unless_they_only_install() -> None:
    idle = []
    for page, line, info, body in _blocks():
        if info.split(" ")[0] in ("bash", "sh", "shell", "console") and 'exec="on"' not in info:
            commands = [c.strip() for c in body.replace("&&", "\n").splitlines()]
            if not all(SETUP.match(c) for c in commands):
                idle.append(f"{page}:{line}")
    assert not idle, f'these shell blocks run something: give them exec="on": {idle}'


def test_only_known_fences() -> None:
    """A fence in another language would escape the two checks above."""
    allowed = {"python", "pycon", "py", "bash", "sh", "shell", "console", "text", "json",
               "yaml", "toml", "mermaid", "csv", "html", ""}
    odd = [f"{page}:{line} ({info})" for page, line, info, _ in _blocks()
           if info.split(" ")[0] not in allowed]
    assert not odd


def test_the_version_is_documented_as_a_string() -> None:
    assert isinstance(ioukit.__version__, str)
