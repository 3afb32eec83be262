"""External enterprises: look-up by credit code and filtered, paged lists."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgchart.models import Enterprise, OrgUnit
from orgchart.store.matching import name_alternatives
from orgchart.store.ranges import in_subtree


def _detailed() -> Select:
    return select(
        Enterprise.id,
        Enterprise.credit_code,
        Enterprise.name,
        Enterprise.name_pinyin,
        Enterprise.name_initials,
        Enterprise.industry,
        Enterprise.scale,
        Enterprise.registered_capital,
        Enterprise.region_path,
        Enterprise.tags,
        OrgUnit.code.label("region_code"),
        OrgUnit.name.label("region_name"),
    ).outerjoin(OrgUnit, OrgUnit.id == Enterprise.region_id)


def enterprise_row(row: Any) -> dict[str, Any]:
    found = dict(row._mapping)
    found["tags"] = [tag for tag in (found.get("tags") or "").split(",") if tag]
    return found


class EnterpriseStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_credit_code(self, credit_code: str) -> dict[str, Any] | None:
        row = (await self._session.execute(_detailed().where(Enterprise.credit_code == credit_code))).first()
        return enterprise_row(row) if row else None

    async def by_ids(self, ids: list[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        query = _detailed().where(Enterprise.id.in_(set(ids))).order_by(Enterprise.credit_code)
        return [enterprise_row(row) for row in (await self._session.execute(query)).all()]

    async def page(
        self,
        *,
        region_path: str | None = None,
        text: str | None = None,
        offset: int,
        limit: int,
    ) -> tuple[int, list[dict[str, Any]]]:
        """Enterprises in a region's subtree whose name, pinyin, initials or code start with text."""
        where = []
        if region_path is not None:
            where.append(in_subtree(Enterprise.region_path, region_path))
        if text:
            alternatives = name_alternatives(
                text,
                name=Enterprise.name,
                pinyin=Enterprise.name_pinyin,
                initials=Enterprise.name_initials,
                code=Enterprise.credit_code,
            )
            if not alternatives:
                return 0, []
            where.append(or_(*(alt.condition for alt in alternatives)))
        count = select(func.count()).select_from(Enterprise).where(*where)
        total = int((await self._session.execute(count)).scalar_one())
        query = _detailed().where(*where).order_by(Enterprise.credit_code).offset(offset).limit(limit)
        rows = [enterprise_row(row) for row in (await self._session.execute(query)).all()]
        return total, rows
