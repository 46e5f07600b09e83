"""COCO and LVIS evaluation sharded by image, merged exactly.

Everything that COCO's and LVIS's matching read is per image (cells are (image, category)
pairs; the per-image caps count within an image), so the images in ``params.img_ids`` order
are cut into contiguous shards: a task (:class:`Shard`) holds one shard's ground-truth and
result columns (masks as compressed RLE or polygons, never dense), orders its cells, computes
their IoUs and matches them, and returns only its match piece (:class:`Piece`: per detection
its statuses, score, rank and image position; per category where its detections start; per
(area range, category, image) the regular ground-truth counts). :func:`merge` puts the pieces
back in the one-pass cell order (category, then image position, then the cell's own order),
so the accumulation sees the arrays of one pass, bit for bit, whatever the partitioning.

The result list itself may come in shards (:func:`result_shards`: the per-rank files of
distributed inference), which must hold disjoint images (:func:`check_disjoint`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from numbers import Integral
from typing import Any

import numpy as np

from ioukit._errors import InputError, IoUKitError, ParameterError
from ioukit._pool import Executor, SerialExecutor, check_run_options
from ioukit.detection._accumulate import MatchState
from ioukit.detection._coco_fast import MaskTable
from ioukit.detection._coco_load import GroundTruth, Results, _read, id_column
from ioukit.detection._coco_masks import spans

_NDArray = np.ndarray[Any, Any]

#: shards per worker when ``shards`` is not given (small shards even out the workers)
SHARDS_PER_WORKER = 4
_DT_ROW = r"`dt\[(\d+)\](?!\[\d)"
_GT_ROW = r"`gt\['annotations'\]\[(\d+)\]"


def positions(ids: Any, index: Mapping[Any, int]) -> _NDArray:
    """The position of each id in ``index`` (-1 when absent)."""
    if isinstance(ids, np.ndarray) and ids.dtype == np.int64:
        keys = list(index)
        if all(type(k) is int for k in keys):
            universe = np.array(keys, dtype=np.int64)
            pos = np.array(list(index.values()), dtype=np.int64)
            srt = np.argsort(universe, kind="stable")
            universe, pos = universe[srt], pos[srt]
            at = np.minimum(np.searchsorted(universe, ids), max(universe.size - 1, 0))
            hit = universe[at] == ids if universe.size else np.zeros(ids.size, bool)
            return np.where(hit, pos[at] if universe.size else -1, -1)
        ids = ids.tolist()
    return np.fromiter((index.get(v, -1) for v in ids), np.int64, len(ids))


# -- options -----------------------------------------------------------------------------------


def check_options(func: str, executor: object, shards: object) -> None:
    """``executor``: None or an :class:`~ioukit.evaluate.Executor`; ``shards``: None, a
    positive int, or a sequence of image counts (ints >= 0; their sum is checked later)."""
    check_run_options(func, None, executor, None)
    if shards is None:
        return
    if _count(shards) >= 1:
        return
    seq = isinstance(shards, Sequence | np.ndarray) and not isinstance(shards, str | bytes)
    if seq and all(_count(v) >= 0 for v in shards):  # type: ignore[attr-defined]
        return
    raise ParameterError(
        f"{func}: `shards` must be None, a positive int (how many shards) or a sequence of "
        f"image counts (ints >= 0, one per shard, summing to the number of images); got "
        f"{shards!r}."
    )


def _count(value: object) -> int:
    """An int (-1 for anything else)."""
    ok = isinstance(value, Integral) and not isinstance(value, bool)
    return int(value) if ok else -1  # type: ignore[call-overload]


def bounds(
    func: str, weight: _NDArray, shards: Any, executor: Executor | None
) -> list[tuple[int, int]]:
    """The shards as image ranges ``[lo, hi)`` in ``params.img_ids`` order: the sizes given
    (empty shards dropped), or ``shards`` (default ``4 x executor.max_workers``; at most one
    per image) contiguous ranges balanced by ``weight`` (the ground truths and results of
    each image, plus one): a shard closes at the image where the running weight reaches its
    share."""
    n_img = weight.size
    if shards is not None and not isinstance(shards, Integral):
        sizes = np.asarray(list(shards), np.int64).reshape(-1)
        if int(sizes.sum()) != n_img:
            raise ParameterError(
                f"{func}: `shards` as image counts must sum to the number of images evaluated "
                f"({n_img}); got {len(sizes)} counts summing to {int(sizes.sum())}."
            )
        ends = np.cumsum(sizes)
        return [(int(e - s), int(e)) for s, e in zip(sizes, ends, strict=True) if s > 0]
    workers = 1 if executor is None else max(1, int(executor.max_workers))
    n = max(1, min(SHARDS_PER_WORKER * workers if shards is None else int(shards), n_img))
    cum = np.cumsum(weight + 1)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, n) / n, side="left") + 1
    # exactly n shards, none empty: cut j lies in [j, n_img - n + j], after cut j - 1
    j = np.arange(1, n)
    cuts = np.maximum.accumulate(np.clip(cuts, j, n_img - n + j) - j) + j
    edges = np.concatenate([[0], cuts, [n_img]])
    return [(int(lo), int(hi)) for lo, hi in itertools.pairwise(edges)]


# -- tasks and pieces --------------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """What a shard's task sends back: its detections in its cell order, with their statuses
    ``(A, T, D)`` int8, scores, ranks and global image positions; where each category's
    detections start ``(K + 1,)``; the regular ground truths ``(A, K * n_img)`` of its
    ``n_img`` images from ``first``."""

    index: int
    first: int
    n_img: int
    status: _NDArray
    score: _NDArray
    rank: _NDArray
    image: _NDArray
    cat_start: _NDArray
    regular: _NDArray


@dataclass(frozen=True)
class Shard:
    """One task: ``match(*data)`` on the columns of images ``first:first + n_img``.
    ``gt_rows`` and ``dt_rows`` are the positions of its rows in the whole input (its
    messages name those)."""

    index: int
    first: int
    n_img: int
    match: Callable[..., MatchState]
    data: tuple[Any, ...]
    gt_rows: _NDArray
    dt_rows: _NDArray


def run_shard(shard: Shard) -> Piece:
    """A shard's match piece (the task an executor runs); an input error names the rows of
    the whole input."""
    try:
        rec = shard.match(*shard.data)
    except InputError as e:
        msg = _renamed(str(e), _DT_ROW, "`dt[{}]", lambda i: shard.dt_rows[i])
        msg = _renamed(msg, _GT_ROW, "`gt['annotations'][{}]", lambda i: shard.gt_rows[i])
        raise type(e)(msg) from None
    return Piece(
        shard.index, shard.first, shard.n_img, rec.dt_status, rec.dt_score, rec.dt_rank,
        (rec.dt_image + shard.first).astype(np.int32), rec.cat_start, rec.regular,
    )  # fmt: skip


def _renamed(msg: str, pattern: str, form: str, name: Callable[[int], Any]) -> str:
    """``msg`` with each row ``i`` that ``pattern`` finds written ``form.format(name(i))``."""
    return re.sub(pattern, lambda m: form.format(name(int(m.group(1)))), msg)


def evaluate_shards(
    func: str,
    match: Callable[..., MatchState],
    g: GroundTruth,
    d: Results,
    p: Any,
    extra: Callable[[Sequence[Any], _NDArray, _NDArray], tuple[Any, ...]],
    *,
    executor: Executor | None,
    shards: Any,
) -> MatchState:
    """The match statuses of ``match(g, d, p, *extra(img_ids, gt_rows, dt_rows))`` over all
    of ``p.img_ids``, computed shard by shard with ``executor`` (None: in this process) and
    merged into the one-pass order."""
    n_img, n_a, n_t = len(p.img_ids), len(p.area_ranges), len(p.iou_thresholds)
    if n_img == 0:  # nothing to cut
        none = np.zeros(0, np.int64)
        return match(g, d, p, *extra(p.img_ids, none, none))
    index = {v: i for i, v in enumerate(p.img_ids)}
    gpos, dpos = positions(g.image_id, index), positions(d.image_id, index)
    g_by, g_off = _by_image(gpos, n_img)
    d_by, d_off = _by_image(dpos, n_img)
    ranges = bounds(func, np.diff(g_off) + np.diff(d_off), shards, executor)

    def shard(item: tuple[int, tuple[int, int]]) -> Shard:
        i, (lo, hi) = item
        gr = np.sort(g_by[g_off[lo] : g_off[hi]])
        dr = np.sort(d_by[d_off[lo] : d_off[hi]])
        ids = p.img_ids[lo:hi]
        data = (take_gt(g, gr, ids), take_results([(d, dr)]), replace(p, img_ids=ids))
        return Shard(i, lo, hi - lo, match, (*data, *extra(ids, gr, dr)), gr, dr)

    ex = SerialExecutor() if executor is None else executor
    results = ex.map_unordered(run_shard, map(shard, enumerate(ranges)))
    try:
        # to the end of the iterator (not closed early: a pool then keeps its workers); the
        # pieces come in any order, each knows its place
        pieces = list(results)
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
    if sorted(q.index for q in pieces) != list(range(len(ranges))):
        raise IoUKitError(
            f"{func}: the executor {type(ex).__name__} gave {len(pieces)} results for "
            f"{len(ranges)} shards, expected one per shard."
        )
    return merge(pieces, n_img, n_a, n_t)


def _by_image(pos: _NDArray, n_img: int) -> tuple[_NDArray, _NDArray]:
    """Rows grouped by image position (rows of other images dropped), and the offsets."""
    order = np.argsort(pos, kind="stable")
    order = order[pos[order] >= 0]
    off = np.zeros(n_img + 1, np.int64)
    np.cumsum(np.bincount(pos[order], minlength=n_img), out=off[1:])
    return order, off


def merge(pieces: Sequence[Piece], n_img: int, n_a: int, n_t: int) -> MatchState:
    """The pieces of image-disjoint shards as one pass has them: detections grouped by
    category, then by image position, each cell in its own order (the pieces' order)."""
    pieces = sorted(pieces, key=lambda q: q.index)
    n_k = pieces[0].cat_start.size - 1 if pieces else 0
    cat = np.concatenate(
        [np.zeros(0, np.int64)] + [np.repeat(np.arange(n_k), np.diff(q.cat_start)) for q in pieces]
    )
    image = np.concatenate([np.zeros(0, np.int32)] + [q.image for q in pieces])
    order = np.argsort(cat * max(n_img, 1) + image, kind="stable")
    status = np.concatenate([np.zeros((n_a, n_t, 0), np.int8)] + [q.status for q in pieces], 2)
    regular = np.zeros((n_a, n_k, n_img), np.int32)
    for q in pieces:
        regular[:, :, q.first : q.first + q.n_img] = q.regular.reshape(n_a, n_k, q.n_img)
    cat_start = np.zeros(n_k + 1, np.int64)
    np.cumsum(np.bincount(cat, minlength=n_k), out=cat_start[1:])

    def joined(name: str, dtype: Any) -> _NDArray:
        parts = [np.zeros(0, dtype)] + [getattr(q, name) for q in pieces]
        return np.concatenate(parts).astype(dtype)[order]

    return MatchState(
        dt_image=image[order], dt_score=joined("score", np.float64),
        dt_rank=joined("rank", np.int32), cat_start=cat_start, dt_status=status[:, :, order],
        regular=regular.reshape(n_a, n_k * n_img), n_img=n_img,
    )  # fmt: skip


# -- columns -----------------------------------------------------------------------------------


def take_masks(parts: Sequence[tuple[Any, _NDArray]]) -> Any:
    """The masks ``rows`` of each ``(masks, rows)`` part, concatenated: a :class:`MaskTable`
    when every part with rows is one, else a list (a table's items as COCO's JSON has them)."""
    parts = [(m, r) for m, r in parts if r.size and len(m)]  # no masks read: an empty list
    if parts and all(isinstance(m, MaskTable) for m, _ in parts):
        return _take_tables(parts)
    out: list[Any] = []
    for m, rows in parts:
        out += [m.item(int(i)) for i in rows] if isinstance(m, MaskTable) else [m[i] for i in rows]
    return out


def _take_tables(parts: Sequence[tuple[MaskTable, _NDArray]]) -> MaskTable:
    keys = ("kind", "height", "width", "strings", "string_len", "nums", "ring_len", "n_rings")
    cols: dict[str, list[_NDArray]] = {k: [] for k in keys}
    for t, rows in parts:
        cols["kind"].append(t.kind[rows])
        cols["height"].append(t.height[rows])
        cols["width"].append(t.width[rows])
        lo, hi = t.soff[rows], t.soff[rows + 1]
        cols["strings"].append(t.strings[spans(lo, hi)])
        cols["string_len"].append(hi - lo)
        ring = spans(t.ring[rows], t.ring[rows] + t.n_rings[rows])
        cols["nums"].append(t.nums[spans(t.ring_off[ring], t.ring_off[ring + 1])])
        cols["ring_len"].append(t.ring_off[ring + 1] - t.ring_off[ring])
        cols["n_rings"].append(t.n_rings[rows])
    c = {k: np.concatenate(v) for k, v in cols.items()}
    soff, ring_off, ring = (np.zeros(c[k].size + 1, np.int64) for k in ("string_len", "ring_len",
                                                                          "n_rings"))  # fmt: skip
    np.cumsum(c["string_len"], out=soff[1:])
    np.cumsum(c["ring_len"], out=ring_off[1:])
    np.cumsum(c["n_rings"], out=ring[1:])
    return MaskTable(c["kind"], c["height"], c["width"], c["strings"], soff, c["nums"], ring_off,
                     ring[:-1], c["n_rings"])  # fmt: skip


def take_gt(g: GroundTruth, rows: _NDArray, img_ids: Sequence[Any]) -> GroundTruth:
    """The ground truths ``rows`` (their images ``img_ids``)."""
    return replace(
        g, img_ids=list(img_ids), img_sizes={i: g.img_sizes[i] for i in img_ids}, cat_names={},
        image_id=g.image_id[rows], category_id=g.category_id[rows], bbox=g.bbox[rows],
        area=g.area[rows], crowd=g.crowd[rows], id_nonzero=g.id_nonzero[rows],
        segmentation=take_masks([(g.segmentation, rows)]), ann_id=g.ann_id[rows],
        ignore=g.ignore[rows],
    )  # fmt: skip


def take_results(parts: Sequence[tuple[Results, _NDArray]]) -> Results:
    """The results ``rows`` of each ``(results, rows)`` part, concatenated."""

    def col(name: str) -> _NDArray:
        return np.concatenate([getattr(r, name)[rows] for r, rows in parts])

    return Results(
        _ids([r.image_id[rows] for r, rows in parts]),
        _ids([r.category_id[rows] for r, rows in parts]), col("score"), col("bbox"),
        col("area"), take_masks([(r.segmentation, rows) for r, rows in parts]),
    )  # fmt: skip


def _ids(parts: list[_NDArray]) -> _NDArray:
    if all(p.dtype == np.int64 for p in parts):
        return np.concatenate(parts)
    return id_column([v for p in parts for v in p.tolist()])


# -- results in shards -------------------------------------------------------------------------


def result_shards(func: str, dt: Any) -> list[Any] | None:
    """``dt`` as a list of result shards (a list or tuple whose items are paths or lists of
    result dicts), or None for one result list (a list of dicts, or a path)."""
    if not isinstance(dt, list | tuple) or not dt:
        return None
    is_part = [isinstance(x, str | os.PathLike | list | tuple) for x in dt]
    if not any(is_part):
        return None
    if not all(is_part):
        i = is_part.index(False)
        raise InputError(
            f"{func}: `dt` must be one result list (of dicts) or a list of result shards (each "
            f"a path or a list of dicts); got a mix: `dt[{i}]` is a {type(dt[i]).__name__} "
            f"and `dt[{is_part.index(True)}]` a shard."
        )
    return list(dt)


def check_disjoint(func: str, image_ids: Sequence[_NDArray]) -> None:
    """Shards must not share an image (a distributed sampler's padding repeats images)."""
    where: dict[Any, list[int]] = {}
    for s, ids in enumerate(image_ids):
        uniq = np.unique(ids) if ids.dtype == np.int64 else dict.fromkeys(ids.tolist())
        for v in uniq.tolist() if isinstance(uniq, np.ndarray) else uniq:
            where.setdefault(v, []).append(s)
    twice = [(v, s) for v, s in where.items() if len(s) > 1]
    if twice:
        shown = ", ".join(f"image {v!r} in shards {s}" for v, s in twice[:5])
        more = f" (and {len(twice) - 5} more)" if len(twice) > 5 else ""
        raise InputError(
            f"{func}: the result shards in `dt` must hold disjoint images; {len(twice)} image(s) "
            f"have results in more than one shard: {shown}{more}. Distributed samplers (PyTorch's "
            "DistributedSampler) pad the last batch by repeating images, so per-rank result "
            "files repeat them: drop the repeats, keeping each image's results from one shard."
        )


def join_lists(func: str, parts: Sequence[Any]) -> tuple[list[Any], list[int]]:
    """The shards as one result list (checked disjoint), and where each shard starts in it."""
    lists = [_read(f"dt[{s}]", part, list) for s, part in enumerate(parts)]
    ids = [id_column([a["image_id"] for a in x if isinstance(a, Mapping) and "image_id" in a])
           for x in lists]  # fmt: skip
    check_disjoint(func, ids)
    starts = np.cumsum([0] + [len(x) for x in lists]).tolist()
    return [a for x in lists for a in x], starts


def load_shards(
    func: str, parts: Sequence[Any], load: Callable[[Any], Results]
) -> tuple[Results, list[int]]:
    """Each shard read by ``load`` (its messages name ``dt[shard]``), checked disjoint, and
    concatenated; and where each shard starts."""
    loaded = []
    for s, part in enumerate(parts):
        try:
            loaded.append(load(part))
        except InputError as e:
            msg = re.sub(r"`dt(?=[`\[])", f"`dt[{s}]", str(e))
            raise type(e)(msg) from e.__cause__
    check_disjoint(func, [r.image_id for r in loaded])
    starts = np.cumsum([0] + [r.score.size for r in loaded]).tolist()
    return take_results([(r, np.arange(r.score.size)) for r in loaded]), starts


@contextlib.contextmanager
def in_shards(starts: Sequence[int] | None) -> Iterator[None]:
    """Input errors that name a result ``dt[i]`` of the shards' concatenation name it
    ``dt[shard][row]`` instead."""
    try:
        yield
    except InputError as e:
        if starts is None:
            raise
        at = np.asarray(starts)

        def name(i: int) -> str:
            s = int(np.searchsorted(at, i, side="right")) - 1
            return f"{s}][{i - at[s]}"

        raise type(e)(_renamed(str(e), _DT_ROW, "`dt[{}]", name)) from e.__cause__
