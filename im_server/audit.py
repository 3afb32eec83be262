"""The append-only audit log: security events and administrative actions.

``record`` inserts in the caller's transaction, so an action and its audit entry are committed
together (or not at all). Nothing in the application updates or deletes audit rows.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from im_server import models as m


async def record(conn: AsyncConnection | AsyncSession, *, actor: int | None, action: str, target: str = "",
                 result: str = "ok", details: dict[str, Any] | None = None,
                 remote: str | None = None) -> None:
    await conn.execute(insert(m.AuditEntry).values(
        at=dt.datetime.now(dt.UTC), actor_id=actor, action=action, target=target[:200], result=result,
        details=json.dumps(details or {}, ensure_ascii=False, default=str), remote=remote))
