"""Serving the browser client (``clients/web/``) at ``/``: no build step, ES modules as they are.

``GET /`` answers ``index.html`` (never cached) whose script and style links carry a version:
the SHA-256 of every file of the client, so ``/static/<version>/<file>`` can be cached for a
year and a new release is fetched at once. Every response carries a strict
Content-Security-Policy: scripts only from this origin and never inline, no plugins, no
framing; the websocket is reached on the same origin ('self' covers ws:/wss: on it), which is
also the origin the websocket's Origin check lets in.

The files are located as package data of ``clients.web``: a data dependency only, no imports.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from aiohttp import web

#: What the client may load: its own files, images it made from downloads (blob:), nothing else.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "media-src 'self' blob: data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
SERVED_SUFFIXES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml",
                   ".wav": "audio/wav", ".png": "image/png", ".txt": "text/plain"}
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class WebClient:
    """The client's files read once at start-up, and the version that names them."""

    index: str
    assets: dict[str, tuple[bytes, str]]
    version: str

    @classmethod
    def load(cls, root: Path | None = None) -> WebClient:
        root = root or Path(str(files("clients.web")))
        assets: dict[str, tuple[bytes, str]] = {}
        digest = hashlib.sha256()
        for path in sorted(root.iterdir()):
            if path.suffix in SERVED_SUFFIXES and path.is_file():
                body = path.read_bytes()
                assets[path.name] = (body, SERVED_SUFFIXES[path.suffix])
                digest.update(path.name.encode() + b"\0" + body)
        index = (root / "index.html").read_text(encoding="utf-8")
        digest.update(index.encode())
        version = digest.hexdigest()[:16]
        return cls(index.replace("{{version}}", version), assets, version)


WEB_CLIENT = web.AppKey("web_client", WebClient)


async def index(request: web.Request) -> web.Response:
    client = request.app[WEB_CLIENT]
    response = web.Response(text=client.index, content_type="text/html", charset="utf-8",
                            headers={**SECURITY_HEADERS, "Cache-Control": "no-cache, no-store"})
    response.enable_compression()
    return response


async def asset(request: web.Request) -> web.Response:
    client = request.app[WEB_CLIENT]
    name = request.match_info["name"]
    if request.match_info["version"] != client.version or name not in client.assets:
        # an old page asking for files of a release that is gone: it must reload, not cache this
        raise web.HTTPNotFound(text="资源不存在或版本已更新, 请刷新页面",
                               headers={"Cache-Control": "no-store"})
    body, content_type = client.assets[name]
    response = web.Response(body=body, content_type=content_type,
                            headers={**SECURITY_HEADERS, "Cache-Control": IMMUTABLE})
    if content_type.startswith("text/") or content_type == "image/svg+xml":
        response.enable_compression()
    return response


def setup(app: web.Application) -> None:
    app[WEB_CLIENT] = WebClient.load()
    app.router.add_get("/", index)
    app.router.add_get("/static/{version}/{name}", asset)
