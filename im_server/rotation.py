"""A post changes hands: its pending notices and its conversations follow, and both sides hear it.

One committer job does everything a rotation means, in one transaction:

- pending notices that came through the post move to its holders today (:mod:`im_server.handover`):
  ``notice.new`` (``handed_over``) to the successor, ``notice.transferred`` to the predecessor;
- for every conversation the post is a member of, the successor gets ``conversation.new`` and
  the predecessor — unless still a member some other way — ``conversation.removed``, so that
  clients refresh their lists without polling. Who was told is remembered per post
  (:mod:`im_server.stores.announced`), so each change is announced once.

It runs right after a holding changes through the server (``AdminService`` calls
:meth:`Messaging.follow_holdings` once the change is committed, before answering), for the posts
concerned; and every minute over all posts (:func:`sweep`), which is what catches holdings that
start or end *by date* and changes made outside the server (a command-line import).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server.delivery.committer import Job, JobResult, Outgoing
from im_server.handlers.conversations import conversation_json
from im_server.handover import hand_over
from im_server.stores import announced
from im_server.stores import conversations as conversation_store
from im_server.stores.membership import readable
from orgchart import models as om


@dataclass
class Rotation:
    """What one run did: notice rows moved, and the conversations announced to each side."""

    notices_moved: int = 0
    joined: dict[int, set[int]] = field(default_factory=dict)  # conversation -> successors
    left: dict[int, set[int]] = field(default_factory=dict)    # conversation -> predecessors


def rotation_job(posts: set[int] | None, today: dt.date) -> Job:
    """The job for ``posts`` (every post when None) as of ``today``; its value is a :class:`Rotation`."""

    async def job(conn: AsyncConnection) -> JobResult:
        moved, events = await hand_over(conn, today, posts)
        rotation = Rotation(moved)
        gained, lost = await announced.differences(conn, posts, today)
        if gained or lost:
            events += await _announce(conn, rotation, gained, lost, today)
            await announced.record(conn, gained, lost)
        return JobResult(rotation, events)

    return job


async def _announce(conn: AsyncConnection, rotation: Rotation, gained: set[announced.Pair],
                    lost: set[announced.Pair], today: dt.date) -> list[Outgoing]:
    by_post: dict[int, tuple[set[int], set[int]]] = defaultdict(lambda: (set(), set()))
    for post, person in gained:
        by_post[post][0].add(person)
    for post, person in lost:
        by_post[post][1].add(person)
    joined: dict[int, set[int]] = defaultdict(set)
    leaving: dict[int, set[int]] = defaultdict(set)
    via: dict[int, int] = {}  # conversation -> a post of the rotation it has as a member
    for conversation, post in await announced.conversations_of_posts(conn, set(by_post)):
        joined[conversation] |= by_post[post][0]
        leaving[conversation] |= by_post[post][1]
        via.setdefault(conversation, post)
    # a predecessor who is still a member some other way (another post, in person) stays
    still = await readable(conn, {p for people in leaving.values() for p in people}, set(leaving), today)
    left = {conversation: {p for p in people if (p, conversation) not in still}
            for conversation, people in leaving.items()}
    posts = {row.id: {"code": row.code, "title": row.title} for row in (await conn.execute(
        select(om.Post.id, om.Post.code, om.Post.title).where(om.Post.id.in_(set(via.values()))))).all()}
    events: list[Outgoing] = []
    for conversation_id in sorted(via):
        if not (joined[conversation_id] or left[conversation_id]):
            continue
        row = await conversation_store.get(conn, conversation_id)
        conversation = conversation_json(row)
        post = posts[via[conversation_id]]
        if joined[conversation_id]:
            events.append(Outgoing("conversation.new", {
                "conversation": conversation,
                "members": await conversation_store.describe_members(conn, conversation_id),
                "post": post}, joined[conversation_id]))
            rotation.joined[conversation_id] = joined[conversation_id]
        if left[conversation_id]:
            events.append(Outgoing("conversation.removed", {"conversation": conversation, "post": post},
                                   left[conversation_id]))
            rotation.left[conversation_id] = left[conversation_id]
    return events
