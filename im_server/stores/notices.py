"""SQL for notices and DING reminders: recipients from a compiled selector, the notices inbox,
read and confirm, the roll-up by org unit, the pending list, and claiming due reminders.

Recipients are written once per notice, one row per person, with the post (or enterprise)
that reached them and the unit path used by the roll-up; every later question ("who is
pending under this county?") is a range or prefix query over that table and never re-resolves
the selector.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    and_,
    case,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server import models as m
from im_server.stores.membership import people_of
from orgchart import models as om
from orgchart.codes import path_upper_bound
from orgchart.selectors.compiler import Compiled
from orgchart.service.present import iso
from orgchart.store.holdings import current_on

notices = cast(Table, m.Notice.__table__)
recipients = cast(Table, m.NoticeRecipient.__table__)
reminders = cast(Table, m.Reminder.__table__)
read_states = cast(Table, m.ReadState.__table__)
messages = cast(Table, m.Message.__table__)
holdings = cast(Table, om.Holding.__table__)
posts = cast(Table, om.Post.__table__)
people = cast(Table, om.Person.__table__)
units = cast(Table, om.OrgUnit.__table__)
enterprises = cast(Table, om.Enterprise.__table__)
enterprise_members = cast(Table, om.EnterpriseMember.__table__)
outbox = cast(Table, m.OutboxEntry.__table__)
sender_people = people.alias("sender")

#: Roll-up levels: the significant digits of the division code at each level below the province.
ROLLUP_LEVELS: tuple[tuple[int, str], ...] = ((4, "city"), (6, "county"), (9, "township"),
                                               (12, "village"))


def pending(require_confirm: bool) -> ColumnElement[bool]:
    """Who still owes the sender something: a confirmation if asked for, else opening it."""
    return recipients.c.confirmed_at.is_(None) if require_confirm else recipients.c.read_at.is_(None)


# --- sending ---------------------------------------------------------------------------------

async def select_recipients(conn: AsyncConnection, compiled: Compiled, today: dt.date,
                            exclude: int) -> list[dict[str, Any]]:
    """One row per person reached: holders of the selected posts now and members of the
    selected enterprises. A person reached several ways keeps the first by unit path."""
    found: dict[int, dict[str, Any]] = {}
    if compiled.posts is not None:
        sel = compiled.posts.subquery("sel")
        rows = await conn.execute(
            select(holdings.c.person_id, sel.c.id, sel.c.path)
            .select_from(sel.join(holdings, holdings.c.post_id == sel.c.id))
            .where(current_on(today)).order_by(sel.c.path, sel.c.id))
        for person_id, post_id, path in rows:
            found.setdefault(person_id, {"person_id": person_id, "via_post_id": post_id,
                                         "enterprise_id": None, "unit_path": path})
    if compiled.enterprises is not None:
        sel = compiled.enterprises.subquery("sel_e")
        rows = await conn.execute(
            select(enterprise_members.c.person_id, enterprises.c.id, enterprises.c.region_path)
            .select_from(enterprise_members.join(
                enterprises, enterprises.c.id == enterprise_members.c.enterprise_id))
            .where(enterprises.c.id.in_(select(sel.c.id)))
            .order_by(enterprises.c.region_path, enterprises.c.id))
        for person_id, enterprise_id, path in rows:
            found.setdefault(person_id, {"person_id": person_id, "via_post_id": None,
                                         "enterprise_id": enterprise_id, "unit_path": path})
    found.pop(exclude, None)  # the sender does not notify themself
    return list(found.values())


async def insert_notice(conn: AsyncConnection, **values: Any) -> int:
    return (await conn.execute(insert(notices).values(**values).returning(notices.c.id))).scalar_one()


async def insert_recipients(conn: AsyncConnection, notice_id: int, rows: list[dict[str, Any]]) -> None:
    if conn.dialect.name == "postgresql":
        # One statement with arrays: executemany sends a protocol message per row, and a
        # notice to 10,000 people is acknowledged only after this (382 -> ~150 ms measured).
        columns = {key: [row.get(key) for row in rows]
                   for key in ("person_id", "via_post_id", "enterprise_id", "unit_path")}
        await conn.execute(text(
            "INSERT INTO notice_recipients (notice_id, person_id, via_post_id, enterprise_id, unit_path) "
            "SELECT :notice, p, v, e, u FROM unnest(CAST(:people AS INTEGER[]), CAST(:posts AS INTEGER[]), "
            "CAST(:enterprises AS INTEGER[]), CAST(:paths AS VARCHAR[])) AS r(p, v, e, u)"),
            {"notice": notice_id, "people": columns["person_id"], "posts": columns["via_post_id"],
             "enterprises": columns["enterprise_id"], "paths": columns["unit_path"]})
        return
    # SQLite: executemany stays in-process and is fast.
    await conn.execute(insert(recipients), [
        {"notice_id": notice_id, "read_at": None, "confirmed_at": None, "feedback": None, **row}
        for row in rows])


def _notice_select():
    return (select(notices, sender_people.c.name.label("sender_name"),
                   posts.c.code.label("post_code"), posts.c.title.label("post_title"))
            .join(sender_people, sender_people.c.id == notices.c.sender_id)
            .join(posts, posts.c.id == notices.c.sender_post_id))


def notice_json(row: Any, *, body: bool = True) -> dict[str, Any]:
    r = row._mapping
    item = {
        "id": r["id"], "title": r["title"],
        "sender": {"id": r["sender_id"], "name": r["sender_name"]},
        "sender_post": {"code": r["post_code"], "title": r["post_title"]},
        "require_confirm": bool(r["require_confirm"]), "urgent": bool(r["urgent"]),
        "created_at": iso(r["created_at"]),
    }
    if body:
        item["body"] = r["body"]
    return item


async def get_notice(conn: AsyncConnection, notice_id: int) -> Row | None:
    return (await conn.execute(_notice_select().where(notices.c.id == notice_id))).first()


async def by_client_id(conn: AsyncConnection, sender_id: int, client_msg_id: str) -> Row | None:
    return (await conn.execute(_notice_select().where(
        notices.c.sender_id == sender_id, notices.c.client_msg_id == client_msg_id))).first()


async def recipient_count(conn: AsyncConnection, notice_id: int) -> int:
    return (await conn.execute(select(func.count()).where(
        recipients.c.notice_id == notice_id))).scalar_one()


# --- the recipient's side --------------------------------------------------------------------

def _state_json(r: Any) -> dict[str, Any]:
    return {"read_at": iso(r.read_at), "confirmed_at": iso(r.confirmed_at), "feedback": r.feedback}


async def inbox(conn: AsyncConnection, person_id: int, before: int | None,
                limit: int) -> list[dict[str, Any]]:
    """The person's notices, newest first, each with its read / confirmed state."""
    stmt = (_notice_select().add_columns(recipients.c.read_at.label("read_at"),
                                         recipients.c.confirmed_at, recipients.c.feedback)
            .join(recipients, recipients.c.notice_id == notices.c.id)
            .where(recipients.c.person_id == person_id))
    if before is not None:
        stmt = stmt.where(notices.c.id < before)
    rows = (await conn.execute(stmt.order_by(notices.c.id.desc()).limit(limit))).all()
    items = []
    for r in rows:
        item = notice_json(r, body=False)
        item["excerpt"] = r.body[:100]
        items.append(item | _state_json(r))
    return items


async def unread_count(conn: AsyncConnection, person_id: int) -> int:
    return (await conn.execute(select(func.count()).where(
        recipients.c.person_id == person_id, recipients.c.read_at.is_(None)))).scalar_one()


async def get_recipient(conn: AsyncConnection, notice_id: int, person_id: int) -> Row | None:
    return (await conn.execute(select(recipients).where(
        recipients.c.notice_id == notice_id, recipients.c.person_id == person_id))).first()


async def recipient_pairs(conn: AsyncConnection, people: set[int], notice_ids: set[int]) -> set[tuple[int, int]]:
    """``(person, notice)`` for each of ``people`` who is a recipient of each notice now."""
    if not people or not notice_ids:
        return set()
    rows = await conn.execute(select(recipients.c.person_id, recipients.c.notice_id).where(
        recipients.c.person_id.in_(people), recipients.c.notice_id.in_(notice_ids)))
    return {(person, notice) for person, notice in rows.all()}


async def sending_post_holders(conn: AsyncConnection, people: set[int], notice_ids: set[int],
                               today: dt.date) -> set[tuple[int, int]]:
    """``(person, notice)`` for each of ``people`` who holds the post each notice was sent as, now."""
    if not people or not notice_ids:
        return set()
    rows = await conn.execute(
        select(holdings.c.person_id, notices.c.id)
        .join(holdings, holdings.c.post_id == notices.c.sender_post_id)
        .where(notices.c.id.in_(notice_ids), holdings.c.person_id.in_(people), current_on(today)))
    return {(person, notice) for person, notice in rows.all()}


def recipient_state(row: Row) -> dict[str, Any]:
    return _state_json(row)


async def mark_read(conn: AsyncConnection, notice_id: int, person_id: int, now: dt.datetime) -> bool:
    """Set ``read_at`` the first time only; True when this call set it."""
    result = await conn.execute(update(recipients).where(
        recipients.c.notice_id == notice_id, recipients.c.person_id == person_id,
        recipients.c.read_at.is_(None)).values(read_at=now))
    return result.rowcount == 1


async def mark_confirmed(conn: AsyncConnection, notice_id: int, person_id: int, now: dt.datetime,
                         feedback: str | None) -> bool:
    """Confirm once (reading it too, if not yet read); True when this call confirmed it."""
    result = await conn.execute(update(recipients).where(
        recipients.c.notice_id == notice_id, recipients.c.person_id == person_id,
        recipients.c.confirmed_at.is_(None)).values(
            confirmed_at=now, feedback=feedback,
            read_at=func.coalesce(recipients.c.read_at, now)))
    return result.rowcount == 1


# --- the sender's side: totals, roll-up, pending ---------------------------------------------

async def totals(conn: AsyncConnection, notice_id: int, require_confirm: bool, *,
                 under: str | None = None) -> dict[str, int]:
    row = (await conn.execute(select(
        func.count(), func.count(recipients.c.read_at), func.count(recipients.c.confirmed_at),
        func.coalesce(func.sum(case((pending(require_confirm), 1), else_=0)), 0))
        .where(recipients.c.notice_id == notice_id, *_in_subtree(under)))).one()
    return {"recipients": row[0], "read": row[1], "confirmed": row[2], "pending": row[3]}


def rollup_lengths(under: str | None, depth: int) -> list[int]:
    """The unit-path lengths a roll-up shows: ``under``'s own, then ``depth`` levels below."""
    base = len(under) if under else 2
    return [length for length, _ in ROLLUP_LEVELS if length == base] + \
        [length for length, _ in ROLLUP_LEVELS if length > base][:depth]


def _in_subtree(under: str | None) -> list[ColumnElement[bool]]:
    if not under:
        return []
    return [recipients.c.unit_path >= under, recipients.c.unit_path < path_upper_bound(under)]


async def rollup(conn: AsyncConnection, notice_id: int, require_confirm: bool, *,
                 under: str | None = None, depth: int = len(ROLLUP_LEVELS)) -> list[dict[str, Any]]:
    """Counts per unit at each level (city, county, township, village), ordered by path.

    Without ``under``, the ``depth`` levels below the province (1: the cities); with it, the
    unit ``under`` itself and the ``depth`` levels below it (the levels above would only repeat
    its own counts). One statement: per level, group the recipients by the first N digits of
    their unit path (the roll-up index covers ``notice_id, unit_path``), then name the groups
    from org_units.
    """
    parts = []
    for length in rollup_lengths(under, depth):
        # The lengths are our constants, written as literals so that SELECT and GROUP BY carry
        # the very same expression (PostgreSQL refuses two differently bound substr calls).
        size: ColumnElement[int] = literal_column(str(length))
        prefix = func.substr(recipients.c.unit_path, 1, size)
        parts.append(
            select(prefix.label("path"), func.count().label("recipients"),
                   func.count(recipients.c.read_at).label("read"),
                   func.count(recipients.c.confirmed_at).label("confirmed"),
                   func.sum(case((pending(require_confirm), 1), else_=0)).label("pending"))
            .where(recipients.c.notice_id == notice_id, func.length(recipients.c.unit_path) >= size,
                   *_in_subtree(under))
            .group_by(prefix))
    if not parts:
        return []
    grouped = union_all(*parts).subquery("grouped")
    rows = await conn.execute(
        select(grouped, units.c.code, units.c.name)
        .select_from(grouped.outerjoin(units, units.c.path == grouped.c.path))
        .order_by(grouped.c.path))
    level_of = dict(ROLLUP_LEVELS)
    parent_lengths = {length: prev for prev, length in zip((None, 4, 6, 9), (4, 6, 9, 12))}
    out = []
    for r in rows:
        parent_length = parent_lengths[len(r.path)]
        out.append({"path": r.path, "code": r.code, "name": r.name, "level": level_of[len(r.path)],
                    "parent": r.path[:parent_length] if parent_length else None,
                    "recipients": r.recipients, "read": r.read, "confirmed": r.confirmed,
                    "pending": r.pending})
    return out


def _pending_select(notice_id: int, require_confirm: bool, under: str | None):
    return (select(recipients.c.person_id, people.c.name, people.c.mobile,
                   posts.c.code.label("post_code"), posts.c.title.label("post_title"),
                   enterprises.c.credit_code, enterprises.c.name.label("enterprise_name"),
                   recipients.c.unit_path, units.c.code.label("unit_code"),
                   units.c.name.label("unit_name"), recipients.c.read_at)
            .select_from(recipients.join(people, people.c.id == recipients.c.person_id)
                         .outerjoin(posts, posts.c.id == recipients.c.via_post_id)
                         .outerjoin(enterprises, enterprises.c.id == recipients.c.enterprise_id)
                         .outerjoin(units, units.c.path == recipients.c.unit_path))
            .where(recipients.c.notice_id == notice_id, pending(require_confirm),
                   *_in_subtree(under))
            # NULL paths last on both backends (they sort differently by default)
            .order_by(recipients.c.unit_path.is_(None), recipients.c.unit_path,
                      recipients.c.person_id))


def pending_json(r: Any) -> dict[str, Any]:
    return {
        "person": {"id": r.person_id, "name": r.name, "mobile": r.mobile},
        "post": {"code": r.post_code, "title": r.post_title} if r.post_code else None,
        "enterprise": ({"credit_code": r.credit_code, "name": r.enterprise_name}
                       if r.credit_code else None),
        "unit": {"path": r.unit_path, "code": r.unit_code, "name": r.unit_name} if r.unit_path else None,
        "read_at": iso(r.read_at),
    }


async def pending_page(conn: AsyncConnection, notice_id: int, require_confirm: bool, *,
                       under: str | None, offset: int, limit: int) -> list[dict[str, Any]]:
    rows = await conn.execute(_pending_select(notice_id, require_confirm, under)
                              .offset(offset).limit(limit))
    return [pending_json(r) for r in rows]


async def pending_stream(conn: AsyncConnection, notice_id: int, require_confirm: bool, *,
                         under: str | None = None, chunk: int = 2000) -> AsyncIterator[dict[str, Any]]:
    """Every pending recipient, read in chunks (for the CSV export of a large notice)."""
    result = await conn.stream(_pending_select(notice_id, require_confirm, under))
    async for partition in result.partitions(chunk):
        for r in partition:
            yield pending_json(r)


# --- DING reminders --------------------------------------------------------------------------

async def insert_reminder(conn: AsyncConnection, *, notice_id: int | None = None,
                          message_id: int | None = None, interval_seconds: int, max_attempts: int,
                          next_due_at: dt.datetime) -> int:
    return (await conn.execute(insert(reminders).values(
        notice_id=notice_id, message_id=message_id, interval_seconds=interval_seconds, attempt=0,
        max_attempts=max_attempts, next_due_at=next_due_at, done=False)
        .returning(reminders.c.id))).scalar_one()


async def reminder_for(conn: AsyncConnection, *, notice_id: int | None = None,
                       message_id: int | None = None) -> dict[str, Any] | None:
    column = reminders.c.notice_id if notice_id is not None else reminders.c.message_id
    row = (await conn.execute(select(reminders).where(
        column == (notice_id if notice_id is not None else message_id))
        .order_by(reminders.c.id))).first()
    if row is None:
        return None
    return {"id": row.id, "interval_seconds": row.interval_seconds, "attempt": row.attempt,
            "max_attempts": row.max_attempts, "next_due_at": iso(row.next_due_at), "done": row.done}


async def due_reminder_ids(conn: AsyncConnection, now: dt.datetime, limit: int) -> list[int]:
    return list((await conn.execute(
        select(reminders.c.id).where(reminders.c.done.is_(False), reminders.c.next_due_at <= now)
        .order_by(reminders.c.next_due_at, reminders.c.id).limit(limit))).scalars())


async def claim_reminder(conn: AsyncConnection, reminder_id: int, now: dt.datetime, *,
                         skip_locked: bool) -> Row | None:
    """Lock the reminder if it is still due. On PostgreSQL a row another node holds is skipped,
    not waited for; when that node commits, the reminder is no longer due. SQLite has one
    writer at a time, so a plain read inside the write transaction is already a claim."""
    stmt = select(reminders).where(reminders.c.id == reminder_id, reminders.c.done.is_(False),
                                   reminders.c.next_due_at <= now)
    if skip_locked:
        stmt = stmt.with_for_update(skip_locked=True)
    return (await conn.execute(stmt)).first()


async def advance_reminder(conn: AsyncConnection, reminder_id: int, *, attempt: int,
                           next_due_at: dt.datetime | None) -> None:
    """Record an attempt; no next due time means the reminder is finished."""
    values: dict[str, Any] = {"attempt": attempt, "done": next_due_at is None}
    if next_due_at is not None:
        values["next_due_at"] = next_due_at
    await conn.execute(update(reminders).where(reminders.c.id == reminder_id).values(**values))


async def pending_notice_contacts(conn: AsyncConnection, notice_id: int,
                                  require_confirm: bool) -> list[tuple[int, str | None]]:
    rows = await conn.execute(
        select(recipients.c.person_id, people.c.mobile)
        .join(people, people.c.id == recipients.c.person_id)
        .where(recipients.c.notice_id == notice_id, pending(require_confirm))
        .order_by(recipients.c.person_id))
    return [(r.person_id, r.mobile) for r in rows]


async def pending_message_contacts(conn: AsyncConnection, message: Row,
                                   today: dt.date) -> list[tuple[int, str | None]]:
    """Members of the message's conversation now (not its sender) who have not read up to it."""
    members = people_of(message.conversation_id, today).subquery("members")
    rows = await conn.execute(
        select(people.c.id, people.c.mobile)
        .select_from(members.join(people, people.c.id == members.c.person_id)
                     .outerjoin(read_states, and_(
                         read_states.c.conversation_id == message.conversation_id,
                         read_states.c.person_id == members.c.person_id)))
        .where(people.c.id != message.sender_id,
               func.coalesce(read_states.c.last_read_seq, 0) < message.seq)
        .order_by(people.c.id))
    return [(r.id, r.mobile) for r in rows]


async def get_message(conn: AsyncConnection, message_id: int) -> Row | None:
    return (await conn.execute(
        select(messages.c.id, messages.c.conversation_id, messages.c.seq, messages.c.sender_id,
               messages.c.content_type, messages.c.search_text, messages.c.recalled_at,
               people.c.name.label("sender_name"))
        .join(people, people.c.id == messages.c.sender_id)
        .where(messages.c.id == message_id))).first()


# --- the notifier outbox ---------------------------------------------------------------------

async def record_outbox(conn: AsyncConnection, entries: list[dict[str, Any]]) -> None:
    if entries:
        await conn.execute(insert(outbox), entries)


async def list_outbox(conn: AsyncConnection, *, notice_id: int | None, message_id: int | None,
                      offset: int, limit: int, mobile: str | None = None) -> list[dict[str, Any]]:
    stmt = (select(outbox, people.c.name).join(people, people.c.id == outbox.c.person_id)
            .order_by(outbox.c.id).offset(offset).limit(limit))
    if mobile is not None:
        stmt = stmt.where(outbox.c.mobile == mobile)
    if notice_id is not None:
        stmt = stmt.where(outbox.c.notice_id == notice_id)
    if message_id is not None:
        stmt = stmt.where(outbox.c.message_id == message_id)
    return [{"id": r.id, "channel": r.channel, "attempt": r.attempt,
             "person": {"id": r.person_id, "name": r.name}, "mobile": r.mobile, "text": r.text,
             "notice": r.notice_id, "message": r.message_id, "reminder": r.reminder_id,
             "created_at": iso(r.created_at)} for r in await conn.execute(stmt)]


async def sent_by(conn: AsyncConnection, person_id: int, post_ids: list[int], before: int | None,
                  limit: int) -> list[Row]:
    """Notices sent by the person or from one of ``post_ids``, newest first."""
    stmt = _notice_select().where(or_(notices.c.sender_id == person_id, notices.c.sender_post_id.in_(post_ids)))
    if before is not None:
        stmt = stmt.where(notices.c.id < before)
    return list((await conn.execute(stmt.order_by(notices.c.id.desc()).limit(limit))).all())
