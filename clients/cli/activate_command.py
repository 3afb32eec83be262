"""``zhengding org activate`` and ``zhengding org outbox``: account activation at rollout scale.

``activate`` issues activation codes (SMS through the notifier outbox) to everyone a selector
reaches or to the mobiles of a CSV file; ``outbox`` shows what the notifier recorded — in a
deployment without an SMS gateway, where the codes can be read. Both work on the database
directly, as the operator of the server.
"""
from __future__ import annotations

import argparse
import asyncio
import sys

from clients.cli.beijing import beijing
from clients.cli.common import migrated_engine
from orgchart.infra.db import session_maker


def register(actions) -> None:
    p = actions.add_parser("activate", help="发放激活码: 按选择器或 CSV 手机号清单, 以短信发送",
                           description="为通讯录中的人员发放一次性激活码 (短信, 经通知发件箱)。"
                                       "收到激活码的人用 POST /api/v1/activate 设置登录密码。")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--selector", metavar="选择器", help="选择器, 如 'duty:村党支部书记 under:柯城区'")
    target.add_argument("--mobiles", metavar="CSV文件", help="CSV 文件: 第一列或表头为 mobile/手机号 的一列")
    p.add_argument("--valid-hours", type=int, default=72, metavar="小时", help="有效小时数 (默认 72, 最长 720)")
    p.add_argument("--include-active", action="store_true", help="也为已设置密码的人员发放 (重置密码)")
    p.set_defaults(run=activate)

    p = actions.add_parser("outbox", help="查看通知发件箱 (短信、语音、应用内提醒)",
                           description="列出通知发件箱中记录的短信和提醒, 最新的在最后。")
    p.add_argument("--mobile", metavar="手机号", help="只看发给该手机号的")
    p.add_argument("--limit", type=int, default=20, metavar="条数", help="最多显示条数 (默认 20)")
    p.set_defaults(run=lambda args: asyncio.run(outbox_command(args)))


def activate(args: argparse.Namespace) -> int:
    from orgchart.errors import InvalidInput
    from orgchart.service.activation import parse_mobiles_csv

    mobiles = None
    if args.mobiles is not None:
        try:
            with open(args.mobiles, encoding="utf-8-sig") as file:
                mobiles = parse_mobiles_csv(file.read())
        except (OSError, UnicodeDecodeError) as exc:
            print(f"无法读取 {args.mobiles}: {exc}", file=sys.stderr)
            return 1
    try:
        return asyncio.run(activate_command(args, mobiles))
    except InvalidInput as exc:
        print(f"zhengding: {exc.message}", file=sys.stderr)
        for item in exc.details.get("invalid", []):
            print(f"  第 {item['row']} 行: 手机号格式不正确: {item['value']}", file=sys.stderr)
        for mobile in exc.details.get("unknown", []):
            print(f"  不在通讯录中: {mobile}", file=sys.stderr)
        return 2


async def activate_command(args: argparse.Namespace, mobiles: list[str] | None) -> int:
    from im_server.notifier import OutboxNotifier
    from orgchart.service.activation import ActivationService

    async with migrated_engine(args) as engine:
        service = ActivationService(session_maker(engine), notifier=OutboxNotifier())
        result = await service.issue(None, selector=args.selector, mobiles=mobiles,
                                     valid_hours=args.valid_hours, include_active=args.include_active)
    skipped = result["skipped"]
    sent = f", 有效期至 {beijing(result['expires_at'])} (北京时间), 已通过短信发送" if result["issued"] else ""
    print(f"已发放激活码 {result['issued']} 个 (共匹配 {result['matched']} 人){sent}")
    if any(skipped.values()):
        print(f"跳过: 已激活 {skipped['already_active']} 人, 无手机号 {skipped['no_mobile']} 人, "
              f"发放过于频繁 {skipped['rate_limited']} 人")
    return 0


async def outbox_command(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from im_server.models import OutboxEntry
    from im_server.stores.notices import list_outbox

    async with migrated_engine(args) as engine, engine.connect() as conn:
        query = select(func.count()).select_from(OutboxEntry)
        if args.mobile:
            query = query.where(OutboxEntry.mobile == args.mobile)
        total = int(await conn.scalar(query))
        limit = max(1, args.limit)
        entries = await list_outbox(conn, notice_id=None, message_id=None, mobile=args.mobile,
                                    offset=max(0, total - limit), limit=limit)
    if not entries:
        print("发件箱中没有记录")
    for entry in entries:
        print(f"{beijing(entry['created_at'])} [{entry['channel']}] {entry['mobile'] or '-'} "
              f"{entry['person']['name']}: {entry['text']}")
    return 0
