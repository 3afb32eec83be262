"""The in-process scheduler: APScheduler runs this node's periodic jobs.

    ding-reminders   every scheduler_tick_seconds   DING re-reminders that are due
    post-rotation    every minute                   notices and conversations follow posts (by date)
    event-retention  every hour                     forget events older than the retention

Every node runs one. The jobs keep no state of their own — due times, claims and positions
live in the database — so several nodes ticking at once, or a node restarted mid-way, neither
lose nor repeat work. A run that overruns the next is not doubled up (``max_instances=1``,
``coalesce``); a failed run is logged and retried at the next tick.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from im_server.metrics import Metrics

log = logging.getLogger(__name__)

RunDue = Callable[[dt.datetime], Awaitable[int]]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: RunDue
    seconds: float


class Scheduler:
    """Runs each job every ``seconds``; jobs with 0 or fewer seconds are disabled."""

    def __init__(self, jobs: list[PeriodicJob], metrics: Metrics | None = None) -> None:
        self.jobs = [job for job in jobs if job.seconds > 0]
        self.metrics = metrics or Metrics()
        self._scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task] = set()

    @property
    def enabled(self) -> bool:
        return bool(self.jobs)

    async def start(self) -> None:
        if not self.enabled:
            return
        self._scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=dt.UTC)
        for job in self.jobs:
            self._scheduler.add_job(self.tick, IntervalTrigger(seconds=job.seconds), args=[job],
                                    id=job.name, max_instances=1, coalesce=True,
                                    misfire_grace_time=None)
        self._scheduler.start()

    async def close(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        # shutdown() cancels a run in progress but cannot wait for it; do, so nothing runs
        # against a committer that is closing.
        await asyncio.gather(*self._running, return_exceptions=True)

    async def tick(self, job: PeriodicJob) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        started, outcome = time.monotonic(), "error"
        try:
            handled = await job.run(dt.datetime.now(dt.UTC))
            outcome = "ok"
            if handled:
                log.info("%s: handled %d", job.name, handled)
                self.metrics.scheduler_handled.labels(job.name).inc(handled)
        except asyncio.CancelledError:  # shutting down
            outcome = "cancelled"
            raise
        except Exception:  # keep ticking; the next tick retries
            log.exception("%s failed", job.name)
        finally:
            if task is not None:
                self._running.discard(task)
            self.metrics.scheduler_runs.labels(job.name, outcome).inc()
            self.metrics.scheduler_seconds.labels(job.name).observe(time.monotonic() - started)
