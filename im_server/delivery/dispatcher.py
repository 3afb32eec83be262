"""Apply committed batches to this node's connections strictly in position order.

Batches chain (``previous`` → ``last``). One that arrives early waits until the gap before it
is filled — by the bus, or, if the bus lost it (a node killed between commit and publish), by
reading the missing positions back from the database. A periodic check also catches a gap at
the end of the stream, where no later batch would reveal it.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from im_server import models as m
from im_server.delivery.batch import CommittedBatch, CommittedEvent
from im_server.delivery.hub import Hub

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, engine: AsyncEngine, hub: Hub, *, gap_wait: float = 0.5,
                 poll_interval: float = 1.0) -> None:
        self.engine = engine
        self.hub = hub
        self.gap_wait = gap_wait
        self.poll_interval = poll_interval
        self.horizon = 0  # every position <= horizon has been handed to local connections
        self._early: dict[int, CommittedBatch] = {}  # previous -> batch
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._fill_lock = asyncio.Lock()
        #: Called with every event this node applies, in position order, after the local
        #: connections got it (the in-process bot runtime listens here). Must not block.
        self.listeners: list[Callable[[CommittedEvent], None]] = []

    async def start(self) -> None:
        self.horizon = await self._database_position()
        self._task = asyncio.create_task(self._watch(), name="dispatcher-gaps")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def on_batch(self, batch: CommittedBatch) -> None:
        """Bus listener (synchronous: no await between receipt and delivery keeps order)."""
        if batch.last <= self.horizon:
            return  # already delivered (filled from the database earlier)
        if batch.previous > self.horizon:
            self._early[batch.previous] = batch
            self._wakeup.set()
            return
        self._apply(batch)
        self._drain_early()

    def _drain_early(self) -> None:
        while self.horizon in self._early:
            self._apply(self._early.pop(self.horizon))
        for previous in [p for p in self._early if self._early[p].last <= self.horizon]:
            del self._early[previous]

    def _apply(self, batch: CommittedBatch) -> None:
        for event in batch.events:
            if event.position > self.horizon:
                self.hub.deliver(event)
                for listener in self.listeners:
                    try:
                        listener(event)
                    except Exception:  # a listener's bug must not stop delivery to people
                        log.exception("event listener %r failed", listener)
        self.horizon = max(self.horizon, batch.last)

    async def _watch(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=self.poll_interval)
                self._wakeup.clear()
                await asyncio.sleep(self.gap_wait)  # give the bus a moment to bring it
            except TimeoutError:
                pass
            try:
                await self.fill_gaps()
            except Exception:  # keep watching; the next round retries
                log.exception("filling a gap from the database failed")

    async def fill_gaps(self) -> None:
        """Read positions the bus did not bring, up to the database's current position."""
        async with self._fill_lock:
            target = await self._database_position()
            if self._early:
                target = max(target, max(b.last for b in self._early.values()))
            if target <= self.horizon:
                return
            start = self.horizon
            events = await self._read_events(start, target)
            if self.horizon != start:  # the bus delivered meanwhile; re-filter below
                events = [e for e in events if e.position > self.horizon]
            if events:
                log.info("filled positions %s..%s from the database", events[0].position, events[-1].position)
                self._apply(CommittedBatch(self.horizon, events[-1].position, tuple(events)))
            self._drain_early()

    async def _database_position(self) -> int:
        async with self.engine.connect() as conn:
            value = await conn.scalar(select(m.StreamState.position).where(m.StreamState.name == "events"))
        return value or 0

    async def _read_events(self, after: int, upto: int) -> list[CommittedEvent]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(
                select(m.Event.id, m.Event.type, m.Event.payload, m.Inbox.person_id)
                .join(m.Inbox, m.Inbox.event_id == m.Event.id)
                .where(m.Event.id > after, m.Event.id <= upto).order_by(m.Event.id))).all()
        recipients: dict[int, list[int]] = defaultdict(list)
        meta: dict[int, tuple[str, str]] = {}
        for position, kind, payload, person in rows:
            recipients[position].append(person)
            meta[position] = (kind, payload)
        return [CommittedEvent(p, meta[p][0], meta[p][1], tuple(recipients[p])) for p in sorted(meta)]
