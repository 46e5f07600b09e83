"""Run a Python block of a Markdown file statement by statement and check the results it shows.

A block shows a result with a comment that starts with ``→`` on a top-level statement::

    ioukit.dice(counts, average="micro")        # → 0.6667  = 2·4 / (2·4 + 2 + 2)
    print(ci)                                   # → miou 0.6833 [0.6807, 0.6856] (95% BCa, ...)
    a, b = f(x)                                 # → (256, 0.0159...)

The shown text runs from ``→`` to the first double space (the rest is commentary). It is
compared with, for an expression, its value; for ``print(...)``, what it printed; for an
assignment, the value of its targets. Numbers shown with d decimals must equal the actual number
rounded (or truncated) to d decimals, ``...`` matches anything (the rest of a sequence, the
further digits of a number, a part of a printed line), and everything else must be equal,
whitespace aside. A comment that *looks* like a result (numbers and brackets, no words) but
lacks the arrow is an error: every result a reader sees is checked.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import tokenize
from collections.abc import Callable
from typing import Any

import numpy as np

_ARROW = "→"
_VALUE_WORDS = {"True", "False", "None", "nan", "inf", "array"}
_TOKEN = re.compile(
    r"(?P<num>-?(?:\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?:\.\.\.|…)?)"
    r"|(?P<dots>\.\.\.|…)|(?P<word>[A-Za-z_]\w*)|(?P<space>\s+)|(?P<other>.)"
)


class ShownResultError(AssertionError):
    """A shown result differs from the actual one, or a result is shown without ``→``."""


def _comments(code: str) -> dict[int, str]:
    """Line number → the text of the comment on that line."""
    found = {}
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.COMMENT:
            found[tok.start[0]] = tok.string[1:].strip()
    return found


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays as Python numbers and lists (their text is then ``repr``'s)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup or "", m.group()) for m in _TOKEN.finditer(text) if m.lastgroup != "space"]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _same_number(shown: str, actual: str) -> bool:
    """``shown`` (as written, ``0.0159...`` for "and further digits") against ``actual``."""
    more = shown.endswith(("...", "…"))
    shown = shown.rstrip(".…") if more else shown
    want, got = _number(shown), _number(actual)
    if "." not in shown or "e" in shown.lower():
        return want == got
    digits = len(shown.split(".")[1])
    scale = 10.0**digits
    close = [round(got, digits)] + ([np.trunc(got * scale) / scale] if more else [])
    return any(abs(want - c) < 0.5 / scale**2 for c in close)


def matches(shown: str, actual: str) -> bool:
    """Whether ``actual`` (text) is what ``shown`` (text) shows (rules in the module doc).

    >>> matches("[1.0, 0.333, 0.333]", repr([1.0, 1 / 3, 1 / 3]))
    True
    >>> matches("0.0159...", "0.01594"), matches("(0.9167, 0.8333, ...)", "(0.91667, 0.8333, [1])")
    (True, True)
    >>> matches("0.6667", "0.5"), matches("[1, 2]", "[1, 2, 3]"), matches("0.667", "0.6667")
    (False, False, True)
    """
    want, got = _tokens(shown), _tokens(actual)

    def walk(i: int, j: int) -> bool:
        if i == len(want):
            return j == len(got)
        kind, text = want[i]
        if kind == "dots":
            return any(walk(i + 1, k) for k in range(j, len(got) + 1))
        if j == len(got):
            return False
        got_kind, got_text = got[j]
        if kind == "num":
            same = got_kind == "num" and _same_number(text, got_text)
        else:
            same = (kind, text) == (got_kind, got_text)
        return same and walk(i + 1, j + 1)

    return walk(0, 0)


def _shown(comment: str) -> str | None:
    if comment.startswith(_ARROW):
        return comment[len(_ARROW) :].strip().split("  ")[0]
    tokens = _tokens(comment.split("  ")[0])
    if any(k == "num" for k, _ in tokens) and all(
        k != "word" or t in _VALUE_WORDS for k, t in tokens
    ):
        raise ShownResultError(
            f"the comment {comment!r} looks like a result but is not marked with '{_ARROW}': "
            f"write '# {_ARROW} {comment}' so that it is checked"
        )
    return None


def run_block(code: str, name: str, namespace: dict[str, Any]) -> int:
    """Run ``code`` statement by statement in ``namespace``; check every shown result.

    Returns how many results were checked.
    """
    tree = ast.parse(code, filename=name)
    comments = _comments(code)
    checked = 0
    for stmt in tree.body:
        lines = range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)
        shown_texts = [s for s in (_shown(comments[n]) for n in lines if n in comments) if s]
        for node in ast.walk(stmt):
            if node is not stmt and isinstance(node, ast.stmt):
                inner = range(node.lineno, (node.end_lineno or node.lineno) + 1)
                if any(n in comments and comments[n].startswith(_ARROW) for n in inner):
                    raise ShownResultError(f"{name}: a result is shown inside a compound statement")
        out = io.StringIO()
        is_print = (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name)
            and stmt.value.func.id == "print"
        )
        with contextlib.redirect_stdout(out):
            if isinstance(stmt, ast.Expr) and not is_print:
                expr = compile(ast.Expression(stmt.value), name, "eval")
                value: Any = eval(expr, namespace)
            else:
                exec(compile(ast.Module([stmt], type_ignores=[]), name, "exec"), namespace)
                value = None
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    target = stmt.targets[0]
                    get: Callable[[str], Any] = namespace.__getitem__
                    if isinstance(target, ast.Name):
                        value = get(target.id)
                    elif isinstance(target, ast.Tuple) and all(
                        isinstance(e, ast.Name) for e in target.elts
                    ):
                        value = tuple(get(e.id) for e in target.elts)  # type: ignore[attr-defined]
        for shown in shown_texts:
            actual = out.getvalue().strip() if is_print else repr(_plain(value))
            if not matches(shown, actual):
                raise ShownResultError(
                    f"{name}, line {stmt.lineno}: shown {shown!r}, actual {actual!r}"
                )
            checked += 1
    return checked
