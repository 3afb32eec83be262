"""What a replay may show: today's read rule and the current state, applied to stored events.

An event was addressed to its recipients when it was committed; a replay happens later, when
the post may have changed hands and the message may have been edited or recalled. So before a
page of stored events goes out:

- an event about a conversation reaches only people who are members of it *now* (the rule of
  ``conv.history``); a ``message.new``/``message.edited`` also reaches the current holders of a
  post the message mentions, as it did live;
- ``notice.new`` and a notice's ``ding`` reach only people who are recipients of it now (a
  pending notice that followed its post is no longer the predecessor's); ``notice.read`` and
  ``notice.confirmed`` only a recipient now or whoever holds the post it was sent as now (the
  rule of ``notice.status``);
- an event carrying a message edited or recalled since (``message.*``, a message's ``ding``,
  ``card.click``) carries it as it is now (a recalled one with ``content: null``), never an
  older state;
- removals (``conversation.removed``, ``notice.transferred``) always reach their recipients:
  they are what tells a former member that something went away.

Everything is decided for a whole batch of pages in a few statements (a reconnect storm replays
thousands of clients at once), never one query per event. An event left out still counts as
read: the connection's position moves past it, so the client's cursor does too.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncConnection

from im_server.stores import messages as message_store
from im_server.stores.inbox import Row, StoredEvent
from im_server.stores.membership import held_codes, readable
from im_server.stores.notices import recipient_pairs, sending_post_holders

#: Events that reach a mentioned post's holders who are not members (as they did live).
MENTION_EVENTS = frozenset({"message.new", "message.edited"})
NOTICE_CONTENT_EVENTS = frozenset({"notice.new", "ding"})
NOTICE_STATUS_EVENTS = frozenset({"notice.read", "notice.confirmed"})
REMOVALS = frozenset({"conversation.removed", "notice.transferred"})


class Page(NamedTuple):
    """One replay page after the rules: what to send, how far it read, and whether it was full."""

    rows: list[Row]
    #: The last position read (sent or left out); None for an empty page.
    last: int | None
    #: As many events were read as asked for: there may be more.
    full: bool


async def apply(conn: AsyncConnection, pages: list[tuple[int, list[StoredEvent]]], size: int,
                today: dt.date | None = None) -> list[Page]:
    """``pages`` are ``(person, stored events)``; returns one :class:`Page` for each, in order."""
    today = today or dt.date.today()
    about_conversation = {(person, e.conversation_id) for person, events in pages for e in events
                          if e.conversation_id is not None and e.type not in REMOVALS}
    about_notice = {(person, e.notice_id) for person, events in pages for e in events
                    if e.notice_id is not None and e.type in NOTICE_CONTENT_EVENTS | NOTICE_STATUS_EVENTS}
    about_status = {(person, e.notice_id) for person, events in pages for e in events
                    if e.notice_id is not None and e.type in NOTICE_STATUS_EVENTS}
    members = await readable(conn, {p for p, _ in about_conversation}, {c for _, c in about_conversation},
                             today)
    recipients = await recipient_pairs(conn, {p for p, _ in about_notice}, {n for _, n in about_notice})
    senders = await sending_post_holders(conn, {p for p, _ in about_status - recipients},
                                         {n for _, n in about_status - recipients}, today)
    # Outsiders to a conversation may still be owed a message that mentions a post they hold now.
    outsiders = {(person, e.message_id) for person, events in pages for e in events
                 if e.type in MENTION_EVENTS and e.message_id is not None
                 and (person, e.conversation_id) not in members}
    changed = {e.message_id for _, events in pages for e in events
               if e.changed and e.message_id is not None}
    messages = await message_store.current(conn, changed | {message for _, message in outsiders})
    mentioned = await _mentioning(conn, outsiders, messages, today)
    now = {message_id: message_store.message_json(messages[message_id])
           for message_id in changed if message_id in messages}

    def visible(person: int, e: StoredEvent) -> bool:
        if e.type in REMOVALS:
            return True
        if e.conversation_id is not None and (person, e.conversation_id) not in members \
                and (person, e.message_id) not in mentioned:
            return False
        if e.notice_id is None:
            return True
        if e.type in NOTICE_CONTENT_EVENTS:
            return (person, e.notice_id) in recipients
        if e.type in NOTICE_STATUS_EVENTS:
            return (person, e.notice_id) in recipients or (person, e.notice_id) in senders
        return True

    payloads: dict[int, str] = {}  # position -> payload: one rendering for all its recipients

    def payload(e: StoredEvent) -> str:
        if e.message_id not in now:
            return e.payload
        found = payloads.get(e.position)
        if found is None:
            found = payloads[e.position] = _current(e.payload, now[e.message_id])
        return found

    result = []
    for person, events in pages:
        rows = [(e.position, e.type, payload(e)) for e in events if visible(person, e)]
        result.append(Page(rows, events[-1].position if events else None, len(events) >= size))
    return result


def _current(payload: str, message: dict) -> str:
    """The payload with the message object it carries replaced by ``message`` (as it is now)."""
    data = json.loads(payload)
    if not isinstance(data.get("message"), dict):
        return payload
    data["message"] = message
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


async def _mentioning(conn: AsyncConnection, outsiders: set[tuple[int, int]], messages: dict,
                      today: dt.date) -> set[tuple[int, int]]:
    """Which ``(person, message)`` of ``outsiders`` hold, today, a post the message mentions."""
    if not outsiders:
        return set()
    held = await held_codes(conn, {person for person, _ in outsiders}, today)
    found = set()
    for person, message_id in outsiders:
        row = messages.get(message_id)
        if row is None:
            continue
        posts = {m["post"] for m in json.loads(row.body).get("mentions", []) if "post" in m}
        if any((person, code) in held for code in posts):
            found.add((person, message_id))
    return found
