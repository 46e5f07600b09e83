"""The panoptic reader's PNG decoders (pyspng, OpenCV, Pillow) give the same RGB pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ioukit.panoptic import _files


def _write(path: Path, rgb: np.ndarray, **kw: object) -> str:
    Image.fromarray(rgb).save(path, **kw)
    return str(path)


@pytest.mark.parametrize("decoder", ["pyspng", "cv2", "pillow"])
def test_every_decoder_gives_pillows_pixels(
    decoder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if decoder != "pillow":
        pytest.importorskip(decoder)
    # only this decoder (and Pillow, always there for the header)
    for name in ("pyspng", "cv2"):
        monkeypatch.setitem(
            _files._OPTIONAL, name, _files._optional(name) if name == decoder else None
        )
    rng = np.random.default_rng(0)
    files = [
        _write(tmp_path / "noise.png", rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)),
        _write(tmp_path / "flat.png", np.full((8, 9, 3), 200, np.uint8), optimize=True),
        _write(tmp_path / "trns.png", rng.integers(0, 4, (16, 16, 3), dtype=np.uint8),
               transparency=(1, 2, 3)),
    ]  # fmt: skip
    for path in files:
        arr, bgr = _files.read_rgb(path)
        want = np.asarray(Image.open(path).convert("RGB"))
        np.testing.assert_array_equal(arr[..., ::-1] if bgr else arr, want)
        # OpenCV applies a tRNS chunk as a 4th channel: that file falls back to Pillow
        assert bgr == (decoder == "cv2" and not path.endswith("trns.png"))
