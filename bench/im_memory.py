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
import sys
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # bench/orgchart.py must not shadow orgchart

from bench.loadgen.pool import WorkerPool  # noqa: E402
from bench.support import directory, procs  # noqa: E402
from bench.support.report import ratio, save, table  # noqa: E402
from bench.support.scenario import floor_spec, ours_spec  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--settle", type=float, default=3.0, help="idle seconds before reading RSS")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=9330)
    return parser.parse_args()


async def measure(pool: WorkerPool, server: procs.Server, specs: list[dict[str, Any]], warmup: int,
                  settle: float) -> dict[str, Any]:
    await pool.connect(specs[:warmup])
    await pool.drop(graceful=True)
    await asyncio.sleep(settle)
    before = procs.rss_kb(server.pid)
    connected = await pool.connect(specs, concurrency=100)
    await asyncio.sleep(settle)
    after = procs.rss_kb(server.pid)
    await pool.drop(graceful=True)
    return {"before_kb": before, "after_kb": after, "connected": connected["ok"], "failed": connected["failed"],
            "per_conn_kb": (after - before) / max(1, connected["ok"])}


async def main() -> None:
    args = parse_args()
    procs.raise_nofile()
    n = args.connections
    async with procs.Processes() as ps, WorkerPool("127.0.0.1", args.port, args.workers) as pool:
        print(f"load generator: {pool.client_name}")
        server = await ps.start(procs.floor("memory-floor", args.port + 1))
        floor = await measure(pool, server, [floor_spec(i, ["g"], port=args.port + 1) for i in range(n)],
                              args.warmup, args.settle)
        ps.stop(server)
        print(f"floor: {floor}")
        url, accounts, _ = await directory.prepare(args.backend, "bench_memory", n, 0)
        server = await ps.start(procs.ours("memory-ours", args.port, url))
        specs = [ours_spec(i, accounts[directory.recipient_mobile(i)].token, port=args.port) for i in range(n)]
        ours = await measure(pool, server, specs, args.warmup, args.settle)
        ps.stop(server)
        print(f"ours: {ours}")
    rows = [[name, r["connected"], r["before_kb"] / 1024, r["after_kb"] / 1024, r["per_conn_kb"]]
            for name, r in (("floor (websockets)", floor), (f"ours ({args.backend})", ours))]
    print(f"\nServer RSS per idle authenticated connection (load generator: {pool.client_name})")
    print(table(["server", "connections", "RSS before MiB", "RSS after MiB", "KiB / connection"], rows))
    print(f"ratio ours / floor: {ratio(ours['per_conn_kb'], floor['per_conn_kb']):.2f}  (target <= 2)")
    print(f"raw figures: {save('im_memory', {'args': vars(args), 'floor': floor, 'ours': ours})}")


if __name__ == "__main__":
    asyncio.run(main())
