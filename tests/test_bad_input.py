"""Bad input: every documented error is raised, with its class and the part of its message
that tells the user what was wrong and how to fix it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ioukit
from ioukit import (
    BackendError,
    Counts,
    InputError,
    IoUKitError,
    ParameterError,
    binary_counts,
    multiclass_counts,
    multilabel_counts,
)


def seed_counts(**kw: Any) -> Counts:
    return multiclass_counts([0, 2, 2, 1, 1, 0], [0, 1, 2, 2, 1, 0], num_classes=3, **kw)


C3 = {"num_classes": 3}
NAN, INF = float("nan"), float("inf")

CASES = [
    # ------------------------------------------------------------------------------ shapes
    pytest.param(
        lambda: multiclass_counts(np.zeros((2, 3), int), np.zeros((3, 2), int), **C3),
        InputError,
        r"multiclass_counts: `pred` and `target` must have the same shape; "
        r"got \(2, 3\) and \(3, 2\)",
        id="shape-multiclass",
    ),
    pytest.param(
        lambda: binary_counts(np.zeros(4, int), np.zeros(5, int)),
        InputError,
        r"binary_counts: .*same shape; got \(4,\) and \(5,\)",
        id="shape-binary",
    ),
    pytest.param(
        lambda: ioukit.multilabel_jaccard(np.zeros((2, 3), int), np.zeros((2, 4), int)),
        InputError,
        r"multilabel_counts: .*got \(2, 3\) and \(2, 4\)",
        id="shape-multilabel",
    ),
    pytest.param(
        lambda: multilabel_counts(np.zeros(3, int), np.zeros(3, int)),
        InputError,
        r"must have shape \(N, L\) or \(N, L, \.\.\.\).*got shape \(3,\).*binary_counts",
        id="multilabel-1d",
    ),
    pytest.param(
        lambda: multiclass_counts(np.zeros((4, 3)), np.zeros(4, int), **C3),
        InputError,
        r"one more dimension than `target` \(\(4, 3\) vs \(4,\)\).*`class_axis=`",
        id="scores-without-class-axis",
    ),
    # ------------------------------------------------------------------------ label values
    pytest.param(
        lambda: multiclass_counts(np.array([0.0, 1.5, 2.0]), np.array([0, 1, 2]), **C3),
        InputError,
        r"`pred` must hold integer class labels; got non-integer values \[1\.5\]\. "
        r".*`class_axis=`",
        id="multiclass-float-1.5",
    ),
    pytest.param(
        lambda: multiclass_counts(np.array([0, 1]), np.array([0.5, 1.0]), **C3),
        InputError,
        r"`target` must hold integer class labels; got non-integer values \[0\.5\]",
        id="multiclass-float-target",
    ),
    pytest.param(
        lambda: multiclass_counts(np.array(["a"]), np.array([1]), **C3),
        InputError,
        r"`pred` must hold integer class labels; got dtype <U1",
        id="string-labels",
    ),
    pytest.param(
        lambda: binary_counts(np.array([0.7, 1.0, 0.0]), np.array([1, 1, 0])),
        InputError,
        r"`pred` must contain only 0 and 1; got 1 element\(s\) with other values "
        r"\[0\.7\]\. .*`threshold=`",
        id="binary-0.7",
    ),
    pytest.param(
        lambda: multilabel_counts(np.array([[0.2, 0.9]]), np.array([[0, 1]])),
        InputError,
        r"multilabel_counts: `pred` must contain only 0 and 1.*`threshold=`",
        id="multilabel-probabilities",
    ),
    pytest.param(
        lambda: binary_counts(np.array([1, 0, 1]), np.array([1, 2, 255])),
        InputError,
        r"`target` must contain only 0 and 1; got 2 element\(s\) with other values "
        r"\[2, 255\]\. .*`ignore_index=`",
        id="binary-target-2",
    ),
    pytest.param(
        lambda: binary_counts(np.array([1, 0, 3]), np.array([1, 0, 255]), ignore_index=254),
        InputError,
        r"`target` must contain only 0 and 1.*\[255\]",
        id="binary-wrong-ignore",
    ),
    pytest.param(
        lambda: binary_counts(np.array([None, 1]), np.array([1, 1])),
        InputError,
        r"binary_counts: `pred` must hold 0/1 labels \(bool, integer or floating "
        r"dtype\); got dtype object",
        id="binary-object-dtype",
    ),
    pytest.param(
        lambda: multiclass_counts(np.array([0, 1, 2, 0]), np.array([0, 3, 255, 1]), **C3),
        InputError,
        r"`target` has 2 label\(s\) outside \[0, 3\) that are not ignored: "
        r"\[3, 255\]\. Pass them as `ignore_index=`",
        id="target-out-of-range",
    ),
    pytest.param(
        lambda: multiclass_counts(np.array([0, -1]), np.array([0, 1]), **C3),
        InputError,
        r"`pred` has 1 label\(s\) outside \[0, 3\) .*\[-1\]",
        id="negative-pred",
    ),
    pytest.param(
        lambda: multiclass_counts(
            np.array([0, 7, 1]), np.array([0, 1, 255]), num_classes=3, ignore_index=255
        ),
        InputError,
        r"`pred` has 1 label\(s\) outside \[0, 3\) where the target is not ignored: "
        r"\[7\]\. .*raise `num_classes`",
        id="pred-out-of-range",
    ),
    # -------------------------------------------------------------------------- NaN / inf
    pytest.param(
        lambda: binary_counts(np.array([NAN, INF, 0.3]), np.array([0, 1, 1]), threshold=0.5),
        InputError,
        r"binary_counts: `pred` must be finite; got 1 NaN and 1 infinite value\(s\)",
        id="binary-nan-inf",
    ),
    pytest.param(
        lambda: multiclass_counts(
            np.array([[NAN, 1.0], [0.5, 0.2]]), np.array([0, 1]), num_classes=2, class_axis=1
        ),
        InputError,
        r"multiclass_counts: `pred` must be finite; got 1 NaN and 0 infinite",
        id="scores-nan",
    ),
    pytest.param(
        lambda: multiclass_counts(np.array([0, 1]), np.array([0.0, NAN]), num_classes=2),
        InputError,
        r"`target` must be finite; got 1 NaN",
        id="target-nan",
    ),
    pytest.param(
        lambda: binary_counts(np.array([1, 0]), np.array([1.0, -INF])),
        InputError,
        r"`target` must be finite; got 0 NaN and 1 infinite",
        id="binary-target-inf",
    ),
    # ------------------------------------------------------------------------------- empty
    pytest.param(
        lambda: binary_counts(np.array([]), np.array([])),
        InputError,
        r"binary_counts: `target` is empty \(shape \(0,\)\)",
        id="empty-binary",
    ),
    pytest.param(
        lambda: multiclass_counts(np.zeros((0, 4), int), np.zeros((0, 4), int), **C3),
        InputError,
        r"multiclass_counts: `target` is empty \(shape \(0, 4\)\)",
        id="empty-multiclass",
    ),
    pytest.param(
        lambda: multilabel_counts(np.zeros((3, 0)), np.zeros((3, 0))),
        InputError,
        r"is empty",
        id="empty-multilabel",
    ),
    # ------------------------------------------------------------------------- threshold
    pytest.param(
        lambda: binary_counts(np.array([1, 0]), np.array([1, 0]), threshold=0.5),
        InputError,
        r"`threshold` applies to floating-point scores, but `pred` has dtype "
        r"int64; drop `threshold`",
        id="threshold-on-labels",
    ),
    pytest.param(
        lambda: binary_counts(np.array([0.2]), np.array([1]), threshold="0.5"),
        ParameterError,
        r"`threshold` must be a real number or None; got '0\.5'",
        id="threshold-string",
    ),
    pytest.param(
        lambda: binary_counts(np.array([0.2]), np.array([1]), threshold=NAN),
        ParameterError,
        r"`threshold` must be a real number or None; got nan",
        id="threshold-nan",
    ),
    # ------------------------------------------------------------------------ class_axis
    pytest.param(
        lambda: multiclass_counts(np.zeros((2, 4)), np.zeros(2, int), num_classes=3, class_axis=1),
        InputError,
        r"`pred` has 4 class scores along axis 1, but `num_classes` is 3",
        id="class-axis-wrong-size",
    ),
    pytest.param(
        lambda: multiclass_counts(np.zeros((2, 3)), np.zeros((2, 3), int), **C3, class_axis=1),
        InputError,
        r"with `class_axis`, `pred` must have one more dimension than `target`; "
        r"got shapes \(2, 3\) and \(2, 3\)",
        id="class-axis-same-ndim",
    ),
    pytest.param(
        lambda: multiclass_counts(np.zeros((2, 3)), np.zeros(2, int), **C3, class_axis=2),
        ParameterError,
        r"`class_axis`=2 is out of range for `pred` with 2 dimensions",
        id="class-axis-out-of-range",
    ),
    pytest.param(
        lambda: multiclass_counts(np.zeros((2, 3)), np.zeros(2, int), **C3, class_axis="1"),
        ParameterError,
        r"`class_axis` must be an integer or None; got '1'",
        id="class-axis-string",
    ),
    # ---------------------------------------------------------------------- num_classes
    *[
        pytest.param(
            lambda bad=bad: multiclass_counts([0], [0], num_classes=bad),
            ParameterError,
            rf"`num_classes` must be a positive integer; got {text}",
            id=f"num-classes-{bad!r}",
        )
        for bad, text in (
            (0, "0"),
            (-2, "-2"),
            (True, "True"),
            (2.5, r"2\.5"),
            ("3", "'3'"),
            (None, "None"),
        )
    ],
    # --------------------------------------------------------------------- ignore_index
    *[
        pytest.param(
            lambda bad=bad: multiclass_counts([0], [0], **C3, ignore_index=bad),
            ParameterError,
            r"`ignore_index` must be None, an integer or a sequence of "
            rf"integers; got {text}",
            id=f"ignore-index-{bad!r}",
        )
        for bad, text in (
            ("255", "'255'"),
            (2.5, r"2\.5"),
            ([1, "a"], r"\[1, 'a'\]"),
            (True, "True"),
            ((0.0,), r"\(0\.0,\)"),
        )
    ],
    pytest.param(
        lambda: binary_counts([1], [1], ignore_index=1.0),
        ParameterError,
        r"binary_counts: `ignore_index` must be",
        id="ignore-binary",
    ),
    # ---------------------------------------------------------------------- sample_weight
    pytest.param(
        lambda: binary_counts([[1], [0]], [[1], [1]], sample_weight=[1.0, -1.0]),
        InputError,
        r"`sample_weight` must be non-negative; got negative weights \[-1\.0\]",
        id="weight-negative",
    ),
    pytest.param(
        lambda: multiclass_counts([[1], [0]], [[1], [1]], **C3, sample_weight=[1.0, NAN]),
        InputError,
        r"`sample_weight` must be finite; got NaN or infinite weights",
        id="weight-nan",
    ),
    pytest.param(
        lambda: multiclass_counts([[1], [0]], [[1], [1]], **C3, sample_weight=[1.0, 2.0, 3.0]),
        InputError,
        r"`sample_weight` must have shape \(2,\), one weight per sample along the "
        r"first axis; got shape \(3,\)",
        id="weight-shape",
    ),
    pytest.param(
        lambda: multilabel_counts([[1, 0]], [[1, 1]], sample_weight=[[1.0]]),
        InputError,
        r"multilabel_counts: `sample_weight` must have shape \(1,\).*got shape "
        r"\(1, 1\)",
        id="weight-2d",
    ),
    pytest.param(
        lambda: binary_counts([1, 0], [1, 1], sample_weight=np.array(["a", "b"])),
        InputError,
        r"`sample_weight` must be numeric; got dtype <U1",
        id="weight-strings",
    ),
    # ------------------------------------------------------------------ average, division
    pytest.param(
        lambda: ioukit.jaccard(seed_counts(), average="mean"),
        ParameterError,
        r"jaccard: `average` must be one of 'micro', 'macro', "
        r"'weighted', 'samples', 'none'; got 'mean'",
        id="average-unknown",
    ),
    pytest.param(
        lambda: ioukit.multiclass_jaccard([0], [0], **C3, average="binary"),
        ParameterError,
        r"`average` must be one of .*got 'binary'",
        id="average-binary",
    ),
    pytest.param(
        lambda: ioukit.dice(seed_counts(), average="samples"),
        ParameterError,
        r"dice: average='samples' needs per-sample counts; compute "
        r"them with per_sample=True",
        id="samples-on-dataset-counts",
    ),
    *[
        pytest.param(
            lambda bad=bad: ioukit.jaccard(seed_counts(), zero_division=bad),
            ParameterError,
            rf"`zero_division` must be 'nan', 'warn' or a number in "
            rf"\[0, 1\]; got {text}",
            id=f"zero-division-{bad!r}",
        )
        for bad, text in (
            ("zero", "'zero'"),
            (True, "True"),
            (None, "None"),
            ("NaN", "'NaN'"),
            (2, "2"),
            (-1.0, r"-1\.0"),
            (INF, "inf"),
        )
    ],
    *[
        pytest.param(
            lambda bad=bad: ioukit.fbeta(seed_counts(), beta=bad),
            ParameterError,
            rf"fbeta: `beta` must be a positive finite number; got "
            rf"{text}",
            id=f"beta-{bad!r}",
        )
        for bad, text in ((0, "0"), (-1.0, r"-1\.0"), (INF, "inf"), (NAN, "nan"), (True, "True"))
    ],
    pytest.param(
        lambda: ioukit.jaccard(np.array([1, 2, 3])),
        ParameterError,
        r"jaccard: expected a Counts object .*got ndarray",
        id="score-of-array",
    ),
    pytest.param(
        lambda: binary_counts([1], [1], ignore_index=2**70),
        ParameterError,
        r"`ignore_index` values must fit in int64; got 1180591620717411303424",
        id="ignore-index-overflow",
    ),
    # ----------------------------------------------------------------------- Counts + Counts
    pytest.param(
        lambda: (
            binary_counts([1, 0], [1, 1], sample_weight=[0.5, 2.0]) + binary_counts([1, 0], [1, 1])
        ),
        InputError,
        r"Counts.__add__: .*they differ in count dtype",
        id="add-weighted-to-unweighted",
    ),
    pytest.param(
        lambda: seed_counts() + binary_counts([1], [1]),
        InputError,
        r"Counts.__add__: .*they differ in task, num_classes",
        id="add-task",
    ),
    pytest.param(
        lambda: seed_counts() + seed_counts(per_sample=True),
        InputError,
        r"they differ in per_sample",
        id="add-per-sample",
    ),
    pytest.param(
        lambda: seed_counts() + seed_counts(ignore_index=0),
        InputError,
        r"they differ in ignored_classes",
        id="add-ignored",
    ),
    pytest.param(
        lambda: (
            seed_counts(per_sample=True) + seed_counts(per_sample=True, sample_weight=np.ones(6))
        ),
        InputError,
        r"they differ in weighted",
        id="add-weighted",
    ),
    pytest.param(
        lambda: multiclass_counts([0], [0], num_classes=2) + multiclass_counts([0], [0], **C3),
        InputError,
        r"they differ in num_classes",
        id="add-num-classes",
    ),
    pytest.param(
        lambda: Counts.from_confusion_matrix(np.zeros((2, 3), int)),
        InputError,
        r"`confusion_matrix` must have shape \(C, C\) or \(N, C, C\); "
        r"got \(2, 3\)",
        id="confusion-matrix-shape",
    ),
    # ------------------------------------------------------------------------- conversion
    pytest.param(
        lambda: binary_counts([[1, 0], [1]], [[1, 0], [1]]),
        BackendError,
        r"binary_counts: cannot convert an argument of type list to an "
        r"array",
        id="ragged-list",
    ),
    # -------------------------------------------------------------------------------- sets
    pytest.param(
        lambda: ioukit.set_jaccard("abc", {"a"}),
        InputError,
        r"set_jaccard: `pred` must be an iterable of items, not a str",
        id="set-string",
    ),
    pytest.param(
        lambda: ioukit.set_jaccard({1}, 3),
        InputError,
        r"`target` must be an iterable of hashable items; got int",
        id="set-int",
    ),
]


@pytest.mark.parametrize(("call", "error", "match"), CASES)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    # every error is an IoUKitError and the matching builtin
    assert isinstance(info.value, IoUKitError)
    builtin = TypeError if isinstance(info.value, BackendError) else ValueError
    assert isinstance(info.value, builtin)


def test_mixed_array_libraries(xp):
    if xp.is_numpy:
        pytest.skip("needs a second library")
    other = xp.asarray([1, 0, 1])
    hint = r"arguments come from different array libraries \(.*\); convert them to one library"
    with pytest.raises(BackendError, match=hint + r".*torch\.as_tensor"):
        ioukit.binary_counts(np.array([1, 0, 1]), other)
    with pytest.raises(BackendError, match=hint):
        ioukit.multiclass_jaccard(other, np.array([1, 0, 1]), num_classes=2)
    with pytest.raises(BackendError, match=hint):
        ioukit.multilabel_counts(
            xp.asarray([[1, 0]]), xp.asarray([[1, 1]]), sample_weight=np.array([1.0])
        )
    a = ioukit.binary_counts(np.array([1]), np.array([1]))
    b = ioukit.binary_counts(xp.asarray([1]), xp.asarray([1]))
    with pytest.raises(BackendError, match=r"Counts.__add__: arguments come from different"):
        a + b


def test_numpy_and_torch_mixed_message_names_both():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"\(numpy, torch\)"):
        ioukit.binary_counts(np.array([1, 0]), torch.tensor([1, 1]))


def test_errors_are_raised_for_every_library(xp):
    # the checks run before any backend-specific code: same error everywhere
    with pytest.raises(InputError, match=r"\[0\.7\]"):
        ioukit.binary_counts(xp.asarray([0.7, 1.0]), xp.asarray([1, 1]))
    with pytest.raises(InputError, match=r"\[1\.5\]"):
        ioukit.multiclass_counts(xp.asarray([1.5, 1.0]), xp.asarray([1, 1]), num_classes=2)
    with pytest.raises(InputError, match=r"`target` has 1 label\(s\) outside \[0, 2\).*\[5\]"):
        ioukit.multiclass_counts(xp.asarray([1, 1]), xp.asarray([5, 1]), num_classes=2)
    with pytest.raises(InputError, match=r"`target` has 1 label\(s\) outside \[0, 2\).*\[5\]"):
        ioukit.multiclass_counts(
            xp.asarray([[1, 1]]), xp.asarray([[5, 1]]), num_classes=2, per_sample=True
        )
    with pytest.raises(InputError, match=r"`pred` has 1 label\(s\).*\[9\]"):
        ioukit.multiclass_counts(
            xp.asarray([9, 1]),
            xp.asarray([0, 1]),
            num_classes=2,
            sample_weight=xp.asarray([1.0, 1.0]),
        )
    with pytest.raises(InputError, match=r"`target` must contain only 0 and 1.*\[2\]"):
        ioukit.multilabel_counts(xp.asarray([[1, 1]]), xp.asarray([[2, 1]]))
    with pytest.raises(InputError, match="must be finite"):
        ioukit.binary_counts(xp.asarray([float("nan")]), xp.asarray([1]), threshold=0.5)
    with pytest.raises(InputError, match="non-negative"):
        ioukit.binary_counts(xp.asarray([[1]]), xp.asarray([[1]]), sample_weight=xp.asarray([-1]))
    with pytest.raises(InputError, match="is empty"):
        ioukit.multiclass_counts(xp.asarray([], "int64"), xp.asarray([], "int64"), num_classes=2)
