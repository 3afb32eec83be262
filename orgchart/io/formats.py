"""Reading and writing directory files: a JSON document, JSON Lines, or CSV files (folder or zip).

The record shapes are the contract of ``docs/directory-format.md``. Reading yields
``(location, record)`` pairs where every record carries its singular ``kind``; CSV rows are
normalised to the JSON shape (list fields split on ``|``, empty cells dropped) and values stay
strings: validation and coercion belong to the importer, which reports every bad row. Only a
file that cannot be read as records at all raises :class:`FormatError`.

Both directions stream: a province (about three million records) never sits in memory here.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any, Self

from orgchart.io.json_stream import ARRAY, DocumentError, stream_document
from orgchart.io.meter import ByteMeter, ZipMemberPosition, open_text

__all__ = ["ByteMeter", "FormatError", "RecordWriter", "read_records", "write_records"]

FORMAT_TAG = "zhengding-directory/1"

#: (singular kind, plural name) in dependency order: each kind refers only to kinds before it.
KINDS: tuple[tuple[str, str], ...] = (
    ("unit", "units"),
    ("department", "departments"),
    ("post", "posts"),
    ("person", "people"),
    ("holding", "holdings"),
    ("enterprise", "enterprises"),
    ("enterprise_member", "enterprise_members"),
    ("virtual_org", "virtual_orgs"),
    ("virtual_group", "virtual_groups"),
    ("virtual_member", "virtual_members"),
)
KIND_ORDER = tuple(kind for kind, _plural in KINDS)
PLURAL = dict(KINDS)
SINGULAR = {plural: kind for kind, plural in KINDS}

#: The fields of each kind, in the column order of its CSV file.
FIELDS: dict[str, tuple[str, ...]] = {
    "unit": ("code", "name"),
    "department": ("code", "name", "type", "unit", "parent"),
    "post": ("code", "title", "unit", "department", "duties", "supervisor", "serves_enterprises"),
    "person": ("mobile", "name", "role"),
    "holding": ("post", "mobile", "type", "start", "end"),
    "enterprise": ("credit_code", "name", "industry", "scale", "registered_capital", "region",
                   "tags"),
    "enterprise_member": ("credit_code", "mobile", "role"),
    "virtual_org": ("code", "name", "owner"),
    "virtual_group": ("code", "name", "virtual_org", "parent"),
    "virtual_member": ("virtual_org", "credit_code", "group", "officer"),
}
_ALLOWED = {kind: frozenset(fields) | {"kind"} for kind, fields in FIELDS.items()}
#: Fields that are lists: JSON arrays, ``|``-separated in CSV.
LIST_FIELDS = frozenset({"duties", "tags"})
LIST_SEPARATOR = "|"
_COMPACT = (",", ":")


class FormatError(ValueError):
    """A file that cannot be read (or records that cannot be written) in a directory format."""

    def __init__(self, location: str, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


# --- reading ----------------------------------------------------------------------------------


def read_records(
    path: str | os.PathLike[str], meter: ByteMeter | None = None
) -> Iterator[tuple[str, dict]]:
    """Yield ``(location, record)`` for every record of the file or CSV folder at ``path``.

    ``.json`` is one document, ``.jsonl`` (or ``.jsonl.gz``) one record per line, ``.zip`` or a
    folder holds CSV files named after the kinds, and a single ``units.csv`` (etc.) is accepted
    too. Locations are ``units[3]`` (0-based array index), ``dir.jsonl:40`` or ``units.csv:12``
    (line numbers, the CSV header being line 1). A ``meter`` follows the bytes read (for a
    progress bar); its ``total`` is set before the first record.
    """
    source = Path(path)
    name = source.name.lower()
    meter = meter if meter is not None else ByteMeter()
    if source.is_dir():
        yield from _read_csv_folder(source, meter)
    elif name.endswith((".jsonl", ".jsonl.gz")):
        yield from _read_jsonl(source, meter)
    elif name.endswith(".json"):
        yield from _read_json(source, meter)
    elif name.endswith(".zip"):
        yield from _read_zip(source, meter)
    elif name.endswith(".csv"):
        kind = _csv_kind(source.name)
        meter.total = source.stat().st_size
        with open_text(source, meter, newline="") as stream:
            yield from _read_csv(source.name, kind, stream)
    elif not source.exists():
        raise FileNotFoundError(f"没有这个文件或目录: {path}")
    else:
        raise FormatError(source.name, "无法从文件名判断格式 (应为 .json、.jsonl、.jsonl.gz、.zip、"
                                       ".csv 或 CSV 文件所在的目录)")


def _read_json(source: Path, meter: ByteMeter) -> Iterator[tuple[str, dict]]:
    """A JSON document, streamed: one record at a time, in the document's order."""
    meter.total = source.stat().st_size
    try:
        with open_text(source, meter) as stream:
            for plural, index, item in stream_document(stream):
                if plural == "format":
                    if item != FORMAT_TAG:
                        raise FormatError(source.name, f"不支持的格式 {item!r}, 应为 {FORMAT_TAG!r}")
                    continue
                kind = SINGULAR.get(plural)
                if kind is None:
                    raise FormatError(source.name, f"未知的记录数组 {plural} "
                                                   f"(应为 {', '.join(SINGULAR)} 之一)")
                if index is None:
                    if item is ARRAY or item is None:  # null: as if absent
                        continue
                    raise FormatError(plural, f"{plural} 应为数组")
                location = f"{plural}[{index}]"
                if not isinstance(item, dict):
                    raise FormatError(location, "每条记录应为 JSON 对象")
                declared = item.get("kind", kind)
                if declared != kind:
                    raise FormatError(location, f"{plural} 中的记录 kind 应为 {kind!r}, 实际为 {declared!r}"
                                                + (" (任职类型请写在 type 字段)" if kind == "holding" else ""))
                yield location, {"kind": kind, **item}
    except DocumentError as exc:
        if exc.not_object:
            raise FormatError(source.name, "JSON 文档的顶层应为对象, 每种记录一个数组") from None
        raise FormatError(f"{source.name}:{exc.line}", f"不是合法的 JSON: {exc.message}") from None
    except UnicodeDecodeError:
        raise FormatError(source.name, "文件不是 UTF-8 编码") from None


def _read_jsonl(source: Path, meter: ByteMeter) -> Iterator[tuple[str, dict]]:
    meter.total = source.stat().st_size
    with open_text(source, meter) as stream:
        number = 0
        try:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                location = f"{source.name}:{number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise FormatError(location, f"不是合法的 JSON: {exc.msg}") from None
                if not isinstance(record, dict):
                    raise FormatError(location, "每行应为一个 JSON 对象")
                kind = record.get("kind")
                if not isinstance(kind, str) or kind not in FIELDS:
                    raise FormatError(location, f"未知的记录类型 kind={kind!r} "
                                                f"(应为 {', '.join(KIND_ORDER)} 之一)")
                yield location, record
        except UnicodeDecodeError:
            raise FormatError(f"{source.name}:{number + 1}", "文件不是 UTF-8 编码") from None
        except (OSError, EOFError) as exc:  # a truncated or corrupt .gz
            raise FormatError(f"{source.name}:{number + 1}", f"压缩文件已损坏: {exc}") from None


def _csv_kind(file_name: str) -> str:
    stem = file_name[:-4] if file_name.lower().endswith(".csv") else file_name
    kind = SINGULAR.get(stem)
    if kind is None:
        expected = ", ".join(plural + ".csv" for plural in SINGULAR)
        raise FormatError(file_name, f"未知的 CSV 文件名, 应为 {expected} 之一")
    return kind


def _ordered(named: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """CSV members ``{file name: handle}`` as (name, kind, handle) in dependency order."""
    kinds = {name: _csv_kind(name) for name in named}
    for name in sorted(named, key=lambda n: KIND_ORDER.index(kinds[n])):
        yield name, kinds[name], named[name]


def _read_csv_folder(folder: Path, meter: ByteMeter) -> Iterator[tuple[str, dict]]:
    files = {p.name: p for p in folder.iterdir()
             if p.is_file() and p.name.lower().endswith(".csv") and not p.name.startswith(".")}
    ordered = list(_ordered(files))
    meter.total = sum(file.stat().st_size for _name, _kind, file in ordered)
    for name, kind, file in ordered:
        with open_text(file, meter, newline="") as stream:
            yield from _read_csv(name, kind, stream)


def _read_zip(source: Path, meter: ByteMeter) -> Iterator[tuple[str, dict]]:
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        raise FormatError(source.name, "不是合法的 zip 文件") from None
    with archive:
        members: dict[str, zipfile.ZipInfo] = {}
        folders = set()
        for info in archive.infolist():
            member = PurePosixPath(info.filename)
            if info.is_dir() or member.name.startswith(".") or "__MACOSX" in member.parts:
                continue
            if not member.name.lower().endswith(".csv"):
                continue  # a README or the like next to the data is not an error
            if member.name in members:
                raise FormatError(f"{source.name}/{info.filename}", f"zip 中有两个 {member.name}")
            members[member.name] = info
            folders.add(member.parent)
        if len(folders) > 1:
            raise FormatError(source.name, "zip 中的 CSV 文件应在同一个目录下")
        ordered = list(_ordered(members))
        meter.total = sum(info.compress_size for _name, _kind, info in ordered)
        for name, kind, info in ordered:
            with archive.open(info) as raw:
                # The member's compressed bytes are read from the archive file in order.
                meter.start(ZipMemberPosition(archive, info), info.compress_size)
                stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                yield from _read_csv(name, kind, stream)
            meter.finish()


def _read_csv(name: str, kind: str, stream: IO[str]) -> Iterator[tuple[str, dict]]:
    reader = csv.reader(stream, strict=True)
    try:
        try:
            header = [cell.strip() for cell in next(reader)]
        except StopIteration:
            raise FormatError(f"{name}:1", "CSV 文件没有表头行") from None
        columns = _check_header(name, kind, header)
        while True:
            start = reader.line_num + 1  # a quoted cell may span lines: report where the row starts
            try:
                row = next(reader)
            except StopIteration:
                return
            location = f"{name}:{start}"
            record: dict[str, Any] = {"kind": kind}
            for index, cell in enumerate(row):
                value = cell.strip()
                if not value:
                    continue
                field = columns[index] if index < len(columns) else None
                if field is None:
                    raise FormatError(location, f"第 {index + 1} 列没有表头, 但有值 {value!r}")
                if field in LIST_FIELDS:
                    items = [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
                    if items:
                        record[field] = items
                else:
                    record[field] = value
            if len(record) > 1:  # rows of empty cells (spreadsheet leftovers) are not records
                yield location, record
    except csv.Error as exc:
        raise FormatError(f"{name}:{reader.line_num}", f"CSV 格式错误: {exc}") from None
    except UnicodeDecodeError:
        raise FormatError(f"{name}:{reader.line_num + 1}", "文件不是 UTF-8 编码") from None


def _check_header(name: str, kind: str, header: list[str]) -> list[str | None]:
    columns: list[str | None] = []
    for index, field in enumerate(header, start=1):
        if not field:
            columns.append(None)  # an unnamed column is allowed only while it stays empty
            continue
        if field not in FIELDS[kind]:
            raise FormatError(f"{name}:1", f"第 {index} 列 {field!r} 不是 {kind} 的字段 "
                                           f"(应为 {', '.join(FIELDS[kind])})")
        if field in columns:
            raise FormatError(f"{name}:1", f"列 {field!r} 出现了两次")
        columns.append(field)
    if not any(columns):
        raise FormatError(f"{name}:1", "CSV 文件没有表头行")
    return columns


# --- writing ----------------------------------------------------------------------------------


def write_records(records: Iterable[dict], path: str | os.PathLike[str]) -> dict[str, int]:
    """Write ``records`` to ``path``; the name chooses the format (see :class:`RecordWriter`)."""
    with RecordWriter(path) as writer:
        for record in records:
            writer.write(record)
    return writer.counts


class RecordWriter:
    """Writes records one at a time, e.g. as they arrive from an async exporter.

    ``.jsonl`` (``.jsonl.gz``) streams straight to the file; ``.json`` writes one document with
    the plural arrays and ``"format"``; ``.zip``, a path ending in ``/``, an existing folder or
    a name without suffix get one CSV file per kind (every kind, header-only when empty, so no
    stale file from an earlier export survives). Records may come in any order of kinds. Files
    appear only when the writer closes without error. ``counts`` has every kind, in order.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.target = _target(path)
        self.counts: dict[str, int] = dict.fromkeys(KIND_ORDER, 0)
        self._number = 0
        self._jsonl: IO[str] | None = None
        self._spools: dict[str, IO[str]] = {}
        self._csv: dict[str, Any] = {}
        self._temporary: list[Path] = []
        if self.target in {"jsonl", "jsonl.gz"}:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self._temporary_path(self.path)
            # Kept open across write() calls and closed by close() or abort().
            self._jsonl = (
                gzip.open(temporary, "wt", encoding="utf-8", compresslevel=3)  # noqa: SIM115
                if self.target == "jsonl.gz" else temporary.open("w", encoding="utf-8"))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def write(self, record: dict) -> None:
        self._number += 1
        kind = record.get("kind")
        if not isinstance(kind, str) or kind not in FIELDS:
            raise FormatError(f"#{self._number}", f"未知的记录类型 kind={kind!r}")
        extra = record.keys() - _ALLOWED[kind]
        if extra:
            raise FormatError(f"#{self._number}", f"{kind} 没有字段 {', '.join(sorted(extra))}")
        self.counts[kind] += 1
        if self._jsonl is not None:
            self._jsonl.write(json.dumps(record, ensure_ascii=False, separators=_COMPACT,
                                         default=_json_default))
            self._jsonl.write("\n")
        elif self.target == "json":
            body = {key: value for key, value in record.items() if key != "kind"}
            self._spool(kind).write(json.dumps(body, ensure_ascii=False, separators=_COMPACT,
                                                 default=_json_default))
            self._spool(kind).write("\n")
        else:
            self._csv_writer(kind).writerow(_csv_row(kind, record, self._number))

    def close(self) -> None:
        """Finish the file (or files) and move them into place."""
        if self._jsonl is not None:
            self._jsonl.close()
            os.replace(self._temporary[0], self.path)
        elif self.target == "json":
            self._write_document()
        elif self.target == "zip":
            self._write_zip()
        else:
            self._finish_csv_folder()
        self._temporary.clear()

    def abort(self) -> None:
        """Drop everything written so far; the target is left as it was."""
        for handle in [self._jsonl, *self._spools.values(), *(h for h, _w in self._csv.values())]:
            if handle is not None:
                handle.close()
        for temporary in self._temporary:
            temporary.unlink(missing_ok=True)
        self._temporary.clear()

    # -- helpers --

    def _temporary_path(self, final: Path) -> Path:
        temporary = final.with_name(f".{final.name}.partial")
        self._temporary.append(temporary)
        return temporary

    def _spool(self, kind: str) -> IO[str]:
        if kind not in self._spools:
            # Records of one kind may arrive interleaved with others: keep each kind on disk.
            self._spools[kind] = tempfile.TemporaryFile(  # noqa: SIM115 - closed by close()/abort()
                "w+", encoding="utf-8", newline="")
        return self._spools[kind]

    def _csv_writer(self, kind: str):
        if kind not in self._csv:
            if self.target == "zip":
                handle = self._spool(kind)
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                handle = self._temporary_path(self.path / f"{PLURAL[kind]}.csv").open(
                    "w", encoding="utf-8", newline="")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(FIELDS[kind])
            self._csv[kind] = (handle, writer)
        return self._csv[kind][1]

    def _write_document(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._temporary_path(self.path)
        with temporary.open("w", encoding="utf-8") as out:
            out.write(f'{{\n"format": {json.dumps(FORMAT_TAG)}')
            for kind, plural in KINDS:
                out.write(f',\n"{plural}": [')
                spool = self._spools.pop(kind, None)
                if spool is not None:
                    spool.seek(0)
                    for number, line in enumerate(spool):
                        out.write(("\n  " if number == 0 else ",\n  ") + line.rstrip("\n"))
                    spool.close()
                    out.write("\n")
                out.write("]")
            out.write("\n}\n")
        os.replace(temporary, self.path)

    def _write_zip(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for kind in KIND_ORDER:
            self._csv_writer(kind)  # header-only files for the kinds that had no record
        temporary = self._temporary_path(self.path)
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for kind in KIND_ORDER:
                spool, _writer = self._csv.pop(kind)
                spool.seek(0)
                with (archive.open(f"{PLURAL[kind]}.csv", "w", force_zip64=True) as member,
                      io.TextIOWrapper(member, encoding="utf-8", newline="") as text):
                    shutil.copyfileobj(spool, text)
                spool.close()
        os.replace(temporary, self.path)

    def _finish_csv_folder(self) -> None:
        for kind in KIND_ORDER:
            self._csv_writer(kind)
        for kind in KIND_ORDER:
            handle, _writer = self._csv.pop(kind)
            handle.close()
            final = self.path / f"{PLURAL[kind]}.csv"
            os.replace(final.with_name(f".{final.name}.partial"), final)


def _target(path: str | os.PathLike[str]) -> str:
    text = os.fspath(path)
    target = Path(text)
    name = target.name.lower()
    if text.endswith(("/", os.sep)) or target.is_dir():
        return "csv"
    for suffix in ("jsonl.gz", "jsonl", "json", "zip"):
        if name.endswith("." + suffix):
            return suffix
    if not target.suffix:
        return "csv"
    raise FormatError(target.name, "无法从文件名判断格式 (应为 .json、.jsonl、.jsonl.gz、.zip "
                                   "或一个目录)")


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):  # dates from the database
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _csv_row(kind: str, record: dict, number: int) -> list[str]:
    row = []
    for field in FIELDS[kind]:
        value = record.get(field)
        if value is None:
            row.append("")
        elif isinstance(value, bool):
            row.append("true" if value else "false")
        elif isinstance(value, (list, tuple)):
            if any(LIST_SEPARATOR in str(item) for item in value):
                raise FormatError(f"#{number}", f"{field} 的一项含有分隔符 '|', 无法写成 CSV")
            row.append(LIST_SEPARATOR.join(str(item) for item in value))
        elif hasattr(value, "isoformat"):
            row.append(value.isoformat())
        else:
            row.append(str(value))
    return row
