"""``zhengding bot list|create|enable|disable|add-to|remove-from``: bot accounts, for admins.

Like ``org alias``, these act on the database directly (admins at the server); changes are
audited with no actor. A running server picks up new and switched bots within seconds.
"""
from __future__ import annotations

import argparse
import asyncio
import sys

from clients.cli.common import migrated_sessions
from orgchart.errors import ZhengdingError


def register(commands) -> None:
    parser = commands.add_parser("bot", help="机器人账号: 创建、启用、停用、加入会话",
                                 description="管理机器人账号 (直接操作数据库, 记入审计日志)")
    verbs = parser.add_subparsers(dest="bot_action", required=True, metavar="操作", title="操作")
    verbs.add_parser("list", help="列出全部机器人", description="列出全部机器人及其归属和状态")
    p = verbs.add_parser("create", help="创建机器人 (归属一个部门或一个岗位)",
                         description="例: zhengding bot create 查询助手 --department 330802000000-SWJ")
    p.add_argument("name", metavar="名称", help="机器人名称 (不可重复)")
    p.add_argument("--description", default="", metavar="描述", help="机器人的用途说明")
    owner = p.add_mutually_exclusive_group(required=True)
    owner.add_argument("--department", metavar="部门编码", help="归属部门的编码")
    owner.add_argument("--post", metavar="岗位编码", help="归属岗位的编码")
    for verb, text in (("enable", "启用机器人"), ("disable", "停用机器人 (停用后不接收也不发送消息)")):
        p = verbs.add_parser(verb, help=text, description=text)
        p.add_argument("bot", type=int, metavar="机器人ID", help="机器人的 ID (见 bot list)")
    for verb, text in (("add-to", "把机器人加入群聊或服务会话"), ("remove-from", "把机器人移出会话")):
        p = verbs.add_parser(verb, help=text, description=text)
        p.add_argument("bot", type=int, metavar="机器人ID", help="机器人的 ID (见 bot list)")
        p.add_argument("conversation", type=int, metavar="会话ID", help="群聊或服务会话的 ID")
    parser.set_defaults(run=lambda args: asyncio.run(bot_command(args)))


async def bot_command(args: argparse.Namespace) -> int:
    from im_server.bot_accounts import BotService

    async with migrated_sessions(args) as sessions:
        try:
            return await _run(BotService(sessions), args)
        except ZhengdingError as error:
            print(error.message, file=sys.stderr)
            return 1


def _line(bot: dict) -> str:
    owner = f"部门 {bot['owner']['department']}" if bot["owner"]["department"] else f"岗位 {bot['owner']['post']}"
    state = "启用" if bot["enabled"] else "停用"
    return f"{bot['id']}\t{bot['name']}\t{state}\t{owner}\t{bot['description']}"


async def _run(service, args: argparse.Namespace) -> int:
    action = args.bot_action
    if action == "list":
        bots = await service.list()
        if not bots:
            print("(没有机器人)")
        for bot in bots:
            print(_line(bot))
    elif action == "create":
        bot = await service.create(None, name=args.name, description=args.description,
                                   department=args.department, post=args.post)
        print(f"已创建机器人 {bot['name']} (ID {bot['id']})")
    elif action in ("enable", "disable"):
        bot = await service.set_enabled(None, args.bot, action == "enable")
        print(f"已{'启用' if bot['enabled'] else '停用'}机器人 {bot['name']}")
    elif action == "add-to":
        await service.add_to(None, args.bot, args.conversation)
        print(f"已把机器人 {args.bot} 加入会话 {args.conversation}")
    else:
        await service.remove_from(None, args.bot, args.conversation)
        print(f"已把机器人 {args.bot} 移出会话 {args.conversation}")
    return 0
