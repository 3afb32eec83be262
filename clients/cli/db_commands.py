"""``zhengding db upgrade|downgrade|current``: the only way the schema changes."""
from __future__ import annotations

import argparse
import asyncio

from clients.cli.common import settings_from
from orgchart.infra import migrate
from orgchart.infra.db import create_engine


def register(commands) -> None:
    parser = commands.add_parser("db", help="database schema migrations")
    actions = parser.add_subparsers(dest="db_action", required=True, metavar="ACTION")
    up = actions.add_parser("upgrade", help="apply migrations (default: to head)")
    up.add_argument("revision", nargs="?", default="head")
    down = actions.add_parser("downgrade", help="revert migrations to REVISION (base: all)")
    down.add_argument("revision")
    actions.add_parser("current", help="print the current revision")
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
        print(f"current revision: {await migrate.current_revision(engine) or 'base'}")
    finally:
        await engine.dispose()
    return 0
