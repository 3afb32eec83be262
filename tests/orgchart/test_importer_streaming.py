"""The streamed importer on SQLite and PostgreSQL: a bad row anywhere — the very last one of a
file too — writes nothing; records in any order; repeats found however keys hash; progress shown
before the first record is read."""
from __future__ import annotations

import json
import tracemalloc
from collections import Counter

import pytest
from sqlalchemy import func, select

from orgchart import models as m
from orgchart.io import importer_check, importer_spool
from orgchart.io.formats import write_records
from orgchart.io.generate import generate_records, mobile
from orgchart.io.importer import import_file, import_records
from tests.orgchart.sample import sample_records, table_counts


@pytest.fixture(scope="module")
def city() -> list[dict]:
    return list(generate_records("city"))


@pytest.fixture(autouse=True)
def spool_on_disk(monkeypatch):
    """Spool files leave memory after 64 KiB, so the city takes the province's path to disk."""
    monkeypatch.setattr(importer_spool, "IN_MEMORY", 64 * 1024)


def _first(city: list[dict], kind: str) -> tuple[int, dict]:
    """The 1-based line of the first ``kind`` record in the city file, and the record."""
    return next((line, record) for line, record in enumerate(city, start=1) if record["kind"] == kind)


def _bad_last_rows(city: list[dict]) -> dict[str, tuple[dict, str, str]]:
    """Per case: the row appended at the end, the reason reported, and text its message has."""
    person_line, person = _first(city, "person")
    holding_line, holding = _first(city, "holding")
    return {
        "bad mobile": ({"kind": "person", "mobile": "12345", "name": "坏号码"}, "bad mobile", "12345"),
        "repeats the first person": ({**person, "name": "重复"}, "duplicate mobile",
                                     f"city.jsonl:{person_line}"),
        "repeats the first holding": (dict(holding), "duplicate", f"city.jsonl:{holding_line}"),
        "unknown post": ({**holding, "post": "NO-SUCH-POST"}, "unknown reference", "NO-SUCH-POST"),
    }


@pytest.mark.parametrize("case", ["bad mobile", "repeats the first person",
                                  "repeats the first holding", "unknown post"])
async def test_a_bad_last_row_of_a_large_file_writes_nothing(sessions, city, tmp_path, case):
    bad, reason, mentioned = _bad_last_rows(city)[case]
    path = tmp_path / "city.jsonl"
    write_records([*city, bad], path)
    report = await import_file(sessions, path)
    assert [(error.location, error.reason) for error in report.errors] == [
        (f"city.jsonl:{len(city) + 1}", reason)]
    assert mentioned in report.errors[0].message
    assert all(count == 0 for count in (await table_counts(sessions)).values())


@pytest.mark.parametrize("name", ["city.json", "city.jsonl.gz", "city.zip", "city"])
async def test_a_bad_last_holding_writes_nothing_in_any_format(sessions, city, tmp_path, name):
    _line, holding = _first(city, "holding")
    write_records([*city, {**holding, "post": "NO-SUCH-POST"}], tmp_path / name)
    holdings = sum(1 for record in city if record["kind"] == "holding")
    expected = {"city.json": f"holdings[{holdings}]", "city.jsonl.gz": f"city.jsonl.gz:{len(city) + 1}",
                "city.zip": f"holdings.csv:{holdings + 2}", "city": f"holdings.csv:{holdings + 2}"}
    report = await import_file(sessions, tmp_path / name)
    assert [(e.location, e.reason) for e in report.errors] == [(expected[name], "unknown reference")]
    assert all(count == 0 for count in (await table_counts(sessions)).values())


async def test_records_in_reverse_order_import_like_in_order(sessions, city, tmp_path):
    path = tmp_path / "reversed.jsonl"
    write_records(reversed(city), path)  # every reference points forward, to a later line
    report = await import_file(sessions, path)
    assert report.ok, report.errors[:5]
    assert report.counts == dict(Counter(record["kind"] for record in city))
    counts = await table_counts(sessions)
    assert counts["people"] == report.counts["person"]
    assert counts["holdings"] == report.counts["holding"]
    assert counts["post_duties"] == sum(len(r.get("duties", ())) for r in city if r["kind"] == "post")
    async with sessions() as session:  # the self-references, set in the second pass
        supervised = await session.scalar(
            select(func.count()).select_from(m.Post).where(m.Post.supervisor_id.is_not(None)))
        nested = await session.scalar(
            select(func.count()).select_from(m.VirtualGroup).where(m.VirtualGroup.parent_id.is_not(None)))
    assert supervised == sum(1 for r in city if r["kind"] == "post" and r.get("supervisor"))
    assert nested == sum(1 for r in city if r["kind"] == "virtual_group" and r.get("parent"))


async def test_only_true_repeats_are_reported_when_every_key_hashes_alike(sessions, monkeypatch):
    monkeypatch.setattr(importer_check, "_digest", lambda key: 0)  # every key "seen before"
    records = sample_records()
    report = await import_records(sessions, [*records, dict(records[-1])])
    assert [(e.location, e.reason) for e in report.errors] == [(f"#{len(records) + 1}", "duplicate")]
    assert f"与 #{len(records)} 重复" in report.errors[0].message
    report = await import_records(sessions, records)
    assert report.ok, report.errors
    assert report.counts == dict(Counter(record["kind"] for record in records))


async def test_progress_shows_before_the_first_record_is_read(sessions, capsys):
    seen_before_first: list[str] = []

    def records():
        seen_before_first.append(capsys.readouterr().err)
        yield from sample_records()

    assert (await import_records(sessions, records(), progress=True)).ok
    assert "读取并校验" in seen_before_first[0]
    after = capsys.readouterr().err
    assert "检查引用" in after and "写入" in after


async def test_a_file_shows_how_much_of_it_is_read(sessions, city, tmp_path, capsys):
    path = tmp_path / "city.jsonl"
    write_records(city, path)
    assert (await import_file(sessions, path, progress=True)).ok
    err = capsys.readouterr().err
    reading = [line for line in err.replace("\r", "\n").splitlines() if "读取并校验" in line]
    assert reading and "100%" in reading[-1], reading  # the bar knew the file's size in bytes
    assert "B/s" in reading[-1], reading[-1]


async def test_memory_stays_flat_however_long_the_file(sessions, tmp_path):
    """20,000 people: the importer that held every row peaked at 22 MB of Python objects here
    (about 1 KB a row); streamed it stays near 7 MB, whatever the count (40,000: the same)."""
    path = tmp_path / "people.jsonl"
    write_records(({"kind": "person", "mobile": mobile(n), "name": "张伟"} for n in range(20_000)),
                  path)
    tracemalloc.start()
    try:
        report = await import_file(sessions, path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.ok and report.counts == {"person": 20_000}
    assert peak < 12 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_the_spool_gives_rows_back_in_order_from_disk(tmp_path):
    import datetime as dt

    with importer_spool.Spool() as spool:
        for number in range(10_000):  # several chunks, past the in-memory limit
            spool.add("holding", f"f:{number}", {"post": f"P{number}", "start": dt.date(2024, 1, 1),
                                                  "end": None if number % 2 else dt.date(2025, 1, 1)})
        spool.add("unit", "f:x", {"code": "330000000000", "name": "浙江省"})
        first = list(spool.rows("holding"))
        again = spool.rows("holding")
        assert next(again)[0] == "f:0"
        assert list(spool.rows("unit")) == [("f:x", {"code": "330000000000", "name": "浙江省"})]
        assert len(list(again)) == 9_999  # a reader interleaved with another keeps its place
    assert [loc for loc, _row in first] == [f"f:{n}" for n in range(10_000)]
    assert first[0][1] == {"post": "P0", "start": dt.date(2024, 1, 1), "end": dt.date(2025, 1, 1)}
    assert first[1][1]["end"] is None
    assert json.dumps([row["post"] for _loc, row in first[:3]]) == '["P0", "P1", "P2"]'
