"""``ZhengdingClient``: one user's connection to a Zhengding server, kept alive across failures.

    client = ZhengdingClient("http://127.0.0.1:8080")
    await client.login("13800000001", password)
    await client.connect()                        # or connect(cursor=saved) to resume
    conv = await client.open_post("330802000000-SWJ-01")
    await client.send_text(conv.id, "局长您好")
    async for event in client.events():           # in order, each once, across reconnects
        ...
    await client.close()

The socket is opened with a single-use ticket from ``POST /api/v1/ws-ticket`` (so the long-lived
token never appears in a URL). When it drops — network, a server restart (1001), "too slow"
(4008), a killed node — a supervisor task reconnects with exponential backoff and jitter and
resumes from the last position received; the server replays exactly what was missed.
Requests in flight when the socket drops fail with :class:`ConnectionLost`, except the
idempotent ones (reads, and sends that carry a ``client_msg_id``), which are retried.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any, Self

import aiohttp

from clients.sdk.backoff import Backoff
from clients.sdk.errors import (
    AuthError,
    ClientClosed,
    ConnectionLost,
    RateLimited,
    RequestTimeout,
    ZhengdingError,
)
from clients.sdk.frames import (
    Ack,
    Conversation,
    Event,
    FrameError,
    Reply,
    decode_frame,
    encode_request,
)
from clients.sdk.http import HttpApi
from clients.sdk.inbox import InboxMethods
from clients.sdk.stream import EventStream

log = logging.getLogger(__name__)

#: Operations that may be sent again after a lost reply without doing anything twice: reads,
#: and writes the server deduplicates (by client_msg_id, by conversation pair, or monotonic).
IDEMPOTENT = frozenset({
    "ping", "presence", "search", "conv.list", "conv.get", "conv.history", "msg.read",
    "msg.send", "notice.send", "notice.list", "notice.status", "notice.open",
})
#: Failures after which an idempotent request is retried once the connection is back.
RETRYABLE = (ConnectionLost, RequestTimeout, RateLimited)


class ZhengdingClient(InboxMethods):
    """An async client of one Zhengding server for one user. Not thread-safe; one event loop."""

    def __init__(self, base_url: str, *, token: str | None = None,
                 session: aiohttp.ClientSession | None = None, request_timeout: float = 30.0,
                 connect_timeout: float = 30.0, heartbeat: float | None = 20.0,
                 backoff: Backoff | None = None, max_buffer: int = 10_000,
                 retry_timeout: float | None = None) -> None:
        """``retry_timeout``: how long idempotent requests keep retrying (None: until closed)."""
        self.http = HttpApi(base_url, session)
        self.token = token
        #: ``{id, name, role}`` of the logged-in person, once known.
        self.person: dict[str, Any] | None = None
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.heartbeat = heartbeat
        self.backoff = backoff or Backoff()
        self.retry_timeout = retry_timeout
        #: How many times the socket was re-opened after a drop.
        self.reconnects = 0
        self._stream = EventStream(max_buffer=max_buffer, on_drained=self._resume_now)
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._requested_cursor: int | None = None
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._ready = asyncio.Event()  # set while a synced socket is open (and on close/fatal)
        self._resume_requested = False
        self._fatal: ZhengdingError | None = None
        self._closed = False

    # --- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return self.http.base_url

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed and self._ready.is_set()

    @property
    def cursor(self) -> int | None:
        """The position of the last event ``events()`` handed out: persist it to resume later."""
        return self._stream.cursor

    async def login(self, mobile: str, password: str) -> dict[str, Any]:
        """Log in over HTTP; keeps the token for tickets and uploads. ``{token, expires_at, person}``."""
        answer = await self.http.login(mobile, password)
        self.token = answer["token"]
        self.person = answer["person"]
        return answer

    async def logout(self) -> None:
        """Revoke this client's token on the server."""
        if self.token is not None:
            await self.http.logout(self.token)
            self.token = None

    async def me(self) -> dict[str, Any]:
        return await self.http.me(self._token())

    async def connect(self, cursor: int | None = None) -> None:
        """Open the socket. ``cursor=None``: live from now; a saved cursor: replay what was missed.

        Returns once the server has said where the stream stands (``sync.live``, or
        ``sync.caught_up`` after the replay, or ``sync.resync`` when the cursor is too old).
        A failure of this first connection is raised; later drops are handled in the background.
        """
        if self._closed:
            raise ClientClosed()
        if self._supervisor is not None:
            raise RuntimeError("already connected")
        self._stream.start_at(cursor)
        await self._open()
        self._supervisor = asyncio.create_task(self._supervise(), name="zhengding-reconnect")

    async def close(self) -> None:
        """Close the socket, fail what is pending, end ``events()``; the client cannot be reused."""
        if self._closed:
            return
        self._closed = True
        self._ready.set()  # wake waiters so they see the client is closed
        if self._supervisor is not None:
            self._supervisor.cancel()
        if self._ws is not None:
            await self._ws.close()
        for task in (self._reader, self._supervisor):
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
        self._fail_pending(ClientClosed())
        self._stream.finish()
        await self.http.close()

    def events(self) -> AsyncIterator[Event]:
        """Every pushed event once, in position order, across reconnects; ends at ``close()``.

        Control events (``position == 0``: ``sync.live``, ``sync.caught_up``, ``sync.resync``)
        are included: on ``sync.resync`` the missed events are gone and the application must
        reload what it shows. One consumer at a time.
        """
        return self._stream.__aiter__()

    # --- requests ------------------------------------------------------------------------------

    async def request(self, op: str, **args: Any) -> Any:
        """Send ``op`` with ``args`` and return the result; an error reply raises ``ZhengdingError``.

        Idempotent operations (:data:`IDEMPOTENT`) are retried across reconnects; others raise
        :class:`ConnectionLost` if the socket drops before the reply.
        """
        return await self.call(op, args, retry=op in IDEMPOTENT)

    async def call(self, op: str, args: dict[str, Any], *, retry: bool = False,
                   timeout: float | None = None) -> Any:
        """:meth:`request` with explicit control over retrying and the per-attempt timeout."""
        timeout = self.request_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = None if self.retry_timeout is None else loop.time() + self.retry_timeout
        delay = Backoff(initial=0.2, maximum=5.0)
        while True:
            try:
                return await self._call_once(op, args, timeout)
            except RETRYABLE as exc:
                if not retry or self._closed or self._fatal is not None:
                    raise
                if deadline is not None and loop.time() >= deadline:
                    raise
                log.debug("retrying %s after %s", op, exc.code)
                if isinstance(exc, RateLimited):  # the connection is fine; the server wants us slower
                    await asyncio.sleep(delay.next())

    async def _call_once(self, op: str, args: dict[str, Any], timeout: float) -> Any:
        await self._wait_ready(timeout)
        ws = self._ws
        if ws is None or ws.closed:
            raise ConnectionLost()
        request_id = str(next(self._ids))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await ws.send_str(encode_request(request_id, op, args))
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise RequestTimeout() from None
        except (ConnectionError, aiohttp.ClientError, RuntimeError):
            raise ConnectionLost() from None
        finally:
            self._pending.pop(request_id, None)

    async def _wait_ready(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._closed:
                raise ClientClosed()
            if self._fatal is not None:
                raise self._fatal
            if self._ready.is_set() and self._ws is not None:
                return
            if self._supervisor is None:
                raise ConnectionLost("尚未连接, 请先调用 connect()")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise RequestTimeout("等待重新连接超时")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), remaining)

    # --- conversations and messages ------------------------------------------------------------

    async def send_text(self, conversation: int, text: str, client_msg_id: str | None = None, *,
                        mentions: Iterable[dict[str, Any]] = (), reply_to: int | None = None,
                        as_post: str | None = None, urgent: bool = False) -> Ack:
        """Send a text message; retried with the *same* client id until acknowledged.

        The server stores a client id once: a retry after a lost acknowledgement returns the
        original one (``ack.duplicate``) and nothing is stored twice.
        """
        content: dict[str, Any] = {"text": text}
        if mentions:
            content["mentions"] = list(mentions)
        return await self.send_message(conversation, "text", content, client_msg_id,
                                       reply_to=reply_to, as_post=as_post, urgent=urgent)

    async def send_message(self, conversation: int, kind: str, content: dict[str, Any],
                           client_msg_id: str | None = None, *, reply_to: int | None = None,
                           as_post: str | None = None, urgent: bool = False) -> Ack:
        """Any content type (text, markdown, image, file, card); see docs/protocol.md."""
        args: dict[str, Any] = {"conversation": conversation, "type": kind, "content": content,
                                "client_msg_id": client_msg_id or uuid.uuid4().hex}
        if reply_to is not None:
            args["reply_to"] = reply_to
        if as_post:
            args["as_post"] = as_post
        if urgent:
            args["urgent"] = True
        return Ack.from_result(await self.call("msg.send", args, retry=True))

    async def upload(self, conversation: int, path: str | Path,
                     content_type: str | None = None) -> dict[str, Any]:
        """Upload a file to a conversation over HTTP (members only).

        The answer: ``{"media": token, "kind": "image"|"file", "filename", "content_type", "size",
        "width", "height", "sha256", "url", "thumbnail_url"}``; send it with ``{"media": token}``.
        """
        return await self.http.upload(self._token(), conversation, path, content_type)

    async def send_media(self, conversation: int, path: str | Path, *,
                         client_msg_id: str | None = None) -> Ack:
        """Upload ``path``, then send it as an image or a file message (as the server judged it)."""
        uploaded = await self.upload(conversation, path)
        kind = uploaded.get("kind") if uploaded.get("kind") in ("image", "file") else "file"
        return await self.send_message(conversation, str(kind), {"media": media_token(uploaded)},
                                       client_msg_id)

    async def open_direct(self, person: int) -> Conversation:
        """The one-to-one conversation with ``person`` (created on first use)."""
        return await self._open_conversation({"kind": "direct", "person": person}, retry=True)

    async def open_post(self, post: str, *, as_post: str | None = None) -> Conversation:
        """The conversation with a post (its current holders), as yourself or as a post you hold."""
        args: dict[str, Any] = {"kind": "post", "post": post}
        if as_post:
            args["as_post"] = as_post
        return await self._open_conversation(args, retry=True)

    async def open_service(self, *, enterprise: str | None = None) -> Conversation:
        """An enterprise user's own service conversation: its enterprise with the officer posts
        assigned to it (created on first use). ``enterprise``: the credit code, for a member of
        several."""
        args: dict[str, Any] = {"kind": "service"}
        if enterprise:
            args["enterprise"] = enterprise
        return await self._open_conversation(args, retry=True)

    async def open_group(self, title: str, *, people: Iterable[int] = (), posts: Iterable[str] = (),
                         selectors: Iterable[str] = (), enterprises: Iterable[str] = (),
                         kind: str = "group", posters: Iterable[str] = ()) -> Conversation:
        """A new group (or ``service``/``channel``); members by person id, post code, selector
        or enterprise credit code. Not retried: a retry could create a second group."""
        members = ([{"person": p} for p in people] + [{"post": p} for p in posts]
                   + [{"selector": s} for s in selectors] + [{"enterprise": e} for e in enterprises])
        args: dict[str, Any] = {"kind": kind, "title": title, "members": members}
        if posters:
            args["posters"] = list(posters)
        return await self._open_conversation(args, retry=False)

    async def _open_conversation(self, args: dict[str, Any], *, retry: bool) -> Conversation:
        return Conversation.from_result(await self.call("conv.open", args, retry=retry))

    async def history(self, conversation: int, *, before_seq: int | None = None,
                      limit: int = 50) -> list[dict[str, Any]]:
        args: dict[str, Any] = {"conversation": conversation, "limit": limit}
        if before_seq is not None:
            args["before_seq"] = before_seq
        return (await self.request("conv.history", **args))["messages"]

    # --- the connection ------------------------------------------------------------------------

    def _token(self) -> str:
        if self.token is None:
            raise AuthError("unauthenticated", "尚未登录, 请先调用 login()")
        return self.token

    async def _open(self) -> None:
        """Open and sync one socket: ticket, handshake, wait for the first ``sync.*`` event."""
        ticket = await self.http.ws_ticket(self._token())
        params = {"ticket": ticket}
        cursor = self._stream.resume_from
        if cursor is not None:
            params["cursor"] = str(cursor)
        self._stream.begin_connection()
        ws = await self.http.session.ws_connect(
            self.http.websocket_url(), params=params, heartbeat=self.heartbeat, autoping=True,
            max_msg_size=0)
        if self._reader is not None:
            self.reconnects += 1
        synced: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._ws, self._requested_cursor = ws, cursor
        self._reader = asyncio.create_task(self._read(ws, synced), name="zhengding-reader")
        try:
            await asyncio.wait_for(asyncio.shield(synced), self.connect_timeout)
        except BaseException:
            await ws.close()
            raise
        if self._ws is not ws:  # it closed again right after syncing; the supervisor retries
            raise ConnectionLost(close_code=ws.close_code)
        self._ready.set()
        self.backoff.reset()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, synced: asyncio.Future[None]) -> None:
        try:
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._on_frame(message.data, synced)
                elif message.type == aiohttp.WSMsgType.ERROR:
                    break
        except (ConnectionError, aiohttp.ClientError):
            pass
        finally:
            if self._ws is ws:
                self._ws = None
                if not self._closed:  # close() leaves it set so that waiters wake and see it
                    self._ready.clear()
            lost = ConnectionLost(close_code=ws.close_code)
            if not synced.done():
                synced.set_exception(lost)
                synced.exception()  # retrieved here: _open may already have given up waiting
            self._fail_pending(lost)
            log.info("socket closed (code %s)", ws.close_code)

    def _on_frame(self, text: str, synced: asyncio.Future[None]) -> None:
        try:
            frame = decode_frame(text)
        except FrameError as exc:
            log.warning("ignoring a bad frame from the server: %s", exc)
            return
        if isinstance(frame, Reply):
            future = self._pending.pop(frame.request_id, None) if frame.request_id else None
            if future is None or future.done():
                if frame.error is not None:  # e.g. rate_limited on a frame whose id it could not read
                    log.warning("server error without a request: %s", frame.error)
                return
            if frame.error is not None:
                future.set_exception(frame.error)
            else:
                future.set_result(frame.result)
        elif frame.control:
            self._stream.control(frame, self._requested_cursor)
            if not synced.done():
                synced.set_result(None)
        else:
            self._stream.offer(frame)

    async def _supervise(self) -> None:
        """Wait for the socket to drop, then reconnect with backoff until it works or is fatal."""
        try:
            await self._reconnect_forever()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug here must not leave requests retrying forever
            log.exception("reconnect loop failed")
            self._set_fatal(ZhengdingError("client_error", f"重连失败: {exc!r}"))

    async def _reconnect_forever(self) -> None:
        while not self._closed:
            if self._reader is not None:
                await asyncio.gather(self._reader, return_exceptions=True)
            while not self._closed:
                delay = 0.0 if self._resume_requested else self.backoff.next()
                self._resume_requested = False
                await asyncio.sleep(delay)
                try:
                    await self._open()
                    break
                except AuthError as exc:  # the token expired or was revoked: retrying cannot help
                    self._set_fatal(exc)
                    return
                except (ZhengdingError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                    log.info("reconnect failed (%s); retrying", exc)

    def _resume_now(self) -> None:
        """The consumer drained an overflowed buffer: reconnect at once to fetch what was skipped."""
        if self._ws is not None and not self._closed:
            self._resume_requested = True
            asyncio.get_running_loop().create_task(self._ws.close())

    def _set_fatal(self, error: ZhengdingError) -> None:
        self._fatal = error
        self._ready.set()
        self._fail_pending(error)
        self._stream.finish(error)

    def _fail_pending(self, error: ZhengdingError) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(error)


def media_token(uploaded: dict[str, Any]) -> str:
    """The media token of an upload answer (``{"media": token, …}``)."""
    token = uploaded.get("media")
    if isinstance(token, dict):  # tolerate {"media": {"token": …}}
        token = token.get("token")
    if not isinstance(token, str):
        raise ZhengdingError("bad_upload_answer", "上传应答中没有附件标识 (media)")
    return token
