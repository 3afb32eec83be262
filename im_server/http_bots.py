"""The bot admin API (docs/api.md, "Bots"): bot accounts and the conversations they are in.

    GET    /api/v1/bots                              every bot (admins)
    POST   /api/v1/bots                              create one (admins) → 201
    POST   /api/v1/bots/{id}/enable | /disable       switch it on or off (admins)
    POST   /api/v1/bots/{id}/conversations/{conv}    add it to a group or service conversation
    DELETE /api/v1/bots/{id}/conversations/{conv}    remove it (owners of that conversation, admins)

Refusals are the directory's errors (``forbidden``, ``not_found``, ``conflict``,
``invalid_input`` with ``details.field``), answered as JSON by ``json_errors``.
"""
from __future__ import annotations

from aiohttp import web

from im_server.bot_accounts import BotService
from im_server.keys import MESSAGING
from orgchart.errors import InvalidInput, PermissionDenied
from orgchart.http.auth import login_required
from orgchart.http.views_common import json_response, path_int, read_object
from orgchart.service.viewer import Viewer


def _service(request: web.Request) -> BotService:
    return BotService(request.app[MESSAGING].sessions)


def _optional_text(body: dict, key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{key} 必须是字符串", details={"field": key})
    return value


@login_required
async def list_bots(request: web.Request, viewer: Viewer) -> web.Response:
    if not viewer.is_admin:
        raise PermissionDenied("只有管理员可以管理机器人")
    return json_response({"bots": await _service(request).list()})


@login_required
async def create_bot(request: web.Request, viewer: Viewer) -> web.Response:
    body = await read_object(request)
    unknown = sorted(set(body) - {"name", "description", "department", "post"})
    if unknown:
        raise InvalidInput(f"未知字段: {unknown[0]}", details={"field": unknown[0]})
    bot = await _service(request).create(
        viewer, name=_optional_text(body, "name") or "", description=_optional_text(body, "description") or "",
        department=_optional_text(body, "department"), post=_optional_text(body, "post"), remote=request.remote)
    return json_response(bot, status=201)


def _switch(enabled: bool):
    @login_required
    async def view(request: web.Request, viewer: Viewer) -> web.Response:
        return json_response(await _service(request).set_enabled(
            viewer, path_int(request, "bot"), enabled, remote=request.remote))
    return view


@login_required
async def add_to_conversation(request: web.Request, viewer: Viewer) -> web.Response:
    result = await _service(request).add_to(viewer, path_int(request, "bot"), path_int(request, "conversation"),
                                            remote=request.remote)
    return json_response(result, status=201)


@login_required
async def remove_from_conversation(request: web.Request, viewer: Viewer) -> web.Response:
    return json_response(await _service(request).remove_from(
        viewer, path_int(request, "bot"), path_int(request, "conversation"), remote=request.remote))


def routes(prefix: str = "/api/v1/bots") -> list[web.RouteDef]:
    member = prefix + r"/{bot:\d+}/conversations/{conversation:\d+}"
    return [web.get(prefix, list_bots), web.post(prefix, create_bot),
            web.post(prefix + r"/{bot:\d+}/enable", _switch(True)),
            web.post(prefix + r"/{bot:\d+}/disable", _switch(False)),
            web.post(member, add_to_conversation), web.delete(member, remove_from_conversation)]
