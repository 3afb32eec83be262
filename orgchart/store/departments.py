"""Departments (委办局) of a unit, nested through ``parent_id``."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from orgchart.models import Department, OrgUnit

_Parent = aliased(Department)


def _detailed() -> Select:
    return (
        select(
            Department.id,
            Department.code,
            Department.name,
            Department.dept_type,
            Department.org_unit_id,
            Department.parent_id,
            _Parent.code.label("parent_code"),
            OrgUnit.code.label("unit_code"),
            OrgUnit.name.label("unit_name"),
        )
        .join(OrgUnit, OrgUnit.id == Department.org_unit_id)
        .outerjoin(_Parent, _Parent.id == Department.parent_id)
    )


class DepartmentStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _all(self, query: Select) -> list[dict[str, Any]]:
        return [dict(row._mapping) for row in (await self._session.execute(query)).all()]

    async def by_code(self, code: str) -> dict[str, Any] | None:
        rows = await self._all(_detailed().where(Department.code == code))
        return rows[0] if rows else None

    async def of_unit(self, unit_id: int) -> list[dict[str, Any]]:
        """Every department of a unit, nested ones included (``parent_code`` shows the tree)."""
        return await self._all(
            _detailed().where(Department.org_unit_id == unit_id).order_by(Department.code)
        )

    async def children(self, department_id: int) -> list[dict[str, Any]]:
        return await self._all(
            _detailed().where(Department.parent_id == department_id).order_by(Department.code)
        )
