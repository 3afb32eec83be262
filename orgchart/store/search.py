"""Directory search: units, people, posts and enterprises by prefix, as index range scans.

``search()`` is the one entry point (the HTTP API, the CLI and the benchmark call it). A text
matches by name prefix ("杭州"), full pinyin prefix ("hangzhou"), initials prefix ("hzs"),
code prefix (division or credit code) and, for posts, title or duty tag prefix ("河长").
Each alternative is its own ``ORDER BY <indexed column> LIMIT n`` query, so the database
walks one index and stops after ``n`` rows; the alternatives are merged here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgchart.codes import CodeError, division_path
from orgchart.errors import InvalidInput
from orgchart.models import Enterprise, Holding, OrgUnit, Person, Post, PostDuty
from orgchart.store.enterprises import _detailed as _enterprise_query
from orgchart.store.holdings import HoldingStore, current_on
from orgchart.store.matching import Alternative, is_exact, name_alternatives
from orgchart.store.posts import PostStore
from orgchart.store.ranges import in_subtree, starts_with

KINDS = ("unit", "post", "person", "enterprise")
#: Paths at least this long (county and below) are small enough to list their people.
SMALL_SUBTREE_PATH = 6


async def search(
    session: AsyncSession,
    query: str,
    *,
    kind: str | None = None,
    under: str | None = None,
    limit: int = 20,
    enterprise_view: bool = False,
    tag: str | None = None,
    as_of: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Up to ``limit`` matches, exact ones first; each dict has ``kind`` and ``match``.

    ``under`` is a unit code restricting results to its subtree (people: holding a post
    there). ``tag`` asks for posts with exactly that duty tag (``query`` then optionally
    narrows by title). ``enterprise_view`` applies what external users may see: only posts
    that serve enterprises, and only people who hold one of those.
    """
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"kind 只能是 {', '.join(KINDS)} 之一", details={"kind": kind})
    if tag is not None:
        if kind not in (None, "post"):
            raise InvalidInput("按职责标签 tag 搜索只适用于岗位 (kind=post)")
        kind = "post"
    query = (query or "").strip()
    if not query and not tag:
        return []
    path = _under_path(under)
    day = as_of or dt.date.today()
    searcher = _Searcher(session, query, path, max(1, limit), enterprise_view, day)
    kinds = [kind] if kind else list(KINDS)
    found: list[tuple[tuple[int, int, int], dict[str, Any]]] = []
    for position_kind, each in enumerate(kinds):
        if each == "unit":
            rows = await searcher.units()
        elif each == "post":
            rows = await searcher.posts(tag)
        elif each == "person":
            rows = await searcher.people()
        else:
            rows = await searcher.enterprises()
        for position, row in enumerate(rows):
            exact = 0 if row.pop("_exact", False) else 1
            found.append(((exact, position_kind, position), row))
    found.sort(key=lambda pair: pair[0])
    return [row for _rank, row in found[:limit]]


def _under_path(under: str | None) -> str | None:
    if not under:
        return None
    try:
        return division_path(under)
    except CodeError as exc:
        raise InvalidInput(str(exc), details={"under": under}) from None


class _Searcher:
    def __init__(
        self,
        session: AsyncSession,
        query: str,
        path: str | None,
        limit: int,
        enterprise_view: bool,
        day: dt.date,
    ) -> None:
        self.session = session
        self.query = query
        self.path = path
        self.limit = limit
        self.enterprise_view = enterprise_view
        self.day = day

    async def _merged(
        self, base: Select, alternatives: Sequence[Alternative], key: str
    ) -> list[dict[str, Any]]:
        """Run each alternative on ``base``; keep the first ``limit`` distinct rows."""
        rows: dict[Any, dict[str, Any]] = {}
        for alt in alternatives:
            # Order by the indexed column alone: a tie-breaker (``id``) would make PostgreSQL
            # read every row of an equal-key run ("zw": thousands) before the first 20.
            page = base.where(alt.condition).order_by(alt.order_by).limit(self.limit)
            for row in (await self.session.execute(page)).all():
                found = dict(row._mapping)
                if found[key] not in rows:
                    found["match"] = alt.match
                    found["_exact"] = is_exact(self.query, found)
                    rows[found[key]] = found
        ordered = sorted(rows.values(), key=lambda row: not row["_exact"])
        return ordered[: self.limit]

    async def units(self) -> list[dict[str, Any]]:
        base = select(
            OrgUnit.code, OrgUnit.name, OrgUnit.level, OrgUnit.name_pinyin, OrgUnit.name_initials
        )
        if self.path:
            base = base.where(in_subtree(OrgUnit.path, self.path))
        alternatives = name_alternatives(
            self.query,
            name=OrgUnit.name,
            pinyin=OrgUnit.name_pinyin,
            initials=OrgUnit.name_initials,
            code=OrgUnit.code,
        )
        rows = await self._merged(base, alternatives, "code")
        return [
            {"kind": "unit", "code": r["code"], "name": r["name"], "level": r["level"],
             "match": r["match"], "_exact": r["_exact"]}
            for r in rows
        ]

    async def people(self) -> list[dict[str, Any]]:
        base = select(
            Person.id, Person.name, Person.role, Person.mobile, Person.name_pinyin, Person.name_initials
        )
        if self.path or self.enterprise_view:
            # People are placed in the tree (and made visible) by the posts they hold now.
            held = select(Holding.person_id).join(Post, Post.id == Holding.post_id).where(current_on(self.day))
            if self.path:
                held = held.where(in_subtree(Post.unit_path, self.path))
            if self.enterprise_view:
                held = held.where(Post.serves_enterprises.is_(True))
            if self.path and len(self.path) >= SMALL_SUBTREE_PATH:
                # A county or smaller holds a few thousand people: list them from the subtree
                # and filter by name. Walking the name index instead and probing each
                # candidate would read most of the province for a common prefix ("w").
                base = base.where(Person.id.in_(held))
            else:
                # A city or more: about one candidate in ten matches, so walking the name
                # index and probing each candidate stops after a few hundred rows.
                base = base.where(exists(held.where(Holding.person_id == Person.id)))
        alternatives = name_alternatives(
            self.query, name=Person.name, pinyin=Person.name_pinyin, initials=Person.name_initials
        )
        rows = await self._merged(base, alternatives, "id")
        posts = await HoldingStore(self.session).posts_held_by(
            [r["id"] for r in rows], self.day, enterprise_view=self.enterprise_view
        )
        found = []
        for r in rows:
            item: dict[str, Any] = {"kind": "person", "id": r["id"], "name": r["name"], "role": r["role"]}
            if not self.enterprise_view:
                item["mobile"] = r["mobile"]
            item["posts"] = [
                {"code": p["code"], "title": p["title"], "unit": {"code": p["unit_code"], "name": p["unit_name"]},
                 "kind": p["kind"]}
                for p in posts[r["id"]]
            ]
            item["match"], item["_exact"] = r["match"], r["_exact"]
            found.append(item)
        return found

    async def posts(self, tag: str | None) -> list[dict[str, Any]]:
        text = self.query
        ids: dict[int, str] = {}

        async def collect(query: Select, match: str) -> None:
            for (post_id,) in (await self.session.execute(query.limit(self.limit))).all():
                ids.setdefault(post_id, match)

        def visible(query: Select) -> Select:
            if self.enterprise_view:
                query = query.where(Post.serves_enterprises.is_(True))
            return query

        if tag:
            # The composite index (tag, unit_path) answers "this tag under this subtree".
            by_tag = select(PostDuty.post_id).join(Post, Post.id == PostDuty.post_id).where(PostDuty.tag == tag)
            if self.path:
                by_tag = by_tag.where(in_subtree(PostDuty.unit_path, self.path))
            if text:
                by_tag = by_tag.where(starts_with(Post.title, text))
            await collect(visible(by_tag).order_by(PostDuty.unit_path), "tag")
        elif text:
            by_title = select(Post.id).where(starts_with(Post.title, text))
            by_duty = (
                select(PostDuty.post_id)
                .join(Post, Post.id == PostDuty.post_id)
                .where(starts_with(PostDuty.tag, text))
            )
            by_code = select(Post.id).where(starts_with(Post.code, text))
            if self.path:
                by_title = by_title.where(in_subtree(Post.unit_path, self.path))
                by_duty = by_duty.where(in_subtree(PostDuty.unit_path, self.path))
                by_code = by_code.where(in_subtree(Post.unit_path, self.path))
            await collect(visible(by_title).order_by(Post.title), "title")
            await collect(visible(by_duty).order_by(PostDuty.tag, PostDuty.unit_path), "tag")
            if text[0].isdigit():
                await collect(visible(by_code).order_by(Post.code), "code")
        posts = PostStore(self.session)
        rows = await posts.by_ids(list(ids))
        duties = await posts.duties(list(ids))
        holders = await HoldingStore(self.session).holders_of(list(ids), self.day)
        found = []
        for r in rows:
            item: dict[str, Any] = {
                "kind": "post",
                "code": r["code"],
                "title": r["title"],
                "unit": {"code": r["unit_code"], "name": r["unit_name"]},
                "department": (
                    {"code": r["department_code"], "name": r["department_name"]}
                    if r["department_code"] else None
                ),
                "duties": duties[r["id"]],
                "serves_enterprises": r["serves_enterprises"],
                "holders": [
                    {"id": h["person_id"], "name": h["name"], "kind": h["kind"]}
                    for h in holders[r["id"]]
                ],
                "match": ids[r["id"]],
                "_exact": r["title"] == text or (tag is None and text in duties[r["id"]]),
            }
            found.append(item)
        return found

    async def enterprises(self) -> list[dict[str, Any]]:
        base = _enterprise_query()
        if self.path:
            base = base.where(in_subtree(Enterprise.region_path, self.path))
        alternatives = name_alternatives(
            self.query,
            name=Enterprise.name,
            pinyin=Enterprise.name_pinyin,
            initials=Enterprise.name_initials,
            code=Enterprise.credit_code,
        )
        rows = await self._merged(base, alternatives, "credit_code")
        found = []
        for r in rows:
            tags = [t for t in (r.get("tags") or "").split(",") if t]
            found.append({
                "kind": "enterprise", "credit_code": r["credit_code"], "name": r["name"],
                "industry": r["industry"], "scale": r["scale"],
                "region": {"code": r["region_code"], "name": r["region_name"]} if r["region_code"] else None,
                "tags": tags, "match": r["match"], "_exact": r["_exact"],
            })
        return found

