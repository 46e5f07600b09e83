"""The compiled COCO file reader equals Python's ``json`` reader, field for field, and hands
everything it does not handle to it."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.detection.coco_helpers import random_dataset

import ioukit
from ioukit._errors import InputError
from ioukit.detection import _coco_fast, _coco_load
from ioukit.kernels import json_columns as jc

GT_FIELDS = ("image_id", "category_id", "bbox", "area", "crowd", "id_nonzero", "ann_id", "ignore")
DT_FIELDS = ("image_id", "category_id", "score", "bbox", "area")


@pytest.fixture(autouse=True)
def _every_file_to_the_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the compiled reader: files of any size go to it (outside them,
    files under ``FAST_READER_MIN_BYTES`` go to Python's ``json``)."""
    monkeypatch.setattr(_coco_load, "FAST_READER_MIN_BYTES", 0)


def _write(tmp: Path, name: str, data: Any, **dump: Any) -> Path:
    path = tmp / name
    path.write_text(json.dumps(data, **dump))
    return path


def _same_gt(a: Any, b: Any) -> None:
    for f in ("img_ids", "img_sizes", "cat_ids", "cat_names"):
        assert getattr(a, f) == getattr(b, f), f
    for f in GT_FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        assert x.dtype == y.dtype, f
        assert np.array_equal(x, y), f


def _same_dt(a: Any, b: Any) -> None:
    for f in DT_FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        assert x.dtype == y.dtype, f
        assert np.array_equal(x, y), f
        if x.dtype.kind == "f":  # bit for bit, signed zeros included
            assert np.array_equal(x.view(np.int64), y.view(np.int64)), f


def _masks(table: Any, rows: Any, g: Any, arg: str, ids: Any) -> list[Any]:
    out = _coco_load.to_rles(arg, table, ids, rows, g)
    return [r["counts"].encode() if isinstance(r["counts"], str) else r["counts"] for r in out]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("masks", [False, True])
def test_fast_reader_equals_python_reader(tmp_path: Path, seed: int, masks: bool) -> None:
    gt, dt = random_dataset(seed, masks=masks)
    gp = _write(tmp_path, "gt.json", gt)
    dp = _write(tmp_path, "dt.json", dt, indent=1)  # whitespace everywhere
    assert _coco_fast.fast_gt(_coco_fast.read_bytes(gp), need_boxes=not masks) is not None
    fast_g = _coco_load.load_gt(gp, need_boxes=not masks)
    slow_g = _coco_load.load_gt(gt, need_boxes=not masks)
    _same_gt(fast_g, slow_g)
    fast_d = _coco_load.load_results(dp, fast_g, need_masks=masks)
    slow_d = _coco_load.load_results(dt, slow_g, need_masks=masks)
    assert isinstance(fast_d.image_id, np.ndarray)
    _same_dt(fast_d, slow_d)
    if masks:
        assert isinstance(fast_g.segmentation, _coco_fast.MaskTable)
        rows = np.arange(len(gt["annotations"]))
        assert _masks(fast_g.segmentation, rows, fast_g, "gt", fast_g.image_id) == _masks(
            slow_g.segmentation, rows, slow_g, "gt", slow_g.image_id
        )
        rows = np.arange(len(dt))
        assert _masks(fast_d.segmentation, rows, fast_g, "dt", fast_d.image_id) == _masks(
            slow_d.segmentation, rows, slow_g, "dt", slow_d.image_id
        )
    a = ioukit.coco_evaluate(gp, dp, iou_type="segm" if masks else "bbox")
    b = ioukit.coco_evaluate(gt, dt, iou_type="segm" if masks else "bbox")
    np.testing.assert_array_equal(a.precision, b.precision)
    np.testing.assert_array_equal(a.stats, b.stats)


def _number_text(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return repr(rng.random())  # 16-17 significant digits: the exact slow path
    if kind == 1:
        return f"{rng.uniform(-1e4, 1e4):.{rng.randrange(0, 6)}f}"
    if kind == 2:
        return f"{rng.uniform(0, 10):.3e}".replace("e+0", "E+").replace("e-0", "e-")
    if kind == 3:
        return str(rng.randrange(-(10**18), 10**18))
    if kind == 4:
        return rng.choice(
            ["0", "-0", "-0.0", "0.0", "1e22", "1e23", "5e-324", "1.7976931348623157e308"]
        )
    return "0." + "0" * rng.randrange(0, 25) + str(rng.randrange(1, 10**9))


@pytest.mark.parametrize("seed", range(4))
def test_numbers_are_pythons_doubles(seed: int) -> None:
    rng = random.Random(seed)
    texts = [_number_text(rng) for _ in range(2000)]
    objs = "[" + ",".join(f'{{"v": {t}, "a": [{t}, {t}]}}' for t in texts) + "]"
    buf = np.frombuffer(objs.encode(), np.uint8)
    starts, _ = jc.array_elements(buf, 0)
    c = jc.object_columns(buf, starts, ("v", "a"))
    want = np.array([float(json.loads(t)) for t in texts])
    got = c.number[0]
    assert np.array_equal(got.view(np.int64), want.view(np.int64))
    pairs = c.nums.reshape(-1, 2)
    assert np.array_equal(pairs[:, 0].view(np.int64), want.view(np.int64))
    ints = [json.loads(t) for t in texts]
    is_int = np.array([isinstance(v, int) and abs(v) <= 2**53 for v in ints])
    assert np.array_equal(c.kind[0] == jc.INT, is_int)


json_scalars = st.one_of(
    st.integers(-(2**60), 2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.booleans(),
    st.none(),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["a", "b", "bbox", "x\u00e9", "c"]), json_values, max_size=5
        ),
        max_size=6,
    ),
    st.booleans(),
)
def test_any_objects(items: list[dict[str, Any]], ascii_only: bool) -> None:
    """Every wanted key of any JSON objects is read as Python reads it, or the reader says
    Unusual (and Python's json takes over)."""
    text = json.dumps(items, ensure_ascii=ascii_only)
    buf = np.frombuffer(text.encode(), np.uint8)
    starts, _ = jc.array_elements(buf, 0)
    assert starts.size == len(items)
    keys = ("a", "bbox", "c")
    try:
        c = jc.object_columns(buf, starts, keys)
    except jc.Unusual:
        return
    for i, item in enumerate(items):
        for j, key in enumerate(keys):
            kind = c.kind[j, i]
            if key not in item:
                assert kind == jc.MISSING
                continue
            v = item[key]
            raw = buf[c.start[j, i] : c.end[j, i]].tobytes()
            if kind in (jc.INT, jc.FLOAT):
                assert not isinstance(v, bool)
                assert isinstance(v, (int, float))
                assert c.number[j, i] == float(v)
                assert math.copysign(1, c.number[j, i]) == math.copysign(1, float(v))
            elif kind == jc.STRING:
                assert json.loads(b'"' + raw + b'"') == v
            elif kind in (jc.NUMBERS, jc.RINGS):
                first, count = c.rings(j)
                rings = [
                    c.nums[c.ring_off[r] : c.ring_off[r + 1]].tolist()
                    for r in range(first[i], first[i] + count[i])
                ]
                want = [v] if kind == jc.NUMBERS else v
                assert rings == [[float(x) for x in ring] for ring in want]
            else:
                assert kind == jc.OTHER
                assert json.loads(raw) == v


def test_unusual_files_fall_back_to_python(tmp_path: Path) -> None:
    """String ids, escaped keys, NaN: the fast reader declines, Python's reader decides."""
    gt, dt = random_dataset(5)
    # string category ids: evaluated by the general reader, same numbers as ints would give
    g2 = json.loads(json.dumps(gt))
    for c in g2["categories"]:
        c["id"] = f"c{c['id']}"
    for a in g2["annotations"]:
        a["category_id"] = f"c{a['category_id']}"
    d2 = [dict(d, category_id=f"c{d['category_id']}") for d in dt]
    gp, dp = _write(tmp_path, "g.json", g2), _write(tmp_path, "d.json", d2)
    assert _coco_fast.fast_gt(_coco_fast.read_bytes(gp), need_boxes=True) is None
    a = ioukit.coco_evaluate(gp, dp)
    b = ioukit.coco_evaluate(gt, dt)
    np.testing.assert_array_equal(a.stats, b.stats)
    # an escaped key is the same key
    text = json.dumps(dt).replace('"score"', '"sc\\u006fre"', 1)
    (tmp_path / "d3.json").write_text(text)
    np.testing.assert_array_equal(ioukit.coco_evaluate(gt, tmp_path / "d3.json").stats, b.stats)
    # NaN (Python's json reads it): the general reader's message
    (tmp_path / "d4.json").write_text(json.dumps(dt).replace('"score": ', '"score": NaN, "x": ', 1))
    with pytest.raises(InputError, match=r"dt\[0\]\['score'\]` must be a finite number"):
        ioukit.coco_evaluate(gt, tmp_path / "d4.json")


def test_bad_files_get_the_general_readers_messages(tmp_path: Path) -> None:
    gt, dt = random_dataset(6)
    gp = _write(tmp_path, "g.json", gt)
    (tmp_path / "trunc.json").write_text(json.dumps(dt)[:-40])
    with pytest.raises(InputError, match=r"cannot read `dt` from .*trunc\.json"):
        ioukit.coco_evaluate(gp, tmp_path / "trunc.json")
    bad = [dict(d) for d in dt]
    bad[3]["bbox"] = [1, 2, -3, 4]
    with pytest.raises(InputError, match=r"`dt\[3\]\['bbox'\]` must be \[x, y, width, height\]"):
        ioukit.coco_evaluate(gp, _write(tmp_path, "neg.json", bad))
    bad = [dict(d) for d in dt]
    del bad[7]["score"]
    with pytest.raises(InputError, match=r"`dt\[7\]` must have a 'score' field"):
        ioukit.coco_evaluate(gp, _write(tmp_path, "noscore.json", bad))
    bad = [dict(d) for d in dt]
    bad[2]["image_id"] = 10**6
    with pytest.raises(InputError, match=r"`dt\[2\]` has image_id 1000000"):
        ioukit.coco_evaluate(gp, _write(tmp_path, "unknown.json", bad))
    g2 = json.loads(json.dumps(gt))
    g2["images"].append(dict(g2["images"][0]))
    with pytest.raises(InputError, match="must have distinct ids"):
        ioukit.coco_evaluate(_write(tmp_path, "dup.json", g2), dt)
    (tmp_path / "empty.json").write_text("[]")
    with pytest.raises(InputError, match="is empty"):
        ioukit.coco_evaluate(gp, tmp_path / "empty.json")


def test_rle_size_mismatch_in_a_file(tmp_path: Path) -> None:
    gt, dt = random_dataset(7, masks=True)
    gp = _write(tmp_path, "g.json", gt)
    bad = json.loads(json.dumps(dt))
    i = next(i for i, d in enumerate(bad) if "bbox" not in d)
    bad[i]["segmentation"]["size"] = [3, 3]
    with pytest.raises(InputError, match=rf"`dt\[{i}\]\['segmentation'\]` has size \[3, 3\]"):
        ioukit.coco_evaluate(gp, _write(tmp_path, "d.json", bad), iou_type="segm")


def test_mask_batches_give_the_same_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Masks are indexed a batch of images at a time: tiny batches, same arrays."""
    from ioukit.detection import coco

    gt, dt = random_dataset(8, masks=True)
    gp, dp = _write(tmp_path, "g.json", gt), _write(tmp_path, "d.json", dt)
    whole = ioukit.coco_evaluate(gp, dp, iou_type="segm")
    monkeypatch.setattr(coco, "_MASK_BATCH", 7)
    batched = ioukit.coco_evaluate(gp, dp, iou_type="segm")
    np.testing.assert_array_equal(whole.precision, batched.precision)
    np.testing.assert_array_equal(whole.recall, batched.recall)
    a, b = whole.matches(), batched.matches()
    np.testing.assert_array_equal(a.iou, b.iou)


def test_malformed_counts_named_by_item(tmp_path: Path) -> None:
    """A corrupt counts string is reported as the result it belongs to, whether the masks
    are decoded when read (a list) or during the evaluation (a file)."""
    gt, dt = random_dataset(7, masks=True)
    k = max(i for i, d in enumerate(dt) if "bbox" not in d)
    dt[k]["segmentation"]["counts"] = "}}}" + dt[k]["segmentation"]["counts"]
    want = rf"coco_evaluate: `dt\[{k}\]\['segmentation'\]`\['counts'\] must be a COCO counts"
    for source in (dt, _write(tmp_path, "d.json", dt)):
        with pytest.raises(InputError, match=want):
            ioukit.coco_evaluate(gt, source, iou_type="segm")


@pytest.mark.parametrize("offset", [10**12, -(10**6)])
def test_large_and_negative_ids(tmp_path: Path, offset: int) -> None:
    """Ids far from 0..N (looked up by search, not by table) give the same numbers."""
    gt, dt = random_dataset(9)
    moved = json.loads(json.dumps(gt))
    for img in moved["images"]:
        img["id"] += offset
    for ann in moved["annotations"]:
        ann["image_id"] += offset
    moved_dt = [dict(d, image_id=d["image_id"] + offset) for d in dt]
    want = ioukit.coco_evaluate(gt, dt)
    for source in (
        (moved, moved_dt),
        (_write(tmp_path, "g.json", moved), _write(tmp_path, "d.json", moved_dt)),
    ):
        got = ioukit.coco_evaluate(*source)
        np.testing.assert_array_equal(got.precision, want.precision)
        np.testing.assert_array_equal(got.stats, want.stats)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["a", "s", "x"]),
            st.one_of(json_values, st.sampled_from([",{", ", {}", "},{", '\\",{'])),
            max_size=3,
        ),
        max_size=12,
    ),
    st.integers(2, 9),
    st.sampled_from(["", " ", "\n  "]),
    st.sampled_from(["", "[]", "x", "]"]),
)
def test_chunked_elements_equal_one_pass(
    items: list[dict[str, Any]], chunks: int, blank: str, tail: str
) -> None:
    """The parallel element finder gives the one-pass finder's starts and end, or declines
    (ok False), whatever the strings hold (commas and braces included) and however the file
    is cut, and it never accepts a malformed array."""
    text = json.dumps(items, indent=1 if blank.startswith("\n") else None)
    text = blank + text.replace(", ", "," + blank) + tail
    buf = np.frombuffer(text.encode(), np.uint8)
    starts, end, ok = jc._jit_array().elements_chunked(buf, 0, chunks)
    one, one_end = jc._jit_array().elements(buf, 0)
    if ok:
        assert one_end >= 0
        np.testing.assert_array_equal(starts, one)
        assert end == one_end
    elif items and one_end >= 0 and chunks == 2 and not any("{" in json.dumps(v) for v in items):
        raise AssertionError("declined a plain array of objects")


def test_chunked_elements_on_a_results_file() -> None:
    rng = np.random.default_rng(0)
    items = [
        {"image_id": int(i), "category_id": 1, "bbox": rng.random(4).round(3).tolist(),
         "score": round(float(rng.random()), 4)}
        for i in rng.integers(0, 50, 3000)
    ]  # fmt: skip
    buf = np.frombuffer(json.dumps(items).encode(), np.uint8)
    for chunks in (2, 3, 8, 64):
        starts, end, ok = jc._jit_array().elements_chunked(buf, 0, chunks)
        assert ok
        np.testing.assert_array_equal(starts, jc._jit_array().elements(buf, 0)[0])
        assert end == buf.size


@pytest.mark.parametrize("masks", [False, True])
def test_small_files_go_to_pythons_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, masks: bool
) -> None:
    """Below ``FAST_READER_MIN_BYTES`` a file is read by Python's ``json`` (no reader to compile
    on a fresh install), from it on by the compiled reader; the numbers are the same."""
    gt, dt = random_dataset(7, masks=masks)
    gp, dp = _write(tmp_path, "gt.json", gt), _write(tmp_path, "dt.json", dt)
    iou_type = "segm" if masks else "bbox"
    calls: list[str] = []
    for name in ("fast_gt", "fast_results"):
        real = getattr(_coco_load, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kw)

        monkeypatch.setattr(_coco_load, name, spy)
    sizes = (gp.stat().st_size, dp.stat().st_size)
    monkeypatch.setattr(_coco_load, "FAST_READER_MIN_BYTES", max(sizes) + 1)
    small = ioukit.coco_evaluate(gp, dp, iou_type=iou_type)
    g = _coco_load.load_gt(gp, need_boxes=not masks)
    assert calls == []
    assert not isinstance(g.segmentation, _coco_fast.MaskTable)
    monkeypatch.setattr(_coco_load, "FAST_READER_MIN_BYTES", min(sizes))
    large = ioukit.coco_evaluate(gp, dp, iou_type=iou_type)
    assert calls == ["fast_gt", "fast_results"]
    if masks:
        g = _coco_load.load_gt(gp, need_boxes=False)
        assert isinstance(g.segmentation, _coco_fast.MaskTable)
    np.testing.assert_array_equal(small.precision, large.precision)
    np.testing.assert_array_equal(small.stats, large.stats)
    from_dicts = ioukit.coco_evaluate(gt, dt, iou_type=iou_type)
    np.testing.assert_array_equal(small.stats, from_dicts.stats)

