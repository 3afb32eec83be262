"""The sending side: a full client on the ``websockets`` library (asyncio API).

Requests carry ids and each waits for its own reply; pushed events are read and counted but
otherwise dropped. The same class talks to our server (first-frame ``auth`` with a token) and to
the floor (no auth).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


class RequestFailed(RuntimeError):
    def __init__(self, reply: dict[str, Any]) -> None:
        super().__init__(json.dumps(reply.get("error"), ensure_ascii=False))
        self.reply = reply


class Client:
    def __init__(self) -> None:
        self.ws: ClientConnection | None = None
        self.ids = itertools.count(1)
        self.replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.events = 0
        self.ready = asyncio.Event()
        self.reader: asyncio.Task | None = None

    async def connect(self, url: str, token: str | None = None) -> None:
        """Open the socket, authenticate in the first frame if ``token``, wait for the sync event."""
        self.ws = await connect(url, compression=None, max_size=None, open_timeout=30)
        self.reader = asyncio.create_task(self._read())
        if token is not None:
            await self.request("auth", token=token)
        await asyncio.wait_for(self.ready.wait(), 30)

    async def _read(self) -> None:
        assert self.ws is not None
        async for text in self.ws:
            if isinstance(text, bytes) or not text.startswith('{"v":1,"re":'):
                self.events += 1
                if '"ev":"sync.' in text:
                    self.ready.set()
                continue
            reply = json.loads(text)
            future = self.replies.pop(reply["re"], None)
            if future is not None and not future.done():
                future.set_result(reply)

    async def call(self, op: str, timeout: float = 60, **args: Any) -> tuple[float, dict[str, Any]]:
        """Send one request; returns (monotonic time just before sending, the reply frame)."""
        assert self.ws is not None
        request_id = f"q{next(self.ids)}"
        future = asyncio.get_running_loop().create_future()
        self.replies[request_id] = future
        text = json.dumps({"v": 1, "id": request_id, "op": op, "args": args}, ensure_ascii=False)
        sent_at = time.monotonic()
        await self.ws.send(text)
        return sent_at, await asyncio.wait_for(future, timeout)

    async def request(self, op: str, timeout: float = 60, **args: Any) -> Any:
        _, reply = await self.call(op, timeout, **args)
        if not reply.get("ok"):
            raise RequestFailed(reply)
        return reply["result"]

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)
