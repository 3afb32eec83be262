"""``zhengding org alias …`` end to end, in-process, on SQLite and PostgreSQL."""
from __future__ import annotations

from tests.clients.test_org_commands import run


def test_list_set_import_and_remove_aliases(db_url, tmp_path, capsys):
    db = ("--database-url", db_url)
    code, out, _ = run(capsys, *db, "org", "alias", "list")
    assert code == 0 and "村支书 → 村党支部书记" in out.splitlines()  # seeded by the migration

    code, out, _ = run(capsys, *db, "org", "alias", "set", "河道长", "河长")
    assert (code, out) == (0, "已设置: 河道长 → 河长\n")
    code, out, _ = run(capsys, *db, "org", "alias", "list")
    assert "河道长 → 河长" in out.splitlines()

    csv = tmp_path / "aliases.csv"
    csv.write_text("别名,职责\n书记们,村党支部书记\n书记们,社区党组织书记\n", encoding="utf-8")
    code, out, _ = run(capsys, *db, "org", "alias", "import", str(csv))
    assert (code, out) == (0, "已导入 1 个别名\n")
    code, out, _ = run(capsys, *db, "org", "alias", "list")
    assert "书记们 → 村党支部书记、社区党组织书记" in out.splitlines()

    bad = tmp_path / "bad.csv"
    bad.write_text("好的,河长\n有 空格,河长\n", encoding="utf-8")
    code, _, err = run(capsys, *db, "org", "alias", "import", str(bad))
    assert code == 1 and err.startswith("第 2 行: 别名 '有 空格' 不能含空格")
    code, out, _ = run(capsys, *db, "org", "alias", "list")
    assert "好的 → 河长" not in out.splitlines()  # a bad row anywhere writes nothing

    code, out, _ = run(capsys, *db, "org", "alias", "remove", "河道长")
    assert (code, out) == (0, "已删除别名 河道长\n")
    code, _, err = run(capsys, *db, "org", "alias", "remove", "河道长")
    assert code == 1 and "不存在" in err
    code, _, err = run(capsys, *db, "org", "alias", "import", str(tmp_path / "missing.csv"))
    assert code == 1 and err.startswith("无法读取")
