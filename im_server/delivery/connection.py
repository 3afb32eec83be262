"""One websocket's outgoing side: a bounded queue drained by a writer task started on demand.

Fan-out only appends to the queue; it never waits on a socket. A client whose queue overflows
is disconnected (close code 4008) and resumes from its cursor when it reconnects — the others
are unaffected. While a client replays from its cursor, live events wait in ``pending`` and are
released after the replay, without duplicates (positions at or below ``last_position`` are dropped).
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque

from aiohttp import web

log = logging.getLogger(__name__)
TOO_SLOW = 4008


class Connection:
    __slots__ = ("ws", "person_id", "last_position", "replaying", "pending", "queue",
                 "max_queue", "writer", "closed", "info", "__weakref__")

    def __init__(self, ws: web.WebSocketResponse, person_id: int, *, max_queue: int = 2000,
                 info: dict | None = None) -> None:
        self.ws = ws
        self.person_id = person_id
        self.last_position = 0
        self.replaying = True
        self.pending: list[tuple[int, str]] = []
        self.queue: deque[str] = deque()
        self.max_queue = max_queue
        self.writer: asyncio.Task | None = None
        self.closed = False
        self.info = info or {}

    # --- called by the hub (events) and by request handling (replies) -----------------------

    def push(self, position: int, frame: str) -> None:
        if self.closed or position <= self.last_position:
            return
        if self.replaying:
            if len(self.pending) >= self.max_queue:
                self.drop("实时事件积压过多")
            else:
                self.pending.append((position, frame))
            return
        self.last_position = position
        self.send(frame)

    def send(self, frame: str) -> None:
        if self.closed:
            return
        if len(self.queue) >= self.max_queue:
            self.drop("客户端接收过慢")
            return
        self.queue.append(frame)
        if self.writer is None:
            self.writer = asyncio.create_task(self._write())

    def live(self) -> None:
        """The replay is done: release what arrived meanwhile and go live."""
        self.replaying = False
        pending, self.pending = self.pending, []
        for position, frame in pending:
            self.push(position, frame)

    def drop(self, why: str) -> None:
        """Disconnect a client that cannot keep up; it will resume from its cursor."""
        if self.closed:
            return
        self.closed = True
        self.queue.clear()
        self.pending.clear()
        log.info("disconnecting person %s: %s", self.person_id, why)
        asyncio.get_running_loop().create_task(
            self.ws.close(code=TOO_SLOW, message="too slow; reconnect and resume from your cursor".encode()))

    async def _write(self) -> None:
        try:
            while self.queue and not self.closed:
                await self.ws.send_str(self.queue.popleft())
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            self.closed = True
        finally:
            self.writer = None
