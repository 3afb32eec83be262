"""API tokens. Only the SHA-256 of a token is stored; the token itself is shown once."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orgchart.models import AuthToken, Person


class TokenStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, person_id: int, digest: str, created_at: dt.datetime, expires_at: dt.datetime
    ) -> int:
        result = await self._session.execute(
            insert(AuthToken)
            .values(
                token_hash=digest, person_id=person_id, created_at=created_at, expires_at=expires_at
            )
            .returning(AuthToken.id)
        )
        return int(result.scalar_one())

    async def find_active(self, digest: str, now: dt.datetime) -> dict[str, Any] | None:
        """The unrevoked, unexpired token with this digest, joined with its person."""
        return (await self.find_active_many([digest], now)).get(digest)

    async def find_active_many(self, digests: list[str], now: dt.datetime) -> dict[str, dict[str, Any]]:
        """:meth:`find_active` for many digests in one query, by digest (absent: not active)."""
        query = (
            select(
                AuthToken.token_hash,
                AuthToken.id.label("token_id"),
                AuthToken.expires_at,
                Person.id.label("person_id"),
                Person.name,
                Person.role,
                Person.mobile,
            )
            .join(Person, Person.id == AuthToken.person_id)
            .where(
                AuthToken.token_hash.in_(digests),
                AuthToken.revoked_at.is_(None),
                AuthToken.expires_at > now,
            )
        )
        rows = (await self._session.execute(query)).all()
        return {row.token_hash: dict(row._mapping) for row in rows}

    async def revoke(self, token_id: int, now: dt.datetime) -> None:
        await self._session.execute(
            update(AuthToken)
            .where(AuthToken.id == token_id, AuthToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_all(self, person_id: int, now: dt.datetime) -> int:
        """Revoke every live token of a person; returns how many were live."""
        result = await self._session.execute(
            update(AuthToken)
            .where(
                AuthToken.person_id == person_id,
                AuthToken.revoked_at.is_(None),
                AuthToken.expires_at > now,
            )
            .values(revoked_at=now)
        )
        return getattr(result, "rowcount", 0) or 0  # a CursorResult for UPDATE

    async def prune(self, person_id: int, before: dt.datetime) -> None:
        """Forget a person's tokens that expired before ``before`` (keeps the table small)."""
        await self._session.execute(
            delete(AuthToken).where(AuthToken.person_id == person_id, AuthToken.expires_at < before)
        )
