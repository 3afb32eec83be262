"""A load-generator process: thousands of :class:`LeanSocket` connections, driven over stdin/stdout.

Commands are JSON lines ``{"id": k, "cmd": …}``; each gets exactly one JSON line back with the same
``id``. The worker also emits ``{"event": "done", …}`` once every connection has seen the armed
marker the expected number of times. See :mod:`loadgen.pool` for the parent side.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import sys
import time
from typing import Any

if __package__ in (None, ""):  # run as a file: the repository root, not loadgen/, goes first
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.loadgen.lean import LeanSocket, open_socket

READY = b'"ev":"sync.'
REPLY = b'{"v":1,"re":"'
MESSAGE_NEW = b'"ev":"message.new"'
POS = re.compile(rb'"pos":(\d+)')
MESSAGE_ID = re.compile(rb'"message":\{"id":(\d+)')


def loop_kind() -> str:
    """Use uvloop for the load generator when it is installed (say so in the output)."""
    if os.environ.get("BENCH_NO_UVLOOP"):
        return "asyncio"
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    uvloop.install()
    return "uvloop"


class Conn:
    """What the worker knows about one connection."""

    __slots__ = (
        "acked",
        "auth",
        "cid",
        "cursor",
        "failed",
        "in_flight",
        "marks",
        "path",
        "port",
        "ready",
        "seen",
        "send",
        "sent",
        "sock",
    )

    def __init__(self, spec: dict[str, Any]) -> None:
        self.cid: int = spec["cid"]
        self.port: int | None = spec.get("port")
        self.path: str = spec["path"]
        self.auth: str | None = spec.get("auth")
        self.send: str | None = spec.get("send")
        self.sock: LeanSocket | None = None
        self.ready: asyncio.Future[bool] | None = None
        self.cursor = 0
        self.marks = 0
        self.seen: list[tuple[int, int]] = []  # (position, message id) of message.new since reset
        self.sent = 0
        self.acked = 0
        self.in_flight = 0
        self.failed = ""


class Worker:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.conns: dict[int, Conn] = {}
        self.frames = 0
        self.bytes = 0
        self.marker: bytes | None = None
        self.marker_expect = 1
        self.marker_want = 0
        self.marker_done = 0
        self.marker_first = 0.0
        self.marker_last = 0.0
        self.track = False
        self.deliveries = 0
        self.errors = 0
        self.sending_until = 0.0
        self.window = 1
        self.retries = 0
        self.out = sys.stdout

    # --- frames ------------------------------------------------------------------------------

    def on_text(self, sock: LeanSocket, payload: bytes, now: float) -> None:
        conn: Conn = sock.tag  # type: ignore[assignment]
        self.frames += 1
        self.bytes += len(payload)
        if payload.startswith(REPLY):
            self.on_reply(conn, payload, now)
            return
        ready = conn.ready
        if ready is not None and not ready.done() and READY in payload:
            ready.set_result(True)
        if self.track and payload.startswith(b'{"v":1,"ev":"') and not payload.startswith(b'{"v":1,"ev":"sync.'):
            position = int(POS.search(payload).group(1))
            if MESSAGE_NEW in payload:
                found = MESSAGE_ID.search(payload)
                conn.seen.append((position, int(found.group(1)) if found else 0))
            conn.cursor = max(conn.cursor, position)
        marker = self.marker
        if marker is not None and marker in payload:
            self.deliveries += 1
            conn.marks += 1
            if conn.marks == self.marker_expect:
                self.marker_done += 1
                if not self.marker_first:
                    self.marker_first = now
                self.marker_last = now
                if self.marker_done == self.marker_want:
                    self.emit({"event": "done", "marker": marker.decode(), "first": self.marker_first,
                               "last": self.marker_last, "conns": self.marker_done})

    def on_reply(self, conn: Conn, payload: bytes, now: float) -> None:
        if payload.startswith(b'{"v":1,"re":"auth"'):
            if b'"ok":false' in payload and conn.ready is not None and not conn.ready.done():
                conn.failed = payload[:200].decode(errors="replace")
                conn.ready.set_result(False)
            return
        if b'"ok":true' in payload:
            conn.acked += 1
        else:
            self.errors += 1
            if self.errors <= 3:
                print(f"worker {os.getpid()}: error reply {payload[:300]!r}", file=sys.stderr)
        conn.in_flight -= 1
        if now < self.sending_until:
            self.send_next(conn)

    def send_next(self, conn: Conn) -> None:
        conn.sent += 1
        conn.in_flight += 1
        assert conn.send is not None and conn.sock is not None
        conn.sock.send_text(conn.send.replace("@N@", str(conn.sent)))

    # --- commands ----------------------------------------------------------------------------

    async def connect(self, specs: list[dict[str, Any]], concurrency: int, timeout: float,
                      retries: int = 3) -> dict[str, Any]:
        started = time.monotonic()
        self.retries = 0
        gate = asyncio.Semaphore(concurrency)
        conns = [self.conns.get(s["cid"]) or Conn(s) for s in specs]
        for conn, spec in zip(conns, specs):
            conn.path, conn.auth, conn.send = spec["path"], spec.get("auth"), spec.get("send")
            conn.port = spec.get("port")
            self.conns[conn.cid] = conn

        async def one(conn: Conn) -> bool:
            """Open, authenticate, wait for the sync event. A failed handshake, or a socket the
            server closes before the sync event, is retried after a short backoff (as a real
            client would) up to ``retries`` more times; each retry is counted and reported."""
            loop = asyncio.get_running_loop()
            for attempt in range(retries + 1):
                conn.ready = loop.create_future()
                async with gate:  # the gate bounds handshakes in flight, sync event included
                    try:
                        sock = conn.sock = await open_socket(self.host, conn.port or self.port, conn.path,
                                                             self.on_text, tag=conn, timeout=timeout)
                        if conn.auth:
                            sock.send_text(conn.auth.replace("@CURSOR@", str(conn.cursor)))
                    except (TimeoutError, OSError) as exc:
                        conn.failed = repr(exc)
                    else:
                        done, _ = await asyncio.wait({conn.ready, sock.closed}, timeout=timeout,
                                                     return_when=asyncio.FIRST_COMPLETED)
                        if conn.ready.done():
                            conn.failed = "" if conn.ready.result() else conn.failed
                            return conn.ready.result()
                        if not done:
                            conn.failed = "no sync event in time"
                            sock.abort()
                            return False
                        conn.failed = "closed by the server before the sync event"
                if attempt == retries:
                    return False
                self.retries += 1
                await asyncio.sleep(0.2 * (attempt + 1))
            return False

        results = await asyncio.gather(*(one(c) for c in conns))
        failures = [c.failed for c in conns if c.failed][:3]
        return {"ok": sum(results), "failed": len(results) - sum(results), "examples": failures,
                "retries": self.retries,
                "first": started, "last": time.monotonic()}

    def arm(self, marker: str | None, expect: int, want: int | None, track: bool) -> dict[str, Any]:
        """Count frames containing ``marker``; report once ``want`` connections saw it ``expect`` times."""
        self.marker = marker.encode() if marker else None
        self.marker_expect = expect
        self.marker_want = len(self.conns) if want is None else want
        self.marker_done = 0
        self.marker_first = self.marker_last = 0.0
        self.deliveries = 0
        self.track = track
        for conn in self.conns.values():
            conn.marks = 0
        return {"armed": marker}

    async def send_loop(self, duration: float, window: int, drain: float) -> dict[str, Any]:
        senders = [c for c in self.conns.values() if c.send and c.sock is not None]
        for conn in senders:
            conn.sent = conn.acked = conn.in_flight = 0
        self.errors = 0
        deliveries_before = self.deliveries
        start = time.monotonic()
        self.sending_until = start + duration
        for conn in senders:
            for _ in range(window):
                self.send_next(conn)
        await asyncio.sleep(duration)
        acked_at_end = sum(c.acked for c in senders)
        delivered_at_end = self.deliveries - deliveries_before
        deadline = time.monotonic() + drain
        while any(c.in_flight for c in senders) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return {"senders": len(senders), "sent": sum(c.sent for c in senders),
                "acked_in_window": acked_at_end, "acked": sum(c.acked for c in senders),
                "delivered_in_window": delivered_at_end, "delivered": self.deliveries - deliveries_before,
                "errors": self.errors, "unanswered": sum(c.in_flight for c in senders),
                "start": start, "duration": duration}

    def send_once(self, cids: list[int]) -> dict[str, Any]:
        for cid in cids:
            conn = self.conns[cid]
            conn.sent += 1
            conn.in_flight += 1
            assert conn.sock is not None and conn.send is not None
            conn.sock.send_text(conn.send.replace("@N@", str(conn.sent)))
        return {"sent": len(cids), "at": time.monotonic()}

    async def drop(self, graceful: bool) -> dict[str, Any]:
        socks = [c.sock for c in self.conns.values() if c.sock is not None]
        for sock in socks:
            if graceful:
                sock.send_raw(b"\x88\x82\x00\x00\x00\x00\x03\xe8")  # close 1000, zero mask
                sock.transport.close()  # type: ignore[union-attr]
            else:
                sock.abort()
        await asyncio.wait([s.closed for s in socks], timeout=10) if socks else None
        for conn in self.conns.values():
            conn.sock = None
            conn.seen = []
        return {"dropped": len(socks)}

    def collect(self) -> dict[str, Any]:
        return {"conns": {c.cid: {"cursor": c.cursor, "seen": c.seen} for c in self.conns.values()}}

    def stats(self) -> dict[str, Any]:
        return {"frames": self.frames, "bytes": self.bytes, "marker_done": self.marker_done,
                "deliveries": self.deliveries, "first": self.marker_first, "last": self.marker_last,
                "open": sum(1 for c in self.conns.values()
                            if c.sock is not None and not c.sock.closed.done())}

    async def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        cmd = request["cmd"]
        if cmd == "connect":
            return await self.connect(request["conns"], request.get("concurrency", 100),
                                      request.get("conn_timeout", 30.0))
        if cmd == "arm":
            return self.arm(request.get("marker"), request.get("expect", 1), request.get("want"),
                            request.get("track", False))
        if cmd == "send_loop":
            return await self.send_loop(request["duration"], request.get("window", 1), request.get("drain", 10))
        if cmd == "send_once":
            return self.send_once(request["cids"])
        if cmd == "drop":
            return await self.drop(request.get("graceful", False))
        if cmd == "collect":
            return self.collect()
        if cmd == "stats":
            return self.stats()
        if cmd == "rss":
            return {"rss_kb": _rss_kb()}
        raise ValueError(f"unknown command {cmd!r}")

    def emit(self, obj: dict[str, Any]) -> None:
        self.out.write(json.dumps(obj, separators=(",", ":")) + "\n")
        self.out.flush()


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def serve_commands(worker: Worker, loop_name: str) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 28)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    worker.emit({"event": "hello", "pid": os.getpid(), "loop": loop_name})
    tasks: set[asyncio.Task] = set()

    async def run(request: dict[str, Any]) -> None:
        try:
            worker.emit({"id": request["id"], **await worker.handle(request)})
        except Exception as exc:  # noqa: BLE001 - the parent sees the error instead of hanging
            worker.emit({"id": request["id"], "error": repr(exc)})

    while line := await reader.readline():
        request = json.loads(line)
        if request["cmd"] == "quit":
            break
        task = asyncio.create_task(run(request))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await worker.drop(graceful=False)


def main() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    host, port = sys.argv[1], int(sys.argv[2])
    loop_name = loop_kind()
    asyncio.run(serve_commands(Worker(host, port), loop_name))


if __name__ == "__main__":
    main()
