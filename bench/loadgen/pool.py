"""The parent side of the load generator: several worker processes, one command API.

Connections are spread round-robin over the workers; every command is sent to each worker that
holds connections and the answers are gathered. Workers run ``loadgen/worker.py`` with this
interpreter, so they see the same packages.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
from pathlib import Path
from typing import Any, Self

BENCH = Path(__file__).resolve().parent.parent


class WorkerError(RuntimeError):
    """A worker answered a command with an error, or died."""


class _Worker:
    def __init__(self, index: int, proc: asyncio.subprocess.Process) -> None:
        self.index = index
        self.proc = proc
        self.replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.done: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.hello: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self._read())
        self.cids: list[int] = []

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            message = json.loads(line)
            if "id" in message:
                future = self.replies.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message)
            elif message.get("event") == "hello":
                self.hello.set_result(message)
            elif message.get("event") == "done":
                future = self.done.get(message["marker"])
                if future is not None and not future.done():
                    future.set_result(message)
        for future in [*self.replies.values(), *self.done.values(), self.hello]:
            if not future.done():
                future.set_exception(WorkerError(
                    f"load-generator worker {self.index} exited; see bench/out/loadgen-{self.index}.log"))
                future.exception()  # retrieved here: not every future has a waiter


class WorkerPool:
    """``workers`` processes of lean clients aimed at ``host:port`` (a spec may name another port)."""

    def __init__(self, host: str, port: int, workers: int = 4) -> None:
        self.host = host
        self.port = port
        self.size = workers
        self.workers: list[_Worker] = []
        self.ids = itertools.count(1)
        self.where: dict[int, _Worker] = {}
        self.loop_name = "?"

    async def start(self) -> None:
        env = dict(os.environ)
        (BENCH / "out").mkdir(exist_ok=True)
        for index in range(self.size):
            with open(BENCH / "out" / f"loadgen-{index}.log", "w") as log:  # noqa: ASYNC230 - start-up only
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, str(BENCH / "loadgen" / "worker.py"), self.host, str(self.port),
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log, env=env,
                    limit=1 << 28)
            self.workers.append(_Worker(index, proc))
        hellos = await asyncio.wait_for(asyncio.gather(*(w.hello for w in self.workers)), 30)
        self.loop_name = hellos[0]["loop"]

    @property
    def client_name(self) -> str:
        return f"lean raw-websocket client (asyncio.Protocol, {self.loop_name} loop) x {self.size} processes"

    async def close(self) -> None:
        for worker in self.workers:
            if worker.proc.returncode is None and worker.proc.stdin is not None:
                try:
                    worker.proc.stdin.write(b'{"cmd":"quit"}\n')
                    await worker.proc.stdin.drain()
                except (ConnectionError, RuntimeError):
                    pass
        for worker in self.workers:
            try:
                await asyncio.wait_for(worker.proc.wait(), 15)
            except TimeoutError:
                worker.proc.kill()
                await worker.proc.wait()
            worker.reader.cancel()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- commands ----------------------------------------------------------------------------

    async def call(self, worker: _Worker, cmd: str, timeout: float = 120, **args: Any) -> dict[str, Any]:
        request_id = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        worker.replies[request_id] = future
        assert worker.proc.stdin is not None
        worker.proc.stdin.write(json.dumps({"id": request_id, "cmd": cmd, **args}).encode() + b"\n")
        await worker.proc.stdin.drain()
        reply = await asyncio.wait_for(future, timeout)
        if "error" in reply:
            raise WorkerError(f"worker {worker.index}: {cmd}: {reply['error']}")
        return reply

    async def each(self, cmd: str, timeout: float = 120, per_worker: dict[int, dict] | None = None,
                   **args: Any) -> list[dict[str, Any]]:
        """Send ``cmd`` to every worker (``per_worker`` adds arguments by worker index)."""
        return list(await asyncio.gather(*(
            self.call(w, cmd, timeout, **args, **(per_worker or {}).get(w.index, {}))
            for w in self.workers)))

    async def connect(self, specs: list[dict[str, Any]], *, concurrency: int = 100,
                      timeout: float = 60, require_all: bool = False) -> dict[str, Any]:
        """Open (or re-open) connections; a spec is ``{cid, path, auth?, send?, port?}``.

        ``concurrency`` bounds the handshakes each worker has in flight. With ``require_all`` a
        connection that still fails after its retries raises :class:`WorkerError`.
        """
        by_worker: dict[int, list[dict]] = {w.index: [] for w in self.workers}
        for i, spec in enumerate(specs):
            worker = self.where.get(spec["cid"]) or self.workers[i % self.size]
            if spec["cid"] not in self.where:
                self.where[spec["cid"]] = worker
                worker.cids.append(spec["cid"])
            by_worker[worker.index].append(spec)
        replies = await self.each("connect", timeout=timeout * 3 + 60, per_worker={
            index: {"conns": conns, "concurrency": concurrency, "conn_timeout": timeout}
            for index, conns in by_worker.items()})
        result = {"ok": sum(r["ok"] for r in replies), "failed": sum(r["failed"] for r in replies),
                  "retries": sum(r["retries"] for r in replies),
                  "examples": [e for r in replies for e in r["examples"]][:3],
                  "first": min(r["first"] for r in replies), "last": max(r["last"] for r in replies)}
        if require_all and result["failed"]:
            raise WorkerError(f"{result['failed']} of {len(specs)} connections failed after retries, "
                              f"e.g. {result['examples']}")
        return result

    async def arm(self, marker: str | None, recipients: set[int] | None = None, *, expect: int = 1,
                  track: bool = False) -> dict[int, int]:
        """Count ``marker`` frames; returns how many connections of each worker must see it."""
        want = {w.index: len(w.cids) if recipients is None else sum(1 for c in w.cids if c in recipients)
                for w in self.workers}
        loop = asyncio.get_running_loop()
        for worker in self.workers:
            worker.done = {marker: loop.create_future()} if marker and want[worker.index] else {}
        await self.each("arm", per_worker={i: {"marker": marker, "expect": expect, "want": n, "track": track}
                                           for i, n in want.items()})
        return want

    async def wait_done(self, marker: str, timeout: float) -> dict[str, Any] | None:
        """The first and last arrival over all workers, or None if some connection never got it."""
        futures = [w.done[marker] for w in self.workers if marker in w.done]
        try:
            done = await asyncio.wait_for(asyncio.gather(*futures), timeout)
        except TimeoutError:
            return None
        return {"first": min(d["first"] for d in done), "last": max(d["last"] for d in done),
                "conns": sum(d["conns"] for d in done)}

    async def stats(self) -> dict[str, Any]:
        replies = await self.each("stats")
        return {"frames": sum(r["frames"] for r in replies), "bytes": sum(r["bytes"] for r in replies),
                "marker_done": sum(r["marker_done"] for r in replies),
                "deliveries": sum(r["deliveries"] for r in replies), "open": sum(r["open"] for r in replies)}

    async def send_loop(self, duration: float, window: int, drain: float = 15) -> dict[str, Any]:
        replies = await self.each("send_loop", timeout=duration + drain + 60, duration=duration,
                                  window=window, drain=drain)
        keys = ("senders", "sent", "acked_in_window", "acked", "delivered_in_window", "delivered",
                "errors", "unanswered")
        return {k: sum(r[k] for r in replies) for k in keys}

    async def drop(self, graceful: bool = False) -> int:
        return sum(r["dropped"] for r in await self.each("drop", graceful=graceful))

    async def collect(self) -> dict[int, dict[str, Any]]:
        merged: dict[int, dict[str, Any]] = {}
        for reply in await self.each("collect", timeout=300):
            merged.update({int(cid): value for cid, value in reply["conns"].items()})
        return merged

    async def rss_kb(self) -> int:
        return sum(r["rss_kb"] for r in await self.each("rss"))
