"""SegmentationEvaluator(boundary=..., boundary_convention="detectron2"): detectron2's numbers.

The reference below transcribes the boundary part of detectron2's ``SemSegEvaluator``
(``process`` and ``evaluate``, detectron2/evaluation/sem_seg_evaluation.py) with OpenCV: the
ignore label becomes ``num_classes``, each uint8 label map minus its grey-level erosion, one
``(C + 1)²`` bincount of (prediction drop, target drop) per image, summed, then
``b_tp / (b_pos_gt + b_pos_pred - b_tp)`` per class, NaN where that union is 0. As in
detectron2, the bincount's index is computed in uint8 (the drops' dtype), so from 16 classes on
it wraps modulo 256: the transcription keeps that, and so does the convention.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ioukit import InputError, ParameterError, SegmentationEvaluator, StateError
from ioukit._segmentation_boundary import label_erosion

cv2 = pytest.importorskip("cv2")


class Detectron2Boundary:
    """detectron2's boundary confusion matrix ``b_conf`` (rows = prediction value)."""

    def __init__(self, num_classes: int, ignore_label: int, ratio: float = 0.02) -> None:
        self.c, self.ignore, self.ratio = num_classes, ignore_label, ratio
        self.b_conf = np.zeros((num_classes + 1, num_classes + 1), dtype=np.int64)

    def _mask_to_boundary(self, mask: np.ndarray) -> np.ndarray:
        h, w = mask.shape
        dilation = max(1, int(round(self.ratio * np.sqrt(h**2 + w**2))))  # noqa: RUF046
        padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
        eroded = cv2.erode(padded, np.ones((3, 3), dtype=np.uint8), iterations=dilation)
        return mask - eroded[1:-1, 1:-1]

    def process(self, pred: np.ndarray, gt: np.ndarray) -> None:
        pred = np.array(pred, dtype=int)
        gt = np.array(gt, dtype=int)
        gt[gt == self.ignore] = self.c
        b_gt = self._mask_to_boundary(gt.astype(np.uint8))
        b_pred = self._mask_to_boundary(pred.astype(np.uint8))
        self.b_conf += np.bincount(
            (self.c + 1) * b_pred.reshape(-1) + b_gt.reshape(-1), minlength=(self.c + 1) ** 2
        ).reshape(self.c + 1, self.c + 1)

    def evaluate(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        b_iou = np.full(self.c, np.nan, dtype=np.float64)
        b_tp = self.b_conf.diagonal()[:-1].astype(np.float64)
        b_pos_gt = np.sum(self.b_conf[:-1, :-1], axis=0).astype(np.float64)
        b_pos_pred = np.sum(self.b_conf[:-1, :-1], axis=1).astype(np.float64)
        b_union = b_pos_gt + b_pos_pred - b_tp
        valid = b_union > 0
        b_iou[valid] = b_tp[valid] / b_union[valid]
        return b_iou, b_tp, b_pos_pred, b_pos_gt


def _maps(rng: np.random.Generator, n: int, h: int, w: int, c: int, block: int) -> np.ndarray:
    """Label maps of ``block``-sized regions of random classes, with 3 % noise."""
    small = rng.integers(0, c, size=(n, h // block + 1, w // block + 1))
    maps = np.kron(small, np.ones((block, block), dtype=np.int64))[:, :h, :w]
    noise = rng.random((n, h, w)) < 0.03
    maps[noise] = rng.integers(0, c, size=int(noise.sum()))
    return maps


def _check(ev: SegmentationEvaluator, ref: Detectron2Boundary) -> None:
    r = ev.result()
    b_iou, b_tp, b_pos_pred, b_pos_gt = ref.evaluate()
    counts = r.boundary_counts
    np.testing.assert_array_equal(counts.tp, b_tp)
    np.testing.assert_array_equal(counts.tp + counts.fp, b_pos_pred)
    np.testing.assert_array_equal(counts.tp + counts.fn, b_pos_gt)
    np.testing.assert_array_equal(r.boundary_iou, b_iou)  # exact; NaN where NaN
    assert r.boundary_convention == "detectron2"


@pytest.mark.parametrize("per_image", [True, False])
@pytest.mark.parametrize(
    ("c", "h", "w", "block", "ratio"),
    [
        (2, 64, 48, 8, 0.02),
        (3, 37, 91, 5, 0.05),
        (7, 120, 80, 12, 0.02),
        (19, 50, 50, 4, 0.02),
        (19, 9, 13, 3, 0.5),  # the band is wider than the image
        (254, 40, 70, 6, 0.02),  # the largest num_classes detectron2 allows
    ],
)
def test_matches_detectron2(
    c: int, h: int, w: int, block: int, ratio: float, per_image: bool
) -> None:
    rng = np.random.default_rng(c * 1000 + h)
    target = _maps(rng, 5, h, w, c, block)
    target[rng.random(target.shape) < 0.05] = 255
    target[0, : h // 3, : w // 2] = 255  # a void region
    pred = _maps(rng, 5, h, w, c, block)
    pred[1] = np.where(target[1] == 255, 0, target[1])  # a near-perfect image
    ev = SegmentationEvaluator(
        c, ignore_index=255, per_image=per_image, boundary=ratio, boundary_convention="detectron2"
    )
    ref = Detectron2Boundary(c, 255, ratio)
    ev.update(pred[:2], target[:2])  # a batch, then single images
    for p, t in zip(pred, target, strict=True):
        ref.process(p, t)
    for p, t in zip(pred[2:], target[2:], strict=True):
        ev.update(p, t)
    _check(ev, ref)
    # the mask IoU is unchanged by the convention
    plain = SegmentationEvaluator(c, ignore_index=255, per_image=per_image)
    plain.update(pred, target)
    np.testing.assert_array_equal(plain.result().iou, ev.result().iou)


def test_uint8_wrap_hand_computed() -> None:
    # C = 16, a 6×6 map (d = 1): pred all 15, target all 1. The 20 border pixels drop by 15
    # (pred) and 1 (target); detectron2's cell 17 · 15 + 1 = 256 is 0 in uint8, so they land
    # in cell (0, 0) with the 16 interior pixels (drops 0, 0): drop 0 scores 36 / 36 and every
    # other class is NaN. Without the wrap, drops 1 and 15 would score 0 / 20.
    c = 16
    pred, target = np.full((6, 6), 15), np.full((6, 6), 1)
    ref = Detectron2Boundary(c, 255)
    ref.process(pred, target)
    assert ref.b_conf[0, 0] == 36
    assert ref.b_conf.sum() == 36
    ev = SegmentationEvaluator(c, boundary=0.02, boundary_convention="detectron2")
    ev.update(pred, target)
    _check(ev, ref)
    assert ev.result().boundary_iou[0] == 1.0
    assert np.isnan(ev.result().boundary_iou[1:]).all()
    ours = SegmentationEvaluator(c, boundary=0.02)  # the per-class definition
    ours.update(pred, target)
    assert ours.result().boundary_iou[[1, 15]].tolist() == [0.0, 0.0]


def test_ignore_values_inside_the_classes_and_several_ignore_values() -> None:
    """An ignore value in [0, C) still gets detectron2's score (no NaN for ignored classes);
    several ignore values all become C, as detectron2's one ignore label does."""
    rng = np.random.default_rng(5)
    c = 6
    target = _maps(rng, 3, 40, 52, c, 6)
    pred = _maps(rng, 3, 40, 52, c, 6)
    ev = SegmentationEvaluator(c, ignore_index=0, boundary=0.05, boundary_convention="detectron2")
    ev.update(pred, target)
    ref = Detectron2Boundary(c, 0, 0.05)
    for p, t in zip(pred, target, strict=True):
        ref.process(p, t)
    _check(ev, ref)
    assert not np.isnan(ev.result().boundary_iou[0])
    assert np.isnan(ev.result().iou[0])  # the mask IoU of an ignored class is NaN
    target[:, :8, :8] = 254
    target[:, -8:, -8:] = 255
    several = SegmentationEvaluator(
        c, ignore_index=(254, 255), boundary=0.05, boundary_convention="detectron2"
    )
    several.update(pred, target)
    ref = Detectron2Boundary(c, 255, 0.05)
    for p, t in zip(pred, target, strict=True):
        ref.process(p, np.where(t == 254, 255, t))
    _check(several, ref)


def test_class_scores_and_torch_input() -> None:
    rng = np.random.default_rng(2)
    c = 4
    target = _maps(rng, 3, 33, 40, c, 5)
    scores = rng.random((3, c, 33, 40)).astype(np.float32)
    ref = Detectron2Boundary(c, 255)
    for s, t in zip(scores, target, strict=True):
        ref.process(s.argmax(axis=0), t)  # detectron2 argmaxes the class axis
    ev = SegmentationEvaluator(c, boundary=0.02, boundary_convention="detectron2")
    ev.update(scores, target)
    _check(ev, ref)
    torch = pytest.importorskip("torch")
    tev = SegmentationEvaluator(c, boundary=0.02, boundary_convention="detectron2")
    tev.update(torch.from_numpy(scores), torch.from_numpy(target))
    _check(tev, ref)


def test_binary_maps_class_one_agrees_with_ioukit() -> None:
    """On 0/1 maps the label drop is the class-1 mask's band: the conventions agree for
    class 1 and differ for class 0 (detectron2's class 0 holds the undropped pixels)."""
    rng = np.random.default_rng(8)
    target = _maps(rng, 4, 48, 64, 2, 8)
    pred = _maps(rng, 4, 48, 64, 2, 8)
    out = {}
    for convention in ("ioukit", "detectron2"):
        ev = SegmentationEvaluator(2, boundary=0.02, boundary_convention=convention)
        ev.update(pred, target)
        out[convention] = ev.result().boundary_iou
    assert out["ioukit"][1] == out["detectron2"][1]
    assert out["ioukit"][0] != out["detectron2"][0]


def test_label_erosion_is_cv2_erode() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        h, w = (int(v) for v in rng.integers(1, 30, 2))
        d = int(rng.integers(1, 20))
        maps = rng.integers(0, int(rng.integers(1, 256)), (2, h, w)).astype(np.uint8)
        got = label_erosion(maps, d)
        assert got.dtype == np.uint8
        for m, g in zip(maps, got, strict=True):
            padded = cv2.copyMakeBorder(m, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
            want = cv2.erode(padded, np.ones((3, 3), dtype=np.uint8), iterations=d)
            np.testing.assert_array_equal(g, want[1:-1, 1:-1], err_msg=f"{h}x{w}, d={d}")


def test_merge_save_load_carry_the_convention(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    c = 5
    target, pred = _maps(rng, 4, 30, 30, c, 5), _maps(rng, 4, 30, 30, c, 5)

    def make(convention: str = "detectron2") -> SegmentationEvaluator:
        return SegmentationEvaluator(c, boundary=0.05, boundary_convention=convention)

    whole, a, b = make(), make(), make()
    whole.update(pred, target)
    a.update(pred[:1], target[:1])
    b.update(pred[1:], target[1:])
    np.testing.assert_array_equal((a + b).result().boundary_iou, whole.result().boundary_iou)
    assert whole.state_dict()["config"]["boundary_convention"] == "detectron2"
    for suffix in (".json", ".npz"):
        whole.save(tmp_path / f"s{suffix}")
        back = SegmentationEvaluator.load(tmp_path / f"s{suffix}")
        assert back.boundary_convention == "detectron2"
        np.testing.assert_array_equal(back.result().boundary_iou, whole.result().boundary_iou)
    other = make("ioukit")
    other.update(pred, target)
    with pytest.raises(
        InputError,
        match=r"merge: the evaluators differ in boundary_convention \(boundary_convention: "
        r"'detectron2' here, 'ioukit' in `other`\)",
    ):
        whole + other
    with pytest.raises(StateError, match=r"differs in boundary_convention .*'detectron2' saved"):
        make("ioukit").load_state_dict(whole.state_dict())
    # a state saved before the option (no convention in its config) is "ioukit"
    old = other.state_dict()
    del old["config"]["boundary_convention"]
    fresh = make("ioukit")
    fresh.load_state_dict(old)
    np.testing.assert_array_equal(fresh.result().boundary_iou, other.result().boundary_iou)
    with pytest.raises(StateError, match="differs in boundary_convention"):
        make().load_state_dict(old)


def test_all_reduce_two_gloo_processes_carries_the_convention(tmp_path: Path) -> None:
    """Two ranks with the detectron2 convention sum to one pass; ranks with different
    conventions refuse, naming the setting."""
    pytest.importorskip("torch")
    with socket.socket() as s:
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
            target = rng.integers(0, 4, (6, 16, 16))
            pred = rng.integers(0, 4, (6, 16, 16))
            ev = SegmentationEvaluator(4, boundary=0.1, boundary_convention="detectron2")
            ev.update(pred[rank * 3 : rank * 3 + 3], target[rank * 3 : rank * 3 + 3])
            ev.all_reduce()
            mixed = SegmentationEvaluator(
                4, boundary=0.1, boundary_convention=("ioukit", "detectron2")[rank]
            )
            mixed.update(pred, target)
            try:
                mixed.all_reduce()
                error = None
            except ValueError as exc:
                error = str(exc)
            json.dump({"state": ev.state_dict(), "error": error}, open(out, "w"))
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
    target = rng.integers(0, 4, (6, 16, 16))
    pred = rng.integers(0, 4, (6, 16, 16))
    whole = SegmentationEvaluator(4, boundary=0.1, boundary_convention="detectron2")
    whole.update(pred, target)
    for out in outs:
        got = json.loads(out.read_text())
        assert got["state"] == json.loads(json.dumps(whole.state_dict()))
        assert "ranks' evaluators differ in boundary_convention" in got["error"]


@pytest.mark.parametrize("bad", ["d2", "Detectron2", None, 1])
def test_bad_convention(bad: object) -> None:
    with pytest.raises(
        ParameterError,
        match=r"SegmentationEvaluator: `boundary_convention` must be 'ioukit' .* or "
        r"'detectron2' .*; got",
    ):
        SegmentationEvaluator(3, boundary=0.02, boundary_convention=bad)  # type: ignore[arg-type]


def test_detectron2_convention_limits() -> None:
    with pytest.raises(ParameterError, match=r"`boundary_convention='detectron2'` applies to"):
        SegmentationEvaluator(3, boundary_convention="detectron2")
    SegmentationEvaluator(3, boundary_convention="ioukit")  # the default: fine without boundary
    SegmentationEvaluator(254, boundary=0.02, boundary_convention="detectron2")
    with pytest.raises(ParameterError, match=r"needs num_classes <= 254.*got num_classes=255"):
        SegmentationEvaluator(255, boundary=0.02, boundary_convention="detectron2")


def test_prediction_out_of_range_at_ignored_pixels() -> None:
    """The mask counts skip ignored pixels whatever the prediction there; detectron2's
    boundary counts take every pixel (a larger label drop has no cell), so this convention
    refuses such a prediction, naming it."""
    target = np.zeros((12, 12), dtype=np.int64)
    target[:4] = 255
    pred = np.zeros((12, 12), dtype=np.int64)
    pred[0, :3] = 200
    SegmentationEvaluator(3, ignore_index=255, boundary=0.02).update(pred, target)  # ioukit
    ev = SegmentationEvaluator(3, ignore_index=255, boundary=0.02, boundary_convention="detectron2")
    with pytest.raises(
        InputError,
        match=r"SegmentationEvaluator.update: with boundary_convention='detectron2', `pred` must "
        r"hold labels in \[0, 3\) at every pixel, ignored ones included.*got .*200",
    ):
        ev.update(pred, target)
