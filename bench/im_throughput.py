"""Throughput in two shapes, on SQLite and PostgreSQL, against the floor in the same shape.

(a) 1,000 connected clients in 100 groups of 10, every client sending to its group (``--window-a``
    requests in flight each, the next sent as soon as an acknowledgement comes back);
(b) one 100-member group receiving messages back to back from one sender (``--window-b`` in flight).

Reported: committed messages/s (acknowledgements received within the measured window; ours
acknowledges only after COMMIT) and deliveries/s (``message.new`` frames read by all members,
the sender's own copy included, within the window). Every connection — senders too — is a lean
raw-websocket client of bench/loadgen; the target is ours >= 1/3 of the floor's deliveries/s.

    .venv/bin/python bench/im_throughput.py                          # both shapes, both backends, 3 rounds
    .venv/bin/python bench/im_throughput.py --shapes b --backends sqlite --duration 5
"""
from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from pathlib import Path
from statistics import median
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # bench/orgchart.py must not shadow orgchart

from bench.loadgen.pool import WorkerPool
from bench.loadgen.sender import Client
from bench.support import directory, procs
from bench.support.directory import Account
from bench.support.report import machine_note, ratio, save, table
from bench.support.scenario import floor_send, floor_spec, ours_send, ours_spec

GROUPS_A, MEMBERS_A, MEMBERS_B = 100, 10, 100


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", default="a,b")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per shape and server")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds of floor then ours; the table shows medians (the floor moves with load)")
    parser.add_argument("--window-a", type=int, default=1, help="requests in flight per client in shape a")
    parser.add_argument("--window-b", type=int, default=16, help="requests in flight for the sender in shape b")
    parser.add_argument("--workers", type=int, default=4, help="load-generator processes")
    parser.add_argument("--port", type=int, default=9320)
    parser.add_argument("--connect-concurrency", type=int, default=100,
                        help="handshakes each load-generator process keeps in flight while connecting")
    parser.add_argument("--deadline", type=float, default=1800, help="give up (servers stopped) after this many s")
    return parser.parse_args()


async def _ours_groups_a(port: int, accounts: list[Account]) -> list[int]:
    """Group g: recipients 10g … 10g+9, opened by its first member (the owner)."""
    conversations = []
    for g in range(GROUPS_A):
        members = accounts[g * MEMBERS_A:(g + 1) * MEMBERS_A]
        owner = Client()
        await owner.connect(f"ws://127.0.0.1:{port}/ws", members[0].token)
        opened = await owner.request("conv.open", kind="group", title=f"压测十人群{g}",
                                     members=[{"person": a.person_id} for a in members[1:]])
        conversations.append(opened["conversation"]["id"])
        await owner.close()
    return conversations


async def _measure(pool: WorkerPool, specs: list[dict[str, Any]], marker: str, duration: float,
                   window: int, concurrency: int = 100) -> dict[str, Any]:
    await pool.connect(specs, concurrency=concurrency, require_all=True)
    await pool.arm(marker, set())
    result = await pool.send_loop(duration, window)
    await pool.drop(graceful=True)
    result["msgs_per_s"] = result["acked_in_window"] / duration
    result["deliveries_per_s"] = result["delivered_in_window"] / duration
    return result


async def run_ours(args: argparse.Namespace, backend: str, shapes: list[str], pool: WorkerPool,
                   ps: procs.Processes) -> dict[str, dict[str, Any]]:
    url, by_mobile, _ = await directory.prepare(backend, "bench_throughput", GROUPS_A * MEMBERS_A, 1, (MEMBERS_B,))
    accounts = [by_mobile[directory.recipient_mobile(i)] for i in range(GROUPS_A * MEMBERS_A)]
    sender = by_mobile[directory.sender_mobile(0)]
    server = await ps.start(procs.ours(f"throughput-ours-{backend}", args.port, url))
    results = {}
    try:
        for shape in shapes:
            marker = f"TP{shape}-{secrets.token_hex(3)}"
            if shape == "a":
                conversations = await _ours_groups_a(args.port, accounts)
                specs = [ours_spec(i, a.token, port=args.port, send=ours_send(conversations[i // MEMBERS_A], marker, i))
                         for i, a in enumerate(accounts)]
                results[shape] = await _measure(pool, specs, marker, args.duration, args.window_a)
            else:
                owner = Client()
                await owner.connect(f"ws://127.0.0.1:{args.port}/ws", sender.token)
                opened = await owner.request("conv.open", kind="group", title="压测百人群",
                                             members=[{"selector": directory.size_selector(MEMBERS_B)}])
                await owner.close()
                conversation = opened["conversation"]["id"]
                specs = [ours_spec(i, accounts[i].token, port=args.port) for i in range(MEMBERS_B)]
                specs.append(ours_spec(10_000, sender.token, port=args.port,
                                       send=ours_send(conversation, marker, 10_000)))
                results[shape] = await _measure(pool, specs, marker, args.duration, args.window_b)
            print(f"ours/{backend}/{shape}: {results[shape]}")
    finally:
        ps.stop(server)
    return results


async def run_floor(args: argparse.Namespace, shapes: list[str], pool: WorkerPool,
                    ps: procs.Processes) -> dict[str, dict[str, Any]]:
    port = args.port + 1
    server = await ps.start(procs.floor("throughput-floor", port))
    results = {}
    try:
        for shape in shapes:
            marker = f"TP{shape}-{secrets.token_hex(3)}"
            if shape == "a":
                specs = [floor_spec(i, [f"t{i // MEMBERS_A}"], port=port,
                                    send=floor_send(f"t{i // MEMBERS_A}", marker, i))
                         for i in range(GROUPS_A * MEMBERS_A)]
                results[shape] = await _measure(pool, specs, marker, args.duration, args.window_a)
            else:
                specs = [floor_spec(i, ["h"], port=port) for i in range(MEMBERS_B)]
                specs.append(floor_spec(10_000, ["h"], port=port, send=floor_send("h", marker, 10_000)))
                results[shape] = await _measure(pool, specs, marker, args.duration, args.window_b)
            print(f"floor/{shape}: {results[shape]}")
    finally:
        ps.stop(server)
    return results


async def main() -> None:
    args = parse_args()
    await procs.run_bounded(lambda: run(args), args.deadline)


async def run(args: argparse.Namespace) -> None:
    shapes = [s for s in args.shapes.split(",") if s]
    backends = [b for b in args.backends.split(",") if b]
    procs.raise_nofile()
    async with procs.Processes() as ps, WorkerPool("127.0.0.1", args.port, args.workers) as pool:
        print(machine_note())
        print(f"load generator: {pool.client_name} (senders and receivers)")
        rounds = []
        for number in range(1, args.repeat + 1):
            print(f"round {number} of {args.repeat}")
            floor = await run_floor(args, shapes, pool, ps)
            ours = {b: await run_ours(args, b, shapes, pool, ps) for b in backends}
            rounds.append({"floor": floor, "ours": ours})
    names = {"a": f"a: 100 groups x 10, all send (window {args.window_a})",
             "b": f"b: 1 group x 100, back to back (window {args.window_b})"}
    rows = []
    for shape in shapes:
        floors = [r["floor"][shape] for r in rounds]
        rows.append([names[shape], "floor", median(f["msgs_per_s"] for f in floors),
                     median(f["deliveries_per_s"] for f in floors), "1.00", "",
                     sum(f["errors"] for f in floors)])
        for backend in backends:
            ours_rounds = [r["ours"][backend][shape] for r in rounds]
            ratios = [ratio(o["deliveries_per_s"], f["deliveries_per_s"]) for o, f in zip(ours_rounds, floors)]
            rows.append(["", backend, median(o["msgs_per_s"] for o in ours_rounds),
                         median(o["deliveries_per_s"] for o in ours_rounds), f"{median(ratios):.2f}",
                         " ".join(f"{r:.2f}" for r in ratios), sum(o["errors"] for o in ours_rounds)])
    print(f"\nThroughput over {args.duration:g} s per row, median of {args.repeat} rounds "
          f"(load generator: {pool.client_name})")
    print(table(["shape", "server", "committed msg/s", "deliveries/s", "vs floor (median)", "each round",
                 "errors"], rows))
    print("target: ours deliveries/s >= 1/3 of the floor's (vs floor >= 0.33); each round compares ours "
          "with the floor measured just before it")
    print(machine_note())
    print(f"raw figures: {save('im_throughput', {'args': vars(args), 'rounds': rounds})}")


if __name__ == "__main__":
    asyncio.run(main())
