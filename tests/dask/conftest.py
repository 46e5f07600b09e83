"""The Dask engine's tests share one ``LocalCluster`` of two worker processes (its start, about a
second, is paid once); tests that kill workers or need another size make their own."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="session")
def client() -> Iterator[Any]:
    """A client of a local cluster: 2 single-threaded worker processes, no dashboard."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as c,
    ):
        yield c
