"""Virtual organisations (虚拟组织), their nested groups and their member enterprises.

A group's ``path`` is ``/id/id/…/`` from the top, so "members of a group and its sub-groups"
is one range over the group paths.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgchart.models import (
    Department,
    Enterprise,
    OrgUnit,
    Post,
    VirtualGroup,
    VirtualMembership,
    VirtualOrg,
)
from orgchart.store.ranges import starts_with


def _detailed() -> Select:
    return (
        select(
            VirtualOrg.id,
            VirtualOrg.code,
            VirtualOrg.name,
            Department.code.label("owner_code"),
            Department.name.label("owner_name"),
            OrgUnit.code.label("unit_code"),
            OrgUnit.name.label("unit_name"),
        )
        .join(Department, Department.id == VirtualOrg.owner_department_id)
        .join(OrgUnit, OrgUnit.id == Department.org_unit_id)
    )


class VirtualOrgStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _all(self, query: Select) -> list[dict[str, Any]]:
        return [dict(row._mapping) for row in (await self._session.execute(query)).all()]

    async def all(self, *, enterprise_ids: list[int] | None = None) -> list[dict[str, Any]]:
        """Every virtual org, or only those holding one of ``enterprise_ids``."""
        query = _detailed().order_by(VirtualOrg.code)
        if enterprise_ids is not None:
            member_of = select(VirtualMembership.virtual_org_id).where(
                VirtualMembership.enterprise_id.in_(enterprise_ids or [-1])
            )
            query = query.where(VirtualOrg.id.in_(member_of))
        return await self._all(query)

    async def by_code(self, code: str) -> dict[str, Any] | None:
        rows = await self._all(_detailed().where(VirtualOrg.code == code))
        return rows[0] if rows else None

    async def groups(self, virtual_org_id: int) -> list[dict[str, Any]]:
        """The groups with ``direct`` member counts (callers roll them up the tree)."""
        direct = (
            select(VirtualMembership.group_id, func.count().label("direct"))
            .where(VirtualMembership.virtual_org_id == virtual_org_id)
            .group_by(VirtualMembership.group_id)
            .subquery()
        )
        query = (
            select(
                VirtualGroup.id,
                VirtualGroup.code,
                VirtualGroup.name,
                VirtualGroup.parent_id,
                VirtualGroup.path,
                func.coalesce(direct.c.direct, 0).label("direct"),
            )
            .outerjoin(direct, direct.c.group_id == VirtualGroup.id)
            .where(VirtualGroup.virtual_org_id == virtual_org_id)
            .order_by(VirtualGroup.path)
        )
        return await self._all(query)

    async def group_by_code(self, virtual_org_id: int, code: str) -> dict[str, Any] | None:
        query = select(VirtualGroup.id, VirtualGroup.code, VirtualGroup.name, VirtualGroup.path).where(
            VirtualGroup.virtual_org_id == virtual_org_id, VirtualGroup.code == code
        )
        row = (await self._session.execute(query)).first()
        return dict(row._mapping) if row else None

    async def members(
        self,
        virtual_org_id: int,
        *,
        group_path: str | None,
        offset: int,
        limit: int,
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of member enterprises (of a group and its sub-groups) and their total."""
        where = [VirtualMembership.virtual_org_id == virtual_org_id]
        if group_path is not None:
            where.append(starts_with(VirtualGroup.path, group_path))
        base = select(func.count()).select_from(VirtualMembership).join(
            VirtualGroup, VirtualGroup.id == VirtualMembership.group_id
        )
        total = int((await self._session.execute(base.where(*where))).scalar_one())
        query = (
            select(
                Enterprise.credit_code,
                Enterprise.name,
                Enterprise.scale,
                Enterprise.industry,
                VirtualGroup.code.label("group_code"),
                VirtualGroup.name.label("group_name"),
                Post.code.label("officer_code"),
                Post.title.label("officer_title"),
                Post.id.label("officer_post_id"),
            )
            .select_from(VirtualMembership)
            .join(VirtualGroup, VirtualGroup.id == VirtualMembership.group_id)
            .join(Enterprise, Enterprise.id == VirtualMembership.enterprise_id)
            .outerjoin(Post, Post.id == VirtualMembership.officer_post_id)
            .where(*where)
            .order_by(Enterprise.credit_code)
            .offset(offset)
            .limit(limit)
        )
        return total, await self._all(query)

    async def memberships_of(self, enterprise_id: int) -> list[dict[str, Any]]:
        """The virtual orgs an enterprise is in, its group there and its assigned officer post."""
        query = (
            select(
                VirtualOrg.code,
                VirtualOrg.name,
                VirtualGroup.code.label("group_code"),
                VirtualGroup.name.label("group_name"),
                Post.code.label("officer_code"),
                Post.title.label("officer_title"),
                Post.id.label("officer_post_id"),
            )
            .select_from(VirtualMembership)
            .join(VirtualOrg, VirtualOrg.id == VirtualMembership.virtual_org_id)
            .join(VirtualGroup, VirtualGroup.id == VirtualMembership.group_id)
            .outerjoin(Post, Post.id == VirtualMembership.officer_post_id)
            .where(VirtualMembership.enterprise_id == enterprise_id)
            .order_by(VirtualOrg.code)
        )
        return await self._all(query)
