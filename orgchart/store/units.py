"""Org units: look-ups, breadcrumbs and children with subtree counts.

Subtree counts are three ``GROUP BY`` queries over one path range each (units, posts, current
holders), grouped by the child's path prefix — never one query per child.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, and_, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgchart.codes import PATH_LENGTH, Level, path_upper_bound
from orgchart.models import Holding, OrgUnit, Post
from orgchart.store.holdings import current_on
from orgchart.store.ranges import in_subtree

_COLUMNS = (OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.level, OrgUnit.path, OrgUnit.parent_id)


def _unit(row: Any) -> dict[str, Any]:
    return dict(row._mapping)


class UnitStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _all(self, query: Select) -> list[dict[str, Any]]:
        return [_unit(row) for row in (await self._session.execute(query)).all()]

    async def by_code(self, code: str) -> dict[str, Any] | None:
        rows = await self._all(select(*_COLUMNS).where(OrgUnit.code == code))
        return rows[0] if rows else None

    async def by_codes(self, codes: list[str]) -> list[dict[str, Any]]:
        """The units among ``codes``, top level first (a breadcrumb when codes are ancestors)."""
        if not codes:
            return []
        return await self._all(
            select(*_COLUMNS).where(OrgUnit.code.in_(codes)).order_by(OrgUnit.level)
        )

    async def by_ids(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        rows = await self._all(select(*_COLUMNS).where(OrgUnit.id.in_(set(ids))))
        return {row["id"]: row for row in rows}

    async def children(self, parent_id: int | None) -> list[dict[str, Any]]:
        """Direct children of a unit, or the top-level units when ``parent_id`` is None."""
        where = OrgUnit.parent_id.is_(None) if parent_id is None else OrgUnit.parent_id == parent_id
        return await self._all(select(*_COLUMNS).where(where).order_by(OrgUnit.code))

    async def subtree_counts(
        self,
        path: str | None,
        child_level: int,
        *,
        enterprise_view: bool,
        today: dt.date,
    ) -> dict[str, dict[str, int]]:
        """Per child path under ``path`` (None: everything): units below it, posts, holders.

        ``units`` excludes the child itself; ``posts`` and ``holders`` include the child's
        own posts. Holders are distinct people holding a post now. With ``enterprise_view``
        only posts that serve enterprises count.
        """
        length = PATH_LENGTH[Level(child_level)]
        counts: dict[str, dict[str, int]] = {}

        def slot(key: str) -> dict[str, int]:
            return counts.setdefault(key, {"units": 0, "posts": 0, "holders": 0})

        # Conditions on the indexed path only (not on ``level``), so SQLite answers the units
        # and posts counts from the index alone. Deeper paths are longer paths.
        unit_key = func.substr(OrgUnit.path, 1, length)
        units = select(unit_key, func.count()).where(func.length(OrgUnit.path) > length)
        if path is not None:
            units = units.where(in_subtree(OrgUnit.path, path))
        for key, number in (await self._session.execute(units.group_by(unit_key))).all():
            slot(key)["units"] = number

        post_key = func.substr(Post.unit_path, 1, length)
        posts = select(post_key, func.count())
        holders = (
            select(post_key, func.count(distinct(Holding.person_id)))
            .join(Holding, Holding.post_id == Post.id)
            .where(current_on(today))
        )
        if path is not None:
            # Strictly below ``path``: the parent's own posts are nobody's child.
            below = and_(Post.unit_path > path, Post.unit_path < path_upper_bound(path))
            posts = posts.where(below)
            holders = holders.where(below)
        if enterprise_view:
            posts = posts.where(Post.serves_enterprises.is_(True))
            holders = holders.where(Post.serves_enterprises.is_(True))
        for key, number in (await self._session.execute(posts.group_by(post_key))).all():
            slot(key)["posts"] = number
        for key, number in (await self._session.execute(holders.group_by(post_key))).all():
            slot(key)["holders"] = number
        return counts
