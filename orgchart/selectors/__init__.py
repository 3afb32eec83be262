"""The selector language: addressing posts ("look up the post, not the person").

``parse(text)`` turns a selector such as ``duty:村党支部书记 under:衢州市`` into a tree
(pure, no I/O); ``resolve(session, selector)`` counts and pages what it selects with
set-based SQL; ``resolve_recipients`` gives the person ids a notice would reach.
The syntax is documented in ``docs/selectors.md``.
"""
from __future__ import annotations

from orgchart.selectors.errors import (
    AmbiguousName,
    SelectorNameError,
    SelectorSyntaxError,
    UnknownName,
)
from orgchart.selectors.nodes import Selector
from orgchart.selectors.parser import parse

__all__ = [
    "AmbiguousName",
    "Resolution",
    "Selector",
    "SelectorNameError",
    "SelectorSyntaxError",
    "UnknownName",
    "parse",
    "resolve",
    "resolve_recipients",
]


def __getattr__(name: str):
    # The resolver pulls in SQLAlchemy and the models; the pure parser should not need them.
    if name in ("resolve", "resolve_recipients", "Resolution"):
        from orgchart.selectors import resolver

        return getattr(resolver, name)
    raise AttributeError(name)
