"""``zhengding conv list|open|history``: the user's conversations from the shell."""
from __future__ import annotations

import argparse
from typing import Any

from clients.cli.describe import describe_conversation, describe_message
from clients.cli.session import add_command, client_for, fetch, limit_option, printed_json
from clients.cli.targets import add_target_options, open_target, where

#: How many members ``conv open`` names.
MEMBERS_SHOWN = 10


def register(commands: Any) -> None:
    conv = commands.add_parser("conv", help="我的会话: 列表、打开、历史消息", description="我的会话 (需先登录)")
    actions = conv.add_subparsers(dest="conv_action", required=True, metavar="操作", title="操作")

    p = add_command(actions, "list", list_command, help="我的会话, 最近活跃的在前, 附未读条数",
                    description="我的会话, 最近活跃的在前, 附未读条数和最近活动时间")
    limit_option(p, 50, 500, "个")

    p = add_command(actions, "open", open_command,
                    help="打开 (首次时创建) 与人员、岗位的会话, 或本企业的服务会话",
                    description="打开与人员、岗位的会话 (首次时创建), 或本企业的服务会话, 显示会话编号")
    add_target_options(p, verb="打开")

    p = add_command(actions, "history", history_command, help="会话的历史消息 (较早的在前)",
                    description="会话的历史消息, 较早的在前; 用 --before 向前翻页")
    p.add_argument("conversation", type=int, metavar="会话编号", help="会话编号 (见 conv list)")
    p.add_argument("--before", type=int, metavar="序号", help="只看序号小于此值的消息 (向前翻页)")
    limit_option(p, 20, 200)


async def list_command(args: argparse.Namespace) -> int:
    conversations = await fetch(args, lambda c: c.list_conversations(limit=args.limit))
    if printed_json(args, conversations):
        return 0
    if not conversations:
        print("还没有会话; 用 zhengding send --to person:<人员id> 内容 开始一个")
    for conversation in conversations:
        print(describe_conversation(conversation))
    return 0


async def open_command(args: argparse.Namespace) -> int:
    async with client_for(args) as client:
        await client.connect()
        opened = await open_target(client, args)
        answer = await client.get_conversation(opened.id)
    if printed_json(args, answer):
        return 0
    conversation = answer.get("conversation") or {}
    members = answer.get("members") or []
    state = "新建" if opened.created else "已有"
    posting = "" if answer.get("may_post", True) else ", 您在此只能阅读"
    shown = "、".join(member_name(m) for m in members[:MEMBERS_SHOWN])
    more = f" 等 {len(members)} 项" if len(members) > MEMBERS_SHOWN else ""
    print(f"{where(opened)} ({state}): 共 {conversation.get('last_seq', 0)} 条消息{posting}")
    print(f"  成员: {shown}{more}")
    print(f"  发消息: zhengding send --to conv:{opened.id} 内容; 历史: zhengding conv history {opened.id}")
    return 0


def member_name(member: dict[str, Any]) -> str:
    """A ``conv.get`` member: a person's name, a post's title, an enterprise's or a selector."""
    if member.get("person"):
        return str(member["person"].get("name"))
    if member.get("post"):
        return f"{member['post'].get('title')}[岗位 {member['post'].get('code')}]"
    if member.get("enterprise"):
        return f"{member['enterprise'].get('name')}[企业]"
    return f"[选择器 {member.get('selector')}]"


async def history_command(args: argparse.Namespace) -> int:
    messages = await fetch(args, lambda c: c.history(args.conversation, before_seq=args.before,
                                                     limit=args.limit))
    if printed_json(args, messages):
        return 0
    if not messages:
        print(f"会话 {args.conversation} 没有更早的消息" if args.before else f"会话 {args.conversation} 还没有消息")
    for message in messages:
        print(describe_message(message))
    if messages and len(messages) == args.limit and (messages[0].get("seq") or 0) > 1:
        print(f"(更早的消息: zhengding conv history {args.conversation} --before {messages[0]['seq']})")
    return 0
