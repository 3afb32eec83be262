"""Bearer-token authentication for the directory API.

Views that need a signed-in caller are wrapped with :func:`login_required`, which resolves
``Authorization: Bearer <token>`` to a :class:`~orgchart.service.viewer.Viewer` and passes it
in. A decorator rather than an app-wide middleware: public routes (``/healthz``, login, the
OpenAPI document) stay public without a list of exceptions, and the viewer is an explicit
argument instead of a value fished out of the request.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

from aiohttp import web

from orgchart.errors import AuthenticationFailed
from orgchart.http.views_common import accounts
from orgchart.service.accounts import TOKEN_INVALID
from orgchart.service.viewer import Viewer

ViewerHandler = Callable[[web.Request, Viewer], Awaitable[web.StreamResponse]]


def bearer_token(request: web.Request) -> str:
    """The token of an ``Authorization: Bearer …`` header, or :class:`AuthenticationFailed`."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed(TOKEN_INVALID)
    return token.strip()


async def current_viewer(request: web.Request) -> Viewer:
    return await accounts(request).authenticate(bearer_token(request))


def login_required(handler: ViewerHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Call ``handler(request, viewer)`` for a valid token; 401 ``unauthenticated`` otherwise."""

    @wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        return await handler(request, await current_viewer(request))

    return wrapper
