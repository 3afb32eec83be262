"""The async Python SDK of Zhengding: log in, connect, send, receive in order, resume, upload.

Used by the ``zhengding`` command line, the tests and bots. It speaks the websocket protocol of
docs/protocol.md and the HTTP API; it imports nothing from the server packages.

    from clients.sdk import ZhengdingClient

    async with ZhengdingClient("http://127.0.0.1:8080") as client:
        await client.login("13800000001", password)
        await client.connect()
        conversation = await client.open_direct(2)
        ack = await client.send_text(conversation.id, "你好")
        async for event in client.events():
            print(event.position, event.type, event.data)
"""
from __future__ import annotations

from clients.sdk.backoff import Backoff
from clients.sdk.client import IDEMPOTENT, ZhengdingClient, media_token
from clients.sdk.errors import (
    AuthError,
    ClientClosed,
    Conflict,
    ConnectionLost,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
    ServerError,
    ZhengdingError,
    error_from,
)
from clients.sdk.frames import Ack, Conversation, Event

__all__ = [
    "IDEMPOTENT", "Ack", "AuthError", "Backoff", "ClientClosed", "Conflict", "ConnectionLost",
    "Conversation", "Event", "InvalidRequest", "NotFound", "PermissionDenied", "RateLimited",
    "RequestTimeout", "ServerError", "ZhengdingClient", "ZhengdingError", "error_from", "media_token",
]
