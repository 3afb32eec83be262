"""Forget events older than the retention period; a cursor from before then gets "resync".

Deletes in chunks of positions, each its own short transaction, so the committer (the only
other writer on SQLite) waits milliseconds, not the whole purge. ``stream_state['pruned']`` is
the highest position deleted: a client whose cursor is below it cannot be replayed exactly.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from im_server import models as m
from orgchart.infra.db import WRITE_TRANSACTION

CHUNK = 10_000


async def prune_events(engine: AsyncEngine, older_than: dt.datetime) -> int:
    """Delete events created before ``older_than`` (and their inbox rows); returns the new floor."""
    async with engine.connect() as conn:
        threshold = await conn.scalar(select(func.max(m.Event.id)).where(m.Event.created_at < older_than))
        pruned = await conn.scalar(select(m.StreamState.position).where(m.StreamState.name == "pruned"))
        lowest = await conn.scalar(select(func.min(m.Event.id)))
    if threshold is None or (pruned is not None and threshold <= pruned):
        return pruned or 0
    start = lowest or threshold
    while start <= threshold:
        upto = min(threshold, start + CHUNK - 1)
        async with engine.connect() as conn:
            await conn.execution_options(**WRITE_TRANSACTION)
            async with conn.begin():
                await conn.execute(delete(m.Inbox).where(m.Inbox.event_id <= upto))
                await conn.execute(delete(m.Event).where(m.Event.id <= upto))
                changed = await conn.execute(update(m.StreamState).where(
                    m.StreamState.name == "pruned", m.StreamState.position < upto).values(position=upto))
                if changed.rowcount == 0 and await conn.scalar(
                        select(m.StreamState.position).where(m.StreamState.name == "pruned")) is None:
                    await conn.execute(insert(m.StreamState).values(name="pruned", position=upto))
        start = upto + 1
    return threshold
