"""Activation codes: issue (revoking a person's older unused codes), look up, count guesses, use.

Only digests are stored (:func:`orgchart.security.code_digest`). "Used" is claimed with a
conditional UPDATE, so two redemptions racing for one code — on one node or several — cannot
both win.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orgchart.models import ActivationCode, Person

#: Ids per ``IN (…)`` list: well under SQLite's and asyncpg's parameter limits.
CHUNK = 1000


def chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class ActivationCodeStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def people(self, person_ids: list[int]) -> list[dict[str, Any]]:
        """id, name, mobile and whether a password is set, of these people (ordered by id)."""
        found: list[dict[str, Any]] = []
        for part in chunks(sorted(person_ids)):
            rows = await self._session.execute(
                select(Person.id, Person.name, Person.mobile,
                       Person.password_hash.is_not(None).label("active"))
                .where(Person.id.in_(part)).order_by(Person.id))
            found += [dict(row._mapping) for row in rows]
        return found

    async def ids_by_mobile(self, mobiles: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for part in chunks(mobiles):
            rows = await self._session.execute(select(Person.mobile, Person.id).where(Person.mobile.in_(part)))
            found.update({mobile: person_id for mobile, person_id in rows})
        return found

    async def recent_issues(self, person_ids: list[int], since: dt.datetime) -> dict[int, tuple[int, dt.datetime]]:
        """Per person: how many codes were issued since ``since``, and the latest's time."""
        found: dict[int, tuple[int, dt.datetime]] = {}
        for part in chunks(person_ids):
            rows = await self._session.execute(
                select(ActivationCode.person_id, func.count(), func.max(ActivationCode.created_at))
                .where(ActivationCode.person_id.in_(part), ActivationCode.created_at > since)
                .group_by(ActivationCode.person_id))
            found.update({person_id: (count, latest) for person_id, count, latest in rows})
        return found

    async def issue(self, rows: list[dict[str, Any]], now: dt.datetime) -> None:
        """Insert ``rows`` (person_id, code_hash, created_at, expires_at, issued_by); the
        people's earlier unused codes stop working."""
        for part in chunks(rows):
            await self._session.execute(
                update(ActivationCode)
                .where(ActivationCode.person_id.in_([row["person_id"] for row in part]),
                       ActivationCode.used_at.is_(None), ActivationCode.revoked_at.is_(None))
                .values(revoked_at=now))
            await self._session.execute(insert(ActivationCode), [{**row, "failed_attempts": 0} for row in part])

    async def latest(self, person_id: int) -> dict[str, Any] | None:
        """The person's newest code that was not replaced by a newer one."""
        row = (await self._session.execute(
            select(ActivationCode.id, ActivationCode.code_hash, ActivationCode.expires_at,
                   ActivationCode.failed_attempts, ActivationCode.used_at)
            .where(ActivationCode.person_id == person_id, ActivationCode.revoked_at.is_(None))
            .order_by(ActivationCode.id.desc()).limit(1))).first()
        return dict(row._mapping) if row else None

    async def count_failure(self, code_id: int) -> int:
        """One more wrong guess at this code; returns the new count."""
        await self._session.execute(
            update(ActivationCode).where(ActivationCode.id == code_id)
            .values(failed_attempts=ActivationCode.failed_attempts + 1))
        return int(await self._session.scalar(
            select(ActivationCode.failed_attempts).where(ActivationCode.id == code_id)))

    async def claim(self, code_id: int, now: dt.datetime) -> bool:
        """Mark the code used; False when someone else used it first."""
        result = await self._session.execute(
            update(ActivationCode).where(ActivationCode.id == code_id, ActivationCode.used_at.is_(None))
            .values(used_at=now))
        return result.rowcount == 1
