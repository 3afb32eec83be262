"""The client side of the event stream: in order, without duplicates, with the resume cursor.

Two positions are kept. ``resume_from`` is the highest position *received* (queued for the
consumer); a reconnect resumes there, so events already buffered are not fetched twice and
anything after them is replayed by the server. ``cursor`` is the highest position *handed to the
consumer*: the value to persist if the program stops (``zhengding tail`` prints it).

The buffer is bounded. When the consumer falls ``max_buffer`` events behind, later events are
ignored — all of them, so no gap can open in the middle — and once the consumer has drained half
the buffer the client reconnects and resumes from ``resume_from``; the server replays the rest.
A client that never reads its events (a script that only sends) therefore costs bounded memory.
"""
from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable

from clients.sdk.frames import Event

LIVE, CAUGHT_UP, RESYNC = "sync.live", "sync.caught_up", "sync.resync"


class _End:
    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class EventStream:
    def __init__(self, *, max_buffer: int = 10_000,
                 on_drained: Callable[[], None] | None = None) -> None:
        self.max_buffer = max(2, max_buffer)
        self.resume_from: int | None = None
        self.cursor: int | None = None
        self._on_drained = on_drained
        self._queue: deque[tuple[Event, int | None] | _End] = deque()
        self._wakeup = asyncio.Event()
        self._overflowed = False
        self._drain_requested = False
        # after a resync whose reply did not say where the stream now is (see control())
        self._lost_track = False

    # --- fed by the connection's reader -----------------------------------------------------

    def start_at(self, cursor: int | None) -> None:
        """Where the first connection resumes (None: live from now)."""
        self.resume_from = self.cursor = cursor

    def begin_connection(self) -> None:
        """A new socket will replay from ``resume_from``: whatever was ignored comes again."""
        self._overflowed = False
        self._drain_requested = False

    @property
    def overflowed(self) -> bool:
        return self._overflowed

    def offer(self, event: Event) -> None:
        """A stream event (position > 0) from the socket."""
        if self.resume_from is not None and event.position <= self.resume_from:
            return  # a duplicate: replay and live delivery overlapped, or a resumed stream
        if self._overflowed:
            return
        if self._pending() >= self.max_buffer:
            self._overflowed = True
            return
        self.resume_from = event.position
        self._lost_track = False
        self._put(event, event.position)

    def control(self, event: Event, requested: int | None) -> None:
        """A ``sync.*`` event; ``requested`` is the cursor this connection asked to resume from."""
        value = event.data.get("cursor")
        value = value if isinstance(value, int) and not isinstance(value, bool) else None
        if event.type == RESYNC:
            # The server could not replay from ``requested``: the application must reload its
            # state. What was ignored for overflow is moot now.
            self._overflowed = False
            if value is not None and value != requested:
                self.resume_from = value
            else:
                # The event repeats our own cursor instead of the server's position: we do not
                # know where the stream is until the next event. A reconnect before then asks to
                # go live, and the consumer is told resync again (below), never a silent gap.
                self.resume_from = None
                self._lost_track = True
            self._put(event, self.resume_from)
            return
        if self._overflowed:
            return  # we are going to resume anyway; "caught up" would be untrue for the consumer
        if event.type == LIVE and self._lost_track:
            self._lost_track = False
            event = Event(RESYNC, 0, {**event.data, "state": "resync"})
        if value is not None and event.type in (LIVE, CAUGHT_UP):
            self.resume_from = value if self.resume_from is None else max(self.resume_from, value)
        self._put(event, self.resume_from)

    def finish(self, error: BaseException | None = None) -> None:
        """No more events: the iterator ends (or raises ``error``) after the buffered ones."""
        self._queue.append(_End(error))
        self._wakeup.set()

    # --- the consumer -------------------------------------------------------------------------

    async def get(self) -> Event | None:
        """The next event, or None when the stream has ended."""
        while not self._queue:
            self._wakeup.clear()
            await self._wakeup.wait()
        item = self._queue[0]
        if isinstance(item, _End):
            if item.error is not None:
                raise item.error
            return None
        self._queue.popleft()
        event, cursor = item
        if cursor is not None or event.type == RESYNC:
            self.cursor = cursor
        if self._overflowed and not self._drain_requested and self._pending() <= self.max_buffer // 2:
            self._drain_requested = True
            if self._on_drained is not None:
                self._on_drained()
        return event

    async def __aiter__(self) -> AsyncIterator[Event]:
        while (event := await self.get()) is not None:
            yield event

    def _pending(self) -> int:
        return len(self._queue)

    def _put(self, event: Event, cursor: int | None) -> None:
        self._queue.append((event, cursor))
        self._wakeup.set()
