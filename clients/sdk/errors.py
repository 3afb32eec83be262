"""The SDK's exception tree: every failure a caller sees is a :class:`ZhengdingError` with a code.

    ZhengdingError                  code, message, details, status (HTTP status or None)
    ├── AuthError                   unauthenticated, auth_timeout — log in again
    ├── PermissionDenied            forbidden, origin_not_allowed
    ├── NotFound                    not_found
    ├── InvalidRequest              invalid_args, invalid_input, bad_frame, unknown_op, …
    ├── Conflict                    conflict, recall_expired
    ├── RateLimited                 rate_limited — slow down and retry
    ├── ServerError                 internal and unknown 5xx answers
    ├── ConnectionLost              disconnected — the request may or may not have run
    ├── RequestTimeout              timeout — no reply in time
    └── ClientClosed                closed — the client was closed

Codes come from the server (see docs/protocol.md) and never change; messages are for people
(Simplified Chinese from the server). :func:`error_from` picks the class for a code, so callers
can catch a family (``except NotFound``) or test ``exc.code``.
"""
from __future__ import annotations

from typing import Any


class ZhengdingError(Exception):
    """An error answer from the server, or a client-side failure with a stable code."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None, *,
                 status: int | None = None) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code
        self.message = message
        self.details = details or {}
        #: The HTTP status when the error came from the HTTP API; None for websocket replies.
        self.status = status


class AuthError(ZhengdingError):
    """Not logged in, the token expired or was revoked: log in again."""


class PermissionDenied(ZhengdingError):
    pass


class NotFound(ZhengdingError):
    pass


class InvalidRequest(ZhengdingError):
    """The request itself is wrong; ``details.field`` names the argument when known."""


class Conflict(ZhengdingError):
    pass


class RateLimited(ZhengdingError):
    pass


class ServerError(ZhengdingError):
    pass


class ConnectionLost(ZhengdingError):
    """The socket closed before the reply came: the server may or may not have done it."""

    def __init__(self, message: str = "连接已断开", *, close_code: int | None = None) -> None:
        super().__init__("disconnected", message, {"close_code": close_code} if close_code else None)
        self.close_code = close_code


class RequestTimeout(ZhengdingError):
    def __init__(self, message: str = "等待服务器应答超时") -> None:
        super().__init__("timeout", message)


class ClientClosed(ZhengdingError):
    def __init__(self, message: str = "客户端已关闭") -> None:
        super().__init__("closed", message)


_BY_CODE: dict[str, type[ZhengdingError]] = {
    "unauthenticated": AuthError,
    "auth_timeout": AuthError,
    "token_in_url": AuthError,
    "forbidden": PermissionDenied,
    "origin_not_allowed": PermissionDenied,
    "not_found": NotFound,
    "invalid_args": InvalidRequest,
    "invalid_input": InvalidRequest,
    "bad_frame": InvalidRequest,
    "bad_request": InvalidRequest,
    "unknown_op": InvalidRequest,
    "unsupported_version": InvalidRequest,
    "selector_syntax": InvalidRequest,
    "invalid_credit_code": InvalidRequest,
    "payload_too_large": InvalidRequest,
    "conflict": Conflict,
    "recall_expired": Conflict,
    "rate_limited": RateLimited,
    "internal": ServerError,
}
_BY_STATUS: dict[int, type[ZhengdingError]] = {
    400: InvalidRequest, 401: AuthError, 403: PermissionDenied, 404: NotFound, 409: Conflict,
    413: InvalidRequest, 422: InvalidRequest, 429: RateLimited,
}


def error_from(code: str, message: str, details: dict[str, Any] | None = None, *,
               status: int | None = None) -> ZhengdingError:
    """The exception for an error answer ``{"code", "message", "details"}``."""
    cls = _BY_CODE.get(code) or _BY_STATUS.get(status or 0)
    if cls is None:
        cls = ServerError if status is not None and status >= 500 else ZhengdingError
    return cls(code, message, details, status=status)
