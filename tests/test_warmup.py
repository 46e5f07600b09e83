"""``ioukit warmup`` and the list of representative calls (:mod:`ioukit._warmup`): the command
fills numba's cache (a fresh process then finds every kernel compiled), and the list reaches
every numba kernel of :mod:`ioukit.kernels`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ioukit._warmup import CALLS, select

# a cheap call (one small kernel) for the cold/warm round trip
_CHEAP = "box_iou_aligned"


def _warmup(*args: str, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if cache is not None:
        env["NUMBA_CACHE_DIR"] = str(cache)
    return subprocess.run(
        [sys.executable, "-m", "ioukit", "warmup", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_calls_are_unique_and_selectable_by_name_and_group() -> None:
    names = [c.name for c in CALLS]
    assert len(names) == len(set(names))
    assert [c.name for c in select([_CHEAP])] == [_CHEAP]
    boxes = select(["boxes"])
    assert {c.group for c in boxes} == {"boxes"}
    assert "sparse_box_iou" in [c.name for c in boxes]
    with pytest.raises(KeyError, match="no_such_call"):
        select(["no_such_call"])


def test_list_prints_every_call_and_runs_nothing(tmp_path: Path) -> None:
    proc = _warmup("--list", cache=tmp_path)
    assert proc.returncode == 0, proc.stderr
    listed = [line.split()[1] for line in proc.stdout.splitlines()]
    assert listed == [c.name for c in CALLS]
    assert list(tmp_path.iterdir()) == []  # nothing compiled


def test_unknown_name_is_a_usage_error(tmp_path: Path) -> None:
    proc = _warmup("--only", "box_iou,nope", cache=tmp_path)
    assert proc.returncode == 2
    assert "ioukit warmup: error: --only: unknown call or group nope" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cold_warmup_fills_the_cache_and_a_second_run_finds_it(tmp_path: Path) -> None:
    cold = _warmup("--only", _CHEAP, "--jobs", "1", cache=tmp_path)
    assert cold.returncode == 0, cold.stderr
    assert f"numba cache: {tmp_path}" in cold.stdout
    assert _CHEAP in cold.stdout
    assert "kernel compiled" in cold.stdout or "kernels compiled" in cold.stdout
    index = list(tmp_path.rglob("*.nbi"))
    assert index, "no numba index file in the cache folder"
    assert list(tmp_path.rglob("*.nbc"))
    warm = _warmup("--only", _CHEAP, "--jobs", "1", cache=tmp_path)
    assert warm.returncode == 0, warm.stderr
    assert "everything was already compiled (cached)" in warm.stdout
    quiet = _warmup("--only", _CHEAP, "-q", cache=tmp_path)
    assert quiet.returncode == 0
    assert quiet.stdout == ""


# Dispatchers that no call of the list reaches cheaply, each with the reason. Kernels marked
# inline="always" need no entry: they are compiled inside their callers.
_NOT_REACHED: dict[str, str] = {
    # taken only by calls the list does not make
    "_numba_rle_intervals.string_areas_boxes_range": "COCO JSON results holding compressed "
    "RLE strings (the list's files hold polygons)",
    # taken only when the data is unusual or large
    "_numba_boundary.band_refit": "a mask with more band intervals than the first guess",
    "_numba_boundary._bands_refit": "the same refit (compiled inside band_refit)",
}

_COVERAGE = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    import numba
    from numba.core import event, types
    import ioukit.kernels
    from ioukit._cli_warmup import run_calls
    from ioukit._warmup import CALLS

    # every signature compiled (a cold cache, as in CI): a kernel compiled for a literal
    # argument and again for another literal or for its type is compile time spent twice
    seen = {}

    class Signatures(event.Listener):
        def on_start(self, ev):
            d = ev.data["dispatcher"]
            if d.py_func.__module__.startswith("ioukit."):
                args = tuple(ev.data["args"])
                key = (f"{d.py_func.__module__}.{d.py_func.__qualname__}",
                       tuple(types.unliteral(a) for a in args))
                seen.setdefault(key, set()).add(args)

        def on_end(self, ev):
            pass

    event.register("numba:compile", Signatures())
    failed = [r for r in run_calls([c.name for c in CALLS]) if r[3]]
    assert not failed, failed
    for (name, _), variants in seen.items():
        if len(variants) > 1:
            print("LITERALS", name, sorted(map(str, variants)))

    def dispatchers(value):
        if isinstance(value, numba.core.dispatcher.Dispatcher):
            yield value
        elif isinstance(value, (tuple, list)):
            for v in value:
                yield from dispatchers(v)

    found = []
    for info in pkgutil.iter_modules(ioukit.kernels.__path__):
        if info.name.startswith("_numba"):
            module = importlib.import_module(f"ioukit.kernels.{info.name}")
            for name, value in vars(module).items():
                found += [(f"{info.name}.{name}", d) for d in dispatchers(value)]
    # compiled: a dispatcher with a signature, and what it calls (a kernel loaded from the
    # cache brings its callees' code along without compiling them)
    done = {id(d) for _, d in found if d.signatures}
    todo = [d for _, d in found if d.signatures]
    while todo:
        f = todo.pop().py_func
        names = f.__code__.co_names + f.__code__.co_freevars
        scope = dict(f.__globals__)
        scope.update(zip(f.__code__.co_freevars, [c.cell_contents for c in f.__closure__ or ()]))
        for callee in dispatchers([scope.get(n) for n in names]):
            if id(callee) not in done:
                done.add(id(callee))
                todo.append(callee)
    for name, d in found:
        if id(d) not in done:
            print(name)
    """
)


def test_every_kernel_is_compiled_by_the_list() -> None:
    # one process runs every call (with the cache next to the package: cold, this compiles
    # everything once, minutes on 2 cores; warm, seconds). Cold (CI), it also finds kernels
    # compiled twice for literal arguments: numba types a constant argument as its literal
    # value, so f(x, 0) and f(x, n) compile f twice (give the callee a signature, or pass a
    # variable).
    proc = subprocess.run(
        [sys.executable, "-c", _COVERAGE], capture_output=True, text=True, timeout=1800, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    twice = [line for line in lines if line.startswith("LITERALS ")]
    assert not twice, "kernels compiled again for a literal argument:\n" + "\n".join(twice)
    unreached = set(" ".join(line for line in lines if line not in twice).split())
    missing = unreached - set(_NOT_REACHED)
    assert not missing, f"numba kernels no warmup call compiles: {sorted(missing)}"
    stale = set(_NOT_REACHED) - unreached
    assert not stale, f"listed as not reached, but compiled or gone: {sorted(stale)}"
