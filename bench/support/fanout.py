"""One fan-out measurement loop, shared by im_fanout.py and im_twonode.py.

A run: arm a fresh marker on the load generator, send one message carrying it, and wait until
every recipient connection has read it. Latency = last arrival − the moment just before the
send frame was written (``time.monotonic`` is CLOCK_MONOTONIC, the same clock in every process).
"""
from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.loadgen.pool import WorkerPool
from bench.loadgen.sender import Client
from bench.support.report import percentile
from bench.support.scenario import message_text

#: send(marker) -> (monotonic time before sending, reply frame)
SendFn = Callable[[str], Awaitable[tuple[float, dict]]]


@dataclass
class FanoutResult:
    size: int
    last: list[float] = field(default_factory=list)    # send → last recipient, seconds
    first: list[float] = field(default_factory=list)   # send → first recipient
    ack: list[float] = field(default_factory=list)     # send → acknowledgement
    lost_runs: int = 0

    def p(self, q: float) -> float:
        return percentile(self.last, q)


def ours_sender(client: Client, conversation: int) -> SendFn:
    async def send(marker: str) -> tuple[float, dict]:
        return await client.call("msg.send", conversation=conversation, client_msg_id=marker,
                                 type="text", content={"text": message_text(marker)})
    return send


def notice_sender(client: Client, as_post: str, selector: str) -> SendFn:
    """notice.send from a post to a selector: the notice fan-out (recipients, receipts rows, events)."""
    async def send(marker: str) -> tuple[float, dict]:
        return await client.call("notice.send", client_msg_id=marker, as_post=as_post, selector=selector,
                                 title="防汛物资上报", body=message_text(marker))
    return send


def floor_sender(client: Client, group: str) -> SendFn:
    async def send(marker: str) -> tuple[float, dict]:
        return await client.call("msg.send", group=group, client_msg_id=marker, type="text",
                                 content={"text": message_text(marker)})
    return send


async def measure(pool: WorkerPool, send: SendFn, recipients: set[int], *, runs: int, warmup: int,
                  timeout: float, pause: float = 0.2) -> FanoutResult:
    result = FanoutResult(len(recipients))
    for run in range(warmup + runs):
        marker = f"FO{len(recipients)}-{run}-{secrets.token_hex(3)}"
        await pool.arm(marker, recipients)
        sent_at, reply = await send(marker)
        if not reply.get("ok"):
            raise RuntimeError(f"send failed: {reply}")
        acked = time.monotonic()
        done = await pool.wait_done(marker, timeout)
        if run < warmup:
            continue
        if done is None:
            result.lost_runs += 1
            continue
        result.last.append(done["last"] - sent_at)
        result.first.append(done["first"] - sent_at)
        result.ack.append(acked - sent_at)
        await asyncio.sleep(pause)
    return result
