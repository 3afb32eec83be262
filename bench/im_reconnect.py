"""Reconnect storm: 10,000 clients drop and resume at once with their cursors; nothing lost or doubled.

1. ``--clients`` lean clients connect (new devices, live) to our server; all are members of one
   group (``duty:压测N``); ``--before`` messages are sent and every client reads them live (its
   cursor is the last position it saw).
2. Every TCP connection is aborted at once (a network failure: RST, no closing handshake).
3. ``--away`` messages are sent while nobody is connected.
4. All clients reconnect at once with ``auth {token, cursor}``; ``--during`` more messages are sent
   while the storm is going on (they race the replay).
5. Measured: time from the reconnect until every client has its ``sync.caught_up`` and until every
   client has every message. Verified per client: exactly the ``away + during`` message ids that were
   acknowledged, each once, in increasing positions, all above its cursor.

The floor (no persistence, so nothing to replay) is measured on the same storm: time until all
10,000 are reconnected. Target: all caught up within 10 s.

    .venv/bin/python bench/im_reconnect.py
    .venv/bin/python bench/im_reconnect.py --clients 2000 --backend postgresql
"""
from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # bench/orgchart.py must not shadow orgchart

from bench.loadgen.pool import WorkerPool
from bench.loadgen.sender import Client
from bench.support import directory, procs
from bench.support.report import machine_note, save, table
from bench.support.scenario import floor_spec, message_text, ours_spec


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--before", type=int, default=1, help="messages read live before the drop")
    parser.add_argument("--away", type=int, default=5, help="messages sent while everyone is away")
    parser.add_argument("--during", type=int, default=2, help="messages sent during the storm")
    parser.add_argument("--storm-concurrency", type=int, default=100,
                        help="handshakes each load-generator process keeps in flight during the storm "
                             "(default 100: as fast as the server takes them; 10000 = literally all at "
                             "once, which overflows the listen backlog of 128 and measures SYN retries)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=9340)
    parser.add_argument("--timeout", type=float, default=120, help="seconds allowed for the storm")
    parser.add_argument("--repeat", type=int, default=3, help="storms (floor, then ours); medians are reported")
    parser.add_argument("--deadline", type=float, default=1800, help="give up (servers stopped) after this many s")
    return parser.parse_args()


async def send(client: Client, conversation: int, marker: str, n: int) -> int:
    """One message; returns its id (sent after the previous was acknowledged: positions increase)."""
    result = await client.request("msg.send", conversation=conversation, client_msg_id=f"{marker}-{n}",
                                  type="text", content={"text": message_text(marker)})
    return result["message"]["id"]  # the ack carries the message object


def verify(collected: dict[int, dict[str, Any]], cursors: dict[int, int], expected: list[int]) -> dict[str, int]:
    """Count clients with every expected id exactly once, in increasing positions above their cursor."""
    counts = {"exact": 0, "missing": 0, "duplicated": 0, "out_of_order": 0, "unexpected": 0}
    want = set(expected)
    for cid, state in collected.items():
        positions = [p for p, _ in state["seen"]]
        ids = [m for _, m in state["seen"]]
        problem = False
        if want - set(ids):
            counts["missing"] += 1
            problem = True
        if len(ids) != len(set(ids)):
            counts["duplicated"] += 1
            problem = True
        if set(ids) - want:
            counts["unexpected"] += 1
            problem = True
        if positions != sorted(set(positions)) or (positions and positions[0] <= cursors.get(cid, 0)):
            counts["out_of_order"] += 1
            problem = True
        counts["exact"] += not problem
    return counts


async def run_ours(args: argparse.Namespace, pool: WorkerPool, ps: procs.Processes) -> dict[str, Any]:
    n = args.clients
    url, accounts, _ = await directory.prepare(args.backend, "bench_reconnect", n, 1, (n,))
    server = await ps.start(procs.ours("reconnect-ours", args.port, url))
    sender = Client()
    await sender.connect(f"ws://127.0.0.1:{args.port}/ws", accounts[directory.sender_mobile(0)].token)
    opened = await sender.request("conv.open", kind="group", title="压测重连群",
                                  members=[{"selector": directory.size_selector(n)}])
    conversation = opened["conversation"]["id"]
    tokens = [accounts[directory.recipient_mobile(i)].token for i in range(n)]
    everyone = set(range(n))

    connected = await pool.connect([ours_spec(i, t, port=args.port) for i, t in enumerate(tokens)])
    print(f"ours: {connected['ok']:,} connected ({connected['failed']} failed)")
    marker = f"RB-{secrets.token_hex(3)}"
    await pool.arm(marker, everyone, expect=args.before, track=True)
    for k in range(args.before):
        await send(sender, conversation, marker, k)
    if await pool.wait_done(marker, 60) is None:
        raise RuntimeError("not every client got the messages before the drop")
    cursors = {cid: s["cursor"] for cid, s in (await pool.collect()).items()}

    dropped = await pool.drop(graceful=False)
    await asyncio.sleep(1.0)  # let the server see the resets
    marker = f"RC-{secrets.token_hex(3)}"
    expected = [await send(sender, conversation, marker, k) for k in range(args.away)]
    print(f"dropped {dropped:,}; {args.away} messages sent while away")

    await pool.arm(marker, everyone, expect=args.away + args.during, track=True)
    started = time.monotonic()
    storm = asyncio.create_task(pool.connect(
        [ours_spec(i, t, resume=True, port=args.port) for i, t in enumerate(tokens)],
        concurrency=args.storm_concurrency, timeout=args.timeout))
    await asyncio.sleep(0.5)
    expected += [await send(sender, conversation, marker, args.away + k) for k in range(args.during)]
    resumed = await storm
    done = await pool.wait_done(marker, args.timeout)
    collected = await pool.collect()
    await sender.close()
    await pool.drop(graceful=True)
    ps.stop(server)  # the next round starts its own, on a freshly prepared database
    return {"reconnected": resumed["ok"], "failed": resumed["failed"], "examples": resumed["examples"],
            "retries": resumed["retries"],
            "caught_up_s": resumed["last"] - started,
            "all_messages_s": (done["last"] - started) if done else float("nan"),
            "verify": verify(collected, cursors, expected), "messages": len(expected)}


async def run_floor(args: argparse.Namespace, pool: WorkerPool, ps: procs.Processes) -> dict[str, Any]:
    port = args.port + 1
    server = await ps.start(procs.floor("reconnect-floor", port))
    specs = [floor_spec(i, ["g"], port=port) for i in range(args.clients)]
    await pool.connect(specs)
    await pool.drop(graceful=False)
    await asyncio.sleep(1.0)
    started = time.monotonic()
    resumed = await pool.connect(specs, concurrency=args.storm_concurrency, timeout=args.timeout)
    await pool.drop(graceful=True)
    ps.stop(server)
    return {"reconnected": resumed["ok"], "failed": resumed["failed"], "retries": resumed["retries"],
            "caught_up_s": resumed["last"] - started}


async def main() -> None:
    args = parse_args()
    await procs.run_bounded(lambda: run(args), args.deadline)


async def run(args: argparse.Namespace) -> None:
    procs.raise_nofile()
    rounds = []
    print(machine_note())
    for number in range(1, args.repeat + 1):  # fresh servers and load generator each round
        async with procs.Processes() as ps, WorkerPool("127.0.0.1", args.port, args.workers) as pool:
            print(f"round {number} of {args.repeat}; load generator: {pool.client_name}")
            floor = await run_floor(args, pool, ps)
            print(f"floor: {floor}")
            ours = await run_ours(args, pool, ps)
            print(f"ours: {ours}")
            rounds.append({"floor": floor, "ours": ours})
    print(f"\nReconnect storm: {args.clients:,} clients resume at once ({args.backend}; "
          f"load generator: {pool.client_name})")
    rows = []
    for number, r in enumerate(rounds, 1):
        floor, ours, v = r["floor"], r["ours"], r["ours"]["verify"]
        rows.append([f"{number}: floor (no replay)", floor["reconnected"], floor["failed"], floor["retries"],
                     floor["caught_up_s"], "-", "-", "-", "-", "-"])
        rows.append([f"{number}: ours", ours["reconnected"], ours["failed"], ours["retries"], ours["caught_up_s"],
                     ours["all_messages_s"], v["exact"], v["missing"], v["duplicated"], v["out_of_order"]])
    print(table(["round: server", "reconnected", "failed", "retries", "all caught up s", "all messages s", "exact",
                 "missing", "duplicated", "out of order"], rows))
    ours_s = [r["ours"]["caught_up_s"] for r in rounds]
    floor_s = [r["floor"]["caught_up_s"] for r in rounds]
    print(f"median all caught up: ours {median(ours_s):.2f} s, floor {median(floor_s):.2f} s, ratio "
          f"{median(o / f for o, f in zip(ours_s, floor_s)):.1f}; storm concurrency {args.storm_concurrency} "
          f"handshakes in flight per load-generator process")
    print(f"each client was owed {rounds[0]['ours']['messages']} messages ({args.away} sent while away, "
          f"{args.during} during the storm); target: all caught up within 10 s, every client exact")
    print(machine_note())
    print(f"raw figures: {save('im_reconnect', {'args': vars(args), 'rounds': rounds})}")

if __name__ == "__main__":
    asyncio.run(main())
