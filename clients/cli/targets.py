"""Where a message goes: ``--to person:12|post:<code>|conv:5``, or ``--service`` (an enterprise
member's own service conversation), turned into a conversation through the SDK."""
from __future__ import annotations

import argparse
from dataclasses import dataclass

from clients.cli.describe import kind_label
from clients.sdk import ZhengdingClient

TO_SYNTAX = ("--to 的格式: person:<人员id>、post:<岗位代码> 或 conv:<会话id>, "
             "例如 --to person:12、--to post:330802000000-SWJ-01、--to conv:5")
SERVICE_HELP = "企业用户: 本企业的服务会话 (本企业与分管岗位如税务专管员, 首次使用时开设)"


@dataclass(frozen=True)
class Target:
    kind: str  # person | post | conv
    value: int | str


def parse_target(text: str) -> Target:
    """``person:12``, ``post:<code>``, ``conv:5`` (``group:5`` is the same as ``conv:5``)."""
    kind, sep, value = text.partition(":")
    kind = {"group": "conv", "conversation": "conv"}.get(kind, kind)
    if sep and value and kind == "post":
        return Target("post", value)
    if sep and kind in ("person", "conv") and value.isdigit() and int(value) > 0:
        return Target(kind, int(value))
    raise argparse.ArgumentTypeError(f"无法识别 {text!r}。{TO_SYNTAX}")


def add_target_options(parser: argparse.ArgumentParser, *, verb: str) -> None:
    """``--to`` or ``--service``, exactly one, and ``--as-post``."""
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--to", type=parse_target, metavar="目标", help=TO_SYNTAX)
    where.add_argument("--service", action="store_true", help=SERVICE_HELP)
    parser.add_argument("--as-post", metavar="岗位代码", help=f"以本人所在岗位的身份{verb} (仅 --to post:/conv:)")
    parser.add_argument("--enterprise", metavar="信用代码",
                        help="与 --service 一起: 您是多家企业的成员时, 指定企业的统一社会信用代码")


@dataclass(frozen=True)
class Opened:
    id: int
    title: str
    kind: str | None = None
    created: bool = False


async def open_target(client: ZhengdingClient, args: argparse.Namespace) -> Opened:
    """The conversation that ``--to`` or ``--service`` names (a direct or post one is created on
    first use; a ``conv:`` target is taken as it is and checked by the server when used)."""
    if args.service:
        c = await client.open_service(enterprise=args.enterprise)
        return Opened(c.id, c.title, c.kind, c.created)
    target: Target = args.to
    if target.kind == "person":
        c = await client.open_direct(int(target.value))
        return Opened(c.id, c.title, c.kind, c.created)
    if target.kind == "post":
        c = await client.open_post(str(target.value), as_post=args.as_post)
        return Opened(c.id, c.title, c.kind, c.created)
    return Opened(int(target.value), "")


def where(opened: Opened) -> str:
    kind = f"{kind_label(opened.kind)}" if opened.kind else ""
    title = f" «{opened.title}»" if opened.title else ""
    return f"会话 {opened.id}" + (f" ({kind})" if kind else "") + title
