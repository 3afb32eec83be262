"""``zhengding serve``: migrate, load the demo directory on first start, serve HTTP."""
from __future__ import annotations

import argparse

from aiohttp import web

from clients.cli.common import settings_from
from im_server.app import create_app
from orgchart.infra.logs import configure_logging


def register(commands) -> None:
    parser = commands.add_parser("serve", help="运行服务器 (先执行数据库迁移)",
                                 description="运行服务器: 先执行数据库迁移, 空数据库首次启动时载入演示目录")
    parser.add_argument("--host", metavar="地址", help="监听地址 (默认 127.0.0.1)")
    parser.add_argument("--port", type=int, metavar="端口", help="监听端口 (默认 8080)")
    parser.add_argument("--redis-url", metavar="URL", help="多个节点共用的 Redis (消息总线和在线状态); "
                        "不指定时为单节点, 使用进程内总线")
    parser.add_argument(
        "--no-demo", action="store_true", help="空数据库首次启动时不载入演示目录"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(
        args,
        host=args.host,
        port=args.port,
        redis_url=args.redis_url,
        demo_data=False if args.no_demo else None,
    )
    configure_logging(settings.log_format)  # text, or JSON lines with request/connection ids
    app = create_app(settings)

    async def announce(_app: web.Application) -> None:
        print(
            f"政钉 Zhengding is serving on http://{settings.host}:{settings.port}/ "
            f"(database: {settings.database_backend})",
            flush=True,
        )

    app.on_startup.append(announce)
    web.run_app(app, host=settings.host, port=settings.port, backlog=settings.backlog, print=None)
    return 0
