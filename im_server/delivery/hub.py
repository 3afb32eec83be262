"""This node's live connections, by person, and the hand-off of events to them.

Events are written out by one task, in the order they were handed over, a couple of thousand
frames per turn of the event loop: the committer's next batch (waiting on the database) and
other sockets' requests get the loop between turns, so a notice to 10,000 people does not
stall the node for the whole fan-out, and writing one batch overlaps committing the next.

Within a turn, the frames for one connection are joined and written with one call: a batch of
eight messages to a 100-member group is 100 writes (system calls), not 800.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import replace

from im_server.delivery.batch import CommittedEvent
from im_server.delivery.connection import Connection, text_frame
from im_server.metrics import Metrics
from im_server.protocol import encode_event

log = logging.getLogger(__name__)
#: Frames handled before the writer lets the event loop run something else.
FRAMES_PER_TURN = 2048


class Hub:
    def __init__(self, metrics: Metrics | None = None) -> None:
        self._by_person: dict[int, set[Connection]] = {}
        #: (when it was handed over, the event): the stamp is for the fan-out latency metric
        self._queue: deque[tuple[float, CommittedEvent]] = deque()
        self._writer: asyncio.Task | None = None
        self.metrics = metrics or Metrics()

    def add(self, connection: Connection) -> None:
        self._by_person.setdefault(connection.person_id, set()).add(connection)

    def remove(self, connection: Connection) -> None:
        peers = self._by_person.get(connection.person_id)
        if peers is not None:
            peers.discard(connection)
            if not peers:
                del self._by_person[connection.person_id]

    def is_online(self, person_id: int) -> bool:
        return person_id in self._by_person

    def connections(self) -> Iterator[Connection]:
        for peers in list(self._by_person.values()):
            yield from list(peers)

    def __len__(self) -> int:
        return sum(len(peers) for peers in self._by_person.values())

    def deliver(self, event: CommittedEvent) -> None:
        """Queue ``event`` for every local connection of its recipients (never waits)."""
        self._queue.append((time.monotonic(), event))
        if self._writer is None:  # in a context of its own: it must not log as the caller's request
            self._writer = asyncio.get_running_loop().create_task(
                self._write_out(), name="hub-writer", context=contextvars.Context())

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)

    async def _write_out(self) -> None:
        try:
            while self._queue:
                self._write_turn()
                await asyncio.sleep(0)  # between turns, so commits and requests interleave
        finally:
            self._writer = None

    def _write_turn(self) -> None:
        """Admit queued events until the budget is spent, then write each connection's frames."""
        outgoing: dict[Connection, list[bytes]] = {}
        budget = FRAMES_PER_TURN
        by_person = self._by_person
        finished: list[float] = []  # hand-over stamps of the events this turn completes
        written: dict[str, int] = {}  # event frames by type, counted once per turn
        while self._queue and budget > 0:
            stamp, event = self._queue.popleft()
            frame: bytes | None = None
            admitted = 0
            for index, person in enumerate(event.recipients):
                peers = by_person.get(person)
                if not peers:
                    continue
                if budget <= 0:  # a big fan-out goes on next turn, where it left off
                    self._queue.appendleft((stamp, replace(event, recipients=event.recipients[index:])))
                    break
                if frame is None:  # only when someone here is a recipient; then once for all
                    frame = text_frame(encode_event(event.position, event.type, event.data).encode())
                for connection in peers:
                    if connection.admit(event.position, frame):
                        outgoing.setdefault(connection, []).append(frame)
                        admitted += 1
                budget -= len(peers)
            else:
                if frame is not None:  # an event for nobody here is no fan-out of this node's
                    finished.append(stamp)
            if admitted:
                written[event.type] = written.get(event.type, 0) + admitted
        for connection, frames in outgoing.items():
            try:
                connection.send(frames[0] if len(frames) == 1 else b"".join(frames))
            except Exception:  # one broken socket must not cost the others their events
                log.exception("writing to person %s failed", connection.person_id)
        self._observe(finished, written)

    def _observe(self, finished: list[float], written: dict[str, int]) -> None:
        now = time.monotonic()
        observe = self.metrics.fanout_seconds.observe
        for stamp in finished:
            observe(now - stamp)
        self.metrics.events_out(written)
