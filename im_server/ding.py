"""DING: an urgent notice or message is pushed at once, then re-reminded until handled.

Sending an urgent notice or message adds a ``ding`` event for everyone who must act and a
``reminders`` row. :func:`run_due_reminders` (called by the scheduler every tick, or directly
with an explicit ``now`` by tests and tools) takes each due reminder, finds who is still
pending — a notice: not confirmed when confirmation was asked for, else not opened; a message:
not read up to it — and escalates by attempt: 1 in-app (a ``ding`` event), 2 SMS, 3 and later a
voice call, through the runtime's :class:`~im_server.notifier.Notifier`.

Exactly once, on any number of nodes: each reminder is handled by one committer job, so the
claim (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), the notifier's outbox rows, the in-app event
and the advance of ``attempt``/``next_due_at`` commit together or not at all. All the state is
in the database, so a restarted node simply picks up whatever is due.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from im_server.delivery.committer import Job, JobResult, Outgoing
from im_server.notifier import Notification, Notifier, channel_for
from im_server.protocol import ProtocolError
from im_server.stores import messages as message_store
from im_server.stores import notices as store
from orgchart.infra.config import Settings

if TYPE_CHECKING:
    from im_server.handlers import Context
    from im_server.runtime import Messaging

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3
#: Reminders handled per call; the next tick takes the rest.
BATCH_LIMIT = 500
_PLACEHOLDER = {"image": "[图片]", "file": "[文件]"}


def reminder_interval(settings: Settings, requested: int | None) -> int:
    """The re-remind interval: the minimum unless more is asked for; less is refused."""
    minimum = settings.ding_min_interval_seconds
    if requested is None:
        return minimum
    if requested < minimum:
        raise ProtocolError("interval_too_short",
                            f"DING 提醒间隔不能少于 {minimum} 秒 ({minimum / 60:g} 分钟)",
                            field="remind_interval_seconds", minimum=minimum)
    return requested


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite keeps datetimes as naive text: compare and store them as UTC everywhere.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def notice_ding_data(notice: dict[str, Any], attempt: int) -> dict[str, Any]:
    """A ``ding`` about a notice: the notice object without its body."""
    return {"kind": "notice", "notice": {k: v for k, v in notice.items() if k != "body"},
            "attempt": attempt}


def message_ding_data(message: dict[str, Any], attempt: int) -> dict[str, Any]:
    """A ``ding`` about a message: the message object."""
    return {"kind": "message", "message": message, "attempt": attempt}


async def schedule_notice_ding(conn: AsyncConnection, *, notice: dict[str, Any],
                               recipients: Iterable[int], interval: int, max_attempts: int,
                               now: dt.datetime) -> list[Outgoing]:
    """The immediate push of an urgent notice, and its reminder (everyone is pending now)."""
    await store.insert_reminder(conn, notice_id=notice["id"], interval_seconds=interval,
                                max_attempts=max_attempts,
                                next_due_at=_utc(now) + dt.timedelta(seconds=interval))
    return [Outgoing("ding", notice_ding_data(notice, 0), recipients)]


async def schedule_message_ding(conn: AsyncConnection, ctx: Context, message: dict[str, Any],
                                recipients: set[int]) -> list[Outgoing]:
    """The immediate push of an urgent message to ``recipients``, and its reminder."""
    if not recipients:
        return []
    interval = ctx.rt.settings.ding_min_interval_seconds
    await store.insert_reminder(conn, message_id=message["id"], interval_seconds=interval,
                                max_attempts=DEFAULT_MAX_ATTEMPTS,
                                next_due_at=_utc(dt.datetime.now(dt.UTC)) + dt.timedelta(seconds=interval))
    return [Outgoing("ding", message_ding_data(message, 0), recipients)]


# --- the re-reminders ------------------------------------------------------------------------

async def run_due_reminders(rt: Messaging, now: dt.datetime | None = None, *,
                            limit: int = BATCH_LIMIT) -> int:
    """Handle every reminder due at ``now`` (default: the current time); returns how many this
    call handled. Safe to run concurrently on several nodes: each is handled once."""
    now = _utc(now or dt.datetime.now(dt.UTC))
    async with rt.engine.connect() as conn:
        due = await store.due_reminder_ids(conn, now, limit)
    handled = 0
    for reminder_id in due:
        # One job each: a big notice's reminder must not hold up the others' commits, and a
        # failing one must not undo them.
        try:
            if await rt.committer.submit(_reminder_job(rt, reminder_id, now)):
                handled += 1
        except Exception:  # the next tick retries it
            log.exception("DING reminder %s failed", reminder_id)
    return handled


def _reminder_job(rt: Messaging, reminder_id: int, now: dt.datetime) -> Job:
    notifier: Notifier = rt.notifier

    async def job(conn: AsyncConnection) -> JobResult:
        reminder = await store.claim_reminder(conn, reminder_id, now,
                                              skip_locked=rt.committer.is_postgres)
        if reminder is None:  # another node has it, or it is no longer due
            return JobResult(False)
        target = await _target(conn, reminder, now.date())
        if target is None or not target[1]:  # gone, recalled, or nobody left to remind
            await store.advance_reminder(conn, reminder.id, attempt=reminder.attempt, next_due_at=None)
            return JobResult(True)
        kind, contacts, text, data = target
        attempt = reminder.attempt + 1
        channel = channel_for(attempt)
        await notifier.notify(conn, [
            Notification(channel=channel, person_id=person_id, mobile=mobile, text=text,
                         attempt=attempt, reminder_id=reminder.id, notice_id=reminder.notice_id,
                         message_id=reminder.message_id)
            for person_id, mobile in contacts], now)
        finished = attempt >= reminder.max_attempts
        await store.advance_reminder(
            conn, reminder.id, attempt=attempt,
            next_due_at=None if finished else now + dt.timedelta(seconds=reminder.interval_seconds))
        events = []
        if channel == "in_app":
            events.append(Outgoing("ding", data | {"attempt": attempt}, [p for p, _ in contacts]))
        log.info("DING %s reminder %s attempt %d by %s to %d people", kind, reminder.id, attempt,
                 channel, len(contacts))
        return JobResult(True, events)

    return job


async def _target(conn: AsyncConnection, reminder: Any, today: dt.date):
    """``(kind, pending contacts, reminder text, ding data)``, or None if nothing is left."""
    if reminder.notice_id is not None:
        row = await store.get_notice(conn, reminder.notice_id)
        if row is None:
            return None
        notice = store.notice_json(row, body=False)
        contacts = await store.pending_notice_contacts(conn, notice["id"], notice["require_confirm"])
        action = "确认" if notice["require_confirm"] else "查阅"
        text = (f"【政钉DING】{notice['sender']['name']}({notice['sender_post']['title']})发送的通知"
                f"《{notice['title']}》您尚未{action}，请及时处理。")
        return "notice", contacts, text, notice_ding_data(notice, 0)
    message = await store.get_message(conn, reminder.message_id)
    if message is None or message.recalled_at is not None:
        return None
    contacts = await store.pending_message_contacts(conn, message, today)
    excerpt = _PLACEHOLDER.get(message.content_type) or message.search_text[:60]
    text = f"【政钉DING】{message.sender_name}给您发送了加急消息：{excerpt}"
    full = message_store.message_json(await message_store.get(conn, message.id))
    return "message", contacts, text, message_ding_data(full, 0)
