"""``zhengding send``: a text message to a person, a post, a conversation or (for an enterprise
member) the enterprise's service conversation."""
from __future__ import annotations

import argparse
from typing import Any

from clients.cli.session import client_for, server_option, sync
from clients.cli.targets import add_target_options, open_target, where


def register(commands: Any) -> None:
    p = commands.add_parser("send", help="给人员、岗位或会话发送文本消息",
                            description="给人员、岗位、会话或本企业的服务会话发送文本消息 (需先登录)")
    server_option(p)
    add_target_options(p, verb="发送")
    p.add_argument("text", nargs="+", metavar="内容", help="消息内容 (多个词以空格连接)")
    p.set_defaults(run=sync(send_command))


async def send_command(args: argparse.Namespace) -> int:
    text = " ".join(args.text)
    async with client_for(args) as client:
        await client.connect()
        opened = await open_target(client, args)
        ack = await client.send_text(opened.id, text, as_post=args.as_post)
    print(f"已发送到{where(opened)}: 第 {ack.seq} 条, 消息编号 {ack.message}")
    return 0
