"""``zhengding notice …``: notices pinned to posts (钉到岗位).

Senders: ``send`` as a post they hold, ``status`` for who has read and confirmed. Recipients:
``list`` the inbox, ``open`` one (marks it read), ``confirm`` receipt with optional feedback.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from clients.cli.describe import describe_inbox_item, describe_notice, describe_status
from clients.cli.session import add_command, fetch, limit_option, printed_json


def register(commands: Any) -> None:
    notice = commands.add_parser("notice", help="钉到岗位的通知: 发送、查看状态、收件箱、阅读、确认",
                                 description="钉到岗位的通知 (需先登录)")
    actions = notice.add_subparsers(dest="notice_action", required=True, metavar="操作", title="操作")

    p = add_command(actions, "send", send_command, help="以岗位身份向选择器选中的岗位发送通知",
                    description="以本人在岗的岗位身份, 向选择器选中的岗位 (及企业) 发送通知")
    p.add_argument("--as-post", required=True, metavar="岗位代码", help="发送岗位 (须为本人在岗的岗位)")
    p.add_argument("--selector", required=True, metavar="选择器", help="接收范围 (选择器), 如 'duty:村党支部书记 under:柯城区', 见 docs/selectors.md")
    p.add_argument("--title", required=True, metavar="标题", help="标题")
    p.add_argument("--body", required=True, metavar="正文", help="正文; '-' 表示从标准输入读取")
    p.add_argument("--confirm", action="store_true", help="要求接收人确认收到")
    p.add_argument("--urgent", action="store_true", help="DING: 立即推送并定时提醒未确认者")

    p = add_command(actions, "status", status_command,
                    help="通知的已读、已确认、未完成情况 (发送人、现任发送岗位人员和管理员)",
                    description="通知的已读、已确认、未完成情况, 按单位汇总")
    p.add_argument("notice", type=int, metavar="通知编号", help="通知编号")
    p.add_argument("--under", metavar="区划代码", help="只看该单位 (行政区划代码) 范围内的情况")
    limit_option(p, 50, 200, "名未完成人员")

    p = add_command(actions, "list", list_command, help="我收到的通知 (最新的在前) 及阅读、确认状态",
                    description="我收到的通知, 最新的在前, 每条附本人的阅读、确认状态")
    limit_option(p, 20, 200)
    p.add_argument("--before", type=int, metavar="通知编号", help="只列编号小于此值的通知 (翻页)")

    p = add_command(actions, "open", open_command, help="阅读一条通知的全文 (标记为已读)",
                    description="阅读一条通知的全文; 同时标记为已读 (重复打开无副作用)")
    p.add_argument("notice", type=int, metavar="通知编号", help="通知编号 (见 notice list)")

    p = add_command(actions, "confirm", confirm_command, help="确认收到通知, 可附反馈",
                    description="确认收到需要确认的通知 (可附反馈); 重复确认不会改变什么")
    p.add_argument("notice", type=int, metavar="通知编号", help="通知编号 (见 notice list)")
    p.add_argument("--feedback", metavar="反馈", help="给发送人的反馈 (至多 2000 字); '-' 表示从标准输入读取")


async def send_command(args: argparse.Namespace) -> int:
    body = sys.stdin.read() if args.body == "-" else args.body
    result = await fetch(args, lambda c: c.send_notice(
        as_post=args.as_post, selector=args.selector, title=args.title, body=body,
        require_confirm=args.confirm, urgent=args.urgent))
    if printed_json(args, result):
        return 0
    again = " (重复提交, 未重复发送)" if result.get("duplicate") else ""
    notice = result["notice"]["id"] if isinstance(result.get("notice"), dict) else result.get("notice")
    print(f"通知已发送: 编号 {notice}, 接收 {result['recipients']} 人"
          + (", 需确认" if args.confirm else "") + (", DING 提醒" if args.urgent else "") + again)
    return 0


async def status_command(args: argparse.Namespace) -> int:
    result = await fetch(args, lambda c: c.notice_status(args.notice, under=args.under, limit=args.limit))
    if not printed_json(args, result):
        print("\n".join(describe_status(result)))
    return 0


async def list_command(args: argparse.Namespace) -> int:
    result = await fetch(args, lambda c: c.list_notices(limit=args.limit, before=args.before))
    if printed_json(args, result):
        return 0
    notices = result.get("notices") or []
    print(f"未读通知 {result.get('unread', 0)} 条" + ("" if notices else "; 没有通知"))
    for notice in notices:
        print("  " + describe_inbox_item(notice))
    if len(notices) == args.limit:
        print(f"  (更早的通知: zhengding notice list --before {notices[-1].get('id')})")
    return 0


async def open_command(args: argparse.Namespace) -> int:
    notice = await fetch(args, lambda c: c.open_notice(args.notice))
    if not printed_json(args, notice):
        print("\n".join(describe_notice(notice)))
    return 0


async def confirm_command(args: argparse.Namespace) -> int:
    feedback = sys.stdin.read() if args.feedback == "-" else args.feedback
    result = await fetch(args, lambda c: c.confirm_notice(args.notice, feedback))
    if printed_json(args, result):
        return 0
    notice = result.get("notice") or {}
    if result.get("already_confirmed"):
        print(f"通知 {notice.get('id')} «{notice.get('title', '')}» 此前已确认收到, 本次未作更改")
    else:
        said = f", 反馈: {notice['feedback']}" if notice.get("feedback") else ""
        print(f"已确认收到通知 {notice.get('id')} «{notice.get('title', '')}»{said}")
    return 0
