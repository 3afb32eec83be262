"""Answer concurrent lookups with one query: the read-side twin of the committer's group commit.

While one batch is being loaded, new requests wait; when it returns, everything that arrived
meanwhile goes out as the next batch. A lone request waits for nothing (it is a batch of one,
started on the next turn of the event loop); a storm of 10,000 reconnects costs the database a
few hundred queries instead of 10,000, and the event loop one thread hand-off per batch
instead of one per client.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BatchLoader(Generic[K, V]):
    """``await loader.load(key)`` → ``load_many(keys)[key]`` (``None`` when absent).

    ``load_many`` gets each key once per batch, at most ``max_batch`` keys. If it raises, every
    request of that batch gets the exception; the next batch is tried afresh.
    """

    def __init__(self, load_many: Callable[[list[K]], Awaitable[Mapping[K, V]]], *,
                 max_batch: int = 500) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._load_many = load_many
        self._max_batch = max_batch
        self._waiting: list[tuple[K, asyncio.Future[V | None]]] = []
        self._runner: asyncio.Task | None = None
        #: How many batches have been loaded (benchmarks and tests read it).
        self.batches = 0

    async def load(self, key: K) -> V | None:
        future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((key, future))
        if self._runner is None:
            self._runner = asyncio.get_running_loop().create_task(self._run())
        return await future

    async def _run(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[:self._max_batch]
                del self._waiting[:self._max_batch]
                await self._answer(batch)
        finally:
            self._runner = None

    async def _answer(self, batch: list[tuple[K, asyncio.Future[V | None]]]) -> None:
        keys = list(dict.fromkeys(key for key, _future in batch))  # each once, in arrival order
        try:
            found = await self._load_many(keys)
        except asyncio.CancelledError:  # shutting down: nobody may wait forever
            for _key, future in batch:
                future.cancel()
            raise
        except Exception as exc:
            log.debug("batch of %d lookups failed", len(keys), exc_info=True)
            for _key, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches += 1
        for key, future in batch:
            if not future.done():  # a request whose client went away meanwhile
                future.set_result(found.get(key))

    async def close(self) -> None:
        """Stop; requests still waiting are cancelled."""
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
        for _key, future in self._waiting:
            future.cancel()
        self._waiting.clear()
