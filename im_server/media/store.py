"""SQL for media rows: record an upload, find one by its token."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server import models as m

media = m.Media.__table__


async def insert_media(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(insert(media).values(created_at=dt.datetime.now(dt.UTC), **values))


async def by_token(conn: AsyncConnection, token: str) -> Any:
    return (await conn.execute(select(media).where(media.c.token == token))).first()
