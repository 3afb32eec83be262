"""Run ``zhengding serve`` nodes as separate processes for the scale-out tests."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as redis

from tests.conftest import IN_CI

REDIS_URL = os.environ.get("ZHENGDING_TEST_REDIS", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Node:
    def __init__(self, database_url: str, namespace: str, log_dir: Path, name: str, *,
                 redis: bool = True, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"{name}.log"
        env = {**os.environ, "ZHENGDING_REDIS_NAMESPACE": namespace, "ZHENGDING_WS_RATE": "1000",
               "ZHENGDING_WS_BURST": "1000", "ZHENGDING_DEMO_DATA": "false", **(env or {})}
        command = [sys.executable, "-m", "clients.cli.main", "--database-url", database_url, "serve",
                   "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command + (["--redis-url", REDIS_URL] if redis else []),
            stdout=self.log.open("w"), stderr=subprocess.STDOUT, env=env,
            cwd=Path(__file__).resolve().parents[2])

    async def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"node exited: {self.log.read_text()[-3000:]}")
                try:
                    async with http.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise TimeoutError(f"node not ready: {self.log.read_text()[-3000:]}")

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no goodbye frames, whatever was in flight is cut."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


async def require_redis() -> None:
    """The real Redis on this machine; unreachable: skipped locally, a failure in CI."""
    client = redis.from_url(REDIS_URL)
    try:
        await asyncio.wait_for(client.ping(), timeout=5)
    except Exception as exc:  # noqa: BLE001
        message = f"Redis at {REDIS_URL} is unreachable: {exc!r}"
        if IN_CI:
            pytest.fail(message + " (CI=true: scale-out tests must run)", pytrace=False)
        pytest.skip(message)
    finally:
        await client.aclose()


async def forget_namespace(namespace: str) -> None:
    """Delete a test's keys, leaving the shared Redis as the test found it."""
    client = redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(f"{namespace}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
