"""This node's live connections, by person, and the hand-off of events to them.

Events are written out by one task, in the order they were handed over, a few hundred frames
per turn of the event loop: the committer's next batch (waiting on the database) and other
sockets' requests get the loop between turns, so a notice to 10,000 people does not stall
the node for the whole fan-out, and writing one batch overlaps committing the next.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Iterator

from im_server.delivery.batch import CommittedEvent
from im_server.delivery.connection import Connection, text_frame
from im_server.protocol import encode_event

log = logging.getLogger(__name__)
#: Frames written before the writer lets the event loop run something else.
FRAMES_PER_TURN = 256


class Hub:
    def __init__(self) -> None:
        self._by_person: dict[int, set[Connection]] = {}
        self._queue: deque[CommittedEvent] = deque()
        self._writer: asyncio.Task | None = None

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
        self._queue.append(event)
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_out(), name="hub-writer")

    async def idle(self) -> None:
        """Wait until everything handed over so far has been written (tests, shutdown)."""
        while self._writer is not None:
            await asyncio.sleep(0.001)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)

    async def _write_out(self) -> None:
        try:
            budget = FRAMES_PER_TURN
            while self._queue:
                event = self._queue.popleft()
                frame: bytes | None = None
                for person in event.recipients:
                    peers = self._by_person.get(person)
                    if not peers:
                        continue
                    if frame is None:  # only when someone here is a recipient; then once for all
                        frame = text_frame(encode_event(event.position, event.type, event.data).encode())
                    for connection in tuple(peers):
                        _push(connection, event.position, frame)
                    budget -= len(peers)
                    if budget <= 0:
                        await asyncio.sleep(0)
                        budget = FRAMES_PER_TURN
                if budget < FRAMES_PER_TURN:  # between events too, so commits interleave
                    await asyncio.sleep(0)
                    budget = FRAMES_PER_TURN
        finally:
            self._writer = None


def _push(connection: Connection, position: int, frame: bytes) -> None:
    try:
        connection.push(position, frame)
    except Exception:  # one broken socket must not cost the others their events
        log.exception("writing position %s to person %s failed", position, connection.person_id)
