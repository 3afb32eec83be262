"""Posts (岗位): look-ups with their unit and department, duty tags, lists, and edits."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from orgchart.models import Department, OrgUnit, Post, PostDuty

_Supervisor = aliased(Post)


def _detailed() -> Select:
    """Posts joined with what a reader needs to place them: unit, department, supervisor."""
    return (
        select(
            Post.id,
            Post.code,
            Post.title,
            Post.serves_enterprises,
            Post.level,
            Post.unit_path,
            Post.dept_type,
            Post.org_unit_id,
            OrgUnit.code.label("unit_code"),
            OrgUnit.name.label("unit_name"),
            Department.code.label("department_code"),
            Department.name.label("department_name"),
            _Supervisor.code.label("supervisor_code"),
            _Supervisor.title.label("supervisor_title"),
        )
        .join(OrgUnit, OrgUnit.id == Post.org_unit_id)
        .outerjoin(Department, Department.id == Post.department_id)
        .outerjoin(_Supervisor, _Supervisor.id == Post.supervisor_id)
    )


class PostStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _all(self, query: Select) -> list[dict[str, Any]]:
        return [dict(row._mapping) for row in (await self._session.execute(query)).all()]

    async def by_code(self, code: str) -> dict[str, Any] | None:
        rows = await self._all(_detailed().where(Post.code == code))
        return rows[0] if rows else None

    async def by_ids(self, post_ids: list[int]) -> list[dict[str, Any]]:
        if not post_ids:
            return []
        rows = await self._all(_detailed().where(Post.id.in_(set(post_ids))))
        order = {post_id: index for index, post_id in enumerate(post_ids)}
        return sorted(rows, key=lambda row: order.get(row["id"], 0))

    async def duties(self, post_ids: list[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {post_id: [] for post_id in post_ids}
        if not post_ids:
            return found
        query = (
            select(PostDuty.post_id, PostDuty.tag)
            .where(PostDuty.post_id.in_(set(post_ids)))
            .order_by(PostDuty.tag)
        )
        for post_id, tag in (await self._session.execute(query)).all():
            found[post_id].append(tag)
        return found

    async def of_unit(
        self,
        unit_id: int,
        *,
        department_id: int | None = None,
        enterprise_view: bool,
        offset: int,
        limit: int,
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of the posts of a unit (or of one of its departments) and their total."""
        where = [Post.org_unit_id == unit_id]
        if department_id is not None:
            where.append(Post.department_id == department_id)
        if enterprise_view:
            where.append(Post.serves_enterprises.is_(True))
        total = (await self._session.execute(select(func.count()).select_from(Post).where(*where))).scalar_one()
        rows = await self._all(
            _detailed().where(*where).order_by(Post.code).offset(offset).limit(limit)
        )
        return int(total), rows

    async def update(self, post_id: int, values: dict[str, Any]) -> None:
        """Change plain columns (``title``, ``serves_enterprises``)."""
        if values:
            await self._session.execute(update(Post).where(Post.id == post_id).values(**values))

    async def set_duties(self, post: dict[str, Any], tags: list[str]) -> None:
        """Replace the duty tags; they carry the post's path and level for range scans."""
        await self._session.execute(delete(PostDuty).where(PostDuty.post_id == post["id"]))
        if tags:
            await self._session.execute(
                insert(PostDuty),
                [
                    {"post_id": post["id"], "tag": tag, "unit_path": post["unit_path"], "level": post["level"]}
                    for tag in dict.fromkeys(tags)
                ],
            )
