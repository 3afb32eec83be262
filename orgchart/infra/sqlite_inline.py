"""SQLite on the event loop's own thread, for the one writer that commits in batches.

aiosqlite runs every call on a worker thread: each statement is two thread hand-offs, and the
event loop's thread and the worker take turns at the GIL. For the committer — a dozen short
statements per batch, back to back — that cost more than the statements: a batch of eight
messages to a 100-member group spent 13 ms in SQL of which about 5 ms was SQLite's work.

An :class:`InlineConnection` is an aiosqlite connection whose calls run at once, on the
caller's thread. That is only safe where a call never waits for a lock, because waiting would
block the loop and with it whoever holds the lock. So an inline connection has no busy
timeout: ``BEGIN IMMEDIATE`` either takes the write lock at once or fails with
:func:`is_locked`, and the caller retries after yielding the loop. Once the write lock is held,
nothing in a WAL transaction waits (readers never block the writer and the automatic
checkpoint is passive).
"""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError


class _RunNow:
    """Stands in for aiosqlite's queue to its worker thread: runs each call as it is queued."""

    def put_nowait(self, item: tuple[asyncio.Future | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int = 64) -> None:
        super().__init__(connector, iter_chunk_size)
        self._tx = _RunNow()  # type: ignore[assignment]

    def __await__(self):
        return self._connect().__await__()  # no worker thread to start


def inline_creator(url: str) -> Callable[[], Any]:
    """An ``async_creator`` for :func:`sqlalchemy.ext.asyncio.create_async_engine`."""
    database = make_url(url).database or ":memory:"

    async def connect() -> InlineConnection:
        return await InlineConnection(lambda: sqlite3.connect(database, check_same_thread=False))

    return connect


def is_locked(exc: BaseException) -> bool:
    """Another connection holds the write lock (SQLITE_BUSY) — try again shortly."""
    original = exc.orig if isinstance(exc, OperationalError) else exc
    return isinstance(original, sqlite3.OperationalError) and "locked" in str(original)
