"""The Cityscapes label table and the constants of its evaluation protocol.

Transcribed from the dataset's definition (Cordts et al., CVPR 2016; ``labels.py`` of
cityscapesScripts 2.3.0): label id, name, category, whether the class has instances and
whether it is ignored in evaluation. The license plate (id -1) is not a pixel value and is
left out; it never takes part in any count.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "AVG_CLASS_SIZE",
    "CATEGORIES",
    "EVAL_CLASSES",
    "INSTANCE_CATEGORIES",
    "INSTANCE_CLASSES",
    "LABELS",
    "NUM_LABEL_IDS",
]


class Label(NamedTuple):
    id: int
    name: str
    category: str
    has_instances: bool
    ignore_in_eval: bool


LABELS: tuple[Label, ...] = (
    Label(0, "unlabeled", "void", False, True),
    Label(1, "ego vehicle", "void", False, True),
    Label(2, "rectification border", "void", False, True),
    Label(3, "out of roi", "void", False, True),
    Label(4, "static", "void", False, True),
    Label(5, "dynamic", "void", False, True),
    Label(6, "ground", "void", False, True),
    Label(7, "road", "flat", False, False),
    Label(8, "sidewalk", "flat", False, False),
    Label(9, "parking", "flat", False, True),
    Label(10, "rail track", "flat", False, True),
    Label(11, "building", "construction", False, False),
    Label(12, "wall", "construction", False, False),
    Label(13, "fence", "construction", False, False),
    Label(14, "guard rail", "construction", False, True),
    Label(15, "bridge", "construction", False, True),
    Label(16, "tunnel", "construction", False, True),
    Label(17, "pole", "object", False, False),
    Label(18, "polegroup", "object", False, True),
    Label(19, "traffic light", "object", False, False),
    Label(20, "traffic sign", "object", False, False),
    Label(21, "vegetation", "nature", False, False),
    Label(22, "terrain", "nature", False, False),
    Label(23, "sky", "sky", False, False),
    Label(24, "person", "human", True, False),
    Label(25, "rider", "human", True, False),
    Label(26, "car", "vehicle", True, False),
    Label(27, "truck", "vehicle", True, False),
    Label(28, "bus", "vehicle", True, False),
    Label(29, "caravan", "vehicle", True, True),
    Label(30, "trailer", "vehicle", True, True),
    Label(31, "train", "vehicle", True, False),
    Label(32, "motorcycle", "vehicle", True, False),
    Label(33, "bicycle", "vehicle", True, False),
)

#: label ids are 0..33: the size of the confusion matrix
NUM_LABEL_IDS = len(LABELS)

#: the 19 evaluated classes, in id order
EVAL_CLASSES: tuple[Label, ...] = tuple(lb for lb in LABELS if not lb.ignore_in_eval)

#: the 8 evaluated classes with instances (iIoU, AP), in id order
INSTANCE_CLASSES: tuple[Label, ...] = tuple(lb for lb in EVAL_CLASSES if lb.has_instances)

#: every category, in table order, with the ids of its labels
CATEGORIES: dict[str, tuple[int, ...]] = {}
for _lb in LABELS:
    CATEGORIES.setdefault(_lb.category, ())
    CATEGORIES[_lb.category] += (_lb.id,)

#: categories whose labels all have instances (human, vehicle): the category iIoU. Their ids
#: include the ignored caravan and trailer, which count in the category's prediction mask.
INSTANCE_CATEGORIES: dict[str, tuple[int, ...]] = {
    c: ids for c, ids in CATEGORIES.items() if all(LABELS[i].has_instances for i in ids)
}

#: average instance size in pixels per class over the training set: the iIoU weights
AVG_CLASS_SIZE: dict[str, float] = {
    "bicycle": 4672.3249222261,
    "caravan": 36771.8241758242,
    "motorcycle": 6298.7200839748,
    "rider": 3930.4788056518,
    "bus": 35732.1511111111,
    "train": 67583.7075812274,
    "car": 12794.0202738185,
    "person": 3462.4756337644,
    "truck": 27855.1264367816,
    "trailer": 16926.9763313609,
}
