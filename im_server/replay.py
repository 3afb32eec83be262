"""Resume a client from its cursor: exactly the events it missed, then live.

The connection is registered (live events queue in ``pending``) *before* the dispatcher's
horizon is read, so every position above the horizon arrives live and every position at or
below it is read here; the connection drops duplicates by position. A cursor older than what
is retained — or newer than anything committed — gets an explicit ``sync.resync`` event.

The first page of every client resuming at about the same time is read in one statement
(:attr:`Messaging.replay_pages`); only a client with more than a page missed reads on alone.
Every page goes through :mod:`im_server.replay_rules` first: what the person may read *now*,
each message as it is now. An event left out still moves the position on.
"""
from __future__ import annotations

import json

from im_server.delivery.connection import Connection, text_frame
from im_server.protocol import encode_event
from im_server.replay_rules import apply as apply_replay_rules
from im_server.runtime import REPLAY_PAGE, Messaging
from im_server.stores.inbox import Resume, next_page


async def replay(rt: Messaging, connection: Connection, cursor: int | None) -> None:
    horizon = rt.dispatcher.horizon
    if cursor is None:  # a new device: nothing to catch up, live from here
        rt.metrics.replayed("live", _go_live(connection, horizon, "live"))
        return
    found = await rt.replay_pages.load(Resume(connection.person_id, cursor, horizon))
    assert found is not None  # every request gets its page, empty or not
    pruned, page = found
    if cursor < pruned or cursor > horizon:
        rt.metrics.replayed("resync", _go_live(connection, horizon, "resync", requested=cursor, oldest=pruned))
        return
    connection.last_position = cursor
    while True:
        # a page goes out in one write: in a reconnect storm that is one system call per
        # client instead of one per missed event
        frames = [text_frame(encode_event(position, kind, payload).encode()) for position, kind, payload in page.rows]
        rt.metrics.replay_page(kind for _position, kind, _payload in page.rows)
        if page.last is not None:  # past what was left out too: it is not owed later
            connection.last_position = page.last
        if not page.full:
            rt.metrics.replayed("caught_up", _go_live(connection, max(connection.last_position, horizon),
                                                       "caught_up", frames))
            return
        if frames:
            connection.send(b"".join(frames))
        if connection.closed:
            return
        await connection.drained()  # let the socket take it before reading more
        async with rt.engine.connect() as conn:
            stored = await next_page(conn, connection.person_id, connection.last_position, horizon,
                                     REPLAY_PAGE)
            [page] = await apply_replay_rules(conn, [(connection.person_id, stored)], REPLAY_PAGE)


def _go_live(connection: Connection, position: int, state: str, before: list[bytes] | None = None,
             **extra) -> int:
    """Send the ``sync.<state>`` event (after ``before``, in the same write), then go live;
    returns how many live events that arrived meanwhile were released."""
    connection.last_position = position
    # position 0: a control event that is not part of the stream (clients don't store it as cursor)
    sync = encode_event(0, "sync." + state, json.dumps({"state": state, "cursor": position, **extra}))
    connection.send(b"".join([*(before or ()), text_frame(sync.encode())]))
    return connection.live()
