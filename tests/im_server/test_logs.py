"""JSON logs of a real server: every line parses and carries the request and connection ids."""
from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orgchart.infra.logs import make_handler

ZHENGDING = Path(sys.executable).with_name("zhengding")
ZHANG = "13800000001"


@pytest.fixture
def json_lines():
    """Root-logger records as JSON lines, with the access log and the gateway's debug lines on."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("aiohttp.access", "im_server.gateway")}
    logging.getLogger("aiohttp.access").setLevel(logging.INFO)
    logging.getLogger("im_server.gateway").setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_requests_and_connections_have_ids_on_their_records(json_lines, connect):
    base, http = connect.base_url, connect.http
    async with http.get(f"{base}/healthz", headers={"X-Request-Id": "ops-check-1"}) as response:
        assert response.headers["X-Request-Id"] == "ops-check-1"
    async with http.get(f"{base}/healthz", headers={"X-Request-Id": "\"forged\": true, x"}) as response:
        generated = response.headers["X-Request-Id"]  # not a plausible id: replaced
        assert generated != "\"forged\": true, x" and len(generated) == 32
    for path in ("/no-such-page", "/api/v1/no-such-thing"):  # aiohttp's own 404, and ours in JSON
        async with http.get(f"{base}{path}", headers={"X-Request-Id": "lost-1"}) as response:
            assert response.status == 404 and response.headers["X-Request-Id"] == "lost-1"
    first, second = await connect(ZHANG), await connect(ZHANG)
    await first.close()
    await second.close()
    for _ in range(200):  # the server logs the closes once it has read them
        lines = json_lines()
        if sum("closed" in line["message"] for line in lines) == 2:
            break
        await asyncio.sleep(0.01)
    access = [line for line in lines if line["logger"] == "aiohttp.access"]
    assert any(line.get("request_id") == "ops-check-1" and "/healthz" in line["message"] for line in access)
    assert any(line.get("request_id") == generated for line in access)
    opened = [line for line in lines if line["logger"] == "im_server.gateway" and "authenticated" in line["message"]]
    closed = [line for line in lines if line["logger"] == "im_server.gateway" and "closed" in line["message"]]
    assert len(opened) == 2 and len(closed) == 2
    connections = {line["connection_id"] for line in opened}
    assert len(connections) == 2  # one id per socket
    assert {line["connection_id"] for line in closed} == connections
    assert all(line.get("request_id") for line in opened)  # the /ws request's own id too
    assert len({line["request_id"] for line in opened}) == 2
    ws_access = [line for line in access if "GET /ws?" in line["message"]]
    assert {line["connection_id"] for line in ws_access} == connections


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_zhengding_serve_writes_json_lines_when_configured(tmp_path):
    port = _free_port()
    env = {**os.environ, "ZHENGDING_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/logs.sqlite3",
           "ZHENGDING_MEDIA_DIR": str(tmp_path / "media"), "ZHENGDING_LOG_FORMAT": "json"}
    env.pop("ZHENGDING_REDIS_URL", None)
    log_file = tmp_path / "server.log"
    with log_file.open("w") as stderr:
        process = subprocess.Popen([str(ZHENGDING), "serve", "--port", str(port), "--no-demo"], env=env,
                                   cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 60
            while True:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz",
                                                 headers={"X-Request-Id": "serve-check"})
                try:
                    with urllib.request.urlopen(request, timeout=1) as response:
                        assert response.headers["X-Request-Id"] == "serve-check"
                        break
                except OSError:
                    assert process.poll() is None, log_file.read_text()
                    assert time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.2)
        finally:
            process.terminate()
            process.wait(timeout=30)
    text = log_file.read_text()
    lines = [json.loads(line) for line in text.splitlines()]  # every line is a JSON object
    assert lines, text
    assert any(line["logger"] == "aiohttp.access" and line.get("request_id") == "serve-check"
               for line in lines), text
    assert {"time", "level", "logger", "message"} <= set(lines[0])
