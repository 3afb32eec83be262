"""Directory benchmark: province import, selector resolution and search, on SQLite and PostgreSQL.

Prints, per backend: the import — ``zhengding org import`` run as a subprocess, as a user runs
it — with its wall and CPU time, rows/s and peak RSS (the child's ``ru_maxrss`` from ``wait4``); then
p50/p99 over repeated runs for six selectors (on PostgreSQL also the CPU per run of this
process and its backends, the latency an idle machine would show) and p50/p99 of name and
pinyin search. Targets
(2-core machine): import <= 3 min on SQLite and peak RSS <= 1 GiB on both backends, selector
p99 <= 50 ms for up to 20,000 posts and <= 5 ms for one post, search p99 <= 20 ms.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg
from sqlalchemy import select, text

from orgchart import models as m
from orgchart.infra import migrate
from orgchart.infra.db import create_engine, session_maker
from orgchart.io.formats import write_records
from orgchart.io.generate import generate_records
from orgchart.selectors import resolve
from orgchart.store.search import search

OUT = ROOT / "bench" / "out"
ZHENGDING = [sys.executable, "-m", "clients.cli.main"]
PG_ADMIN = os.environ.get("ZHENGDING_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")

# name -> selector text; "{vo}" and "{group}" and "{post}" are filled from the database.
SELECTORS = {
    "one post by path": "{post}",
    "village party secretaries in one city": "duty:村党支部书记 under:衢州市",
    "village party secretaries in the province": "duty:村党支部书记 under:浙江省",
    "village river chiefs in the province": "duty:河长 level:village",
    "every county tax bureau head": "dept:税务局 level:county title:局长",
    "one virtual-org sub-group": "vo:{vo}/{group}",
}
SEARCHES = {
    "name prefix (张伟)": "张伟",
    "name prefix (城关)": "城关",
    "full pinyin (hangzhou)": "hangzhou",
    "full pinyin (zhangwei)": "zhangwei",
    "initials (hzs)": "hzs",
    "initials (zw)": "zw",
}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def timed(fn, repeat: int) -> tuple[list[float], object]:
    await fn()  # warm caches once; not counted
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = await fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, result


class CpuMeter:
    """CPU time spent from now on by this process and the given server processes.

    On a shared machine the wall-clock percentiles mostly measure the other work; the CPU both
    sides spend per run is what the request costs, and roughly its latency on an idle machine.
    Server processes are read from /proc, so this works only with a local PostgreSQL (else the
    column shows this process alone, marked "+?").
    """

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.readable = all(_proc_cpu(pid) is not None for pid in pids)
        self.start = self._now()

    def _now(self) -> float:
        server = sum(_proc_cpu(pid) or 0.0 for pid in self.pids) if self.readable else 0.0
        return time.process_time() + server

    def per_run(self, runs: int) -> str:
        spent = (self._now() - self.start) * 1000 / runs
        return f"{spent:>8.2f}" if self.readable else f"{spent:>6.2f}+?"


def _proc_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def server_pids(sessions) -> list[int]:
    """The PostgreSQL backends serving this engine's pool (its idle connections included)."""
    async with sessions() as session:
        rows = await session.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = '' AND pid <> pg_backend_pid()"))
        own = await session.scalar(text("SELECT pg_backend_pid()"))
    return [own, *rows.scalars()]


async def pg_database(name: str) -> str:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"


async def fill_placeholders(sessions) -> dict[str, str]:
    async with sessions() as session:
        post = await session.scalar(select(m.Post.code).where(m.Post.level == 5).limit(1))
        group = (await session.execute(
            select(m.VirtualOrg.code, m.VirtualGroup.code)
            .join(m.VirtualGroup, m.VirtualGroup.virtual_org_id == m.VirtualOrg.id)
            .where(m.VirtualGroup.parent_id.is_not(None)).limit(1))).first()
    return {"post": post, "vo": group[0] if group else "none", "group": group[1] if group else "none"}


def measure_import(url: str, source: Path) -> None:
    """Run ``zhengding org import`` in a child process: wall time and the child's peak RSS."""
    command = [*ZHENGDING, "--database-url", url, "org", "import", str(source)]
    started = time.perf_counter()
    # stderr passes through: the child's progress bars show when this runs in a terminal
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    output = child.stdout.read() if child.stdout else ""
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"import failed ({child.returncode}): {output[-2000:]}")
    rows = int(match.group(1).replace(",", "")) if (match := re.search(r"导入完成: ([\d,]+) 条", output)) else 0
    phases = match.group(1) if (match := re.search(r"用时 [\d.]+ 秒 \((.*?)\)", output)) else "?"
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime  # on a shared machine, steadier than the wall time
    print(f"import: {rows:,} rows in {wall:.1f} s wall ({cpu:.1f} s CPU) = {rows / wall:,.0f} rows/s; "
          f"peak RSS {peak:,.0f} MiB ({'within' if peak <= 1024 else 'OVER'} 1 GiB); "
          f"load average {os.getloadavg()[0]:.1f}\n  phases: {phases}", flush=True)


async def run_backend(backend: str, source: Path, repeat: int, reuse: bool, queries: bool,
                      again: bool = False, pg_name: str = "zd_bench") -> None:
    if backend == "sqlite":
        path = OUT / f"bench-{source.stem}.sqlite3"
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{path}"
    elif reuse:
        url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{pg_name}"
    else:
        url = await pg_database(pg_name)
    print(f"\n== {backend} ==", flush=True)
    if reuse:
        print("import: skipped (--reuse: querying the database of an earlier run)")
    else:
        measure_import(url, source)
        if again:  # the idempotent re-import: every code is in the database snapshot too
            print("again, into the database that holds it (changes nothing):")
            measure_import(url, source)
    if not queries:
        return
    engine = create_engine(url)
    await migrate.upgrade(engine)
    sessions = session_maker(engine)

    values = await fill_placeholders(sessions)
    print(f"{'selector':45} {'posts':>7} {'people':>7} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms':>8}")
    for name, template in SELECTORS.items():
        text = template.format(**values)

        async def run(text=text):
            async with sessions() as session:
                return await resolve(session, text, limit=50)

        cpu = CpuMeter(await server_pids(sessions) if backend == "postgresql" else [])
        samples, result = await timed(run, repeat)
        print(f"{name:45} {result.post_count + result.enterprise_count:>7,} {result.holder_count:>7,} "
              f"{percentile(samples, .5):>8.2f} {percentile(samples, .99):>8.2f} "
              f"{cpu.per_run(repeat + 1)}   [{text}]", flush=True)
    print(f"(load average {os.getloadavg()[0]:.1f}; cpu ms: this process plus its PostgreSQL "
          "backends per run, the latency an idle machine would show)")

    print(f"{'search':45} {'hits':>7} {'':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for name, query in SEARCHES.items():

        async def run(query=query):
            async with sessions() as session:
                return await search(session, query, limit=20)

        samples, hits = await timed(run, repeat)
        print(f"{name:45} {len(hits):>7} {'':>7} {percentile(samples, .5):>8.2f} "
              f"{percentile(samples, .99):>8.2f}", flush=True)
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", choices=["city", "province"], default="province")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=200, help="runs per selector and search")
    parser.add_argument("--reuse", action="store_true",
                        help="skip the import and query the databases an earlier run left")
    parser.add_argument("--pg-database", default="zd_bench",
                        help="PostgreSQL database to (re)create or reuse (default zd_bench)")
    parser.add_argument("--import-only", action="store_true",
                        help="measure the import (time, peak RSS) and skip the queries")
    parser.add_argument("--again", action="store_true",
                        help="import the file a second time into the same database")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    source = OUT / f"{args.preset}.jsonl"
    if not source.exists():
        started = time.perf_counter()
        counts = write_records(generate_records(args.preset), source)
        print(f"generated {args.preset}: {counts} in {time.perf_counter() - started:.1f} s")
    print(f"source: {source} ({source.stat().st_size / 1e6:.0f} MB); python {sys.version.split()[0]}; "
          f"{os.cpu_count()} cores; repeat={args.repeat}")
    for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
        await run_backend(backend, source, args.repeat, args.reuse, not args.import_only,
                          args.again, args.pg_database)


if __name__ == "__main__":
    asyncio.run(main())
