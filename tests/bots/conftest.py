"""A running server with the sample bots installed, on each backend, and websocket clients."""
from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer

from bots.runtime import INSTALLED_BOTS
from im_server.app import create_app
from orgchart.http.keys import SESSIONS
from tests.bots.sample_bots import BrokenBot, QueryBot, SlowBot
from tests.im_server.conftest import connect, im_settings  # noqa: F401  (fixtures)
from tests.im_server.harness import load_sample


@pytest.fixture
async def im_server(im_settings):  # noqa: F811  (the one ``connect`` uses)
    app = create_app(im_settings)
    app[INSTALLED_BOTS] = [QueryBot(), BrokenBot(), SlowBot()]
    server = TestServer(app)
    await server.start_server()
    await load_sample(server.app[SESSIONS])
    yield server
    await server.close()
