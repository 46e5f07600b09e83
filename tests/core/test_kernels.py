"""Every dispatch branch of the confusion-counting kernels against a plain NumPy oracle, and
the thread policy that every threaded kernel follows.

Branches: the uint8 word kernel (8 pixels per step; uniform words add 8 at once), the
table-driven kernel (any integer dtype, threaded or serial), and the general kernel (negative
ignore values). Each is checked on uniform blocks, noise, ignored and out-of-range values.
The machine is pinned "idle" for these tests (see ``idle_machine``), so that inputs of ``BIG``
size take the threaded kernels whatever else runs beside the tests.
"""

from __future__ import annotations

import math
import os
import time

import numba
import numpy as np
import pytest

import ioukit
from ioukit import InputError
from ioukit.kernels import (
    _threads,
    counting,
    num_threads,
    numba_threads,
    on_threads,
    parallel_threads,
)

C = 5
BIG = (2, 512, 1024)  # 2**20 elements: the threaded kernels


@pytest.fixture(autouse=True)
def _idle(idle_machine: None) -> None:
    """No other process runs: the policy gives numba's thread count (fresh reading)."""


def oracle(pred: np.ndarray, target: np.ndarray, ignore: tuple[int, ...]) -> np.ndarray:
    keep = ~np.isin(target, ignore)
    t = target[keep].astype(np.int64)
    p = pred[keep].astype(np.int64)
    return np.bincount(t * C + p, minlength=C * C).reshape(C, C)


def data(shape: tuple[int, ...], dtype: str, ignore: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    runs = rng.integers(0, C, (*shape[:-1], -(-shape[-1] // 16)))
    target = np.repeat(runs, 16, axis=-1)[..., : shape[-1]]  # runs of 16 equal labels
    pred = target.copy()
    noise = rng.random(shape) < 0.1  # scattered errors break some 8-pixel words
    pred[noise] = rng.integers(0, C, int(noise.sum()))
    target[rng.random(shape) < 0.05] = ignore
    target[..., :24] = ignore  # whole ignored words
    return pred.astype(dtype), target.astype(dtype)


@pytest.mark.parametrize("shape", [BIG, (3, 40, 56), (2, 7, 9)])
@pytest.mark.parametrize(
    ("dtype", "ignore"),
    [("uint8", 255), ("uint16", 255), ("int32", 255), ("int64", 255), ("int16", -1), ("int64", 0)],
)
def test_kernels_match_oracle(shape, dtype, ignore) -> None:
    pred, target = data(shape, dtype, ignore, seed=len(shape) + shape[-1])
    expected = oracle(pred, target, (ignore,))
    got = ioukit.multiclass_confusion_matrix(pred, target, num_classes=C, ignore_index=ignore)
    np.testing.assert_array_equal(got, expected)
    stack = ioukit.multiclass_confusion_matrix(
        pred, target, num_classes=C, ignore_index=ignore, per_sample=True
    )
    for i in range(shape[0]):
        np.testing.assert_array_equal(stack[i], oracle(pred[i], target[i], (ignore,)))


def test_table_lookup_is_used_for_uint8_words() -> None:
    assert counting._tables(C, (255,)) is not None
    assert counting._tables(C, (-1,)) is None  # negative ignore values: general kernel


@pytest.mark.parametrize("shape", [BIG, (2, 6, 16)])
def test_out_of_range_found_in_uniform_words(shape) -> None:
    pred, target = data(shape, "uint8", 255, seed=3)
    target[0, 2, :16] = 1
    pred[0, 2, :16] = 200  # two whole words of an out-of-range prediction
    with pytest.raises(InputError, match=r"`pred` has 16 label\(s\) outside \[0, 5\)"):
        ioukit.multiclass_confusion_matrix(pred, target, num_classes=C, ignore_index=255)
    pred, target = data(shape, "uint8", 255, seed=3)
    target[1, 3, 8:16] = 9  # one whole word of an out-of-range target
    with pytest.raises(InputError, match=r"`target` has 8 label\(s\) outside \[0, 5\)"):
        ioukit.multiclass_confusion_matrix(pred, target, num_classes=C, ignore_index=255)


def test_predictions_under_ignored_targets_never_count() -> None:
    pred, target = data(BIG, "uint8", 255, seed=4)
    pred[target == 255] = 250  # garbage where the target is void: fine
    got = ioukit.multiclass_confusion_matrix(pred, target, num_classes=C, ignore_index=255)
    np.testing.assert_array_equal(got, oracle(pred, target, (255,)))


@pytest.mark.parametrize("dtype", ["uint8", "int32"])
def test_busy_machine_counts_serially_with_the_same_result(monkeypatch, dtype) -> None:
    pred, target = data(BIG, dtype, 255, seed=5)
    used: list[int] = []
    run = counting._run

    def spy(name: str, threads: int, *args: object) -> object:
        used.append(threads)
        return run(name, threads, *args)

    monkeypatch.setattr(counting, "_run", spy)
    idle = ioukit.multiclass_confusion_matrix(pred, target, num_classes=C, ignore_index=255)
    many = numba.get_num_threads() > 1 and _threads._usable_cores() > 1
    assert used == [num_threads()]
    assert used[0] > 1 or not many  # threaded on an idle machine
    monkeypatch.setattr(_threads, "busy_threads", lambda: os.cpu_count())  # every core busy
    monkeypatch.setattr(_threads, "_probe", (-math.inf, -math.inf, None))
    busy = ioukit.multiclass_confusion_matrix(pred, target, num_classes=C, ignore_index=255)
    assert used[1:] == [1]  # the serial kernel
    np.testing.assert_array_equal(busy, idle)
    np.testing.assert_array_equal(busy, oracle(pred, target, (255,)))


# ----------------------------------------------------------------------------- thread policy


def choose(
    work: int = 1000, *, configured: int = 8, usable: int = 8, online: int = 8, busy: int | None = 0
) -> int:
    """The policy with min_work=100 on an 8-core machine, unless told otherwise."""
    return _threads.choose_threads(
        work, min_work=100, configured=configured, usable=usable, online=online, busy=busy
    )


def test_policy_small_work_runs_serially() -> None:
    assert choose(99) == 1
    assert choose(100) == 8  # from min_work on (inclusive): every free thread
    assert choose(0, busy=None) == 1


def test_policy_uses_only_free_cores() -> None:
    assert choose(busy=3) == 5  # 8 cores, 3 runnable threads elsewhere
    assert choose(busy=7) == 1  # one free core: the serial kernel
    assert choose(busy=8) == 1  # no free core: never fewer than one thread
    assert choose(busy=30) == 1
    # 2 cores beside one busy process (the reported case): serial
    assert choose(configured=2, usable=2, online=2, busy=1) == 1
    assert choose(configured=2, usable=2, online=2, busy=0) == 2


def test_policy_caps_at_numba_threads_and_affinity() -> None:
    assert choose(configured=1) == 1  # numba.set_num_threads(1), worker processes
    assert choose(configured=4) == 4
    assert choose(usable=3) == 3  # taskset / cpuset: 3 of the 8 online cores
    # a container on a 64-core host: other processes on the host leave 24 cores free
    assert choose(configured=2, usable=2, online=64, busy=40) == 2
    assert choose(busy=None) == 8  # load unknown (no /proc/loadavg): no cap


def test_busy_threads_reads_proc_loadavg(monkeypatch, tmp_path) -> None:
    monkeypatch.undo()  # the real busy_threads, not the idle_machine pin
    path = tmp_path / "loadavg"
    monkeypatch.setattr(_threads, "_LOADAVG", str(path))

    def no_scan() -> int:
        raise AssertionError("own threads scanned although only the caller runs")

    monkeypatch.setattr(_threads, "_own_running", no_scan)
    path.write_text("0.50 0.40 0.30 1/321 4567\n")
    assert _threads.busy_threads() == 0
    monkeypatch.setattr(_threads, "_own_running", lambda: 2)  # the caller and a spinning worker
    monkeypatch.setattr(_threads, "_others_running", lambda: 3)  # confirmed by counting
    monkeypatch.setattr(_threads, "_CONFIRM", 0.0)
    path.write_text("2.50 1.40 0.30 5/321 4567\n")
    assert _threads.busy_threads() == 3
    path.write_text("2.50 1.40 0.30 2/321 4567\n")
    assert _threads.busy_threads() == 0  # only our own threads run
    path.write_text("garbage\n")
    assert _threads.busy_threads() is None
    path.unlink()
    assert _threads.busy_threads() is None  # no /proc/loadavg (macOS, Windows): unknown


def test_busy_threads_confirms_a_competitor_by_counting(monkeypatch) -> None:
    """/proc/loadavg's suggestion of a competitor stands only if other processes' runnable
    threads, counted twice, show it both times (an OpenMP worker changing state between the
    reads, or a kernel thread's microsecond, do not)."""
    monkeypatch.undo()
    monkeypatch.setattr(_threads, "_CONFIRM", 0.0)
    monkeypatch.setattr(_threads, "_runnable", lambda: 3)  # the caller and two others
    monkeypatch.setattr(_threads, "_own_running", lambda: 1)

    def case(counts: list[int]) -> int | None:
        monkeypatch.setattr(_threads, "_confirmed", (-math.inf, 0))
        it = iter(counts)
        monkeypatch.setattr(_threads, "_others_running", lambda: next(it))
        return _threads.busy_threads()

    assert case([0]) == 0  # nothing else runs: it was our own worker
    assert case([1, 0]) == 0  # a blip
    assert case([2, 1]) == 1  # one competitor stays
    assert case([2, 2]) == 2
    assert case([5, 5]) == 2  # never more than loadavg suggests
    # a confirmed count stands for _HOLD seconds: readings up to it are not counted again
    monkeypatch.setattr(_threads, "_others_running", fail_if_read)
    monkeypatch.setattr(_threads, "_confirmed", (time.monotonic(), 2))
    assert _threads.busy_threads() == 2


def test_hold_keeps_the_largest_recent_reading() -> None:
    hold, window = _threads.hold, _threads._HOLD
    assert hold(2, 10.0, None, -math.inf) == (2, 10.0)  # first reading
    assert hold(0, 10.0 + window / 2, 2, 10.0) == (2, 10.0)  # between bursts: still busy
    assert hold(3, 10.0 + window / 2, 2, 10.0) == (3, 10.0 + window / 2)  # larger: at once
    assert hold(0, 10.0 + 2 * window, 2, 10.0) == (0, 10.0 + 2 * window)  # gone for long enough
    assert hold(None, 11.0, 2, 10.9) == (None, 11.0)  # unknown: no cap, nothing held


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="Linux /proc only")
def test_own_running_threads_include_the_caller() -> None:
    assert 1 <= _threads._own_running() <= len(os.listdir("/proc/self/task"))


def fail_if_read() -> int:
    raise AssertionError("/proc read although the answer is 1 anyway")


def test_parallel_threads_reads_nothing_below_min_work(monkeypatch) -> None:
    monkeypatch.setattr(_threads, "busy_threads", fail_if_read)
    assert parallel_threads(10, min_work=11) == 1


def test_parallel_threads_follows_the_probe(monkeypatch) -> None:
    monkeypatch.setattr(numba, "get_num_threads", lambda: 4)
    monkeypatch.setattr(_threads, "_usable_cores", lambda: 4)
    monkeypatch.setattr(_threads, "_online_cores", lambda: 4)
    readings = iter([1, 3])
    monkeypatch.setattr(_threads, "busy_threads", lambda: next(readings))
    monkeypatch.setattr(_threads, "_PROBE_TTL", 3600.0)
    assert parallel_threads(10, min_work=10) == 3  # 4 cores, one busy
    assert parallel_threads(10, min_work=10) == 3  # the same reading, within _PROBE_TTL
    monkeypatch.setattr(_threads, "_probe", (-math.inf, -math.inf, None))  # the reading has expired
    assert parallel_threads(10, min_work=10) == 1  # 3 busy: the serial kernel
    assert num_threads() == 1
    monkeypatch.setattr(numba, "get_num_threads", lambda: 1)  # numba.set_num_threads(1)
    monkeypatch.setattr(_threads, "busy_threads", fail_if_read)
    monkeypatch.setattr(_threads, "_probe", (-math.inf, -math.inf, None))
    assert parallel_threads(10, min_work=10) == 1


def test_numba_threads_restores_the_count_even_on_error() -> None:
    before = numba.get_num_threads()
    with numba_threads(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    seen: list[int] = []

    def fail_inside() -> None:
        with numba_threads(1):
            seen.append(numba.get_num_threads())
            raise KeyError("inside the block")

    with pytest.raises(KeyError, match="inside the block"):
        fail_inside()
    assert seen == [1]
    assert numba.get_num_threads() == before
    with numba_threads(before):  # no change: nothing to restore
        assert numba.get_num_threads() == before
    assert numba.get_num_threads() == before


def test_on_threads_wraps_each_call() -> None:
    before = numba.get_num_threads()

    def kernel(x: int, *, y: int) -> tuple[int, int]:
        if x < 0:
            raise ValueError("negative")
        return x + y, numba.get_num_threads()

    one = on_threads(kernel, 1)
    assert numba.get_num_threads() == before  # nothing set until it is called
    assert one(2, y=3) == (5, 1)
    assert numba.get_num_threads() == before
    with pytest.raises(ValueError, match="negative"):
        one(-1, y=0)
    assert numba.get_num_threads() == before
