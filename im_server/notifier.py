"""The notifier: how a DING re-reminder (or an activation code) reaches a person — in the app,
by SMS, by voice call.

:class:`Notifier` is the interface (defined in :mod:`orgchart.infra.notify`, so that the
directory can send activation codes through it too). The reminder runner calls it *inside* the
transaction that claims and advances the reminder, so whatever it writes to the database is
committed together with the advance, exactly once, or not at all.

The default, :class:`OutboxNotifier`, records every notification in the ``notifier_outbox``
table (visible through ``GET /api/v1/notifier/outbox`` and ``zhengding org outbox``), which
makes the behaviour testable and auditable. A real SMS or voice gateway plugs in behind the same interface; it should keep the
outbox write (for exactly-once) and hand the actual sending to a relay that reads committed
outbox rows, because a network call made inside the transaction cannot be rolled back.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from im_server.stores import notices as store
from orgchart.infra.notify import Notification, Notifier

__all__ = ["CHANNELS", "Notification", "Notifier", "OutboxNotifier", "channel_for"]

#: The channels in escalation order.
CHANNELS = ("in_app", "sms", "voice")


def channel_for(attempt: int) -> str:
    """Attempt 1 is in-app, 2 is SMS, 3 and later are voice calls."""
    return CHANNELS[min(attempt, len(CHANNELS)) - 1]


class OutboxNotifier:
    """Records every notification in ``notifier_outbox``; sends nothing over the network."""

    async def notify(self, conn: AsyncConnection, notifications: Sequence[Notification],
                     now: dt.datetime) -> None:
        await store.record_outbox(conn, [
            {"channel": n.channel, "person_id": n.person_id, "mobile": n.mobile, "text": n.text,
             "attempt": n.attempt, "reminder_id": n.reminder_id, "notice_id": n.notice_id,
             "message_id": n.message_id, "created_at": now} for n in notifications])
