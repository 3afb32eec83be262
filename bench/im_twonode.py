"""Fan-out across two ``zhengding serve`` nodes (PostgreSQL + Redis bus) against one node.

The same measurement as im_fanout.py (send → last recipient, p50/p99 over ``--runs``), on
PostgreSQL, in three set-ups with the same database and load generator:

- one node, in-process bus (no ``--redis-url``);
- one node with ``--redis-url`` (the bus round trip through Redis, nothing else changes);
- two nodes (separate processes) with ``--redis-url``: recipients alternate between the nodes, the
  sender is on node A, so half the deliveries cross Redis to node B;

and the floor (one ``websockets`` relay) for reference. ``--via notice`` (default) sends
``notice.send`` to ``duty:压测N``; ``--via message`` a group message to those posts.

    .venv/bin/python bench/im_twonode.py
    .venv/bin/python bench/im_twonode.py --sizes 1000 --runs 5
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # bench/orgchart.py must not shadow orgchart

from bench.loadgen.pool import WorkerPool
from bench.loadgen.sender import Client
from bench.support import directory, procs
from bench.support.directory import Account
from bench.support.fanout import FanoutResult, floor_sender, measure, notice_sender, ours_sender
from bench.support.report import machine_note, percentile, ratio, save, table
from bench.support.scenario import floor_spec, ours_spec


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--via", choices=["notice", "message"], default="notice")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=9350, help="nodes on PORT and PORT+1, the floor on PORT+2")
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--connect-concurrency", type=int, default=100,
                        help="handshakes each load-generator process keeps in flight while connecting")
    parser.add_argument("--deadline", type=float, default=1800, help="give up (servers stopped) after this many s")
    return parser.parse_args()


async def run_setup(args: argparse.Namespace, name: str, url: str, nodes: int, redis: bool,
                    accounts: dict[str, Account], groups: dict[int, int], sizes: list[int],
                    pool: WorkerPool, ps: procs.Processes) -> dict[int, FanoutResult]:
    ports = [args.port + i for i in range(nodes)]
    servers = [await ps.start(procs.ours(f"twonode-{name}-{i}", port, url,
                                         redis_url=args.redis_url if redis else None))
               for i, port in enumerate(ports)]
    sender = Client()
    await sender.connect(f"ws://127.0.0.1:{ports[0]}/ws", accounts[directory.sender_mobile(0)].token)
    specs = [ours_spec(i, accounts[directory.recipient_mobile(i)].token, port=ports[i % nodes])
             for i in range(max(sizes))]
    connected = await pool.connect(specs, concurrency=args.connect_concurrency, require_all=True)
    print(f"{name}: {connected['ok']:,} connected over {nodes} node(s) ({connected['retries']} retries)")
    results = {}
    for size in sizes:
        send = (notice_sender(sender, directory.sender_post(0), directory.size_selector(size))
                if args.via == "notice" else ours_sender(sender, groups[size]))
        results[size] = await measure(pool, send, set(range(size)), runs=args.runs, warmup=args.warmup,
                                      timeout=args.timeout)
    await sender.close()
    await pool.drop(graceful=True)
    for server in servers:
        ps.stop(server)
    return results


async def open_groups(port: int, url: str, accounts: dict[str, Account], sizes: list[int],
                      ps: procs.Processes) -> dict[int, int]:
    server = await ps.start(procs.ours("twonode-setup", port, url))
    client = Client()
    await client.connect(f"ws://127.0.0.1:{port}/ws", accounts[directory.sender_mobile(0)].token)
    groups = {}
    for size in sizes:
        opened = await client.request("conv.open", kind="group", title=f"压测{size}人群",
                                      members=[{"selector": directory.size_selector(size)}])
        groups[size] = opened["conversation"]["id"]
    await client.close()
    ps.stop(server)
    return groups


async def run_floor(args: argparse.Namespace, sizes: list[int], pool: WorkerPool,
                    ps: procs.Processes) -> dict[int, FanoutResult]:
    port = args.port + 2
    server = await ps.start(procs.floor("twonode-floor", port))
    sender = Client()
    await sender.connect(f"ws://127.0.0.1:{port}/ws?p=0")
    await pool.connect([floor_spec(i, [f"g{n}" for n in sizes if i < n], port=port) for i in range(max(sizes))])
    results = {size: await measure(pool, floor_sender(sender, f"g{size}"), set(range(size)),
                                   runs=args.runs, warmup=args.warmup, timeout=args.timeout)
               for size in sizes}
    await sender.close()
    await pool.drop(graceful=True)
    ps.stop(server)
    return results


async def main() -> None:
    args = parse_args()
    await procs.run_bounded(lambda: run(args), args.deadline)


async def run(args: argparse.Namespace) -> None:
    sizes = sorted(int(s) for s in args.sizes.split(","))
    procs.raise_nofile()
    async with procs.Processes() as ps, WorkerPool("127.0.0.1", args.port, args.workers) as pool:
        print(machine_note())
        print(f"load generator: {pool.client_name}")
        url, accounts, _ = await directory.prepare("postgresql", "bench_twonode", max(sizes), 1, tuple(sizes))
        groups = await open_groups(args.port, url, accounts, sizes, ps)
        results = {
            "floor": await run_floor(args, sizes, pool, ps),
            "1 node": await run_setup(args, "one", url, 1, False, accounts, groups, sizes, pool, ps),
            "1 node + Redis": await run_setup(args, "one-redis", url, 1, True, accounts, groups, sizes, pool, ps),
            "2 nodes + Redis": await run_setup(args, "two", url, 2, True, accounts, groups, sizes, pool, ps),
        }
    rows = []
    for size in sizes:
        floor = results["floor"][size]
        one = results["1 node"][size]
        for name, by_size in results.items():
            r = by_size[size]
            rows.append([f"{size:,}", name, r.p(50) * 1000, r.p(99) * 1000, percentile(r.first, 50) * 1000,
                         ratio(r.p(50), one.p(50)), ratio(r.p(50), floor.p(50)), r.lost_runs])
    print(f"\nFan-out of one {args.via} on PostgreSQL, send → last recipient, ms ({args.runs} runs; load generator: {pool.client_name})")
    print(table(["recipients", "set-up", "p50", "p99", "first p50", "vs 1 node", "vs floor", "timeouts"], rows))
    print(machine_note())
    print(f"raw figures: {save('im_twonode', {'args': vars(args), **{k: {s: vars(r) for s, r in v.items()} for k, v in results.items()}})}")


if __name__ == "__main__":
    asyncio.run(main())
