"""Label maps ({from: to}, the built-in Cityscapes labelIds -> trainIds) and colour palettes
(RGB masks read as class ids, exactly): loading, applying, and through evaluate_folder on the
process pool."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ioukit import multiclass_confusion_matrix
from ioukit._errors import InputError, ParameterError
from ioukit._label_remap import PaletteColourError, colours_to_ids, packed_palette
from ioukit.evaluate import evaluate_folder
from ioukit.io import apply_label_map, load_label_map, load_palette, read_label_map

Image = pytest.importorskip("PIL.Image")
Arr = np.ndarray[Any, Any]

# Cityscapes' trainIds, written out by hand from the dataset's table: the 19 evaluated classes
CITYSCAPES_TRAIN = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10}
CITYSCAPES_TRAIN |= {24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}


def test_cityscapes_label_ids_to_train_ids() -> None:
    m = load_label_map("cityscapes")
    assert sorted(m) == list(range(34))
    for label_id in range(34):
        assert m[label_id] == CITYSCAPES_TRAIN.get(label_id, 255), label_id


def test_label_map_json_forms(tmp_path: Path) -> None:
    p = tmp_path / "m.json"
    p.write_text('{"3": 1, "1": 0, "0": 255}')
    assert load_label_map(p) == {0: 255, 1: 0, 3: 1}
    p.write_text("[255, 0, 0, 1]")  # item i is what id i becomes
    assert load_label_map(str(p)) == {0: 255, 1: 0, 2: 0, 3: 1}
    for bad, words in [
        ('{"a": 1}', "a label id must be a non-negative integer; got 'a'"),
        ('{"1": -2}', "what id 1 becomes must be a non-negative integer; got -2"),
        ('"x"', "must hold a JSON object"),
        ("{}", "maps no id"),
        ("{", "is not valid JSON"),
    ]:
        p.write_text(bad)
        with pytest.raises(InputError, match="load_label_map: ") as info:
            load_label_map(p)
        assert words in str(info.value)
    with pytest.raises(InputError, match="cannot read"):
        load_label_map(tmp_path / "nope.json")


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64])
def test_apply_label_map_equals_a_loop(dtype: Any) -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 40, (17, 23)).astype(dtype)
    m = load_label_map("cityscapes")
    out = apply_label_map(labels, m)
    expected = [[m.get(int(v), int(v)) for v in row] for row in labels]  # unmapped ids stay
    assert out.tolist() == expected
    assert out.dtype == np.result_type(dtype, np.uint8)
    assert labels.max() >= 34  # some values were not in the map


def test_apply_label_map_widens_and_refuses_floats() -> None:
    out = apply_label_map(np.array([1, 2], dtype=np.uint8), {1: 300})
    assert out.dtype == np.uint16
    assert out.tolist() == [300, 2]
    with pytest.raises(InputError, match="apply_label_map: expected integer labels"):
        apply_label_map(np.array([1.0]), {1: 0})


def test_palette_forms(tmp_path: Path) -> None:
    p = tmp_path / "palette.json"
    want = {0: (128, 64, 128), 1: (244, 35, 232)}
    forms: list[object] = [
        {"0": [128, 64, 128], "1": "#f423e8"},
        [[128, 64, 128], [244, 35, 232, 255]],
        [{"id": 0, "name": "road", "color": [128, 64, 128]}, {"trainId": 1, "rgb": "f423e8"}],
        {"labels": [{"name": "road", "color": [128, 64, 128]}, {"colour": [244, 35, 232]}]},
    ]
    for form in forms:
        p.write_text(json.dumps(form))
        assert load_palette(p) == want, form
    for bad, words in [
        (
            {"0": [1, 2, 3], "1": [1, 2, 3]},
            "classes 0 and 1 have the same colour (1, 2, 3) #010203",
        ),
        ({"0": [1, 2, 300]}, "the colour of class 0 must be [r, g, b]"),
        ([{"name": "road"}], "has no colour"),
        (7, "must hold"),
    ]:
        p.write_text(json.dumps(bad))
        with pytest.raises(InputError, match="load_palette: ") as info:
            load_palette(p)
        assert words in str(info.value)


def _rgb(ids: Arr, palette: dict[int, tuple[int, int, int]]) -> Arr:
    out = np.zeros((*ids.shape, 3), dtype=np.uint8)
    for k, colour in palette.items():
        out[ids == k] = colour
    return out


PALETTE = {0: (128, 64, 128), 1: (244, 35, 232), 2: (70, 70, 70), 13: (0, 0, 142)}


def test_read_colour_masks_through_a_palette(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    ids = rng.choice([0, 1, 2, 13], (20, 30))
    rgb = _rgb(ids, PALETTE)
    Image.fromarray(rgb).save(tmp_path / "a.png")
    Image.fromarray(np.dstack([rgb, np.full(ids.shape, 255, np.uint8)])).save(tmp_path / "b.png")
    np.save(tmp_path / "c.npy", rgb)
    for name in ("a.png", "b.png", "c.npy"):
        out = read_label_map(tmp_path / name, palette=PALETTE)
        assert out.tolist() == ids.tolist(), name
        assert out.dtype == np.uint8, name
    with pytest.raises(InputError, match="colour or multi-channel"):
        read_label_map(tmp_path / "a.png")  # without a palette, colours are refused as before
    single = tmp_path / "single.png"
    Image.fromarray(ids.astype(np.uint8)).save(single)  # single-channel: read as without one
    assert read_label_map(single, palette=PALETTE).tolist() == ids.tolist()


def test_unknown_colours_are_named(tmp_path: Path) -> None:
    rgb = _rgb(np.zeros((4, 5), dtype=np.int64), PALETTE)
    rgb[0, :3] = (12, 34, 56)  # 3 pixels of a colour that is not in the palette
    rgb[3, 4] = (255, 255, 255)
    Image.fromarray(rgb).save(tmp_path / "m.png")
    with pytest.raises(PaletteColourError) as info:
        read_label_map(tmp_path / "m.png", palette=PALETTE)
    msg = str(info.value)
    assert str(tmp_path / "m.png") in msg
    assert "2 colour(s) not in the palette: (12, 34, 56) #0c2238 in 3 pixel(s); " in msg
    assert "(255, 255, 255) #ffffff in 1 pixel(s)" in msg
    assert "Add each to the palette file" in msg
    translucent = np.dstack([rgb, np.full((4, 5), 255, np.uint8)])
    translucent[0, 0, 3] = 10
    with pytest.raises(InputError, match="1 transparent or translucent"):
        colours_to_ids(translucent, PALETTE, "t.png")


def test_palette_lookup_is_exact_on_every_colour() -> None:
    # 5000 random colours, one pixel each, looked up against a loop
    rng = np.random.default_rng(2)
    colours = np.unique(rng.integers(0, 256, (5000, 3)), axis=0)
    palette = {i: tuple(int(v) for v in c) for i, c in enumerate(colours)}
    rgb = colours[rng.permutation(len(colours))].astype(np.uint8)[None]
    by_colour = {c: i for i, c in palette.items()}
    assert colours_to_ids(rgb, palette, "x").tolist() == [
        [by_colour[tuple(int(v) for v in px)] for px in rgb[0]]
    ]
    assert pickle.loads(pickle.dumps(packed_palette(palette))) == packed_palette(palette)


def _folders(root: Path, n: int = 6) -> tuple[list[Arr], list[Arr]]:
    """Cityscapes-like targets in labelIds (0..33) and predictions in trainIds (0..18, 255)."""
    rng = np.random.default_rng(3)
    m = load_label_map("cityscapes")
    lut = np.array([m[i] for i in range(34)], dtype=np.uint8)
    preds, targets = [], []
    for i in range(n):
        target = rng.integers(0, 34, (16, 24)).astype(np.uint8)
        pred = lut[target].copy()
        flip = rng.random(pred.shape) < 0.3
        pred[flip] = rng.integers(0, 19, int(flip.sum()))
        pred[pred == 255] = 0
        for folder, arr in (("pred", pred), ("gt", target)):
            (root / folder).mkdir(exist_ok=True)
            Image.fromarray(arr).save(root / folder / f"img{i}.png")
        preds.append(pred)
        targets.append(target)
    return preds, targets


@pytest.mark.parametrize("workers", [1, 2])
def test_evaluate_folder_with_cityscapes_label_map(tmp_path: Path, workers: int) -> None:
    preds, targets = _folders(tmp_path)
    m = load_label_map("cityscapes")
    ev = evaluate_folder(
        tmp_path / "pred",
        tmp_path / "gt",
        num_classes=19,
        ignore_index=255,
        label_map="cityscapes",
        workers=workers,
    )
    cm = sum(
        multiclass_confusion_matrix(p, apply_label_map(t, m), num_classes=19, ignore_index=255)
        for p, t in zip(preds, targets, strict=True)
    )
    assert np.array_equal(ev.result.confusion_matrix, cm)
    assert ev.config["label_map"]["7"] == 0
    assert ev.config["label_map_on"] == "target"
    # without the map the targets' labelIds 19..33 are outside the 19 classes: every pair fails
    with pytest.raises(InputError, match="labels outside the classes"):
        evaluate_folder(
            tmp_path / "pred", tmp_path / "gt", num_classes=19, ignore_index=255, workers=1
        )


def test_label_map_on_pred_and_both(tmp_path: Path) -> None:
    for folder, arr in (("pred", [[7, 8]]), ("gt", [[1, 1]])):
        (tmp_path / folder).mkdir()
        np.save(tmp_path / folder / "a.npy", np.array(arr, dtype=np.uint8))
    kw: dict[str, Any] = {"num_classes": 3, "ignore_index": 255, "workers": 1}
    ev = evaluate_folder(
        tmp_path / "pred", tmp_path / "gt", label_map={7: 0, 8: 1}, label_map_on="pred", **kw
    )
    assert ev.result.confusion_matrix[1].tolist() == [1, 1, 0]  # target 1: predicted 0 and 1
    ev = evaluate_folder(
        tmp_path / "pred", tmp_path / "gt", label_map={7: 1, 8: 1, 1: 2}, label_map_on="both", **kw
    )
    assert ev.result.confusion_matrix[2].tolist() == [0, 2, 0]  # target 1 -> 2, preds -> 1
    with pytest.raises(ParameterError, match="`label_map_on` must be"):
        evaluate_folder(
            tmp_path / "pred", tmp_path / "gt", label_map={7: 0}, label_map_on="x", **kw
        )  # type: ignore[arg-type]


@pytest.mark.parametrize("workers", [1, 2])
def test_evaluate_folder_reads_colour_masks(tmp_path: Path, workers: int) -> None:
    rng = np.random.default_rng(4)
    (tmp_path / "pred").mkdir()
    (tmp_path / "gt").mkdir()
    cm = np.zeros((14, 14), dtype=np.int64)
    for i in range(4):
        target = rng.choice([0, 1, 2, 13], (12, 16))
        pred = rng.choice([0, 1, 2, 13], (12, 16))
        Image.fromarray(_rgb(pred, PALETTE)).save(tmp_path / "pred" / f"{i}.png")
        Image.fromarray(target.astype(np.uint8)).save(tmp_path / "gt" / f"{i}.png")  # ids
        cm += multiclass_confusion_matrix(pred, target, num_classes=14)
    ev = evaluate_folder(
        tmp_path / "pred", tmp_path / "gt", num_classes=14, palette=PALETTE, workers=workers
    )
    assert np.array_equal(ev.result.confusion_matrix, cm)
    assert ev.config["palette"]["13"] == "#00008e"
    bad = _rgb(np.zeros((12, 16), dtype=np.int64), PALETTE)
    bad[0, 0] = (1, 2, 3)
    Image.fromarray(bad).save(tmp_path / "pred" / "0.png")
    ev = evaluate_folder(
        tmp_path / "pred",
        tmp_path / "gt",
        num_classes=14,
        palette=PALETTE,
        workers=workers,
        on_bad="skip",
    )
    assert [(p.kind, p.name) for p in ev.problems] == [("bad_labels", "0")]
    assert "(1, 2, 3) #010203 in 1 pixel(s)" in ev.problems[0].message


def test_the_report_reads_pairs_as_the_evaluation_did(tmp_path: Path) -> None:
    """The worst-image overlays of a folder evaluation go through its palette and label map:
    RGB predictions are not "unreadable", labelIds targets are drawn as trainIds."""
    pytest.importorskip("plotly")
    from ioukit.report import render_html

    rng = np.random.default_rng(5)
    (tmp_path / "pred").mkdir()
    (tmp_path / "gt").mkdir()
    for i in range(3):
        target = rng.choice([7, 8, 26], (12, 16)).astype(np.uint8)  # labelIds: road, sidewalk, car
        pred = rng.choice([0, 1, 13], (12, 16))  # trainIds, colour-coded
        Image.fromarray(_rgb(pred, PALETTE)).save(tmp_path / "pred" / f"{i}.png")
        Image.fromarray(target).save(tmp_path / "gt" / f"{i}.png")
    ev = evaluate_folder(
        tmp_path / "pred",
        tmp_path / "gt",
        num_classes=19,
        ignore_index=255,
        palette=PALETTE,
        label_map="cityscapes",
        workers=1,
    )
    html = render_html(ev, intervals=False)
    assert "colour or multi-channel" not in html
    assert html.count("data:image/png;base64") >= 6  # two views of each of the 3 images
    assert "ids relabelled, on the target files" in html
    assert "colours read as class ids" in html
