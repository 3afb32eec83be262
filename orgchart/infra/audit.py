"""The append-only audit log: security events and administrative actions, from every package.

``record`` inserts in the caller's transaction, so an action and its audit entry are committed
together or not at all. Nothing in the application updates or deletes audit rows. It lives in
the shared layer because both the directory (logins, imports, role changes) and the IM server
(notices, recalls) write to it.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from orgchart.infra.db import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    #: login, login.failed, logout, token.revoke, role.change, activation.issue, account.activate,
    #: directory.import, directory.change, notice.send, message.recall, …
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200), default="")
    #: ok | denied | error
    result: Mapped[str] = mapped_column(String(10))
    details: Mapped[str] = mapped_column(Text, default="{}")
    remote: Mapped[str | None] = mapped_column(String(64))


async def record(conn: AsyncConnection | AsyncSession, *, actor: int | None, action: str,
                 target: str = "", result: str = "ok", details: dict[str, Any] | None = None,
                 remote: str | None = None) -> None:
    """Append one entry in the caller's transaction."""
    await conn.execute(insert(AuditEntry).values(
        at=dt.datetime.now(dt.UTC), actor_id=actor, action=action, target=target[:200], result=result,
        details=json.dumps(details or {}, ensure_ascii=False, default=str), remote=remote))
