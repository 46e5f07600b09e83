"""Bad input to ioukit.panoptic_quality: each problem is an error that names the file, or, with
on_bad="skip", a recorded problem while the good images are evaluated. Never a bare KeyError."""

from __future__ import annotations

import json

import numpy as np
import pytest
from panoptic_helpers import CATEGORIES, ids_to_rgb, make_dataset
from PIL import Image

import ioukit
from ioukit.panoptic import PanopticProblemsError


@pytest.fixture
def files(tmp_path):
    return make_dataset(tmp_path, 11, n_images=4)


def _edit(path, fn):
    doc = json.loads(path.read_text())
    fn(doc)
    path.write_text(json.dumps(doc))


def _first(doc, name="img000.png"):
    return next(a for a in doc["annotations"] if a["file_name"] == name)


def _expect(files, kind, pattern):
    with pytest.raises(PanopticProblemsError, match=pattern) as info:
        ioukit.panoptic_quality(*files, workers=1)
    assert [p.kind for p in info.value.problems] == [kind]
    assert info.value.num_evaluated == 3
    assert not isinstance(info.value, KeyError)
    skipped = ioukit.panoptic_quality(*files, workers=1, on_bad="skip")
    assert [p.kind for p in skipped.problems] == [kind]
    assert len(skipped.image_names) == 3
    assert "img000.png" not in skipped.image_names
    assert skipped.to_dict()["problems"][0]["kind"] == kind


def test_prediction_png_id_missing_from_json(files):
    _edit(files[2], lambda d: _first(d)["segments_info"].pop())
    _expect(files, "unknown_segment", r"pred/img000.png: the prediction PNG holds segment id")


def test_target_png_id_missing_from_json(files):
    _edit(files[0], lambda d: _first(d)["segments_info"].pop())
    _expect(files, "unknown_segment", r"gt/img000.png: the target PNG holds segment id")


def test_json_id_missing_from_png(files):
    _edit(files[2], lambda d: _first(d)["segments_info"].append({"id": 77, "category_id": 1}))
    _expect(
        files, "missing_segment", r"pred/img000.png: the prediction segments_info lists .*\[77\]"
    )


def test_unknown_category(files):
    _edit(files[2], lambda d: _first(d)["segments_info"][0].update(category_id=555))
    _expect(files, "unknown_category", r"pred/img000.png \(prediction segments_info\).*555")


def test_size_mismatch(files):
    path = files[3] / "img000.png"
    Image.fromarray(ids_to_rgb(np.zeros((5, 5), dtype=np.int64))).save(path)
    _edit(files[2], lambda d: _first(d).update(segments_info=[]))
    _expect(files, "size_mismatch", r"pred/img000.png is 5x5 \(WxH\), its target .* 32x24")


@pytest.mark.parametrize(("mode", "hint"), [("RGBA", "alpha"), ("P", "palette"), ("L", "single")])
def test_png_modes(files, mode, hint):
    path = files[3] / "img000.png"
    Image.open(path).convert(mode).save(path)
    _expect(files, "bad_mode", rf"pred/img000.png: a PNG of mode {mode}; .* are RGB .*{hint}")


def test_unreadable_png(files):
    (files[3] / "img000.png").write_bytes(b"not a png")
    _expect(files, "unreadable", r"pred/img000.png: cannot read it")


def test_target_without_prediction(files):
    _edit(files[2], lambda d: d["annotations"].remove(_first(d)))
    _expect(files, "missing_prediction", r"image_id 100 .* has no prediction")


def test_every_problem_is_listed(files):
    _edit(files[2], lambda d: d["annotations"].remove(_first(d)))
    _edit(files[2], lambda d: _first(d, "img001.png")["segments_info"].pop())
    with pytest.raises(PanopticProblemsError) as info:
        ioukit.panoptic_quality(*files, workers=1)
    assert [p.kind for p in info.value.problems] == ["missing_prediction", "unknown_segment"]
    assert "targets without a prediction" not in str(info.value)  # panoptic words
    assert "target images without a prediction (1)" in str(info.value)


@pytest.mark.parametrize(
    ("doc", "pattern"),
    [
        ({"annotations": "x"}, r'"annotations" list'),
        ({"annotations": [{"image_id": 1}]}, r'annotations\[0\] must have "image_id", "file_name"'),
        ({"annotations": []}, r'has no "categories"'),
        (
            {"annotations": [], "categories": [{"name": "a"}]},
            r'categories\[0\] must be an object with an "id"',
        ),
    ],
)
def test_bad_json_documents(files, doc, pattern):
    with pytest.raises(ioukit.InputError, match=pattern):
        ioukit.panoptic_quality(doc, files[1], files[2], files[3], workers=1)


def test_malformed_segment_is_recorded_not_keyerror(files):
    _edit(files[0], lambda d: _first(d)["segments_info"][0].pop("category_id"))
    _expect(files, "bad_json", r'segment 0 must have "id" and "category_id"')


def test_missing_files_and_folders(files, tmp_path):
    with pytest.raises(ioukit.InputError, match="no such file"):
        ioukit.panoptic_quality(tmp_path / "nope.json", files[1], files[2], files[3])
    with pytest.raises(ioukit.InputError, match=r"`pred_dir` .* is not a folder"):
        ioukit.panoptic_quality(*files[:3], tmp_path / "nope")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ioukit.InputError, match="cannot read it as JSON"):
        ioukit.panoptic_quality(files[0], files[1], tmp_path / "broken.json", files[3])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"convention": "pycocotools"}, "`convention` must be one of"),
        ({"on_bad": "ignore"}, "`on_bad` must be one of"),
        ({"workers": 0}, "`workers` must be a positive integer"),
        ({"progress": 3}, "`progress` must be callable"),
    ],
)
def test_bad_options(files, kwargs, message):
    with pytest.raises(ioukit.ParameterError, match=message):
        ioukit.panoptic_quality(*files, **kwargs)


def test_wrong_json_area_is_an_error_not_a_division_by_zero(tmp_path):
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    for d in ("gt", "pred"):
        Image.fromarray(ids_to_rgb(np.array([[1, 1]]))).save(tmp_path / d / "a.png")
    gt = {
        "categories": CATEGORIES,
        "annotations": [
            {
                "image_id": 1,
                "file_name": "a.png",
                "segments_info": [{"id": 1, "category_id": 1, "area": 0, "iscrowd": 0}],
            }
        ],
    }
    pred = {
        "annotations": [
            {"image_id": 1, "file_name": "a.png", "segments_info": [{"id": 1, "category_id": 1}]}
        ]
    }
    with pytest.raises(PanopticProblemsError, match="has area 0 in the JSON"):
        ioukit.panoptic_quality(gt, tmp_path / "gt", pred, tmp_path / "pred", workers=1)
    fixed = ioukit.panoptic_quality(
        gt, tmp_path / "gt", pred, tmp_path / "pred", workers=1, convention="ioukit"
    )
    assert fixed.pq == 1.0
