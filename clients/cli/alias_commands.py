"""``zhengding org alias list|set|remove|import``: the duty-tag aliases selectors accept.

Like ``org import``, these act on the database directly (admins at the server); changes are
audited with no actor.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from clients.cli.common import migrated_sessions
from orgchart.errors import ZhengdingError


def register(actions) -> None:
    """Add ``alias`` under ``zhengding org``."""
    parser = actions.add_parser(
        "alias", help="职责别名: 选择器中可写的职责简称 (如 村支书 → 村党支部书记)",
        description="职责别名: 选择器 duty:村支书 按 duty:村党支部书记 计。")
    verbs = parser.add_subparsers(dest="alias_action", required=True, metavar="操作", title="操作")
    verbs.add_parser("list", help="列出全部别名", description="列出全部职责别名和它们代表的职责")
    p = verbs.add_parser("set", help="设置别名 (替换它原来指向的职责)",
                         description="例: zhengding org alias set 村支书 村党支部书记")
    p.add_argument("alias", metavar="别名", help="别名, 如 村支书")
    p.add_argument("tags", nargs="+", metavar="职责", help="它代表的职责标签, 如 村党支部书记")
    p = verbs.add_parser("remove", help="删除别名", description="删除一个职责别名")
    p.add_argument("alias", metavar="别名", help="要删除的别名")
    p = verbs.add_parser("import", help="从 CSV 文件导入别名 (每行: 别名,职责; 可有表头)",
                         description="从 CSV 文件导入别名: 先校验全部行, 有任何一行错误则不写入")
    p.add_argument("file", metavar="文件", help="UTF-8 编码的 CSV 文件")
    p.add_argument("--replace", action="store_true", help="删除文件中没有的别名")
    parser.set_defaults(run=lambda args: asyncio.run(alias_command(args)))


async def alias_command(args: argparse.Namespace) -> int:
    from orgchart.service.duty_aliases import DutyAliasService

    async with migrated_sessions(args) as sessions:
        try:
            return await _run(DutyAliasService(sessions), args)
        except ZhengdingError as error:
            print(error.message, file=sys.stderr)
            return 1


async def _run(service, args: argparse.Namespace) -> int:
    if args.alias_action == "list":
        aliases = await service.list()
        if not aliases:
            print("(没有职责别名)")
        for alias, tags in aliases.items():
            print(f"{alias} → {'、'.join(tags)}")
    elif args.alias_action == "set":
        alias, tags = await service.set(None, args.alias, args.tags)
        print(f"已设置: {alias} → {'、'.join(tags)}")
    elif args.alias_action == "remove":
        await service.remove(None, args.alias)
        print(f"已删除别名 {args.alias}")
    else:
        try:
            text = Path(args.file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"无法读取 {args.file}: {exc}", file=sys.stderr)
            return 1
        count = await service.import_csv(None, text, replace=args.replace)
        print(f"已导入 {count} 个别名" + (" (文件中没有的已删除)" if args.replace else ""))
    return 0
