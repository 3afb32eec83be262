"""``zhengding org import|export|generate|resolve|search``: the directory from the shell
(``activate`` and ``outbox``: :mod:`clients.cli.activate_command`).

Commands that touch the database apply pending migrations first, as ``serve`` does.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import time

from clients.cli import activate_command, alias_commands
from clients.cli.common import migrated_sessions
from clients.cli.org_describe import describe_item
from clients.cli.zh_argparse import HelpFormatter

#: Shown by ``org resolve --help``; every example runs against the demo directory in the tests.
RESOLVE_EXAMPLES = """示例 (演示目录中均有结果):
  衢州市的村党支部书记; 同上, 用别名 (见 zhengding org alias list):
    zhengding org resolve 'duty:村党支部书记 under:衢州市'
    zhengding org resolve 'duty:村支书 under:衢州市'
  各县 (区) 税务局局长:
    zhengding org resolve 'dept:税务局 title:局长 level:county'
  柯城区的村级河长和网格员 (且 先于 或):
    zhengding org resolve '职责：河长 且 层级：村 或 职责：网格员 辖区：柯城区'
  一个分组的成员企业和它们的专管员:
    zhengding org resolve 'group:330802000000-SWJ-NSR-ZD + officers:330802000000-SWJ-NSR-ZD'
语法见 docs/selectors.md。"""


class _ExamplesFormatter(HelpFormatter):
    """Keeps the lines of the description and the examples as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in text.splitlines())


def register(commands) -> None:
    parser = commands.add_parser("org", help="组织目录: 导入、导出、生成、选择器解析、搜索",
                                 description="组织目录 (直接读写 --database-url 指定的数据库)")
    actions = parser.add_subparsers(dest="org_action", required=True, metavar="操作", title="操作")

    p = actions.add_parser("import", help="导入目录文件 (JSON、JSON Lines、CSV 目录或 zip)",
                           description="导入目录文件: 先校验全部行, 有任何一行错误则不写入任何数据")
    p.add_argument("file", metavar="文件", help="*.json、*.jsonl、*.zip 或 CSV 文件所在目录")
    _progress_option(p)
    p.set_defaults(run=_sync(import_command))

    p = actions.add_parser("export", help="把整个目录导出到文件", description="把整个目录导出到文件 (可再导入)")
    p.add_argument("file", metavar="文件", help="*.json、*.jsonl、*.zip 或用于存放 CSV 文件的目录")
    p.set_defaults(run=_sync(export_command))

    p = actions.add_parser("generate", help="生成一份模拟目录 (市或省规模)",
                           description="生成一份模拟目录文件 (市或省规模), 供测试和演示")
    p.add_argument("file", metavar="文件", help="输出: *.json、*.jsonl、*.zip 或用于存放 CSV 文件的目录")
    p.add_argument("--preset", choices=["city", "province"], default="city",
                   help="规模: city (一个市) 或 province (一个省); 默认 city")
    p.add_argument("--seed", type=int, default=2020, metavar="种子", help="随机种子 (默认 2020), 相同种子生成相同目录")
    _progress_option(p)
    p.set_defaults(run=generate_command)

    p = actions.add_parser("resolve", help="解析岗位选择器, 列出选中的岗位和企业 (见 docs/selectors.md)",
                           description="解析岗位选择器, 列出选中的岗位、在岗人员和企业 (语法见 docs/selectors.md)")
    p.epilog, p.formatter_class = RESOLVE_EXAMPLES, _ExamplesFormatter
    p.add_argument("selector", metavar="选择器", help="例如 \"dept:税务局 title:局长 level:county\"")
    p.add_argument("--offset", type=int, default=0, metavar="起始", help="跳过前多少项 (翻页, 默认 0)")
    p.add_argument("--limit", type=int, default=20, metavar="条数", help="最多列出多少项 (默认 20)")
    p.add_argument("--as-of", type=dt.date.fromisoformat, metavar="日期",
                   help="按该日期的在岗人员 (YYYY-MM-DD, 默认今天)")
    p.add_argument("--json", action="store_true", help="输出 JSON (供程序使用)")
    p.set_defaults(run=_sync(resolve_command))

    p = actions.add_parser("search", help="按名称、全拼或首字母搜索单位、人员、岗位和企业",
                           description="按名称、全拼、首字母或代码前缀搜索单位、人员、岗位和企业")
    p.add_argument("query", metavar="关键词", help="例如 衢州、quzhou、qzs 或 河长")
    p.add_argument("--kind", choices=["unit", "person", "post", "enterprise"],
                   help="只搜一类: unit (单位)、person (人员)、post (岗位) 或 enterprise (企业)")
    p.add_argument("--under", metavar="区划代码", help="只搜该单位 (行政区划代码) 以下")
    p.add_argument("--limit", type=int, default=20, metavar="条数", help="最多多少条 (默认 20)")
    p.add_argument("--json", action="store_true", help="输出 JSON (供程序使用)")
    p.set_defaults(run=_sync(search_command))

    activate_command.register(actions)  # activate, outbox
    alias_commands.register(actions)


def _progress_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="在标准错误输出上显示进度条 (默认: 仅当标准错误输出是终端时显示)")


def _show_progress(args: argparse.Namespace) -> bool:
    return args.progress if args.progress is not None else sys.stderr.isatty()


def _sync(command):
    return lambda args: asyncio.run(command(args))


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


async def import_command(args: argparse.Namespace) -> int:
    from orgchart.io.formats import FormatError
    from orgchart.io.importer import import_file

    async with migrated_sessions(args) as sessions:
        try:
            report = await import_file(sessions, args.file, progress=_show_progress(args))
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
    phases = ", ".join(f"{name} {seconds:.1f} 秒" for name, seconds in report.phases.items())
    print(f"导入完成: {report.rows} 条 ({counts}), 用时 {report.seconds:.1f} 秒 ({phases}), "
          f"{rate:,.0f} 条/秒")
    return 0


async def export_command(args: argparse.Namespace) -> int:
    from orgchart.io.exporter import export_records
    from orgchart.io.formats import RecordWriter

    async with migrated_sessions(args) as sessions:
        with RecordWriter(args.file) as writer:  # streamed: a province does not fit in a list
            async for record in export_records(sessions):
                writer.write(record)
    print(f"已导出到 {args.file}: " + ", ".join(f"{k} {v}" for k, v in writer.counts.items()))
    return 0


def generate_command(args: argparse.Namespace) -> int:
    from orgchart.io.formats import write_records
    from orgchart.io.generate import generate_records
    from orgchart.io.progress import counted, progress_bar

    started = time.perf_counter()
    with progress_bar(f"生成 {args.preset}", enabled=_show_progress(args)) as bar:
        counts = write_records(counted(generate_records(args.preset, seed=args.seed), bar),
                               args.file)
    seconds = time.perf_counter() - started
    print(f"已生成 {args.preset} 目录到 {args.file} ({seconds:.1f} 秒): "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


async def resolve_command(args: argparse.Namespace) -> int:
    from orgchart.selectors import resolve

    async with migrated_sessions(args) as sessions, sessions() as session:
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
        print("  " + describe_item(item))
    return 0


async def search_command(args: argparse.Namespace) -> int:
    from orgchart.store.search import search

    async with migrated_sessions(args) as sessions, sessions() as session:
        hits = await search(session, args.query, kind=args.kind, under=args.under, limit=args.limit)
    if args.json:
        if not hits:
            print("没有找到匹配的结果", file=sys.stderr)  # stdout stays valid JSON for scripts
        _print_json(hits)
        return 0
    if not hits:
        print("没有找到匹配的结果")
    for hit in hits:
        print("  " + describe_item(hit))
    return 0
