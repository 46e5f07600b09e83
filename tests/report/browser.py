"""Open a report in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

What a user's browser would see: console errors, uncaught exceptions, every request the page
makes (a self-contained report makes none beyond file:, data: and blob:), how long the page
takes until every plot is drawn, and a screenshot of each plot.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]

#: requests a self-contained page may make
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def chromium_path() -> str:
    """The Chromium binary, or skip (fail under CI, which installs it: the README's test
    command does)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None or __import__("importlib").util.find_spec("playwright") is None:
        why = "needs Chromium (apt-get install chromium) and playwright (the test group)"
        if os.environ.get("CI"):
            pytest.fail(f"the browser test {why}; CI must have both")
        pytest.skip(why)
    return found


@dataclass
class PageVisit:
    """What opening one page showed."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    seconds_to_plots: float = float("nan")
    plots: dict[str, dict[str, float]] = field(default_factory=dict)
    title: str = ""
    globals_set: dict[str, Any] = field(default_factory=dict)

    @property
    def remote_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]


class Browser:
    """One Chromium for a test module; :meth:`visit` opens a page in a fresh context."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._profile = tempfile.mkdtemp(prefix="ioukit-chromium-")
        self._browser = self._pw.chromium.launch(
            executable_path=chromium_path(), args=[*CHROMIUM_FLAGS]
        )

    def close(self) -> None:
        self._browser.close()
        self._pw.stop()
        shutil.rmtree(self._profile, ignore_errors=True)

    def visit(self, path: Path, *, screenshot: Path | None = None, probe: str = "") -> PageVisit:
        """Open ``path``; wait until every ``.js-plotly-plot`` is drawn (at most 20 s);
        screenshot each plot and measure how much of it is not background."""
        visit = PageVisit()
        ctx = self._browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        page.on("console", lambda m: m.type == "error" and visit.console_errors.append(m.text))
        page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
        page.on("request", lambda r: visit.requests.append(r.url))

        def dialog(d: Any) -> None:
            visit.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        start = time.perf_counter()
        page.goto(Path(path).resolve().as_uri(), wait_until="load", timeout=30_000)
        page.wait_for_function(
            """() => {
                const plots = [...document.querySelectorAll('div.plot')];
                return plots.length > 0 && plots.every(d => d.classList.contains('js-plotly-plot')
                    && d._fullLayout !== undefined && d.querySelector('svg.main-svg') !== null);
            }""",
            timeout=20_000,
        )
        visit.seconds_to_plots = time.perf_counter() - start
        visit.title = page.title()
        if probe:
            visit.globals_set = page.evaluate(probe)
        for handle in page.query_selector_all("div.plot"):
            pid = handle.get_attribute("id") or f"plot{len(visit.plots)}"
            handle.scroll_into_view_if_needed()
            png = handle.screenshot()
            visit.plots[pid] = ink(png)
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
        ctx.close()
        return visit


def ink(png: bytes) -> dict[str, float]:
    """How much of a screenshot is drawn: the share of pixels that differ from the most
    common colour (the background), and the number of distinct colours."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    packed = (img[:, 0].astype(np.int64) << 16) | (img[:, 1].astype(np.int64) << 8) | img[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    background = values[np.argmax(counts)]
    return {
        "drawn": float(np.mean(packed != background)),
        "colours": float(values.size),
        "pixels": float(packed.size),
    }
