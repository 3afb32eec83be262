"""Keep the cyclic garbage collector's full passes short on a node with thousands of sockets.

Each connection leaves about a hundred objects that CPython's collector tracks. A full pass
visits every one of them: at 10,000 connections that is over a million objects and 0.3–0.5 s
with the event loop stopped, which lands in the middle of a fan-out (seen in bench/im_fanout:
p99 820 ms against a p50 of 356). And the passes come exactly when connections arrive: a full
pass runs whenever the long-lived heap has grown by a quarter.

So: objects that will live as long as the server (modules, settings, the directory caches) are
frozen at start — moved to a generation the collector never visits — and so are the objects
of connections once they are open (checked every ``settle_seconds``: if at least ``burst`` more
connections are open than at the last freeze). What the collector visits is then what was
made since; freezing is a constant-time move, so it is done often during a storm of
connections, which keeps each pass short (a 10,000-client reconnect storm spent 2.6 of its 9 s
in collector passes with 5-second checks). Frozen objects that become garbage in a cycle (a closed connection leaves some)
are not collected until unfrozen, so when the node has lost half of the connections it had at
the last freeze, everything is unfrozen and collected at once (while those clients are away), and
the collector's usual rules apply again.
"""
from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class GcPolicy:
    def __init__(self, connections: Callable[[], int], *, burst: int = 200,
                 settle_seconds: float = 1.0) -> None:
        self._connections = connections
        self.burst = burst
        self.settle_seconds = settle_seconds
        self.frozen_at = 0  # connections open at the last freeze
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        gc.freeze()  # the server's own long-lived objects (a constant-time move, no pass)
        self._task = asyncio.create_task(self._watch(), name="gc-policy")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        gc.unfreeze()

    def adjust(self) -> str | None:
        """Freeze after a burst of connections, unfreeze after losing half; returns what it did."""
        now = self._connections()
        if now >= self.frozen_at + self.burst:
            gc.collect(1)  # young garbage is not worth keeping forever
            gc.freeze()
            self.frozen_at = now
            return "froze"
        if self.frozen_at and now < self.frozen_at // 2:
            gc.unfreeze()
            # Collect the departed connections' garbage now, while their clients are away,
            # not at whatever moment the next pass would come (likely as they all reconnect).
            gc.collect()
            self.frozen_at = now
            return "unfroze"
        return None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.settle_seconds)
            done = self.adjust()
            if done:
                log.info("gc: %s at %d connections (%d objects frozen)", done, self.frozen_at,
                         gc.get_freeze_count())
