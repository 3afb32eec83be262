"""``zhengding db upgrade|downgrade|current``: the only way the schema changes."""
from __future__ import annotations

import argparse
import asyncio

from clients.cli.common import settings_from
from orgchart.infra import migrate
from orgchart.infra.db import create_engine


def register(commands) -> None:
    parser = commands.add_parser("db", help="数据库结构迁移", description="数据库结构迁移 (Alembic)")
    actions = parser.add_subparsers(dest="db_action", required=True, metavar="操作", title="操作")
    up = actions.add_parser("upgrade", help="执行迁移 (默认到最新版本 head)", description="执行迁移")
    up.add_argument("revision", nargs="?", default="head", metavar="版本", help="目标版本 (默认 head)")
    down = actions.add_parser("downgrade", help="回退到指定版本 (base: 全部回退)", description="回退迁移")
    down.add_argument("revision", metavar="版本", help="目标版本; base 表示回退全部")
    actions.add_parser("current", help="显示当前版本", description="显示数据库的当前版本")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    engine = create_engine(settings_from(args).database_url)
    try:
        if args.db_action == "upgrade":
            await migrate.upgrade(engine, args.revision)
        elif args.db_action == "downgrade":
            await migrate.downgrade(engine, args.revision)
        print(f"当前版本: {await migrate.current_revision(engine) or 'base'}")
    finally:
        await engine.dispose()
    return 0
