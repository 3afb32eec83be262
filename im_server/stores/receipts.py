"""SQL for read receipts: how far each member has read, and who sent the messages just read.

Read state is one row per (conversation, person) holding ``last_read_seq`` (monotonic), so a
message with sequence number ``s`` is read by exactly the members whose ``last_read_seq >= s``.
Receipts are computed from those rows when asked, never stored per message: a read costs one
row update however large the group.
"""
from __future__ import annotations

import bisect
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server import models as m
from orgchart import models as om

read_states = m.ReadState.__table__
messages = m.Message.__table__


async def advance(conn: AsyncConnection, conversation_id: int, person_id: int,
                  seq: int) -> tuple[int, int]:
    """Move the person's read mark up to ``seq``; ``(previous, current)`` (equal: not moved)."""
    current = await conn.scalar(select(read_states.c.last_read_seq).where(
        read_states.c.conversation_id == conversation_id, read_states.c.person_id == person_id))
    if current is None:
        await conn.execute(insert(read_states).values(conversation_id=conversation_id,
                                                      person_id=person_id, last_read_seq=seq))
        return 0, seq
    if seq > current:
        await conn.execute(update(read_states).where(
            read_states.c.conversation_id == conversation_id,
            read_states.c.person_id == person_id).values(last_read_seq=seq))
        return current, seq
    return current, current


async def senders_between(conn: AsyncConnection, conversation_id: int, after_seq: int,
                          up_to_seq: int) -> set[int]:
    """Distinct senders of the messages with ``after_seq < seq <= up_to_seq`` (an index range)."""
    return set((await conn.execute(
        select(messages.c.sender_id).distinct().where(
            messages.c.conversation_id == conversation_id, messages.c.seq > after_seq,
            messages.c.seq <= up_to_seq))).scalars())


async def read_marks(conn: AsyncConnection, conversation_id: int) -> dict[int, int]:
    """person -> last_read_seq for everyone who has read anything in the conversation."""
    return dict((await conn.execute(select(read_states.c.person_id, read_states.c.last_read_seq).where(
        read_states.c.conversation_id == conversation_id))).all())


async def messages_of(conn: AsyncConnection, conversation_id: int, ids: list[int] | None,
                      sender_id: int, limit: int) -> list[Any]:
    """The sender's own messages (id, seq, sender_id): the given ids, else the latest ``limit``."""
    query = select(messages.c.id, messages.c.seq, messages.c.sender_id).where(
        messages.c.conversation_id == conversation_id, messages.c.sender_id == sender_id)
    if ids is not None:
        query = query.where(messages.c.id.in_(ids))
    return list((await conn.execute(query.order_by(messages.c.seq.desc()).limit(limit))).all())


async def names(conn: AsyncConnection, people: set[int]) -> dict[int, str]:
    if not people:
        return {}
    return dict((await conn.execute(select(om.Person.id, om.Person.name).where(
        om.Person.id.in_(people)))).all())


class Tally:
    """Read counts of one sender's messages among the current members other than the sender."""

    def __init__(self, members: set[int], sender_id: int, marks: dict[int, int]) -> None:
        self.others = members - {sender_id}
        self.read_seqs = sorted(marks.get(p, 0) for p in self.others)

    def unread(self, seq: int) -> int:
        return bisect.bisect_left(self.read_seqs, seq)

    def read(self, seq: int) -> int:
        return len(self.others) - self.unread(seq)
