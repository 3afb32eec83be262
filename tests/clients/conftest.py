"""Fixtures for the client tests: the IM server's real-server fixtures, and SDK client factories."""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from clients.sdk import Backoff, ZhengdingClient
from tests.im_server.conftest import connect, im_server, im_settings  # noqa: F401  (fixtures)
from tests.im_server.harness import PASSWORD

SdkFactory = Callable[..., Awaitable[ZhengdingClient]]


@pytest.fixture
def base_url(im_server) -> str:  # noqa: F811
    return str(im_server.make_url("")).rstrip("/")


@pytest.fixture
async def sdk(base_url) -> AsyncIterator[SdkFactory]:
    """``await sdk(mobile, cursor=None, online=True, **client_options)``: a logged-in client.

    Backoff is short so that reconnect tests run in well under a second per drop.
    """
    clients: list[ZhengdingClient] = []

    async def factory(mobile: str, *, cursor: int | None = None, online: bool = True,
                      **options) -> ZhengdingClient:
        options.setdefault("backoff", Backoff(initial=0.05, maximum=0.5))
        client = ZhengdingClient(base_url, **options)
        clients.append(client)
        await client.login(mobile, PASSWORD)
        if online:
            await client.connect(cursor)
        return client

    yield factory
    for client in clients:
        await client.close()
