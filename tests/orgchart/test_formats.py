"""Directory file formats: round trips through every format, and the files that are refused."""
from __future__ import annotations

import gzip
import json
import zipfile

import pytest

from orgchart.io.formats import (
    FIELDS,
    FORMAT_TAG,
    KIND_ORDER,
    FormatError,
    read_records,
    write_records,
)

RECORDS = [
    {"kind": "unit", "code": "330000000000", "name": "浙江省"},
    {"kind": "unit", "code": "330800000000", "name": "衢州市"},
    {"kind": "department", "code": "330800000000-SWJ", "name": "衢州市税务局", "type": "税务局",
     "unit": "330800000000"},
    {"kind": "post", "code": "330800000000-SWJ-01", "title": "局长", "unit": "330800000000",
     "department": "330800000000-SWJ", "duties": ["税务专管员", "河长"], "serves_enterprises": True},
    {"kind": "post", "code": "330800000000-SWJ-02", "title": "副局长, \"分管\"征管\n(兼)",
     "unit": "330800000000", "supervisor": "330800000000-SWJ-01", "serves_enterprises": False},
    {"kind": "person", "mobile": "13800000001", "name": "诸葛亮", "role": "official"},
    {"kind": "holding", "post": "330800000000-SWJ-01", "mobile": "13800000001", "type": "acting",
     "start": "2020-01-01", "end": "2021-03-01"},
    {"kind": "enterprise", "credit_code": "91330802MA2D9E9T1X", "name": "衢州𠮷祥科技有限公司",
     "industry": "制造业", "scale": "large", "registered_capital": 500000000,
     "region": "330800000000", "tags": ["规上工业", "高新技术企业"]},
    {"kind": "enterprise_member", "credit_code": "91330802MA2D9E9T1X", "mobile": "13800000001",
     "role": "legal_representative"},
    {"kind": "virtual_org", "code": "VO", "name": "纳税人", "owner": "330800000000-SWJ"},
    {"kind": "virtual_group", "code": "VO-ZD", "name": "重点税源企业", "virtual_org": "VO"},
    {"kind": "virtual_group", "code": "VO-ZD-QH", "name": "千户集团", "virtual_org": "VO",
     "parent": "VO-ZD"},
    {"kind": "virtual_member", "virtual_org": "VO", "credit_code": "91330802MA2D9E9T1X",
     "group": "VO-ZD-QH", "officer": "330800000000-SWJ-01"},
]


def as_csv(record: dict) -> dict:
    """What a record becomes through CSV: strings, ``true``/``false``, empty values absent."""
    out = {}
    for key, value in record.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, list):
            out[key] = [str(item) for item in value]
        else:
            out[key] = str(value)
    return out


def canonical(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def records_of(path) -> list[dict]:
    return [record for _location, record in read_records(path)]


@pytest.mark.parametrize("name", ["dir.json", "dir.jsonl", "dir.jsonl.gz"])
def test_json_formats_round_trip(tmp_path, name):
    counts = write_records(iter(RECORDS), tmp_path / name)
    assert counts == {kind: sum(r["kind"] == kind for r in RECORDS) for kind in KIND_ORDER}
    assert records_of(tmp_path / name) == RECORDS


def test_json_document_shape(tmp_path):
    write_records(RECORDS, tmp_path / "dir.json")
    document = json.loads((tmp_path / "dir.json").read_text(encoding="utf-8"))
    assert document["format"] == FORMAT_TAG
    assert document["units"][1] == {"code": "330800000000", "name": "衢州市"}
    assert document["virtual_members"][0]["group"] == "VO-ZD-QH"
    assert list(document)[1:] == ["units", "departments", "posts", "people", "holdings",
                                  "enterprises", "enterprise_members", "virtual_orgs",
                                  "virtual_groups", "virtual_members"]
    assert "诸葛亮" in (tmp_path / "dir.json").read_text(encoding="utf-8")  # not \\u-escaped


@pytest.mark.parametrize("name", ["csv", "csv/", "dir.zip"])
def test_csv_formats_round_trip_in_any_order(tmp_path, name):
    shuffled = RECORDS[::-1]  # kinds interleaved and reversed: CSV writing must not rely on order
    counts = write_records(shuffled, f"{tmp_path}/{name}")
    assert counts["post"] == 2 and counts["virtual_group"] == 2
    got = records_of(tmp_path / name.rstrip("/"))
    assert sorted(map(canonical, got)) == sorted(canonical(as_csv(r)) for r in RECORDS)
    assert [r["kind"] for r in got] == sorted((r["kind"] for r in got), key=KIND_ORDER.index)


def test_csv_files_and_locations(tmp_path):
    write_records(RECORDS, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{plural}.csv" for plural in ["units", "departments", "posts", "people", "holdings",
                                       "enterprises", "enterprise_members", "virtual_orgs",
                                       "virtual_groups", "virtual_members"])
    posts = (tmp_path / "out" / "posts.csv").read_text(encoding="utf-8").splitlines()
    assert posts[0] == ",".join(FIELDS["post"])
    assert posts[1].endswith(",税务专管员|河长,,true")
    located = list(read_records(tmp_path / "out"))
    assert located[0][0] == "units.csv:2"
    # the second post's title spans lines 3 and 4: it is reported where it starts
    assert [loc for loc, r in located if r["kind"] == "post"] == ["posts.csv:2", "posts.csv:3"]


def test_csv_reading_is_forgiving_where_it_is_safe(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "posts.csv").write_text(
        "\ufeffunit, code ,title,duties,\n"
        "330800000000,P1, 局长 , 河长 | |网格员 ,\n"
        ",,,,\n"
        "\n"
        "330800000000,P2,科员,,\n", encoding="utf-8")
    (folder / "README.txt").write_text("not data", encoding="utf-8")
    assert list(read_records(folder)) == [
        ("posts.csv:2", {"kind": "post", "unit": "330800000000", "code": "P1", "title": "局长",
                         "duties": ["河长", "网格员"]}),
        ("posts.csv:5", {"kind": "post", "unit": "330800000000", "code": "P2", "title": "科员"}),
    ]
    assert list(read_records(folder / "posts.csv"))[1][0] == "posts.csv:5"


def test_zip_with_a_folder_inside(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("导出/units.csv", "code,name\n330000000000,浙江省\n")
        zf.writestr("导出/people.csv", "mobile,name\n13800000001,张三\n")
        zf.writestr("导出/说明.txt", "README")
    assert list(read_records(archive)) == [
        ("units.csv:2", {"kind": "unit", "code": "330000000000", "name": "浙江省"}),
        ("people.csv:2", {"kind": "person", "mobile": "13800000001", "name": "张三"}),
    ]


def test_json_locations(tmp_path):
    (tmp_path / "d.json").write_text(json.dumps({"people": [{"mobile": "1"}, {"mobile": "2"}],
                                                 "units": [{"code": "x"}]}), encoding="utf-8")
    assert [loc for loc, _r in read_records(tmp_path / "d.json")] == ["people[0]", "people[1]",
                                                                       "units[0]"]  # file order
    (tmp_path / "d.jsonl").write_text('{"kind":"unit","code":"a"}\n\n{"kind":"unit","code":"b"}\n',
                                      encoding="utf-8")
    assert [loc for loc, _r in read_records(tmp_path / "d.jsonl")] == ["d.jsonl:1", "d.jsonl:3"]


def test_jsonl_is_read_as_a_stream(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text('{"kind":"unit","code":"a"}\n{"kind":"unit","code":"b"}\nnot json\n',
                    encoding="utf-8")
    records = read_records(path)
    assert next(records)[1]["code"] == "a"  # yielded before the bad line was read
    assert next(records)[1]["code"] == "b"
    with pytest.raises(FormatError) as caught:
        next(records)
    assert caught.value.location == "big.jsonl:3"


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 20])
def test_a_json_document_is_read_as_a_stream(tmp_path, monkeypatch, chunk):
    from orgchart.io import json_stream

    monkeypatch.setattr(json_stream, "CHUNK", chunk)  # records and numbers cut by the window
    records = [{"kind": "unit", "code": f"33{n:010d}", "name": f"单位{n}"} for n in range(50)]
    records.append({"kind": "enterprise", "credit_code": "x", "registered_capital": 1234567890})
    write_records(records, tmp_path / "d.json")
    assert [record for _loc, record in read_records(tmp_path / "d.json")] == records
    path = tmp_path / "bad.json"
    path.write_text('{"format": "zhengding-directory/1",\n"units": [\n {"code": "a"},\n'
                    ' {"code": "b"},\n {"code": "c",, },\n {"code": "d"}]}\n', encoding="utf-8")
    stream = read_records(path)
    assert [next(stream)[1]["code"], next(stream)[1]["code"]] == ["a", "b"]  # before the bad one
    with pytest.raises(FormatError) as caught:
        next(stream)
    assert caught.value.location == "bad.json:5" and "不是合法的 JSON" in caught.value.message


# --- refused files ------------------------------------------------------------------------------

BAD_FILES = [
    ("d.json", '{"units": [', "d.json:1", "不是合法的 JSON"),
    ("d.json", "[]", "d.json", "顶层应为对象"),
    ("d.json", '{"format": "other/2"}', "d.json", "不支持的格式"),
    ("d.json", '{"unit": []}', "d.json", "未知的记录数组 unit"),
    ("d.json", '{"units": {}}', "units", "应为数组"),
    ("d.json", '{"units": [{"code": "1"}, 3]}', "units[1]", "JSON 对象"),
    ("d.json", '{"units": [{"code": "1"} {"code": "2"}]}', "d.json:1", "不是合法的 JSON"),
    ("d.json", '{"units": []}\n\n{', "d.json:3", "不是合法的 JSON"),
    ("d.json", '', "d.json:1", "不是合法的 JSON"),
    ("d.json", '{"holdings": [{"kind": "acting"}]}', "holdings[0]", "type"),
    ("d.jsonl", '{"kind": "unit"}\n{"kind": "units"}\n', "d.jsonl:2", "未知的记录类型"),
    ("d.jsonl", '{"kind": ["unit"]}\n', "d.jsonl:1", "未知的记录类型"),
    ("d.jsonl", '{"code": "1"}\n', "d.jsonl:1", "未知的记录类型"),
    ("d.jsonl", '["unit"]\n', "d.jsonl:1", "JSON 对象"),
    ("d.jsonl", '{"kind": "unit"}\n{"kind": \n', "d.jsonl:2", "不是合法的 JSON"),
    ("units.csv", "", "units.csv:1", "没有表头"),
    ("units.csv", ",,\n1,2,3\n", "units.csv:1", "没有表头"),
    ("units.csv", "code,nmae\n", "units.csv:1", "'nmae' 不是 unit 的字段"),
    ("units.csv", "code,name,code\n", "units.csv:1", "出现了两次"),
    ("units.csv", "code,name\n1,a\n2,b,extra\n", "units.csv:3", "第 3 列没有表头"),
    ("units.csv", 'code,name\n1,"a\n', "units.csv:2", "CSV 格式错误"),
    ("unit.csv", "code,name\n", "unit.csv", "未知的 CSV 文件名"),
    ("d.txt", "x", "d.txt", "无法从文件名判断格式"),
]


@pytest.mark.parametrize(("name", "content", "location", "message"), BAD_FILES)
def test_refused_files_name_the_location(tmp_path, name, content, location, message):
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(FormatError) as caught:
        list(read_records(tmp_path / name))
    assert caught.value.location == location
    assert message in caught.value.message
    assert str(caught.value).startswith(location + ": ")


def test_refused_folders_and_archives(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "units.csv").write_text("code,name\n1,a\n", encoding="utf-8")
    (folder / "persons.csv").write_text("mobile,name\n", encoding="utf-8")
    with pytest.raises(FormatError, match="persons.csv: 未知的 CSV 文件名"):
        list(read_records(folder))
    (tmp_path / "bad.zip").write_bytes(b"PK not really")
    with pytest.raises(FormatError, match="不是合法的 zip"):
        list(read_records(tmp_path / "bad.zip"))
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as zf:
        zf.writestr("a/units.csv", "code,name\n")
        zf.writestr("b/people.csv", "mobile,name\n")
    with pytest.raises(FormatError, match="同一个目录"):
        list(read_records(tmp_path / "two.zip"))
    (tmp_path / "bad.jsonl.gz").write_bytes(gzip.compress(b'{"kind":"unit"}\n')[:-8])
    with pytest.raises(FormatError, match="bad.jsonl.gz"):
        list(read_records(tmp_path / "bad.jsonl.gz"))
    (tmp_path / "latin.jsonl").write_bytes('{"kind":"unit","name":"é"}\n'.encode("latin-1"))
    with pytest.raises(FormatError, match="latin.jsonl:1: 文件不是 UTF-8"):
        list(read_records(tmp_path / "latin.jsonl"))
    with pytest.raises(FileNotFoundError):
        list(read_records(tmp_path / "missing.jsonl"))


@pytest.mark.parametrize("name", ["out.json", "out.jsonl", "out", "out.zip"])
def test_refused_records_leave_no_file(tmp_path, name):
    def records():
        yield RECORDS[0]
        yield {"kind": "unit", "code": "1", "nmae": "typo"}

    with pytest.raises(FormatError, match="#2: unit 没有字段 nmae"):
        write_records(records(), tmp_path / name)
    left = list(tmp_path.rglob("*"))
    assert left in ([], [tmp_path / "out"])  # at most the (empty) folder of a CSV export


def test_refused_records(tmp_path):
    with pytest.raises(FormatError, match="#1: 未知的记录类型"):
        write_records([{"kind": "units"}], tmp_path / "a.jsonl")
    with pytest.raises(FormatError, match="含有分隔符"):
        write_records([{"kind": "post", "code": "P", "duties": ["a|b"]}], tmp_path / "csv")
    with pytest.raises(FormatError, match="无法从文件名判断格式"):
        write_records([], tmp_path / "out.csv")


def test_writing_replaces_an_older_export(tmp_path):
    write_records(RECORDS, tmp_path / "out")
    write_records(RECORDS[:1], tmp_path / "out")
    posts = (tmp_path / "out" / "posts.csv").read_text(encoding="utf-8")
    assert posts == ",".join(FIELDS["post"]) + "\n"
    assert records_of(tmp_path / "out") == [RECORDS[0]]
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
