"""The importer on SQLite and PostgreSQL: upserts keyed by codes, all-or-nothing, every bad row."""
from __future__ import annotations

import copy

from sqlalchemy import select

from orgchart import models as m
from orgchart.io.importer import import_records
from tests.orgchart import sample
from tests.orgchart.sample import sample_records
from tests.orgchart.sample import table_counts as _table_counts


async def test_import_writes_everything_with_derived_fields(sessions):
    report = await import_records(sessions, sample_records())
    assert report.ok, report.errors
    assert report.counts["unit"] == 7 and report.counts["holding"] == 6
    async with sessions() as session:
        village = await session.scalar(select(m.OrgUnit).where(m.OrgUnit.code == sample.VILLAGE_A))
        town = await session.scalar(select(m.OrgUnit).where(m.OrgUnit.code == sample.TOWN))
        assert (village.level, village.path, village.parent_id) == (5, "330802001001", town.id)
        city = await session.scalar(select(m.OrgUnit).where(m.OrgUnit.code == sample.CITY))
        assert (city.name_pinyin, city.name_initials) == ("quzhoushi", "qzs")
        post = await session.scalar(select(m.Post).where(m.Post.code == sample.TAX_KC + "-ZGY"))
        assert (post.unit_path, post.level, post.dept_type) == ("330802", 3, "税务局")
        boss = await session.scalar(select(m.Post).where(m.Post.code == sample.TAX_KC + "-JZ"))
        assert post.supervisor_id == boss.id
        duties = (await session.scalars(select(m.PostDuty.tag).where(
            m.PostDuty.post_id == (await session.scalar(
                select(m.Post.id).where(m.Post.code == sample.VILLAGE_A + "-SJ")))))).all()
        assert sorted(duties) == ["村党支部书记", "河长"]
        groups = {g.code: g for g in (await session.scalars(select(m.VirtualGroup))).all()}
        top, key, root = groups["KC-TOP"], groups["KC-KEY"], groups["KC-ALL"]
        assert top.path == f"/{root.id}/{key.id}/{top.id}/"
        person = await session.scalar(select(m.Person).where(m.Person.mobile == "13800000001"))
        assert person.password_hash is None and person.name_initials == "zs"
        enterprise = await session.scalar(
            select(m.Enterprise).where(m.Enterprise.credit_code == sample.ENTERPRISE_A))
        assert enterprise.registered_capital == 500_000_000
        assert enterprise.tags == "规上工业,高新技术企业"


async def test_import_is_idempotent_and_updates_in_place(sessions):
    assert (await import_records(sessions, sample_records())).ok
    before = await _table_counts(sessions)
    assert (await import_records(sessions, sample_records())).ok
    assert await _table_counts(sessions) == before

    changed = sample_records()
    for record in changed:
        if record.get("code") == sample.VILLAGE_A + "-SJ":
            record["title"] = "村党组织书记"
            record["duties"] = ["村党支部书记"]
        if record.get("code") == sample.TAX_KC + "-ZG":
            record["type"] = "税务分局"
    assert (await import_records(sessions, changed)).ok
    async with sessions() as session:
        post = await session.scalar(select(m.Post).where(m.Post.code == sample.VILLAGE_A + "-SJ"))
        assert post.title == "村党组织书记"
        tags = (await session.scalars(select(m.PostDuty.tag).where(m.PostDuty.post_id == post.id))).all()
        assert tags == ["村党支部书记"]
        moved = await session.scalar(select(m.Post).where(m.Post.code == sample.TAX_KC + "-ZGY"))
        assert moved.dept_type == "税务分局"  # the denormalised type follows its department
    assert (await _table_counts(sessions))["post_duties"] == before["post_duties"] - 1


async def test_a_later_file_may_refer_to_what_the_database_holds(sessions):
    assert (await import_records(sessions, sample_records())).ok
    addition = [
        {"kind": "unit", "code": "330802001003", "name": "新村"},
        {"kind": "post", "code": "330802001003-SJ", "title": "村党支部书记", "unit": "330802001003",
         "duties": ["村党支部书记"], "supervisor": sample.TOWN + "-SJ"},
        {"kind": "holding", "post": "330802001003-SJ", "mobile": "13800000005", "start": "2025-01-01",
         "type": "acting"},
    ]
    report = await import_records(sessions, addition)
    assert report.ok, report.errors
    async with sessions() as session:
        holding = await session.scalar(select(m.Holding).join(m.Post).where(
            m.Post.code == "330802001003-SJ"))
        assert holding.kind == "acting"


async def test_bad_rows_are_all_reported_and_nothing_is_written(sessions):
    records = sample_records() + [
        {"kind": "unit", "code": "3308", "name": "坏代码"},                       # bad code
        {"kind": "unit", "code": "330002000000", "name": "跳级县"},               # level skip
        {"kind": "unit", "code": "340100000000", "name": "无上级"},               # unknown parent
        {"kind": "person", "mobile": "13800000001", "name": "重复"},              # duplicate mobile
        {"kind": "person", "mobile": "12345", "name": "坏号码"},                   # bad mobile
        {"kind": "enterprise", "credit_code": "91330100799655058A", "name": "坏企业"},  # check digit
        {"kind": "enterprise", "credit_code": "91330100I99655058B", "name": "坏字符"},  # illegal char
        {"kind": "department", "code": "D1", "name": "甲", "type": "办", "unit": sample.CITY,
         "parent": "D2"},
        {"kind": "department", "code": "D2", "name": "乙", "type": "办", "unit": sample.CITY,
         "parent": "D1"},                                                         # cycle D1<->D2
        {"kind": "holding", "post": "NO-SUCH-POST", "mobile": "13800000001", "start": "2024-01-01"},
        {"kind": "holding", "post": sample.TAX_KC + "-JZ", "mobile": "13800000003",
         "start": "2024-13-01"},                                                  # bad date
        {"kind": "nonsense", "code": "x"},
    ]
    report = await import_records(sessions, records)
    assert not report.ok
    reasons = [(error.location, error.reason) for error in report.errors]
    base = len(sample_records())
    expected = [
        (f"#{base + 1}", "bad code"), (f"#{base + 2}", "level skip"), (f"#{base + 3}", "unknown parent"),
        (f"#{base + 4}", "duplicate mobile"), (f"#{base + 5}", "bad mobile"),
        (f"#{base + 6}", "invalid credit code"), (f"#{base + 7}", "invalid credit code"),
        (f"#{base + 8}", "cycle"), (f"#{base + 9}", "cycle"),
        (f"#{base + 10}", "unknown reference"), (f"#{base + 11}", "bad date"),
        (f"#{base + 12}", "bad value"),
    ]
    assert reasons == expected
    messages = {error.location: error.message for error in report.errors}
    assert "第 18 位应为 B" in messages[f"#{base + 6}"]
    assert "第 9 位" in messages[f"#{base + 7}"]
    assert "跳级" in messages[f"#{base + 2}"]
    assert all(count == 0 for count in (await _table_counts(sessions)).values())


async def test_supervisor_cycle_and_cross_unit_department_are_refused(sessions):
    assert (await import_records(sessions, sample_records())).ok
    records = copy.deepcopy(sample_records())
    for record in records:
        if record.get("code") == sample.TAX_KC + "-JZ":
            record["supervisor"] = sample.TAX_KC + "-ZGY"  # ZGY is supervised by JZ already
        if record.get("code") == sample.QUJIANG + "-SWJ-JZ":
            record["department"] = sample.TAX_KC  # a department of another unit
    report = await import_records(sessions, records)
    assert sorted(error.reason for error in report.errors) == ["bad value", "cycle", "cycle"]


async def test_large_imports_refresh_the_planner_statistics(sessions, monkeypatch):
    from sqlalchemy import text

    from orgchart.io import importer

    monkeypatch.setattr(importer, "ANALYZE_AFTER_ROWS", 1)  # the sample counts as large here
    assert (await import_records(sessions, sample_records())).ok
    async with sessions() as session:
        if session.bind.dialect.name == "sqlite":
            analysed = await session.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'holdings'"))
        else:
            analysed = await session.scalar(text(
                "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'holdings' "
                "AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL"))
    assert analysed >= 1
