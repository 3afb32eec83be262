"""Fixtures for the IM server: a running application on each backend and client factories."""
from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from im_server.app import create_app
from orgchart.http.keys import SESSIONS
from orgchart.infra.config import Settings
from tests.im_server.harness import WsClient, load_sample


@pytest.fixture
def im_settings(db_url, tmp_path) -> Settings:
    return Settings(database_url=db_url, demo_data=False, media_dir=str(tmp_path / "media"),
                    ws_auth_timeout=1.0)


@pytest.fixture
async def im_server(im_settings):
    server = TestServer(create_app(im_settings))
    await server.start_server()
    await load_sample(server.app[SESSIONS])
    yield server
    await server.close()


@pytest.fixture
async def connect(im_server):
    """``await connect(mobile)``: a logged-in, connected :class:`WsClient`."""
    http = aiohttp.ClientSession()
    clients: list[WsClient] = []
    base = str(im_server.make_url("")).rstrip("/")

    async def factory(mobile: str, **kwargs) -> WsClient:
        client = WsClient(base, http)
        await client.login(mobile)
        await client.connect(**kwargs)
        clients.append(client)
        return client

    factory.base_url = base
    factory.http = http
    yield factory
    for client in clients:
        await client.close()
    await http.close()
