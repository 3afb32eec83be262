"""The OpenAPI 3.1 document of the API, served as JSON.

The directory's routes are described in ``openapi.json`` beside this module. Other packages
that add routes under ``/api/v1/`` describe theirs in their own OpenAPI file and append its
path to ``app[OPENAPI_PARTS]`` (a key of :mod:`orgchart.http.keys`) in their ``setup(app)``;
the served document merges them (paths, components, tags), so clients see one description of
the whole server. The package that assembles the whole server titles it through
``app[OPENAPI_INFO]``.
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from orgchart.http.keys import OPENAPI_INFO, OPENAPI_PARTS

OPENAPI_FILE = Path(__file__).with_name("openapi.json")


def load_openapi(parts: list[Path] | tuple[Path, ...] = (),
                 info: dict[str, Any] | None = None) -> dict[str, Any]:
    """The directory's document with ``parts`` merged in (a part's entries win), titled by
    ``info`` when given."""
    document = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    if info is not None:
        document["info"] = info
    for part in parts:
        extra = json.loads(Path(part).read_text(encoding="utf-8"))
        document["paths"].update(extra.get("paths", {}))
        for section, entries in extra.get("components", {}).items():
            document["components"].setdefault(section, {}).update(entries)
        names = {tag["name"] for tag in document.get("tags", [])}
        document.setdefault("tags", []).extend(
            tag for tag in extra.get("tags", []) if tag["name"] not in names
        )
    return document


def openapi_view() -> Callable[[web.Request], Awaitable[web.Response]]:
    """A handler serving the merged document, built on the first request (after every setup)."""
    built: list[str] = []

    async def openapi(request: web.Request) -> web.Response:
        if not built:
            parts = request.app.get(OPENAPI_PARTS, [])
            info = request.app.get(OPENAPI_INFO)
            built.append(json.dumps(load_openapi(parts, info), ensure_ascii=False))
        return web.Response(text=built[0], content_type="application/json", charset="utf-8")

    return openapi
