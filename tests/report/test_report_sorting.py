"""The page's sortable tables in a browser (headless Chromium): a click on a heading sorts the
rows, numbers numerically (not as text), undefined values last in both directions, text by
natural order; a second click reverses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("plotly")

from tests.report.browser import CHROMIUM_FLAGS, chromium_path

import ioukit
from ioukit.report import write_html


def _result() -> ioukit.SegmentationResult:
    # rows = target: IoU 2/13, 8/11, NaN (class 2 absent), 9/10, 1/10; target pixels 4, 9,
    # 0, 9, 10 (as text "10" would sort before "4")
    ev = ioukit.SegmentationEvaluator(5, class_names=["b10", "b9", "absent", "a", "c"])
    cms = np.zeros((5, 5), dtype=np.int64)
    cms[0, 0], cms[0, 1] = 2, 2  # class 0: tp 2, fn 2, fp 9 (from class 4) -> 2/13
    cms[1, 1], cms[1, 3] = 8, 1  # class 1: tp 8, fn 1, fp 2 (from class 0) -> 8/11
    cms[3, 3] = 9  # class 3: tp 9, fp 1 (from class 1) -> 9/10
    cms[4, 4], cms[4, 0] = 1, 9  # class 4: tp 1, fn 9 -> 1/10
    ev.add_confusion_matrix(cms, name="one")
    return ev.result()


def _column_after_clicks(path: Path, table: str, header: str, clicks: int) -> list[str]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.goto(path.resolve().as_uri(), wait_until="load")
        th = page.locator(f"#{table} th", has_text=header).first
        for _ in range(clicks):
            th.click()
        k = th.evaluate("th => th.cellIndex")
        names = page.eval_on_selector_all(
            f"#{table} tbody tr", f"rows => rows.map(r => r.cells[{k}].textContent)"
        )
        order = page.eval_on_selector_all(
            f"#{table} tbody tr", "rows => rows.map(r => r.cells[1].textContent)"
        )
        browser.close()
    return [*order, "|", *names]


def test_numbers_sort_numerically_with_undefined_last(tmp_path: Path) -> None:
    chromium_path()
    r = _result()
    page = write_html(r, tmp_path / "r.html", intervals=False)
    iou = r.iou
    defined = [c for c in np.argsort(iou) if not np.isnan(iou[c])]
    up = [r.class_names[c] for c in defined] + ["absent"]
    down = [r.class_names[c] for c in defined[::-1]] + ["absent"]
    np.testing.assert_allclose(iou, [2 / 13, 8 / 11, np.nan, 9 / 10, 1 / 10])
    got = _column_after_clicks(page, "table-classes", "IoU", 1)
    assert got[:5] == up
    assert got[-1] == "—"  # the NaN cell
    assert _column_after_clicks(page, "table-classes", "IoU", 2)[:5] == down


def test_counts_sort_as_numbers(tmp_path: Path) -> None:
    chromium_path()
    r = _result()
    assert r.support.tolist() == [4, 9, 0, 9, 10]
    page = write_html(r, tmp_path / "r.html", intervals=False)
    got = _column_after_clicks(page, "table-classes", "target pixels", 1)
    assert got[6:] == ["0", "4", "9", "9", "10"]


def test_text_sorts_in_natural_order(tmp_path: Path) -> None:
    chromium_path()
    page = write_html(_result(), tmp_path / "r.html", intervals=False)
    got = _column_after_clicks(page, "table-classes", "class", 1)
    assert got[:5] == ["a", "absent", "b9", "b10", "c"]
