"""Accounts: login, logout, the current user, activation and revocation (admins)."""
from __future__ import annotations

from aiohttp import web

from orgchart.errors import InvalidInput
from orgchart.http.auth import login_required
from orgchart.http.views_common import accounts, directory, json_response, path_int, read_object
from orgchart.service.viewer import Viewer

#: A login is a mobile and a password: a bigger body is refused before it is read or hashed.
LOGIN_BODY_LIMIT = 4 * 1024


async def login(request: web.Request) -> web.Response:
    body = await read_object(request, limit=LOGIN_BODY_LIMIT)
    mobile, password = body.get("mobile"), body.get("password")
    if not isinstance(mobile, str) or not isinstance(password, str) or not mobile or not password:
        raise InvalidInput("请提供手机号 mobile 和密码 password")
    return json_response(await accounts(request).login(mobile, password, remote=request.remote))


@login_required
async def logout(request: web.Request, viewer: Viewer) -> web.Response:
    await accounts(request).logout(viewer)
    return json_response({"ok": True})


@login_required
async def me(request: web.Request, viewer: Viewer) -> web.Response:
    return json_response(await directory(request).me(viewer))


@login_required
async def activate(request: web.Request, viewer: Viewer) -> web.Response:
    viewer.require_admin()  # before reading a body a non-admin has no business sending
    body = await read_object(request)
    person_id = path_int(request, "id")
    return json_response(await accounts(request).activate(viewer, person_id, body.get("password")))


@login_required
async def revoke_tokens(request: web.Request, viewer: Viewer) -> web.Response:
    revoked = await accounts(request).revoke_tokens(viewer, path_int(request, "id"))
    return json_response({"revoked": revoked})
