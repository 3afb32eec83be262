"""Duty-tag aliases over HTTP: anyone logged in reads them, admins set and remove them.

Described in ``openapi_aliases.json`` beside this module, merged into the served document.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from orgchart.http.auth import login_required
from orgchart.http.keys import OPENAPI_PARTS, SESSIONS
from orgchart.http.views_common import json_response, read_object
from orgchart.service.duty_aliases import DutyAliasService
from orgchart.service.viewer import Viewer

OPENAPI_FILE = Path(__file__).with_name("openapi_aliases.json")


def _service(request: web.Request) -> DutyAliasService:
    return DutyAliasService(request.app[SESSIONS])


@login_required
async def list_aliases(request: web.Request, viewer: Viewer) -> web.Response:
    aliases = await _service(request).list()
    return json_response({"aliases": [{"alias": a, "tags": t} for a, t in aliases.items()]})


@login_required
async def set_alias(request: web.Request, viewer: Viewer) -> web.Response:
    viewer.require_admin()
    body = await read_object(request)
    alias, tags = await _service(request).set(viewer.person_id, request.match_info["alias"],
                                              body.get("tags"))
    return json_response({"alias": alias, "tags": tags})


@login_required
async def remove_alias(request: web.Request, viewer: Viewer) -> web.Response:
    viewer.require_admin()
    await _service(request).remove(viewer.person_id, request.match_info["alias"])
    return web.Response(status=204)


def setup(app: web.Application, prefix: str) -> None:
    app.router.add_routes([
        web.get(f"{prefix}/duty-aliases", list_aliases),
        web.put(f"{prefix}/duty-aliases/{{alias}}", set_alias),
        web.delete(f"{prefix}/duty-aliases/{{alias}}", remove_alias),
    ])
    app.setdefault(OPENAPI_PARTS, []).append(OPENAPI_FILE)
