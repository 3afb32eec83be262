"""The websocket endpoint ``GET /ws``: a thin transport around the protocol core.

Before the upgrade: the browser origin is checked and a ``?ticket=`` (short-lived, single-use,
from ``POST /api/v1/ws-ticket``) is consumed. Without a ticket the first frame must be ``auth``
with a token, within ``ws_auth_timeout`` seconds. Frames go through :class:`ProtocolCore`;
requests run concurrently (bounded per connection) and each gets exactly one reply.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from im_server.delivery.connection import Connection
from im_server.handlers import Context, failure, invoke
from im_server.keys import MESSAGING
from im_server.protocol import Close, Dispatch, ProtocolCore, Reply
from im_server.protocol.core import encode_error, encode_result
from im_server.protocol.schema import INT64
from im_server.replay import replay
from im_server.runtime import Messaging
from im_server.tickets import consume_ticket
from orgchart.errors import ZhengdingError
from orgchart.http.errors import error_response
from orgchart.infra.logs import CONNECTION_ID
from orgchart.service.viewer import Viewer

log = logging.getLogger(__name__)


def origin_allowed(request: web.Request, allowed: tuple[str, ...]) -> bool:
    """Non-browser clients send no Origin; browsers must come from us or an allowed origin."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin in allowed:
        return True
    return urlsplit(origin).netloc == request.host


async def websocket_endpoint(request: web.Request) -> web.StreamResponse:
    rt = request.app[MESSAGING]
    settings = rt.settings
    if not origin_allowed(request, settings.allowed_origins):
        return error_response(403, "origin_not_allowed", "不允许的来源 (Origin)")
    viewer: Viewer | None = None
    if "token" in request.query:
        return error_response(400, "token_in_url", "不要把令牌放在 URL 中; 请使用一次性票据或在首帧认证")
    cursor = _cursor(request.query.getall("cursor", []))
    if cursor == BAD_CURSOR:  # refused before the ticket is used up: the client fixes the URL
        return error_response(400, "invalid_args", f"cursor 应为 0–{INT64} 的十进制整数 (新设备不带 cursor)",
                              field="cursor")
    if "ticket" in request.query:
        try:
            viewer = await consume_ticket(rt, request.query["ticket"])
        except Exception:  # the database is overloaded or away: say so, the client retries
            log.warning("ticket check failed", exc_info=True)
            return error_response(503, "unavailable", "服务器繁忙, 请稍后重连")
        if viewer is None:
            return error_response(401, "unauthenticated", "票据无效、已过期或已被使用")
    ws = web.WebSocketResponse(
        # aiohttp refuses a message of max_msg_size bytes or more; the documented limit is
        # inclusive: a frame of exactly ws_max_frame_bytes is accepted
        heartbeat=settings.ws_heartbeat_seconds, max_msg_size=settings.ws_max_frame_bytes + 1,
        compress=False, autoping=True)
    await ws.prepare(request)
    session = _Session(rt, ws, request)
    try:
        if viewer is not None:
            await session.start(viewer, cursor)
        await session.serve()
    finally:
        await session.finish()
    return ws


#: :func:`_cursor`'s answer for a ``?cursor=`` that is not a position.
BAD_CURSOR = -1


def _cursor(values: list[str]) -> int | None:
    """The ``?cursor=`` position; None without one; :data:`BAD_CURSOR` for anything else (not
    ASCII digits, out of range, given twice) — never silently "no cursor", which skips the
    replay."""
    if not values:
        return None
    if len(values) > 1 or not values[0].isascii() or not values[0].isdigit() or len(values[0]) > 19:
        return BAD_CURSOR
    value = int(values[0])
    return value if value <= INT64 else BAD_CURSOR


class _Session:
    """One socket's life: authenticate, replay, then read frames until it closes."""

    def __init__(self, rt: Messaging, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.rt = rt
        self.ws = ws
        self.remote = request.remote
        self.metrics = rt.metrics
        CONNECTION_ID.set(uuid.uuid4().hex[:16])  # on every log record of this socket's tasks
        settings = rt.settings
        self.core = ProtocolCore(rate=settings.ws_rate, burst=settings.ws_burst)
        self.connection: Connection | None = None
        self.viewer: Viewer | None = None
        self.in_flight = asyncio.Semaphore(settings.ws_max_in_flight)
        self.tasks: set[asyncio.Task] = set()

    def send(self, text: str) -> None:
        if self.connection is not None:
            self.connection.send(text)
        else:  # before authentication replies are rare; write them directly
            task = asyncio.create_task(self.ws.send_str(text))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def start(self, viewer: Viewer, cursor: int | None, request_id: str | None = None) -> None:
        """Register the connection (live events start queueing), answer, then replay."""
        self.viewer = viewer
        self.core.authenticated(self.rt.rate_limit_for(viewer.person_id))
        self.connection = Connection(self.ws, viewer.person_id, max_buffer=self.rt.settings.ws_send_buffer_bytes)
        self.rt.hub.add(self.connection)
        self.metrics.connections_opened.inc()
        log.debug("connection of person %s authenticated", viewer.person_id)
        if request_id is not None:  # the client learns it is in before replayed events arrive
            self.metrics.reply("auth")
            self.send(encode_result(request_id, {
                "person": {"id": viewer.person_id, "name": viewer.name, "role": viewer.role}}))
        await self._presence("online", viewer.person_id)
        await replay(self.rt, self.connection, cursor)

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.rt.settings.ws_auth_timeout
        while not self.ws.closed:
            timeout = None if self.viewer is not None else max(0.0, deadline - loop.time())
            try:
                message = await self.ws.receive(timeout=timeout)
            except TimeoutError:
                self.metrics.ws_error("auth_timeout")
                await self.ws.send_str(encode_error(None, "auth_timeout", "未在规定时间内完成认证"))
                await self.ws.close(code=1008, message=b"authentication timeout")
                return
            if message.type == WSMsgType.TEXT:
                await self.on_text(message.data, loop.time())
            elif message.type == WSMsgType.BINARY:
                self.metrics.frame_in("binary")
                self.metrics.reply("binary", "bad_frame")
                self.send(encode_error(None, "bad_frame", "不支持二进制帧, 请发送 JSON 文本帧"))
            elif message.type == WSMsgType.ERROR:
                log.info("websocket error from %s: %s", self.remote, self.ws.exception())
                return  # aiohttp has closed it (1009 for an oversized frame)
            else:  # CLOSE, CLOSING, CLOSED
                return

    async def on_text(self, text: str, now: float) -> None:
        decision = self.core.receive(text, now)
        if isinstance(decision, Reply):
            self.metrics.rejected(decision.text)
            self.send(decision.text)
        elif isinstance(decision, Close):
            self.metrics.rejected(decision.text)
            if decision.text:
                await self.ws.send_str(decision.text)
            await self.ws.close(code=decision.code, message=decision.reason.encode())
        elif decision.op == "auth":
            self.metrics.frame_in("auth")
            await self.authenticate(decision)
        else:
            self.metrics.frame_in(decision.op)
            await self.in_flight.acquire()  # backpressure: stop reading while too many run
            task = asyncio.create_task(self.run(decision))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def authenticate(self, request: Dispatch) -> None:
        token, ticket = request.args.get("token"), request.args.get("ticket")
        viewer = None
        try:
            if ticket:
                viewer = await consume_ticket(self.rt, ticket)
            elif token:
                viewer = await self.rt.authenticate(token)
        except ZhengdingError:
            viewer = None
        except Exception:  # e.g. a pool timeout in a reconnect storm: answer, then let it retry
            log.warning("authentication failed for lack of the database", exc_info=True)
            self.metrics.reply("auth", "unavailable")
            await self.ws.send_str(encode_error(request.request_id, "unavailable", "服务器繁忙, 请稍后重连"))
            await self.ws.close(code=1013, message=b"try again later")
            return
        if viewer is None:
            self.metrics.reply("auth", "unauthenticated")
            self.send(encode_error(request.request_id, "unauthenticated", "令牌或票据无效"))
            return
        await self.start(viewer, request.args.get("cursor"), request.request_id)

    async def run(self, request: Dispatch) -> None:
        try:
            context = Context(self.rt, self.viewer, self.connection, via="websocket", remote=self.remote)
            result = await invoke(context, request.op, request.args, validated=True)
            self.send(encode_result(request.request_id, result))
            self.metrics.reply(request.op)
        except Exception as exc:
            known = failure(exc)
            if known is None:
                log.exception("op %s failed", request.op)
                known = ("internal", "服务器内部错误", {})
            code, message, details = known
            self.metrics.reply(request.op, code)
            self.send(encode_error(request.request_id, code, message, **details))
        finally:
            self.in_flight.release()

    async def finish(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.connection is not None:
            self.connection.closed = True
            self.rt.hub.remove(self.connection)
            log.debug("connection of person %s closed", self.connection.person_id)
            await self._presence("offline", self.connection.person_id)

    async def _presence(self, change: str, person_id: int) -> None:
        """Presence is best effort: a Redis blip must not cost anyone their socket."""
        try:
            await getattr(self.rt.presence, change)(person_id)
        except Exception:
            log.warning("presence %s for %s failed", change, person_id, exc_info=True)
