"""Group commit: run many write jobs in one transaction, then acknowledge them together.

Each job runs in its own savepoint (one bad job fails alone). The events the jobs produce get
positions from the ``stream_state`` counter; on PostgreSQL its row is locked FOR UPDATE first,
so batches from every node are serialised and positions are in commit order (SQLite has a single
writer anyway). A job's future is resolved only after COMMIT: nothing is acknowledged that is not
durable. The batch is then published on the bus.

A job may run more than once before its batch commits (the batch is rolled back and run again
when another SQLite writer holds the lock, or when a bulk run fails): jobs touch nothing but
the database through the connection they are given.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from im_server import models as m
from im_server.delivery.batch import CommittedBatch, CommittedEvent
from im_server.delivery.bus import Bus
from im_server.metrics import Metrics
from orgchart.infra.db import WRITE_TRANSACTION, create_engine
from orgchart.infra.sqlite_inline import is_locked

log = logging.getLogger(__name__)


@dataclass
class Outgoing:
    """An event a job wants delivered: to ``recipients`` (person ids), at a position given later."""

    type: str
    data: dict[str, Any] | str
    recipients: Iterable[int]
    #: A local connection that is not to receive this event live (it caused it and knows it
    #: already: the reader's own device for ``conversation.read``). It has :meth:`skip`.
    skip: Any = None


@dataclass
class JobResult:
    value: Any = None
    events: list[Outgoing] = field(default_factory=list)


Job = Callable[[AsyncConnection], Awaitable[JobResult]]
#: Runs many like items set-based: one result (or exception) per item, in order. Returning
#: ``None`` for an item hands it to its fallback job instead.
BulkRunner = Callable[[AsyncConnection, list[Any]], Awaitable[list["JobResult | Exception | None"]]]


@dataclass
class _Item:
    job: Job
    future: asyncio.Future
    bulk: BulkRunner | None = None
    payload: Any = None


class _BulkFailed(Exception):
    """A bulk run failed outside a savepoint: the batch must be rolled back and run again."""


#: How long a batch waits for another SQLite writer's lock (as a busy timeout would).
LOCK_PATIENCE = 10.0


def _json(data: dict | str) -> str:
    return data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _id(value: Any) -> int | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def event_subject(data: dict | str) -> tuple[int | None, int | None, int | None]:
    """``(conversation, message, notice)`` an event is about, from its data: replay applies the
    read rule of today to it and shows the message's current state (im_server.replay_rules).
    A ``message`` or ``conversation`` is an id or an object with ``id`` (a message object
    names its conversation)."""
    if isinstance(data, str):
        data = json.loads(data)
    message = data.get("message")
    conversation = _id(data.get("conversation"))
    if conversation is None and isinstance(message, dict):
        conversation = _id(message.get("conversation"))
    return conversation, _id(message), _id(data.get("notice"))


class Committer:
    def __init__(self, engine: AsyncEngine, bus: Bus, *, max_batch: int = 256,
                 metrics: Metrics | None = None) -> None:
        self.engine = engine
        self.bus = bus
        self.max_batch = max_batch
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self.metrics = metrics or Metrics()
        self.metrics.watch_committer_queue(self._queue.qsize)
        self._task: asyncio.Task | None = None
        self.is_postgres = engine.dialect.name == "postgresql"
        #: On SQLite the committer writes through its own engine whose statements run on the
        #: event loop's thread (no worker-thread hand-offs; see orgchart.infra.sqlite_inline).
        #: (An in-memory database is private to its connection: there the shared engine it is.)
        in_memory = engine.url.database in (None, "", ":memory:")
        self._writer = engine if self.is_postgres or in_memory else create_engine(
            engine.url.render_as_string(hide_password=False), inline=True)
        #: The committer's own connection, kept between batches: a pool checkout and the
        #: rollback-on-return cost round trips per batch, and there is one writer anyway.
        self._conn: AsyncConnection | None = None
        self.lock_patience = LOCK_PATIENCE

    async def start(self) -> None:
        # Make sure the counter row exists; nodes starting together must not both insert it.
        dialect_insert = postgresql.insert if self.is_postgres else sqlite.insert
        async with self.engine.begin() as conn:
            await conn.execute(dialect_insert(m.StreamState).values(name="events", position=0)
                               .on_conflict_do_nothing(index_elements=["name"]))
        self._task = asyncio.create_task(self._run(), name="committer")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._forget_connection()
        if self._writer is not self.engine:
            await self._writer.dispose()

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self._writer.connect()
            self._conn = await conn.execution_options(**WRITE_TRANSACTION)  # applies to each BEGIN
        return self._conn

    async def _forget_connection(self) -> None:
        """After a failed batch the connection may be broken: the next batch gets a fresh one."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:
                log.debug("closing the committer's connection failed", exc_info=True)

    async def submit(self, job: Job) -> Any:
        """Run ``job`` in the next batch; returns its value once committed (or raises its error)."""
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(_Item(job, future))
        return await future

    async def submit_bulk(self, runner: BulkRunner, payload: Any, fallback: Job) -> Any:
        """Like :meth:`submit`, but items of the same ``runner`` in a batch are run together,
        set-based (a few statements for the batch instead of several per item). If the bulk
        run fails, each item runs alone as ``fallback``, so one bad item fails alone."""
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(_Item(fallback, future, runner, payload))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            started = time.monotonic()
            try:
                await self._commit_when_unlocked(batch)
                self.metrics.batch_size.observe(len(batch))
                self.metrics.batch_seconds.observe(time.monotonic() - started)
            except Exception as exc:  # the whole transaction failed: nobody is acknowledged
                log.exception("commit of %d jobs failed", len(batch))
                self.metrics.batches_failed.inc()
                await self._forget_connection()
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(exc)

    async def _commit_when_unlocked(self, batch: list[_Item]) -> None:
        """Commit the batch, trying again where that is safe: when another SQLite writer holds
        the lock (only BEGIN IMMEDIATE can find that, and then no job has run yet), after
        yielding the loop so the holder can finish; when a bulk run failed (the batch was
        rolled back), at once and carefully."""
        deadline = asyncio.get_running_loop().time() + self.lock_patience
        pause = 0.001
        careful = False
        while True:
            try:
                await self._commit(batch, careful=careful)
                return
            except _BulkFailed as failed:  # rolled back; again, each bulk run in a savepoint
                log.warning("bulk run failed (%r); committing the batch again carefully", failed.__cause__)
                careful = True
                continue
            except Exception as exc:
                if not is_locked(exc) or asyncio.get_running_loop().time() > deadline:
                    raise
            await self._forget_connection()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    async def _commit(self, batch: list[_Item], *, careful: bool = False) -> None:
        outcomes: list[tuple[asyncio.Future, JobResult | BaseException]] = []
        conn = await self._connection()
        async with conn.begin():
            if self.is_postgres:
                await conn.execute(text(
                    "SELECT position FROM stream_state WHERE name = 'events' FOR UPDATE"))
            groups: dict[int, list[_Item]] = {}  # in arrival order; a bulk group runs
            for item in batch:                    # where its first item arrived
                if not item.future.cancelled():
                    groups.setdefault(id(item.bulk) if item.bulk else id(item), []).append(item)
            for group in groups.values():
                for member, outcome in await self._run_group(conn, group, careful):
                    outcomes.append((member.future, outcome))
            committed, skips = await self._append_events(conn, [
                o for _f, r in outcomes if isinstance(r, JobResult) for o in r.events])
        for connection, position in skips:  # committed: these positions are final
            connection.skip(position)
        for future, outcome in outcomes:
            if future.done():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome.value)
        if committed is not None:
            try:
                await self.bus.publish(committed)
            except Exception:  # other nodes fill the gap from the database
                log.exception("publishing batch %s..%s failed", committed.previous, committed.last)

    async def _run_group(self, conn: AsyncConnection, group: list[_Item],
                         careful: bool) -> list[tuple[_Item, JobResult | BaseException]]:
        """Run a group's jobs, each in a savepoint. A bulk run goes without one (two round trips
        fewer per batch on PostgreSQL): if it fails, :class:`_BulkFailed` rolls the whole batch
        back and it is committed again ``careful``-ly, the bulk run in a savepoint and, if that
        fails again, its items one by one."""
        results: list[tuple[_Item, JobResult | BaseException]] = []
        alone = group
        if group[0].bulk is not None:
            payloads = [item.payload for item in group]
            try:
                if careful:
                    async with conn.begin_nested():
                        bulk = await group[0].bulk(conn, payloads)
                else:
                    bulk = await group[0].bulk(conn, payloads)
                alone = [item for item, outcome in zip(group, bulk) if outcome is None]
                results = [(item, outcome) for item, outcome in zip(group, bulk) if outcome is not None]
            except Exception as exc:  # one bad item must not fail the others: go one by one
                if not careful:
                    raise _BulkFailed() from exc
                log.warning("bulk run of %d items failed; running them one by one", len(group),
                            exc_info=True)
                alone = group
        for item in alone:
            try:
                async with conn.begin_nested():
                    results.append((item, await item.job(conn)))
            except Exception as exc:  # noqa: BLE001 - handed to the job's caller
                results.append((item, exc))
        return results

    async def _append_events(self, conn: AsyncConnection, outgoing: list[Outgoing]
                             ) -> tuple[CommittedBatch | None, list[tuple[Any, int]]]:
        kept = [(o, tuple(sorted(set(o.recipients)))) for o in outgoing]
        kept = [(o, to) for o, to in kept if to]
        if not kept:
            return None, []
        prepared = [(o.type, _json(o.data), to) for o, to in kept]
        last = await conn.scalar(
            update(m.StreamState).where(m.StreamState.name == "events")
            .values(position=m.StreamState.position + len(prepared)).returning(m.StreamState.position))
        first = last - len(prepared) + 1
        now = dt.datetime.now(dt.UTC)
        events = tuple(CommittedEvent(first + i, kind, data, to) for i, (kind, data, to) in enumerate(prepared))
        skips = [(o.skip, first + i) for i, (o, _to) in enumerate(kept) if o.skip is not None]
        rows = []
        for e, (o, _to) in zip(events, kept):
            conversation, message, notice = event_subject(o.data)
            rows.append({"id": e.position, "type": e.type, "payload": e.data, "created_at": now,
                         "conversation_id": conversation, "message_id": message, "notice_id": notice})
        await conn.execute(insert(m.Event), rows)
        # The inbox rows (10,000 for one notice) go as one parameter, unpacked by the database:
        # per-row parameters would cost a protocol message (PostgreSQL) or a Python dict
        # (SQLAlchemy, SQLite) each.
        if self.is_postgres:
            people = [person for e in events for person in e.recipients]
            positions = [e.position for e in events for _person in e.recipients]
            await conn.execute(_INBOX_FROM_ARRAYS, {"people": people, "positions": positions})
        else:
            await conn.execute(_INBOX_FROM_JSON, {"recipients": json.dumps(
                {e.position: e.recipients for e in events}, separators=(",", ":"))})
        return CommittedBatch(first - 1, last, events), skips


_INBOX_FROM_ARRAYS = text(
    "INSERT INTO inbox (person_id, event_id) "
    "SELECT p, e FROM unnest(CAST(:people AS INTEGER[]), CAST(:positions AS BIGINT[])) AS r(p, e)")
#: ``{"position": [person, …], …}`` → one row per (person, position).
_INBOX_FROM_JSON = text(
    "INSERT INTO inbox (person_id, event_id) "
    "SELECT person.value, CAST(event.key AS INTEGER) "
    "FROM json_each(:recipients) AS event, json_each(event.value) AS person")
