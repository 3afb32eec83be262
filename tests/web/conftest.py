"""Browser tests: the real server (``zhengding serve`` in a subprocess, with the demo directory)
and Debian's Chromium driven by Playwright, one browser context per user.

Chromium and the CJK fonts are installed with apt-get when missing (CI runs as root). When the
browser still cannot start, the tests are skipped on a developer machine and fail with
``CI=true``. Each test saves a screenshot under ``tests/web/screenshots/`` (ignored by git).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).with_name("screenshots")

#: The demo accounts (orgchart/io/demo.py).
ADMIN = ("13900000000", "zhengding-admin")
OFFICIAL = ("13900000001", "zhengding-official")
VILLAGE = ("13900000002", "zhengding-village")
ENTERPRISE = ("13900000003", "zhengding-enterprise")
#: Passwords the tests give to generated people through the admin API.
TEST_PASSWORD = "zhengding-test-1"


def _unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(message + " (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(message)


def _fonts_present() -> bool:
    if not shutil.which("fc-list"):
        return False
    listed = subprocess.run(["fc-list", ":lang=zh"], check=False, capture_output=True, text=True).stdout
    return "Noto Sans CJK" in listed or "Noto Serif CJK" in listed


def ensure_browser_packages() -> None:
    """apt-get install chromium and fonts-noto-cjk where they are missing (as root only)."""
    missing = [package for package, present in (("chromium", Path(CHROMIUM).exists()),
                                                ("fonts-noto-cjk", _fonts_present())) if not present]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
    if subprocess.run(install, check=False, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], check=False, env=env, capture_output=True)
        subprocess.run(install, check=False, env=env, capture_output=True)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Chromium, launched once for tests/web; expectations wait up to 15 s (CI shares two cores).

    Package-scoped: Playwright's sync API runs an event loop of its own while it is open, which
    would keep the asyncio tests that run after tests/web from starting theirs.
    """
    ensure_browser_packages()
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing and could not be installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed: {exc}")
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        except Exception as exc:  # noqa: BLE001 — any launch failure means no browser here
            _unavailable(f"Chromium did not start: {exc}")
        yield launched
        launched.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[str]:
    """``zhengding serve`` with the demo directory on a free port; its base URL."""
    root = tmp_path_factory.mktemp("web-server")
    port = _free_port()
    env = {**os.environ, "ZHENGDING_DATABASE_URL": f"sqlite+aiosqlite:///{root / 'web.sqlite3'}",
           "ZHENGDING_MEDIA_DIR": str(root / "media"), "ZHENGDING_PORT": str(port),
           "ZHENGDING_HOST": "127.0.0.1", "ZHENGDING_DING_MIN_INTERVAL_SECONDS": "300"}
    with open(root / "server.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "clients.cli.main", "serve"], env=env,
                                   stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[2])
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail("the server did not start:\n" + (root / "server.log").read_text()[-3000:])
                time.sleep(0.3)
        yield base
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


class Api:
    """A tiny synchronous HTTP client for the tests' own set-up (never the page's)."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: {exc.code} {exc.read().decode()}") from None
        return json.loads(raw) if raw else None

    def login(self, mobile: str, password: str) -> Api:
        token = self.call("POST", "/api/v1/login", {"mobile": mobile, "password": password})["token"]
        return Api(self.base, token)


@pytest.fixture(scope="session")
def admin_api(server) -> Api:
    return Api(server).login(*ADMIN)


@pytest.fixture
def open_page(browser, server, request):
    """``open_page(mobile, password, width=1280, height=800)``: a logged-in page in a new context.

    At the end of the test every page opened saves a screenshot named after the test.
    """
    contexts, pages = [], []

    def factory(mobile: str, password: str, *, width: int = 1280, height: int = 800):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.console = []
        page.on("console", lambda message: page.console.append(f"{message.type}: {message.text}"))
        page.on("dialog", lambda dialog: (page.errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        page.goto(server + "/")
        page.get_by_label("手机号").fill(mobile)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.get_by_role("navigation", name="主菜单").wait_for()
        pages.append(page)
        return page

    yield factory
    SCREENSHOTS.mkdir(exist_ok=True)
    name = request.node.name.replace("/", "_").replace("[", "_").replace("]", "")
    for index, page in enumerate(pages):
        with contextlib.suppress(Exception):  # a page that crashed has nothing to show
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{index + 1}.png"))
    for context in contexts:
        context.close()


def activate(admin_api: Api, mobile_or_id: str | int) -> tuple[str, str]:
    """Give a generated person a password; ``(mobile, password)``."""
    if isinstance(mobile_or_id, int):
        person = admin_api.call("GET", f"/api/v1/people/{mobile_or_id}")
    else:
        found = admin_api.call("GET", f"/api/v1/search?kind=person&q={mobile_or_id}")["items"]
        person = found[0]
    admin_api.call("POST", f"/api/v1/people/{person['id']}/activate", {"password": TEST_PASSWORD})
    return person["mobile"], TEST_PASSWORD
