"""SQL for replaying a person's event stream: pages of (position, type, payload) after a cursor.

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

_PAGE_POSTGRES = text("""
SELECT w.req, x.id, x.type, x.payload
FROM unnest(CAST(:reqs AS INTEGER[]), CAST(:people AS INTEGER[]), CAST(:afters AS BIGINT[]),
            CAST(:uptos AS BIGINT[])) AS w(req, person_id, after, upto)
CROSS JOIN LATERAL (
    SELECT e.id, e.type, e.payload FROM inbox i JOIN events e ON e.id = i.event_id
    WHERE i.person_id = w.person_id AND i.event_id > w.after AND i.event_id <= w.upto
    ORDER BY i.event_id LIMIT :page) AS x
ORDER BY w.req, x.id""")


def _page_sqlite(count: int):
    values = ", ".join(f"(:r{i}, :p{i}, :a{i}, :u{i})" for i in range(count))
    return text(f"""
WITH wanted(req, person_id, after, upto) AS (VALUES {values})
SELECT req, id, type, payload FROM (
    SELECT w.req, e.id, e.type, e.payload,
           row_number() OVER (PARTITION BY w.req ORDER BY i.event_id) AS n
    FROM wanted w
    JOIN inbox i ON i.person_id = w.person_id AND i.event_id > w.after AND i.event_id <= w.upto
    JOIN events e ON e.id = i.event_id)
WHERE n <= :page ORDER BY req, id""")


async def first_pages(conn: AsyncConnection, wanted: list[Resume],
                      page: int) -> tuple[int, dict[Resume, list[Row]]]:
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
    pages: dict[Resume, list[Row]] = {w: [] for w in wanted}
    for req, position, kind, payload in result:
        pages[wanted[req]].append((position, kind, payload))
    return await pruned_below(conn), pages


async def next_page(conn: AsyncConnection, person_id: int, after: int, upto: int, page: int) -> list[Row]:
    rows = await conn.execute(
        select(m.Event.id, m.Event.type, m.Event.payload)
        .join(m.Inbox, m.Inbox.event_id == m.Event.id)
        .where(m.Inbox.person_id == person_id, m.Inbox.event_id > after, m.Inbox.event_id <= upto)
        .order_by(m.Inbox.event_id).limit(page))
    return [tuple(row) for row in rows]  # type: ignore[misc]


async def pruned_below(conn: AsyncConnection) -> int:
    """The retention floor: every position at or below it has been deleted."""
    value = await conn.scalar(select(m.StreamState.position).where(m.StreamState.name == "pruned"))
    return value or 0
