"""Reading the directory: browse units, departments and posts, holders, people, search, resolve.

Visibility lives here, once: an enterprise member (``viewer.enterprise_view``) sees only
posts that serve enterprises — in counts, lists, search, holders and selector results — and
no person except the current holders of such posts. A hidden post is "not found", not
"forbidden", so its existence does not leak.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orgchart.codes import CodeError, Level, division_level, parent_division
from orgchart.errors import InvalidInput, NotFound
from orgchart.service.counts_cache import SubtreeCountsCache
from orgchart.service.present import (
    department_json,
    enterprise_json,
    held_post_json,
    holder_json,
    post_json,
    unit_json,
)
from orgchart.service.viewer import Viewer
from orgchart.store.departments import DepartmentStore
from orgchart.store.enterprises import EnterpriseStore
from orgchart.store.holdings import HoldingStore
from orgchart.store.people import PersonStore
from orgchart.store.posts import PostStore
from orgchart.store.search import search as search_directory
from orgchart.store.units import UnitStore

#: Children counts of units with paths this short (roots, the province, a city) are cached.
CACHED_PATH = 4


def _check_unit_code(code: str) -> Level:
    try:
        return division_level(code)
    except CodeError as exc:
        raise InvalidInput(str(exc), details={"code": code}) from None


class DirectoryService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        counts_cache: SubtreeCountsCache | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self._sessions = sessions
        self._counts_cache = counts_cache
        self._today = today

    # --- units -----------------------------------------------------------------------------

    async def _unit(self, session: AsyncSession, code: str) -> dict[str, Any]:
        _check_unit_code(code)
        unit = await UnitStore(session).by_code(code)
        if unit is None:
            raise NotFound(f"单位 {code} 不存在")
        return unit

    async def _with_counts(
        self, session: AsyncSession, parent: dict[str, Any] | None, viewer: Viewer
    ) -> list[dict[str, Any]]:
        units = UnitStore(session)
        children = await units.children(parent["id"] if parent else None)
        if not children:
            return []
        path = parent["path"] if parent else None
        level, today = children[0]["level"], self._today()

        async def compute() -> dict[str, dict[str, int]]:
            return await units.subtree_counts(
                path, level, enterprise_view=viewer.enterprise_view, today=today
            )

        if self._counts_cache is not None and (path is None or len(path) <= CACHED_PATH):
            key = (path, level, viewer.enterprise_view, today)
            counts = await self._counts_cache.get(key, compute)
        else:
            counts = await compute()
        empty = {"units": 0, "posts": 0, "holders": 0}
        return [unit_json(child) | {"counts": counts.get(child["path"], empty)} for child in children]

    async def roots(self, viewer: Viewer) -> dict[str, Any]:
        """The top-level units (provinces) with their subtree counts."""
        async with self._sessions() as session:
            return {"items": await self._with_counts(session, None, viewer)}

    async def unit(self, viewer: Viewer, code: str) -> dict[str, Any]:
        """A unit and its breadcrumb (ancestors, top first)."""
        async with self._sessions() as session:
            unit = await self._unit(session, code)
            ancestors: list[str] = []
            up = parent_division(code)
            while up is not None:
                ancestors.append(up)
                up = parent_division(up)
            crumbs = await UnitStore(session).by_codes(ancestors)
        return {"unit": unit_json(unit), "breadcrumb": [unit_json(row) for row in crumbs]}

    async def children(self, viewer: Viewer, code: str) -> dict[str, Any]:
        """The children of a unit, each with units below it, posts and current holders."""
        async with self._sessions() as session:
            unit = await self._unit(session, code)
            items = await self._with_counts(session, unit, viewer)
        return {"unit": unit_json(unit), "items": items}

    # --- departments -----------------------------------------------------------------------

    async def departments(self, viewer: Viewer, code: str) -> dict[str, Any]:
        async with self._sessions() as session:
            unit = await self._unit(session, code)
            rows = await DepartmentStore(session).of_unit(unit["id"])
        return {"unit": unit_json(unit), "items": [department_json(row) for row in rows]}

    async def _department(self, session: AsyncSession, code: str) -> dict[str, Any]:
        department = await DepartmentStore(session).by_code(code)
        if department is None:
            raise NotFound(f"部门 {code} 不存在")
        return department

    async def department(self, viewer: Viewer, code: str) -> dict[str, Any]:
        async with self._sessions() as session:
            department = await self._department(session, code)
            children = await DepartmentStore(session).children(department["id"])
        return {
            "department": department_json(department),
            "children": [department_json(row) for row in children],
        }

    # --- posts -----------------------------------------------------------------------------

    async def _posts_page(
        self,
        session: AsyncSession,
        viewer: Viewer,
        unit_id: int,
        department_id: int | None,
        offset: int,
        limit: int,
    ) -> dict[str, Any]:
        posts = PostStore(session)
        total, rows = await posts.of_unit(
            unit_id,
            department_id=department_id,
            enterprise_view=viewer.enterprise_view,
            offset=offset,
            limit=limit,
        )
        ids = [row["id"] for row in rows]
        duties = await posts.duties(ids)
        holders = await HoldingStore(session).holders_of(ids, self._today())
        items = [
            post_json(row, duties=duties[row["id"]], holders=holders[row["id"]],
                      enterprise_view=viewer.enterprise_view)
            for row in rows
        ]
        return {"total": total, "offset": offset, "limit": limit, "items": items}

    async def unit_posts(
        self, viewer: Viewer, code: str, *, offset: int, limit: int
    ) -> dict[str, Any]:
        """A page of a unit's posts (all its departments) with their current holders."""
        async with self._sessions() as session:
            unit = await self._unit(session, code)
            return await self._posts_page(session, viewer, unit["id"], None, offset, limit)

    async def department_posts(
        self, viewer: Viewer, code: str, *, offset: int, limit: int
    ) -> dict[str, Any]:
        async with self._sessions() as session:
            department = await self._department(session, code)
            return await self._posts_page(
                session, viewer, department["org_unit_id"], department["id"], offset, limit
            )

    async def _post(self, session: AsyncSession, viewer: Viewer, code: str) -> dict[str, Any]:
        post = await PostStore(session).by_code(code)
        if post is None or (viewer.enterprise_view and not post["serves_enterprises"]):
            raise NotFound(f"岗位 {code} 不存在")
        return post

    async def post(self, viewer: Viewer, code: str) -> dict[str, Any]:
        """A post with its duty tags and current holders (找岗位: the holder appears)."""
        async with self._sessions() as session:
            post = await self._post(session, viewer, code)
            duties = await PostStore(session).duties([post["id"]])
            holders = await HoldingStore(session).holders_of([post["id"]], self._today())
        return post_json(post, duties=duties[post["id"]], holders=holders[post["id"]],
                         enterprise_view=viewer.enterprise_view)

    async def holders(self, viewer: Viewer, code: str, at: dt.date | None) -> dict[str, Any]:
        """Who holds the post on ``at`` (today when None); empty when vacant."""
        day = at or self._today()
        async with self._sessions() as session:
            post = await self._post(session, viewer, code)
            holders = await HoldingStore(session).holders_of([post["id"]], day)
        return {
            "post": {"code": post["code"], "title": post["title"]},
            "at": day.isoformat(),
            "vacant": not holders[post["id"]],
            "items": [holder_json(h, enterprise_view=viewer.enterprise_view) for h in holders[post["id"]]],
        }

    async def history(self, viewer: Viewer, code: str) -> dict[str, Any]:
        """Every holding of the post, latest first."""
        async with self._sessions() as session:
            post = await self._post(session, viewer, code)
            rows = await HoldingStore(session).history(post["id"])
        return {
            "post": {"code": post["code"], "title": post["title"]},
            "items": [holder_json(h, enterprise_view=viewer.enterprise_view) for h in rows],
        }

    # --- people ----------------------------------------------------------------------------

    async def _person_json(
        self, session: AsyncSession, person: dict[str, Any], *, enterprise_view: bool
    ) -> dict[str, Any]:
        held = await HoldingStore(session).posts_held_by(
            [person["id"]], self._today(), enterprise_view=enterprise_view
        )
        found: dict[str, Any] = {"id": person["id"], "name": person["name"], "role": person["role"]}
        if not enterprise_view:
            found["mobile"] = person["mobile"]
        found["posts"] = [held_post_json(row) for row in held[person["id"]]]
        if person["role"] == "enterprise" and not enterprise_view:
            ids = await PersonStore(session).enterprise_ids(person["id"])
            found["enterprises"] = [enterprise_json(row) for row in await EnterpriseStore(session).by_ids(ids)]
        return found

    async def person(self, viewer: Viewer, person_id: int) -> dict[str, Any]:
        """A person and the posts they hold; external users see only holders of visible posts."""
        async with self._sessions() as session:
            person = await PersonStore(session).by_id(person_id)
            if person is None:
                raise NotFound(f"人员 {person_id} 不存在")
            found = await self._person_json(session, person, enterprise_view=viewer.enterprise_view)
        if viewer.enterprise_view and not found["posts"] and person_id != viewer.person_id:
            raise NotFound(f"人员 {person_id} 不存在")
        return found

    async def visible_people(self, viewer: Viewer, person_ids: list[int]) -> set[int]:
        """Which of the ids name people the viewer may see, by the rule of :meth:`person`
        (for an external user: themselves and the holders of posts that serve enterprises)."""
        async with self._sessions() as session:
            found = await PersonStore(session).existing(person_ids)
            if not viewer.enterprise_view or not found:
                return found
            held = await HoldingStore(session).posts_held_by(sorted(found), self._today(),
                                                             enterprise_view=True)
        return {p for p in found if held[p] or p == viewer.person_id}

    async def me(self, viewer: Viewer) -> dict[str, Any]:
        async with self._sessions() as session:
            person = await PersonStore(session).by_id(viewer.person_id)
            if person is None:  # deleted while the token lived
                raise NotFound("账号不存在")
            found = await self._person_json(session, person, enterprise_view=False)
            found["activated"] = person["password_hash"] is not None
        return found

    # --- search and selectors --------------------------------------------------------------

    async def search(
        self,
        viewer: Viewer,
        query: str,
        *,
        kind: str | None,
        under: str | None,
        tag: str | None,
        limit: int,
    ) -> dict[str, Any]:
        if not (query or "").strip() and not tag:
            raise InvalidInput("请提供搜索词 q 或职责标签 tag", details={"field": "q"})
        async with self._sessions() as session:
            items = await search_directory(
                session, query, kind=kind, under=under, limit=limit,
                enterprise_view=viewer.enterprise_view, tag=tag, as_of=self._today(),
            )
        return {"query": query, "kind": kind, "items": items}

    async def resolve(
        self,
        viewer: Viewer,
        selector: str,
        *,
        offset: int,
        limit: int,
        as_of: dt.date | None,
    ) -> dict[str, Any]:
        """Resolve a selector to posts (and their holders): a count and one page."""
        from orgchart.selectors import resolve  # written alongside; imported on first use

        if not (selector or "").strip():
            raise InvalidInput("请提供选择器 selector", details={"field": "selector"})
        async with self._sessions() as session:
            resolution = await resolve(
                session, selector, enterprise_view=viewer.enterprise_view,
                offset=offset, limit=limit, as_of=as_of or self._today(),
            )
        found = resolution.to_json()
        if viewer.enterprise_view:  # external users never see mobiles
            for item in found.get("items", []):
                for holder in item.get("holders", []):
                    holder.pop("mobile", None)
        return found
