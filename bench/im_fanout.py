"""Fan-out: one message to 1,000 and to 10,000 online recipients, ours against the floor.

For each size: time from the send until the LAST recipient has read the message, p50/p99 over
``--runs`` runs (after ``--warmup``), on our server (``zhengding serve``: group commit, then the
hub) and on the floor (bench/floor_server.py: ``websockets.broadcast``), with the same load
generator (bench/loadgen: lean raw-websocket receivers in several processes). All recipients
stay connected for every size, so the 1,000 fan-out happens with 10,000 sockets open.

``--via notice`` (default): ``notice.send`` from the sender's post to the selector ``duty:压测N``
(recipients' rows, the audit entry and one ``notice.new`` event committed together).
``--via message``: ``msg.send`` to a group whose members are those posts. The floor relays
the same text to the same sockets either way.

    .venv/bin/python bench/im_fanout.py                         # 1,000 and 10,000, 20 runs, SQLite
    .venv/bin/python bench/im_fanout.py --backend postgresql --sizes 1000 --runs 5
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
from bench.support.fanout import FanoutResult, floor_sender, measure, notice_sender, ours_sender
from bench.support.report import machine_note, percentile, ratio, save, table
from bench.support.scenario import floor_spec, ours_spec


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="recipients per fan-out, comma-separated")
    parser.add_argument("--via", choices=["notice", "message"], default="notice")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=4, help="load-generator processes")
    parser.add_argument("--port", type=int, default=9310, help="ours on PORT, the floor on PORT+1")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for one fan-out")
    parser.add_argument("--connect-concurrency", type=int, default=100,
                        help="handshakes each load-generator process keeps in flight while connecting")
    parser.add_argument("--deadline", type=float, default=1800, help="give up (servers stopped) after this many s")
    return parser.parse_args()


async def run_ours(args: argparse.Namespace, sizes: list[int], pool: WorkerPool,
                   ps: procs.Processes) -> dict[int, FanoutResult]:
    url, accounts, import_s = await directory.prepare(args.backend, "bench_fanout", max(sizes), 1, tuple(sizes))
    print(f"directory: {max(sizes):,} recipients imported in {import_s:.1f}s ({args.backend}); tokens minted")
    server = await ps.start(procs.ours("fanout-ours", args.port, url))
    sender = Client()
    await sender.connect(f"ws://127.0.0.1:{args.port}/ws", accounts[directory.sender_mobile(0)].token)
    groups = {}
    for size in sizes:
        opened = await sender.request("conv.open", kind="group", title=f"压测{size}人群",
                                      members=[{"selector": directory.size_selector(size)}])
        groups[size] = opened["conversation"]["id"]
    specs = [ours_spec(i, accounts[directory.recipient_mobile(i)].token, port=args.port)
             for i in range(max(sizes))]
    connected = await pool.connect(specs, concurrency=args.connect_concurrency, require_all=True)
    print(f"ours: {connected['ok']:,} connected ({connected['retries']} retries) in "
          f"{connected['last'] - connected['first']:.1f}s")
    results = {}
    for size in sizes:
        send = (notice_sender(sender, directory.sender_post(0), directory.size_selector(size))
                if args.via == "notice" else ours_sender(sender, groups[size]))
        results[size] = await measure(pool, send, set(range(size)),
                                      runs=args.runs, warmup=args.warmup, timeout=args.timeout)
    await sender.close()
    await pool.drop(graceful=True)
    ps.stop(server)
    return results


async def run_floor(args: argparse.Namespace, sizes: list[int], pool: WorkerPool,
                    ps: procs.Processes) -> dict[int, FanoutResult]:
    port = args.port + 1
    server = await ps.start(procs.floor("fanout-floor", port))
    sender = Client()
    await sender.connect(f"ws://127.0.0.1:{port}/ws?p=0")
    specs = [floor_spec(i, [f"g{n}" for n in sizes if i < n], port=port) for i in range(max(sizes))]
    connected = await pool.connect(specs, concurrency=args.connect_concurrency, require_all=True)
    print(f"floor: {connected['ok']:,} connected ({connected['retries']} retries) in "
          f"{connected['last'] - connected['first']:.1f}s")
    results = {}
    for size in sizes:
        results[size] = await measure(pool, floor_sender(sender, f"g{size}"), set(range(size)),
                                      runs=args.runs, warmup=args.warmup, timeout=args.timeout)
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
        print(f"load generator: {pool.client_name}; sender: websockets {__import__('websockets').__version__}")
        floor = await run_floor(args, sizes, pool, ps)
        ours = await run_ours(args, sizes, pool, ps)
    rows = []
    for size in sizes:
        o, f = ours[size], floor[size]
        rows.append([f"{size:,}", o.p(50) * 1000, o.p(99) * 1000, f.p(50) * 1000, f.p(99) * 1000,
                     ratio(o.p(50), f.p(50)), ratio(o.p(99), f.p(99)), percentile(o.ack, 50) * 1000,
                     f"{o.lost_runs}/{f.lost_runs}"])
    print(f"\nFan-out of one {args.via}, send → last recipient, ms ({args.runs} runs, {args.backend}; "
          f"load generator: {pool.client_name})")
    print(table(["recipients", "ours p50", "ours p99", "floor p50", "floor p99", "ratio p50", "ratio p99",
                 "ours ack p50", "timeouts o/f"], rows))
    print("targets: ratio <= 3 at both sizes; ours p99 <= 1,000 ms at 10,000")
    print(machine_note())
    path = save("im_fanout", {"args": vars(args), "client": pool.client_name,
                              "ours": {s: vars(r) for s, r in ours.items()},
                              "floor": {s: vars(r) for s, r in floor.items()}})
    print(f"raw figures: {path}")


if __name__ == "__main__":
    asyncio.run(main())
