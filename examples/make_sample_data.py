"""Write the sample dataset of ``examples/sample_data`` (committed; rerun to regenerate it).

Six street scenes of 64×96 pixels, five classes (background, person, car, road, sky), saved as
palette PNGs with a PASCAL VOC-like palette, the way VOC and ADE20K ship their masks:

* ``target/scene_<i>.png``: the ground truth, with the object outlines marked 255 (void, VOC's
  "don't care" border, about 5% of the pixels);
* ``pred/scene_<i>.png``: a plausible model output: shifted and blurred outlines, a missed
  person, a car partly taken for a person, a wobbly horizon; never 255;
* ``classes.json``: ``{id: name}``.

Usage::

    python examples/make_sample_data.py  # then:
    ioukit segment examples/sample_data/pred examples/sample_data/target --num-classes 5 \\
        --ignore-index 255 --class-names examples/sample_data/classes.json

or the same from Python (``ev.to_dict()`` is what ``ioukit segment --json`` writes)::

    from ioukit.io import load_class_names
    names = load_class_names("examples/sample_data/classes.json")
    ev = ioukit.evaluate_folder("examples/sample_data/pred", "examples/sample_data/target",
                                num_classes=5, ignore_index=255, class_names=names)
    print(ev.result)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

OUT = Path(__file__).resolve().parent / "sample_data"
H, W = 64, 96
CLASSES = {0: "background", 1: "person", 2: "car", 3: "road", 4: "sky"}
VOID = 255
# PASCAL VOC's colours for 0..4, and its cream void colour for 255
PALETTE = {0: (0, 0, 0), 1: (192, 128, 128), 2: (128, 128, 128), 3: (128, 64, 128)}
PALETTE |= {4: (70, 130, 180), VOID: (224, 224, 192)}

Labels = np.ndarray[Any, np.dtype[np.uint8]]


def _palette() -> list[int]:
    flat = [0] * 768
    for index, rgb in PALETTE.items():
        flat[3 * index : 3 * index + 3] = rgb
    return flat


def _ellipse(mask: Labels, cy: float, cx: float, ry: float, rx: float, label: int) -> None:
    yy, xx = np.mgrid[0:H, 0:W]
    mask[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0] = label


def _scene(rng: np.random.Generator) -> tuple[Labels, list[tuple[str, tuple[float, ...]]]]:
    """A clean label map and the objects drawn on it."""
    labels = np.zeros((H, W), dtype=np.uint8)  # background: buildings
    horizon = int(rng.integers(14, 24))
    road = int(rng.integers(38, 46))
    labels[:horizon] = 4
    labels[road:] = 3
    objects: list[tuple[str, tuple[float, ...]]] = []
    for _ in range(int(rng.integers(1, 3))):
        cy, cx = float(rng.uniform(road - 4, road + 6)), float(rng.uniform(12, W - 12))
        objects.append(("car", (cy, cx, float(rng.uniform(4, 7)), float(rng.uniform(9, 14)))))
    for _ in range(int(rng.integers(1, 4))):
        cy, cx = float(rng.uniform(road - 10, road - 2)), float(rng.uniform(6, W - 6))
        objects.append(("person", (cy, cx, float(rng.uniform(7, 10)), float(rng.uniform(2, 3)))))
    for kind, (cy, cx, ry, rx) in objects:
        _ellipse(labels, cy, cx, ry, rx, 2 if kind == "car" else 1)
    return labels, objects


def _outline(labels: Labels) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """VOC's void border: the pixels on either side of an object's (person, car) outline."""
    obj = np.isin(labels, (1, 2))
    edge = np.zeros(labels.shape, dtype=bool)
    for a, b in (
        (np.s_[:-1], np.s_[1:]),
        (np.s_[1:], np.s_[:-1]),
        (np.s_[:, :-1], np.s_[:, 1:]),
        (np.s_[:, 1:], np.s_[:, :-1]),
    ):
        # a pixel whose neighbour has another label, where one of the two is an object
        edge[a] |= (labels[a] != labels[b]) & (obj[a] | obj[b])
    return edge


def _prediction(
    rng: np.random.Generator, labels: Labels, objects: list[tuple[str, tuple[float, ...]]]
) -> Labels:
    pred = labels.copy()
    # a wobbly horizon: the sky boundary moves by up to two rows per column block
    horizon = int(np.argmax(labels[:, 0] != 4))
    for x0 in range(0, W, 8):
        shift = int(rng.integers(-2, 3))
        if shift > 0:
            pred[horizon : horizon + shift, x0 : x0 + 8] = 4
        elif shift < 0:
            pred[horizon + shift : horizon, x0 : x0 + 8] = 0
    # objects drawn again, shifted and a little too large or small; one person may be missed
    for i, (kind, (cy, cx, ry, rx)) in enumerate(objects):
        label = 2 if kind == "car" else 1
        if kind == "person" and i == len(objects) - 1 and rng.random() < 0.5:
            continue  # missed: the background stays where the person was
        dy, dx = rng.normal(0, 1.0, 2)
        scale = float(rng.uniform(0.85, 1.15))
        _ellipse(pred, cy + dy, cx + dx, ry * scale, rx * scale, label)
        if kind == "car" and rng.random() < 0.5:  # the rear of a car taken for a person
            _ellipse(pred, cy, cx + rx * 0.6, ry * 0.6, rx * 0.3, 1)
    # a few road pixels taken for background near the kerb
    kerb = int(np.argmax(labels[:, 0] == 3))
    pred[kerb : kerb + 2, : int(rng.integers(10, 40))] = 0
    return pred


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Write the sample dataset of ioukit's README: six pairs of palette PNG "
        "label maps (pred/, target/) and classes.json. The same seed gives the same files."
    )
    parser.add_argument(
        "--out", type=Path, default=OUT, help=f"the folder to write to (default: {OUT})"
    )
    out: Path = parser.parse_args(argv).out
    rng = np.random.default_rng(20240611)
    palette = _palette()
    for sub in ("pred", "target"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    void_fraction = []
    for i in range(6):
        labels, objects = _scene(rng)
        pred = _prediction(rng, labels, objects)
        target = labels.copy()
        target[_outline(labels)] = VOID
        void_fraction.append(float((target == VOID).mean()))
        for sub, arr in (("pred", pred), ("target", target)):
            im = Image.fromarray(arr)
            im.putpalette(palette)  # mode P: the pixel values stay the class ids
            im.save(out / sub / f"scene_{i}.png", optimize=True)
    (out / "classes.json").write_text(
        json.dumps({str(k): v for k, v in CLASSES.items()}, indent=1) + "\n"
    )
    print(
        f"wrote 6 pairs of {W}x{H} palette PNGs and classes.json to {out} "
        f"(void pixels in targets: {100 * np.mean(void_fraction):.1f}%)"
    )


if __name__ == "__main__":
    main()
