"""This node's live connections, by person, and the hand-off of events to them."""
from __future__ import annotations

from collections.abc import Iterator

from im_server.delivery.batch import CommittedEvent
from im_server.delivery.connection import Connection, text_frame
from im_server.protocol import encode_event


class Hub:
    def __init__(self) -> None:
        self._by_person: dict[int, set[Connection]] = {}

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
        """Write ``event`` to every local connection of its recipients; framed once, never awaited."""
        frame: bytes | None = None
        by_person = self._by_person
        for person in event.recipients:
            peers = by_person.get(person)
            if not peers:
                continue
            if frame is None:  # only when someone here is a recipient; then once for all
                frame = text_frame(encode_event(event.position, event.type, event.data).encode())
            for connection in tuple(peers):
                connection.push(event.position, frame)
