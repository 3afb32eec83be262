"""Requests aiohttp cannot parse get the API's JSON error shape, in Chinese, without a traceback.

A request line or header over aiohttp's limit (8190 bytes), or bytes that are not HTTP, never
reach the application or its middlewares: aiohttp's request handler answers them itself, with
English plain text, and logs a traceback at ERROR level for every one — log noise anyone on the
internet can produce. :func:`install` replaces that answer for client errors (4xx) with
``{"error": {"code", "message"}}`` and logs one line at INFO; server errors keep aiohttp's
handling.
"""
from __future__ import annotations

import json
import logging

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger(__name__)
_installed = False


def _answer(exc: HttpProcessingError) -> tuple[str, str]:
    if isinstance(exc, LineTooLong):
        return "request_too_large", "请求行或请求头过长"
    return "bad_request", "请求格式错误, 无法解析"


def install() -> None:
    """Patch aiohttp's request handler once per process (every application shares it)."""
    global _installed
    if _installed:
        return
    original = RequestHandler.handle_error

    def handle_error(self: RequestHandler, request, status: int = 500,
                     exc: BaseException | None = None, message: str | None = None):
        if status >= 500 or not isinstance(exc, HttpProcessingError):
            return original(self, request, status, exc, message)
        log.info("refused an unparsable HTTP request from %s: %s", request.remote,
                 str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__)
        if request.writer.output_size > 0:
            raise ConnectionError("a response was sent already")
        code, text = _answer(exc)
        response = web.json_response({"error": {"code": code, "message": text}}, status=status,
                                     dumps=lambda o: json.dumps(o, ensure_ascii=False))
        response.force_close()
        return response

    RequestHandler.handle_error = handle_error  # type: ignore[method-assign]
    _installed = True
