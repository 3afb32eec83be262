"""``GET /metrics`` for Prometheus, and the middleware that gives each HTTP request an id.

By default ``/metrics`` is served on the main port to administrators only (``Authorization:
Bearer <an admin's token>``; others get the usual JSON 401/403). With ``metrics_listen =
"HOST:PORT"`` it is served on that address instead, without authentication — an address only
the monitoring network reaches — and the main port has no ``/metrics`` at all.
"""
from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import AsyncIterator

from aiohttp import web

from im_server.keys import METRICS, METRICS_LISTENER
from im_server.metrics import CONTENT_TYPE, Metrics, MetricsListener
from orgchart.http.auth import current_viewer
from orgchart.infra.config import Settings
from orgchart.infra.logs import REQUEST_ID

log = logging.getLogger(__name__)

#: A client's own ``X-Request-Id`` is kept when it looks like an id (no log injection).
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_context(metrics: Metrics):
    """Middleware: a request id for the logs (and the ``X-Request-Id`` response header), and
    ``zhengding_http_requests_total`` / HTTP ``zhengding_errors_total`` for the answer."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        supplied = request.headers.get("X-Request-Id", "")
        request_id = supplied if _CLIENT_ID.fullmatch(supplied) else uuid.uuid4().hex
        # each request runs in a task of its own: no reset needed, and the access log sees it
        REQUEST_ID.set(request_id)
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # outside /api/ aiohttp's own errors pass through
            exc.headers["X-Request-Id"] = request_id
            metrics.http_response(request.method, exc.status, None)
            raise
        if not response.prepared:  # a websocket has sent its headers long ago
            response.headers["X-Request-Id"] = request_id
        metrics.http_response(request.method, response.status, _error_code(response))
        return response

    return middleware


def _error_code(response: web.StreamResponse) -> str | None:
    """The ``error.code`` of a JSON error answer (errors are rare: parsing them is cheap)."""
    if response.status < 400 or not isinstance(response, web.Response):
        return None
    body = response.body
    if not isinstance(body, bytes) or response.content_type != "application/json":
        return None
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) else None


def _exposition(metrics: Metrics) -> web.Response:
    return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})


async def admin_metrics(request: web.Request) -> web.Response:
    """``GET /metrics`` on the main port: administrators only."""
    (await current_viewer(request)).require_admin()
    return _exposition(request.app[METRICS])


async def open_metrics(request: web.Request) -> web.Response:
    """``GET /metrics`` on the ``metrics_listen`` address: whoever can reach it."""
    return _exposition(request.app[METRICS])


def setup(app: web.Application, settings: Settings, metrics: Metrics) -> None:
    """Serve ``/metrics`` on the main port (admins) or start the separate listener."""
    app[METRICS] = metrics
    address = settings.metrics_address
    if address is None:
        app.router.add_get("/metrics", admin_metrics)
        return

    async def listener(app: web.Application) -> AsyncIterator[None]:
        host, port = address
        metrics_app = web.Application()
        metrics_app[METRICS] = metrics
        metrics_app.router.add_get("/metrics", open_metrics)
        runner = web.AppRunner(metrics_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0]
        app[METRICS_LISTENER] = MetricsListener(host, bound[1])
        log.info("metrics served on http://%s:%s/metrics", host, bound[1])
        yield
        await runner.cleanup()

    app.cleanup_ctx.append(listener)
