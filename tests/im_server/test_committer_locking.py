"""The SQLite committer runs its statements on the event loop's thread, so it must never wait
for a lock there: while another writer holds the database it yields and retries, and the other
writer (on the same loop) can finish."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text

from im_server import models as m
from im_server.delivery.committer import JobResult
from im_server.keys import MESSAGING
from orgchart.infra.db import WRITE_TRANSACTION


@pytest.fixture
def db_url(sqlite_url):  # SQLite only: PostgreSQL writers wait on row locks, not the database
    return sqlite_url


async def _stream_position(conn) -> int:
    return await conn.scalar(select(m.StreamState.position).where(m.StreamState.name == "events"))


async def test_a_batch_waits_for_another_writer_without_blocking_the_loop(im_server):
    runtime = im_server.app[MESSAGING]

    async def job(conn):
        return JobResult(await _stream_position(conn))

    async with runtime.engine.connect() as other:
        await other.execution_options(**WRITE_TRANSACTION)
        async with other.begin():  # holds the write lock across awaits, as a login does
            await other.execute(text("UPDATE stream_state SET position = position WHERE name = 'events'"))
            waiting = asyncio.ensure_future(runtime.committer.submit(job))
            ticks = 0
            for _ in range(20):  # the loop keeps turning while the committer waits
                await asyncio.sleep(0.01)
                ticks += 1
            assert ticks == 20 and not waiting.done()
        assert await asyncio.wait_for(waiting, 5) is not None  # committed once the lock is free


async def test_a_lock_held_too_long_fails_the_batch_with_a_clear_error(im_server):
    runtime = im_server.app[MESSAGING]
    runtime.committer.lock_patience = 0.2

    async def job(conn):
        return JobResult("never")

    async with runtime.engine.connect() as other:
        await other.execution_options(**WRITE_TRANSACTION)
        async with other.begin():
            await other.execute(text("UPDATE stream_state SET position = position WHERE name = 'events'"))
            with pytest.raises(Exception, match="locked"):
                await asyncio.wait_for(runtime.committer.submit(job), 5)

    async def after(conn):
        return JobResult("served")

    assert await runtime.committer.submit(after) == "served"  # and the next batch is fine
