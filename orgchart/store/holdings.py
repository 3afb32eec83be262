"""Holdings: who holds a post now, who held it on a date, the history, and changes to it.

A holding covers ``[start_date, end_date)``; ``end_date`` NULL means it is still current.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orgchart.models import Holding, OrgUnit, Person, Post

#: Primary holders are listed before acting and deputy ones.
KIND_ORDER = {"primary": 0, "acting": 1, "deputy": 2}


def current_on(day: dt.date) -> ColumnElement[bool]:
    """The holding covers ``day``."""
    return and_(
        Holding.start_date <= day, or_(Holding.end_date.is_(None), Holding.end_date > day)
    )


def _holding(row: Any) -> dict[str, Any]:
    return dict(row._mapping)


_HOLDER_COLUMNS = (
    Holding.id.label("holding_id"),
    Holding.post_id,
    Holding.kind,
    Holding.start_date,
    Holding.end_date,
    Person.id.label("person_id"),
    Person.name,
    Person.mobile,
    Person.role,
)


class HoldingStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def holders_of(self, post_ids: list[int], day: dt.date) -> dict[int, list[dict[str, Any]]]:
        """Holders of each post on ``day`` (one query for all the posts)."""
        found: dict[int, list[dict[str, Any]]] = {post_id: [] for post_id in post_ids}
        if not post_ids:
            return found
        query = (
            select(*_HOLDER_COLUMNS)
            .join(Person, Person.id == Holding.person_id)
            .where(Holding.post_id.in_(set(post_ids)), current_on(day))
            .order_by(Holding.start_date, Holding.id)
        )
        for row in (await self._session.execute(query)).all():
            found[row.post_id].append(_holding(row))
        for holders in found.values():
            holders.sort(key=lambda h: KIND_ORDER.get(h["kind"], 9))
        return found

    async def history(self, post_id: int) -> list[dict[str, Any]]:
        """Every holding of the post, latest start first."""
        query = (
            select(*_HOLDER_COLUMNS)
            .join(Person, Person.id == Holding.person_id)
            .where(Holding.post_id == post_id)
            .order_by(Holding.start_date.desc(), Holding.id.desc())
        )
        return [_holding(row) for row in (await self._session.execute(query)).all()]

    async def posts_held_by(
        self, person_ids: list[int], day: dt.date, *, enterprise_view: bool = False
    ) -> dict[int, list[dict[str, Any]]]:
        """Posts each person holds on ``day``, with their unit (one query for all the people)."""
        found: dict[int, list[dict[str, Any]]] = {person_id: [] for person_id in person_ids}
        if not person_ids:
            return found
        query = (
            select(
                Holding.person_id,
                Holding.kind,
                Post.code,
                Post.title,
                OrgUnit.code.label("unit_code"),
                OrgUnit.name.label("unit_name"),
            )
            .join(Post, Post.id == Holding.post_id)
            .join(OrgUnit, OrgUnit.id == Post.org_unit_id)
            .where(Holding.person_id.in_(set(person_ids)), current_on(day))
            .order_by(Post.code)
        )
        if enterprise_view:
            query = query.where(Post.serves_enterprises.is_(True))
        for row in (await self._session.execute(query)).all():
            found[row.person_id].append(_holding(row))
        return found

    async def by_id(self, holding_id: int) -> dict[str, Any] | None:
        query = (
            select(*_HOLDER_COLUMNS)
            .join(Person, Person.id == Holding.person_id)
            .where(Holding.id == holding_id)
        )
        row = (await self._session.execute(query)).first()
        return _holding(row) if row else None

    async def overlapping(
        self, post_id: int, person_id: int, start: dt.date
    ) -> dict[str, Any] | None:
        """A holding of this post by this person that is open on or after ``start``."""
        query = (
            select(*_HOLDER_COLUMNS)
            .join(Person, Person.id == Holding.person_id)
            .where(
                Holding.post_id == post_id,
                Holding.person_id == person_id,
                or_(Holding.end_date.is_(None), Holding.end_date > start),
            )
            .limit(1)
        )
        row = (await self._session.execute(query)).first()
        return _holding(row) if row else None

    async def start(self, post_id: int, person_id: int, kind: str, start: dt.date) -> int:
        result = await self._session.execute(
            insert(Holding)
            .values(post_id=post_id, person_id=person_id, kind=kind, start_date=start)
            .returning(Holding.id)
        )
        return int(result.scalar_one())

    async def end(self, holding_id: int, end: dt.date) -> None:
        await self._session.execute(
            update(Holding).where(Holding.id == holding_id).values(end_date=end)
        )
