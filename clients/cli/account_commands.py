"""``zhengding login|logout``: get a token for a server (the password is never stored) and
revoke it. See :mod:`clients.cli.session` for where the token is kept."""
from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from clients.cli.beijing import beijing
from clients.cli.session import (
    UserError,
    load_credentials,
    resolve_server,
    save_credentials,
    server_option,
    sync,
)
from clients.sdk import AuthError, ZhengdingClient

#: The directory's roles as users call them.
ROLE_LABELS = {"official": "政府工作人员", "enterprise": "企业用户", "bot": "机器人", "admin": "管理员"}


def register(commands: Any) -> None:
    p = commands.add_parser("login", help="登录服务器并保存令牌", description="登录服务器并保存令牌 "
                            "(密码不会保存; 令牌保存在 ~/.config/zhengding/credentials.json, 仅本人可读)")
    server_option(p)
    p.add_argument("--mobile", required=True, metavar="手机号", help="账号手机号")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码 (供脚本使用)")
    p.set_defaults(run=sync(login_command))

    p = commands.add_parser("logout", help="吊销并删除保存的令牌", description="吊销并删除保存的令牌")
    server_option(p)
    p.set_defaults(run=sync(logout_command))


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
    print(f"已登录 {server}: {person['name']} (编号 {person['id']}, 角色 {ROLE_LABELS.get(person['role'], person['role'])}), "
          f"令牌有效期至 {beijing(answer['expires_at'])}; 凭据保存在 {path}")
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
