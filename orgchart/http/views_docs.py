"""The OpenAPI 3.1 document of this API, served as JSON from the file beside this module."""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

OPENAPI_FILE = Path(__file__).with_name("openapi.json")


def load_openapi() -> dict[str, Any]:
    return json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))


def openapi_view() -> Callable[[web.Request], Awaitable[web.Response]]:
    """A handler serving the document, read once when the routes are set up."""
    body = json.dumps(load_openapi(), ensure_ascii=False)

    async def openapi(request: web.Request) -> web.Response:
        return web.Response(text=body, content_type="application/json", charset="utf-8")

    return openapi
