"""Pending notices follow the post: when a holder rotates, the successor inherits them.

A notice that reached someone *through a post* is owed by whoever holds that post now. This
sweep finds pending recipient rows whose person no longer holds the post they came through
and, where the post has a holder today, moves the row to the holder(s): the successor finds it
in the inbox (``notice.new``) and in DING reminders; the predecessor no longer sees it
(``notice.transferred``). A vacant post keeps its rows until someone takes it up.

:func:`hand_over` runs inside the job of :mod:`im_server.rotation`: right after a holding changes
(the admin API, an import through it) for the posts concerned, and every minute over all posts
for holdings that end or start by date (or change outside the server, like a command-line
import). Each is one committer job, so concurrent runs on several nodes cannot move a row twice.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import and_, delete, exists, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server import models as m
from im_server.delivery.committer import Outgoing
from im_server.stores.notices import get_notice, notice_json
from orgchart import models as om
from orgchart.store.holdings import current_on

BATCH = 5000
recipients = m.NoticeRecipient.__table__
notices = m.Notice.__table__
holdings = om.Holding.__table__


def _still_owed():
    return or_(and_(notices.c.require_confirm, recipients.c.confirmed_at.is_(None)),
               and_(not_(notices.c.require_confirm), recipients.c.read_at.is_(None)))


async def hand_over(conn: AsyncConnection, today: dt.date,
                    posts: set[int] | None = None) -> tuple[int, list[Outgoing]]:
    """Move pending notices that came through ``posts`` (all posts when None) to the posts'
    holders today; returns the rows moved and the events to send."""
    if posts is not None and not posts:
        return 0, []
    query = (
        select(recipients.c.notice_id, recipients.c.person_id, recipients.c.via_post_id,
               recipients.c.unit_path)
        .join(notices, notices.c.id == recipients.c.notice_id)
        .where(recipients.c.via_post_id.is_not(None), _still_owed(),
               not_(exists(select(holdings.c.id).where(
                   holdings.c.post_id == recipients.c.via_post_id,
                   holdings.c.person_id == recipients.c.person_id, current_on(today)))))
        .limit(BATCH))
    if posts is not None:
        query = query.where(recipients.c.via_post_id.in_(posts))
    stale = (await conn.execute(query)).all()
    if not stale:
        return 0, []
    holders: dict[int, set[int]] = defaultdict(set)
    for post_id, person_id in (await conn.execute(
            select(holdings.c.post_id, holdings.c.person_id)
            .where(holdings.c.post_id.in_({row.via_post_id for row in stale}), current_on(today)))).all():
        holders[post_id].add(person_id)
    notice_ids = {row.notice_id for row in stale}
    already: dict[int, set[int]] = defaultdict(set)  # notice -> its recipients now
    for notice_id, person_id in (await conn.execute(
            select(recipients.c.notice_id, recipients.c.person_id)
            .where(recipients.c.notice_id.in_(notice_ids)))).all():
        already[notice_id].add(person_id)
    moved = 0
    gained: dict[int, set[int]] = defaultdict(set)
    lost: dict[int, set[int]] = defaultdict(set)
    for row in stale:
        successors = holders.get(row.via_post_id)
        if not successors:
            continue  # vacant: wait for someone to take the post up
        await conn.execute(delete(recipients).where(recipients.c.notice_id == row.notice_id,
                                                    recipients.c.person_id == row.person_id))
        lost[row.notice_id].add(row.person_id)
        for person in successors - already[row.notice_id]:
            await conn.execute(recipients.insert().values(
                notice_id=row.notice_id, person_id=person, via_post_id=row.via_post_id,
                unit_path=row.unit_path))
            already[row.notice_id].add(person)
            gained[row.notice_id].add(person)
        moved += 1
    events: list[Outgoing] = []
    for notice_id in notice_ids:
        if not (gained[notice_id] or lost[notice_id]):
            continue
        row = await get_notice(conn, notice_id)
        events.append(Outgoing("notice.new", {"notice": notice_json(row), "handed_over": True},
                               gained[notice_id]))
        events.append(Outgoing("notice.transferred", {"notice": notice_json(row, body=False)},
                               lost[notice_id]))
    return moved, events
