"""A griffe extension for this site: the docstrings' Sphinx roles become links.

ioukit's docstrings are numpydoc and cross-reference with Sphinx roles (:func:`box_iou`,
:class:`~ioukit.Counts`, :meth:`to_dict`), which Markdown would show as they are typed. Each
role becomes an *optional* autorefs reference: a link where the target is documented on this
site, and plain code where it is not (an internal module, say), never a broken link.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:func|class|meth|attr|data|mod|exc|obj):`(?P<target>[^`]+)`")


def _candidates(target: str, obj: griffe.Object) -> tuple[str, str]:
    """The identifier to try first (the public name), and the one to try next (the name
    beside the object that holds the docstring)."""
    first = target if target.startswith("ioukit.") else f"ioukit.{target}"
    holder = obj if obj.is_class or obj.is_module else obj.parent
    second = f"{holder.path}.{target}" if holder is not None else first
    return first, second


def rewrite(text: str, obj: griffe.Object) -> str:
    def link(match: re.Match[str]) -> str:
        target = match["target"].strip()
        short = target.startswith("~")
        target = target.lstrip("~.")
        title = target.rsplit(".", 1)[-1] if short else target
        first, second = _candidates(target, obj)
        return (f'<autoref identifier="{first}" slug="{second}" optional>'
                f"<code>{title}</code></autoref>")

    return ROLE.sub(link, text)


class SphinxRoles(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value, obj)
