"""to_dict / from_dict of COCOResult and LVISResult: the JSON state rebuilds a result whose arrays
and numbers are bit for bit the evaluation's, whose bootstrap replicates are the same, and
which refuses what needs data the state does not keep."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from boot_helpers import lvis_set
from coco_helpers import random_dataset

import ioukit
from ioukit import ParameterError
from ioukit._errors import StateError
from ioukit.detection._bootstrap import detection_source
from ioukit.detection.lvis import lvis_evaluate


def _json(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(doc))
    return out


def _same_arrays(a: Any, b: Any, names: tuple[str, ...]) -> None:
    for name in names:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        assert x.shape == y.shape, name
        assert np.array_equal(x, y), name


def _same_replicates(a: Any, b: Any) -> None:
    sa, sb = detection_source(a), detection_source(b)
    names = list(sa.metric_names())
    assert names == list(sb.metric_names())
    assert sa.image_names == sb.image_names
    w = np.random.default_rng(0).integers(0, 3, size=(5, len(sa.image_names))).astype(float)
    assert np.array_equal(sa.replicates(names, w), sb.replicates(names, w), equal_nan=True)
    assert sa.config() == sb.config()


@pytest.mark.parametrize(
    ("masks", "kwargs"),
    [
        (False, {}),
        (True, {"iou_type": "segm"}),
        (False, {"use_cats": False}),
        (False, {"convention": "ioukit", "per_image_cap": True, "max_dets": (1, 5, 50)}),
        (False, {"area_ranges": {"all": (0, 1e10), "tiny": (0, 150.5)}}),
    ],
)
def test_coco_round_trip_is_bit_identical(masks: bool, kwargs: dict[str, Any]) -> None:
    r = ioukit.coco_evaluate(*random_dataset(11, masks=masks, n_images=12), **kwargs)
    doc = _json(r.to_dict())
    assert doc["kind"] == "detection"
    assert doc["protocol"] == "coco"
    back = ioukit.COCOResult.from_dict(doc)
    _same_arrays(r, back, ("precision", "recall", "scores", "stats"))
    assert back.params == r.params
    assert back.category_names == r.category_names
    assert back.summary() == r.summary()
    assert back.per_category() == r.per_category()
    assert back.pr_curve(iou=0.5).precision.tolist() == r.pr_curve(iou=0.5).precision.tolist()
    for a, b in ((r.per_image(), back.per_image()), (r.per_image(iou=0.75), back.per_image(
            iou=0.75))):  # fmt: skip
        _same_arrays(a, b, ("image_id", "tp", "fp", "fn", "ignored", "n_gt"))
    assert json.dumps(back.best_f1()) == json.dumps(r.best_f1())
    _same_replicates(r, back)
    again = _json(back.to_dict())
    assert {k: v for k, v in again.items() if k != "state"} == {
        k: v for k, v in doc.items() if k != "state"
    }


def test_a_loaded_result_refuses_what_needs_the_ground_truth() -> None:
    r = ioukit.coco_evaluate(*random_dataset(12, n_images=6))
    back = ioukit.COCOResult.from_dict(_json(r.to_dict()))
    with pytest.raises(ParameterError, match=r"COCOResult\.matches: .*loaded from JSON"):
        back.matches()
    assert len(r.matches()) > 0  # the evaluation's own result has them


def test_lvis_round_trip_is_bit_identical() -> None:
    r = lvis_evaluate(*lvis_set(4))
    doc = _json(r.to_dict())
    assert doc["kind"] == "detection"
    assert doc["protocol"] == "lvis"
    back = ioukit.LVISResult.from_dict(doc)
    _same_arrays(r, back, ("precision", "recall"))
    assert back.results == r.results
    assert back.params == r.params
    assert back.category_frequencies == r.category_frequencies
    assert back.summary() == r.summary()
    assert back.per_category() == r.per_category()
    _same_replicates(r, back)


def test_documents_without_a_usable_state() -> None:
    r = ioukit.coco_evaluate(*random_dataset(13, n_images=5))
    doc = _json(r.to_dict())
    with pytest.raises(StateError, match=r"expected a document of COCOResult\.to_dict"):
        ioukit.COCOResult.from_dict({**doc, "kind": "segmentation"})
    with pytest.raises(StateError, match=r"expected a document of LVISResult\.to_dict"):
        ioukit.LVISResult.from_dict(doc)
    old = {k: v for k, v in doc.items() if k != "state"}
    with pytest.raises(StateError, match=r'no "state".*older ioukit'):
        ioukit.COCOResult.from_dict(old)
    with pytest.raises(StateError, match="format"):
        ioukit.COCOResult.from_dict({**doc, "state": {"format": "x"}})
    other = ioukit.coco_evaluate(*random_dataset(14, n_images=9))
    with pytest.raises(StateError, match="do not fit its parameters"):
        ioukit.COCOResult.from_dict({**doc, "state": other.to_dict()["state"]})
    params = dict(doc["params"])
    del params["use_cats"]
    with pytest.raises(StateError, match="lacks 'use_cats'"):
        ioukit.COCOResult.from_dict({**doc, "params": params})
