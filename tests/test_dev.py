"""``python3 dev.py serve`` is the server: stopping it by its process id frees the port."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _port_free(port: int) -> bool:
    """Nobody listens and a new server could bind it (closed connections may linger in
    TIME_WAIT, which servers bind over with SO_REUSEADDR, as aiohttp does)."""
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
    return True


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_stopping_dev_py_serve_stops_the_server(tmp_path, stop):
    port = _free_port()
    env = {**os.environ, "ZHENGDING_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/dev.sqlite3",
           "ZHENGDING_MEDIA_DIR": str(tmp_path / "media")}
    env.pop("ZHENGDING_REDIS_URL", None)
    process = subprocess.Popen([sys.executable, str(ROOT / "dev.py"), "serve", "--port", str(port),
                                "--no-demo"], env=env, cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):
            assert process.poll() is None, "dev.py serve exited before serving"
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.2)
        os.kill(process.pid, stop)  # what `kill <pid>` and Ctrl-C do to the process the user started
        process.wait(timeout=20)
        deadline = time.monotonic() + 5
        while not _port_free(port):
            assert time.monotonic() < deadline, f"port {port} still held after dev.py exited"
            time.sleep(0.1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
