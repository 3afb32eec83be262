"""Resolving a selector against the directory: counts, one page of posts and enterprises,
and the people a notice would reach.

The work is a fixed number of set-based statements whatever the size of the result: the
names (one query per kind), the three counts (one statement, :mod:`.counts`; duty aliases and
bare words are probed in it and looked at again only when one needs it), the page of posts with their
duties and current holders (one statement), and only when the page reaches them the page of
enterprises, their memberships and their officers' holders. Nothing is loaded into Python to
be counted.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgchart import models as m
from orgchart.errors import InvalidInput
from orgchart.selectors.compiler import Compiled, IdSelect, compile_selector
from orgchart.selectors.counts import Counts, count, count_columns, counts_of, ids_of
from orgchart.selectors.names import Resolved, resolve_names, resolve_words, word_values
from orgchart.selectors.nodes import Selector
from orgchart.selectors.parser import parse
from orgchart.selectors.suggest import unknown_duties
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
    #: duty aliases the selector used, each to the tags it stood for (村支书 → [村党支部书记])
    aliases: dict[str, list[str]] = field(default_factory=dict)
    #: for an empty result, the ``duty:…`` fragments nearest to the unknown tags and words
    suggestions: list[str] = field(default_factory=list)

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
            "aliases": self.aliases,
            "suggestions": self.suggestions,
            "items": self.items,
        }


async def compile_text(session: AsyncSession, selector: str | Selector, *,
                       enterprise_view: bool = False) -> tuple[Selector, Compiled]:
    """Parse (if needed), look the names up and compile; raises the selector errors."""
    parsed, _, compiled = await _compile(session, selector, enterprise_view)
    return parsed, compiled


async def _compile(session: AsyncSession, selector: str | Selector,
                   enterprise_view: bool) -> tuple[Selector, Resolved, Compiled]:
    parsed = parse(selector) if isinstance(selector, str) else selector
    names = await resolve_names(session, parsed)
    return parsed, names, compile_selector(parsed.expr, names, enterprise_view=enterprise_view)


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
    parsed = parse(selector) if isinstance(selector, str) else selector
    async with read_only(session):
        return await _resolve(session, parsed, enterprise_view, offset, limit, as_of)


@asynccontextmanager
async def read_only(session: AsyncSession) -> AsyncIterator[None]:
    """Run a session's reads without BEGIN and ROLLBACK when it has no transaction yet.

    On PostgreSQL at READ COMMITTED every statement takes its own snapshot even inside a
    transaction, so the transaction buys a read-only request nothing but two round trips
    (BEGIN before the first statement, ROLLBACK when the session closes) — a tenth of a
    20,400-post resolution on a busy machine. A session already in a transaction is left as
    it is; afterwards the connection goes back to the pool and the session is as new.
    """
    if session.in_transaction() or session.bind.dialect.name != "postgresql":
        yield
        return
    await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        yield
    finally:
        await session.rollback()  # no round trip in autocommit; releases the connection


async def _resolve(session: AsyncSession, parsed: Selector, enterprise_view: bool, offset: int,
                   limit: int, as_of: dt.date | None) -> Resolution:
    names = await resolve_names(session, parsed, words=False)
    compiled = compile_selector(parsed.expr, names, enterprise_view=enterprise_view)
    day = as_of or dt.date.today()
    duty_values, bare = word_values(parsed)
    probes = {"alias_words": duty_values | {n.text for n in bare}, "codes": {n.text for n in bare}}
    # Usually one round trip: the first page of posts with the counts riding along.
    post_items: list[dict[str, Any]] = []
    counts: Counts | None = None
    if compiled.posts is not None and limit:
        post_items, counts = await _post_page(session, compiled.posts, offset, limit, day,
                                              count_columns(compiled, day, **probes))
    if counts is None:  # no page row to carry them: nothing on this page, or no posts
        counts = await count(session, compiled, day, **probes)
    if counts.alias_words or counts.post_codes < len(probes["codes"]):
        # Rare: an alias to expand, or a bare word that may have meant a duty (may raise).
        await resolve_words(session, parsed, names)
        if names.aliases:
            compiled = compile_selector(parsed.expr, names, enterprise_view=enterprise_view)
            counts = await count(session, compiled, day)
            post_items = []
            if compiled.posts is not None and limit and offset < counts.posts:
                post_items, _ = await _post_page(session, compiled.posts, offset, limit, day)
    post_count, enterprise_count, holder_count = counts.posts, counts.enterprises, counts.holders

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
    message = _message(post_count, enterprise_count, holder_count, as_of)
    aliases = {alias: list(tags) for alias, tags in names.aliases.items()}
    if aliases:
        message += "; " + "、".join(f"{alias} 按 {'、'.join(tags)} 计" for alias, tags in aliases.items())
    suggestions: list[str] = []
    if empty:
        unknown = await unknown_duties(session, parsed, names)
        if unknown:
            message += "; " + "; ".join(u.describe() for u in unknown)
        suggestions = [s for u in unknown for s in u.nearest]
    return Resolution(
        selector=str(parsed),
        post_count=post_count,
        enterprise_count=enterprise_count,
        holder_count=holder_count,
        empty=empty,
        message=message,
        items=post_items + enterprise_items,
        offset=offset,
        limit=limit,
        as_of=as_of,
        aliases=aliases,
        suggestions=list(dict.fromkeys(suggestions)),
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
                     .where(holdings.c.post_id.in_(ids_of(compiled.posts)), current_on(day)))
    if compiled.enterprises is not None:
        parts.append(select(members.c.person_id.label("id"))
                     .where(members.c.enterprise_id.in_(ids_of(compiled.enterprises))))
    if not parts:
        return set()
    stmt = parts[0].union(parts[1]) if len(parts) == 2 else parts[0].distinct()
    return set((await session.execute(stmt)).scalars().all())


_TAG_SEPARATOR = "\x1f"  # never inside a tag: tags are one line of text


async def _post_page(session: AsyncSession, selected: IdSelect, offset: int, limit: int,
                     day: dt.date, extra: list[ColumnElement] | None = None,
                     ) -> tuple[list[dict[str, Any]], Counts | None]:
    """One page of posts with their duties and current holders; with ``extra`` count columns
    also the counts they carry (None when the page has no row)."""
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
    if extra:
        stmt = stmt.add_columns(*extra)
    rows = (await session.execute(stmt)).all()
    items: dict[int, dict[str, Any]] = {}
    for r in rows:
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
    return list(items.values()), (counts_of(rows[0]) if extra and rows else None)


async def _enterprise_page(session: AsyncSession, compiled: Compiled, offset: int,
                           limit: int) -> list[dict[str, Any]]:
    assert compiled.enterprises is not None
    stmt = (select(enterprises.c.id, enterprises.c.credit_code, enterprises.c.name)
            .where(enterprises.c.id.in_(ids_of(compiled.enterprises)))
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
