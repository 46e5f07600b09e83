"""COCO, LVIS and panoptic evaluation on a Dask cluster (images matched in shards on the
workers, merged in the global tie order) equal one local pass, bit for bit."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path[:0] = [str(Path(__file__).parents[1] / d) for d in ("detection", "panoptic")]

from boot_helpers import lvis_set  # noqa: E402
from coco_helpers import random_dataset  # noqa: E402
from panoptic_helpers import make_dataset  # noqa: E402

import ioukit  # noqa: E402
from ioukit import cli  # noqa: E402
from ioukit._dask import DaskExecutor  # noqa: E402
from ioukit.detection.lvis import lvis_evaluate  # noqa: E402


def _same(a: Any, b: Any) -> None:
    for name in ("precision", "recall", "stats", "scores"):
        if hasattr(a, name):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_coco_sharded_on_the_cluster(client: Any, iou_type: str) -> None:
    gt, dt = random_dataset(21, masks=iou_type == "segm", n_images=30)
    one = ioukit.coco_evaluate(gt, dt, iou_type=iou_type)
    with DaskExecutor(client) as ex:
        got = ioukit.coco_evaluate(gt, dt, iou_type=iou_type, executor=ex)
    _same(got, one)


def test_lvis_sharded_on_the_cluster(client: Any) -> None:
    gt, dt = lvis_set(5, n_images=16)
    with DaskExecutor(client) as ex:
        _same(lvis_evaluate(gt, dt, executor=ex), lvis_evaluate(gt, dt))


def test_panoptic_on_the_cluster(client: Any, tmp_path: Path) -> None:
    files = make_dataset(tmp_path, 7, n_images=24)
    local = ioukit.panoptic_quality(*files, workers=1)
    with DaskExecutor(client) as ex:
        got = ioukit.panoptic_quality(*files, executor=ex)
    assert got.to_dict() == local.to_dict()


def test_cli_detect_and_panoptic_scheduler(client: Any, tmp_path: Path) -> None:
    gt, dt = random_dataset(22, n_images=20)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    base = ["detect", str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), "--tide", "-q"]
    assert cli.main([*base, "--json", str(tmp_path / "a.json")]) == 0
    address = client.scheduler.address
    assert cli.main([*base, "--scheduler", address, "--json", str(tmp_path / "b.json")]) == 0
    a, b = (json.loads((tmp_path / f"{x}.json").read_text()) for x in "ab")
    assert a == b
    files = [str(f) for f in make_dataset(tmp_path / "pan", 3, n_images=8)]
    base = ["panoptic", *files, "-q"]
    assert cli.main([*base, "--workers", "1", "--json", str(tmp_path / "c.json")]) == 0
    assert cli.main([*base, "--scheduler", address, "--json", str(tmp_path / "d.json")]) == 0
    c, d = (json.loads((tmp_path / f"{x}.json").read_text()) for x in "cd")
    assert c == d
