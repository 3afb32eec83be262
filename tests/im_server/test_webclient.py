"""The browser client's files: served at / with a strict CSP, cached by version, never the index."""
from __future__ import annotations

import re

import aiohttp
import pytest

from im_server.webclient import CSP


@pytest.fixture
def db_url(sqlite_url):
    """Static files do not touch the database: SQLite only, rather than a skipped PostgreSQL run."""
    return sqlite_url


async def test_index_is_never_cached_and_assets_are_versioned(im_server):
    base = str(im_server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/") as response:
            assert response.status == 200
            assert response.headers["Cache-Control"] == "no-cache, no-store"
            assert response.headers["Content-Security-Policy"] == CSP
            assert "script-src 'self';" in CSP and "unsafe-inline" not in CSP
            html = await response.text()
        assert "<script>" not in html  # no inline script: the CSP would refuse it anyway
        script = re.search(r'src="(/static/([0-9a-f]{16})/main\.js)"', html)
        assert script, html
        async with http.get(base + script.group(1)) as response:
            assert response.status == 200
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert response.content_type == "text/javascript"
            assert "import" in await response.text()
        # a page of an older release asks for files that are gone: not found, and not cached
        async with http.get(base + "/static/0000000000000000/main.js") as response:
            assert response.status == 404 and response.headers["Cache-Control"] == "no-store"
        async with http.get(base + f"/static/{script.group(2)}/nope.js") as response:
            assert response.status == 404
        async with http.get(base + "/", headers={"Accept-Encoding": "gzip"}) as response:
            assert response.headers.get("Content-Encoding") == "gzip"


async def test_websocket_origin_check_passes_for_the_served_origin_only(im_server):
    base = str(im_server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(base + "/ws", origin=base) as ws:  # upgraded, then waits for auth
            await ws.send_json({"v": 1, "id": "1", "op": "ping"})
            assert (await ws.receive_json())["error"]["code"] == "unauthenticated"
        async with http.get(base + "/ws", headers={"Origin": "http://evil.example"}) as response:
            assert response.status == 403
            assert (await response.json())["error"]["code"] == "origin_not_allowed"
