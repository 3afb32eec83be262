"""Message search: the ``search`` operation and ``GET /api/v1/search/messages``.

Both entry points share :func:`find_messages`, the rules: a non-empty query, results only from
conversations the caller may read now (a post's former holder no longer finds its history),
and a named conversation must be one the caller is in. SQL lives in
:mod:`im_server.stores.search`.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from im_server.handlers import Context
from im_server.keys import MESSAGING
from im_server.protocol import ProtocolError
from im_server.runtime import Messaging
from im_server.stores import conversations as conversation_store
from im_server.stores import search as store
from im_server.stores.membership import membership
from orgchart.errors import InvalidInput, NotFound, PermissionDenied
from orgchart.http.auth import login_required
from orgchart.http.views_common import int_query, json_response
from orgchart.service.viewer import Viewer

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_QUERY = 200
#: conversations.id is a 32-bit integer; larger ids cannot exist (and would overflow the driver).
MAX_ID = 2**31 - 1


async def find_messages(rt: Messaging, person_id: int, query: Any, *, conversation_id: int | None,
                        limit: int, today: dt.date) -> dict[str, Any]:
    """Matches newest first; or NotFound, PermissionDenied, InvalidInput (directory errors)."""
    if not isinstance(query, str) or not query.strip():
        raise InvalidInput("搜索词不能为空", details={"field": "query"})
    query = query.strip()
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"搜索词过长 (上限 {MAX_QUERY} 字)", details={"field": "query"})
    if "\x00" in query:  # PostgreSQL text cannot hold NUL, so no message could match
        raise InvalidInput("搜索词含有非法字符", details={"field": "query"})
    async with rt.engine.connect() as conn:
        if conversation_id is not None:
            if (conversation_id > MAX_ID
                    or await conversation_store.get(conn, conversation_id) is None):
                raise NotFound("会话不存在")
            is_member, _, _ = await membership(conn, conversation_id, person_id, today)
            if not is_member:
                raise PermissionDenied("您不是该会话的成员")
        matches = await store.search_messages(conn, person_id, query, today=today,
                                              conversation_id=conversation_id, limit=limit)
    return {"query": query, "matches": matches}


async def search(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    try:
        return await find_messages(ctx.rt, ctx.me, args["query"],
                                   conversation_id=args.get("conversation"),
                                   limit=args.get("limit", DEFAULT_LIMIT), today=ctx.today())
    except InvalidInput as exc:  # the protocol's code for a bad argument
        raise ProtocolError("invalid_args", exc.message, **exc.details) from None


@login_required
async def search_messages_view(request: web.Request, viewer: Viewer) -> web.Response:
    """``GET /api/v1/search/messages?q=…&conversation=…&limit=…`` for the web client."""
    conversation = int_query(request, "conversation", 0, minimum=1) or None
    limit = int_query(request, "limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    result = await find_messages(request.app[MESSAGING], viewer.person_id, request.query.get("q"),
                                 conversation_id=conversation, limit=limit, today=dt.date.today())
    return json_response(result)


OPS = {"search": search}
