"""Several nodes must share ``media_dir``: check it, instead of finding out from a broken image.

Each node writes a probe file with a random nonce into ``media_dir/.nodes/`` and publishes the
nonce in Redis. Every node then reads the other nodes' probes from *its own* ``media_dir``: a
probe that is missing, or holds another nonce, means the directories are not the same, and an
image uploaded through that node cannot be downloaded through this one. Nodes check at start
and every few minutes (a node that joins later is seen by the others' next check); the result
is logged as an error and shown by ``GET /healthz``.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
from pathlib import Path

log = logging.getLogger(__name__)
#: A node's probe stays published this long unless the node refreshes it (at every check).
PROBE_TTL = 900


class MediaShareCheck:
    def __init__(self, redis_url: str, namespace: str, node_id: str, media_dir: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(redis_url)
        self._prefix = f"{namespace}:media-probe:"
        self.node_id = node_id
        self._probes = Path(media_dir) / ".nodes"
        self._nonce = secrets.token_hex(16)
        #: Node ids whose uploads this node cannot see (empty: the directory is shared).
        self.unshared: list[str] = []

    def _probe(self, node_id: str) -> Path:
        return self._probes / f"{node_id}.probe"

    async def check(self) -> list[str]:
        """Publish this node's probe and look for everyone else's; returns the unseen nodes."""
        await asyncio.to_thread(self._write_probe)
        await self._redis.set(self._prefix + self.node_id, self._nonce, ex=PROBE_TTL)
        published: dict[str, str] = {}
        async for key in self._redis.scan_iter(match=self._prefix + "*"):
            node = key.decode().removeprefix(self._prefix)
            if node != self.node_id and (nonce := await self._redis.get(key)) is not None:
                published[node] = nonce.decode()
        unshared = []
        for node, nonce in sorted(published.items()):
            if await asyncio.to_thread(self._read_probe, node) != nonce:
                unshared.append(node)
        if unshared:
            log.error("media_dir %s is not shared with node(s) %s: files uploaded through them "
                      "cannot be served here; give every node the same media_dir (a shared file system)",
                      self._probes.parent, ", ".join(unshared))
        self.unshared = unshared
        return unshared

    def _write_probe(self) -> None:
        self._probes.mkdir(parents=True, exist_ok=True)
        self._probe(self.node_id).write_text(self._nonce)

    def _read_probe(self, node_id: str) -> str | None:
        try:
            return self._probe(node_id).read_text()
        except OSError:
            return None

    async def close(self) -> None:
        try:
            await self._redis.delete(self._prefix + self.node_id)
            await asyncio.to_thread(self._probe(self.node_id).unlink, missing_ok=True)
        finally:
            await self._redis.aclose()
