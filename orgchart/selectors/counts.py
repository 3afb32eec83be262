"""The three counts of a resolution in one statement, with two cheap probes riding along.

The probes let the resolver skip a round trip on the usual path: it compiles the selector
without looking at duty aliases or checking bare words, and the counting statement also says
whether any ``duty:`` value or bare word is an alias and how many bare words are post codes.
Only when one is an alias (the selection must be recompiled and recounted) or a bare word is
no post code (it may have meant a duty, title or unit) does the resolver ask again.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgchart import models as m
from orgchart.selectors.compiler import Compiled, IdSelect
from orgchart.store.holdings import current_on

holdings = m.Holding.__table__
posts = m.Post.__table__
aliases = m.DutyAlias.__table__


@dataclass(frozen=True)
class Counts:
    posts: int = 0
    enterprises: int = 0
    holders: int = 0
    #: how many of the probed words are duty aliases
    alias_words: int = 0
    #: how many of the probed bare words are post codes
    post_codes: int = 0


def ids_of(sel: IdSelect) -> Select:
    """The ids of a selection, as the right-hand side of ``IN``."""
    if isinstance(sel, Select):
        return sel.with_only_columns(sel.selected_columns[0])
    sub = sel.subquery()
    return select(sub.c.id)


def count_columns(compiled: Compiled, day: dt.date, *, alias_words: set[str] = frozenset(),
                  codes: set[str] = frozenset()) -> list[ColumnElement]:
    """The counts and probes as labelled scalar subqueries (named as :class:`Counts` fields).

    The selection is written out twice rather than shared as a CTE: a CTE must produce every
    column (no index-only scan for the count), and the planners then lose the uniqueness of
    post_duties (post_id, tag) for the holders join. Uncorrelated, each runs once per statement
    (an InitPlan on PostgreSQL), so they may ride along in the page's statement too.
    """
    columns: dict[str, ScalarSelect] = {}
    if compiled.posts is not None:
        columns["posts"] = select(func.count()).select_from(compiled.posts.subquery()).scalar_subquery()
        columns["holders"] = (select(func.count(distinct(holdings.c.person_id)))
                              .where(holdings.c.post_id.in_(ids_of(compiled.posts)), current_on(day))
                              .scalar_subquery())
    if compiled.enterprises is not None:
        columns["enterprises"] = (select(func.count()).select_from(compiled.enterprises.subquery())
                                  .scalar_subquery())
    if alias_words:
        columns["alias_words"] = (select(func.count(distinct(aliases.c.alias)))
                                  .where(aliases.c.alias.in_(alias_words)).scalar_subquery())
    if codes:
        columns["post_codes"] = (select(func.count()).where(posts.c.code.in_(codes))
                                 .scalar_subquery())
    return [column.label(f"count_{name}") for name, column in columns.items()]


def counts_of(row: Any) -> Counts:
    """The :class:`Counts` in a row that carries :func:`count_columns`."""
    found = row._mapping
    return Counts(**{field: found[f"count_{field}"] for field in Counts.__dataclass_fields__
                     if f"count_{field}" in found})


async def count(session: AsyncSession, compiled: Compiled, day: dt.date, *,
                alias_words: set[str] = frozenset(), codes: set[str] = frozenset()) -> Counts:
    """Posts, enterprises and distinct current holders, and the probes, in one round trip."""
    columns = count_columns(compiled, day, alias_words=alias_words, codes=codes)
    if not columns:
        return Counts()
    return counts_of((await session.execute(select(*columns))).one())
