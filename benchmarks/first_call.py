"""First-call latency: each representative call of :mod:`ioukit._warmup` with an empty numba
cache (cold) and again with the cache that the cold run filled (warm).

For each call: a fresh process with an EMPTY ``NUMBA_CACHE_DIR`` imports ioukit, builds the
call's inputs, then times the call alone (numba's own import, which the call triggers, counts);
then a second fresh process with the same, now filled, cache does the same. Also measured:
``import ioukit`` in a fresh process, and the README's main command
(``ioukit segment examples/sample_data/pred examples/sample_data/target --num-classes 5
--ignore-index 255 --class-names examples/sample_data/classes.json --html report.html``) as the
wall time of the whole process, cold and warm.

Building a call's inputs may itself run ioukit kernels (COCO detections encoded with
``rle.from_boxes``, an evaluation result for a confidence interval): what that compiles is
done before the clock starts. The table lists, per call, the kernels its inputs compiled first
(read off numba's dispatchers, so nothing more is imported), so that a row which leaves out a
compilation its call would need in a fresh process says so.

The bar (issue 15): no first call over 2 s; the README command under 5 s on a fresh install.
A fresh install has its bytecode (pip compiles it while installing), so the measured tree is
byte-compiled first: where ``PYTHONDONTWRITEBYTECODE`` is set, every process would otherwise
compile each module it imports from source (about 0.1 s per lazily imported subpackage).

    python benchmarks/first_call.py [--only NAME[,NAME]] [--repeat N] [--src DIR]

The source measured is this checkout's ``src``, first on ``PYTHONPATH`` (so an environment with
ioukit installed measures this tree, not its installed copy); ``--src DIR`` measures another
tree (e.g. an older commit's ``src`` from ``git archive``); a tree without ``ioukit/_warmup.py``
takes the call list from this repository's file. ``--repeat N``: each time is the median of N
runs (each cold run with a new empty cache).
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BAR_SECONDS = 2.0
README_BAR_SECONDS = 5.0
_SAMPLE = ROOT / "examples" / "sample_data"


def _call_list() -> Any:
    """``ioukit._warmup`` of the ioukit on the path, else this repository's files by path."""
    try:
        from ioukit import _warmup

        return _warmup
    except ImportError:  # an older tree: the list (and its evaluation part) from this one
        for name in ("_warmup_eval", "_warmup"):
            path = ROOT / "src" / "ioukit" / f"{name}.py"
            spec = importlib.util.spec_from_file_location(f"ioukit.{name}", path)
            assert spec is not None
            assert spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
        return module


def _child(name: str) -> None:
    """In a fresh process: import ioukit, build the inputs of ``name``, time its call."""
    if name == "import ioukit":
        t0 = time.perf_counter()
        import ioukit

        print(json.dumps({"seconds": time.perf_counter() - t0}))
        return
    import ioukit  # noqa: F401  (not timed: the bar starts after the import)

    (call,) = _call_list().select([name])
    thunk = call.build()
    first = _compiled_kernels()
    t0 = time.perf_counter()
    thunk()
    print(json.dumps({"seconds": time.perf_counter() - t0, "inputs_compiled": first}))


def _compiled_kernels() -> list[str]:
    """ioukit's numba kernels compiled (or loaded) so far in this process; numba is not
    imported for this."""
    if "numba" not in sys.modules:
        return []
    from numba.core.dispatcher import Dispatcher

    found = set()
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("ioukit.kernels._numba_"):
            for value in vars(module).values():
                if isinstance(value, Dispatcher) and value.signatures:
                    f = value.py_func  # where it is defined (kernels import each other's)
                    found.add(f"{f.__module__.rsplit('.', 1)[1]}.{f.__qualname__}")
    return sorted(found)


def _env(src: str | None, cache: str) -> dict[str, str]:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH", "")]))
    return env


def _run_child(name: str, src: str | None, cache: str) -> tuple[float, list[str]]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", name],
        env=_env(src, cache),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:  # the error's last line says why (a missing extra, say)
        last = proc.stderr.strip().splitlines()[-1:] or [""]
        raise RuntimeError(f"{name}: exit {proc.returncode}: {last[0]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return float(out["seconds"]), list(out.get("inputs_compiled", []))


def _run_readme(src: str | None, cache: str, out: Path) -> float:
    cmd = [
        sys.executable, "-m", "ioukit", "segment", str(_SAMPLE / "pred"), str(_SAMPLE / "target"),
        "--num-classes", "5", "--ignore-index", "255",
        "--class-names", str(_SAMPLE / "classes.json"), "--html", str(out / "report.html"),
    ]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=_env(src, cache), capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"README command: exit {proc.returncode}\n{proc.stderr[-2000:]}")
    return seconds


def _measure(name: str, src: str | None, repeat: int) -> tuple[float, float, list[str]]:
    """Median cold and warm seconds of ``name`` over ``repeat`` pairs of fresh processes, and
    the kernels that its inputs compiled before the clock (cold)."""
    cold, warm = [], []
    first: list[str] = []
    for _ in range(repeat):
        cache = tempfile.mkdtemp(prefix="ioukit-first-call-")
        try:
            if name == "README command":
                out = Path(cache) / "out"
                out.mkdir()
                cold.append(_run_readme(src, cache, out))
                warm.append(_run_readme(src, cache, out))
            else:
                seconds, first = _run_child(name, src, cache)
                cold.append(seconds)
                warm.append(_run_child(name, src, cache)[0])
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    return statistics.median(cold), statistics.median(warm), first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated call or group names (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="median of N runs (default 1)")
    parser.add_argument("--src", help="measure this source tree (put first on PYTHONPATH)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return 0
    # this checkout's source by default, first on PYTHONPATH: in an environment where ioukit
    # is installed (not editable), the children would otherwise measure the installed copy
    src = str(Path(args.src).resolve() if args.src else ROOT / "src")
    sys.path.insert(0, src)  # the call list too comes from the tree measured
    compileall.compile_dir(str(Path(src) / "ioukit"), quiet=1)  # as installed
    names = [c.name for c in _call_list().select(args.only.split(",") if args.only else None)]
    if not args.only:
        names = ["import ioukit", "README command", *names]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# ioukit first calls: source {src}, load {load:.2f}", flush=True)
    rows: list[tuple[str, float, float]] = []
    inputs_compiled: dict[str, list[str]] = {}
    failed: list[str] = []
    for name in names:
        try:
            cold, warm, inputs_compiled[name] = _measure(name, src, args.repeat)
        except RuntimeError as exc:
            print(f"  {name}: FAILED {str(exc).splitlines()[0]}", file=sys.stderr, flush=True)
            failed.append(name)
            continue
        rows.append((name, cold, warm))
        print(f"  {name:40s} {cold:8.2f} {warm:8.3f}", file=sys.stderr, flush=True)
    rows.sort(key=lambda r: -r[1])
    print(f"\n{'call':40s} {'cold s':>8s} {'warm s':>8s}  (inputs compiled first)")
    for name, cold, warm in rows:
        bar = README_BAR_SECONDS if name == "README command" else BAR_SECONDS
        flag = f"  over {bar:g} s" if cold > bar and name != "import ioukit" else ""
        first = inputs_compiled.get(name, [])
        pre = f"  ({len(first)} kernel{'s' * (len(first) != 1)})" if first else ""
        print(f"{name:40s} {cold:8.2f} {warm:8.3f}{flag}{pre}")
    calls = [r for r in rows if r[0] not in ("import ioukit", "README command")]
    over = [r[0] for r in calls if r[1] > BAR_SECONDS]
    print(
        f"\nbar: no first call over {BAR_SECONDS:g} s: {len(over)} of {len(calls)} over"
        f" ({', '.join(over) or 'none'}); cold total {sum(r[1] for r in calls):.1f} s"
    )
    for name, cold, _ in rows:
        if name == "README command":
            verdict = "ok" if cold < README_BAR_SECONDS else "over"
            print(
                f"bar: README command under {README_BAR_SECONDS:g} s cold: {cold:.2f} s ({verdict})"
            )
    listed = {name: first for name, first in inputs_compiled.items() if first}
    if listed:
        print("\nkernels compiled by the inputs, before the clock:")
        for name, first in sorted(listed.items()):
            print(f"  {name}: {', '.join(first)}")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
