"""Small generated Cityscapes-layout datasets: GT label/instance ids, predicted label maps and
instance predictions in the .txt/mask format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

STUFF = [7, 8, 11, 21, 23, 0, 4, 9]  # road, sidewalk, building, vegetation, sky, void ids
THINGS = [24, 25, 26, 27, 33, 29]  # person, rider, car, truck, bicycle, caravan (ignored)


def make_gt(rng: np.random.Generator, big: bool = False) -> tuple[Any, Any]:
    """(label ids uint8, instance ids uint16) with stuff bands, instances of several sizes
    (some under 100 pixels; with ``big``, on a 4× larger image, many over 1000), group regions
    and void."""
    f = 2 if big else 1
    H, W = 64 * f, 128 * f
    label = np.zeros((H, W), dtype=np.uint8)
    for k, lo in enumerate(range(0, H, 8)):
        label[lo : lo + 8] = STUFF[(k + rng.integers(len(STUFF))) % len(STUFF)]
    inst = label.astype(np.uint16)
    counter: dict[int, int] = {}
    for _ in range(int(rng.integers(6, 12))):
        cls = int(rng.choice(THINGS))
        h, w = int(rng.integers(3, 20 * f * f)), int(rng.integers(3, 30 * f))
        y, x = int(rng.integers(0, H - h)), int(rng.integers(0, W - w))
        label[y : y + h, x : x + w] = cls
        if rng.random() < 0.2:  # a group region: id = class id
            inst[y : y + h, x : x + w] = cls
        else:
            k = counter.get(cls, 0)
            counter[cls] = k + 1
            inst[y : y + h, x : x + w] = cls * 1000 + k
    return label, inst


def noisy_labels(rng: np.random.Generator, label: Any) -> Any:
    pred = label.copy()
    flip = rng.random(label.shape) < 0.15
    pred[flip] = rng.choice([0, 7, 8, 11, 21, 23, 24, 25, 26, 27, 29, 33], size=int(flip.sum()))
    pred[10:20, 40:60] = 26  # a block of false car
    return pred


def instance_predictions(rng: np.random.Generator, inst: Any) -> list[tuple[Any, int, float]]:
    """(mask, label id, score) triples: shifted copies of GT regions (some twice), false
    positives on stuff and on void, wrong classes; scores with ties."""
    out: list[tuple[Any, int, float]] = []
    for v in np.unique(inst).tolist():
        cls = v // 1000 if v >= 1000 else v
        if cls not in THINGS:
            continue
        m = inst == v
        for _ in range(int(rng.integers(1, 3))):
            dy, dx = int(rng.integers(-2, 3)), int(rng.integers(-3, 4))
            shifted = np.roll(np.roll(m, dy, axis=0), dx, axis=1)
            out.append((shifted, cls, round(float(rng.random()), 1)))
        if rng.random() < 0.3:
            out.append((m, int(rng.choice([24, 26, 33])), round(float(rng.random()), 2)))
    for _ in range(3):  # free false positives
        m = np.zeros(inst.shape, dtype=bool)
        y, x = int(rng.integers(0, inst.shape[0] - 10)), int(rng.integers(0, inst.shape[1] - 10))
        m[y : y + int(rng.integers(2, 10)), x : x + int(rng.integers(2, 10))] = True
        out.append((m, int(rng.choice([24, 25, 26, 27, 33])), round(float(rng.random()), 1)))
    out.append((np.zeros(inst.shape, dtype=bool), 26, 0.5))  # empty: dropped
    return out


def gt_distances(rng: np.random.Generator, inst: Any) -> dict[int, tuple[float, float]]:
    """(median distance, confidence) for most regions of ``inst`` (groups and void included),
    with distances exactly at 50 and 100 m and confidences exactly at 0.5; some left out."""
    out = {}
    for v in np.unique(inst).tolist():
        if rng.random() < 0.15:
            continue
        dist = float(rng.choice([10.0, 49.9, 50.0, 50.1, 80.0, 100.0, 100.5, 200.0, -1.0]))
        out[v] = (dist, float(rng.choice([0.0, 0.3, 0.5, 0.5, 0.9, 1.0])))
    return out


def write_dataset(root: Path, n_images: int, seed: int, big: bool = False) -> tuple[Path, Path]:
    """Write GT_DIR (gtFine/val/<city>/...) and PRED_DIR (label PNGs, .txt files, masks/)."""
    rng = np.random.default_rng(seed)
    gt_dir, pred_dir = root / "gtFine", root / "results"
    for i in range(n_images):
        city = ["aachen", "bremen"][i % 2]
        key = f"{city}_{i:06d}_000019"
        (gt_dir / "val" / city).mkdir(parents=True, exist_ok=True)
        (pred_dir / "masks").mkdir(parents=True, exist_ok=True)
        label, inst = make_gt(rng, big)
        Image.fromarray(label).save(gt_dir / "val" / city / f"{key}_gtFine_labelIds.png")
        Image.fromarray(inst).save(gt_dir / "val" / city / f"{key}_gtFine_instanceIds.png")
        Image.fromarray(noisy_labels(rng, label)).save(pred_dir / f"{key}_leftImg8bit.png")
        lines = []
        for k, (m, cls, score) in enumerate(instance_predictions(rng, inst)):
            name = f"masks/{key}_{k}.png"
            Image.fromarray(m.astype(np.uint8) * 255).save(pred_dir / name)
            lines.append(f"{name} {cls} {score}\n")
        (pred_dir / f"{key}_leftImg8bit.txt").write_text("".join(lines))
    return pred_dir, gt_dir
