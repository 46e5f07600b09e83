"""Install advice fits how ioukit was installed: from an index, from a source checkout
(editable or not), or not installed by pip at all (its folder on ``PYTHONPATH``)."""

from __future__ import annotations

import json
from importlib import metadata
from typing import Any

import pytest

from ioukit._errors import TORCH_HINT, install_hint


class _Dist:
    def __init__(self, direct_url: dict[str, Any] | None) -> None:
        self.direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        assert name == "direct_url.json"
        return None if self.direct_url is None else json.dumps(self.direct_url)


def _installed(monkeypatch: pytest.MonkeyPatch, direct_url: dict[str, Any] | None) -> None:
    monkeypatch.setattr(metadata, "distribution", lambda name: _Dist(direct_url))


def test_from_an_index(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, None)  # a wheel from an index records no direct_url.json
    assert install_hint("plot", "plotly") == "pip install 'ioukit[plot]' (or: pip install plotly)"


def test_from_an_editable_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(
        monkeypatch, {"url": "file:///home/me/src/io%20ukit", "dir_info": {"editable": True}}
    )
    assert install_hint("report", "plotly pillow") == (
        "pip install -e '/home/me/src/io ukit[report]' (or: pip install plotly pillow)"
    )


def test_from_a_checkout_not_editable(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, {"url": "file:///src/ioukit", "dir_info": {}})
    assert install_hint("dask", "'dask[distributed]'") == (
        "pip install '/src/ioukit[dask]' (or: pip install 'dask[distributed]')"
    )


def test_from_an_archive_url_is_an_index_like_install(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, {"url": "https://example.org/ioukit-0.1.tar.gz", "archive_info": {}})
    assert install_hint("io", "pillow") == "pip install 'ioukit[io]' (or: pip install pillow)"


def test_not_installed_by_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    assert install_hint("plot", "plotly") == "pip install plotly"


def test_torch_advice_never_resolves_a_cuda_build_silently() -> None:
    assert "download.pytorch.org/whl/cpu" in TORCH_HINT
    assert "ioukit[torch]" not in TORCH_HINT
