"""The Dask engine's tests share one ``LocalCluster`` of two worker processes (its start, about a
second, is paid once); tests that kill workers or need another size make their own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("distributed")


@pytest.fixture(scope="session")
def client() -> Iterator[Any]:
    """A client of a local cluster: 2 single-threaded worker processes."""
    from seg_data import local_client

    with local_client(2) as c:
        yield c
