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
#: Messages for the router's own errors: no route for the path, or none for the method.
_ROUTER_MESSAGES = {404: "接口不存在", 405: "不支持该请求方法"}
#: Messages for other errors aiohttp raises itself (its reasons are English), e.g. a body over
#: ``client_max_size``.
_HTTP_MESSAGES = {400: "请求格式错误", 404: "请求的资源不存在", 413: "请求体过大"}


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
        messages = _ROUTER_MESSAGES if exc is request.match_info.http_exception else _HTTP_MESSAGES
        response = error_response(exc.status, _HTTP_CODES.get(exc.status, "http_error"),
                                  messages.get(exc.status, exc.reason))
        if isinstance(exc, web.HTTPMethodNotAllowed):  # a 405 must say what is allowed
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal", "服务器内部错误")
