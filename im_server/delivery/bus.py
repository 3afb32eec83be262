"""The bus that carries committed batches to every node: in-process, or Redis pub/sub.

Delivery on the bus may be lost (a node killed between commit and publish, a Redis blip): the
dispatcher notices the gap in positions and reads it back from the database, so the bus only
needs to be fast, not reliable.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from im_server.delivery.batch import CommittedBatch

log = logging.getLogger(__name__)
Listener = Callable[[CommittedBatch], None]


class Bus(Protocol):
    async def start(self, listener: Listener) -> None: ...
    async def publish(self, batch: CommittedBatch) -> None: ...
    async def close(self) -> None: ...


class InProcessBus:
    """One node: hand the batch straight to the local dispatcher."""

    def __init__(self) -> None:
        self._listener: Listener | None = None

    async def start(self, listener: Listener) -> None:
        self._listener = listener

    async def publish(self, batch: CommittedBatch) -> None:
        if self._listener is not None:
            self._listener(batch)

    async def close(self) -> None:
        self._listener = None


class RedisBus:
    """Several nodes: every node publishes its batches and hears everyone's (its own included)."""

    def __init__(self, url: str, namespace: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._task: asyncio.Task | None = None
        self.channel = f"{namespace}:events"

    async def start(self, listener: Listener) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self.channel)
        self._task = asyncio.create_task(self._listen(pubsub, listener), name="redis-bus")

    async def _listen(self, pubsub, listener: Listener) -> None:
        try:
            async for message in pubsub.listen():
                try:
                    listener(CommittedBatch.from_line(message["data"]))
                except Exception:  # one bad batch must not stop the node hearing the rest
                    log.exception("bad batch on %s", self.channel)
        finally:
            await pubsub.aclose()

    async def publish(self, batch: CommittedBatch) -> None:
        await self._redis.publish(self.channel, batch.to_line())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._redis.aclose()


def make_bus(redis_url: str | None, namespace: str) -> Bus:
    return RedisBus(redis_url, namespace) if redis_url else InProcessBus()

