"""The importer's write pass: upsert the spooled rows kind by kind, in batches, in one transaction.

Rows stream from the :class:`~orgchart.io.importer_spool.Spool` in batches of :data:`BATCH`
(``executemany`` of upserts); nothing province-sized is built in memory but the maps from codes
to database ids the next kinds refer to (people's keyed by :func:`mobile_key`, integers).
Self-references (a department's parent, a post's supervisor, a group's parent) are set in a
second pass once every row of the kind has its id.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from tqdm import tqdm

from orgchart import models as m
from orgchart.codes import division_level, division_path, parent_division
from orgchart.io.importer_snapshot import Snapshot, mobile_key
from orgchart.io.importer_spool import Spool
from orgchart.pinyin import search_keys

BATCH = 5000
#: Rows per partition when reading id maps back (streamed, not fetched all at once).
ID_PARTITION = 20_000


class Writer:
    def __init__(self, conn: AsyncConnection, spool: Spool, db: Snapshot, bar: tqdm) -> None:
        self.conn = conn
        self.spool = spool
        self.db = db
        self.bar = bar
        self.insert = sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert

    async def write(self) -> None:
        await self._units()
        await self._departments()
        await self._posts()
        await self._people()
        await self._holdings()
        await self._enterprises()
        await self._enterprise_members()
        await self._virtual_orgs()

    def rows(self, kind: str) -> Iterator[dict[str, Any]]:
        return (row for _location, row in self.spool.rows(kind))

    async def _upsert(self, table, rows: Iterable[dict], keys: list[str], *, count: bool = True) -> None:
        stmt = None
        for chunk in batches(rows):
            if stmt is None:
                insert = self.insert(table)
                updates = {col: insert.excluded[col] for col in chunk[0] if col not in keys}
                stmt = (insert.on_conflict_do_update(index_elements=keys, set_=updates) if updates
                        else insert.on_conflict_do_nothing(index_elements=keys))
            await self.conn.execute(stmt, chunk)
            if count:
                self.bar.update(len(chunk))

    async def _ids(self, column_key, column_id, where=None, key=None) -> dict:
        """``{key: id}`` for a table, read in partitions (``key`` maps the key column's value)."""
        query = select(column_key, column_id)
        if where is not None:
            query = query.where(where)
        ids: dict = {}
        result = await self.conn.stream(query)
        async for partition in result.partitions(ID_PARTITION):
            if key is None:
                ids.update(partition)  # type: ignore[arg-type]
            else:
                ids.update((key(value), ident) for value, ident in partition)
        return ids

    async def _set_parents(self, table, column: str, pairs: Iterable[dict]) -> None:
        """Second pass for self-references: ``pairs`` are ``{"b_id", "b_parent"}``."""
        stmt = update(table).where(table.c.id == bindparam("b_id")).values({column: bindparam("b_parent")})
        for chunk in batches(pairs):
            await self.conn.execute(stmt, chunk)

    async def _units(self) -> None:
        table = m.OrgUnit.__table__
        ids = {code: ident for code, (ident, _level) in self.db.units.items()}
        by_level: dict[int, list[dict]] = {}
        for row in self.rows("unit"):  # a province has about 22,000: they fit in memory
            by_level.setdefault(division_level(row["code"]), []).append(row)
        for level in sorted(by_level):
            batch = []
            for row in by_level[level]:
                parent = parent_division(row["code"])
                batch.append(_searchable({"code": row["code"], "name": row["name"], "level": level,
                                          "parent_id": ids.get(parent) if parent else None,
                                          "path": division_path(row["code"])}))
            await self._upsert(table, batch, ["code"])
            ids |= await self._ids(table.c.code, table.c.id, table.c.level == level)
        self.unit_ids = ids

    async def _departments(self) -> None:
        table = m.Department.__table__
        await self._upsert(table, (
            {"code": r["code"], "name": r["name"], "dept_type": r["type"],
             "org_unit_id": self.unit_ids[r["unit"]], "parent_id": None}
            for r in self.rows("department")), ["code"])
        self.dept_ids = await self._ids(table.c.code, table.c.id)
        await self._set_parents(table, "parent_id", (
            {"b_id": self.dept_ids[r["code"]], "b_parent": self.dept_ids[r["parent"]]}
            for r in self.rows("department") if r["parent"]))
        self.dept_types = {code: row[3] for code, row in self.db.departments.items()}
        changed = [self.dept_ids[r["code"]] for r in self.rows("department")
                   if r["code"] in self.dept_types and self.dept_types[r["code"]] != r["type"]]
        self.dept_types |= {r["code"]: r["type"] for r in self.rows("department")}
        posts = m.Post.__table__
        for chunk in batches(changed):  # keep the denormalised type on posts true
            await self.conn.execute(
                update(posts).where(posts.c.department_id.in_(chunk)).values(
                    dept_type=select(table.c.dept_type).where(table.c.id == posts.c.department_id)
                    .scalar_subquery()))

    async def _posts(self) -> None:
        table = m.Post.__table__
        await self._upsert(table, (
            {"code": r["code"], "title": r["title"], "org_unit_id": self.unit_ids[r["unit"]],
             "department_id": self.dept_ids.get(r["department"]) if r["department"] else None,
             "supervisor_id": None, "serves_enterprises": r["serves_enterprises"],
             "unit_path": division_path(r["unit"]), "level": division_level(r["unit"]),
             "dept_type": self.dept_types.get(r["department"]) if r["department"] else None}
            for r in self.rows("post")), ["code"])
        self.post_ids = await self._ids(table.c.code, table.c.id)
        await self._set_parents(table, "supervisor_id", (
            {"b_id": self.post_ids[r["code"]], "b_parent": self.post_ids[r["supervisor"]]}
            for r in self.rows("post") if r["supervisor"]))
        duties = m.PostDuty.__table__
        existing = (self.post_ids[r["code"]] for r in self.rows("post") if r["code"] in self.db.posts)
        for chunk in batches(existing):
            await self.conn.execute(delete(duties).where(duties.c.post_id.in_(chunk)))
        await self._upsert(duties, (
            {"post_id": self.post_ids[r["code"]], "tag": tag, "unit_path": division_path(r["unit"]),
             "level": division_level(r["unit"])} for r in self.rows("post") for tag in r["duties"]),
            ["post_id", "tag"], count=False)

    async def _people(self) -> None:
        table = m.Person.__table__

        await self._upsert(table, (
            _searchable({"mobile": r["mobile"], "name": r["name"], "role": r["role"]})
            for r in self.rows("person")), ["mobile"])
        needed = self.spool.count("holding") or self.spool.count("enterprise_member")
        self.person_ids = (await self._ids(table.c.mobile, table.c.id, table.c.mobile.is_not(None),
                                           key=mobile_key)) if needed else {}

    async def _holdings(self) -> None:
        await self._upsert(m.Holding.__table__, (
            {"post_id": self.post_ids[r["post"]], "person_id": self.person_ids[mobile_key(r["mobile"])],
             "kind": r["kind"], "start_date": r["start"], "end_date": r["end"]}
            for r in self.rows("holding")), ["post_id", "person_id", "start_date"])

    async def _enterprises(self) -> None:
        table = m.Enterprise.__table__

        await self._upsert(table, (
            _searchable({"credit_code": r["credit_code"], "name": r["name"], "industry": r["industry"],
                         "scale": r["scale"], "registered_capital": r["registered_capital"],
                         "region_id": self.unit_ids.get(r["region"]) if r["region"] else None,
                         "region_path": division_path(r["region"]) if r["region"] else None,
                         "tags": ",".join(r["tags"])})
            for r in self.rows("enterprise")), ["credit_code"])
        self.enterprise_ids = await self._ids(table.c.credit_code, table.c.id)

    async def _enterprise_members(self) -> None:
        await self._upsert(m.EnterpriseMember.__table__, (
            {"enterprise_id": self.enterprise_ids[r["credit_code"]],
             "person_id": self.person_ids[mobile_key(r["mobile"])], "member_role": r["role"]}
            for r in self.rows("enterprise_member")), ["enterprise_id", "person_id"])

    async def _virtual_orgs(self) -> None:
        vo_table, group_table = m.VirtualOrg.__table__, m.VirtualGroup.__table__
        await self._upsert(vo_table, (
            {"code": r["code"], "name": r["name"], "owner_department_id": self.dept_ids[r["owner"]]}
            for r in self.rows("virtual_org")), ["code"])
        vo_ids = await self._ids(vo_table.c.code, vo_table.c.id)
        groups = list(self.rows("virtual_group"))  # hundreds per province
        await self._upsert(group_table, [
            {"code": r["code"], "name": r["name"], "virtual_org_id": vo_ids[r["virtual_org"]],
             "parent_id": None, "path": "/"} for r in groups], ["code"])
        group_ids = await self._ids(group_table.c.code, group_table.c.id)
        await self._set_parents(group_table, "parent_id", [
            {"b_id": group_ids[r["code"]], "b_parent": group_ids[r["parent"]]}
            for r in groups if r["parent"]])
        await self._recompute_group_paths({vo_ids[r["virtual_org"]] for r in groups})
        await self._upsert(m.VirtualMembership.__table__, (
            {"virtual_org_id": vo_ids[r["virtual_org"]],
             "enterprise_id": self.enterprise_ids[r["credit_code"]],
             "group_id": group_ids[r["group"]],
             "officer_post_id": self.post_ids[r["officer"]] if r["officer"] else None}
            for r in self.rows("virtual_member")), ["virtual_org_id", "enterprise_id"])

    async def _recompute_group_paths(self, vo_ids: set[int]) -> None:
        if not vo_ids:
            return
        table = m.VirtualGroup.__table__
        result = await self.conn.execute(
            select(table.c.id, table.c.parent_id).where(table.c.virtual_org_id.in_(vo_ids)))
        parent = dict(result.all())
        paths: dict[int, str] = {}

        def path_of(ident: int) -> str:
            if ident not in paths:
                up = parent[ident]
                paths[ident] = (path_of(up) if up is not None else "/") + f"{ident}/"
            return paths[ident]

        pairs = [{"b_id": ident, "b_path": path_of(ident)} for ident in parent]
        stmt = update(table).where(table.c.id == bindparam("b_id")).values(path=bindparam("b_path"))
        for chunk in batches(pairs):
            await self.conn.execute(stmt, chunk)


def _searchable(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the search keys (full pinyin, initials) of its ``name``."""
    values["name_pinyin"], values["name_initials"] = search_keys(values["name"])
    return values


def batches(items: Iterable, size: int = BATCH) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
