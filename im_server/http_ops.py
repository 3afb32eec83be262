"""Operations over HTTP for integrations: send a message, send a notice.

    POST /api/v1/messages   the arguments of msg.send    → 201 acknowledgement (200 on a retry)
    POST /api/v1/notices    the arguments of notice.send → 201 acknowledgement (200 on a retry)

Thin: the JSON body is the operation's ``args``; the call runs through
:func:`im_server.handlers.invoke` as the token's person (``via="http"``), so it is checked,
committed, delivered, made idempotent by ``client_msg_id`` and audited exactly as the same
frame over the websocket. A retry with the same ``client_msg_id`` answers the original
acknowledgement with ``"duplicate": true`` and stores nothing. Calls draw from the caller's
websocket rate limit (``ws_rate``, ``ws_burst``): over it, ``429 rate_limited``.
"""
from __future__ import annotations

import asyncio

from aiohttp import web

from im_server.handlers import Context, invoke
from im_server.keys import MESSAGING
from im_server.protocol import ProtocolError
from orgchart.http.auth import login_required
from orgchart.http.errors import error_response
from orgchart.http.views_common import json_response, read_object
from orgchart.service.viewer import Viewer

#: HTTP status of each protocol error code; any other refusal is a 400.
STATUS = {"unauthenticated": 401, "forbidden": 403, "not_found": 404, "conflict": 409,
          "recall_expired": 409, "no_recipients": 422, "rate_limited": 429, "unavailable": 503}


def status_of(code: str) -> int:
    return STATUS.get(code, 400)


async def run_op(request: web.Request, viewer: Viewer, op: str) -> web.Response:
    """Run ``op`` with the request body as its arguments; a refusal is the usual JSON error."""
    rt = request.app[MESSAGING]
    # the same per-user budget as the user's sockets: HTTP does not buy more sends
    if not rt.rate_limit_for(viewer.person_id, keep=True).take(asyncio.get_running_loop().time()):
        return error_response(429, "rate_limited", "发送过于频繁, 请稍后再试")
    args = await read_object(request)
    ctx = Context(rt, viewer, via="http", remote=request.remote)
    try:
        result = await invoke(ctx, op, args)
    except ProtocolError as exc:  # directory errors carry their own status (json_errors)
        return error_response(status_of(exc.code), exc.code, exc.message, **exc.details)
    return json_response(result, status=200 if result.get("duplicate") else 201)


@login_required
async def send_message(request: web.Request, viewer: Viewer) -> web.Response:
    return await run_op(request, viewer, "msg.send")


@login_required
async def send_notice(request: web.Request, viewer: Viewer) -> web.Response:
    return await run_op(request, viewer, "notice.send")


def routes(prefix: str = "/api/v1") -> list[web.RouteDef]:
    return [web.post(prefix + "/messages", send_message), web.post(prefix + "/notices", send_notice)]
