"""``zhengding org …`` and ``zhengding db …`` end to end, in-process, on SQLite and PostgreSQL."""
from __future__ import annotations

import json

from clients.cli.main import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_generate_import_resolve_search_export_round_trip(db_url, tmp_path, capsys):
    city = tmp_path / "city.jsonl"
    code, out, _ = run(capsys, "org", "generate", "--preset", "city", str(city))
    assert code == 0 and "unit" in out and city.stat().st_size > 0

    code, out, err = run(capsys, "--database-url", db_url, "org", "import", str(city))
    assert code == 0, err
    assert "导入完成" in out

    code, out, _ = run(capsys, "--database-url", db_url, "org", "resolve", "--json",
                       "dept:税务局 title:局长 level:county")
    answer = json.loads(out)
    assert answer["post_count"] >= 1 and not answer["empty"]
    assert all(item["title"] == "局长" for item in answer["items"])

    code, out, _ = run(capsys, "--database-url", db_url, "org", "resolve", "duty:不存在的职责")
    assert code == 0 and "没有匹配" in out

    code, _, err = run(capsys, "--database-url", db_url, "org", "resolve", "duty:(河长")
    assert code == 2 and "第" in err and "字符" in err  # names the position

    code, out, _ = run(capsys, "--database-url", db_url, "org", "search", "--json", "qzs")
    hits = json.loads(out)
    assert any(hit.get("name") == "衢州市" for hit in hits)
    code, out, _ = run(capsys, "--database-url", db_url, "org", "search", "qzs")
    assert code == 0 and "  [单位] 330800000000 衢州市 (市级)" in out.splitlines(), out
    code, out, _ = run(capsys, "--database-url", db_url, "org", "search", "--kind", "post", "局长")
    lines = out.splitlines()
    assert lines and all(line.startswith("  [岗位] ") and " 局长: " in line for line in lines), out
    # the same line as resolve prints for the same post
    code, resolved, _ = run(capsys, "--database-url", db_url, "org", "resolve", "--limit", "500", "title:局长")
    assert set(lines) <= set(resolved.splitlines()), (lines, resolved)
    holder = next(line.split(": ")[1].split("、")[0] for line in lines if not line.endswith("空缺"))
    code, out, _ = run(capsys, "--database-url", db_url, "org", "search", "--kind", "person", holder)
    assert any(line.startswith(f"  [人员] {holder} 1") and "局长" in line for line in out.splitlines()), out
    code, out, err = run(capsys, "--database-url", db_url, "org", "search", "没有这个单位")
    assert code == 0 and out == "没有找到匹配的结果\n"

    exported = tmp_path / "export"
    code, out, _ = run(capsys, "--database-url", db_url, "org", "export", str(exported))
    assert code == 0 and (exported / "units.csv").exists()
    code, out, _ = run(capsys, "--database-url", db_url, "org", "import", str(exported))
    assert code == 0, out  # the export imports back cleanly


def test_bad_file_is_refused_row_by_row_and_writes_nothing(sqlite_url, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(json.dumps(record, ensure_ascii=False) for record in [
        {"kind": "unit", "code": "330000000000", "name": "浙江省"},
        {"kind": "unit", "code": "330002000000", "name": "跳级县"},
        {"kind": "enterprise", "credit_code": "91330100799655058A", "name": "坏企业"},
    ]) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "--database-url", sqlite_url, "org", "import", str(bad))
    assert code == 1
    assert "bad.jsonl:2" in err and "level skip" in err
    assert "bad.jsonl:3" in err and "invalid credit code" in err
    code, out, _ = run(capsys, "--database-url", sqlite_url, "org", "search", "--json", "zjs")
    assert json.loads(out) == []  # nothing was written, not even the valid province


def test_db_commands_migrate_up_and_down(sqlite_url, capsys):
    code, out, _ = run(capsys, "--database-url", sqlite_url, "db", "upgrade")
    assert code == 0 and "当前版本: base" not in out
    code, out, _ = run(capsys, "--database-url", sqlite_url, "db", "current")
    assert code == 0 and "base" not in out
    code, out, _ = run(capsys, "--database-url", sqlite_url, "db", "downgrade", "base")
    assert code == 0 and "base" in out
