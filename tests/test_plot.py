"""ioukit.plot: every number drawn equals the library's; bad input errors; lazy plotly import."""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ioukit

pytest.importorskip("plotly")
from ioukit import plot as P

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "soft_jaccard_logistic_regression.py"


def _trace(fig, name_prefix):
    return next(t for t in fig.data if (t.name or "").startswith(name_prefix))


# ------------------------------------------------------------------------------------ imports


def test_import_ioukit_does_not_import_plotly():
    code = "import sys, ioukit; assert 'plotly' not in sys.modules, 'plotly imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_plotly_raises_missing_dependency_error():
    code = (
        "import sys; sys.modules['plotly'] = None; sys.modules['plotly.graph_objects'] = None\n"
        "import ioukit\n"
        "try:\n    import ioukit.plot\nexcept ioukit.MissingDependencyError as e:\n"
        "    from ioukit._errors import install_hint\n"
        "    assert install_hint('plot', 'plotly') in str(e), str(e); print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "ok"


# --------------------------------------------------------------------------------------- sets


def test_set_overlap_sets():
    a, b = {1, 2, 3, 5, 8}, {2, 3, 4, 8, 9}
    fig = P.plot_set_overlap(a, b)
    # A only {1, 5}, A ∩ B {2, 3, 8}, B only {4, 9}: J = 3 / 7
    assert "3 / 7 = 0.4286" in fig.layout.title.text
    c = ioukit.set_counts(b, a)  # b is the prediction, a the target
    assert list(_trace(fig, "A only").x) == [int(c.fn[0])] * 2
    assert list(_trace(fig, "A ∩ B").x) == [int(c.tp[0])] * 3
    assert list(_trace(fig, "B only").x) == [int(c.fp[0])] * 2
    assert list(_trace(fig, "B only").base) == [5, 5]  # starts after A only + A ∩ B


def test_set_overlap_binary_vectors_and_empty():
    a, b = np.array([1, 1, 0, 0, 1, 0]), np.array([1, 0, 0, 0, 1, 1])
    fig = P.plot_set_overlap(a, b)  # tp 2, fp 1, fn 1: J = 2 / 4
    assert f"= 2 / 4 = {float(ioukit.binary_jaccard(b, a)):.4f}" in fig.layout.title.text
    assert "undefined (0/0)" in P.plot_set_overlap(set(), []).layout.title.text


def test_set_overlap_iterators_are_read_once():
    # A = {1, 2, 3} (target), B = {2, 3, 4} (prediction) given as one-shot iterators: the
    # counts and the items in the hover text come from the same elements
    fig = P.plot_set_overlap(iter([1, 2, 3]), (x for x in [2, 3, 4]))
    assert "2 / 4 = 0.5000" in fig.layout.title.text
    assert _trace(fig, "A only").hovertext[0] == "A only: 1<br>1"
    assert _trace(fig, "A ∩ B").hovertext[0] == "A ∩ B: 2<br>2, 3"
    assert _trace(fig, "B only").hovertext[0] == "B only: 1<br>4"


def test_set_overlap_bad_input():
    with pytest.raises(ioukit.InputError, match="both be sets"):
        P.plot_set_overlap({1, 2}, np.array([1, 0]))
    with pytest.raises(ioukit.InputError, match="not a str"):
        P.plot_set_overlap("abc", {"a"})
    with pytest.raises(ioukit.InputError, match="not a bytes"):
        P.plot_set_overlap({1}, b"ab")
    with pytest.raises(ioukit.ParameterError, match="`names` must be a tuple of two"):
        P.plot_set_overlap({1}, {1}, names=("a",))


# -------------------------------------------------------------------------------------- masks


def test_mask_overlap_codes_counts_and_title():
    target = np.zeros((4, 5), dtype=np.uint8)
    target[1:3, 1:3] = 1
    target[0, 4] = 255
    pred = np.zeros((4, 5))
    pred[1:3, 1:4] = 0.9
    pred[3, 0] = 0.2
    fig = P.plot_mask_overlap(pred, target, threshold=0.5, ignore_index=255)
    c = ioukit.binary_counts(pred, target, threshold=0.5, ignore_index=255)
    iou = float(ioukit.jaccard(c))  # tp 4, fp 2, fn 0 -> 4 / 6
    assert fig.layout.title.text.endswith(f"4 / (4 + 2 + 0) = {iou:.4f}")
    z = np.asarray(fig.data[0].z)
    assert int((z == 1).sum()) == int(c.tp[0])
    assert int((z == 2).sum()) == int(c.fp[0])
    assert int((z == 3).sum()) == int(c.fn[0])
    assert int((z == 0).sum()) == int(c.tn[0])
    assert z[0, 4] == 4  # ignored
    legend = [t.name for t in fig.data[1:]]
    assert legend == ["background (TN): 13", "TP: 4", "FP: 2", "FN: 0", "ignored: 1"]


def test_mask_overlap_bad_input():
    with pytest.raises(ioukit.InputError, match=r"2-D mask \(H, W\); got shape \(2, 2, 2\)"):
        P.plot_mask_overlap(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
    with pytest.raises(ioukit.InputError, match="same shape"):
        P.plot_mask_overlap(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ioukit.InputError, match="threshold"):
        P.plot_mask_overlap(np.full((2, 2), 0.3), np.zeros((2, 2)))


# ------------------------------------------------------------------------------------- curves


def test_jaccard_curve_equals_library():
    rng = np.random.default_rng(1)
    y = (rng.random(200) < 0.3).astype(int)
    s = rng.random(200) * 0.6 + 0.4 * y
    fig = P.plot_jaccard_curve(s, y)
    thr, j = ioukit.jaccard_curve(s, y)
    t_best, j_best = ioukit.best_threshold(s, y)
    curve, best = fig.data
    np.testing.assert_array_equal(curve.x, thr)
    np.testing.assert_array_equal(curve.y, j)
    assert (best.x[0], best.y[0]) == (t_best, j_best)
    assert f"best J = {j_best:.4f}" in fig.layout.title.text


def test_jaccard_curve_mapping_and_grid():
    y = np.array([0, 1, 1, 0, 1])
    models = {"a": np.array([0.1, 0.8, 0.4, 0.4, 0.9]), "b": np.array([0.9, 0.2, 0.3, 0.1, 0.5])}
    fig = P.plot_jaccard_curve(models, y, grid=11)
    assert [t.name.split(":")[0] for t in fig.data] == ["a", "a", "b", "b"]
    for k, (name, s) in enumerate(models.items()):
        thr, j = ioukit.jaccard_curve(s, y, grid=11)
        np.testing.assert_array_equal(fig.data[2 * k].x, thr)
        np.testing.assert_array_equal(fig.data[2 * k].y, j)
        assert fig.data[2 * k + 1].x[0] == ioukit.best_threshold(s, y, grid=11)[0]
        assert name + ": best J" in fig.layout.title.text


def test_jaccard_curve_bad_input():
    with pytest.raises(ioukit.InputError, match="empty mapping"):
        P.plot_jaccard_curve({}, np.array([0, 1]))
    with pytest.raises(ioukit.InputError, match="only 0 and 1"):
        P.plot_jaccard_curve(np.array([0.1, 0.2]), np.array([0, 2]))
    with pytest.raises(ioukit.ParameterError, match="grid"):
        P.plot_jaccard_curve(np.array([0.1, 0.2]), np.array([0, 1]), grid=1)


# -------------------------------------------------------------------------- FP × FN, F1, TN


def test_jaccard_fp_fn_grid():
    fig = P.plot_jaccard_fp_fn(3, fp=[0, 3, 6], fn=[0, 1])
    heat = fig.data[0]
    assert list(heat.x) == [0, 3, 6]
    assert list(heat.y) == [0, 1]
    # z[i, j] = 3 / (3 + fp[j] + fn[i])
    expected = [[3 / 3, 3 / 6, 3 / 9], [3 / 4, 3 / 7, 3 / 10]]
    np.testing.assert_allclose(heat.z, expected)
    assert "TP = 3" in fig.layout.title.text
    zero = P.plot_jaccard_fp_fn(0, fp=2, fn=2).data[0].z
    assert math.isnan(zero[0][0])  # 0/0 left empty
    assert len(P.plot_jaccard_fp_fn(10, fp=1000).data[0].x) == 101


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tp": -1}, "`tp` must be an integer >= 0"),
        ({"tp": 1.5}, "`tp` must be an integer >= 0"),
        ({"fp": [1, 1]}, "`fp` must be"),
        ({"fn": [-1, 2]}, "`fn` must be"),
        ({"fn": "x"}, "`fn` must be"),
    ],
)
def test_jaccard_fp_fn_bad_input(kwargs, match):
    with pytest.raises(ioukit.ParameterError, match=match):
        P.plot_jaccard_fp_fn(**kwargs)


def test_f1_jaccard():
    fig = P.plot_f1_jaccard(num=11, points=[0.5, 0.8])
    curve, identity, pts = fig.data
    np.testing.assert_array_equal(curve.y, ioukit.f1_to_jaccard(np.asarray(curve.x)))
    assert list(identity.y) == [0.0, 1.0]
    np.testing.assert_allclose(pts.y, [1 / 3, 0.8 / 1.2])  # 0.5 / 1.5, 0.8 / 1.2
    with pytest.raises(ioukit.ParameterError, match="`num` must be an integer >= 2"):
        P.plot_f1_jaccard(num=1)
    with pytest.raises(ioukit.ParameterError, match=r"`points` must be F1 values in \[0, 1\]"):
        P.plot_f1_jaccard(points=[1.5])


def test_added_true_negatives():
    c = ioukit.binary_counts(np.array([1, 1, 0, 0, 1]), np.array([1, 0, 1, 0, 1]))
    fig = P.plot_added_true_negatives(c, max_added=100, num=11)
    acc, jac = fig.data
    x = np.asarray(acc.x)
    assert x.tolist() == list(range(0, 101, 10))
    # tp 2, fp 1, fn 1, tn 1: accuracy (3 + x) / (5 + x), Jaccard 2 / 4 throughout
    np.testing.assert_allclose(acc.y, (3 + x) / (5 + x))
    np.testing.assert_allclose(jac.y, 0.5)
    assert "Jaccard stays 0.500" in fig.layout.title.text
    with pytest.raises(ioukit.InputError, match="dataset-level binary Counts of one class"):
        P.plot_added_true_negatives(
            ioukit.multiclass_counts(np.array([0, 1]), np.array([0, 1]), num_classes=2)
        )
    with pytest.raises(ioukit.InputError, match="got list"):
        P.plot_added_true_negatives([1, 2, 3])
    with pytest.raises(ioukit.ParameterError, match="`max_added` must be an integer >= 1"):
        P.plot_added_true_negatives(c, max_added=0)


# ----------------------------------------------------------------------- segmentation result


@pytest.fixture
def result():
    ev = ioukit.SegmentationEvaluator(
        5, ignore_index=4, class_names=["bg", "road", "car", "sky", "void"]
    )
    target = np.array([[0, 0, 1, 1], [2, 2, 1, 4]])
    pred = np.array([[0, 1, 1, 1], [2, 0, 1, 0]])
    ev.update(pred, target)
    return ev.result()


def test_class_iou(result):
    fig = P.plot_class_iou(result)
    bars = fig.data[0]
    assert list(bars.x) == ["bg", "road", "car", "sky", "void"]
    np.testing.assert_array_equal(bars.y, result.iou)  # NaN where sky absent, void ignored
    assert result.nan_reasons == {3: "absent", 4: "ignored"}
    assert list(fig.data[1].text) == ["n/a<br>(absent)", "n/a<br>(ignored)"]
    assert f"mIoU = {result.miou:.4f}" in fig.layout.title.text
    assert fig.layout.shapes[0].y0 == result.miou
    sorted_fig = P.plot_class_iou(result, sort=True)
    y = np.asarray(sorted_fig.data[0].y, dtype=float)
    assert np.all(np.diff(y[~np.isnan(y)]) <= 0)
    assert np.isnan(y[-2:]).all()


def test_confusion_matrix(result):
    raw = P.plot_confusion_matrix(result)
    np.testing.assert_array_equal(raw.data[0].z, result.confusion_matrix)
    assert list(raw.data[0].y)[-1] == "void (ignored)"
    assert f"mIoU = {result.miou:.4f}" in raw.layout.title.text
    rows = P.plot_confusion_matrix(result, normalize="true").data[0]
    cm = result.confusion_matrix.astype(float)
    z = np.asarray(rows.z, dtype=float)
    np.testing.assert_allclose(z[:3], cm[:3] / cm[:3].sum(axis=1, keepdims=True))
    assert np.isnan(z[3:]).all()  # sky and void have no target pixel: empty rows
    assert rows.text[3] == ("",) * 5 or list(rows.text[3]) == [""] * 5
    cols = np.asarray(P.plot_confusion_matrix(result, normalize="pred").data[0].z, dtype=float)
    np.testing.assert_allclose(np.nansum(cols, axis=0)[:3], 1.0)
    total = np.asarray(P.plot_confusion_matrix(result, normalize="all").data[0].z, dtype=float)
    assert total.sum() == pytest.approx(1.0)


def test_segmentation_bad_input(result):
    with pytest.raises(ioukit.InputError, match="must be a SegmentationResult"):
        P.plot_class_iou({"iou": [0.5]})
    with pytest.raises(ioukit.InputError, match="must be a SegmentationResult"):
        P.plot_confusion_matrix(np.eye(3))
    with pytest.raises(ioukit.ParameterError, match="`normalize` must be None, 'true'"):
        P.plot_confusion_matrix(result, normalize="rows")
    with pytest.raises(ioukit.ParameterError, match="`sort` must be True or False"):
        P.plot_class_iou(result, sort="yes")


# ------------------------------------------------------------------------------------ example


def test_example_main_summary(capsys, tmp_path):
    spec = importlib.util.spec_from_file_location("soft_jaccard_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out_html = tmp_path / "curves.html"
    summary = module.main(["--steps", "300", "--plot", str(out_html)])
    text = capsys.readouterr().out.splitlines()
    assert text[0].startswith("data: 2000 train / 2000 test points")
    header = text[1].split()
    assert header[0] == "model"
    assert set(summary) == {"log-loss", "soft-Jaccard"}
    for model, row in summary.items():
        line = next(t for t in text if t.startswith(model + " "))
        assert len(line.split()) == 1 + len(row)
        assert 0 <= row["test J@0.5"] <= 1
        assert 0 <= row["test J@t*"] <= 1
    assert out_html.stat().st_size > 1000
