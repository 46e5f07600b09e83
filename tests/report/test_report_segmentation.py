"""The segmentation report: every number drawn is the result's own, the overlay colours follow
the stated rule pixel for pixel, thumbnails stay within their budget, and a 5,000-image page
stays small (no row or point per image beyond the histogram)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("plotly")
pytest.importorskip("PIL")

from tests.report.report_parse import decode_image, parse, rgb

import ioukit
from ioukit.plot import PALETTE, plot_confusion_matrix
from ioukit.report import render_html, write_html
from ioukit.report._thumbnails import CORRECT

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample_data"
HAS_STATS = importlib.util.find_spec("ioukit.stats") is not None

# One 4x4 image, 3 classes, 255 ignored (hand-counted):
#   class 0: TP (0,0) (1,0) (1,1); FP (1,2); FN (0,1)           -> IoU 3/5
#   class 1: TP (0,2) (0,3) (1,3); FP (0,1) (2,1); FN (1,2)     -> IoU 3/6, the worst
#            ((2,2) predicts 1 on an ignored pixel: not counted)
#   class 2: TP (2,0) (3,0..3); FN (2,1)                        -> IoU 5/6
TARGET = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 255, 255], [2, 2, 2, 2]], dtype=np.uint8)
PRED = np.array([[0, 1, 1, 1], [0, 0, 0, 1], [2, 1, 1, 2], [2, 2, 2, 2]], dtype=np.uint8)


def _random(n: int = 8, c: int = 4, seed: int = 0, **kw: object) -> ioukit.SegmentationResult:
    rng = np.random.default_rng(seed)
    ev = ioukit.SegmentationEvaluator(c, ignore_index=255, **kw)  # type: ignore[arg-type]
    for i in range(n):
        t = rng.integers(0, c, (12, 16))
        p = np.where(rng.random((12, 16)) < 0.5 + 0.05 * i, t, rng.integers(0, c, (12, 16)))
        ev.update(p, t, names=[f"im{i}"])
    return ev.result()


def _pairs(tmp_path: Path, n: int = 8, c: int = 4, seed: int = 0):
    """The label maps of :func:`_random` written as .npy files, and the result of evaluating
    them through the folder evaluation."""
    rng = np.random.default_rng(seed)
    for d in ("pred", "gt"):
        (tmp_path / d).mkdir()
    for i in range(n):
        t = rng.integers(0, c, (12, 16)).astype(np.uint8)
        p = np.where(rng.random((12, 16)) < 0.5 + 0.05 * i, t, rng.integers(0, c, (12, 16)))
        np.save(tmp_path / "gt" / f"im{i}.npy", t)
        np.save(tmp_path / "pred" / f"im{i}.npy", p.astype(np.uint8))
    return ioukit.evaluate_folder(
        tmp_path / "pred", tmp_path / "gt", num_classes=c, ignore_index=255, workers=1
    )


def test_per_class_table_and_bars_are_the_results_numbers() -> None:
    r = _random(class_names=["sky", "road", "car", "tree"])
    doc = parse(render_html(r, intervals=False))
    t = doc.tables["table-classes"]
    assert [c.text for c in t.column("class")] == ["sky", "road", "car", "tree"]
    for header, values in [("IoU", r.iou), ("Dice", r.dice), ("precision", r.precision),
                           ("recall", r.recall), ("target pixels", r.support), ("TP", r.tp),
                           ("FP", r.fp), ("FN", r.fn)]:  # fmt: skip
        got = [c.number for c in t.column(header)]
        np.testing.assert_array_equal(got, np.asarray(values, dtype=np.float64))
    bars = doc.figures["plot-class-iou"]["data"][0]
    order = np.argsort(-r.iou, kind="stable")
    assert bars["x"] == r.iou[order].tolist()
    assert bars["y"] == [r.class_names[k] for k in order]
    assert t.id in {"table-classes"}
    assert "sortable" in t.classes


def test_headline_and_every_convention_are_shown() -> None:
    r = _random()
    doc = parse(render_html(r, intervals=False))
    text = doc.text()
    for value in r.summary().values():
        assert f"{value:.4f}" in text
    conv = doc.tables["table-conventions"]
    got = {
        c.text: v.number
        for c, v in zip(conv.column("convention"), conv.column("mIoU"), strict=True)
    }
    want = {k: (math.nan if v is None else v) for k, v in r.conventions().items()}
    assert got.keys() == want.keys()
    np.testing.assert_array_equal(list(got.values()), list(want.values()))
    assert "not computed (intervals=False)" in text


def test_configuration_in_words() -> None:
    r = _random(class_names=["a", "b", "c", "d"])
    text = parse(render_html(r, intervals=False)).text()
    assert "255: target pixels with these values are not counted" in text
    assert "rows = target, columns = prediction" in text
    assert "classes with no target and no prediction pixels" in text


def test_confusion_matrix_rows_are_targets_row_normalised_with_raw_counts() -> None:
    r = _random()
    fig = parse(render_html(r, intervals=False)).figures["plot-confusion"]
    trace = fig["data"][0]
    z = plot_confusion_matrix(r, normalize="true").data[0].z
    np.testing.assert_array_equal(np.array(trace["z"], dtype=float), z)
    assert trace["customdata"] == r.confusion_matrix.tolist()
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"
    assert fig["layout"]["yaxis"]["title"]["text"] == "target"


def test_many_classes_draw_the_most_confused_forty() -> None:
    r = _random(n=3, c=60)
    doc = parse(render_html(r, intervals=False))
    trace = doc.figures["plot-confusion"]["data"][0]
    errors = r.fp + r.fn
    keep = np.sort(np.argsort(-errors, kind="stable")[:40])
    assert trace["y"] == [r.class_names[k] for k in keep]
    assert trace["customdata"] == r.confusion_matrix[np.ix_(keep, keep)].tolist()
    assert "Of the 60 classes, the 40 with the most wrong pixels" in doc.text()
    assert "texttemplate" not in trace  # too many cells to write in


def test_histogram_counts_every_image_once() -> None:
    r = _random(n=30)
    fig = parse(render_html(r, intervals=False)).figures["plot-histogram"]
    bars = fig["data"][0]
    assert len(bars["y"]) == 50
    assert sum(bars["y"]) == 30
    for v in r.per_image_miou:  # each image in the bin [k/50, (k+1)/50)
        k = min(int(v * 50), 49)
        assert bars["x"][k] <= v < bars["customdata"][k] or v == 1.0
    assert fig["layout"]["shapes"][0]["x0"] == r.miou  # the dataset-level mIoU line


def test_worst_images_are_the_lowest_miou(tmp_path: Path) -> None:
    r = _random(n=10)
    doc = parse(render_html(r, intervals=False, max_thumbnails=4))
    t = doc.tables["table-worst"]
    order = np.argsort(r.per_image_miou, kind="stable")[:4]
    assert [c.text for c in t.column("image")] == [r.image_names[i] for i in order]
    assert [c.number for c in t.column("mIoU")] == r.per_image_miou[order].tolist()
    worst = [int(np.nanargmin(r.per_image_iou[i])) for i in order]
    assert [c.text for c in t.column("worst class")] == [r.class_names[k] for k in worst]
    assert [c.number for c in t.column("its IoU")] == [
        r.per_image_iou[i, k] for i, k in zip(order, worst, strict=True)
    ]
    assert "overlays" not in t.headers
    assert "Pass pairs=" in doc.text()
    assert parse(render_html(r, intervals=False, max_thumbnails=0)).tables["table-worst"].rows == []


def test_overlay_colours_follow_the_rule(tmp_path: Path) -> None:
    np.save(tmp_path / "p.npy", PRED)
    np.save(tmp_path / "t.npy", TARGET)
    ev = ioukit.SegmentationEvaluator(3, ignore_index=255, class_names=["bg", "cat", "dog"])
    ev.update(PRED, TARGET, names=["one"])
    r = ev.result()
    np.testing.assert_allclose(r.per_image_iou[0], [3 / 5, 3 / 6, 5 / 6])
    doc = parse(render_html(r, intervals=False, pairs={"one": (tmp_path / "p.npy",
                                                                 tmp_path / "t.npy")}))  # fmt: skip
    row = doc.tables["table-worst"].rows[0]
    assert row[3].text == "cat"
    worst, every = (decode_image(u) for u in row[5].html_imgs)
    assert worst.shape == every.shape == (4, 4, 3)  # label maps are not resampled when small
    tp, fp, fn, ign = (rgb(PALETTE[k]) for k in ("tp", "fp", "fn", "ignored"))
    expect = {(0, 2): tp, (0, 3): tp, (1, 3): tp, (0, 1): fp, (2, 1): fp, (1, 2): fn,
              (2, 2): ign, (2, 3): ign}  # fmt: skip
    for (y, x), colour in expect.items():
        assert tuple(worst[y, x]) == colour, (y, x)
    rest = [(y, x) for y in range(4) for x in range(4) if (y, x) not in expect]
    marks = {tp, fp, fn, ign}
    assert all(tuple(worst[y, x]) not in marks for y, x in rest)  # dimmed, never a mark
    wrong = {(0, 1), (1, 2), (2, 1)}
    for y in range(4):
        for x in range(4):
            want = ign if TARGET[y, x] == 255 else fp if (y, x) in wrong else rgb(CORRECT)
            assert tuple(every[y, x]) == want, (y, x)


def test_overlays_on_the_original_images(tmp_path: Path) -> None:
    from PIL import Image

    ev = _pairs(tmp_path, n=3)
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        rng = np.random.default_rng(i)
        Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)).save(
            photos / f"im{i}.JPG"
        )
    doc = parse(render_html(ev.result, intervals=False, pairs=ev.pairs, images=photos))
    cells = doc.tables["table-worst"].column("overlays")
    assert all(len(c.html_imgs) == 2 for c in cells)
    assert all(u.startswith("data:image/jpeg;base64,") for c in cells for u in c.html_imgs)
    # the photo is shrunk to the label map's thumbnail size (12 x 16)
    assert decode_image(cells[0].html_imgs[0]).shape == (12, 16, 3)
    # images alone (no label maps): the photographs themselves
    doc = parse(render_html(ev.result, intervals=False, images=photos))
    assert all(len(c.html_imgs) == 1 for c in doc.tables["table-worst"].column("overlays"))


def test_thumbnail_budget_is_never_exceeded(tmp_path: Path) -> None:
    ev = _pairs(tmp_path, n=8)
    full = parse(render_html(ev.result, intervals=False, pairs=ev.pairs))
    sizes = [
        sum(len(u) for u in c.html_imgs) for c in full.tables["table-worst"].column("overlays")
    ]
    assert len(sizes) == 8
    assert all(sizes)
    budget = sizes[0] + sizes[1] + sizes[2] // 2  # room for two images and a half
    doc = parse(render_html(ev.result, intervals=False, pairs=ev.pairs, thumbnail_budget=budget))
    used = [sum(len(u) for u in c.html_imgs) for c in doc.tables["table-worst"].column("overlays")]
    assert used[:2] == sizes[:2]
    assert used[2:] == [0] * 6
    assert sum(used) <= budget
    assert "the thumbnails of 6 images were left out because the budget was reached" in doc.text()
    assert "4 thumbnails embedded" in doc.text()


def test_folder_evaluation_finds_its_label_maps(tmp_path: Path) -> None:
    ev = _pairs(tmp_path, n=3)
    doc = parse(render_html(ev, intervals=False))
    assert all(len(c.html_imgs) == 2 for c in doc.tables["table-worst"].column("overlays"))
    text = doc.text()
    assert str(tmp_path / "pred") in text
    assert "3 pairs found, 3 evaluated, 0 problems" in text


def test_sample_data_report(tmp_path: Path) -> None:
    names = json.loads((SAMPLE / "classes.json").read_text())
    ev = ioukit.evaluate_folder(
        SAMPLE / "pred", SAMPLE / "target", num_classes=5, ignore_index=255,
        class_names={int(k): v for k, v in names.items()}, workers=1,
    )  # fmt: skip
    out = write_html(ev, tmp_path / "sample.html", intervals=False)
    doc = parse(out.read_text(encoding="utf-8"))
    assert set(doc.sections) >= {"summary", "config", "classes", "confusion", "images", "worst"}
    assert len(doc.tables["table-worst"].rows) == 6
    assert sum(len(c.html_imgs) for c in doc.tables["table-worst"].column("overlays")) == 12


def test_without_per_image_counts() -> None:
    r = _random(per_image=False)
    doc = parse(render_html(r))
    assert "plot-histogram" not in doc.plots
    assert "table-worst" not in doc.tables
    assert "Per-image counts were not kept" in doc.text()
    assert "Confidence intervals: " in doc.text()


def test_ignored_class_and_boundary_columns() -> None:
    rng = np.random.default_rng(3)
    ev = ioukit.SegmentationEvaluator(3, ignore_index=[2, 255], boundary=0.1)
    for i in range(3):
        t = rng.integers(0, 3, (16, 16))
        ev.update(np.where(rng.random((16, 16)) < 0.8, t, 1 - t % 2), t, names=[f"b{i}"])
    r = ev.result()
    doc = parse(render_html(r, intervals=False))
    t = doc.tables["table-classes"]
    assert [c.number for c in t.column("Boundary IoU")][:2] == r.boundary_iou[:2].tolist()
    assert t.column("undefined because")[2].text == "ignored"
    assert doc.figures["plot-confusion"]["data"][0]["y"][2] == "2 (ignored)"


def test_five_thousand_images_stay_small(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    ev = ioukit.SegmentationEvaluator(19, per_image=True)
    for i in range(5000):
        cm = np.diag(rng.integers(0, 40_000, 19)) + rng.integers(0, 800, (19, 19))
        ev.add_confusion_matrix(cm.astype(np.int64), name=f"frame_{i:06d}")
    out = write_html(ev.result(), tmp_path / "big.html", intervals=False)
    html = out.read_text(encoding="utf-8")
    assert out.stat().st_size < 15 * 2**20
    doc = parse(html)
    assert sum(len(t.rows) for t in doc.tables.values()) < 120  # no row per image
    figures = json.dumps(doc.figures)
    assert len(figures) < 100_000
    assert figures.count("frame_") == 0  # no point per image
    assert html.count("frame_") == 2 * 24  # the worst images' rows only (text and sort key)


@pytest.mark.skipif(not HAS_STATS, reason="ioukit.stats (the bootstrap) is not there yet")
def test_intervals_are_those_of_ioukit_stats() -> None:
    from ioukit.stats import confidence_intervals

    r = _random(n=12)
    keys = ["miou", "mdice", "pixel_accuracy", "mean_accuracy", "fw_iou"]
    cis = confidence_intervals(r, keys, n_resamples=300, random_state=4)
    doc = parse(render_html(r, n_resamples=300, random_state=4))
    marks = doc.figures["plot-headline"]["data"][1]
    assert marks["customdata"] == [[cis[k].low, cis[k].high] for k in keys]
    assert marks["x"] == [getattr(r, k) for k in keys]
    text = doc.text()
    assert "300 resamples of the 12 images" in text
    assert "random_state=4" in text
    assert f"[{cis['miou'].low:.4f}, {cis['miou'].high:.4f}]" in text


def test_find_image_by_name(tmp_path: Path) -> None:
    from ioukit.report._thumbnails import find_image

    (tmp_path / "city").mkdir()
    for f in ("city/a.JPEG", "b.png", "c.jpg", "c.png"):
        (tmp_path / f).touch()
    assert find_image(tmp_path, "city/a") == tmp_path / "city" / "a.JPEG"
    assert find_image(tmp_path, "b.png") == tmp_path / "b.png"  # the name itself
    assert find_image(tmp_path, "c") == tmp_path / "c.jpg"  # .jpg before .png
    assert find_image(tmp_path, "c.tif") == tmp_path / "c.jpg"  # a panoptic name's stem
    assert find_image(tmp_path, "d") is None
    assert find_image(tmp_path / "city", "../b.png") is None  # never outside the folder
    assert find_image(tmp_path / "city", str(tmp_path / "b.png")) is None
