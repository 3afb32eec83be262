"""Changing the directory (admins only): import a document, edit a post, start/end a holding."""
from __future__ import annotations

from aiohttp import web

from orgchart.http.auth import login_required
from orgchart.http.errors import error_response
from orgchart.http.views_common import (
    admin,
    directory,
    json_response,
    path_int,
    read_json,
    read_object,
)
from orgchart.service.viewer import Viewer


@login_required
async def import_directory(request: web.Request, viewer: Viewer) -> web.Response:
    viewer.require_admin()  # refuse before reading a possibly large body
    # the whole directory: up to the application's client_max_size
    report = await admin(request).import_directory(viewer, await read_json(request, limit=None))
    if not report.ok:
        return error_response(
            422,
            "import_rejected",
            f"导入内容有 {len(report.errors)} 处错误，未写入任何数据",
            errors=[error.to_json() for error in report.errors],
        )
    return json_response(report.to_json())


@login_required
async def update_post(request: web.Request, viewer: Viewer) -> web.Response:
    viewer.require_admin()
    code = request.match_info["code"]
    await admin(request).update_post(viewer, code, await read_object(request))
    return json_response(await directory(request).post(viewer, code))


@login_required
async def start_holding(request: web.Request, viewer: Viewer) -> web.Response:
    viewer.require_admin()
    found = await admin(request).start_holding(viewer, request.match_info["code"], await read_object(request))
    return json_response(found, status=201)


@login_required
async def end_holding(request: web.Request, viewer: Viewer) -> web.Response:
    viewer.require_admin()
    body = await read_object(request) if request.can_read_body else {}
    return json_response(await admin(request).end_holding(viewer, path_int(request, "id"), body))
