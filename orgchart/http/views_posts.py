"""Posts and people: a post with its holders now, on a date, its history; a person."""
from __future__ import annotations

from aiohttp import web

from orgchart.http.auth import login_required
from orgchart.http.views_common import date_query, directory, json_response, path_int
from orgchart.service.viewer import Viewer


@login_required
async def post(request: web.Request, viewer: Viewer) -> web.Response:
    return json_response(await directory(request).post(viewer, request.match_info["code"]))


@login_required
async def holders(request: web.Request, viewer: Viewer) -> web.Response:
    at = date_query(request, "at")
    return json_response(await directory(request).holders(viewer, request.match_info["code"], at))


@login_required
async def history(request: web.Request, viewer: Viewer) -> web.Response:
    return json_response(await directory(request).history(viewer, request.match_info["code"]))


@login_required
async def person(request: web.Request, viewer: Viewer) -> web.Response:
    return json_response(await directory(request).person(viewer, path_int(request, "id")))
