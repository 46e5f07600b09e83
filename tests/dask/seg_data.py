"""Label-map folders for the Dask tests: PNG, TIFF and .npy pairs, nested, with void."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

C = 5


def make_folders(root: Path, n: int = 40, seed: int = 0) -> tuple[Path, Path]:
    """``(pred, target)`` folders of ``n`` pairs of different sizes (so the partitions by bytes
    differ from partitions by count), with 255 in the targets and sub-folders."""
    rng = np.random.default_rng(seed)
    pred, target = root / "pred", root / "target"
    for i in range(n):
        name = f"img_{i:03d}" if i % 4 else f"city{i % 3}/img_{i:03d}"
        h, w = int(rng.integers(8, 48)), int(rng.integers(8, 64))
        t = rng.integers(0, C, (h, w)).astype(np.uint8)
        t[rng.random(t.shape) < 0.05] = 255
        p = t.copy()
        noise = rng.random(p.shape) < 0.3
        p[noise] = rng.integers(0, C, int(noise.sum()))
        p[p == 255] = 0
        for folder, arr in ((target, t), (pred, p)):
            path = folder / f"{name}{'.npy' if i % 7 == 3 else '.png'}"
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix == ".npy":
                np.save(path, arr)
            else:
                Image.fromarray(arr).save(path)
    return pred, target


@contextlib.contextmanager
def local_client(n_workers: int = 2) -> Iterator[Any]:
    """A client of a new local cluster of single-threaded worker processes (dashboard on a
    free port, logs below CRITICAL silenced: a killed worker's are expected)."""
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.CRITICAL,
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        yield client
