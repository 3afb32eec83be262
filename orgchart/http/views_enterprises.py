"""Enterprises and virtual organisations."""
from __future__ import annotations

from aiohttp import web

from orgchart.http.auth import login_required
from orgchart.http.views_common import enterprises as service
from orgchart.http.views_common import json_response, paging
from orgchart.service.viewer import Viewer


@login_required
async def enterprises(request: web.Request, viewer: Viewer) -> web.Response:
    offset, limit = paging(request)
    found = await service(request).enterprises(
        viewer,
        region=request.query.get("region") or None,
        text=request.query.get("q") or None,
        offset=offset,
        limit=limit,
    )
    return json_response(found)


@login_required
async def enterprise(request: web.Request, viewer: Viewer) -> web.Response:
    return json_response(await service(request).enterprise(viewer, request.match_info["credit_code"]))


@login_required
async def virtual_orgs(request: web.Request, viewer: Viewer) -> web.Response:
    return json_response(await service(request).virtual_orgs(viewer))


@login_required
async def virtual_org(request: web.Request, viewer: Viewer) -> web.Response:
    return json_response(await service(request).virtual_org(viewer, request.match_info["code"]))


@login_required
async def virtual_org_members(request: web.Request, viewer: Viewer) -> web.Response:
    offset, limit = paging(request)
    found = await service(request).members(
        viewer,
        request.match_info["code"],
        group=request.query.get("group") or None,
        offset=offset,
        limit=limit,
    )
    return json_response(found)
