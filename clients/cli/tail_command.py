"""``zhengding tail``: the user's events as they happen, one line each (or JSON), resuming
across drops. Each line shows when the event happened, not when it arrived: a replay after a
night offline shows the night's times."""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from typing import Any

from clients.cli.describe import describe_event
from clients.cli.session import client_for, guarded, quiet_sdk, server_option


def register(commands: Any) -> None:
    p = commands.add_parser("tail", help="实时显示事件, 断线自动重连续传 (Ctrl-C 停止)",
                            description="实时显示本人的事件, 每行一条, 时间为事件发生的北京时间; "
                                        "断线自动重连续传 (Ctrl-C 停止)")
    server_option(p)
    p.add_argument("--cursor", type=int, metavar="游标", help="从该游标之后继续 (停止时会显示)")
    p.add_argument("--count", type=int, metavar="条数", help="收到这么多条事件后停止")
    p.add_argument("--json", action="store_true", help="每行输出一个 JSON 对象 (供程序使用)")
    p.set_defaults(run=tail_command)


@dataclass
class _TailState:
    cursor: int | None = None


def tail_command(args: argparse.Namespace) -> int:
    quiet_sdk()
    state = _TailState(args.cursor)
    try:
        return guarded(lambda: asyncio.run(_tail(args, state)), args)
    except KeyboardInterrupt:  # Ctrl-C is how tail is meant to end
        resume = f"; 继续接收: zhengding tail --cursor {state.cursor}" if state.cursor is not None else ""
        print(f"\n已停止{resume}", file=sys.stderr)
        return 0


async def _tail(args: argparse.Namespace, state: _TailState) -> int:
    seen = 0
    async with client_for(args) as client:
        await client.connect(args.cursor)
        print(f"正在接收 {client.base_url} 的事件 (Ctrl-C 停止) …", file=sys.stderr, flush=True)
        async for event in client.events():
            state.cursor = client.cursor
            if args.json:
                print(json.dumps({"ev": event.type, "pos": event.position, "data": event.data},
                                 ensure_ascii=False), flush=True)
            else:
                print(describe_event(event), flush=True)
            if not event.control:
                seen += 1
                if args.count and seen >= args.count:
                    break
    if state.cursor is not None:
        print(f"游标 {state.cursor} (用 --cursor {state.cursor} 继续)", file=sys.stderr)
    return 0
