"""Prefix ranges that both SQLite and PostgreSQL answer with a plain B-tree index range scan.

``LIKE 'p%'`` uses an index on neither backend by default (SQLite's LIKE folds case;
PostgreSQL needs ``text_pattern_ops`` unless the database collation is ``C``). A half-open
range ``[p, upper(p))`` is exact under code-point (byte) order: SQLite's default BINARY
collation and PostgreSQL databases created with ``C``/``C.UTF-8`` collation, which the
deployment guide requires.
"""
from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import InstrumentedAttribute

from orgchart.codes import path_upper_bound

#: A column of a model (``Person.name``) or any column expression.
Column: TypeAlias = ColumnElement[Any] | InstrumentedAttribute[Any]


def prefix_upper(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix``."""
    if not prefix:
        raise ValueError("empty prefix")
    last = prefix[-1]
    if ord(last) >= 0x10FFFF:  # pragma: no cover - no such character in a name
        return prefix + "\U0010ffff"
    return prefix[:-1] + chr(ord(last) + 1)


def starts_with(column: Column, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as an index range."""
    return and_(column >= prefix, column < prefix_upper(prefix))


def in_subtree(column: Column, path: str) -> ColumnElement[bool]:
    """A materialised division path ``column`` lies at or under ``path``."""
    return and_(column >= path, column < path_upper_bound(path))
