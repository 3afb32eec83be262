"""What the database already holds, as the importer needs it to check references and upsert."""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from orgchart import models as m

#: Rows per partition when streaming the database's keys.
PARTITION = 20_000


@dataclass
class Snapshot:
    units: dict[str, tuple[int, int]]  # code -> (id, level)
    departments: dict[str, tuple[int, str, str | None, str]]  # code -> (id, unit, parent, type)
    posts: dict[str, str | None]  # code -> supervisor code
    people: set[int | str]  # mobile_key() of each mobile (ids are looked up when writing)
    enterprises: set[str]
    virtual_orgs: set[str]
    virtual_groups: dict[str, tuple[str, str | None]]  # code -> (virtual org code, parent code)


def mobile_key(mobile: str) -> int | str:
    """A mobile as an index key: an ASCII number as an integer (a third of the memory of its
    text), anything else — other Unicode digits, which ``int`` would fold into ASCII ones —
    as it is."""
    return int(mobile) if mobile.isascii() and mobile.isdigit() else mobile


async def load_snapshot(conn: AsyncConnection) -> Snapshot:
    async def rows(query) -> AsyncIterator[Row]:
        """The rows streamed in partitions: a province's 1.5 million people are never a list."""
        result = await conn.stream(query)
        async for partition in result.partitions(PARTITION):
            for row in partition:
                yield row

    parent_dept, supervisor, parent_group = (
        aliased(m.Department), aliased(m.Post), aliased(m.VirtualGroup))
    units = {code: (ident, level) async for ident, code, level in
             rows(select(m.OrgUnit.id, m.OrgUnit.code, m.OrgUnit.level))}
    departments = {
        code: (ident, unit, parent, kind)
        async for ident, code, unit, parent, kind in rows(
            select(m.Department.id, m.Department.code, m.OrgUnit.code, parent_dept.code,
                   m.Department.dept_type)
            .join(m.OrgUnit, m.OrgUnit.id == m.Department.org_unit_id)
            .outerjoin(parent_dept, parent_dept.id == m.Department.parent_id))
    }
    posts = {code: boss async for code, boss in rows(
        select(m.Post.code, supervisor.code).outerjoin(supervisor, supervisor.id == m.Post.supervisor_id))}
    people = {mobile_key(mobile) async for (mobile,) in
              rows(select(m.Person.mobile).where(m.Person.mobile.is_not(None)))}
    enterprises = {code async for (code,) in rows(select(m.Enterprise.credit_code))}
    virtual_orgs = {code async for (code,) in rows(select(m.VirtualOrg.code))}
    groups = {code: (vo, parent) async for code, vo, parent in rows(
        select(m.VirtualGroup.code, m.VirtualOrg.code, parent_group.code)
        .join(m.VirtualOrg, m.VirtualOrg.id == m.VirtualGroup.virtual_org_id)
        .outerjoin(parent_group, parent_group.id == m.VirtualGroup.parent_id))}
    return Snapshot(units, departments, posts, people, enterprises, virtual_orgs, groups)
