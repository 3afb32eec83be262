"""The browser client measured in headless Chromium on loopback (issue 10 §4).

    .venv/bin/python bench/web_client.py                 # everything, defaults below
    .venv/bin/python bench/web_client.py --runs 3 --history 1000 --group-messages 20 --rate 600

1. First load of ``/`` to an interactive conversation list (a stored session, a cold cache each
   run): bytes transferred as sent on the wire (compressed; images excluded) and the time, p50
   of ``--runs``.
2. Opening a conversation of ``--history`` messages: the time until the latest message is on
   screen, then paging upward (``--pages`` pages of 50): time per page and the longest main-thread
   task while paging.
3. A group of about 1,000 members (every post under 衢州市) receiving ``--group-messages`` at
   ``--rate`` per minute while the page shows it: main-thread time per message (Chromium's
   TaskDuration) and the frames' end-to-end delay.

It starts its own server (SQLite, demo directory, generous rate limits for the seeding) and
uses Debian's /usr/bin/chromium through Playwright.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support.procs import Server
from bench.support.report import median, percentile, save, table

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
OFFICIAL = ("13900000001", "zhengding-official")
VILLAGE = ("13900000002", "zhengding-village")
VILLAGE_POST = "330802100200-01"


class Ws:
    """A minimal protocol client for seeding: requests with ids, up to ``window`` in flight."""

    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self.base, self.http = base, http
        self.pending: dict[str, asyncio.Future] = {}
        self.next = 0

    async def connect(self, mobile: str, password: str) -> dict:
        async with self.http.post(self.base + "/api/v1/login", json={"mobile": mobile, "password": password}) as r:
            self.session = await r.json()
        headers = {"Authorization": f"Bearer {self.session['token']}"}
        async with self.http.post(self.base + "/api/v1/ws-ticket", headers=headers) as r:
            ticket = (await r.json())["ticket"]
        self.ws = await self.http.ws_connect(self.base.replace("http", "ws", 1) + f"/ws?ticket={ticket}")
        self.reader = asyncio.create_task(self._read())
        return self.session

    async def _read(self) -> None:
        async for message in self.ws:
            frame = json.loads(message.data)
            future = self.pending.pop(frame.get("re"), None) if "re" in frame else None
            if future is not None:
                future.set_result(frame)

    async def call(self, op: str, **args) -> dict:
        self.next += 1
        key = str(self.next)
        future = asyncio.get_running_loop().create_future()
        self.pending[key] = future
        await self.ws.send_json({"v": 1, "id": key, "op": op, "args": args})
        frame = await asyncio.wait_for(future, 60)
        if not frame["ok"]:
            raise RuntimeError(f"{op}: {frame['error']}")
        return frame["result"]

    async def send_many(self, conversation: int, texts: list[str], window: int = 50) -> None:
        gate = asyncio.Semaphore(window)

        async def one(i: int, text: str) -> None:
            async with gate:
                await self.call("msg.send", conversation=conversation, client_msg_id=f"b{time.time_ns()}-{i}",
                                type="text", content={"text": text})

        await asyncio.gather(*(one(i, t) for i, t in enumerate(texts)))

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


def session_script(session: dict) -> str:
    """The page starts logged in (as after a login in that browser): localStorage, not a URL."""
    stored = {"token": session["token"], "expires_at": session["expires_at"], "person": session["person"]}
    return f"localStorage.setItem('zd.session', {json.dumps(json.dumps(stored))});"


LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
  .observe({ type: "longtask", buffered: true });
"""


async def one_load(browser, base: str, session: dict) -> tuple[float, int, int]:
    """``(ms to an interactive list, bytes on the wire without images, requests)``, cold cache."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)  # the harness evaluates JS
    await context.add_init_script(session_script(session))
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    kinds: dict[str, str] = {}
    transferred = {"bytes": 0, "count": 0}
    cdp.on("Network.responseReceived", lambda e: kinds.__setitem__(e["requestId"], e["type"]))

    def finished(event: dict) -> None:
        if kinds.get(event["requestId"]) not in ("Image", "WebSocket", None):
            transferred["bytes"] += event["encodedDataLength"]
            transferred["count"] += 1

    cdp.on("Network.loadingFinished", finished)
    await page.goto(base + "/")
    await page.wait_for_function("document.querySelectorAll('.conv-item').length > 0 && "
                                 "!document.querySelector('.shell.offline')")
    elapsed = await page.evaluate("performance.now()")
    await page.wait_for_timeout(300)  # let late requests (the profile) finish counting
    await context.close()
    return elapsed, transferred["bytes"], transferred["count"]


async def first_load(browser, base: str, session: dict, runs: int) -> dict:
    loads = [await one_load(browser, base, session) for _ in range(runs)]
    times, sizes, requests = ([load[i] for load in loads] for i in range(3))
    return {"runs": runs, "time_ms_p50": median(times), "time_ms_max": max(times),
            "bytes_p50": median(sizes), "requests_p50": median(requests)}


async def big_conversation(browser, base: str, session: dict, conversation: int, last_text: str,
                           pages: int) -> dict:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)  # the harness evaluates JS
    await context.add_init_script(session_script(session))
    await context.add_init_script(LONG_TASKS)
    page = await context.new_page()
    await page.goto(base + "/")
    await page.wait_for_selector(f'.conv-item[data-conversation="{conversation}"]')
    opened = await page.evaluate("""async ([id, text]) => {
      const t0 = performance.now();
      document.querySelector(`.conv-item[data-conversation="${id}"]`).click();
      const shown = () => [...document.querySelectorAll('.messages .bubble')].some((b) => b.textContent.includes(text));
      while (!shown()) await new Promise((r) => requestAnimationFrame(r));
      return performance.now() - t0;
    }""", [conversation, last_text])
    await page.wait_for_timeout(500)
    await page.evaluate("window.__longTasks.length = 0")
    page_times = await page.evaluate("""async (pages) => {
      const scroller = document.querySelector('.scroller');
      const count = () => document.querySelectorAll('.messages .msg').length;
      const times = [];
      for (let i = 0; i < pages; i++) {
        const before = count();
        const t0 = performance.now();
        scroller.scrollTop = 0;
        scroller.dispatchEvent(new Event('scroll'));
        while (count() === before) await new Promise((r) => requestAnimationFrame(r));
        await new Promise((r) => requestAnimationFrame(r));
        times.push(performance.now() - t0);
      }
      return times;
    }""", pages)
    long_tasks = await page.evaluate("window.__longTasks")
    shown = await page.evaluate("document.querySelectorAll('.messages .msg').length")
    await context.close()
    return {"latest_page_ms": opened, "page_up_ms_p50": median(page_times), "page_up_ms_max": max(page_times),
            "pages": pages, "messages_on_screen": shown, "long_tasks_while_paging": len(long_tasks),
            "longest_task_ms": max(long_tasks, default=0.0)}


async def busy_group(browser, base: str, session: dict, sender: Ws, group: int, members: int,
                     messages: int, rate: float) -> dict:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)  # the harness evaluates JS
    await context.add_init_script(session_script(session))
    page = await context.new_page()
    await page.goto(base + f"/#/messages/{group}")
    await page.wait_for_selector(".chat .composer")
    await page.wait_for_timeout(1000)
    cdp = await context.new_cdp_session(page)
    await cdp.send("Performance.enable")

    async def task_duration() -> float:
        metrics = (await cdp.send("Performance.getMetrics"))["metrics"]
        return next(m["value"] for m in metrics if m["name"] == "TaskDuration")

    before = await task_duration()
    interval = 60.0 / rate
    delays = []
    for i in range(messages):
        started = time.perf_counter()
        text = f"群消息 {i} {time.time_ns()}"
        await sender.call("msg.send", conversation=group, client_msg_id=f"g{time.time_ns()}", type="text",
                          content={"text": text})
        await page.wait_for_function("(t) => [...document.querySelectorAll('.messages .bubble')]"
                                     ".some((b) => b.textContent.includes(t))", arg=text)
        delays.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))
    after = await task_duration()
    await context.close()
    return {"members": members, "messages": messages, "rate_per_min": rate,
            "main_thread_ms_per_message": (after - before) * 1000 / messages,
            "send_to_screen_ms_p50": median(delays), "send_to_screen_ms_p99": percentile(delays, 99)}


async def main(args: argparse.Namespace) -> None:
    from playwright.async_api import async_playwright

    port = args.port
    root = Path(tempfile.mkdtemp(prefix="zd-web-bench-"))
    server = Server("web_client", [sys.executable, "-m", "clients.cli.main", "serve"], port, env={
        "ZHENGDING_DATABASE_URL": f"sqlite+aiosqlite:///{root / 'bench.sqlite3'}",
        "ZHENGDING_MEDIA_DIR": str(root / "media"), "ZHENGDING_PORT": str(port), "ZHENGDING_HOST": "127.0.0.1",
        "ZHENGDING_WS_RATE": "100000", "ZHENGDING_WS_BURST": "100000"})
    server.start()
    base = f"http://127.0.0.1:{port}"
    results: dict = {}
    try:
        await server.wait_healthy(timeout=240)
        async with aiohttp.ClientSession() as http:
            official, village = Ws(base, http), Ws(base, http)
            await official.connect(*OFFICIAL)
            village_session = await village.connect(*VILLAGE)
            conversation = (await official.call("conv.open", kind="post", post=VILLAGE_POST))["conversation"]["id"]
            seeded = time.perf_counter()
            texts = [f"第{i}条 历史消息: 请各村做好河道巡查和防汛准备工作。" for i in range(args.history)]
            await official.send_many(conversation, texts)
            print(f"[web bench] seeded {args.history} messages in {time.perf_counter() - seeded:.1f}s", flush=True)
            group = (await official.call("conv.open", kind="group", title="全市岗位大群",
                                         members=[{"selector": "under:330800000000"}]))["conversation"]["id"]
            members = (await official.call("msg.receipts", conversation=group))["members"] + 1
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                results["first_load"] = await first_load(browser, base, village_session, args.runs)
                print("[web bench] first load", results["first_load"], flush=True)
                results["big_conversation"] = await big_conversation(
                    browser, base, village_session, conversation, texts[-1], args.pages)
                print("[web bench] big conversation", results["big_conversation"], flush=True)
                results["busy_group"] = await busy_group(browser, base, village_session, official, group, members,
                                                         args.group_messages, args.rate)
                print("[web bench] busy group", results["busy_group"], flush=True)
                await browser.close()
            await official.close()
            await village.close()
    finally:
        server.stop()
    fl, bc, bg = results["first_load"], results["big_conversation"], results["busy_group"]
    print(table(["measure", "value"], [
        [f"first load to conversation list, p50 of {fl['runs']}", f"{fl['time_ms_p50']:.0f} ms (max {fl['time_ms_max']:.0f})"],
        ["first load bytes on the wire (no images)", f"{fl['bytes_p50'] / 1024:.1f} KiB in {fl['requests_p50']:.0f} requests"],
        [f"open a {args.history}-message conversation: latest page shown", f"{bc['latest_page_ms']:.0f} ms"],
        [f"paging up ({bc['pages']} pages of 50): per page p50 / max", f"{bc['page_up_ms_p50']:.0f} / {bc['page_up_ms_max']:.0f} ms"],
        ["longest main-thread task while paging", f"{bc['longest_task_ms']:.0f} ms ({bc['long_tasks_while_paging']} over 50 ms)"],
        [f"group of {bg['members']}, {bg['rate_per_min']:.0f} msg/min: main thread per message", f"{bg['main_thread_ms_per_message']:.1f} ms"],
        ["send to on screen p50 / p99", f"{bg['send_to_screen_ms_p50']:.0f} / {bg['send_to_screen_ms_p99']:.0f} ms"],
    ]))
    print("saved", save("web_client", {"args": vars(args), **results}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="first loads to take the p50 of (10)")
    parser.add_argument("--history", type=int, default=5000, help="messages in the big conversation (5000)")
    parser.add_argument("--pages", type=int, default=20, help="pages of 50 to scroll up through (20)")
    parser.add_argument("--group-messages", type=int, default=100, help="messages to the big group (100)")
    parser.add_argument("--rate", type=float, default=100.0, help="group messages per minute (100)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "18420")))
    asyncio.run(main(parser.parse_args()))
