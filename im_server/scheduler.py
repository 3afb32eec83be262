"""The in-process scheduler: APScheduler runs the DING reminder check every tick.

Every node runs one. It keeps no state of its own — the due times live in the ``reminders``
table and each reminder is claimed in the database — so several nodes ticking at once, or a
node restarted mid-way, neither lose nor repeat a reminder. A tick that overruns the next one
is not doubled up (``max_instances=1``, ``coalesce``).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

RunDue = Callable[[dt.datetime], Awaitable[int]]


class ReminderScheduler:
    """Calls ``run_due(now)`` every ``tick_seconds``; a tick of 0 or less disables it."""

    def __init__(self, run_due: RunDue, tick_seconds: float) -> None:
        self.run_due = run_due
        self.tick_seconds = tick_seconds
        self._scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task] = set()

    @property
    def enabled(self) -> bool:
        return self.tick_seconds > 0

    async def start(self) -> None:
        if not self.enabled:
            return
        self._scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=dt.UTC)
        self._scheduler.add_job(self.tick, IntervalTrigger(seconds=self.tick_seconds),
                                id="ding-reminders", max_instances=1, coalesce=True,
                                misfire_grace_time=None)
        self._scheduler.start()

    async def close(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        # shutdown() cancels a tick in progress but cannot wait for it; do, so nothing runs
        # against a committer that is closing.
        await asyncio.gather(*self._running, return_exceptions=True)

    async def tick(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            handled = await self.run_due(dt.datetime.now(dt.UTC))
            if handled:
                log.info("DING: handled %d due reminders", handled)
        except Exception:  # keep ticking; the next tick retries
            log.exception("DING reminder tick failed")
        finally:
            if task is not None:
                self._running.discard(task)
