"""What the commands that talk to a server share: the server address, the saved token, a client,
and turning failures into one Chinese line on stderr (exit status 1) instead of a traceback.

The server is ``--server URL``, else ``ZHENGDING_SERVER``, else the one last logged in to.
``login`` keeps only the token, in ``~/.config/zhengding/credentials.json`` (``$XDG_CONFIG_HOME``
if set), readable by the owner alone (0600).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from clients.sdk import AuthError, ZhengdingClient, ZhengdingError

SERVER_ENV = "ZHENGDING_SERVER"
EXAMPLE_SERVER = "http://127.0.0.1:8080"

T = TypeVar("T")
Command = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


class UserError(Exception):
    """A mistake the user can fix; printed without a traceback, exit status 1."""


def server_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", metavar="地址",
                        help=f"服务器地址, 例如 {EXAMPLE_SERVER} (也可用环境变量 {SERVER_ENV}; "
                             "默认为上次登录的服务器)")


def json_option(parser: argparse.ArgumentParser, what: str = "输出服务器返回的 JSON") -> None:
    parser.add_argument("--json", action="store_true", help=what + " (供程序使用)")


def limit_option(parser: argparse.ArgumentParser, default: int, maximum: int, what: str = "条") -> None:
    parser.add_argument("--limit", type=int, default=default, metavar="数量",
                        help=f"最多列出多少{what} (默认 {default}, 至多 {maximum})")


def add_command(actions: Any, name: str, run: Command, *, help: str, description: str,
                json: bool = True) -> argparse.ArgumentParser:
    """A sub-command that talks to a server: ``--server``, ``--json`` and ``run`` already set."""
    parser = actions.add_parser(name, help=help, description=description)
    server_option(parser)
    if json:
        json_option(parser)
    parser.set_defaults(run=sync(run))
    return parser


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


def server_of(args: argparse.Namespace) -> str | None:
    server = getattr(args, "server", None) or os.environ.get(SERVER_ENV) or load_credentials().get("default")
    return normalise_server(server) if server else None


def resolve_server(args: argparse.Namespace) -> str:
    """The server for ``login``/``logout``, which may not rely on a saved login."""
    server = server_of(args)
    if not server:
        raise UserError(f"请用 --server 或环境变量 {SERVER_ENV} 指定服务器地址, 例如 --server {EXAMPLE_SERVER}")
    return server


def login_hint(server: str | None) -> str:
    return f"zhengding login --server {server or EXAMPLE_SERVER} --mobile 手机号"


def client_for(args: argparse.Namespace) -> ZhengdingClient:
    """A client with the saved token of the chosen server; without a login, say how to log in."""
    server = server_of(args)
    stored = load_credentials()["servers"].get(server) if server else None
    if not stored or not stored.get("token"):
        where = f" {server}" if server else ""
        raise UserError(f"尚未登录{where}, 请先登录: {login_hint(server)}")
    # a command should fail rather than wait forever for a server that is down
    return ZhengdingClient(server, token=stored["token"], retry_timeout=30.0, request_timeout=30.0)


async def fetch(args: argparse.Namespace, call: Callable[[ZhengdingClient], Awaitable[T]]) -> T:
    """Connect with the saved login, run ``call(client)``, close: one request's answer."""
    async with client_for(args) as client:
        await client.connect()
        return await call(client)


def printed_json(args: argparse.Namespace, data: Any) -> bool:
    """With ``--json``, print ``data`` as JSON and say so (the command then prints nothing else)."""
    if getattr(args, "json", False):
        print_json(data)
        return True
    return False


# --- running commands -----------------------------------------------------------------------------


def sync(command: Command) -> Callable[[argparse.Namespace], int]:
    """An ``async`` command as the ``run`` of a parser, its failures printed as one line."""
    def run(args: argparse.Namespace) -> int:
        quiet_sdk()
        return guarded(lambda: asyncio.run(command(args)), args)

    return run


def quiet_sdk() -> None:
    logging.getLogger("clients.sdk").setLevel(logging.WARNING)  # reconnect chatter is not output


def guarded(run: Callable[[], int], args: argparse.Namespace) -> int:
    try:
        return run()
    except BrokenPipeError:
        raise  # the reader went away (``| head``): main() ends quietly, this is no connection error
    except UserError as exc:
        error(str(exc))
    except AuthError as exc:
        error(f"{exc.message}。请重新登录: {login_hint(server_of(args))}")
    except ZhengdingError as exc:
        error(f"{exc.message} ({exc.code})")
    except (aiohttp.ClientError, OSError) as exc:
        error(f"无法连接服务器: {exc}")
    return 1


def error(message: str) -> None:
    print(f"zhengding: {message}", file=sys.stderr)


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
