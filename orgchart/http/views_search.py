"""Search by name, pinyin, initials and duty tag; resolve a selector to a count and a page."""
from __future__ import annotations

from aiohttp import web

from orgchart.http.auth import login_required
from orgchart.http.views_common import (
    MAX_LIMIT,
    date_query,
    directory,
    int_query,
    json_response,
    paging,
)
from orgchart.service.viewer import Viewer


@login_required
async def search(request: web.Request, viewer: Viewer) -> web.Response:
    query = request.query
    limit = int_query(request, "limit", 20, minimum=1, maximum=MAX_LIMIT)
    found = await directory(request).search(
        viewer,
        query.get("q", ""),
        kind=query.get("kind") or None,
        under=query.get("under") or None,
        tag=query.get("tag") or None,
        limit=limit,
    )
    return json_response(found)


@login_required
async def resolve(request: web.Request, viewer: Viewer) -> web.Response:
    offset, limit = paging(request)
    found = await directory(request).resolve(
        viewer,
        request.query.get("selector", ""),
        offset=offset,
        limit=limit,
        as_of=date_query(request, "at"),
    )
    return json_response(found)
