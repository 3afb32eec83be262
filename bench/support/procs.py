"""Server processes started by a benchmark: our ``zhengding serve``, the floor, stopped at the end.

Every process gets the hard open-files limit as its soft limit (set in the child before exec),
so thousands of sockets fit. :class:`Processes` stops whatever it started, even on error.
"""
from __future__ import annotations

import asyncio
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Self

import aiohttp

BENCH = Path(__file__).resolve().parent.parent
ROOT = BENCH.parent
OUT = BENCH / "out"
ZHENGDING = Path(sys.executable).with_name("zhengding")

#: Limits raised so the server is measured, not its abuse protection (see Settings).
LOAD_SETTINGS = {
    "ZHENGDING_WS_RATE": "1000000",
    "ZHENGDING_WS_BURST": "1000000",
    "ZHENGDING_WS_MAX_IN_FLIGHT": "1024",
    "ZHENGDING_WS_QUEUE_LIMIT": "100000",
    "ZHENGDING_WS_AUTH_TIMEOUT": "60",
    "ZHENGDING_DEMO_DATA": "false",
}


def raise_nofile() -> int:
    """Raise this process's soft RLIMIT_NOFILE to the hard limit; returns the new limit."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def rss_kb(pid: int) -> int:
    """VmRSS of a process in KiB, from /proc/<pid>/status."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


class Server:
    """One server process, its log file in bench/out/, and its health URL."""

    def __init__(self, name: str, argv: list[str], port: int, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.argv = argv
        self.port = port
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.log_path = OUT / f"{name}.log"
        self.profiler: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        OUT.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:  # the child keeps its own descriptor
            # preexec_fn: the child must raise its own open-files limit; we start no threads here
            self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, preexec_fn=raise_nofile,  # noqa: PLW1509
                                         start_new_session=True)

    async def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/healthz"
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
                try:
                    async with http.get(url) as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} not healthy after {timeout}s; see {self.log_path}")

    def profile(self) -> None:
        """Sample this server with py-spy (``BENCH_PROFILE=1``) into bench/out/<name>.speedscope.json."""
        if os.environ.get("BENCH_PROFILE") and self.profiler is None:
            pyspy = Path(sys.executable).with_name("py-spy")
            with open(OUT / f"{self.name}.py-spy.log", "w") as log:
                self.profiler = subprocess.Popen(
                    [str(pyspy), "record", "--pid", str(self.pid), "--rate", "200", "--format", "speedscope",
                     "--output", str(OUT / f"{self.name}.speedscope.json")],
                    stdout=subprocess.DEVNULL, stderr=log)

    def stop(self, timeout: float = 15) -> None:
        if self.profiler is not None:
            self.profiler.send_signal(signal.SIGINT)
            try:
                self.profiler.wait(60)
            except subprocess.TimeoutExpired:
                self.profiler.kill()
            self.profiler = None
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def ours(name: str, port: int, database_url: str, *, redis_url: str | None = None,
         extra_env: dict[str, str] | None = None) -> Server:
    """``zhengding serve`` with the load settings; ``BENCH_SERVER_PRELUDE`` (an experiment, e.g.
    ``import gc; gc.freeze()``) runs Python code in the server process before the CLI starts."""
    argv = [str(ZHENGDING), "--database-url", database_url, "serve", "--host", "127.0.0.1",
            "--port", str(port), "--no-demo"]
    prelude = os.environ.get("BENCH_SERVER_PRELUDE")
    if prelude:
        code = f"{prelude}\nimport sys\nfrom clients.cli.main import main\nsys.argv[0] = 'zhengding'\nsys.exit(main())"
        argv = [sys.executable, "-c", code, *argv[1:]]
    if redis_url:
        argv += ["--redis-url", redis_url]
    return Server(name, argv, port, {**LOAD_SETTINGS, **(extra_env or {})})


def floor(name: str, port: int) -> Server:
    return Server(name, [sys.executable, str(BENCH / "floor_server.py"), "--port", str(port)], port)


async def run_bounded(main: Callable[[], Awaitable[None]], seconds: float) -> None:
    """Run ``main`` with a deadline; SIGTERM/SIGHUP cancel it too, so servers are always stopped."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for sig in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, task.cancel)
    try:
        async with asyncio.timeout(seconds):
            await main()
    except TimeoutError:
        print(f"gave up after {seconds:.0f} s (--deadline)", file=sys.stderr)
        raise SystemExit(3) from None


class Processes:
    """Start servers; stop every one of them on exit, error or not."""

    def __init__(self) -> None:
        self.servers: list[Server] = []

    async def start(self, server: Server) -> Server:
        self.servers.append(server)
        server.start()
        await server.wait_healthy()
        server.profile()
        return server

    def stop(self, server: Server) -> None:
        server.stop()
        if server in self.servers:
            self.servers.remove(server)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()
