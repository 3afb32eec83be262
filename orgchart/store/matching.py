"""How a search text matches a named row: by name, full pinyin, initials or code prefix.

Every alternative is an index range (see :mod:`.ranges`). A Chinese name prefix has no index
of its own: it is narrowed by the pinyin index (the pinyin of "杭州" is a prefix of the pinyin
of "杭州市", because keys are made character by character) and then checked on the name.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_

from orgchart.pinyin import normalise_query, search_keys
from orgchart.store.ranges import Column, starts_with


@dataclass(frozen=True)
class Alternative:
    """One way to match: its label, the condition, and the indexed column to order by."""

    match: str
    condition: ColumnElement[bool]
    order_by: Column


def name_alternatives(
    text: str,
    *,
    name: Column,
    pinyin: Column,
    initials: Column,
    code: Column | None = None,
) -> list[Alternative]:
    """The ways ``text`` may match a row with these columns, most specific first."""
    query = normalise_query(text)
    if not query:
        return []
    if not query.isascii():
        key, _initials = search_keys(query)
        condition = starts_with(name, query)
        if key:
            condition = and_(starts_with(pinyin, key), condition)
        return [Alternative("name", condition, pinyin)]
    found: list[Alternative] = []
    if code is not None and query.isalnum() and query[0].isdigit():
        found.append(Alternative("code", starts_with(code, query.upper()), code))
    if query.isalnum():
        found.append(Alternative("initials", starts_with(initials, query), initials))
        found.append(Alternative("pinyin", starts_with(pinyin, query), pinyin))
    return found


def is_exact(text: str, row: dict, *, name: str = "name") -> bool:
    """The row's name, pinyin or initials equal the search text (listed first)."""
    query = normalise_query(text)
    return query in (
        normalise_query(str(row.get(name) or "")),
        row.get("name_pinyin"),
        row.get("name_initials"),
    )
