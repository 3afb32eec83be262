"""People: look-ups by id and mobile, and the password hash set on activation."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orgchart.models import EnterpriseMember, Person

_COLUMNS = (
    Person.id,
    Person.name,
    Person.mobile,
    Person.role,
    Person.password_hash,
    Person.created_at,
)


class PersonStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_id(self, person_id: int) -> dict[str, Any] | None:
        row = (await self._session.execute(select(*_COLUMNS).where(Person.id == person_id))).first()
        return dict(row._mapping) if row else None

    async def existing(self, person_ids: list[int]) -> set[int]:
        """Which of the ids name a person."""
        query = select(Person.id).where(Person.id.in_(set(person_ids)))
        return set((await self._session.execute(query)).scalars())

    async def by_mobile(self, mobile: str) -> dict[str, Any] | None:
        row = (await self._session.execute(select(*_COLUMNS).where(Person.mobile == mobile))).first()
        return dict(row._mapping) if row else None

    async def set_password_hash(self, person_id: int, password_hash: str | None) -> None:
        await self._session.execute(
            update(Person).where(Person.id == person_id).values(password_hash=password_hash)
        )

    async def enterprise_ids(self, person_id: int) -> list[int]:
        """The enterprises an external user acts for."""
        query = select(EnterpriseMember.enterprise_id).where(EnterpriseMember.person_id == person_id)
        return list((await self._session.execute(query)).scalars())
