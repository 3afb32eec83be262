"""A committed batch of events: what travels on the bus between nodes (typed, with to/from text)."""
from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class CommittedEvent:
    position: int
    type: str
    #: The event's data as JSON text, encoded once for every recipient.
    data: str
    recipients: tuple[int, ...]


@dataclass(frozen=True)
class CommittedBatch:
    """Events at positions ``previous + 1 … last``, contiguous: batches chain by position."""

    previous: int
    last: int
    events: tuple[CommittedEvent, ...]

    def to_line(self) -> str:
        return json.dumps({"prev": self.previous, "last": self.last, "events": [
            [e.position, e.type, e.data, list(e.recipients)] for e in self.events]},
            ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_line(cls, line: str | bytes) -> CommittedBatch:
        raw = json.loads(line)
        return cls(raw["prev"], raw["last"], tuple(
            CommittedEvent(pos, kind, data, tuple(to)) for pos, kind, data, to in raw["events"]))
