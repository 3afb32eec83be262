"""Route table of the IM server: the websocket and the messaging HTTP API under /api/v1/."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from im_server import http_audit, http_bots, http_notices, http_ops, webclient
from im_server.gateway import websocket_endpoint
from im_server.handlers.search import search_messages_view
from im_server.keys import MESSAGING
from im_server.media import views as media_views
from im_server.tickets import issue_ticket
from orgchart.http.auth import login_required
from orgchart.http.keys import OPENAPI_INFO, OPENAPI_PARTS
from orgchart.http.views_common import json_response
from orgchart.service.viewer import Viewer

#: The OpenAPI description of the routes below (media, notices, outbox, message search); the
#: websocket ticket is described in the directory's own document.
OPENAPI_FILE = Path(__file__).with_name("openapi_messaging.json")
#: Sending messages and notices over HTTP (im_server/http_ops.py).
OPENAPI_OPS_FILE = Path(__file__).with_name("openapi_ops.json")
#: Bot accounts (im_server/http_bots.py).
OPENAPI_BOTS_FILE = Path(__file__).with_name("openapi_bots.json")
#: The served document describes the whole server, not only the directory it starts from.
OPENAPI_INFO_WHOLE = {
    "title": "政钉 Zhengding API",
    "version": "1",
    "description": (
        "The whole Zhengding server over HTTP: accounts and activation, the five-level "
        "directory (units, departments, posts, people, enterprises, virtual organisations, "
        "search and selectors), messages and notices sent by integrations, media, notice "
        "status and DING reminders, message search, the audit log and the websocket ticket. "
        "All JSON; errors are `{\"error\": {\"code\", \"message\", \"details\"}}` with a stable "
        "code and a Chinese message. The websocket protocol is in docs/protocol.md; the HTTP API "
        "in docs/api.md."),
}


@login_required
async def ws_ticket(request: web.Request, viewer: Viewer) -> web.Response:
    """A single-use ticket for ``GET /ws?ticket=…`` (keeps long-lived tokens out of URLs)."""
    return json_response(await issue_ticket(request.app[MESSAGING], viewer), status=201)


def setup(app: web.Application) -> None:
    app.router.add_get("/ws", websocket_endpoint)
    app.router.add_post("/api/v1/ws-ticket", ws_ticket)
    http_audit.setup(app)
    app.router.add_routes(http_notices.routes())
    app.router.add_routes(http_ops.routes())
    app.router.add_routes(http_bots.routes())
    app.router.add_get("/api/v1/search/messages", search_messages_view)
    media_views.setup(app)
    webclient.setup(app)
    app.setdefault(OPENAPI_PARTS, []).extend([OPENAPI_FILE, OPENAPI_OPS_FILE, OPENAPI_BOTS_FILE])
    app[OPENAPI_INFO] = OPENAPI_INFO_WHOLE
