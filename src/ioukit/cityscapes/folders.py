"""Cityscapes evaluation of folders in the standard layout.

Ground truth: ``GT_DIR/**/<city>_<seq>_<frame>_gtFine_labelIds.png`` and
``..._gtFine_instanceIds.png`` beside it. Predictions are found anywhere under ``PRED_DIR``
as the reference finds them: the file whose name starts with ``<city>_<seq>_<frame>`` and
ends with ``.png`` (a label-id map, pixel level) or ``.txt`` (instance level). The ``.txt``
file has one line ``<mask png path> <label id> <confidence>`` per predicted instance, the path
relative to the ``.txt`` file's folder and inside ``PRED_DIR``; a mask is every non-zero pixel
of the PNG in Pillow's ``L`` conversion. PNGs that a ``.txt`` file names are masks, never
label maps. Images are evaluated in sorted GT path order.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ioukit._errors import InputError
from ioukit.cityscapes.instance import CityscapesInstanceEvaluator, CityscapesInstanceResult
from ioukit.cityscapes.pixel import CityscapesPixelEvaluator, CityscapesPixelResult

__all__ = ["cityscapes_instance_level", "cityscapes_pixel_level", "find_predictions"]

NDArray = np.ndarray[Any, Any]
_LABEL_SUFFIX = "_gtFine_labelIds.png"
_INSTANCE_SUFFIX = "_gtFine_instanceIds.png"


def _folder(func: str, name: str, path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.is_dir():
        raise InputError(f"{func}: `{name}` {str(p)!r} is not a folder.")
    return p.resolve()


def _gt_files(func: str, gt_dir: Path, suffix: str) -> list[Path]:
    files = sorted(gt_dir.rglob(f"*{suffix}"))
    if not files:
        raise InputError(f"{func}: no *{suffix} file under {gt_dir}.")
    return files


def _key(path: Path) -> str:
    """``<city>_<seq>_<frame>``: the part of a Cityscapes file name common to its files."""
    return "_".join(path.name.split(".")[0].split("_")[:3])


def _mask_line(func: str, txt: Path, root: Path, number: int, line: str) -> tuple[Path, int, float]:
    parts = line.split(" ")
    where = f"{func}: {txt}, line {number}"
    if len(parts) != 3:
        raise InputError(
            f"{where}: expected '<mask png path> <label id> <confidence>' separated by single "
            f"spaces; got {line.rstrip()!r}."
        )
    if os.path.isabs(parts[0]):
        raise InputError(f"{where}: the mask path {parts[0]!r} must be relative.")
    mask = Path(os.path.abspath(txt.parent / parts[0]))
    if not mask.is_relative_to(root):
        raise InputError(f"{where}: the mask {mask} lies outside the prediction folder {root}.")
    try:
        return mask, int(float(parts[1])), float(parts[2])
    except ValueError:
        raise InputError(
            f"{where}: the label id and the confidence must be numbers; got {line.rstrip()!r}."
        ) from None


def read_instance_txt(
    txt: str | os.PathLike[str], root: str | os.PathLike[str]
) -> dict[Path, tuple[int, float]]:
    """The predictions of one instance ``.txt`` file: mask path → (label id, confidence).

    A mask named twice keeps its first position and its last values (as the reference).
    Blank lines are skipped.
    """
    func = "read_instance_txt"
    txt, root = Path(txt), Path(root).resolve()
    try:
        lines = txt.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{func}: cannot read {txt} ({exc}).") from exc
    out: dict[Path, tuple[int, float]] = {}
    for number, line in enumerate(lines, 1):
        if line.strip():
            mask, label, conf = _mask_line(func, txt, root, number, line)
            out[mask] = (label, conf)
    return out


def find_predictions(
    pred_dir: str | os.PathLike[str], gt_files: list[Path], extension: str
) -> list[Path]:
    """The prediction of each GT file: the one file under ``pred_dir`` named
    ``<city>_<seq>_<frame>*<extension>``; for ``.png``, masks named by ``.txt`` files are
    skipped. Raises :class:`InputError` naming the GT file when there is none or several."""
    func = "find_predictions"
    root = Path(pred_dir).resolve()
    candidates = sorted(p.resolve() for p in root.rglob(f"*{extension}") if p.is_file())
    if extension == ".png":
        masks: set[Path] = set()
        for txt in root.rglob("*.txt"):
            masks.update(read_instance_txt(txt, root))
        candidates = [p for p in candidates if p not in masks]
    by_key: dict[str, list[Path]] = {}
    for p in candidates:
        by_key.setdefault(_key(p), []).append(p)
    out = []
    for gt in gt_files:
        key = _key(gt)
        found = [p for p in by_key.get(key, []) if p.name.startswith(key)]
        if not found:
            raise InputError(f"{func}: no prediction {key}*{extension} under {root} for {gt}.")
        if len(found) > 1:
            names = ", ".join(str(p) for p in found)
            raise InputError(f"{func}: several predictions for {gt}: {names}.")
        out.append(found[0])
    return out


def _read(path: Path) -> NDArray:
    from ioukit.io import read_label_map

    return read_label_map(path)


def cityscapes_pixel_level(
    pred_dir: str | os.PathLike[str], gt_dir: str | os.PathLike[str]
) -> CityscapesPixelResult:
    """Class and category IoU and iIoU of a folder of predicted label-id maps.

    Parameters
    ----------
    pred_dir : str or path-like
        Predicted label-id PNGs (mode ``L``, ``P`` or 16-bit), one per GT image, named
        ``<city>_<seq>_<frame>*.png``, anywhere below.
    gt_dir : str or path-like
        ``*_gtFine_labelIds.png`` and ``*_gtFine_instanceIds.png`` files, anywhere below.

    Returns
    -------
    CityscapesPixelResult
        The numbers of cityscapesScripts' ``evalPixelLevelSemanticLabeling``.

    Raises
    ------
    InputError
        A folder is missing, a GT file has no prediction (or several), a file cannot be read
        or is a colour image, sizes differ, or a label is not a Cityscapes label id. The
        message names the file(s).

    Examples
    --------
    >>> import pathlib, tempfile, numpy as np
    >>> from PIL import Image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "gt").mkdir(); (root / "pred").mkdir()
    >>> gt = np.full((4, 8), 7, dtype=np.uint8); gt[:, 4:] = 24  # road, a person
    >>> Image.fromarray(gt).save(root / "gt/x_000000_000001_gtFine_labelIds.png")
    >>> inst = gt.astype(np.uint16); inst[:, 4:] = 24000
    >>> Image.fromarray(inst).save(root / "gt/x_000000_000001_gtFine_instanceIds.png")
    >>> Image.fromarray(gt).save(root / "pred/x_000000_000001_pred.png")
    >>> r = cityscapes_pixel_level(root / "pred", root / "gt")
    >>> r.class_iou["road"], r.class_iiou["person"], r.mean_class_iou
    (1.0, 1.0, 1.0)
    """
    func = "cityscapes_pixel_level"
    gt_root = _folder(func, "gt_dir", gt_dir)
    pred_root = _folder(func, "pred_dir", pred_dir)
    gts = _gt_files(func, gt_root, _LABEL_SUFFIX)
    preds = find_predictions(pred_root, gts, ".png")
    ev = CityscapesPixelEvaluator()
    for gt, pred in zip(gts, preds, strict=True):
        inst_path = gt.with_name(gt.name.replace("labelIds", "instanceIds"))
        p, g, i = _read(pred), _read(gt), _read(inst_path)
        for path, arr in ((gt, g), (inst_path, i)):
            if arr.shape != p.shape:
                raise InputError(
                    f"{func}: {pred} has size {p.shape[::-1]} (W, H) but {path} has "
                    f"{arr.shape[::-1]}."
                )
        try:
            ev.update(p, g, i)
        except InputError as exc:
            raise InputError(f"{func}: {pred} / {gt}: {exc}") from None
    return ev.compute()


def _read_mask(func: str, path: Path, txt: Path) -> NDArray:
    from ioukit.io import _pil

    Image = _pil()
    try:
        with Image.open(path) as im:
            mask: NDArray = np.asarray(im.convert("L")) != 0
            return mask
    except FileNotFoundError:
        raise InputError(f"{func}: the mask {path} named in {txt} does not exist.") from None
    except Exception as exc:  # any decoder failure
        raise InputError(f"{func}: cannot read the mask {path} named in {txt} ({exc}).") from exc


def cityscapes_instance_level(
    pred_dir: str | os.PathLike[str],
    gt_dir: str | os.PathLike[str],
    *,
    min_region_size: int = 100,
    gt_distances: Mapping[str, Mapping[int, tuple[float, float]]] | None = None,
) -> CityscapesInstanceResult:
    """Instance AP and AP50 (and AP100m / AP50m with distances) of a folder of predictions in
    the Cityscapes ``.txt`` format.

    Parameters
    ----------
    pred_dir : str or path-like
        One ``<city>_<seq>_<frame>*.txt`` per GT image, anywhere below, and the mask PNGs it
        names (relative to the ``.txt`` file's folder).
    gt_dir : str or path-like
        ``*_gtFine_instanceIds.png`` files, anywhere below.
    min_region_size : int, default 100
        GT instances with fewer pixels are no positives.
    gt_distances : mapping of str to mapping of int to (float, float), optional
        Per GT image, keyed ``<city>_<seq>_<frame>``: region id → (median distance in metres,
        distance confidence), as ``gt_distances`` of
        :meth:`~ioukit.cityscapes.CityscapesInstanceEvaluator.update`. Turns on AP100m and
        AP50m; every GT image needs an entry (an empty mapping is fine).

    Returns
    -------
    CityscapesInstanceResult
        The numbers of cityscapesScripts' ``evalInstanceLevelSemanticLabeling``.

    Raises
    ------
    InputError
        A folder is missing, a GT file has no ``.txt`` (or several), a line is malformed, a
        mask is missing, unreadable or of another size than its GT image, or ``gt_distances``
        lacks a GT image, names one that is not there or holds a bad entry. The message names
        the file.

    Examples
    --------
    >>> import pathlib, tempfile, numpy as np
    >>> from PIL import Image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "gt").mkdir(); (root / "pred").mkdir()
    >>> inst = np.zeros((20, 20), dtype=np.uint16); inst[:, :10] = 26000  # a car
    >>> Image.fromarray(inst).save(root / "gt/x_000000_000001_gtFine_instanceIds.png")
    >>> Image.fromarray((inst > 0).astype(np.uint8) * 255).save(root / "pred/m0.png")
    >>> _ = (root / "pred/x_000000_000001.txt").write_text("m0.png 26 0.9\\n")
    >>> r = cityscapes_instance_level(root / "pred", root / "gt")
    >>> r.class_ap["car"], r.mean_ap
    (1.0, 1.0)
    """
    func = "cityscapes_instance_level"
    gt_root = _folder(func, "gt_dir", gt_dir)
    pred_root = _folder(func, "pred_dir", pred_dir)
    gts = _gt_files(func, gt_root, _INSTANCE_SUFFIX)
    txts = find_predictions(pred_root, gts, ".txt")
    if gt_distances is not None:
        keys = {_key(gt) for gt in gts}
        unknown = sorted(set(gt_distances) - keys)
        missing = sorted(keys - set(gt_distances))
        if unknown or missing:
            raise InputError(
                f"{func}: `gt_distances` must have one entry per GT image; "
                f"missing {missing[:5]}, not in {gt_root}: {unknown[:5]}."
            )
    ev = CityscapesInstanceEvaluator(min_region_size=min_region_size)
    for gt, txt in zip(gts, txts, strict=True):
        inst = _read(gt)
        entries = read_instance_txt(txt, pred_root)
        masks = np.zeros((len(entries), *inst.shape), dtype=bool)
        for k, path in enumerate(entries):
            m = _read_mask(func, path, txt)
            if m.shape != inst.shape:
                raise InputError(
                    f"{func}: the mask {path} (named in {txt}) has size {m.shape[::-1]} (W, H) "
                    f"but {gt} has {inst.shape[::-1]}."
                )
            masks[k] = m
        labels = [v[0] for v in entries.values()]
        scores = [v[1] for v in entries.values()]
        try:
            distances = None if gt_distances is None else gt_distances[_key(gt)]
            ev.update(
                masks, np.asarray(labels, dtype=np.int64), scores, inst, gt_distances=distances
            )
        except InputError as exc:
            raise InputError(f"{func}: {txt} / {gt}: {exc}") from None
    return ev.compute()
