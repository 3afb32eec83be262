"""Every error leaves the API as JSON with a stable code: ``{"error": {"code", "message"}}``."""
from __future__ import annotations

import json
import logging

from aiohttp import web

from orgchart.errors import ZhengdingError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


def error_response(status: int, code: str, message: str, **details) -> web.Response:
    body: dict = {"code": code, "message": message}
    if details:
        body["details"] = details
    return web.json_response(
        {"error": body}, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False)
    )


@web.middleware
async def json_errors(request: web.Request, handler):
    try:
        return await handler(request)
    except ZhengdingError as exc:
        return web.json_response(
            exc.to_json(), status=exc.status, dumps=lambda o: json.dumps(o, ensure_ascii=False)
        )
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith("/api/"):
            raise
        return error_response(exc.status, _HTTP_CODES.get(exc.status, "http_error"), exc.reason)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal", "服务器内部错误")
