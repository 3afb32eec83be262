"""Exporter round trips and the demo directory, on SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from orgchart import models as m
from orgchart.io.demo import DEMO_ACCOUNTS, ensure_demo_directory
from orgchart.io.exporter import export_records
from orgchart.io.formats import KIND_ORDER, RecordWriter, read_records
from orgchart.io.generate import generate_records
from orgchart.io.importer import import_file, import_records
from orgchart.security import verify_password

DEFAULTS = {"person": {"role": "official"}, "holding": {"type": "primary"},
            "post": {"serves_enterprises": False}}
TABLES = (m.OrgUnit, m.Department, m.Post, m.PostDuty, m.Person, m.Holding, m.Enterprise,
          m.EnterpriseMember, m.VirtualOrg, m.VirtualGroup, m.VirtualMembership)


def normalised(records) -> list[str]:
    """Records compared by content: defaults filled in, lists as sets, numbers as numbers."""
    out = []
    for record in records:
        record = {**DEFAULTS.get(record["kind"], {}), **record}
        for field in ("duties", "tags"):
            if field in record:
                record[field] = sorted(set(record[field]))
        if "registered_capital" in record:
            record["registered_capital"] = int(record["registered_capital"])
        if isinstance(record.get("serves_enterprises"), str):
            record["serves_enterprises"] = record["serves_enterprises"] == "true"
        out.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
    return sorted(out)


async def export(sessions, **kwargs) -> list[dict]:
    return [record async for record in export_records(sessions, **kwargs)]


async def table_counts(sessions) -> dict[str, int]:
    async with sessions() as session:
        return {t.__tablename__: await session.scalar(select(func.count()).select_from(t))
                for t in TABLES}


async def test_export_reproduces_the_imported_directory(sessions):
    generated = list(generate_records("city"))
    report = await import_records(sessions, generated)
    assert report.ok, report.errors[:5]
    exported = await export(sessions, batch=50)  # pages smaller than every kind but units
    kinds = [record["kind"] for record in exported]
    assert kinds == sorted(kinds, key=KIND_ORDER.index)
    assert normalised(exported) == normalised(generated)
    assert await export(sessions) == exported  # paging does not change the result


async def test_export_then_import_changes_nothing(sessions):
    assert (await import_records(sessions, generate_records("city"))).ok
    exported = await export(sessions)
    before = await table_counts(sessions)
    report = await import_records(sessions, exported)
    assert report.ok, report.errors[:5]
    assert await table_counts(sessions) == before
    assert await export(sessions) == exported


@pytest.mark.parametrize("name", ["directory.json", "directory.zip"])
async def test_round_trip_through_a_file(sessions, tmp_path, name):
    assert (await import_records(sessions, generate_records("city"))).ok
    exported = await export(sessions)
    with RecordWriter(tmp_path / name) as writer:  # how a CLI streams an export to disk
        async for record in export_records(sessions):
            writer.write(record)
    assert writer.counts["post"] == sum(r["kind"] == "post" for r in exported)
    assert normalised(r for _loc, r in read_records(tmp_path / name)) == normalised(exported)
    report = await import_file(sessions, tmp_path / name)
    assert report.ok, report.errors[:5]
    assert await export(sessions) == exported


async def test_accounts_without_a_mobile_are_not_exported(sessions):
    assert (await import_records(sessions, [{"kind": "person", "mobile": "13800000001",
                                             "name": "张三"}])).ok
    async with sessions() as session, session.begin():
        session.add(m.Person(name="丁税宝", mobile=None, name_pinyin="dingshuibao",
                             name_initials="dsb", role="bot"))
    assert await export(sessions) == [
        {"kind": "person", "mobile": "13800000001", "name": "张三", "role": "official"}]


async def test_empty_directory_exports_nothing(sessions):
    assert await export(sessions) == []


async def test_demo_directory_loads_once_with_demo_passwords(sessions):
    assert await ensure_demo_directory(sessions) is True
    counts = await table_counts(sessions)
    assert counts["org_units"] > 30 and counts["virtual_memberships"] > 0
    assert await ensure_demo_directory(sessions) is False
    assert await table_counts(sessions) == counts
    async with sessions() as session:
        rows = (await session.execute(
            select(m.Person.mobile, m.Person.role, m.Person.password_hash)
            .where(m.Person.password_hash.is_not(None)))).all()
    accounts = {account.mobile: account for account in DEMO_ACCOUNTS}
    assert {row.mobile for row in rows} == set(accounts)  # nobody else has a password
    for row in rows:
        account = accounts[row.mobile]
        assert row.role == account.role
        assert row.password_hash.startswith("$argon2id$")
        assert verify_password(row.password_hash, account.password)


async def test_demo_directory_leaves_an_existing_directory_alone(sessions):
    assert (await import_records(sessions, [{"kind": "unit", "code": "330000000000",
                                             "name": "浙江省"}])).ok
    assert await ensure_demo_directory(sessions) is False
    assert (await table_counts(sessions))["people"] == 0
