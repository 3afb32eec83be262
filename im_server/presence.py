"""Who is online and when they were last seen: per node in memory, or shared through Redis.

With Redis each node keeps a set of online people under a key that expires unless the node
refreshes it, so a killed node's people go offline by themselves within ``NODE_TTL`` seconds.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from typing import Protocol

NODE_TTL = 15
REFRESH = 5


def seen_at(stamp: float | None) -> str | None:
    """A last-seen Unix time as the protocol's timestamps are: ISO 8601 with the UTC offset."""
    if stamp is None:
        return None
    return dt.datetime.fromtimestamp(stamp, dt.UTC).isoformat()


class Presence(Protocol):
    async def start(self) -> None: ...
    async def online(self, person_id: int) -> None: ...
    async def offline(self, person_id: int) -> None: ...
    async def query(self, people: list[int]) -> dict[int, dict]: ...
    async def close(self) -> None: ...


class LocalPresence:
    def __init__(self) -> None:
        self._count: Counter[int] = Counter()
        self._last_seen: dict[int, float] = {}

    async def start(self) -> None:
        pass

    async def online(self, person_id: int) -> None:
        self._count[person_id] += 1
        self._last_seen[person_id] = time.time()

    async def offline(self, person_id: int) -> None:
        self._count[person_id] -= 1
        if self._count[person_id] <= 0:
            del self._count[person_id]
        self._last_seen[person_id] = time.time()

    async def query(self, people: list[int]) -> dict[int, dict]:
        return {p: {"online": self._count.get(p, 0) > 0, "last_seen": seen_at(self._last_seen.get(p))}
                for p in people}

    async def close(self) -> None:
        pass


class RedisPresence(LocalPresence):
    """Local counts, mirrored into ``<namespace>:online:<node>`` (a set with a TTL) and a last-seen hash."""

    def __init__(self, url: str, node_id: str, namespace: str) -> None:
        super().__init__()
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._key = f"{namespace}:online:{node_id}"
        self._nodes_key = f"{namespace}:nodes"
        self._last_seen_key = f"{namespace}:last_seen"
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        await self._redis.sadd(self._nodes_key, self._key)
        self._task = asyncio.create_task(self._refresh(), name="presence-refresh")

    async def _refresh(self) -> None:
        while True:
            people = [str(p) for p in self._count]
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(self._key)
                if people:
                    pipe.sadd(self._key, *people)
                pipe.expire(self._key, NODE_TTL)
                await pipe.execute()
            await asyncio.sleep(REFRESH)

    async def online(self, person_id: int) -> None:
        await super().online(person_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(self._key, person_id)
            pipe.expire(self._key, NODE_TTL)
            pipe.hset(self._last_seen_key, person_id, time.time())
            await pipe.execute()

    async def offline(self, person_id: int) -> None:
        await super().offline(person_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            if person_id not in self._count:
                pipe.srem(self._key, person_id)
            pipe.hset(self._last_seen_key, person_id, time.time())
            await pipe.execute()

    async def query(self, people: list[int]) -> dict[int, dict]:
        nodes = [n.decode() for n in await self._redis.smembers(self._nodes_key)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for node in nodes:
                pipe.smismember(node, [str(p) for p in people]) if people else None
            pipe.hmget(self._last_seen_key, [str(p) for p in people])
            results = await pipe.execute() if people else []
        if not people:
            return {}
        seen = results[-1]
        online = [any(bool(flags[i]) for flags in results[:-1]) for i in range(len(people))]
        return {p: {"online": online[i], "last_seen": seen_at(float(seen[i]) if seen[i] else None)}
                for i, p in enumerate(people)}

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._redis.delete(self._key)
        await self._redis.srem(self._nodes_key, self._key)
        await self._redis.aclose()


def make_presence(redis_url: str | None, node_id: str, namespace: str) -> Presence:
    return RedisPresence(redis_url, node_id, namespace) if redis_url else LocalPresence()
