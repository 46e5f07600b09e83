"""ioukit.io: reading label maps (every image mode), pairing folders, reduce_zero_label and class
names. Small files generated in tmp_path."""

from __future__ import annotations

import builtins
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ioukit import InputError, MissingDependencyError
from ioukit.io import load_class_names, pair_files, read_label_map, reduce_zero_label

Image = pytest.importorskip("PIL.Image")

RNG = np.random.default_rng(7)


def _labels(shape: tuple[int, ...], high: int, dtype: Any = np.uint8) -> np.ndarray[Any, Any]:
    return RNG.integers(0, high, shape).astype(dtype)


def _touch(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"")


# -- read_label_map: every mode ------------------------------------------------------------------


def test_palette_png_keeps_indices_not_colours(tmp_path: Path) -> None:
    arr = _labels((37, 53), 256)
    im = Image.fromarray(arr)
    # a palette that maps every index to a colour unrelated to it
    im.putpalette(RNG.integers(0, 256, 768).astype(np.uint8).tolist())
    assert im.mode == "P"
    im.save(tmp_path / "p.png")
    out = read_label_map(tmp_path / "p.png")
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize(
    ("name", "arr", "mode"),
    [
        ("l.png", _labels((40, 64), 256), "L"),
        ("i16.png", _labels((40, 64), 65536, np.uint16), "I;16"),
        ("big.png", _labels((300, 517), 19), "L"),  # odd width, more than one zlib block
        ("l.tif", _labels((40, 64), 256), "L"),
        ("i16.tif", _labels((40, 64), 65536, np.uint16), "I;16"),
        ("i32.tif", _labels((40, 64), 100000, np.int32), "I"),
    ],
)
def test_modes(tmp_path: Path, name: str, arr: np.ndarray[Any, Any], mode: str) -> None:
    Image.fromarray(arr).save(tmp_path / name)
    with Image.open(tmp_path / name) as im:
        assert im.mode == mode
    out = read_label_map(tmp_path / name)
    assert out.dtype == arr.dtype
    assert out.dtype.byteorder in ("=", "|")
    np.testing.assert_array_equal(out, arr)


def test_lzw_tiff_and_upper_case_extension(tmp_path: Path) -> None:
    arr = _labels((33, 47), 7)
    Image.fromarray(arr).save(tmp_path / "a.TIFF", compression="tiff_lzw")
    np.testing.assert_array_equal(read_label_map(tmp_path / "a.TIFF"), arr)


def test_bilevel_png_gives_uint8(tmp_path: Path) -> None:
    arr = _labels((20, 30), 2).astype(bool)
    Image.fromarray(arr).save(tmp_path / "b.png")
    out = read_label_map(tmp_path / "b.png")
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, arr.astype(np.uint8))


def test_npy_any_shape(tmp_path: Path) -> None:
    vol = _labels((3, 8, 9), 5, np.int64)
    np.save(tmp_path / "v.npy", vol)
    out = read_label_map(tmp_path / "v.npy")
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, vol)


def test_decoding_into_numpy_matches_pillow(tmp_path: Path) -> None:
    # the zero-copy decode gives the same array as np.asarray(Image.open(...)), and a fresh one
    arr = _labels((64, 96), 19)
    im = Image.fromarray(arr)
    im.putpalette(list(range(256)) * 3)
    im.save(tmp_path / "a.png")
    first, second = read_label_map(tmp_path / "a.png"), read_label_map(tmp_path / "a.png")
    with Image.open(tmp_path / "a.png") as ref:
        np.testing.assert_array_equal(first, np.asarray(ref))
    assert first.flags.writeable
    first[:] = 0
    np.testing.assert_array_equal(second, arr)


# -- read_label_map: refusals ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "LA"])
def test_colour_images_are_refused(tmp_path: Path, mode: str) -> None:
    Image.new(mode, (8, 6)).save(tmp_path / "c.png")
    with pytest.raises(
        InputError, match=rf"c\.png: is a colour or multi-channel image \(mode {mode}\).*class ids"
    ):
        read_label_map(tmp_path / "c.png")


def test_multi_frame_tiff_is_refused(tmp_path: Path) -> None:
    frames = [Image.fromarray(_labels((5, 6), 3)) for _ in range(3)]
    frames[0].save(tmp_path / "m.tif", save_all=True, append_images=frames[1:])
    with pytest.raises(InputError, match=r"m\.tif: has 3 frames"):
        read_label_map(tmp_path / "m.tif")


@pytest.mark.parametrize("damage", ["header", "half", "garbage"])
def test_corrupt_png(tmp_path: Path, damage: str) -> None:
    Image.fromarray(_labels((50, 70), 255)).save(tmp_path / "ok.png")
    data = bytearray((tmp_path / "ok.png").read_bytes())
    if damage == "header":
        data = data[:10]
    elif damage == "half":  # truncated inside the pixel data
        data = data[: len(data) // 2]
    else:  # the compressed pixel data overwritten
        mid = len(data) // 2
        data[mid : mid + 64] = bytes(range(64))
    (tmp_path / "bad.png").write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"bad\.png: cannot read it as PNG"):
        read_label_map(tmp_path / "bad.png")


def test_wrong_format_and_missing_file(tmp_path: Path) -> None:
    Image.fromarray(_labels((5, 5), 3)).save(tmp_path / "t.tif")
    (tmp_path / "t.png").write_bytes((tmp_path / "t.tif").read_bytes())  # a TIFF named .png
    with pytest.raises(InputError, match=r"t\.png: cannot read it as PNG"):
        read_label_map(tmp_path / "t.png")
    with pytest.raises(InputError, match=r"nope\.png: no such file"):
        read_label_map(tmp_path / "nope.png")
    with pytest.raises(InputError, match=r"unsupported file type '\.jpg'"):
        read_label_map(tmp_path / "x.jpg")


def test_npy_refusals(tmp_path: Path) -> None:
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object))
    with pytest.raises(InputError, match=r"o\.npy: cannot read it as \.npy"):
        read_label_map(tmp_path / "o.npy")
    np.save(tmp_path / "s.npy", np.array(["a", "b"]))
    with pytest.raises(InputError, match=r"s\.npy: holds <U1 values"):
        read_label_map(tmp_path / "s.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(InputError, match=r"junk\.npy: cannot read"):
        read_label_map(tmp_path / "junk.npy")


def test_decompression_bomb_guard_stays_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Image.fromarray(_labels((64, 64), 3)).save(tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 4096 pixels > 2 x 1000
    with pytest.raises(InputError, match=r"bomb\.png: refused as a possible decompression bomb"):
        read_label_map(tmp_path / "bomb.png")
    assert Image.MAX_IMAGE_PIXELS == 1000  # ioukit did not switch the guard off


def test_missing_pillow_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_pil(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    from ioukit._errors import install_hint

    with pytest.raises(MissingDependencyError, match=re.escape(install_hint("io", "pillow"))):
        read_label_map(tmp_path / "a.png")
    np.save(tmp_path / "a.npy", np.zeros((2, 2), np.uint8))  # .npy needs no Pillow
    assert read_label_map(tmp_path / "a.npy").shape == (2, 2)


# -- pair_files --------------------------------------------------------------------------------


def test_pairing_by_relative_path_and_stem(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "pred/a.png",
        "pred/b.PNG",  # extension case does not matter
        "pred/c.npy",  # nor does the extension itself
        "pred/sub/deep/d.tif",
        "pred/sub/e.png",
        "pred/extra.png",
        "pred/notes.txt",  # not a label map
        "pred/.hidden.png",  # hidden
        "target/a.png",
        "target/b.png",
        "target/c.tiff",
        "target/sub/deep/d.png",
        "target/e.png",  # e is in sub/ among the predictions: not the same file
        "target/f.png",
        "target/.git/x.png",
    )
    pairs, missing, extra = pair_files(tmp_path / "pred", tmp_path / "target")
    assert [p.name for p in pairs] == ["a", "b", "c", "sub/deep/d"]
    assert pairs[1].pred == tmp_path / "pred/b.PNG"
    assert pairs[2].target == tmp_path / "target/c.tiff"
    assert missing == ["e.png", "f.png"]
    assert extra == ["extra.png", "sub/e.png"]


def test_pairing_suffixes(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "pred/x_1_pred.png",
        "pred/x_2_pred.png",
        "pred/x_3.png",  # not a prediction: no _pred suffix
        "gt/x_1_gtFine_labelIds.png",
        "gt/x_1_gtFine_color.png",  # not a target: other suffix
        "gt/x_2_gtFine_labelIds.png",
    )
    pairs, missing, extra = pair_files(
        tmp_path / "pred", tmp_path / "gt", target_suffix="_gtFine_labelIds", pred_suffix="_pred"
    )
    assert [(p.name, p.pred.name, p.target.name) for p in pairs] == [
        ("x_1", "x_1_pred.png", "x_1_gtFine_labelIds.png"),
        ("x_2", "x_2_pred.png", "x_2_gtFine_labelIds.png"),
    ]
    assert missing == extra == []


def test_pairing_duplicates_are_errors(tmp_path: Path) -> None:
    _touch(
        tmp_path, "p/a.png", "p/a.tif", "p/s/b.png", "p/s/b.npy", "t/a.png", "t/c.png", "t/c.npy"
    )
    with pytest.raises(InputError) as info:
        pair_files(tmp_path / "p", tmp_path / "t")
    message = str(info.value)
    assert "ambiguous" in message
    assert "prediction folder: a.png and a.tif" in message
    assert "prediction folder: s/b.npy and s/b.png" in message
    assert "target folder: c.npy and c.png" in message


def test_pairing_order_is_deterministic(tmp_path: Path) -> None:
    names = [f"{c}{i}.png" for c in "zyxa" for i in (10, 2, 1)]
    _touch(tmp_path, *(f"p/{n}" for n in names), *(f"t/{n}" for n in names))
    pairs = pair_files(tmp_path / "p", tmp_path / "t").pairs
    assert [p.name for p in pairs] == sorted(n[:-4] for n in names)


def test_pairing_follows_linked_folders_once(tmp_path: Path) -> None:
    _touch(tmp_path, "data/a.png", "p/b.png", "t/sub/a.png", "t/b.png")
    (tmp_path / "p/sub").symlink_to(tmp_path / "data", target_is_directory=True)
    (tmp_path / "p/loop").symlink_to(tmp_path / "p", target_is_directory=True)  # a cycle
    pairs, missing, extra = pair_files(tmp_path / "p", tmp_path / "t")
    assert [p.name for p in pairs] == ["b", "sub/a"]
    assert missing == extra == []


def test_pairing_needs_folders(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"`pred_dir` '.*nope' is not a folder"):
        pair_files(tmp_path / "nope", tmp_path)


# -- reduce_zero_label -------------------------------------------------------------------------


def test_reduce_zero_label_is_mmseg() -> None:
    x = np.array([[0, 1, 2], [150, 254, 255]], dtype=np.uint8)
    out = reduce_zero_label(x)
    # 0 → 255, v → v - 1, 255 stays (254 → 253)
    assert out.tolist() == [[255, 0, 1], [149, 253, 255]]
    assert out.dtype == np.uint8
    assert x[0, 0] == 0  # the input is not modified
    # MMSegmentation's three steps, on a wider dtype: 256 becomes 255 too
    w = np.array([0, 1, 255, 256, 1000], dtype=np.uint16)
    ref = w.copy()
    ref[ref == 0] = 255
    ref = ref - 1
    ref[ref == 254] = 255
    np.testing.assert_array_equal(reduce_zero_label(w), ref)
    assert reduce_zero_label(np.array([0, 3], dtype=np.int8)).tolist() == [255, 2]
    with pytest.raises(InputError, match="integer labels"):
        reduce_zero_label(np.array([0.0, 1.0]))


# -- load_class_names --------------------------------------------------------------------------


def test_class_names_formats(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"0": "road", "2": "car", "1": "person"}')
    assert load_class_names(tmp_path / "a.json") == {0: "road", 1: "person", 2: "car"}
    (tmp_path / "b.json").write_text('["road", "person"]')
    assert load_class_names(tmp_path / "b.json") == {0: "road", 1: "person"}
    (tmp_path / "c.txt").write_text("# names\nroad\nperson\n\n\n")
    assert load_class_names(tmp_path / "c.txt") == {0: "road", 1: "person"}
    (tmp_path / "names").write_text("road\n")
    assert load_class_names(tmp_path / "names") == {0: "road"}


def test_class_names_yaml(tmp_path: Path) -> None:
    (tmp_path / "n.yaml").write_text("0: road\n1: car\n")
    try:
        import yaml  # noqa: F401
    except ImportError:
        with pytest.raises(MissingDependencyError, match="pip install pyyaml"):
            load_class_names(tmp_path / "n.yaml")
    else:
        assert load_class_names(tmp_path / "n.yaml") == {0: "road", 1: "car"}


def test_class_names_errors(tmp_path: Path) -> None:
    (tmp_path / "gap.txt").write_text("road\n\ncar\n")
    with pytest.raises(InputError, match="blank line between class names"):
        load_class_names(tmp_path / "gap.txt")
    (tmp_path / "k.json").write_text('{"road": 0}')
    with pytest.raises(InputError, match="class ids must be non-negative integers; got 'road'"):
        load_class_names(tmp_path / "k.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(InputError, match="not valid JSON"):
        load_class_names(tmp_path / "bad.json")
    (tmp_path / "s.json").write_text('"road"')
    with pytest.raises(InputError, match="mapping"):
        load_class_names(tmp_path / "s.json")
    with pytest.raises(InputError, match="cannot read"):
        load_class_names(tmp_path / "missing.json")


# -- skipped files and pairing hints ---------------------------------------------------------


def test_pairing_lists_skipped_files_and_still_unpacks(tmp_path: Path) -> None:
    import pickle

    for f in ["p/a.png", "p/b.jpg", "p/c.JPEG", "p/d.bmp", "p/notes.txt", "t/a.png", "t/b.png"]:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).touch()
    pairing = pair_files(tmp_path / "p", tmp_path / "t")
    pairs, missing, extra = pairing  # the three fields, as before
    assert ([p.name for p in pairs], missing, extra) == (["a"], ["b.png"], [])
    assert [(f.folder, f.path, f.kind) for f in pairing.skipped] == [
        ("prediction", "b.jpg", "lossy"),
        ("prediction", "c.JPEG", "lossy"),
        ("prediction", "d.bmp", "image"),
        ("prediction", "notes.txt", "other"),
    ]
    assert "JPEG is lossy" in pairing.skipped[0].reason
    assert pickle.loads(pickle.dumps(pairing)).skipped == pairing.skipped


def test_suggest_suffixes_on_cityscapes_names() -> None:
    from ioukit._pair_hints import pairing_hint, suggest_suffixes

    stems = [f"frankfurt/frankfurt_{i:06d}_000019" for i in range(50)]
    preds = [f"{s}_leftImg8bit" for s in stems]
    targets = [f"{s}_gtFine_labelIds" for s in stems[:-2]]  # two targets fewer
    assert suggest_suffixes(preds, targets) == ("_leftImg8bit", "_gtFine_labelIds", 48)
    assert suggest_suffixes(preds, [f"{s}_gt" for s in stems]) == ("_leftImg8bit", "_gt", 50)
    assert suggest_suffixes(stems, [f"{s}_gt" for s in stems]) == ("", "_gt", 50)
    hint = pairing_hint(targets, preds, pred_suffix="", target_suffix="", paired=0)
    assert hint is not None
    assert (hint.swap, hint.pred_suffix, hint.target_suffix, hint.pairs) == (
        True,
        "_leftImg8bit",
        "_gtFine_labelIds",
        48,
    )


def test_no_hint_on_weak_evidence() -> None:
    from ioukit._pair_hints import pairing_hint, suggest_suffixes

    # names that share a start but no consistent end: nothing is suggested
    assert suggest_suffixes(["img_001", "img_002", "img_003"], ["img_004", "img_005"]) is None
    # a suffix that pairs only half of the files is not suggested
    preds = [f"a{i}_x" for i in range(10)]
    targets = [f"a{i}_y" for i in range(5)] + [f"b{i}" for i in range(5)]
    assert suggest_suffixes(preds, targets) is None
    # options that already pair half of the files: no hint, the problems are listed instead
    names = [f"n{i}" for i in range(10)]
    assert (
        pairing_hint(names, names[:5] + ["z"] * 5, pred_suffix="", target_suffix="", paired=5)
        is None
    )
    # a prediction folder whose ends say "prediction" is not taken for targets
    hint = pairing_hint(
        [f"{n}_pred" for n in names],
        [f"{n}_gt" for n in names],
        pred_suffix="",
        target_suffix="",
        paired=0,
    )
    assert hint is not None
    assert (hint.swap, hint.pred_suffix, hint.target_suffix) == (False, "_pred", "_gt")
