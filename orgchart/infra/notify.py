"""How the system reaches a person outside the app — SMS, voice — as an interface every layer can use.

The directory sends activation codes and the IM server DING reminders through the same
:class:`Notifier`. It lives in the shared layer so that the directory does not depend on the IM
server; the IM server provides the default implementation (``im_server.notifier.OutboxNotifier``,
which records each notification in the ``notifier_outbox`` table) and hands it down.

A notifier is called *inside* the caller's transaction, so whatever it writes is committed with
the action that caused it, exactly once, or not at all. A real gateway keeps that write and
hands the sending to a relay that reads committed rows: a network call made inside the
transaction cannot be rolled back.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class Notification:
    """One message to one person over one channel (``in_app``, ``sms`` or ``voice``)."""

    channel: str
    person_id: int
    mobile: str | None
    text: str
    attempt: int = 1
    #: Set for DING reminders: which reminder, of which notice or message.
    reminder_id: int | None = None
    notice_id: int | None = None
    message_id: int | None = None


class Notifier(Protocol):
    async def notify(self, conn: AsyncConnection, notifications: Sequence[Notification],
                     now: dt.datetime) -> None:
        """Deliver (or durably queue) ``notifications`` within the caller's transaction."""
