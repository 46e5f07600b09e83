"""Saved evaluator states: the version-2 format, version-1 files written before it, and every
way a state file or dict can be wrong (each raises StateError naming the file and the fault;
no raw KeyError, BadZipFile, EOFError or JSONDecodeError reaches the caller)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ioukit import InputError, SegmentationEvaluator
from ioukit._errors import StateError
from segmentation_helpers import two_images

EXTRA = np.array([[1, 2, 0], [0, 3, 0], [0, 0, 4]])  # a third image, by its confusion matrix

# Written by ioukit before this format (state version 1, `git show HEAD~:src/ioukit/...`) for
# `fresh(per_image=True)` below. per_image holds per image tp, fp, fn and valid pixels:
# image a: class 0 tp 12, class 1 tp 4 on 16 pixels; image b: class 1 tp 8, class 0 fp 8, class
# 1 fn 8; the third (unnamed) image is EXTRA, 10 pixels.
V1_PER_IMAGE = {
    "version": 1,
    "config": {
        "num_classes": 3,
        "ignore_index": [255],
        "class_names": ["0", "fg", "2"],
        "per_image": True,
        "spatial_dims": 2,
    },
    "num_images": 3,
    "confusion_matrix": [[13, 2, 0], [8, 15, 0], [0, 0, 4]],
    "per_image": [
        [[12, 4, 0], [0, 0, 0], [0, 0, 0], [16, 16, 16]],
        [[0, 8, 0], [8, 0, 0], [0, 8, 0], [16, 16, 16]],
        [[1, 3, 4], [0, 2, 0], [2, 0, 0], [10, 10, 10]],
    ],
    "image_names": ["a", "b", None],
}
# the same, for `fresh(per_image=False)`: two_images only, default options
V1_DATASET = {
    "version": 1,
    "config": {
        "num_classes": 3,
        "ignore_index": [],
        "class_names": ["0", "1", "2"],
        "per_image": False,
        "spatial_dims": 2,
    },
    "num_images": 2,
    "confusion_matrix": [[12, 0, 0], [8, 12, 0], [0, 0, 0]],
}


def fresh(per_image: bool) -> SegmentationEvaluator:
    """Today's evaluator of the data behind the version-1 states."""
    pred, target = two_images()
    if not per_image:
        ev = SegmentationEvaluator(3, per_image=False)
        ev.update(pred, target)
        return ev
    ev = SegmentationEvaluator(3, ignore_index=255, class_names={1: "fg"})
    ev.update(pred, target, names=["a", "b"])
    ev.add_confusion_matrix(EXTRA)
    return ev


def write_v1(path: Path, state: dict[str, Any]) -> None:
    """A version-1 file as ioukit wrote it: JSON as is; .npz with the state's JSON (without
    per_image) as uint8 bytes and per_image as an (N, 4, C) int64 array."""
    if path.suffix == ".json":
        path.write_text(json.dumps(state))
        return
    per = np.asarray(state.get("per_image", []), dtype=np.int64).reshape(-1, 4, 3)
    meta = json.dumps({k: v for k, v in state.items() if k != "per_image"}).encode()
    np.savez_compressed(path, state=np.frombuffer(meta, dtype=np.uint8), per_image=per)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize("per_image", [True, False])
def test_version_1_states_load_to_identical_results(
    tmp_path: Path, suffix: str, per_image: bool
) -> None:
    path = tmp_path / f"old{suffix}"
    write_v1(path, V1_PER_IMAGE if per_image else V1_DATASET)
    old, now = SegmentationEvaluator.load(path), fresh(per_image)
    assert old.state_dict() == now.state_dict()  # the same Counts, in today's format
    assert old.result().to_dict() == now.result().to_dict()
    np.testing.assert_array_equal(old.confusion_matrix, now.confusion_matrix)
    if per_image:
        assert old.result().image_names == ("a", "b", "2")
        assert old.result().per_image_rows() == now.result().per_image_rows()
    # resaved, it is a version-2 state; and the dict loads through load_state_dict too
    old.save(tmp_path / f"new{suffix}")
    assert SegmentationEvaluator.load(tmp_path / f"new{suffix}").state_dict()["version"] == 2
    again = SegmentationEvaluator(**old.state_dict()["config"])
    again.load_state_dict(json.loads(json.dumps(V1_PER_IMAGE if per_image else V1_DATASET)))
    assert again.state_dict() == now.state_dict()


def test_state_dict_is_the_counts() -> None:
    ev = fresh(per_image=True)
    state = ev.state_dict()
    assert set(state) == {"version", "config", "counts"}
    assert state["version"] == 2
    assert state["counts"] == ev.counts.to_dict()
    assert state["counts"]["sample_names"] == ["a", "b", None]
    assert state["counts"]["confusion_matrix"] == V1_PER_IMAGE["confusion_matrix"]


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize("per_image", [True, False])
def test_save_load_round_trip(tmp_path: Path, suffix: str, per_image: bool) -> None:
    ev = fresh(per_image)
    ev.save(tmp_path / f"s{suffix}")
    back = SegmentationEvaluator.load(tmp_path / f"s{suffix}")
    assert back.state_dict() == ev.state_dict()
    assert back.num_images == ev.num_images
    assert not (tmp_path / f"s{suffix}.tmp").exists()  # written aside, then renamed


def test_npz_keeps_the_arrays_binary(tmp_path: Path) -> None:
    fresh(per_image=True).save(tmp_path / "s.npz")
    with np.load(tmp_path / "s.npz") as data:
        assert set(data.files) == {
            "state",
            "counts/tp",
            "counts/fp",
            "counts/fn",
            "counts/tn",
            "counts/confusion_matrix",
        }
        assert data["counts/tp"].dtype == np.int64
        assert data["counts/tp"].shape == (3, 3)
        meta = json.loads(bytes(data["state"]).decode())
    assert "tp" not in meta["counts"]
    assert meta["counts"]["sample_names"] == ["a", "b", None]


# ------------------------------------------------------------------------------ broken states


def v2(**changes: Any) -> dict[str, Any]:
    """Today's state of fresh(per_image=True), with changes (``...`` deletes a key; a key
    ``counts.x`` / ``config.x`` changes inside)."""
    state = json.loads(json.dumps(fresh(per_image=True).state_dict()))
    for key, value in changes.items():
        *parent, name = key.split(".")
        node = state[parent[0]] if parent else state
        if value is ...:
            del node[name]
        else:
            node[name] = value
    return state


def four_class_counts() -> dict[str, Any]:
    ev = SegmentationEvaluator(4, ignore_index=255)
    ev.update(*two_images())
    return json.loads(json.dumps(ev.state_dict()["counts"]))


BROKEN_STATES = [
    pytest.param([1, 2], r"the file holds a list, not a state", id="a-list"),
    pytest.param(v2(config=...), r"the state has no 'config'; it is incomplete", id="no-config"),
    pytest.param(v2(counts=...), r"the state has no 'counts'", id="no-counts"),
    pytest.param(v2(config=[3]), r"'config' must be a dict; got list", id="config-type"),
    pytest.param(
        v2(**{"config.spatial_dims": ...}),
        r"`config` must hold exactly .*; missing spatial_dims",
        id="config-key",
    ),
    pytest.param(
        v2(**{"config.num_classes": "three"}),
        r"the saved configuration is invalid: SegmentationEvaluator: `num_classes` must be a "
        r"positive integer; got 'three'",
        id="config-value",
    ),
    pytest.param(
        v2(version=99),
        r"unknown state version 99; this ioukit reads versions 1 and 2",
        id="version",
    ),
    pytest.param(v2(version=...), r"unknown state version None", id="no-version"),
    pytest.param(
        v2(**{"counts.tp": [[1.5, 0, 0]] * 3}),
        r"the counts are malformed: Counts.from_dict: `tp` must hold int64 numbers",
        id="float-counts",
    ),
    pytest.param(
        v2(**{"counts.fp": [[0, 0]] * 3}),
        r"the counts are malformed: Counts.from_dict: `fp` must have shape \(3, 3\); got \(3, 2\)",
        id="shape",
    ),
    pytest.param(
        v2(**{"counts.tn": ...}),
        r"the counts are malformed: Counts.from_dict: the dict has no 'tn'",
        id="missing-count",
    ),
    pytest.param(
        v2(**{"counts.confusion_matrix": [[13, 2, 0], [8, 15, 0], [0, 0, 5]]}),
        r"`confusion_matrix` does not agree with tp, fp, fn and tn",
        id="matrix-disagrees",
    ),
    pytest.param(
        v2(counts=four_class_counts()),
        r"the saved counts do not fit its configuration \(num_classes=3, per_image=True\): they "
        r"differ in num_classes \(4, expected 3\)",
        id="other-num-classes",
    ),
    pytest.param(
        v2(**{"counts.per_sample": False, "counts.num_classes": ...}),
        r"Counts.from_dict: dataset-level `tp` must have shape \(C,\); got \(3, 3\)",
        id="layout",
    ),
    pytest.param(
        {**V1_PER_IMAGE, "per_image": V1_PER_IMAGE["per_image"][:2]},
        r"`per_image` must be \(3, 4, 3\) with 3 `image_names` \(num_images=3\); got "
        r"shape \(2, 4, 3\)",
        id="v1-shape",
    ),
    pytest.param(
        {k: v for k, v in V1_PER_IMAGE.items() if k != "image_names"},
        r"the state has no 'image_names'",
        id="v1-no-names",
    ),
]


def write_npz(path: Path, state: Any) -> None:
    """``state`` in the .npz layout of its version (today's: the counts' arrays apart)."""
    if isinstance(state, dict) and state.get("version") == 1:
        write_v1(path, state)
        return
    counts = state.get("counts") if isinstance(state, dict) else None
    arrays = {}
    if isinstance(counts, dict):
        keys = [k for k in ("tp", "fp", "fn", "tn", "confusion_matrix") if k in counts]
        arrays = {f"counts/{k}": np.asarray(counts[k]) for k in keys}
        state = {**state, "counts": {k: v for k, v in counts.items() if k not in keys}}
    np.savez(path, state=np.frombuffer(json.dumps(state).encode(), np.uint8), **arrays)


@pytest.mark.parametrize(("state", "match"), BROKEN_STATES)
@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_broken_state_files(tmp_path: Path, suffix: str, state: Any, match: str) -> None:
    path = tmp_path / f"state{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(state))
    else:
        write_npz(path, state)
    with pytest.raises(StateError) as err:
        SegmentationEvaluator.load(path)
    assert type(err.value) is StateError  # not a KeyError, BadZipFile, JSONDecodeError, …
    prefix = f"SegmentationEvaluator.load: {str(path)!r}: "
    assert str(err.value).startswith(prefix)
    assert re.search(match, str(err.value)), str(err.value)


@pytest.mark.parametrize(("state", "match"), BROKEN_STATES)
def test_broken_state_dicts(state: Any, match: str) -> None:
    ev = SegmentationEvaluator(3, ignore_index=255, class_names={1: "fg"})
    if match.startswith("the saved configuration is invalid"):
        match = r"differs in num_classes"  # a dict is compared with this evaluator
    if match.startswith("the file holds"):
        match = r"a state is a dict; got list"
    with pytest.raises(StateError, match=r"^SegmentationEvaluator.load_state_dict: .*" + match):
        ev.load_state_dict(state)
    assert ev.num_images == 0  # nothing was loaded


def test_ragged_version_1_lists() -> None:
    ev = SegmentationEvaluator(3, ignore_index=255, class_names={1: "fg"})
    with pytest.raises(StateError, match=r"'per_image' must be a rectangular array of integers"):
        ev.load_state_dict({**V1_PER_IMAGE, "per_image": [[[1, 2, 3]], [[4, 5]]]})
    with pytest.raises(StateError, match=r"'confusion_matrix' must be a rectangular array"):
        ev.load_state_dict({**V1_PER_IMAGE, "confusion_matrix": [[1], "ab"]})


@pytest.mark.parametrize(
    ("content", "match"),
    [
        pytest.param(b"", r"the file is empty; it is not a saved state", id="empty"),
        pytest.param(b"  \n", r"not a readable JSON state \(JSONDecodeError", id="blank"),
        pytest.param(b"\xff\xfe\x00garbage", r"not a readable JSON state", id="binary"),
        pytest.param(
            b'{"version": 2, "config": {"num_cl',
            r"not a readable JSON state \(JSONDecodeError: .*truncated",
            id="truncated",
        ),
    ],
)
def test_unreadable_json_files(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(StateError, match=match):
        SegmentationEvaluator.load(path)


def test_unreadable_npz_files(tmp_path: Path) -> None:
    path = tmp_path / "state.npz"
    path.write_bytes(b"")
    with pytest.raises(StateError, match=r"'.*state.npz': the file is empty"):
        SegmentationEvaluator.load(path)
    np.save(tmp_path / "array.npy", np.zeros(3))
    (tmp_path / "array.npy").rename(path)
    with pytest.raises(StateError, match=r"a single .npy array, not an .npz state"):
        SegmentationEvaluator.load(path)
    np.savez(path, other=np.zeros(3))
    with pytest.raises(StateError, match=r"the .npz archive has no 'state' entry"):
        SegmentationEvaluator.load(path)
    path.write_bytes(b"P")  # one byte: neither a zip nor a .npy
    with pytest.raises(StateError, match=r"not a readable .npz state; the file is truncated"):
        SegmentationEvaluator.load(path)
    fresh(per_image=True).save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(StateError, match=r"truncated or corrupt \(BadZipFile"):
        SegmentationEvaluator.load(path)
    with pytest.raises(FileNotFoundError):  # a missing file is not a corrupt one
        SegmentationEvaluator.load(tmp_path / "missing.npz")


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_every_truncation_and_corruption_is_a_state_error(tmp_path: Path, suffix: str) -> None:
    """Cut a saved state at every length, and flip random bytes: loading either works (the
    damage missed everything that matters) or raises StateError, never anything else."""
    good = tmp_path / f"good{suffix}"
    fresh(per_image=True).save(good)
    raw = good.read_bytes()
    rng = random.Random(0)
    damaged = [raw[:n] for n in range(len(raw))]
    for _ in range(200):
        b = bytearray(raw)
        for _ in range(3):
            b[rng.randrange(len(b))] = rng.randrange(256)
        damaged.append(bytes(b))
    path = tmp_path / f"bad{suffix}"
    loaded = 0
    for content in damaged:
        path.write_bytes(content)
        try:
            SegmentationEvaluator.load(path)
            loaded += 1
        except StateError:
            pass
    assert loaded < 30  # almost every damage is found


@pytest.mark.parametrize("cli", [False, True], ids=["to_dict", "cli-json"])
def test_a_results_summary_is_refused(tmp_path: Path, cli: bool) -> None:
    """`SegmentationResult.to_dict()` (what `--json` writes, there without per-image rows and
    with the CLI's fields) holds scores, not counts: loading it says what to do instead."""
    d = json.loads(json.dumps(fresh(per_image=True).result().to_dict()))
    if cli:
        d = {"command": "segment", "files": {}, **{k: v for k, v in d.items() if k != "per_image"}}
    (tmp_path / "summary.json").write_text(json.dumps(d))
    hint = (
        r"this is a results summary \(SegmentationResult.to_dict, as written by `ioukit segment "
        r"--json`\), not an evaluator state.* Resume from the --checkpoint file instead"
    )
    with pytest.raises(StateError, match=r"summary.json': " + hint):
        SegmentationEvaluator.load(tmp_path / "summary.json")
    with pytest.raises(StateError, match=r"^SegmentationEvaluator.load_state_dict: " + hint):
        SegmentationEvaluator(3).load_state_dict(d)


def test_a_loaded_state_of_other_classes_does_not_merge(tmp_path: Path) -> None:
    four = SegmentationEvaluator(4, ignore_index=255)
    four.update(*two_images())
    four.save(tmp_path / "four.npz")
    loaded = SegmentationEvaluator.load(tmp_path / "four.npz")
    with pytest.raises(InputError, match=r"merge: the evaluators differ in num_classes"):
        loaded + SegmentationEvaluator(3, ignore_index=255)
    with pytest.raises(
        InputError,
        match=r"differs in num_classes, class_names from this evaluator \(num_classes: 4 saved",
    ):
        SegmentationEvaluator(3, ignore_index=255).load_state_dict(loaded.state_dict())
