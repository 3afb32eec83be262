"""``zhengding login|logout|send|notice|tail``: messaging from the shell, through the Python SDK.

The server is ``--server URL``, else ``ZHENGDING_SERVER``, else the one last logged in to.
``login`` prompts for the password (never echoed, never stored) and keeps only the token, in
``~/.config/zhengding/credentials.json`` (``$XDG_CONFIG_HOME`` if set), readable by the owner
alone (0600). Output is for people, in Simplified Chinese; ``--json`` prints machine output.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from clients.sdk import AuthError, Event, ZhengdingClient, ZhengdingError

SERVER_ENV = "ZHENGDING_SERVER"
TO_SYNTAX = ("--to 的格式: person:<人员id>、post:<岗位代码> 或 conv:<会话id>, "
             "例如 --to person:12、--to post:330802000000-SWJ-JZ、--to conv:5")


def register(commands: Any) -> None:
    p = commands.add_parser("login", help="登录服务器并保存令牌")
    _server_option(p)
    p.add_argument("--mobile", required=True, help="账号手机号")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码 (供脚本使用)")
    p.set_defaults(run=_sync(login_command))

    p = commands.add_parser("logout", help="吊销并删除保存的令牌")
    _server_option(p)
    p.set_defaults(run=_sync(logout_command))

    p = commands.add_parser("send", help="给人员、岗位或会话发送文本消息")
    _server_option(p)
    p.add_argument("--to", required=True, type=parse_target, metavar="TARGET", help=TO_SYNTAX)
    p.add_argument("--as-post", metavar="CODE", help="以本人所在岗位的身份发送")
    p.add_argument("text", nargs="+", help="消息内容 (多个词以空格连接)")
    p.set_defaults(run=_sync(send_command))

    notice = commands.add_parser("notice", help="钉到岗位的通知: 发送、查看状态")
    actions = notice.add_subparsers(dest="notice_action", required=True, metavar="ACTION")
    p = actions.add_parser("send", help="以岗位身份向选择器选中的岗位发送通知")
    _server_option(p)
    p.add_argument("--as-post", required=True, metavar="CODE", help="发送岗位 (须为本人在岗的岗位)")
    p.add_argument("--selector", required=True, help="接收范围 (选择器), 见 docs/selectors.md")
    p.add_argument("--title", required=True, help="标题")
    p.add_argument("--body", required=True, help="正文; '-' 表示从标准输入读取")
    p.add_argument("--confirm", action="store_true", help="要求接收人确认收到")
    p.add_argument("--urgent", action="store_true", help="DING: 立即推送并定时提醒未确认者")
    p.add_argument("--json", action="store_true", help="输出服务器返回的 JSON")
    p.set_defaults(run=_sync(notice_send_command))
    p = actions.add_parser("status", help="通知的已读、已确认、未完成情况")
    _server_option(p)
    p.add_argument("notice", type=int, metavar="ID")
    p.add_argument("--under", metavar="CODE", help="只看该单位 (行政区划代码) 范围内的情况")
    p.add_argument("--limit", type=int, default=50, help="最多列出多少名未完成人员 (默认 50)")
    p.add_argument("--json", action="store_true", help="输出服务器返回的 JSON")
    p.set_defaults(run=_sync(notice_status_command))

    p = commands.add_parser("tail", help="实时显示事件, 断线自动重连续传 (Ctrl-C 停止)")
    _server_option(p)
    p.add_argument("--cursor", type=int, help="从该游标之后继续 (停止时会显示)")
    p.add_argument("--count", type=int, help="收到这么多条事件后停止")
    p.add_argument("--json", action="store_true", help="每行输出一个 JSON 对象")
    p.set_defaults(run=tail_command)


def _server_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", help=f"服务器地址, 例如 http://127.0.0.1:8080 (也可用环境变量 {SERVER_ENV})")


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


# --- credentials ----------------------------------------------------------------------------------


def credentials_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "zhengding" / "credentials.json"


def load_credentials() -> dict[str, Any]:
    try:
        data = json.loads(credentials_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"servers": {}}
    return data if isinstance(data, dict) and isinstance(data.get("servers"), dict) else {"servers": {}}


def save_credentials(data: dict[str, Any]) -> Path:
    """Write atomically, 0600 from the first byte (never briefly world-readable)."""
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an older file of that name may have had other bits
        json.dump(data, handle, ensure_ascii=False, indent=2)
    os.replace(temporary, path)
    return path


def normalise_server(url: str) -> str:
    url = url.strip().rstrip("/")
    return url if "://" in url else "http://" + url


def resolve_server(args: argparse.Namespace) -> str:
    server = args.server or os.environ.get(SERVER_ENV) or load_credentials().get("default")
    if not server:
        raise UserError(f"请用 --server 或环境变量 {SERVER_ENV} 指定服务器地址")
    return normalise_server(server)


class UserError(Exception):
    """A mistake the user can fix; printed without a traceback, exit status 1."""


def _client(args: argparse.Namespace) -> ZhengdingClient:
    server = resolve_server(args)
    stored = load_credentials()["servers"].get(server)
    if not stored or not stored.get("token"):
        raise UserError(f"尚未登录 {server}, 请先运行: zhengding login --server {server} --mobile 手机号")
    # a command should fail rather than wait forever for a server that is down
    return ZhengdingClient(server, token=stored["token"], retry_timeout=30.0, request_timeout=30.0)


# --- running commands -----------------------------------------------------------------------------


def _sync(command: Callable[[argparse.Namespace], Coroutine[Any, Any, int]]
          ) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        logging.getLogger("clients.sdk").setLevel(logging.WARNING)  # reconnect chatter is not output
        return _guarded(lambda: asyncio.run(command(args)), args)

    return run


def _guarded(run: Callable[[], int], args: argparse.Namespace) -> int:
    try:
        return run()
    except UserError as exc:
        _error(str(exc))
    except AuthError as exc:
        server = getattr(args, "server", None) or "URL"
        _error(f"{exc.message}。请重新登录: zhengding login --server {server} --mobile 手机号")
    except ZhengdingError as exc:
        _error(f"{exc.message} ({exc.code})")
    except (aiohttp.ClientError, OSError) as exc:
        _error(f"无法连接服务器: {exc}")
    return 1


def _error(message: str) -> None:
    print(f"zhengding: {message}", file=sys.stderr)


async def login_command(args: argparse.Namespace) -> int:
    server = resolve_server(args)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("密码: ")
    if not password:
        raise UserError("密码不能为空")
    async with ZhengdingClient(server) as client:
        answer = await client.login(args.mobile, password)
    data = load_credentials()
    data["servers"][server] = {"token": answer["token"], "expires_at": answer["expires_at"],
                               "person": answer["person"], "mobile": args.mobile}
    data["default"] = server
    path = save_credentials(data)
    person = answer["person"]
    print(f"已登录 {server}: {person['name']} (编号 {person['id']}, 角色 {person['role']}), "
          f"令牌有效期至 {answer['expires_at']}; 凭据保存在 {path}")
    return 0


async def logout_command(args: argparse.Namespace) -> int:
    server = resolve_server(args)
    data = load_credentials()
    stored = data["servers"].pop(server, None)
    if stored is None:
        print(f"未登录 {server}, 无需退出")
        return 0
    try:
        async with ZhengdingClient(server, token=stored["token"]) as client:
            await client.logout()
    except AuthError:
        pass  # already expired or revoked: forgetting it locally is all that is left
    if data.get("default") == server:
        data.pop("default")
    save_credentials(data)
    print(f"已退出 {server}, 令牌已吊销")
    return 0


async def send_command(args: argparse.Namespace) -> int:
    target: Target = args.to
    text = " ".join(args.text)
    async with _client(args) as client:
        await client.connect()
        if target.kind == "person":
            conversation, title = (c := await client.open_direct(int(target.value))).id, c.title
        elif target.kind == "post":
            c = await client.open_post(str(target.value), as_post=args.as_post)
            conversation, title = c.id, c.title
        else:
            conversation, title = int(target.value), ""
        ack = await client.send_text(conversation, text, as_post=args.as_post)
    where = f"会话 {conversation}" + (f" «{title}»" if title else "")
    print(f"已发送到{where}: 第 {ack.seq} 条, 消息编号 {ack.message}")
    return 0


async def notice_send_command(args: argparse.Namespace) -> int:
    body = sys.stdin.read() if args.body == "-" else args.body
    async with _client(args) as client:
        await client.connect()
        result = await client.send_notice(as_post=args.as_post, selector=args.selector,
                                          title=args.title, body=body, require_confirm=args.confirm,
                                          urgent=args.urgent)
    if args.json:
        _print_json(result)
        return 0
    again = " (重复提交, 未重复发送)" if result.get("duplicate") else ""
    print(f"通知已发送: 编号 {result['notice']['id']}, 接收 {result['recipients']} 人"
          + (", 需确认" if args.confirm else "") + (", DING 提醒" if args.urgent else "") + again)
    return 0


async def notice_status_command(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        await client.connect()
        result = await client.notice_status(args.notice, under=args.under, limit=args.limit)
    if args.json:
        _print_json(result)
    else:
        print("\n".join(describe_status(result)))
    return 0


# --- tail -----------------------------------------------------------------------------------------


@dataclass
class _TailState:
    cursor: int | None = None


def tail_command(args: argparse.Namespace) -> int:
    logging.getLogger("clients.sdk").setLevel(logging.WARNING)
    state = _TailState(args.cursor)
    try:
        return _guarded(lambda: asyncio.run(_tail(args, state)), args)
    except KeyboardInterrupt:  # Ctrl-C is how tail is meant to end
        resume = f"; 继续接收: zhengding tail --cursor {state.cursor}" if state.cursor is not None else ""
        print(f"\n已停止{resume}", file=sys.stderr)
        return 0


async def _tail(args: argparse.Namespace, state: _TailState) -> int:
    seen = 0
    async with _client(args) as client:
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


# --- presentation ---------------------------------------------------------------------------------

_CONTENT_LABELS = {"image": "[图片]", "file": "[文件]"}


def describe_event(event: Event) -> str:
    """One line per event, for people."""
    data = event.data
    if event.type == "sync.live":
        return "-- 已连接, 实时接收中"
    if event.type == "sync.caught_up":
        return f"-- 已补齐离线期间的事件 (游标 {data.get('cursor')})"
    if event.type == "sync.resync":
        return "-- 游标过旧或无效, 错过的事件已无法补发, 请重新加载会话"
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    prefix = f"{stamp} #{event.position}"
    message = data.get("message") if isinstance(data.get("message"), dict) else None
    if event.type in ("message.new", "message.edited", "message.recalled") and message:
        sender = (message.get("sender") or {}).get("name", "?")
        if message.get("as_post"):
            sender += f"({message['as_post'].get('title', '')})"
        where = f"[会话 {message.get('conversation')}]"
        if event.type == "message.recalled":
            return f"{prefix} {where} {sender} 撤回了第 {message.get('seq')} 条消息"
        verb = " (已编辑)" if event.type == "message.edited" else ""
        urgent = "[DING] " if message.get("urgent") else ""
        return f"{prefix} {where} {urgent}{sender}{verb}: {_content_text(message)}"
    if event.type == "conversation.new" and isinstance(data.get("conversation"), dict):
        conv = data["conversation"]
        return f"{prefix} 新会话 {conv.get('id')} «{conv.get('title')}» ({conv.get('kind')})"
    if event.type == "conversation.read":
        conv = data.get("conversation") or {}
        return f"{prefix} [会话 {conv.get('id')}] 已读至第 {data.get('last_read_seq')} 条"
    notice = data.get("notice") if isinstance(data.get("notice"), dict) else None
    if event.type == "notice.new" and notice:
        post = (notice.get("sender_post") or {}).get("title", "")
        sender = f"{(notice.get('sender') or {}).get('name', '?')}({post})"
        flags = "".join(flag for flag, on in (("[DING]", notice.get("urgent")),
                                               ("[需确认]", notice.get("require_confirm"))) if on)
        handed = " (岗位交接转来)" if data.get("handed_over") else ""
        return f"{prefix} 通知 {notice.get('id')}{flags} «{notice.get('title')}» 来自 {sender}{handed}"
    if event.type == "ding":
        about = data.get(data.get("kind") or "") or {}
        what = f"通知 {about.get('id')} «{about.get('title', '')}»" if data.get("kind") == "notice" \
            else f"消息 {about.get('id')}"
        return f"{prefix} [DING] {what} 请尽快处理"
    if event.type == "notice.transferred":
        return f"{prefix} 通知 {(data.get('notice') or {}).get('id')} 已随岗位交接转给继任者"
    return f"{prefix} {event.type} {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}"


def _content_text(message: dict[str, Any]) -> str:
    content = message.get("content") or {}
    kind = message.get("type")
    if kind in _CONTENT_LABELS:
        return _CONTENT_LABELS[kind]
    if kind == "card":
        return f"[卡片] {content.get('title', '')}"
    if kind == "markdown" and content.get("title"):
        return f"{content['title']} — {content.get('text', '')}"
    return str(content.get("text", ""))


_LEVELS = {"city": 0, "county": 1, "township": 2, "village": 3}


def _counts(row: dict[str, Any]) -> str:
    return (f"接收 {row.get('recipients', 0)}, 已读 {row.get('read', 0)}, "
            f"已确认 {row.get('confirmed', 0)}, 未完成 {row.get('pending', 0)}")


def describe_status(result: dict[str, Any]) -> list[str]:
    """``notice.status`` as lines: totals, the roll-up by org unit, a page of who is pending."""
    notice = result.get("notice") or {}
    post = notice.get("sender_post") or {}
    flags = "需确认" if notice.get("require_confirm") else "打开即已读"
    flags += ", DING" if notice.get("urgent") else ""
    heading = (f"通知 {notice.get('id')} «{notice.get('title', '')}» ({flags}), "
               f"发送岗位 {post.get('title', '')} {post.get('code', '')}, 发送于 {notice.get('created_at')}")
    lines = [heading, "  合计: " + _counts(result.get("totals") or {})]
    if result.get("under"):
        lines[-1] += f" (以下仅限 {result['under']} 范围)"
    rollup = result.get("rollup") or []
    if rollup:
        lines.append("  按单位:")
        for row in rollup:
            indent = "  " * _LEVELS.get(row.get("level"), 0)
            name = row.get("name") or row.get("code") or row.get("path")
            lines.append(f"    {indent}{name}: {_counts(row)}")
    pending = result.get("pending") or {}
    items = pending.get("items") or []
    if pending.get("total"):
        lines.append(f"  未完成 {pending['total']} 人" + (f", 第 {pending.get('offset', 0) + 1}–"
                     f"{pending.get('offset', 0) + len(items)} 人:" if items else ""))
        for item in items:
            person = item.get("person") or {}
            where = item.get("post") or item.get("enterprise") or {}
            unit = (item.get("unit") or {}).get("name") or ""
            state = "已读未确认" if item.get("read_at") else "未读"
            lines.append(f"    {person.get('name', '?')} {person.get('mobile') or ''} "
                         f"{unit}{where.get('title') or where.get('name') or ''} ({state})")
    else:
        lines.append("  全部完成, 无人待处理")
    reminder = result.get("reminder")
    if reminder:
        lines.append(f"  DING 提醒: 已提醒 {reminder.get('attempt')}/{reminder.get('max_attempts')} 次"
                     + (", 已结束" if reminder.get("done") else f", 下次 {reminder.get('next_due_at')}"))
    return lines


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
