"""``zhengding``: the command-line root. Each sub-command lives in its own module."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from clients.cli import (
    account_commands,
    bot_commands,
    conv_commands,
    db_commands,
    notice_commands,
    org_commands,
    send_command,
    serve_command,
    tail_command,
)
from clients.cli.zh_argparse import VERSION, ArgumentParser
from orgchart import __version__
from orgchart.errors import ZhengdingError
from orgchart.infra.config import ConfigError

#: The exit status of a process killed by SIGPIPE (128 + 13), as shells report it.
BROKEN_PIPE_STATUS = 141


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="zhengding", description="政钉 Zhengding: 按岗位找人、发消息和通知的政务平台")
    parser.add_argument("--version", action="version", version=f"zhengding {__version__}", help=VERSION)
    parser.add_argument("--config", metavar="文件", help="TOML 配置文件 (也可用环境变量 ZHENGDING_CONFIG)")
    parser.add_argument("--database-url", metavar="URL",
                        help="SQLAlchemy 数据库地址 (也可用环境变量 ZHENGDING_DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="命令", title="命令")
    serve_command.register(commands)
    db_commands.register(commands)
    org_commands.register(commands)
    account_commands.register(commands)
    send_command.register(commands)
    notice_commands.register(commands)
    conv_commands.register(commands)
    tail_command.register(commands)
    bot_commands.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; a reader that goes away (``zhengding … | head -1``) ends it quietly."""
    try:
        try:
            return _main(argv)
        finally:  # also after --help's SystemExit: at exit, a closed pipe would print a traceback
            sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE_STATUS


def _main(argv: list[str] | None) -> int:
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


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush has nowhere to fail."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a test's capture: nothing to do
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
