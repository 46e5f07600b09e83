"""SegmentationEvaluator and SegmentationResult: hand cases, streaming = all at once, merge,
persistence, torch inputs, distributed all-reduce, bad input."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ioukit
from ioukit import InputError, ParameterError, SegmentationEvaluator
from segmentation_helpers import two_images


def test_hand_computed_two_images() -> None:
    pred, target = two_images()
    ev = SegmentationEvaluator(3, class_names=["bg", "fg", "other"])
    ev.update(pred, target, names=["a", "b"])
    r = ev.result()
    # class 0: tp 12 (image 0), fp 8 (image 1 bottom half) → 12/20 = 0.6
    # class 1: tp 4 + 8 = 12, fn 8 → 12/20 = 0.6; class 2 absent → NaN
    np.testing.assert_allclose(r.iou, [0.6, 0.6, math.nan])
    assert r.nan_reasons == {2: "absent"}
    assert r.miou == pytest.approx(0.6)
    # dice = 2·12 / (2·12 + 8) = 0.75 for both classes
    np.testing.assert_allclose(r.dice, [0.75, 0.75, math.nan])
    # aAcc = 24 correct of 32 pixels; class accuracy: 12/12 and 12/20 → mAcc 0.8
    assert r.pixel_accuracy == pytest.approx(24 / 32)
    assert r.mean_accuracy == pytest.approx(0.8)
    # fwIoU weights IoU by support 12 and 20: 0.6
    assert r.fw_iou == pytest.approx(0.6)
    assert r.support.tolist() == [12, 20, 0]
    assert r.confusion_matrix.tolist() == [[12, 0, 0], [8, 12, 0], [0, 0, 0]]
    # per image: image 0 perfect (class 2 absent), image 1: class 0 0/8, class 1 8/16
    np.testing.assert_allclose(r.per_image_iou, [[1, 1, math.nan], [0, 0.5, math.nan]])
    np.testing.assert_allclose(r.per_image_miou, [1.0, 0.25])
    np.testing.assert_allclose(r.per_image_accuracy, [1.0, 0.5])
    assert r.image_quality == ["excellent", "poor"]
    assert r.class_quality == ["poor", "poor", "n/a"]
    assert [row["image"] for row in r.per_image_rows()] == ["a", "b"]
    assert r.per_image_rows()[1]["iou_fg"] == 0.5


def test_ignore_index_out_of_range_and_in_range() -> None:
    target = np.array([[0, 0, 1, 255], [1, 2, 2, 255]])
    pred = np.array([[0, 1, 1, 0], [1, 2, 0, 2]])
    ev = SegmentationEvaluator(3, ignore_index=(255, 2))
    ev.update(pred, target)
    r = ev.result()
    # target 2 and 255 removed: pixels (0,0)→0 ✓, (0,1)→1 ✗, (0,2)→1 ✓, (1,0)→1 ✓
    # class 0: tp 1, fn 1 → 1/2; class 1: tp 2, fp 1 → 2/3; class 2 ignored → NaN
    np.testing.assert_allclose(r.iou, [0.5, 2 / 3, math.nan])
    assert r.nan_reasons == {2: "ignored"}
    assert r.miou == pytest.approx((0.5 + 2 / 3) / 2)


def test_class_scores_are_argmaxed() -> None:
    pred, target = two_images()
    scores = np.eye(3)[pred].transpose(0, 3, 1, 2)  # (N, C, H, W) one-hot scores
    a, b = SegmentationEvaluator(3), SegmentationEvaluator(3)
    a.update(pred, target)
    b.update(scores, target)
    np.testing.assert_array_equal(a.confusion_matrix, b.confusion_matrix)
    c = SegmentationEvaluator(3)
    c.update(scores[0], target[0])  # one image: (C, H, W)
    assert c.num_images == 1


def test_volumes_with_spatial_dims_3() -> None:
    rng = np.random.default_rng(1)
    target = rng.integers(0, 4, (2, 3, 5, 6))
    pred = rng.integers(0, 4, (2, 3, 5, 6))
    ev = SegmentationEvaluator(4, spatial_dims=3)
    ev.update(pred, target)
    assert ev.num_images == 2
    expected = ioukit.multiclass_confusion_matrix(pred, target, num_classes=4)
    np.testing.assert_array_equal(ev.confusion_matrix, expected)


label_maps = st.integers(1, 4).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 3), min_size=n * 12, max_size=n * 12),
        st.lists(st.sampled_from([0, 1, 2, 3, 255]), min_size=n * 12, max_size=n * 12),
        st.just(n),
    )
)


@settings(max_examples=40, deadline=None)
@given(label_maps, st.integers(0, 4))
def test_streaming_and_merge_equal_all_at_once(data, split) -> None:
    p, t, n = data
    pred = np.array(p).reshape(n, 3, 4)
    target = np.array(t).reshape(n, 3, 4)
    split = min(split, n)
    whole = SegmentationEvaluator(4, ignore_index=255)
    whole.update(pred, target)
    first, second = (
        SegmentationEvaluator(4, ignore_index=255),
        SegmentationEvaluator(4, ignore_index=255),
    )
    if split:
        first.update(pred[:split], target[:split])
    if split < n:
        second.update(pred[split:], target[split:])
    merged = first + second
    np.testing.assert_array_equal(merged.confusion_matrix, whole.confusion_matrix)
    a, b = merged.result(), whole.result()
    np.testing.assert_array_equal(a.iou, b.iou)
    np.testing.assert_array_equal(a.per_image_iou, b.per_image_iou)
    assert a.image_names == b.image_names == tuple(str(i) for i in range(n))
    # commutative on the dataset-level state
    np.testing.assert_array_equal((second + first).confusion_matrix, whole.confusion_matrix)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_save_load_round_trip(tmp_path: Path, suffix: str) -> None:
    pred, target = two_images()
    ev = SegmentationEvaluator(3, ignore_index=255, class_names={1: "fg"})
    ev.update(pred, target, names=["x", "y"])
    path = tmp_path / f"state{suffix}"
    ev.save(path)
    back = SegmentationEvaluator.load(path)
    assert back.class_names == ("0", "fg", "2")
    np.testing.assert_array_equal(back.confusion_matrix, ev.confusion_matrix)
    assert back.result().per_image_rows() == ev.result().per_image_rows()
    # resuming: a restored evaluator keeps counting
    back.update(pred[:1], target[:1])
    assert back.num_images == 3


def test_state_dict_is_json_and_checks_configuration() -> None:
    pred, target = two_images()
    ev = SegmentationEvaluator(3)
    ev.update(pred, target)
    state = json.loads(json.dumps(ev.state_dict()))
    other = SegmentationEvaluator(3)
    other.load_state_dict(state)
    np.testing.assert_array_equal(other.confusion_matrix, ev.confusion_matrix)
    with pytest.raises(InputError, match=r"differs in num_classes"):
        SegmentationEvaluator(4).load_state_dict(state)


def test_result_to_dict_is_strict_json() -> None:
    pred, target = two_images()
    ev = SegmentationEvaluator(3, ignore_index=255)
    ev.update(pred, target)
    d = ev.result().to_dict()
    text = json.dumps(d, allow_nan=False)  # NaN became null
    assert json.loads(text)["per_class"][2]["iou"] is None
    assert d["per_class"][2]["nan_reason"] == "absent"
    assert d["config"]["confusion_matrix_layout"] == "rows = target, columns = prediction"
    assert set(d) == {
        "config",
        "summary",
        "conventions",
        "per_class",
        "confusion_matrix",
        "per_image",
        "kind",
        "state",
    }


def test_str_table_names_classes_and_reasons() -> None:
    pred, target = two_images()
    ev = SegmentationEvaluator(3, class_names=["background", "road", "sky"])
    ev.update(pred, target)
    text = str(ev.result())
    assert "background" in text
    assert "road" in text
    assert "(absent)" in text
    assert "mIoU  0.6000" in text


def test_per_image_off_keeps_no_rows() -> None:
    pred, target = two_images()
    ev = SegmentationEvaluator(3, per_image=False)
    ev.update(pred, target)
    r = ev.result()
    assert r.miou == pytest.approx(0.6)
    with pytest.raises(ParameterError, match="per_image=True"):
        r.per_image_iou  # noqa: B018


def test_torch_input_matches_numpy() -> None:
    torch = pytest.importorskip("torch")
    pred, target = two_images()
    a, b = SegmentationEvaluator(3), SegmentationEvaluator(3)
    a.update(pred, target)
    b.update(torch.as_tensor(pred), torch.as_tensor(target))
    np.testing.assert_array_equal(a.confusion_matrix, b.confusion_matrix)
    if torch.cuda.is_available():  # pragma: no cover - only with a GPU
        c = SegmentationEvaluator(3)
        c.update(torch.as_tensor(pred).cuda(), torch.as_tensor(target).cuda())
        np.testing.assert_array_equal(a.confusion_matrix, c.confusion_matrix)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda ev: ev.update(np.zeros(4, int), np.zeros(4, int)),
            InputError,
            r"`target` must have 2 dimensions \(one image\) or 3 \(a batch",
        ),
        (
            lambda ev: ev.update(np.zeros((2, 2, 2), int), np.zeros((2, 2, 2), int), names=["a"]),
            InputError,
            r"got 1 name\(s\) for a batch of 2 image\(s\)",
        ),
        (
            lambda ev: ev.update(np.full((2, 2), 7), np.zeros((2, 2), int)),
            InputError,
            r"`pred` has 4 label\(s\) outside \[0, 3\)",
        ),
        (
            lambda ev: ev.update(np.zeros((2, 3)), np.zeros((2, 2), int)),
            InputError,
            r"`pred` \(2, 3\) does not match `target` \(2, 2\)",
        ),
        (
            lambda ev: ev.add_confusion_matrix(np.zeros((2, 2), int)),
            InputError,
            r"expected a \(3, 3\) matrix",
        ),
        (
            lambda ev: ev.update(np.zeros((2, 2, 2), int), np.zeros((2, 2, 2), int), names="ab"),
            InputError,
            r"`names` must be a sequence of names; got the str 'ab'",
        ),
        (lambda ev: ev.result(), InputError, r"no image has been added yet"),
        (lambda ev: ev.merge(SegmentationEvaluator(4)), InputError, r"differ in num_classes"),
    ],
)
def test_bad_input(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call(SegmentationEvaluator(3))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"class_names": ["a", "b"]}, r"has 2 names but num_classes is 3"),
        ({"class_names": {5: "x"}}, r"id 5 outside \[0, 3\)"),
        ({"class_names": "abc"}, r"must be a sequence of names"),
        ({"spatial_dims": 4}, r"`spatial_dims` must be 1, 2 or 3"),
        ({"ignore_index": "255"}, r"`ignore_index` must be None, an integer"),
        ({"per_image": "no"}, r"`per_image` must be True or False; got 'no'"),
        ({"spatial_dims": True}, r"`spatial_dims` must be 1, 2 or 3; got True"),
    ],
)
def test_bad_configuration(kwargs, match) -> None:
    with pytest.raises(ParameterError, match=match):
        SegmentationEvaluator(3, **kwargs)


def test_configuration_is_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The constructor checks num_classes and ignore_index; update checks only its data."""
    ev = SegmentationEvaluator(3, ignore_index=255)

    def fail(*args: object) -> None:
        raise AssertionError("an option was checked again in update")

    import ioukit.core.counts as counts_module

    monkeypatch.setattr(counts_module, "check_num_classes", fail)
    monkeypatch.setattr(counts_module, "check_ignore_index", fail)
    pred, target = two_images()
    ev.update(pred, target)
    ev.update(np.eye(3)[pred[0]].transpose(2, 0, 1), target[0])  # class scores, one image
    assert ev.num_images == 3
    # the data is still checked, in the evaluator's name: pred + 3 puts all 2·16 labels at 3, 4
    with pytest.raises(InputError, match=r"SegmentationEvaluator.update: `pred` has 32 label"):
        ev.update(pred + 3, target)


def test_state_is_one_counts_object() -> None:
    pred, target = two_images()
    ev = SegmentationEvaluator(3)
    ev.update(pred, target, names=["a", "b"])
    ev.add_confusion_matrix(np.diag([1, 2, 3]))
    state = ev.counts  # per-image counts with names and the dataset confusion matrix
    assert (state.per_sample, state.num_samples, state.sample_names) == (True, 3, ("a", "b", None))
    # image 1: class 0 fp 8, class 1 tp 8 and fn 8; valid pixels tp + fp + fn + tn = 16
    assert state.tp[1].tolist() == [0, 8, 0]
    assert (state.tp + state.fp + state.fn + state.tn)[1].tolist() == [16, 16, 16]
    np.testing.assert_array_equal(state.confusion_matrix, ev.confusion_matrix)
    r = ev.result()
    assert r.per_image_counts is state
    assert r.image_names == ("a", "b", "2")  # unnamed: the image's index
    # per_image=False: dataset-level counts that record the number of images
    flat = SegmentationEvaluator(3, per_image=False)
    flat.update(pred, target)
    assert (flat.counts.per_sample, flat.counts.num_samples, flat.num_images) == (False, 2, 2)
    np.testing.assert_array_equal(flat.counts.tp, state.total().tp - [1, 2, 3])


def test_many_single_images_stay_few_parts() -> None:
    """Images added one by one are merged as they come: the parts stay O(log N), and the
    state equals one batch update."""
    rng = np.random.default_rng(3)
    target = rng.integers(0, 3, (300, 4, 4))
    pred = rng.integers(0, 3, (300, 4, 4))
    one_by_one, batch = SegmentationEvaluator(3), SegmentationEvaluator(3)
    for i in range(300):
        one_by_one.update(pred[i], target[i])
        assert len(one_by_one._parts) <= 2 * (i + 1).bit_length()
    batch.update(pred, target)
    assert one_by_one.state_dict() == batch.state_dict()


def test_all_reduce_two_gloo_processes(tmp_path: Path) -> None:
    """Two CPU processes each evaluate half the images; after all_reduce both hold the result
    of evaluating everything in one process."""
    pytest.importorskip("torch")
    with socket.socket() as s:  # a free port on loopback
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = tmp_path / "worker.py"
    script.write_text(
        textwrap.dedent(
            """
            import json, sys
            import numpy as np
            import torch.distributed as dist
            from ioukit import SegmentationEvaluator

            rank, port, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
            dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}",
                                    rank=rank, world_size=2)
            rng = np.random.default_rng(0)
            target = rng.integers(0, 4, (6, 8, 8))
            pred = rng.integers(0, 4, (6, 8, 8))
            ev = SegmentationEvaluator(4)
            half = slice(0, 3) if rank == 0 else slice(3, 6)
            ev.update(pred[half], target[half], names=[f"img{i}" for i in range(6)][half])
            ev.all_reduce()
            json.dump(ev.state_dict(), open(out, "w"))
            dist.destroy_process_group()
            """
        )
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    outs = [tmp_path / f"rank{r}.json" for r in range(2)]
    procs = [
        subprocess.Popen([sys.executable, str(script), str(r), str(port), str(outs[r])], env=env)
        for r in range(2)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    rng = np.random.default_rng(0)
    target = rng.integers(0, 4, (6, 8, 8))
    pred = rng.integers(0, 4, (6, 8, 8))
    whole = SegmentationEvaluator(4)
    whole.update(pred, target, names=[f"img{i}" for i in range(6)])
    for out in outs:
        state = json.loads(out.read_text())
        assert state == json.loads(json.dumps(whole.state_dict()))


def test_all_reduce_needs_an_initialised_group() -> None:
    pytest.importorskip("torch")
    with pytest.raises(InputError, match=r"torch\.distributed is not initialised"):
        SegmentationEvaluator(3).all_reduce()
