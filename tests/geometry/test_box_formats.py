"""Box format conversion through ``xyxy`` (ioukit.geometry.box_formats)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ioukit._errors import InputError, ParameterError
from ioukit.geometry.box_formats import box_convert
from ioukit.geometry.boxes import box_iou


def test_box_convert_hand() -> None:
    xyxy = np.array([[10.0, 20.0, 30.0, 60.0]])
    # xywh: w = 30 - 10 = 20, h = 60 - 20 = 40; cxcywh: centre (20, 40)
    np.testing.assert_array_equal(
        box_convert(xyxy, in_fmt="xyxy", out_fmt="xywh"), [[10, 20, 20, 40]]
    )
    np.testing.assert_array_equal(
        box_convert(xyxy, in_fmt="xyxy", out_fmt="cxcywh"), [[20, 40, 20, 40]]
    )
    np.testing.assert_array_equal(
        box_convert([[20, 40, 20, 40]], in_fmt="cxcywh", out_fmt="xyxy"), xyxy
    )
    # uint8 xywh near 255: 200 + 100 = 300 would wrap to 44 in uint8
    u8 = np.array([[200, 200, 100, 100]], dtype=np.uint8)
    out = box_convert(u8, in_fmt="xywh", out_fmt="xyxy")
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[200, 200, 300, 300]])
    # 1-D single box and float32 kept
    assert (
        box_convert(np.array([0, 0, 2, 2], dtype=np.float32), in_fmt="xyxy", out_fmt="xywh").dtype
        == np.float32
    )


def test_box_convert_backends(xp: Any) -> None:
    b = xp.asarray(np.array([[10.0, 20.0, 30.0, 60.0], [0, 0, 1, 1]]))
    for fmt in ("xywh", "cxcywh"):
        there = box_convert(b, in_fmt="xyxy", out_fmt=fmt)
        xp.check(there, like=b)
        back = box_convert(there, in_fmt=fmt, out_fmt="xyxy")
        np.testing.assert_allclose(xp.to_numpy(back), xp.to_numpy(b))
    # IoU is the same whichever format the boxes came in
    xywh = box_convert(b, in_fmt="xyxy", out_fmt="xywh")
    np.testing.assert_array_equal(
        xp.to_numpy(box_iou(box_convert(xywh, in_fmt="xywh", out_fmt="xyxy"), b)),
        xp.to_numpy(box_iou(b, b)),
    )


finite = st.floats(-1e6, 1e6, allow_nan=False, width=64)


@settings(max_examples=60, deadline=None)
@given(
    boxes=arrays(np.float64, st.tuples(st.integers(0, 5), st.just(4)), elements=finite),
    fmts=st.permutations(["xyxy", "xywh", "cxcywh"]),
)
def test_box_convert_round_trip(boxes: np.ndarray, fmts: list[str]) -> None:
    a, b, c = fmts
    there = box_convert(box_convert(boxes, in_fmt=a, out_fmt=b), in_fmt=b, out_fmt=c)
    back = box_convert(box_convert(there, in_fmt=c, out_fmt=a), in_fmt=a, out_fmt=a)
    assert back.shape == boxes.shape
    np.testing.assert_allclose(back, boxes, rtol=1e-9, atol=1e-6)


def test_box_convert_bad_input() -> None:
    good = np.array([[0, 0, 10, 10]])
    with pytest.raises(InputError, match=r"box_convert: `boxes`.*\(3,\)"):
        box_convert(np.zeros(3), in_fmt="xyxy", out_fmt="xywh")
    with pytest.raises(
        ParameterError, match=r"box_convert: `in_fmt` must be one of 'xyxy', 'xywh', 'cxcywh'"
    ):
        box_convert(good, in_fmt="xyxyxy", out_fmt="xyxy")
    with pytest.raises(ParameterError, match=r"`out_fmt` .*got 'XYWH'"):
        box_convert(good, in_fmt="xyxy", out_fmt="XYWH")
    with pytest.raises(TypeError, match="positional"):
        box_convert(good, "xyxy", "xywh")  # type: ignore[misc]  # formats are keyword-only
