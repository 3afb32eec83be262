"""One websocket's outgoing side: frames are written straight to the transport, never awaited.

Fan-out builds each event's frame bytes once (:func:`text_frame`) and hands the same bytes to
every recipient's transport — what ``websockets.broadcast`` does — so a notice to 10,000 people
costs 10,000 ``transport.write`` calls, not 10,000 tasks. The transport's write buffer is the
per-client bound: a client whose unsent bytes exceed ``max_buffer`` is disconnected (close
code 4008) and resumes from its cursor when it reconnects; the others are unaffected. While a
client replays from its cursor, live events wait in ``pending`` and are released after the
replay, without duplicates (positions at or below ``last_position`` are dropped).
"""
from __future__ import annotations

import asyncio
import logging
import struct

from aiohttp import web

log = logging.getLogger(__name__)
TOO_SLOW = 4008
#: Replays pause while more than this is waiting in the transport.
DRAIN_BELOW = 256 * 1024


def text_frame(payload: bytes) -> bytes:
    """An unmasked, uncompressed, final websocket text frame (RFC 6455 §5.2), as servers send."""
    length = len(payload)
    if length < 126:
        return struct.pack("!BB", 0x81, length) + payload
    if length < 65536:
        return struct.pack("!BBH", 0x81, 126, length) + payload
    return struct.pack("!BBQ", 0x81, 127, length) + payload


class Connection:
    __slots__ = (
        "__weakref__",
        "closed",
        "last_position",
        "max_buffer",
        "max_pending",
        "pending",
        "person_id",
        "replaying",
        "skipped",
        "transport",
        "ws",
    )

    def __init__(self, ws: web.WebSocketResponse, person_id: int, *, max_buffer: int = 4 * 1024 * 1024,
                 max_pending: int = 5000) -> None:
        self.ws = ws
        # compress=False on the response and server frames are unmasked, so frames built once
        # are valid on every socket; aiohttp writes its own frames whole, so none interleave.
        self.transport = ws._writer.transport  # type: ignore[union-attr]
        self.person_id = person_id
        self.last_position = 0
        self.replaying = True
        self.pending: list[tuple[int, bytes]] = []
        self.skipped: set[int] = set()
        self.max_buffer = max_buffer
        self.max_pending = max_pending
        self.closed = False

    # --- called by the hub (events) and by request handling (replies) -----------------------

    def push(self, position: int, frame: bytes) -> None:
        if self.admit(position, frame):
            self.send(frame)

    def admit(self, position: int, frame: bytes) -> bool:
        """Whether the event at ``position`` is to be written now (the caller writes it). A
        duplicate is refused; during a replay the event waits in ``pending`` instead."""
        if self.closed or position <= self.last_position:
            return False
        if self.skipped and position in self.skipped:
            self.skipped.discard(position)
            return False
        if self.replaying:
            if len(self.pending) >= self.max_pending:
                self.drop("实时事件积压过多")
            else:
                self.pending.append((position, frame))
            return False
        self.last_position = position
        return True

    def skip(self, position: int) -> None:
        """Do not write the event at ``position`` live: this device caused it (it still
        replays, harmlessly, if the client resumes from an older cursor)."""
        if position > self.last_position:
            self.skipped.add(position)

    def send(self, frame: bytes | str) -> None:
        if self.closed:
            return
        if self.transport.is_closing():
            self.closed = True
            return
        if self.transport.get_write_buffer_size() > self.max_buffer:
            self.drop("客户端接收过慢")
            return
        self.transport.write(frame if isinstance(frame, bytes) else text_frame(frame.encode()))

    async def drained(self) -> None:
        """Wait until the socket has taken most of what was written (replays page with this)."""
        while not self.closed and not self.transport.is_closing() \
                and self.transport.get_write_buffer_size() > DRAIN_BELOW:
            await asyncio.sleep(0.005)

    def live(self) -> int:
        """The replay is done: release what arrived meanwhile and go live. Returns how many
        frames were released (for the metrics)."""
        self.replaying = False
        pending, self.pending = self.pending, []
        released = 0
        for position, frame in pending:
            if self.admit(position, frame):
                self.send(frame)
                released += 1
        return released

    def drop(self, why: str) -> None:
        """Disconnect a client that cannot keep up; it will resume from its cursor."""
        if self.closed:
            return
        self.closed = True
        self.pending.clear()
        log.info("disconnecting person %s: %s", self.person_id, why)
        asyncio.get_running_loop().create_task(
            self.ws.close(code=TOO_SLOW, message=b"too slow; reconnect and resume from your cursor"))
