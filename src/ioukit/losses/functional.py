"""Soft overlap losses for PyTorch: Jaccard (IoU), Dice and Tversky.

They share one set of options, chosen to match the metrics of ioukit (and the Lovász losses of
:mod:`ioukit.losses.lovasz`):

* ``mode`` — ``"binary"``: ``pred`` is ``(N, ...)`` or ``(N, 1, ...)`` and ``target`` has the
  same elements; ``"multiclass"``: ``pred`` is ``(N, C, ...)`` scores and ``target`` is an
  integer label map ``(N, ...)``; ``"multilabel"``: ``pred`` and ``target`` are ``(N, C, ...)``.
* ``from_logits`` — ``True``: ``pred`` holds logits, turned into probabilities by a sigmoid
  (binary, multilabel) or a softmax over the class axis (multiclass). ``False``: ``pred`` holds
  probabilities, and values outside ``[0, 1]`` raise :class:`~ioukit.InputError` (they make a
  "soft IoU" above 1).
* ``ignore_index`` — target values whose elements are removed from every sum (void pixels,
  e.g. 255). In multiclass mode an ignored value that is also a class index (``0 <= v < C``)
  removes that class from the classes scored, as the metrics do.
* ``classes`` — ``None`` (all classes), ``"present"`` (per group, only classes with target
  mass) or a sequence of class indices.
* ``per_image`` — ``False``: sums run over the whole batch (a dataset-level IoU, one value per
  class); ``True``: one value per image and class.
* ``reduction`` — ``"none"``: the per-class losses, shape ``(C',)``, or ``(N, C')`` with
  ``per_image=True`` (classes not counted are 0); ``"sum"``; ``"mean"``: mean over the counted
  classes (and then over images with ``per_image=True``; images with no counted class are
  skipped; nothing counted gives 0).

Empty rule: a group whose denominator is exactly 0 (target and prediction both empty, no
smoothing) scores 1, so its loss is 0 with a finite (zero) gradient; no ``eps`` is needed.

The score is computed by the same two functions as :func:`ioukit.soft_jaccard`
(``ioukit.core.soft._jaccard_ratio`` and ``_smoothed_ratio``), on per-class sums.
"""

from __future__ import annotations

from collections.abc import Sequence

from ioukit._errors import ParameterError
from ioukit.core.soft import _jaccard_ratio, _smoothed_ratio, check_nonneg
from ioukit.losses._common import (
    Classes,
    Tensor,
    activate,
    check_options,
    prepare_seg,
    reduce_losses,
    select,
    torch_xp,
)

__all__ = ["dice_loss", "jaccard_loss", "tversky_loss"]


def _soft_stats(
    func: str,
    pred: object,
    target: object,
    mode: object,
    from_logits: object,
    ignore_index: object,
    classes: object,
    per_image: object,
    reduction: object,
) -> tuple[Tensor, Tensor, Tensor, Tensor | None, bool, str]:
    """(intersection, Σp, Σy, counted mask, per_image, reduction) per group and class."""
    fl, pi, red = check_options(func, from_logits, per_image, reduction)
    seg = prepare_seg(func, pred, target, mode, ignore_index, classes, binary_target=False)
    probs = activate(func, seg, str(mode), fl)
    p, y, v = select(seg, probs)
    dims: tuple[int, ...] = (2,) if pi else (0, 2)
    pv = p * v
    inter = (pv * y).sum(dim=dims)
    sp = pv.sum(dim=dims)
    sy = (y * v).sum(dim=dims)
    counted = (sy > 0) if seg.present else None
    return inter, sp, sy, counted, pi, red


def jaccard_loss(
    pred: Tensor,
    target: Tensor,
    *,
    mode: str,
    from_logits: bool = True,
    smooth: float = 0.0,
    eps: float = 0.0,
    ignore_index: int | Sequence[int] | None = None,
    classes: Classes = None,
    per_image: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """Soft Jaccard (IoU) loss: ``1 − (I + smooth) / (U + smooth + eps)``.

    Per class (and per image with ``per_image=True``), over the non-ignored elements:
    ``I = Σ p·y``, ``U = Σ p + Σ y − I``. On 0/1 probabilities it equals ``1 − IoU`` exactly.
    The ratio is the one of :func:`ioukit.soft_jaccard` (same code), per class.

    Parameters
    ----------
    pred : Tensor
        Logits (``from_logits=True``) or probabilities: ``(N, ...)`` or ``(N, 1, ...)`` in
        binary mode, ``(N, C, ...)`` in multiclass and multilabel mode. Floating dtype; half
        precision is computed in float32.
    target : Tensor
        Binary/multilabel: the elements of ``pred``, values in ``[0, 1]`` (0/1 labels or soft
        labels) or listed in ``ignore_index``. Multiclass: integer labels ``(N, ...)`` in
        ``[0, C)`` or listed in ``ignore_index``.
    mode : {"binary", "multiclass", "multilabel"}
        The layout of ``pred`` and ``target`` (above). Required: never guessed from shapes.
    from_logits : bool, default True
        Apply a sigmoid (binary, multilabel) or a softmax over axis 1 (multiclass) first.
        With ``False``, values outside ``[0, 1]`` raise :class:`~ioukit.InputError`.
    smooth : float, default 0.0
        Added to numerator and denominator. **Smoothing in the numerator rewards empty
        predictions**: for a group with an empty target the score is ``smooth / (Σp + smooth)``,
        maximal for ``p = 0``, so rare classes are pushed towards predicting nothing. Keep 0
        unless you want that.
    eps : float, default 0.0
        Added to the denominator only (numerical guard). Not needed for the empty case: a group
        whose denominator is exactly 0 scores 1 (loss 0) with a finite gradient.
    ignore_index : int or sequence of int, optional
        Target values whose elements are removed from every sum. In multiclass mode, a value
        that is a class index also removes that class from the classes scored.
    classes : None, "present" or sequence of int, default None
        Classes (channels) scored: all, those with target mass in the group, or a subset.
    per_image : bool, default False
        One value per image and class instead of sums over the batch.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"``: the per-class losses ``(C',)``, or ``(N, C')`` with ``per_image=True``
        (classes not counted are 0). ``"sum"``: their sum. ``"mean"``: the mean over the
        counted classes (then over images with ``per_image=True``, skipping images with no
        counted class); nothing counted gives 0.

    Returns
    -------
    Tensor
        0-d for ``"mean"``/``"sum"``; the dtype of ``pred`` (float32 for half precision).

    Notes
    -----
    Empty rule: a group whose denominator is exactly 0 (target and prediction both empty, no
    smoothing) scores 1, so its loss is 0 with a finite (zero) gradient; no ``eps`` is needed.

    Examples
    --------
    ``I = 0.8 + 0.5 = 1.3``, ``U = 1.5 + 2 − 1.3 = 2.2``, loss ``= 1 − 1.3/2.2``:

    >>> import torch
    >>> p = torch.tensor([[0.8, 0.5, 0.2]])
    >>> y = torch.tensor([[1, 1, 0]])
    >>> round(float(jaccard_loss(p, y, mode="binary", from_logits=False)), 4)
    0.4091

    Multiclass logits ``(N=2, C=3, 4 pixels)``, one loss per class:

    >>> logits = torch.zeros(2, 3, 4)
    >>> labels = torch.tensor([[0, 1, 2, 255], [0, 0, 1, 2]])
    >>> jaccard_loss(logits, labels, mode="multiclass", ignore_index=255, reduction="none").shape
    torch.Size([3])
    """
    func = "jaccard_loss"
    s = check_nonneg(func, "smooth", smooth)
    e = check_nonneg(func, "eps", eps)
    inter, sp, sy, counted, pi, red = _soft_stats(
        func, pred, target, mode, from_logits, ignore_index, classes, per_image, reduction
    )
    score = _jaccard_ratio(torch_xp(), inter, sp, sy, s, e)
    return reduce_losses(1 - score, counted, pi, red)


def dice_loss(
    pred: Tensor,
    target: Tensor,
    *,
    mode: str,
    from_logits: bool = True,
    smooth: float = 0.0,
    eps: float = 0.0,
    ignore_index: int | Sequence[int] | None = None,
    classes: Classes = None,
    per_image: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """Soft Dice loss: ``1 − (2 I + smooth) / (Σ p + Σ y + smooth + eps)``.

    Per class (and per image with ``per_image=True``), over the non-ignored elements, with
    ``I = Σ p·y``. Dice and Jaccard are monotone in each other (``D = 2J / (1 + J)``) for one
    group, but not after averaging over classes or images.

    Parameters
    ----------
    pred : Tensor
        Logits (``from_logits=True``) or probabilities: ``(N, ...)`` or ``(N, 1, ...)`` in
        binary mode, ``(N, C, ...)`` in multiclass and multilabel mode. Floating dtype; half
        precision is computed in float32.
    target : Tensor
        Binary/multilabel: the elements of ``pred``, values in ``[0, 1]`` (0/1 labels or soft
        labels) or listed in ``ignore_index``. Multiclass: integer labels ``(N, ...)`` in
        ``[0, C)`` or listed in ``ignore_index``.
    mode : {"binary", "multiclass", "multilabel"}
        The layout of ``pred`` and ``target`` (above). Required: never guessed from shapes.
    from_logits : bool, default True
        Apply a sigmoid (binary, multilabel) or a softmax over axis 1 (multiclass) first.
        With ``False``, values outside ``[0, 1]`` raise :class:`~ioukit.InputError`.
    smooth : float, default 0.0
        Added to numerator and denominator. **Smoothing in the numerator rewards empty
        predictions**: for a group with an empty target the score is ``smooth / (Σp + smooth)``,
        maximal for ``p = 0``, so rare classes are pushed towards predicting nothing. Keep 0
        unless you want that.
    eps : float, default 0.0
        Added to the denominator only (numerical guard). Not needed for the empty case: a group
        whose denominator is exactly 0 scores 1 (loss 0) with a finite gradient.
    ignore_index : int or sequence of int, optional
        Target values whose elements are removed from every sum. In multiclass mode, a value
        that is a class index also removes that class from the classes scored.
    classes : None, "present" or sequence of int, default None
        Classes (channels) scored: all, those with target mass in the group, or a subset.
    per_image : bool, default False
        One value per image and class instead of sums over the batch.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"``: the per-class losses ``(C',)``, or ``(N, C')`` with ``per_image=True``
        (classes not counted are 0). ``"sum"``: their sum. ``"mean"``: the mean over the
        counted classes (then over images with ``per_image=True``, skipping images with no
        counted class); nothing counted gives 0.

    Returns
    -------
    Tensor
        0-d for ``"mean"``/``"sum"``; the dtype of ``pred`` (float32 for half precision).

    Notes
    -----
    Empty rule: a group whose denominator is exactly 0 (target and prediction both empty, no
    smoothing) scores 1, so its loss is 0 with a finite (zero) gradient; no ``eps`` is needed.

    Examples
    --------
    ``2 I = 2.6``, ``Σp + Σy = 3.5``, loss ``= 1 − 2.6/3.5``:

    >>> import torch
    >>> p = torch.tensor([[0.8, 0.5, 0.2]])
    >>> y = torch.tensor([[1, 1, 0]])
    >>> round(float(dice_loss(p, y, mode="binary", from_logits=False)), 4)
    0.2571
    """
    func = "dice_loss"
    s = check_nonneg(func, "smooth", smooth)
    e = check_nonneg(func, "eps", eps)
    inter, sp, sy, counted, pi, red = _soft_stats(
        func, pred, target, mode, from_logits, ignore_index, classes, per_image, reduction
    )
    score = _smoothed_ratio(torch_xp(), 2 * inter, sy + sp, s, e)
    return reduce_losses(1 - score, counted, pi, red)


def tversky_loss(
    pred: Tensor,
    target: Tensor,
    *,
    mode: str,
    alpha: float = 0.5,
    beta: float = 0.5,
    from_logits: bool = True,
    smooth: float = 0.0,
    eps: float = 0.0,
    ignore_index: int | Sequence[int] | None = None,
    classes: Classes = None,
    per_image: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """Tversky loss (Salehi et al., 2017): ``1 − (I + smooth) / (I + α FP + β FN + smooth + eps)``.

    Per class (and per image with ``per_image=True``), over the non-ignored elements:
    ``I = Σ p·y``, ``FP = Σ p·(1 − y)`` and ``FN = Σ (1 − p)·y``. ``α = β = 1`` is the Jaccard
    loss, ``α = β = 0.5`` (default) the Dice loss; ``β > α`` weighs false negatives more
    (recall).

    Parameters
    ----------
    pred : Tensor
        Logits (``from_logits=True``) or probabilities: ``(N, ...)`` or ``(N, 1, ...)`` in
        binary mode, ``(N, C, ...)`` in multiclass and multilabel mode. Floating dtype; half
        precision is computed in float32.
    target : Tensor
        Binary/multilabel: the elements of ``pred``, values in ``[0, 1]`` (0/1 labels or soft
        labels) or listed in ``ignore_index``. Multiclass: integer labels ``(N, ...)`` in
        ``[0, C)`` or listed in ``ignore_index``.
    mode : {"binary", "multiclass", "multilabel"}
        The layout of ``pred`` and ``target`` (above). Required: never guessed from shapes.
    alpha, beta : float, default 0.5
        Weights of false positives and false negatives (>= 0, not both 0).
    from_logits : bool, default True
        Apply a sigmoid (binary, multilabel) or a softmax over axis 1 (multiclass) first.
        With ``False``, values outside ``[0, 1]`` raise :class:`~ioukit.InputError`.
    smooth : float, default 0.0
        Added to numerator and denominator. **Smoothing in the numerator rewards empty
        predictions**: for a group with an empty target the score is ``smooth / (Σp + smooth)``,
        maximal for ``p = 0``, so rare classes are pushed towards predicting nothing. Keep 0
        unless you want that.
    eps : float, default 0.0
        Added to the denominator only (numerical guard). Not needed for the empty case: a group
        whose denominator is exactly 0 scores 1 (loss 0) with a finite gradient.
    ignore_index : int or sequence of int, optional
        Target values whose elements are removed from every sum. In multiclass mode, a value
        that is a class index also removes that class from the classes scored.
    classes : None, "present" or sequence of int, default None
        Classes (channels) scored: all, those with target mass in the group, or a subset.
    per_image : bool, default False
        One value per image and class instead of sums over the batch.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"``: the per-class losses ``(C',)``, or ``(N, C')`` with ``per_image=True``
        (classes not counted are 0). ``"sum"``: their sum. ``"mean"``: the mean over the
        counted classes (then over images with ``per_image=True``, skipping images with no
        counted class); nothing counted gives 0.

    Returns
    -------
    Tensor
        0-d for ``"mean"``/``"sum"``; the dtype of ``pred`` (float32 for half precision).

    Notes
    -----
    Empty rule: a group whose denominator is exactly 0 (target and prediction both empty, no
    smoothing) scores 1, so its loss is 0 with a finite (zero) gradient; no ``eps`` is needed.

    Examples
    --------
    With ``α = β = 1`` it is the Jaccard loss:

    >>> import torch
    >>> p = torch.tensor([[0.8, 0.5, 0.2]])
    >>> y = torch.tensor([[1, 1, 0]])
    >>> j = jaccard_loss(p, y, mode="binary", from_logits=False)
    >>> t = tversky_loss(p, y, mode="binary", alpha=1.0, beta=1.0, from_logits=False)
    >>> bool(torch.isclose(j, t))
    True
    """
    func = "tversky_loss"
    a = check_nonneg(func, "alpha", alpha)
    b = check_nonneg(func, "beta", beta)
    if a + b == 0:
        raise ParameterError(
            f"{func}: `alpha` + `beta` must be > 0 (with both 0 every prediction scores 1); "
            f"got alpha={alpha!r}, beta={beta!r}."
        )
    s = check_nonneg(func, "smooth", smooth)
    e = check_nonneg(func, "eps", eps)
    inter, sp, sy, counted, pi, red = _soft_stats(
        func, pred, target, mode, from_logits, ignore_index, classes, per_image, reduction
    )
    fp = sp - inter
    fn = sy - inter
    score = _smoothed_ratio(torch_xp(), inter, inter + a * fp + b * fn, s, e)
    return reduce_losses(1 - score, counted, pi, red)
