"""``zhengding org import|export|generate|resolve|search``: the directory from the shell.

Commands that touch the database apply pending migrations first, as ``serve`` does.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import time
from contextlib import asynccontextmanager

from clients.cli.common import settings_from
from orgchart.infra import migrate
from orgchart.infra.db import create_engine, session_maker


def register(commands) -> None:
    parser = commands.add_parser("org", help="the directory: import, export, generate, resolve, search")
    actions = parser.add_subparsers(dest="org_action", required=True, metavar="ACTION")

    p = actions.add_parser("import", help="import a directory file (JSON, JSON Lines, CSV dir or zip)")
    p.add_argument("file")
    p.set_defaults(run=_sync(import_command))

    p = actions.add_parser("export", help="export the whole directory to a file")
    p.add_argument("file", help="*.json, *.jsonl, *.zip or a directory for CSV files")
    p.set_defaults(run=_sync(export_command))

    p = actions.add_parser("generate", help="write a synthetic directory (city or province preset)")
    p.add_argument("file", help="output: *.json, *.jsonl, *.zip or a directory for CSV files")
    p.add_argument("--preset", choices=["city", "province"], default="city")
    p.add_argument("--seed", type=int, default=2020)
    p.set_defaults(run=generate_command)

    p = actions.add_parser("resolve", help="resolve a post selector (see docs/selectors.md)")
    p.add_argument("selector")
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--as-of", type=dt.date.fromisoformat, help="holders on this date (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true", help="print the JSON answer")
    p.set_defaults(run=_sync(resolve_command))

    p = actions.add_parser("search", help="search by name, full pinyin or initials")
    p.add_argument("query")
    p.add_argument("--kind", choices=["unit", "person", "post", "enterprise"])
    p.add_argument("--under", help="only below this unit code")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(run=_sync(search_command))


def _sync(command):
    return lambda args: asyncio.run(command(args))


@asynccontextmanager
async def _sessions(args: argparse.Namespace):
    engine = create_engine(settings_from(args).database_url)
    try:
        await migrate.upgrade(engine)
        yield session_maker(engine)
    finally:
        await engine.dispose()


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


async def import_command(args: argparse.Namespace) -> int:
    from orgchart.io.formats import FormatError
    from orgchart.io.importer import import_file

    async with _sessions(args) as sessions:
        try:
            report = await import_file(sessions, args.file, progress=True)
        except (FormatError, OSError) as exc:
            print(f"无法读取 {args.file}: {exc}", file=sys.stderr)
            return 1
    if not report.ok:
        print(f"导入失败, 未写入任何数据: {len(report.errors)} 行有误", file=sys.stderr)
        for error in report.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{kind} {count}" for kind, count in report.counts.items())
    rate = report.rows / report.seconds if report.seconds else 0
    print(f"导入完成: {report.rows} 条 ({counts}), 用时 {report.seconds:.1f} 秒, {rate:,.0f} 条/秒")
    return 0


async def export_command(args: argparse.Namespace) -> int:
    from orgchart.io.exporter import export_records
    from orgchart.io.formats import RecordWriter

    async with _sessions(args) as sessions:
        with RecordWriter(args.file) as writer:  # streamed: a province does not fit in a list
            async for record in export_records(sessions):
                writer.write(record)
    print(f"已导出到 {args.file}: " + ", ".join(f"{k} {v}" for k, v in writer.counts.items()))
    return 0


def generate_command(args: argparse.Namespace) -> int:
    from orgchart.io.formats import write_records
    from orgchart.io.generate import generate_records

    started = time.perf_counter()
    counts = write_records(generate_records(args.preset, seed=args.seed), args.file)
    seconds = time.perf_counter() - started
    print(f"已生成 {args.preset} 目录到 {args.file} ({seconds:.1f} 秒): "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


async def resolve_command(args: argparse.Namespace) -> int:
    from orgchart.selectors import resolve

    async with _sessions(args) as sessions, sessions() as session:
        result = await resolve(session, args.selector, offset=args.offset, limit=args.limit,
                               as_of=args.as_of)
    answer = result.to_json()
    if args.json:
        _print_json(answer)
        return 0
    print(f"岗位 {result.post_count} 个, 企业 {result.enterprise_count} 家, "
          f"在岗人员 {result.holder_count} 人")
    if result.empty:
        print("(选择器没有匹配到任何岗位或企业)")
    for item in answer.get("items", []):
        print("  " + _describe(item))
    return 0


def _describe(item: dict) -> str:
    if "credit_code" in item:
        return f"[企业] {item['credit_code']} {item.get('name', '')}"
    unit = item.get("unit") or {}
    unit_name = unit.get("name", "") if isinstance(unit, dict) else str(unit)
    holders = "、".join(h.get("name", "") for h in item.get("holders", [])) or "空缺"
    return f"[岗位] {item.get('code')} {unit_name} {item.get('title', '')}: {holders}"


async def search_command(args: argparse.Namespace) -> int:
    from orgchart.store.search import search

    async with _sessions(args) as sessions, sessions() as session:
        hits = await search(session, args.query, kind=args.kind, under=args.under, limit=args.limit)
    if not hits:
        print("没有找到匹配的结果", file=sys.stderr)  # stdout stays valid JSON for scripts
    _print_json(hits)
    return 0
