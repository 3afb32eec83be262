"""A lean websocket client on ``asyncio.Protocol``: handshake, frame parsing, nothing else.

Server frames are unmasked; client frames are masked with the all-zero key (legal under RFC 6455
and free to apply). Text frames are handed to a callback as ``bytes``; pings are answered.
"""
from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from collections.abc import Callable

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_ZERO_MASK = b"\x00\x00\x00\x00"

FrameCallback = Callable[["LeanSocket", bytes, float], None]


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked (zero key) client frame."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return header + _ZERO_MASK + payload


class LeanSocket(asyncio.Protocol):
    """One websocket connection. ``opened`` resolves after the 101; ``closed`` when the TCP closes."""

    __slots__ = (
        "_buf",
        "_fragments",
        "_handshaken",
        "closed",
        "host",
        "on_text",
        "opened",
        "path",
        "tag",
        "transport",
    )

    def __init__(self, host: str, path: str, on_text: FrameCallback, tag: object = None) -> None:
        loop = asyncio.get_running_loop()
        self.host = host
        self.path = path
        self.on_text = on_text
        self.tag = tag
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self._buf = bytearray()
        self._handshaken = False
        self._fragments: list[bytes] | None = None

    # --- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(  # type: ignore[attr-defined]
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            .encode())

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buf = self._buf
        buf += data
        if not self._handshaken:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[:end]).split(b"\r\n", 1)[0]
            del buf[:end + 4]
            if b" 101 " not in status + b" ":
                self._fail(ConnectionError(status.decode(errors="replace")))
                return
            self._handshaken = True
            if not self.opened.done():
                self.opened.set_result(None)
        self._parse(now)

    def _parse(self, now: float) -> None:
        buf = self._buf
        pos = 0
        size = len(buf)
        on_text = self.on_text
        while size - pos >= 2:
            b0 = buf[pos]
            n = buf[pos + 1] & 0x7F
            head = 2
            if n == 126:
                if size - pos < 4:
                    break
                n = (buf[pos + 2] << 8) | buf[pos + 3]
                head = 4
            elif n == 127:
                if size - pos < 10:
                    break
                n = struct.unpack_from("!Q", buf, pos + 2)[0]
                head = 10
            if size - pos < head + n:
                break
            payload = bytes(buf[pos + head:pos + head + n])
            pos += head + n
            opcode = b0 & 0x0F
            final = b0 & 0x80
            if opcode == OP_TEXT or opcode == OP_BINARY:
                if final:
                    on_text(self, payload, now)
                else:
                    self._fragments = [payload]
            elif opcode == OP_CONT and self._fragments is not None:
                self._fragments.append(payload)
                if final:
                    whole, self._fragments = b"".join(self._fragments), None
                    on_text(self, whole, now)
            elif opcode == OP_PING:
                self.send_raw(client_frame(OP_PONG, payload))
            elif opcode == OP_CLOSE:
                self.send_raw(client_frame(OP_CLOSE, payload[:2]))
                if self.transport is not None:
                    self.transport.close()
        if pos:
            del buf[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionError("closed before the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    def _fail(self, exc: BaseException) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc)
            self.opened.exception()  # mark retrieved: nobody may be waiting any more
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    # --- sending -----------------------------------------------------------------------------

    def send_raw(self, frame: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame)

    def send_text(self, text: str | bytes) -> None:
        self.send_raw(client_frame(OP_TEXT, text.encode() if isinstance(text, str) else text))

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (a network failure, as seen by the server)."""
        if self.transport is not None:
            self.transport.abort()


async def open_socket(host: str, port: int, path: str, on_text: FrameCallback, *,
                      tag: object = None, timeout: float = 30.0) -> LeanSocket:
    loop = asyncio.get_running_loop()
    _, proto = await asyncio.wait_for(loop.create_connection(
        lambda: LeanSocket(f"{host}:{port}", path, on_text, tag), host, port), timeout)
    try:
        await asyncio.wait_for(proto.opened, timeout)
    except BaseException:
        proto.abort()  # never leave a half-open socket behind a failed attempt
        raise
    return proto
