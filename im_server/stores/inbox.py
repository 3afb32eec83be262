"""SQL for replaying a person's event stream: pages of events after a cursor, with what each
is about (its conversation, message and notice, and whether the message changed since), so that
:mod:`im_server.replay_rules` can apply today's read rule and the current state to the page.

:func:`first_pages` answers many resuming clients in one statement (a reconnect storm is
thousands of them at once): on PostgreSQL a ``LATERAL`` page per client over arrays, on SQLite
a numbered window over a ``VALUES`` list. It also reads the retention floor (``pruned``),
*after* the rows: pruning only moves it up, and it deletes rows and moves it in one
transaction, so a cursor at or above the floor read afterwards had all its rows when they
were read.
"""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server import models as m


class Resume(NamedTuple):
    """One client's request: its person, its cursor, and the highest position it may be sent."""

    person_id: int
    after: int
    upto: int


Row = tuple[int, str, str]  # position, type, payload


class StoredEvent(NamedTuple):
    """An event as read for replay, before the read rule and the current state are applied."""

    position: int
    type: str
    payload: str
    conversation_id: int | None
    message_id: int | None
    notice_id: int | None
    #: The message it is about was edited or recalled (possibly after this event).
    changed: bool


#: The columns after the position, as both dialects' page statements select them.
_EVENT_COLUMNS = """e.type, e.payload, e.conversation_id, e.message_id, e.notice_id,
           (msg.edited_at IS NOT NULL OR msg.recalled_at IS NOT NULL) AS changed"""
_CHANGED = "LEFT JOIN messages msg ON msg.id = e.message_id"

_PAGE_POSTGRES = text(f"""
SELECT w.req, x.*
FROM unnest(CAST(:reqs AS INTEGER[]), CAST(:people AS INTEGER[]), CAST(:afters AS BIGINT[]),
            CAST(:uptos AS BIGINT[])) AS w(req, person_id, after, upto)
CROSS JOIN LATERAL (
    SELECT e.id, {_EVENT_COLUMNS}
    FROM inbox i JOIN events e ON e.id = i.event_id {_CHANGED}
    WHERE i.person_id = w.person_id AND i.event_id > w.after AND i.event_id <= w.upto
    ORDER BY i.event_id LIMIT :page) AS x
ORDER BY w.req, x.id""")


def _page_sqlite(count: int):
    values = ", ".join(f"(:r{i}, :p{i}, :a{i}, :u{i})" for i in range(count))
    return text(f"""
WITH wanted(req, person_id, after, upto) AS (VALUES {values})
SELECT req, id, type, payload, conversation_id, message_id, notice_id, changed FROM (
    SELECT w.req, e.id, {_EVENT_COLUMNS},
           row_number() OVER (PARTITION BY w.req ORDER BY i.event_id) AS n
    FROM wanted w
    JOIN inbox i ON i.person_id = w.person_id AND i.event_id > w.after AND i.event_id <= w.upto
    JOIN events e ON e.id = i.event_id {_CHANGED})
WHERE n <= :page ORDER BY req, id""")


async def first_pages(conn: AsyncConnection, wanted: list[Resume],
                      page: int) -> tuple[int, dict[Resume, list[StoredEvent]]]:
    """The retention floor and, for each request, its first ``page`` rows in position order."""
    if conn.dialect.name == "postgresql":
        result = await conn.execute(_PAGE_POSTGRES, {
            "reqs": list(range(len(wanted))), "people": [w.person_id for w in wanted],
            "afters": [w.after for w in wanted], "uptos": [w.upto for w in wanted], "page": page})
    else:
        params: dict[str, int] = {"page": page}
        for i, w in enumerate(wanted):
            params.update({f"r{i}": i, f"p{i}": w.person_id, f"a{i}": w.after, f"u{i}": w.upto})
        result = await conn.execute(_page_sqlite(len(wanted)), params)
    pages: dict[Resume, list[StoredEvent]] = {w: [] for w in wanted}
    for req, *row in result:
        pages[wanted[req]].append(_stored(row))
    return await pruned_below(conn), pages


def _stored(row) -> StoredEvent:
    position, kind, payload, conversation, message, notice, changed = row
    return StoredEvent(position, kind, payload, conversation, message, notice, bool(changed))


async def next_page(conn: AsyncConnection, person_id: int, after: int, upto: int,
                    page: int) -> list[StoredEvent]:
    rows = await conn.execute(text(f"""
SELECT e.id, {_EVENT_COLUMNS}
FROM inbox i JOIN events e ON e.id = i.event_id {_CHANGED}
WHERE i.person_id = :person AND i.event_id > :after AND i.event_id <= :upto
ORDER BY i.event_id LIMIT :page"""), {"person": person_id, "after": after, "upto": upto, "page": page})
    return [_stored(row) for row in rows]


async def pruned_below(conn: AsyncConnection) -> int:
    """The retention floor: every position at or below it has been deleted."""
    value = await conn.scalar(select(m.StreamState.position).where(m.StreamState.name == "pruned"))
    return value or 0
