"""The bench directory: thousands of people with posts, imported with ``zhengding org import``.

Layout (JSON Lines, docs/directory-format.md): 浙江省 → 衢州市 → 柯城区; recipient ``i`` holds post
``BENCH-R{i}`` with duty ``压测`` and, for every group size N asked for with i < N, duty
``压测N`` (so ``duty:压测1000`` selects the first 1,000 recipients); sender ``j`` holds ``BENCH-S{j}``
(duty ``压测发送``). Files never carry passwords, so instead of logging every account in (one
argon2 verification each) the benchmark **mints API tokens directly** in ``auth_tokens``: a random
token per person, stored as its SHA-256 (``orgchart.security.token_digest``), valid for a day —
exactly what ``POST /api/v1/login`` would have stored.
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select

from bench.support.procs import OUT, ROOT, ZHENGDING
from orgchart import models as om
from orgchart.infra.db import create_engine
from orgchart.security import new_token, token_digest

COUNTY = "330802000000"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def size_selector(size: int) -> str:
    """The selector of the first ``size`` recipients' posts (``size`` must be one of the group sizes)."""
    return f"duty:压测{size}"


def recipient_mobile(i: int) -> str:
    return f"139{i:08d}"


def sender_mobile(j: int) -> str:
    return f"138{j:08d}"


def sender_post(j: int) -> str:
    return f"BENCH-S{j:03d}"


def write_directory(path: Path, recipients: int, senders: int, sizes: tuple[int, ...] = ()) -> Path:
    """Write the JSON Lines directory file for ``recipients`` + ``senders`` people."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        def put(kind: str, **fields) -> None:
            out.write(json.dumps({"kind": kind, **fields}, ensure_ascii=False) + "\n")

        put("unit", code="330000000000", name="浙江省")
        put("unit", code="330800000000", name="衢州市")
        put("unit", code=COUNTY, name="柯城区")
        for i in range(recipients):
            duties = ["压测"] + [f"压测{n}" for n in sizes if i < n]
            put("post", code=f"BENCH-R{i:05d}", title=f"压测岗位{i}", unit=COUNTY, duties=duties)
            put("person", mobile=recipient_mobile(i), name=f"压测{i}")
            put("holding", post=f"BENCH-R{i:05d}", mobile=recipient_mobile(i), start="2020-01-01")
        for j in range(senders):
            put("post", code=sender_post(j), title=f"压测发送岗{j}", unit=COUNTY, duties=["压测发送"])
            put("person", mobile=sender_mobile(j), name=f"压测发送人{j}")
            put("holding", post=sender_post(j), mobile=sender_mobile(j), start="2020-01-01")
    return path


def sqlite_url(name: str) -> str:
    """A new, empty SQLite file in bench/out/ (any earlier one of that name is removed)."""
    path = OUT / f"{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return f"sqlite+aiosqlite:///{path}"


async def fresh_database(backend: str, name: str) -> str:
    """An empty database: a SQLite file in bench/out/, or a re-created PostgreSQL database."""
    if backend == "sqlite":
        return sqlite_url(name)
    import asyncpg

    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


def import_directory(database_url: str, path: Path) -> float:
    """``zhengding org import`` (migrations first, as the CLI does); returns seconds taken."""
    started = time.monotonic()
    result = subprocess.run([str(ZHENGDING), "--database-url", database_url, "org", "import", str(path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"org import failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return time.monotonic() - started


@dataclass(frozen=True)
class Account:
    person_id: int
    mobile: str
    token: str


async def mint_tokens(database_url: str, mobiles: list[str]) -> dict[str, Account]:
    """One fresh API token per person, written straight into ``auth_tokens`` (see module doc)."""
    engine = create_engine(database_url)
    now = dt.datetime.now(dt.UTC)
    try:
        async with engine.begin() as conn:
            ids = dict((await conn.execute(select(om.Person.mobile, om.Person.id)
                                           .where(om.Person.mobile.in_(mobiles)))).all())
            missing = [m for m in mobiles if m not in ids]
            if missing:
                raise RuntimeError(f"{len(missing)} people not in the directory, e.g. {missing[:3]}")
            accounts = {m: Account(ids[m], m, new_token()) for m in mobiles}
            rows = [{"token_hash": token_digest(a.token), "person_id": a.person_id, "created_at": now,
                     "expires_at": now + dt.timedelta(days=1)} for a in accounts.values()]
            for start in range(0, len(rows), 5000):
                await conn.execute(insert(om.AuthToken), rows[start:start + 5000])
    finally:
        await engine.dispose()
    return accounts


async def prepare(backend: str, name: str, recipients: int, senders: int,
                  sizes: tuple[int, ...] = ()) -> tuple[str, dict[str, Account], float]:
    """A fresh database holding the bench directory and tokens: (url, accounts by mobile, import s)."""
    url = await fresh_database(backend, name)
    path = write_directory(OUT / f"directory-{name}.jsonl", recipients, senders, sizes)
    seconds = import_directory(url, path)
    mobiles = [recipient_mobile(i) for i in range(recipients)] + [sender_mobile(j) for j in range(senders)]
    return url, await mint_tokens(url, mobiles), seconds
