"""What the replay rules add to a reconnect storm's batch: one batch of first pages, with and without.

A batch is what :attr:`Messaging.replay_pages` answers with one query: ``--clients`` (200, the
runtime's ``LOOKUP_BATCH``) members of one group resume from the same cursor, each owed
``--events`` ``message.new`` events (``--edited`` of those messages were edited since, so their
current state is rendered). Timed: ``first_pages`` alone (the read) and ``first_pages`` +
``replay_rules.apply`` (the read rule and the current state), interleaved ``--runs`` times so
that machine load hits both alike; medians reported, per backend.

    .venv/bin/python bench/im_replay_rules.py
    .venv/bin/python bench/im_replay_rules.py --backend postgresql
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from statistics import median

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # bench/orgchart.py must not shadow orgchart

import asyncpg
from sqlalchemy import insert

from im_server import models as m
from im_server.replay_rules import apply
from im_server.stores.inbox import Resume, first_pages
from orgchart import models as om
from orgchart.infra import migrate
from orgchart.infra.db import create_engine

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--events", type=int, default=7)
    parser.add_argument("--edited", type=int, default=2)
    parser.add_argument("--runs", type=int, default=30)
    return parser.parse_args()


async def fill(engine, args: argparse.Namespace) -> list[Resume]:
    now = dt.datetime.now(dt.UTC)
    people = list(range(1, args.clients + 1))
    async with engine.begin() as conn:
        await conn.execute(insert(om.Person), [
            {"id": p, "name": f"压测{p}", "mobile": f"139{p:08d}", "name_pinyin": "", "name_initials": "",
             "role": "official"} for p in people])
        await conn.execute(insert(m.Conversation).values(id=1, kind="group", title="压测", created_at=now,
                                                         last_seq=args.events))
        await conn.execute(insert(m.ConversationMember), [
            {"conversation_id": 1, "member_type": "person", "person_id": p, "role": "member", "can_post": True}
            for p in people])
        messages, events, inbox = [], [], []
        for seq in range(1, args.events + 1):
            edited = now if seq <= args.edited else None
            body = {"content": {"text": f"第{seq}条"}, "mentions": []}
            messages.append({"id": seq, "conversation_id": 1, "seq": seq, "sender_id": 1,
                             "client_msg_id": f"c{seq}", "content_type": "text", "body": json.dumps(body),
                             "search_text": "", "urgent": False, "created_at": now, "edited_at": edited})
            payload = {"message": {"id": seq, "conversation": 1, "seq": seq, "sender": {"id": 1, "name": "压测1"},
                                   "content": body["content"], "recalled": False}}
            events.append({"id": seq, "type": "message.new", "payload": json.dumps(payload, ensure_ascii=False),
                           "created_at": now, "conversation_id": 1, "message_id": seq})
            inbox += [{"person_id": p, "event_id": seq} for p in people]
        await conn.execute(insert(m.Message), messages)
        await conn.execute(insert(m.Event), events)
        await conn.execute(insert(m.Inbox), inbox)
    return [Resume(p, 0, args.events) for p in people]


async def run(url: str, args: argparse.Namespace) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        wanted = await fill(engine, args)
        plain, ruled = [], []
        for _ in range(args.runs):
            async with engine.connect() as conn:
                started = time.perf_counter()
                await first_pages(conn, wanted, 500)
                plain.append(time.perf_counter() - started)
                started = time.perf_counter()
                _pruned, pages = await first_pages(conn, wanted, 500)
                shown = await apply(conn, [(w.person_id, pages[w]) for w in wanted], 500)
                ruled.append(time.perf_counter() - started)
        assert all(len(page.rows) == args.events for page in shown)
        a, b = median(plain) * 1000, median(ruled) * 1000
        print(f"{args.backend}: {args.clients} clients × {args.events} events ({args.edited} edited), "
              f"{args.runs} runs — first pages {a:.1f} ms, with the replay rules {b:.1f} ms "
              f"(+{b - a:.1f} ms per batch, median)")
    finally:
        await engine.dispose()


async def main() -> None:
    args = parse_args()
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            await run(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", args)
        return
    name = f"zd_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await run(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", args)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
