"""compare(): paired bootstrap of two results on the same images."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from stats_helpers import panoptic_result, segmentation_result

import ioukit
from ioukit import InputError, ParameterError
from ioukit.stats import bootstrap_weights, compare, confidence_interval, source_of


def _pair(seed: int = 0, n: int = 60) -> tuple[ioukit.SegmentationResult, ...]:
    """Two models on the same images: B is A with fewer errors on some images."""
    rng = np.random.default_rng(seed)
    a = segmentation_result(rng, n, 4)
    k = a.per_image_counts
    assert k is not None
    fixed = rng.random(n) < 0.5  # B turns the false positives of half the images into tn
    fp = np.where(fixed[:, None], 0, np.asarray(k.fp))
    tn = np.asarray(k.tn) + np.asarray(k.fp) - fp
    kb = replace(k, fp=fp, tn=tn, confusion_matrix=None)
    b = replace(a, counts=kb.total(), per_image_counts=kb, _cache={})
    return a, b


def test_a_result_against_itself() -> None:
    a, _ = _pair()
    c = compare(a, a, n_resamples=500, random_state=0)
    d = c.difference
    assert (d.estimate, d.low, d.high) == (0.0, 0.0, 0.0)
    assert c.prob_b_better == 0.0
    assert c.p_value == 1.0
    assert d.method == "percentile"
    assert "all replicates are equal" in d.note
    assert all(r["difference"] == 0 and r["prob_b_better"] == 0 for r in c.per_class)
    assert all(r["difference"] == 0 for r in c.images)


def test_each_side_is_its_own_interval_from_the_same_draw() -> None:
    a, b = _pair()
    c = compare(a, b, metric="mdice", n_resamples=800, random_state=3, labels=("base", "new"))
    assert c.a == confidence_interval(a, "mdice", n_resamples=800, random_state=3)
    assert c.b == confidence_interval(b, "mdice", n_resamples=800, random_state=3)
    assert c.difference.estimate == b.mdice - a.mdice
    assert c.difference.metric == "Δ mdice"
    assert c.labels == ("base", "new")
    assert c.metric == "mdice"
    assert c.method == "bca"


def test_difference_replicates_are_paired() -> None:
    a, b = _pair(1)
    sa, sb = source_of(a), source_of(b)
    w = next(bootstrap_weights(60, 400, random_state=9))
    d = sb.replicates(["miou"], w)[:, 0] - sa.replicates(["miou"], w)[:, 0]
    c = compare(a, b, n_resamples=400, random_state=9, method="percentile")
    alpha = (1 - 0.95) / 2
    assert (c.difference.low, c.difference.high) == tuple(np.quantile(d, [alpha, 1 - alpha]))
    assert c.prob_b_better == np.mean(d > 0)
    # p-value: 2 (1 + min(#{d <= 0}, #{d >= 0})) / (B + 1), at most 1
    want = min(1.0, 2 * (1 + min(np.sum(d <= 0), np.sum(d >= 0))) / 401)
    assert c.p_value == want
    # B removes false positives: better on every resampled dataset
    assert c.difference.low > 0
    assert c.prob_b_better == 1.0
    assert c.p_value == 2 / 401


def test_per_class_rows_and_top_images() -> None:
    a, b = _pair(2)
    c = compare(a, b, n_resamples=300, random_state=0, top_images=5)
    assert [r["metric"] for r in c.per_class] == [f"iou:class{j}" for j in range(4)]
    row = c.per_class[1]
    assert row["a"] == a.iou[1]
    assert row["b"] == b.iou[1]
    assert row["difference"] == b.iou[1] - a.iou[1]
    assert row["low"] <= row["difference"] <= row["high"]
    assert len(c.images) == 5
    assert c.image_score == "miou"
    diffs = np.asarray(b.per_image_miou) - np.asarray(a.per_image_miou)
    assert [abs(r["difference"]) for r in c.images] == sorted(np.abs(diffs), reverse=True)[:5]
    first = c.images[0]
    i = a.image_names.index(first["image"])
    assert (first["a"], first["b"], first["score"]) == (
        a.per_image_miou[i],
        b.per_image_miou[i],
        "miou",
    )


def test_order_of_images_does_not_matter() -> None:
    a, b = _pair(3)
    perm = np.random.default_rng(0).permutation(60)
    kb = b.per_image_counts
    assert kb is not None
    shuffled_k = replace(
        kb,
        tp=np.asarray(kb.tp)[perm],
        fp=np.asarray(kb.fp)[perm],
        fn=np.asarray(kb.fn)[perm],
        tn=np.asarray(kb.tn)[perm],
        sample_names=tuple(kb.sample_names[i] for i in perm),
    )
    shuffled = replace(
        b, per_image_counts=shuffled_k, image_names=tuple(b.image_names[i] for i in perm), _cache={}
    )
    one = compare(a, b, n_resamples=300, random_state=5)
    two = compare(a, shuffled, n_resamples=300, random_state=5)
    assert one.to_dict() == two.to_dict()


def test_different_images_are_named() -> None:
    a, b = _pair(4)
    names = list(b.image_names)
    names[:7] = [f"other{i}.png" for i in range(7)]
    b2 = replace(b, image_names=tuple(names))
    with pytest.raises(
        InputError, match=r"compare: the results must be evaluated on the same"
    ) as e:
        compare(a, b2, n_resamples=10)
    msg = str(e.value)
    assert (
        "7 image(s) only in A: 'img0000.png', 'img0001.png', 'img0002.png', 'img0003.png', " in msg
    )
    assert "'img0004.png', …; 7 image(s) only in B: 'other0.png'" in msg
    short = replace(a, per_image_counts=None)
    with pytest.raises(ParameterError, match="per_image=True"):
        compare(a, short)


def test_different_configurations_are_refused() -> None:
    a, b = _pair(5)
    b2 = replace(b, class_names=("class0", "class1", "road", "class3"))
    with pytest.raises(
        ParameterError,
        match=r"compare: the results were evaluated with different settings \(class_names: "
        r"\['class0', 'class1', 'class2', 'class3'\] in A, \['class0', 'class1', 'road', "
        r"'class3'\] in B\)",
    ):
        compare(a, b2)
    p1 = panoptic_result(np.random.default_rng(0), 10, 3)
    p2 = replace(p1, convention="ioukit", boundary=0.02)
    with pytest.raises(
        ParameterError,
        match=r"convention: 'panopticapi' in A, 'ioukit' in B; boundary: None in A, 0.02 in B",
    ):
        compare(p1, p2)


def test_different_kinds_are_refused() -> None:
    a, _ = _pair()
    p = panoptic_result(np.random.default_rng(0), 10, 3)
    with pytest.raises(InputError, match="a segmentation result and a panoptic result"):
        compare(a, p)


def test_bad_options() -> None:
    a, b = _pair()
    with pytest.raises(ParameterError, match="`top_images` must be an int >= 0"):
        compare(a, b, top_images=-1)
    with pytest.raises(ParameterError, match="`labels` must be two strings"):
        compare(a, b, labels=("A",))  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="compare: unknown metric 'PQ'"):
        compare(a, b, metric="PQ")
    with pytest.raises(ParameterError, match="compare: `level` must be"):
        compare(a, b, level=95)


def test_panoptic_comparison_and_json() -> None:
    rng = np.random.default_rng(6)
    a = panoptic_result(rng, 40, 4)
    b = replace(a, match_iou=np.minimum(a.match_iou + 0.05, 1.0))  # better segments
    c = compare(a, b, metric="SQ", n_resamples=400, random_state=0, top_images=3)
    assert c.difference.low > 0
    assert c.prob_b_better == 1.0
    assert [r["metric"] for r in c.per_class] == [f"SQ:cat{j}" for j in range(4)]
    assert c.image_score == "pq"
    assert len(c.images) == 3
    d = json.loads(json.dumps(c.to_dict(), allow_nan=False))
    assert d["difference"]["metric"] == "Δ SQ"
    assert d["labels"] == ["A", "B"]
    text = str(c)
    assert text.startswith("SQ: B vs A (95% BCa, 400 resamples of 40 images)")
    assert "B − A" in text
    assert "P(B > A) 1.000" in text
    assert "cat3" in text
    things = compare(a, b, metric="PQ_th", n_resamples=50, random_state=0)
    assert [r["name"] for r in things.per_class] == ["cat0", "cat1"]


def test_nan_rows_become_null() -> None:
    a = panoptic_result(np.random.default_rng(7), 6, 3, things=3)
    c = compare(a, a, metric="PQ_st", n_resamples=20, random_state=0)  # no stuff category
    assert math.isnan(c.difference.estimate)
    assert c.per_class == ()
    d = json.loads(json.dumps(c.to_dict(), allow_nan=False))
    assert d["difference"]["estimate"] is None
    assert d["prob_b_better"] is None
