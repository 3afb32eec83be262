"""Export the whole directory as records, the shapes of ``docs/directory-format.md``.

Records come grouped by kind in dependency order, read in pages by primary key (keyset paging,
never OFFSET), so a province streams out with one page in memory. Importing the output again
changes nothing. Optional fields are omitted when empty, as the generator does.

On PostgreSQL the export reads one REPEATABLE READ snapshot, so a concurrent import cannot tear
it; SQLite readers see each page as of its own statement.

Rows are unpacked by position rather than by name: at three million rows, ``Row`` attribute
look-ups and keyword-argument helpers were most of the export's time.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from sqlalchemy import Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from orgchart import models as m

BATCH = 5000


async def export_records(
    sessions: async_sessionmaker[AsyncSession], *, batch: int = BATCH
) -> AsyncIterator[dict]:
    """Yield every record of the directory: units, departments, posts, people, holdings, …"""
    async with sessions() as session:
        options = {}
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            options["isolation_level"] = "REPEATABLE READ"
        conn = await session.connection(execution_options=options)
        for query, keys, shape in _EXPORTS:
            async for rows in _pages(conn, query(), keys, batch):
                if shape is _post:
                    duties = await _duties(conn, rows[0][0], rows[-1][0])
                    for row in rows:
                        yield _post(row, duties.get(row[0]))
                else:
                    for row in rows:
                        yield shape(row)


async def _pages(conn: AsyncConnection, query: Select, keys: Sequence[Any],
                 batch: int) -> AsyncIterator[Sequence[Any]]:
    """``query`` in pages of ``batch`` rows, ordered by and resumed after ``keys`` (its first
    columns)."""
    last: tuple | None = None
    while True:
        page = query.order_by(*keys).limit(batch)
        if last is not None:
            after = keys[0] > last[0] if len(keys) == 1 else tuple_(*keys) > tuple_(*last)
            page = page.where(after)
        rows = (await conn.execute(page)).all()
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        last = tuple(rows[-1][: len(keys)])


async def _duties(conn: AsyncConnection, first: int, last: int) -> dict[int, list[str]]:
    duties: dict[int, list[str]] = {}
    result = await conn.execute(
        select(m.PostDuty.post_id, m.PostDuty.tag)
        .where(m.PostDuty.post_id.between(first, last))
        .order_by(m.PostDuty.post_id, m.PostDuty.tag))
    for post_id, tag in result:
        duties.setdefault(post_id, []).append(tag)
    return duties


def _optional(record: dict, **fields: Any) -> dict:
    """Add the fields that have a value (empty and false ones are the format's defaults)."""
    for key, value in fields.items():
        if value:
            record[key] = value
    return record


# --- one query (key columns first) and one shape per kind ------------------------------------


def _units() -> Select:
    return select(m.OrgUnit.id, m.OrgUnit.code, m.OrgUnit.name)


def _unit(row) -> dict:
    _id, code, name = row
    return {"kind": "unit", "code": code, "name": name}


def _departments() -> Select:
    parent = aliased(m.Department)
    return (select(m.Department.id, m.Department.code, m.Department.name, m.Department.dept_type,
                   m.OrgUnit.code, parent.code)
            .join(m.OrgUnit, m.OrgUnit.id == m.Department.org_unit_id)
            .outerjoin(parent, parent.id == m.Department.parent_id))


def _department(row) -> dict:
    _id, code, name, dept_type, unit, parent = row
    return _optional({"kind": "department", "code": code, "name": name, "type": dept_type,
                      "unit": unit}, parent=parent)


def _posts() -> Select:
    supervisor = aliased(m.Post)
    return (select(m.Post.id, m.Post.code, m.Post.title, m.OrgUnit.code, m.Department.code,
                   supervisor.code, m.Post.serves_enterprises)
            .join(m.OrgUnit, m.OrgUnit.id == m.Post.org_unit_id)
            .outerjoin(m.Department, m.Department.id == m.Post.department_id)
            .outerjoin(supervisor, supervisor.id == m.Post.supervisor_id))


def _post(row, duties: list[str] | None = None) -> dict:
    _id, code, title, unit, department, supervisor, serves = row
    return _optional({"kind": "post", "code": code, "title": title, "unit": unit},
                     department=department, duties=duties, supervisor=supervisor,
                     serves_enterprises=bool(serves))


def _people() -> Select:
    # Accounts without a mobile (bots) have no key in the file formats: they are not exported.
    return (select(m.Person.id, m.Person.mobile, m.Person.name, m.Person.role)
            .where(m.Person.mobile.is_not(None)))


def _person(row) -> dict:
    _id, mobile, name, role = row
    return {"kind": "person", "mobile": mobile, "name": name, "role": role}


def _holdings() -> Select:
    return (select(m.Holding.id, m.Post.code, m.Person.mobile, m.Holding.kind,
                   m.Holding.start_date, m.Holding.end_date)
            .join(m.Post, m.Post.id == m.Holding.post_id)
            .join(m.Person, m.Person.id == m.Holding.person_id)
            .where(m.Person.mobile.is_not(None)))


def _holding(row) -> dict:
    _id, post, mobile, kind, start, end = row
    record = {"kind": "holding", "post": post, "mobile": mobile, "start": start.isoformat()}
    if kind != "primary":
        record["type"] = kind
    if end is not None:
        record["end"] = end.isoformat()
    return record


def _enterprises() -> Select:
    return (select(m.Enterprise.id, m.Enterprise.credit_code, m.Enterprise.name,
                   m.Enterprise.industry, m.Enterprise.scale, m.Enterprise.registered_capital,
                   m.OrgUnit.code, m.Enterprise.tags)
            .outerjoin(m.OrgUnit, m.OrgUnit.id == m.Enterprise.region_id))


def _enterprise(row) -> dict:
    _id, credit_code, name, industry, scale, capital, region, tags = row
    record = _optional({"kind": "enterprise", "credit_code": credit_code, "name": name},
                       industry=industry, scale=scale)
    if capital is not None:
        record["registered_capital"] = capital
    return _optional(record, region=region,
                     tags=[tag for tag in (tags or "").split(",") if tag])


def _enterprise_members() -> Select:
    member = m.EnterpriseMember
    return (select(member.enterprise_id, member.person_id, m.Enterprise.credit_code,
                   m.Person.mobile, member.member_role)
            .join(m.Enterprise, m.Enterprise.id == member.enterprise_id)
            .join(m.Person, m.Person.id == member.person_id)
            .where(m.Person.mobile.is_not(None)))


def _enterprise_member(row) -> dict:
    _enterprise_id, _person_id, credit_code, mobile, role = row
    return {"kind": "enterprise_member", "credit_code": credit_code, "mobile": mobile, "role": role}


def _virtual_orgs() -> Select:
    return (select(m.VirtualOrg.id, m.VirtualOrg.code, m.VirtualOrg.name, m.Department.code)
            .join(m.Department, m.Department.id == m.VirtualOrg.owner_department_id))


def _virtual_org(row) -> dict:
    _id, code, name, owner = row
    return {"kind": "virtual_org", "code": code, "name": name, "owner": owner}


def _virtual_groups() -> Select:
    parent = aliased(m.VirtualGroup)
    return (select(m.VirtualGroup.id, m.VirtualGroup.code, m.VirtualGroup.name, m.VirtualOrg.code,
                   parent.code)
            .join(m.VirtualOrg, m.VirtualOrg.id == m.VirtualGroup.virtual_org_id)
            .outerjoin(parent, parent.id == m.VirtualGroup.parent_id))


def _virtual_group(row) -> dict:
    _id, code, name, virtual_org, parent = row
    return _optional({"kind": "virtual_group", "code": code, "name": name,
                      "virtual_org": virtual_org}, parent=parent)


def _virtual_members() -> Select:
    membership = m.VirtualMembership
    return (select(membership.virtual_org_id, membership.enterprise_id, m.VirtualOrg.code,
                   m.Enterprise.credit_code, m.VirtualGroup.code, m.Post.code)
            .join(m.VirtualOrg, m.VirtualOrg.id == membership.virtual_org_id)
            .join(m.Enterprise, m.Enterprise.id == membership.enterprise_id)
            .join(m.VirtualGroup, m.VirtualGroup.id == membership.group_id)
            .outerjoin(m.Post, m.Post.id == membership.officer_post_id))


def _virtual_member(row) -> dict:
    _org_id, _enterprise_id, virtual_org, credit_code, group, officer = row
    return _optional({"kind": "virtual_member", "virtual_org": virtual_org,
                      "credit_code": credit_code, "group": group}, officer=officer)


_Export = tuple[Callable[[], Select], tuple, Callable[..., dict]]
#: In dependency order: (query, its key columns, the record of a row).
_EXPORTS: tuple[_Export, ...] = (
    (_units, (m.OrgUnit.id,), _unit),
    (_departments, (m.Department.id,), _department),
    (_posts, (m.Post.id,), _post),
    (_people, (m.Person.id,), _person),
    (_holdings, (m.Holding.id,), _holding),
    (_enterprises, (m.Enterprise.id,), _enterprise),
    (_enterprise_members,
     (m.EnterpriseMember.enterprise_id, m.EnterpriseMember.person_id), _enterprise_member),
    (_virtual_orgs, (m.VirtualOrg.id,), _virtual_org),
    (_virtual_groups, (m.VirtualGroup.id,), _virtual_group),
    (_virtual_members,
     (m.VirtualMembership.virtual_org_id, m.VirtualMembership.enterprise_id), _virtual_member),
)
