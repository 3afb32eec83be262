"""Browsing: units, their breadcrumbs and children with counts, departments, posts of each."""
from __future__ import annotations

from aiohttp import web

from orgchart.http.auth import login_required
from orgchart.http.views_common import directory, json_response, paging
from orgchart.service.viewer import Viewer


@login_required
async def roots(request: web.Request, viewer: Viewer) -> web.Response:
    return json_response(await directory(request).roots(viewer))


@login_required
async def unit(request: web.Request, viewer: Viewer) -> web.Response:
    return json_response(await directory(request).unit(viewer, request.match_info["code"]))


@login_required
async def children(request: web.Request, viewer: Viewer) -> web.Response:
    return json_response(await directory(request).children(viewer, request.match_info["code"]))


@login_required
async def departments(request: web.Request, viewer: Viewer) -> web.Response:
    return json_response(await directory(request).departments(viewer, request.match_info["code"]))


@login_required
async def unit_posts(request: web.Request, viewer: Viewer) -> web.Response:
    offset, limit = paging(request)
    return json_response(
        await directory(request).unit_posts(viewer, request.match_info["code"], offset=offset, limit=limit)
    )


@login_required
async def department(request: web.Request, viewer: Viewer) -> web.Response:
    return json_response(await directory(request).department(viewer, request.match_info["code"]))


@login_required
async def department_posts(request: web.Request, viewer: Viewer) -> web.Response:
    offset, limit = paging(request)
    return json_response(
        await directory(request).department_posts(
            viewer, request.match_info["code"], offset=offset, limit=limit
        )
    )
