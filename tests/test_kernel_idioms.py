"""The compile-time idioms of the numba kernels (see :mod:`ioukit.kernels`), read from the source.

A fresh environment compiles every kernel once, and numba compiles the implementation of each
NumPy function or builtin a kernel calls once per argument signature: a positional dtype and a
keyword one are two signatures, ``np.zeros`` compiles ``np.empty`` again under other flags, and
``int(x)`` compiles an implementation where ``np.int64(x)`` is a plain conversion.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ioukit.kernels

_KERNELS = sorted(Path(ioukit.kernels.__file__).parent.glob("_numba_*.py"))
_FILLED = {"zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "empty_like"}


def _is_jit(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr in ("njit", "jit")


def _compiled_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and any(map(_is_jit, node.decorator_list))
    ]


def _problems(source: str) -> list[str]:
    problems = []
    for fn in _compiled_functions(ast.parse(source)):
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            where = f"{fn.name}, line {node.lineno}"
            if isinstance(f, ast.Name) and f.id == "int":
                problems.append(f"{where}: int(...); use np.int64(...)")
            numpy = isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
            if numpy and f.value.id == "np":
                if f.attr in _FILLED:
                    problems.append(
                        f"{where}: np.{f.attr}; use np.empty(shape, dtype=...), x[:] = v"
                    )
                elif f.attr == "empty":
                    keywords = [k.arg for k in node.keywords]
                    if len(node.args) != 1 or keywords != ["dtype"]:
                        problems.append(f"{where}: np.empty needs (shape, dtype=...)")
    return problems


@pytest.mark.parametrize("path", _KERNELS, ids=lambda p: p.name)
def test_kernels_allocate_and_convert_with_the_one_idiom(path: Path) -> None:
    problems = _problems(path.read_text())
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_the_check_finds_each_kind_of_problem() -> None:
    source = (
        "import numba as nb\n"
        "import numpy as np\n"
        "@nb.njit(cache=True)\n"
        "def k(n, x):\n"
        "    a = np.zeros(n, dtype=np.int64)\n"
        "    b = np.empty(n, np.int64)\n"
        "    c = np.empty(n)\n"
        "    d = np.empty(n, dtype=np.int64)\n"
        "    return int(x)\n"
        "def plain(n):\n"
        "    return np.zeros(n), int(n)\n"
    )
    found = _problems(source)
    assert [p.split(":")[0] for p in found] == [
        "k, line 5",
        "k, line 6",
        "k, line 7",
        "k, line 9",
    ]
