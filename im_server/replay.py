"""Resume a client from its cursor: exactly the events it missed, then live.

The connection is registered (live events queue in ``pending``) *before* the dispatcher's
horizon is read, so every position above the horizon arrives live and every position at or
below it is read here; the connection drops duplicates by position. A cursor older than what
is retained — or newer than anything committed — gets an explicit ``sync.resync`` event.
"""
from __future__ import annotations

import json

from sqlalchemy import select

from im_server import models as m
from im_server.delivery.connection import Connection
from im_server.protocol import encode_event
from im_server.runtime import Messaging

PAGE = 500


async def replay(rt: Messaging, connection: Connection, cursor: int | None) -> None:
    horizon = rt.dispatcher.horizon
    if cursor is None:  # a new device: nothing to catch up, live from here
        connection.last_position = horizon
        connection.send(_sync_event(horizon, "live"))
        connection.live()
        return
    pruned = await _pruned_below(rt)
    if cursor < pruned or cursor > horizon:
        connection.last_position = horizon
        connection.send(_sync_event(horizon, "resync", requested=cursor, oldest=pruned))
        connection.live()
        return
    connection.last_position = cursor
    while True:
        async with rt.engine.connect() as conn:
            rows = (await conn.execute(
                select(m.Event.id, m.Event.type, m.Event.payload)
                .join(m.Inbox, m.Inbox.event_id == m.Event.id)
                .where(m.Inbox.person_id == connection.person_id, m.Inbox.event_id > connection.last_position,
                       m.Inbox.event_id <= horizon)
                .order_by(m.Inbox.event_id).limit(PAGE))).all()
        for position, kind, payload in rows:
            connection.last_position = position
            connection.send(encode_event(position, kind, payload))
        if connection.closed:
            return
        await connection.drained()  # let the socket take it before reading more
        if len(rows) < PAGE:
            break
    connection.last_position = max(connection.last_position, horizon)
    connection.send(_sync_event(connection.last_position, "caught_up"))
    connection.live()


def _sync_event(position: int, state: str, **extra) -> str:
    data = {"state": state, "cursor": position, **extra}
    # position 0: a control event that is not part of the stream (clients don't store it as cursor)
    return encode_event(0, "sync." + state, json.dumps(data))


async def _pruned_below(rt: Messaging) -> int:
    async with rt.engine.connect() as conn:
        value = await conn.scalar(select(m.StreamState.position).where(m.StreamState.name == "pruned"))
    return value or 0
