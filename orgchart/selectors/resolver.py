"""Resolving a selector against the directory: counts, one page of posts and enterprises,
and the people a notice would reach.

The work is a fixed number of set-based statements whatever the size of the result: the
names (one query per kind), the three counts (one statement), the page of posts with their
duties and current holders (one statement), and only when the page reaches them the page of
enterprises, their memberships and their officers' holders. Nothing is loaded into Python to
be counted.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgchart import models as m
from orgchart.errors import InvalidInput
from orgchart.selectors.compiler import Compiled, IdSelect, compile_selector
from orgchart.selectors.names import resolve_names
from orgchart.selectors.nodes import Selector
from orgchart.selectors.parser import parse
from orgchart.store.holdings import current_on

posts = m.Post.__table__
duties = m.PostDuty.__table__
units = m.OrgUnit.__table__
departments = m.Department.__table__
holdings = m.Holding.__table__
people = m.Person.__table__
enterprises = m.Enterprise.__table__
members = m.EnterpriseMember.__table__
memberships = m.VirtualMembership.__table__
orgs = m.VirtualOrg.__table__
groups = m.VirtualGroup.__table__

_KIND_ORDER = case({"primary": 0, "acting": 1, "deputy": 2}, value=holdings.c.kind, else_=3)


@dataclass
class Resolution:
    """What a selector selects: counts, one page of items, and whether it is empty."""

    selector: str
    post_count: int
    enterprise_count: int
    holder_count: int
    empty: bool
    message: str
    items: list[dict[str, Any]] = field(default_factory=list)
    offset: int = 0
    limit: int = 50
    as_of: dt.date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "selector": self.selector,
            "post_count": self.post_count,
            "enterprise_count": self.enterprise_count,
            "holder_count": self.holder_count,
            "empty": self.empty,
            "message": self.message,
            "offset": self.offset,
            "limit": self.limit,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "items": self.items,
        }


async def compile_text(session: AsyncSession, selector: str | Selector, *,
                       enterprise_view: bool = False) -> tuple[Selector, Compiled]:
    """Parse (if needed), look the names up and compile; raises the selector errors."""
    parsed = parse(selector) if isinstance(selector, str) else selector
    names = await resolve_names(session, parsed)
    return parsed, compile_selector(parsed.expr, names, enterprise_view=enterprise_view)


async def resolve(
    session: AsyncSession,
    selector: str | Selector,
    *,
    enterprise_view: bool = False,
    offset: int = 0,
    limit: int = 50,
    as_of: dt.date | None = None,
) -> Resolution:
    """Count what ``selector`` selects and return one page: posts (by unit path, then code)
    followed by enterprises (by credit code). ``as_of`` shows the holders on that day."""
    if offset < 0 or limit < 0:
        raise InvalidInput("offset 和 limit 不能为负数", details={"offset": offset, "limit": limit})
    parsed, compiled = await compile_text(session, selector, enterprise_view=enterprise_view)
    day = as_of or dt.date.today()
    post_count, enterprise_count, holder_count = await _counts(session, compiled, day)

    post_items: list[dict[str, Any]] = []
    if compiled.posts is not None and offset < post_count and limit:
        post_items = await _post_page(session, compiled.posts, offset, limit, day)
    enterprise_items: list[dict[str, Any]] = []
    room = limit - len(post_items)
    if compiled.enterprises is not None and room > 0 and offset + limit > post_count:
        enterprise_items = await _enterprise_page(
            session, compiled, max(0, offset - post_count), room)

    officer_posts = [o["officer"]["id"] for e in enterprise_items for o in e["memberships"]
                     if o["officer"]]
    holders = await _holders(session, officer_posts, day) if officer_posts else {}
    for item in enterprise_items:
        for membership in item["memberships"]:
            if membership["officer"]:
                membership["officer"]["holders"] = holders.get(membership["officer"]["id"], [])
        item["officer"] = item["memberships"][0]["officer"] if item["memberships"] else None

    empty = post_count == 0 and enterprise_count == 0
    return Resolution(
        selector=str(parsed),
        post_count=post_count,
        enterprise_count=enterprise_count,
        holder_count=holder_count,
        empty=empty,
        message=_message(post_count, enterprise_count, holder_count, as_of),
        items=post_items + enterprise_items,
        offset=offset,
        limit=limit,
        as_of=as_of,
    )


async def resolve_recipients(session: AsyncSession, selector: str | Selector, *,
                             as_of: dt.date | None = None) -> set[int]:
    """Person ids reached: holders of the selected posts (now, or on ``as_of``) and the
    members of the selected enterprises."""
    _, compiled = await compile_text(session, selector)
    day = as_of or dt.date.today()
    parts = []
    if compiled.posts is not None:
        parts.append(select(holdings.c.person_id.label("id"))
                     .where(holdings.c.post_id.in_(_ids(compiled.posts)), current_on(day)))
    if compiled.enterprises is not None:
        parts.append(select(members.c.person_id.label("id"))
                     .where(members.c.enterprise_id.in_(_ids(compiled.enterprises))))
    if not parts:
        return set()
    stmt = parts[0].union(parts[1]) if len(parts) == 2 else parts[0].distinct()
    return set((await session.execute(stmt)).scalars().all())


def _ids(sel: IdSelect) -> Select:
    """The ids of a selection, as the right-hand side of ``IN``."""
    if isinstance(sel, Select):
        return sel.with_only_columns(sel.selected_columns[0])
    sub = sel.subquery()
    return select(sub.c.id)


async def _counts(session: AsyncSession, compiled: Compiled, day: dt.date) -> tuple[int, int, int]:
    # One statement, one round trip. The selection is written out twice rather than shared
    # as a CTE: a CTE must produce every column (no index-only scan for the count), and the
    # planners then lose the uniqueness of post_duties (post_id, tag) for the holders join.
    columns = []
    if compiled.posts is not None:
        columns.append(select(func.count()).select_from(compiled.posts.subquery())
                       .scalar_subquery())
        columns.append(select(func.count(distinct(holdings.c.person_id)))
                       .where(holdings.c.post_id.in_(_ids(compiled.posts)), current_on(day))
                       .scalar_subquery())
    if compiled.enterprises is not None:
        columns.append(select(func.count()).select_from(compiled.enterprises.subquery())
                       .scalar_subquery())
    if not columns:
        return 0, 0, 0
    row = (await session.execute(select(*columns))).one()
    if compiled.posts is None:
        return 0, row[0], 0
    enterprise_count = row[2] if compiled.enterprises is not None else 0
    return row[0], enterprise_count, row[1]


_TAG_SEPARATOR = "\x1f"  # never inside a tag: tags are one line of text


async def _post_page(session: AsyncSession, selected: IdSelect, offset: int, limit: int,
                     day: dt.date) -> list[dict[str, Any]]:
    # First the page's ids, ordered by the selection's own path column: for a single term
    # that is the driving index's order, so the database reads only the rows of the page.
    sel = selected.subquery("sel")
    page = (select(sel.c.id, sel.c.path, posts.c.code)
            .select_from(sel.join(posts, posts.c.id == sel.c.id))
            .order_by(sel.c.path, posts.c.code).offset(offset).limit(limit)
            .subquery("page"))
    tags = (select(func.aggregate_strings(duties.c.tag, _TAG_SEPARATOR))
            .where(duties.c.post_id == posts.c.id).scalar_subquery())
    # The holders come in the same statement, one row per holder (or one for a vacant post).
    stmt = (
        select(posts.c.id, posts.c.code, posts.c.title, posts.c.serves_enterprises,
               units.c.code.label("unit_code"), units.c.name.label("unit_name"),
               departments.c.code.label("dept_code"), departments.c.name.label("dept_name"),
               departments.c.dept_type, tags.label("tags"),
               people.c.name.label("holder_name"), people.c.mobile, holdings.c.kind)
        .select_from(page.join(posts, posts.c.id == page.c.id)
                     .join(units, units.c.id == posts.c.org_unit_id)
                     .outerjoin(departments, departments.c.id == posts.c.department_id)
                     .outerjoin(holdings, (holdings.c.post_id == posts.c.id) & current_on(day))
                     .outerjoin(people, people.c.id == holdings.c.person_id))
        .order_by(page.c.path, page.c.code, _KIND_ORDER, holdings.c.start_date, people.c.name)
    )
    items: dict[int, dict[str, Any]] = {}
    for r in (await session.execute(stmt)).all():
        item = items.get(r.id)
        if item is None:
            item = items[r.id] = {
                "type": "post",
                "id": r.id,
                "code": r.code,
                "title": r.title,
                "unit": {"code": r.unit_code, "name": r.unit_name},
                "department": ({"code": r.dept_code, "name": r.dept_name, "type": r.dept_type}
                               if r.dept_code is not None else None),
                "duties": sorted(r.tags.split(_TAG_SEPARATOR)) if r.tags else [],
                "serves_enterprises": bool(r.serves_enterprises),
                "holders": [],
            }
        if r.kind is not None:
            item["holders"].append({"name": r.holder_name, "mobile": r.mobile, "kind": r.kind})
    return list(items.values())


async def _enterprise_page(session: AsyncSession, compiled: Compiled, offset: int,
                           limit: int) -> list[dict[str, Any]]:
    assert compiled.enterprises is not None
    stmt = (select(enterprises.c.id, enterprises.c.credit_code, enterprises.c.name)
            .where(enterprises.c.id.in_(_ids(compiled.enterprises)))
            .order_by(enterprises.c.credit_code).offset(offset).limit(limit))
    rows = (await session.execute(stmt)).all()
    if not rows:
        return []
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if compiled.org_ids:
        officer = posts.alias("officer")
        membership_rows = await session.execute(
            select(memberships.c.enterprise_id, orgs.c.code, orgs.c.name,
                   groups.c.code.label("group_code"), groups.c.name.label("group_name"),
                   officer.c.id.label("officer_id"), officer.c.code.label("officer_code"),
                   officer.c.title.label("officer_title"))
            .select_from(memberships.join(orgs, orgs.c.id == memberships.c.virtual_org_id)
                         .join(groups, groups.c.id == memberships.c.group_id)
                         .outerjoin(officer, officer.c.id == memberships.c.officer_post_id))
            .where(memberships.c.enterprise_id.in_([r.id for r in rows]),
                   memberships.c.virtual_org_id.in_(compiled.org_ids))
            .order_by(memberships.c.enterprise_id, orgs.c.code))
        for r in membership_rows.all():
            found[r.enterprise_id].append({
                "virtual_org": {"code": r.code, "name": r.name},
                "group": {"code": r.group_code, "name": r.group_name},
                "officer": ({"id": r.officer_id, "code": r.officer_code, "title": r.officer_title,
                             "holders": []} if r.officer_id is not None else None),
            })
    return [{"type": "enterprise", "id": r.id, "credit_code": r.credit_code, "name": r.name,
             "memberships": found.get(r.id, []), "officer": None} for r in rows]


async def _holders(session: AsyncSession, post_ids: list[int],
                   day: dt.date) -> dict[int, list[dict[str, str | None]]]:
    stmt = (select(holdings.c.post_id, people.c.name, people.c.mobile, holdings.c.kind)
            .join(people, people.c.id == holdings.c.person_id)
            .where(holdings.c.post_id.in_(set(post_ids)), current_on(day))
            .order_by(holdings.c.post_id, _KIND_ORDER, holdings.c.start_date, people.c.name))
    found: dict[int, list[dict[str, str | None]]] = defaultdict(list)
    for post_id, name, mobile, kind in (await session.execute(stmt)).all():
        found[post_id].append({"name": name, "mobile": mobile, "kind": kind})
    return found


def _message(post_count: int, enterprise_count: int, holder_count: int,
             as_of: dt.date | None) -> str:
    if post_count == 0 and enterprise_count == 0:
        return "没有匹配的岗位或企业"
    when = f"{as_of.isoformat()} 时" if as_of else "当前"
    parts = []
    if post_count:
        parts.append(f"{post_count} 个岗位 ({when}在岗 {holder_count} 人)")
    if enterprise_count:
        parts.append(f"{enterprise_count} 家企业")
    return "匹配 " + "、".join(parts)
