"""The hub's writer: events in hand-over order, each connection's frames of a turn in one write,
turns bounded so the loop gets to run other work, duplicates and replays respected."""
from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

from im_server.delivery import hub as hub_module
from im_server.delivery.batch import CommittedEvent
from im_server.delivery.connection import Connection
from im_server.delivery.hub import Hub


class RecordingTransport:
    """Stands in for a socket's transport: records each write (one write = one system call)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0

    def write(self, data: bytes) -> None:
        self.writes.append(data)


def _connection(person_id: int, *, live: bool = True) -> tuple[Connection, RecordingTransport]:
    transport = RecordingTransport()
    connection = Connection(SimpleNamespace(_writer=SimpleNamespace(transport=transport)), person_id)
    if live:
        connection.live()
    return connection, transport


def _positions(writes: list[bytes]) -> list[list[int]]:
    """The event positions in each write (frames are small: a 2-byte header, then JSON)."""
    result = []
    for data in writes:
        positions, rest = [], data
        while rest:
            length = rest[1]
            positions.append(json.loads(rest[2:2 + length])["pos"])
            rest = rest[2 + length:]
        result.append(positions)
    return result


async def _drain(hub: Hub) -> None:
    for _ in range(100):
        await asyncio.sleep(0)
        if hub._writer is None:
            return
    raise AssertionError("the writer did not finish")


async def test_frames_of_a_turn_are_joined_per_connection_in_order():
    hub = Hub()
    (one, t1), (two, t2) = _connection(1), _connection(2)
    hub.add(one)
    hub.add(two)
    for position, to in ((1, (1, 2)), (2, (1,)), (3, (1, 2)), (3, (1, 2))):  # the last: a duplicate
        hub.deliver(CommittedEvent(position, "message.new", "{}", to))
    await _drain(hub)
    assert _positions(t1.writes) == [[1, 2, 3]]
    assert _positions(t2.writes) == [[1, 3]]


async def test_a_turn_is_bounded_and_order_survives_the_split(monkeypatch):
    monkeypatch.setattr(hub_module, "FRAMES_PER_TURN", 2)
    hub = Hub()
    connection, transport = _connection(7)
    hub.add(connection)
    for position in range(1, 6):
        hub.deliver(CommittedEvent(position, "message.new", "{}", (7,)))
    await asyncio.sleep(0)  # the writer's first turn only
    assert _positions(transport.writes) == [[1, 2]]
    await _drain(hub)
    assert [p for write in _positions(transport.writes) for p in write] == [1, 2, 3, 4, 5]
    assert len(transport.writes) == 3


async def test_a_replaying_connection_gets_live_events_after_its_replay():
    hub = Hub()
    connection, transport = _connection(5, live=False)
    hub.add(connection)
    hub.deliver(CommittedEvent(10, "message.new", "{}", (5,)))
    await _drain(hub)
    assert transport.writes == [] and [p for p, _ in connection.pending] == [10]
    connection.last_position = 10  # the replay already sent position 10
    connection.live()
    assert transport.writes == []  # not twice


async def test_a_big_fan_out_is_split_across_turns_without_loss_or_repeat(monkeypatch):
    monkeypatch.setattr(hub_module, "FRAMES_PER_TURN", 3)
    hub = Hub()
    pairs = [_connection(person) for person in range(10)]
    for connection, _transport in pairs:
        hub.add(connection)
    hub.deliver(CommittedEvent(1, "notice.new", "{}", tuple(range(10))))
    hub.deliver(CommittedEvent(2, "notice.new", "{}", (0, 9)))
    await asyncio.sleep(0)  # the first turn: three recipients only
    assert sum(len(t.writes) for _c, t in pairs) == 3
    await _drain(hub)
    assert [_positions(t.writes) for _c, t in pairs] == [[[1], [2]]] + [[[1]]] * 8 + [[[1, 2]]]
