"""Memory: server RSS per idle authenticated connection at 10,000 connections, ours vs the floor.

Each server runs in its own process. After a warm-up (``--warmup`` connections opened and closed,
so lazily built state is paid for), VmRSS is read from /proc/<pid>/status, ``--connections``
lean clients connect (ours: authenticated by token in the first frame, ``sync.live`` received),
the server is left idle ``--settle`` seconds and VmRSS is read again. Per connection = growth / N.

    .venv/bin/python bench/im_memory.py
    .venv/bin/python bench/im_memory.py --connections 2000 --backend postgresql
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # bench/orgchart.py must not shadow orgchart

from bench.loadgen.pool import WorkerPool
from bench.support import directory, procs
from bench.support.report import machine_note, ratio, save, table
from bench.support.scenario import floor_spec, ours_spec


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--settle", type=float, default=3.0, help="idle seconds before reading RSS")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=9330)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="diagnosis instead of figures: trace our server's allocations and print "
                             "what the connections added, by source line (RSS is inflated meanwhile)")
    parser.add_argument("--connect-concurrency", type=int, default=100,
                        help="handshakes each load-generator process keeps in flight while connecting")
    parser.add_argument("--deadline", type=float, default=1800, help="give up (servers stopped) after this many s")
    return parser.parse_args()


#: Run inside our server (BENCH_SERVER_PRELUDE): SIGUSR1 dumps a tracemalloc snapshot to bench/out/.
TRACE_PRELUDE = """
import itertools, signal, tracemalloc
tracemalloc.start(1)
_dumps = itertools.count()
signal.signal(signal.SIGUSR1, lambda *_: tracemalloc.take_snapshot().dump(
    f"bench/out/memory-ours-{next(_dumps)}.snapshot"))
"""


def snapshot(pid: int, index: int) -> tracemalloc.Snapshot:
    path = procs.OUT / f"memory-ours-{index}.snapshot"
    path.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + 120
    size = -1
    while time.monotonic() < deadline:  # written when the size stops changing
        time.sleep(1)
        if path.exists() and path.stat().st_size == size and size > 0:
            return tracemalloc.Snapshot.load(str(path))
        size = path.stat().st_size if path.exists() else -1
    raise RuntimeError("no tracemalloc snapshot from the server")


async def measure(pool: WorkerPool, server: procs.Server, specs: list[dict[str, Any]], warmup: int,
                  settle: float, concurrency: int) -> dict[str, Any]:
    await pool.connect(specs[:warmup])
    await pool.drop(graceful=True)
    await asyncio.sleep(settle)
    before = procs.rss_kb(server.pid)
    traced = os.environ.get("BENCH_SERVER_PRELUDE") == TRACE_PRELUDE and server.name.endswith("ours")
    first = snapshot(server.pid, 0) if traced else None
    connected = await pool.connect(specs, concurrency=concurrency, require_all=True)
    await asyncio.sleep(settle)
    after = procs.rss_kb(server.pid)
    if first is not None:
        n = max(1, connected["ok"])
        print(f"\nWhat {n:,} idle connections added to our server, by source line (tracemalloc):")
        for stat in snapshot(server.pid, 1).compare_to(first, "lineno")[:25]:
            frame = stat.traceback[0]
            print(f"{stat.size_diff / n:8.0f} B/conn {stat.count_diff / n:6.1f} blocks/conn  "
                  f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}")
    await pool.drop(graceful=True)
    return {"before_kb": before, "after_kb": after, "connected": connected["ok"], "failed": connected["failed"],
            "failures": connected["examples"], "per_conn_kb": (after - before) / max(1, connected["ok"])}


async def main() -> None:
    args = parse_args()
    await procs.run_bounded(lambda: run(args), args.deadline)


async def run(args: argparse.Namespace) -> None:
    procs.raise_nofile()
    if args.tracemalloc:
        os.environ["BENCH_SERVER_PRELUDE"] = TRACE_PRELUDE
    n = args.connections
    async with procs.Processes() as ps, WorkerPool("127.0.0.1", args.port, args.workers) as pool:
        print(machine_note())
        print(f"load generator: {pool.client_name}")
        server = await ps.start(procs.floor("memory-floor", args.port + 1))
        floor = await measure(pool, server, [floor_spec(i, ["g"], port=args.port + 1) for i in range(n)],
                              args.warmup, args.settle, args.connect_concurrency)
        ps.stop(server)
        print(f"floor: {floor}")
        url, accounts, _ = await directory.prepare(args.backend, "bench_memory", n, 0)
        server = await ps.start(procs.ours("memory-ours", args.port, url))
        specs = [ours_spec(i, accounts[directory.recipient_mobile(i)].token, port=args.port) for i in range(n)]
        ours = await measure(pool, server, specs, args.warmup, args.settle, args.connect_concurrency)
        ps.stop(server)
        print(f"ours: {ours}")
    rows = [[name, r["connected"], r["before_kb"] / 1024, r["after_kb"] / 1024, r["per_conn_kb"]]
            for name, r in (("floor (websockets)", floor), (f"ours ({args.backend})", ours))]
    print(f"\nServer RSS per idle authenticated connection (load generator: {pool.client_name})")
    print(table(["server", "connections", "RSS before MiB", "RSS after MiB", "KiB / connection"], rows))
    print(f"ratio ours / floor: {ratio(ours['per_conn_kb'], floor['per_conn_kb']):.2f}  (target <= 2)")
    print(machine_note())
    print(f"raw figures: {save('im_memory', {'args': vars(args), 'floor': floor, 'ours': ours})}")


if __name__ == "__main__":
    asyncio.run(main())
