"""Thumbnails: small PNG/JPEG ``data:`` URIs of label maps, overlays and panoptic PNGs, drawn
with Pillow, within a byte budget.

The overlay colour rule (segmentation), for the image's worst class ``c`` (its lowest IoU):

* TP (green): prediction ``c`` and target ``c``;
* FP (red): prediction ``c``, target another class (not ignored);
* FN (blue): target ``c``, prediction another class;
* ignored (grey): the target holds an ignored value (those pixels are not counted);
* everything else is dimmed: the original image when one is found, else the target's classes
  as grey levels.

The "all classes" view colours every counted pixel pale green where prediction = target and
red where they differ, ignored pixels grey. Underneath, the image (or the target's classes as
grey levels) is drawn in grey and dimmed, so that only these colours carry meaning. Label maps
are shrunk by nearest neighbour (every thumbnail pixel is one label-map pixel); photographs by
Pillow's area filter.
"""

from __future__ import annotations

import base64
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ioukit._errors import IoUKitError, MissingDependencyError, install_hint
from ioukit.report._page import esc

__all__ = [
    "IMAGE_SUFFIXES",
    "LEFT_OUT",
    "Budget",
    "class_greys",
    "embed",
    "figure_html",
    "find_image",
    "legend_html",
    "panoptic_thumbnail",
    "photo_thumbnail",
    "segmentation_thumbnails",
]

NDArray = np.ndarray[Any, Any]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")
"""Extensions tried, in this order (lower and upper case), to find an image by its name."""

CORRECT = "#A6DCC9"  # the TP green, lightened: correct pixels recede, wrong ones stand out
LEFT_OUT = '<span class="note">left out (thumbnail budget reached)</span>'
MAX_SIDE = 240  # longest side of a thumbnail, pixels
MIN_SHOWN = 160  # tiny maps are shown enlarged (pixelated) to at least this size

# overlay codes
_REST, _TP, _FP, _FN, _IGNORED = 0, 1, 2, 3, 4


def _pil(func: str) -> Any:
    try:
        from PIL import Image
    except ImportError as exc:
        raise MissingDependencyError(
            f"{func}: thumbnails need Pillow, which is not installed; install it with "
            f"`{install_hint('report', 'pillow')}`."
        ) from exc
    return Image


def _rgb(hex_colour: str) -> NDArray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float32)


class Budget:
    """The bytes of thumbnails the page may still take. Images are added whole (all their
    views or none); once one does not fit, no more are added, and those are counted."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0
        self.added = 0  # thumbnails embedded
        self.left_out = 0  # images whose thumbnails were left out
        self.closed = False

    def take(self, uris: Sequence[str]) -> bool:
        """Whether the views ``uris`` of one image fit; if they do, they are counted."""
        size = sum(len(u) for u in uris)
        if self.closed or self.used + size > self.total:
            self.closed = True
            self.left_out += 1
            return False
        self.used += size
        self.added += len(uris)
        return True

    def skip(self) -> None:
        """Count one more image left out (the budget is closed: its thumbnails are not made)."""
        self.left_out += 1

    def sentence(self) -> str:
        """What the budget did, for the page."""
        text = (
            f"{self.added} thumbnail{'s' if self.added != 1 else ''} embedded, "
            f"{self.used:,} of {self.total:,} bytes (<code>thumbnail_budget</code>)"
        )
        if self.left_out:
            text += (
                f"; the thumbnails of {self.left_out} image{'s' if self.left_out != 1 else ''} "
                "were left out because the budget was reached (raise "
                "<code>thumbnail_budget</code> to see them)"
            )
        return text + "."


def class_greys(n: int) -> NDArray:
    """``(n, 3)`` float32: a grey level per class id, neighbours far apart (golden-ratio
    steps), so that a label map shows its regions without competing with TP/FP/FN colours.

    >>> class_greys(3)[:, 0].astype(int).tolist()
    [60, 152, 95]
    """
    levels = 60.0 + 150.0 * ((np.arange(max(n, 1)) * 0.618033988749895) % 1.0)
    return np.repeat(levels[:, None], 3, axis=1).astype(np.float32)


def _nearest(a: NDArray, size: tuple[int, int]) -> NDArray:
    """``a`` (H, W, ...) sampled at ``size`` = (h, w) by nearest neighbour (pixel centres)."""
    h, w = a.shape[:2]
    rows = ((np.arange(size[0]) + 0.5) * h / size[0]).astype(np.int64)
    cols = ((np.arange(size[1]) + 0.5) * w / size[1]).astype(np.int64)
    return np.asarray(a[np.minimum(rows, h - 1)[:, None], np.minimum(cols, w - 1)[None, :]])


def _size(h: int, w: int) -> tuple[int, int]:
    scale = min(1.0, MAX_SIDE / max(h, w))
    return max(1, round(h * scale)), max(1, round(w * scale))


def _uri(rgb: NDArray, *, photo: bool) -> str:
    Image = _pil("write_html")
    im = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), mode="RGB")
    buf = io.BytesIO()
    if photo:
        im.save(buf, format="JPEG", quality=82, optimize=True)
        mime = "image/jpeg"
    else:
        im.save(buf, format="PNG", optimize=True)
        mime = "image/png"
    return f"data:{mime};base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(uri: str, caption: str, h: int, w: int, *, labels: bool) -> str:
    grow = max(1, math.ceil(MIN_SHOWN / max(h, w))) if max(h, w) < MIN_SHOWN else 1
    cls = ' class="labels"' if labels else ""
    return (
        f'<figure><img{cls} src="{uri}" width="{w * grow}" height="{h * grow}" '
        f'alt="{esc(caption)}"><figcaption>{esc(caption)}</figcaption></figure>'
    )


def find_image(images: Path, name: str) -> Path | None:
    """The original image of ``name`` in ``images``: ``name`` itself if it is a file, else
    ``name`` (then ``name`` without its extension, e.g. a panoptic ``a.png``) + each of
    :data:`IMAGE_SUFFIXES` (lower case, then upper case). A name that leads out of ``images``
    (``../x``, an absolute path) finds nothing.

    >>> find_image(Path("/data/images"), "../../etc/passwd") is None
    True
    """
    root = os.path.normpath(images)
    if os.path.commonpath([root, os.path.normpath(images / name)]) != root:
        return None
    direct = images / name
    if direct.is_file():
        return direct
    stems = [name] + ([str(Path(name).with_suffix(""))] if Path(name).suffix else [])
    for stem in stems:
        for suffix in IMAGE_SUFFIXES + tuple(s.upper() for s in IMAGE_SUFFIXES):
            path = images / (stem + suffix)
            if path.is_file():
                return path
    return None


def _photo(path: Path, size: tuple[int, int]) -> NDArray:
    Image = _pil("write_html")
    with Image.open(path) as im:
        small = im.convert("RGB").resize((size[1], size[0]), Image.Resampling.BOX)
        return np.asarray(small, dtype=np.float32)


def _tint(base: NDArray, codes: NDArray, colours: dict[int, str], *, photo: bool) -> NDArray:
    """``base`` in grey, dimmed towards white, where ``codes`` is 0; elsewhere the code's
    colour (mixed with the photograph, so that it stays visible under the colour)."""
    grey = base @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    out = np.repeat((grey * 0.45 + 255 * 0.55)[..., None], 3, axis=2)
    for code, hex_colour in colours.items():
        m = codes == code
        colour = _rgb(hex_colour)
        out[m] = base[m] * 0.3 + colour * 0.7 if photo else colour
    return out


def segmentation_thumbnails(
    pred: NDArray,
    target: NDArray,
    *,
    worst_class: int,
    ignore: Sequence[int],
    num_classes: int,
    photo_path: Path | None,
    palette: dict[str, str],
) -> tuple[list[tuple[str, str, tuple[int, int], bool]], str]:
    """The two views of one image (worst class; all classes) as ``(data URI, caption,
    (h, w), is label map)``, and a note ("" or why the photograph was not used)."""
    h, w = target.shape
    size = _size(h, w)
    p, t = _nearest(pred, size), _nearest(target, size)
    ignored = np.isin(t, list(ignore))
    note = ""
    base: NDArray | None = None
    if photo_path is not None:
        try:
            base = _photo(photo_path, size)
        except Exception as exc:  # any decoder failure: fall back to the label map
            note = f"{photo_path.name}: not readable as an image ({type(exc).__name__})"
    photo = base is not None
    if base is None:
        colours = class_greys(num_classes)
        idx = np.where((t >= 0) & (t < num_classes) & ~ignored, t, 0).astype(np.int64)
        base = colours[idx]
        base[ignored] = 255.0
    c = worst_class
    codes = np.zeros(size, dtype=np.uint8)
    codes[(p == c) & (t == c)] = _TP
    codes[(p == c) & (t != c)] = _FP
    codes[(t == c) & (p != c)] = _FN
    codes[ignored] = _IGNORED
    worst = _tint(
        base,
        codes,
        {_TP: palette["tp"], _FP: palette["fp"], _FN: palette["fn"], _IGNORED: palette["ignored"]},
        photo=photo,
    )
    codes_all = np.where(p == t, _TP, _FP).astype(np.uint8)
    codes_all[ignored] = _IGNORED
    every = _tint(
        base,
        codes_all,
        {_TP: CORRECT, _FP: palette["fp"], _IGNORED: palette["ignored"]},
        photo=photo,
    )
    views = [
        (_uri(worst, photo=photo), "worst class", size, not photo),
        (_uri(every, photo=photo), "all classes", size, not photo),
    ]
    return views, note


def figure_html(uri: str, caption: str, size: tuple[int, int], labels: bool) -> str:
    """One thumbnail with its caption."""
    return _img(uri, caption, size[0], size[1], labels=labels)


def photo_thumbnail(path: Path) -> tuple[str, str, tuple[int, int], bool]:
    """The original image alone, shrunk: a view as :func:`segmentation_thumbnails` gives."""
    Image = _pil("write_html")
    try:
        with Image.open(path) as im:
            size = _size(im.height, im.width)
        return _uri(_photo(path, size), photo=True), "image", size, False
    except Exception as exc:  # any decoder failure
        raise IoUKitError(f"{path.name}: not readable as an image ({type(exc).__name__})") from exc


def embed(budget: Budget, views: Sequence[tuple[str, str, tuple[int, int], bool]]) -> str:
    """The views of one image side by side, if they fit in ``budget`` (else a note)."""
    if not views:
        return '<span class="note">no files given for this image</span>'
    if not budget.take([v[0] for v in views]):
        return LEFT_OUT
    return '<div class="thumbs">' + "".join(figure_html(*v) for v in views) + "</div>"


def panoptic_thumbnail(path: Path) -> tuple[str, tuple[int, int]]:
    """A panoptic PNG as it is (its colours are its segment ids), shrunk by nearest
    neighbour: ``(data URI, (h, w))``."""
    Image = _pil("write_html")
    try:
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB"))
    except FileNotFoundError as exc:
        raise IoUKitError(f"{path}: no such file") from exc
    except Exception as exc:
        raise IoUKitError(f"{path}: not readable as a PNG ({type(exc).__name__})") from exc
    size = _size(*rgb.shape[:2])
    return _uri(_nearest(rgb, size).astype(np.float32), photo=False), size


def legend_html(items: Sequence[tuple[str, str]]) -> str:
    """A colour legend: ``(colour, words)`` (words escaped here)."""
    spans = "".join(
        f'<span><i style="background:{colour}"></i>{esc(words)}</span>' for colour, words in items
    )
    return f'<div class="legend">{spans}</div>'
