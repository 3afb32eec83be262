"""``zhengding``: the command-line root. Each sub-command lives in its own module."""
from __future__ import annotations

import argparse
import logging
import sys

from clients.cli import db_commands, messaging_commands, org_commands, serve_command
from orgchart import __version__
from orgchart.errors import ZhengdingError
from orgchart.infra.config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhengding", description="政钉 Zhengding")
    parser.add_argument("--version", action="version", version=f"zhengding {__version__}")
    parser.add_argument("--config", help="TOML configuration file (also ZHENGDING_CONFIG)")
    parser.add_argument("--database-url", help="SQLAlchemy URL (also ZHENGDING_DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve_command.register(commands)
    db_commands.register(commands)
    org_commands.register(commands)
    messaging_commands.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if args.command != "db":  # migration chatter is only interesting when migrating by hand
        logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per tick otherwise
    try:
        return args.run(args) or 0
    except (ConfigError, ZhengdingError) as exc:
        print(f"zhengding: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
