"""to_dict() carries the exact per-image state; from_dict() rebuilds an identical result."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stats_helpers import panoptic_result

import ioukit
from ioukit import PanopticResult, SegmentationResult, StateError
from ioukit._folder import Problem
from ioukit._state import decode_arrays, encode_arrays
from ioukit.stats import confidence_interval

COUNT_FIELDS = ("tp", "fp", "fn", "tn", "confusion_matrix", "sample_weight")


def _json(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(doc, allow_nan=False))
    return out


def _same_counts(a: ioukit.Counts | None, b: ioukit.Counts | None) -> None:
    assert (a is None) == (b is None)
    if a is None or b is None:
        return
    for f in COUNT_FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        assert (x is None) == (y is None), f
        if x is not None:
            assert np.asarray(x).dtype == np.asarray(y).dtype, f
            np.testing.assert_array_equal(x, y, err_msg=f)
    for f in ("task", "per_sample", "ignored_classes", "sample_names", "num_samples"):
        assert getattr(a, f) == getattr(b, f), f


names = st.text(st.characters(codec="utf-8"), max_size=6)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 5),
    st.sampled_from([None, 255, 0, (1, 255)]),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.lists(names, min_size=5, max_size=5),
    st.integers(0, 2**32 - 1),
)
def test_segmentation_round_trip(c, n, ignore, per_image, named, boundary, labels, seed) -> None:
    rng = np.random.default_rng(seed)
    ev = ioukit.SegmentationEvaluator(
        c,
        ignore_index=ignore,
        per_image=per_image,
        class_names=labels[:c],
        boundary=0.1 if boundary else None,
    )
    void = {None: None, 255: 255, 0: 0, (1, 255): 255}[ignore]
    for i in range(n):
        target = rng.integers(0, c, (5, 6))
        if void is not None:
            target[rng.random((5, 6)) < 0.2] = void
        pred = rng.integers(0, c, (5, 6))
        ev.update(pred, target, names=[labels[i]] if named else None)
    r = ev.result()
    doc = r.to_dict()
    assert doc["kind"] == "segmentation"
    back = SegmentationResult.from_dict(_json(doc))
    for f in ("num_classes", "class_names", "ignore_index", "image_names", "boundary_ratio"):
        assert getattr(back, f) == getattr(r, f), f
    assert back.boundary_convention == r.boundary_convention
    for f in ("counts", "per_image_counts", "boundary_counts"):
        _same_counts(getattr(r, f), getattr(back, f))
    assert back.to_dict() == doc  # every number, row and name, the state included
    if per_image:
        again = confidence_interval(back, n_resamples=50, random_state=0).to_dict()
        assert again == confidence_interval(r, n_resamples=50, random_state=0).to_dict()


@settings(max_examples=20, deadline=None)
@given(
    st.integers(1, 8),
    st.integers(1, 4),
    st.sampled_from(["dataset", "image"]),
    st.sampled_from([None, 0.02]),
    st.lists(names, min_size=4, max_size=4),
    st.integers(0, 2**32 - 1),
)
def test_panoptic_round_trip(n, k, aggregation, boundary, labels, seed) -> None:
    r = panoptic_result(np.random.default_rng(seed), n, k, aggregation=aggregation, things=1)
    r = replace(
        r,
        categories=replace(r.categories, names=tuple(labels[:k])),
        image_names=tuple(f"{labels[0]}/{i}" for i in range(n)),
        boundary=boundary,
        pq_dagger=boundary is None,
        problems=(Problem("unreadable", labels[1], "damaged\x00 file"),),
    )
    doc = r.to_dict()
    assert doc["kind"] == "panoptic"
    back = PanopticResult.from_dict(_json(doc))
    for f in ("image_tp", "image_fp", "image_fn", "match_image", "match_cats", "match_iou"):
        a, b = getattr(r, f), getattr(back, f)
        assert a.dtype == b.dtype, f
        np.testing.assert_array_equal(a, b, err_msg=f)
    for f in ("categories", "image_names", "convention", "pq_dagger", "aggregation", "boundary"):
        assert getattr(back, f) == getattr(r, f), f
    assert back.problems == r.problems
    assert back.to_dict() == doc
    np.testing.assert_equal(back.scores, r.scores)  # NaN equal to NaN


def test_a_document_without_state_or_of_another_kind() -> None:
    r = panoptic_result(np.random.default_rng(0), 3, 2)
    doc = r.to_dict()
    with pytest.raises(
        StateError,
        match=r"SegmentationResult.from_dict: expected the document of a segmentation "
        r"result .*got kind 'panoptic'",
    ):
        SegmentationResult.from_dict(doc)
    with pytest.raises(StateError, match=r'PanopticResult.from_dict: the document has no "state"'):
        PanopticResult.from_dict({k: v for k, v in doc.items() if k != "state"})
    with pytest.raises(StateError, match="expected the dict of to_dict"):
        PanopticResult.from_dict([doc])  # type: ignore[arg-type]


def _with_arrays(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    arrays = decode_arrays(doc["state"])
    arrays.update(changes)
    return {**doc, "state": encode_arrays({k: v for k, v in arrays.items() if v is not None})}


def test_damaged_states() -> None:
    r = panoptic_result(np.random.default_rng(0), 3, 2)
    doc = r.to_dict()
    with pytest.raises(StateError, match=r"array 'image_fp' must be \(3, 2\)"):
        PanopticResult.from_dict(_with_arrays(doc, image_fp=np.zeros((2, 2), np.int64)))
    with pytest.raises(StateError, match="matches point outside the images"):
        PanopticResult.from_dict(_with_arrays(doc, match_image=r.match_image + 3))
    with pytest.raises(StateError, match="the state has no array 'meta'"):
        PanopticResult.from_dict(_with_arrays(doc, meta=None))
    with pytest.raises(StateError, match="metadata is damaged"):
        PanopticResult.from_dict(_with_arrays(doc, meta=np.frombuffer(b"[1]", np.uint8)))
    ev = ioukit.SegmentationEvaluator(2)
    ev.update(np.array([[0, 1]]), np.array([[0, 1]]))
    sdoc = ev.result().to_dict()
    bad = np.array([[5, 5]], dtype=np.int64)
    with pytest.raises(StateError, match=r"counts 'per_image_counts'.*confusion_matrix"):
        SegmentationResult.from_dict(_with_arrays(sdoc, **{"per_image_counts.tp": bad}))
    with pytest.raises(StateError, match="the state's arrays are damaged"):
        SegmentationResult.from_dict({**sdoc, "state": {**sdoc["state"], "arrays": "AAAA"}})
