"""A short-lived cache for the subtree counts of big subtrees (the province, a city).

Counting the posts and current holders under a province means reading every post and holding
(1.4 million rows): about a second, on either backend, however it is written. Those numbers
move only when the directory is imported or edited, so they are kept for a few minutes.
Edits through this process clear the cache at once; other nodes see them when their entry
expires. Counties and below are counted live (milliseconds).

One computation per key at a time: concurrent requests for a cold key wait for the first.
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

DEFAULT_TTL_SECONDS = 300.0


class SubtreeCountsCache:
    def __init__(
        self,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_entries: int = 512,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._generation = 0

    def _fresh(self, key: Hashable) -> tuple[bool, Any]:
        hit = self._entries.get(key)
        if hit is not None and hit[0] > self._clock():
            return True, hit[1]
        return False, None

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> Any:
        """The cached value for ``key``, computing it (once) when missing or expired."""
        found, value = self._fresh(key)
        if found:
            return value
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            found, value = self._fresh(key)
            if found:
                return value
            generation = self._generation
            value = await compute()
            if generation == self._generation:  # not cleared meanwhile: the value is current
                self._entries[key] = (self._clock() + self._ttl, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self._max:
                    old, _ = self._entries.popitem(last=False)
                    if old in self._locks and not self._locks[old].locked():
                        del self._locks[old]
            return value

    def clear(self) -> None:
        """Forget everything (the directory changed)."""
        self._generation += 1
        self._entries.clear()
