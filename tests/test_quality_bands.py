"""Quality bands: the default, `parse_quality_bands` (both forms and every error),
`quality_band` at the thresholds, and `SegmentationResult.with_quality_bands` reaching every
quality output (class and image quality, rows, str, to_dict, load_result, the report's tip,
the CLI colours)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import ioukit
from ioukit import ParameterError
from ioukit._cli_segment_show import band_colours
from ioukit._quality_bands import describe_quality_bands
from ioukit.segmentation import QUALITY_BANDS, parse_quality_bands, quality_band


def _result() -> ioukit.SegmentationResult:
    # image a: class 0 tp 2 fn 1 -> IoU 2/3; class 1 tp 1 fp 1 -> IoU 1/2 (per image: 7/12)
    # image b: perfect, IoU 1 for both classes (per image: 1)
    ev = ioukit.SegmentationEvaluator(2, per_image=True)
    ev.update(np.array([[0, 0, 1, 1]]), np.array([[0, 0, 0, 1]]), names=["a"])
    ev.update(np.array([[0, 1]]), np.array([[0, 1]]), names=["b"])
    return ev.result()


def test_default_bands_and_thresholds_are_strict() -> None:
    assert QUALITY_BANDS == ((0.95, "excellent"), (0.7, "good"))
    assert [quality_band(v) for v in (0.96, 0.95, 0.71, 0.7, 0.0)] == [
        "excellent", "good", "good", "poor", "poor"]  # fmt: skip
    assert quality_band(math.nan) == "n/a"


@pytest.mark.parametrize(
    ("text", "bands"),
    [
        ("0.9", ((0.9, "good"),)),
        ("0.95,0.7", QUALITY_BANDS),
        ("0.95,0.7,0.5", ((0.95, "excellent"), (0.7, "good"), (0.5, "fair"))),
        (
            " 0.9 , 0.8,0.7,0.6 ",
            ((0.9, "excellent"), (0.8, "good"), (0.7, "fair"), (0.6, "weak")),
        ),
        (
            "excellent=0.95,good=0.7,fair=0.5",
            ((0.95, "excellent"), (0.7, "good"), (0.5, "fair")),
        ),
        ("top=1, ok-ish=0.25", ((1.0, "top"), (0.25, "ok-ish"))),
    ],
)
def test_parse(text: str, bands: tuple[tuple[float, str], ...]) -> None:
    assert parse_quality_bands(text) == bands


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0.7,0.95", "strictly decreasing"),
        ("0.9,0.9", "strictly decreasing"),
        ("1.5", "(0, 1]"),
        ("0", "(0, 1]"),
        ("nan", "(0, 1]"),
        ("", "is not a number"),
        ("a,b", "'a' is not a number"),
        ("0.9,0.8,0.7,0.6,0.5", "expected 1 to 4 thresholds"),
        ("good=0.9,0.5", "name every threshold or none"),
        ("poor=0.5", "not 'poor'"),
        ("a=0.9,a=0.8", "distinct"),
        ("a b=0.9", "letters, digits"),
    ],
)
def test_parse_errors_name_the_text_and_show_an_example(text: str, why: str) -> None:
    with pytest.raises(ParameterError) as info:
        parse_quality_bands(text)
    message = str(info.value)
    assert message.startswith(f"parse_quality_bands: text {text!r}")
    assert why in message
    assert '"0.95,0.7,0.5"' in message


def test_with_quality_bands_reaches_every_output() -> None:
    r = _result()
    # IoU: class 0 = (2 + 1) / (3 + 1) = 3/4, class 1 = (1 + 1) / (2 + 1) = 2/3; images 7/12, 1
    assert r.class_quality == ["good", "poor"]
    assert r.image_quality == ["poor", "excellent"]
    s = r.with_quality_bands("0.95,0.74,0.55")
    assert s.counts is r.counts  # shared, not copied
    assert s.class_quality == ["good", "fair"]
    assert s.image_quality == ["fair", "excellent"]
    assert [row["quality"] for row in s.per_class_rows()] == ["good", "fair"]
    assert [row["quality"] for row in s.per_image_rows()] == ["fair", "excellent"]
    assert "IoU > 0.95 excellent, > 0.74 good, > 0.55 fair, else poor" in str(s)
    doc = s.to_dict()
    assert doc["config"]["quality_bands"] == [[0.95, "excellent"], [0.74, "good"], [0.55, "fair"]]
    back = ioukit.load_result(json.loads(json.dumps(doc)))
    assert back.quality_bands == s.quality_bands
    assert back.class_quality == s.class_quality
    assert r.class_quality == ["good", "poor"]  # the original is unchanged
    assert s.with_quality_bands(((0.5, "ok"),)).class_quality == ["ok", "ok"]
    with pytest.raises(ParameterError, match="with_quality_bands: bands"):
        r.with_quality_bands(((0.5, "ok"), (0.6, "better")))


def test_old_documents_load_with_the_default_bands() -> None:
    r = _result().with_quality_bands("0.5")
    doc = r.to_dict()
    from ioukit.stats._records import pack, unpack

    meta, arrays = unpack(doc, "segmentation", "test")
    del meta["quality_bands"]  # as written before the bands were recorded
    doc["state"] = pack(meta, arrays)
    assert ioukit.load_result(doc).quality_bands == QUALITY_BANDS


def test_report_tip_and_cli_colours_follow_the_bands() -> None:
    pytest.importorskip("plotly")
    from ioukit.report._segmentation import _bands

    s = _result().with_quality_bands("great=0.9,fine=0.6")
    assert _bands(s.to_dict()) == ((0.9, "great"), (0.6, "fine"))
    assert describe_quality_bands(_bands(s.to_dict())) == "IoU > 0.9 great, > 0.6 fine, else poor"
    assert band_colours(s.quality_bands) == {"great": "green", "fine": "yellow", "poor": "red"}
    four = parse_quality_bands("0.9,0.8,0.7,0.6")
    assert list(band_colours(four).values()) == [
        "green", "chartreuse3", "yellow", "dark_orange", "red"]  # fmt: skip
