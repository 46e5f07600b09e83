"""PanopticEvaluator (id maps in memory): agreement with the file API, with torchmetrics'
PanopticQuality where the conventions coincide, the pair-counting kernel, and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from panoptic_helpers import CATEGORIES, STUFF, THINGS, make_dataset, rgb_to_ids
from PIL import Image

import ioukit
from ioukit.kernels.panoptic import pair_counts, pair_counts_rgb


def test_pair_counts_equal_np_unique():
    rng = np.random.default_rng(0)
    for shape, high in (((37, 53), 5), ((64, 64), 3000), ((1, 1), 2), ((0, 4), 2)):
        t = rng.integers(0, high, shape) * 65_537 % (1 << 24)
        p = rng.integers(0, high, shape) * 91_771 % (1 << 24)
        keys, counts = np.unique(
            t.astype(np.uint64) * 2**24 + p.astype(np.uint64), return_counts=True
        )
        # 64-bit ids take the scan itself, 32-bit ones its compiled twin (3000 ids: the
        # table of pairs doubles several times)
        for dtype in (np.int64, np.int32, np.uint32):
            gid, pid, pix, bad = pair_counts(t.astype(dtype), p.astype(dtype))
            assert bad == 0
            np.testing.assert_array_equal(gid, (keys // 2**24).astype(np.int64))
            np.testing.assert_array_equal(pid, (keys % 2**24).astype(np.int64))
            np.testing.assert_array_equal(pix, counts)
        rgb = [np.stack([x % 256, x // 256 % 256, x // 65536], -1).astype(np.uint8) for x in (t, p)]
        for got in (
            pair_counts_rgb(*rgb),
            pair_counts_rgb(rgb[0][..., ::-1], rgb[1][..., ::-1], bgr=True),
        ):
            for a, b in zip(got, (gid, pid, pix), strict=False):
                np.testing.assert_array_equal(a, b)


def test_pair_counts_reports_out_of_range_ids():
    t = np.array([0, -1, 5, 2**31])
    p = np.array([1, 1, 1, 1])
    gid, _pid, pix, bad = pair_counts(t, p)
    assert bad == 2
    assert gid.tolist() == [0, 5]
    assert pix.tolist() == [1, 1]


def _load(files):
    gt_json, gt_dir, pred_json, pred_dir = files
    gt = json.loads(gt_json.read_text())
    pred = {a["image_id"]: a for a in json.loads(pred_json.read_text())["annotations"]}
    for ann in gt["annotations"]:
        other = pred[ann["image_id"]]
        yield (
            np.asarray(Image.open(pred_dir / other["file_name"])),
            np.asarray(Image.open(gt_dir / ann["file_name"])),
            other["segments_info"],
            ann["segments_info"],
            ann["file_name"],
        )


@pytest.mark.parametrize("convention", ["panopticapi", "ioukit"])
@pytest.mark.parametrize("as_ids", [False, True])
def test_evaluator_equals_file_api(tmp_path, convention, as_ids):
    files = make_dataset(tmp_path, 7, n_images=6)
    ev = ioukit.PanopticEvaluator(categories=CATEGORIES, convention=convention)
    for pred, target, p_segs, t_segs, name in _load(files):
        if as_ids:  # (H, W) int id maps instead of RGB
            pred, target = rgb_to_ids(pred).astype(np.int64), rgb_to_ids(target)
        ev.update(pred, target, p_segs, t_segs, name=name)
    got = ev.compute()
    want = ioukit.panoptic_quality(*files, workers=1, convention=convention)
    assert got.to_dict() == want.to_dict()


def test_evaluator_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    ev = ioukit.PanopticEvaluator(categories=CATEGORIES, convention="ioukit")
    t = torch.tensor([[1, 1, 2], [1, 1, 2]])
    ev.update(
        t.clone(),
        t,
        [{"id": 1, "category_id": 1}, {"id": 2, "category_id": 20}],
        [{"id": 1, "category_id": 1}, {"id": 2, "category_id": 20}],
    )
    assert ev.compute().pq == 1.0


def _torchmetrics_case(rng, h=20, w=24):
    """One image where torchmetrics and panopticapi agree: no crowd, no VOID in the
    prediction, at most one segment per stuff category, target areas counted in the map."""
    target = np.zeros((h, w, 2), dtype=np.int64)  # (category, instance); (0, 0) is VOID
    target[: h // 2, :, 0] = STUFF[0]
    target[h // 2 :, :, 0] = STUFF[1]
    for inst in range(1, int(rng.integers(2, 6))):
        y, x = int(rng.integers(0, h - 4)), int(rng.integers(0, w - 4))
        dy, dx = int(rng.integers(2, 8)), int(rng.integers(2, 8))
        target[y : y + dy, x : x + dx] = (THINGS[int(rng.integers(0, 3))], inst)
    if rng.random() < 0.5:
        target[: int(rng.integers(1, 5)), : int(rng.integers(1, 8))] = 0  # VOID
    pred = target.copy()
    pred[(pred[..., 0] == 0)] = (STUFF[0], 0)
    pred = np.roll(pred, (int(rng.integers(-2, 3)), int(rng.integers(-2, 3))), (0, 1))
    for inst in range(10, 10 + int(rng.integers(0, 3))):
        y, x = int(rng.integers(0, h - 4)), int(rng.integers(0, w - 4))
        pred[y : y + 3, x : x + 5] = (THINGS[int(rng.integers(0, 3))], inst)
    return pred, target


def _to_ids(pairs):
    """(category, instance) pixels → id map and segments_info."""
    flat = pairs.reshape(-1, 2)
    keys, inverse = np.unique(flat, axis=0, return_inverse=True)
    ids = (inverse.reshape(pairs.shape[:2]) + 1) * (pairs[..., 0] != 0)
    segs = [{"id": i + 1, "category_id": int(c)} for i, (c, _) in enumerate(keys) if c != 0]
    return ids, segs


@pytest.mark.reference
def test_matches_torchmetrics_where_conventions_coincide():
    """torchmetrics differs from panopticapi in: no crowd regions; target pixels on
    prediction VOID also leave the union; unmatched targets mostly on prediction VOID are not
    FN; stuff instances are merged; target areas are counted, never from a JSON; PQ = SQ × RQ;
    its results are float32. Here none of the rules differ, and the numbers agree to float32."""
    torch = pytest.importorskip("torch")
    from torchmetrics.detection import PanopticQuality

    rng = np.random.default_rng(3)
    metric = PanopticQuality(things=set(THINGS), stuffs=set(STUFF), return_sq_and_rq=True)
    ev = ioukit.PanopticEvaluator(categories=CATEGORIES, convention="ioukit")
    for _ in range(12):
        pred, target = _torchmetrics_case(rng)
        metric.update(torch.from_numpy(pred)[None], torch.from_numpy(target)[None])
        p_ids, p_segs = _to_ids(pred)
        t_ids, t_segs = _to_ids(target)
        ev.update(p_ids, t_ids, p_segs, t_segs)
    pq, sq, rq = (float(v) for v in metric.compute())
    r = ev.compute()
    assert (r.pq, r.sq, r.rq) == pytest.approx((pq, sq, rq), rel=1e-6, abs=0)
    assert r.tp.sum() > 0
    assert r.fp.sum() > 0
    assert r.fn.sum() > 0


@pytest.mark.reference
def test_pq_dagger_matches_torchmetrics_modified_pq():
    """PQ† (pq_dagger=True) is torchmetrics' ModifiedPanopticQuality on the same data."""
    torch = pytest.importorskip("torch")
    from torchmetrics.detection import ModifiedPanopticQuality

    rng = np.random.default_rng(8)
    metric = ModifiedPanopticQuality(things=set(THINGS), stuffs=set(STUFF))
    ev = ioukit.PanopticEvaluator(categories=CATEGORIES, convention="ioukit", pq_dagger=True)
    plain = ioukit.PanopticEvaluator(categories=CATEGORIES, convention="ioukit")
    for _ in range(12):
        pred, target = _torchmetrics_case(rng)
        metric.update(torch.from_numpy(pred)[None], torch.from_numpy(target)[None])
        p_ids, p_segs = _to_ids(pred)
        t_ids, t_segs = _to_ids(target)
        ev.update(p_ids, t_ids, p_segs, t_segs)
        plain.update(p_ids, t_ids, p_segs, t_segs)
    r = ev.compute()
    assert r.pq == pytest.approx(float(metric.compute()), rel=1e-6, abs=0)
    assert r.pq != plain.compute().pq


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"convention": "coco"}, "`convention` must be one of"),
        ({"aggregation": "mean"}, "`aggregation` must be one of"),
    ],
)
def test_evaluator_bad_options(kwargs, message):
    with pytest.raises(ioukit.ParameterError, match=message):
        ioukit.PanopticEvaluator(categories=CATEGORIES, **kwargs)


def test_evaluator_bad_input():
    ev = ioukit.PanopticEvaluator(categories=CATEGORIES)
    ids = np.array([[1, 2]])
    segs = [{"id": 1, "category_id": 1, "area": 1}, {"id": 2, "category_id": 20, "area": 1}]
    with pytest.raises(ioukit.InputError, match="same size"):
        ev.update(ids, np.array([[1, 2, 2]]), segs, segs)
    with pytest.raises(ioukit.InputError, match=r"holds segment id\(s\) \[2\]"):
        ev.update(ids, ids, segs[:1], segs)
    with pytest.raises(ioukit.InputError, match=r"lists segment id\(s\) \[9\]"):
        ev.update(ids, ids, [*segs, {"id": 9, "category_id": 1}], segs)
    with pytest.raises(ioukit.InputError, match=r"category_id 4.*not one of the 5 categories"):
        ev.update(ids, ids, [segs[0], {"id": 2, "category_id": 4}], segs)
    with pytest.raises(ioukit.InputError, match='has no "area"'):
        ev.update(ids, ids, segs, [{"id": 1, "category_id": 1}, segs[1]])
    with pytest.raises(ioukit.InputError, match=r"\(H, W\) integer id map"):
        ev.update(ids.astype(float), ids, segs, segs)
    with pytest.raises(ioukit.InputError, match=r"outside 0 … 2\*\*31-1"):
        ev.update(np.array([[1, -2]]), ids, segs, segs)
    assert ev.num_images == 0  # nothing half-added
    with pytest.raises(ioukit.InputError, match="is empty"):
        ioukit.PanopticEvaluator(categories=[])
