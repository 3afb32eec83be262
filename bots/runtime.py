"""The in-process bot runtime: feeds bots the ``message.new`` events of their conversations.

Started by the server through its ``extensions`` setting (:func:`cleanup_ctx`, the default):
bots come from the ``zhengding.bots`` entry points (:mod:`bots.loader`) plus any instances an
embedding program puts under ``app[INSTALLED_BOTS]`` before start-up. A bot runs as the bot
account of the same name; bots without an account are logged and left idle.

Isolation: each bot has its own queue and worker task, so a slow bot delays only itself. A
handler runs under the bot's ``timeout``; one that raises or runs past it is logged, counted in
:attr:`BotRuntime.failures`, and the user gets :data:`APOLOGY`. A handler that blocks the event
loop (CPU-heavy work) stalls everyone: such work belongs in ``asyncio.to_thread``.

With several nodes every node's runtime sees the event; the answers' ``client_msg_id`` derives
from the triggering message, so the second node's answer is a duplicate and is not stored.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import select

from bots.context import BotContext
from bots.loader import discover
from bots.sdk import Bot, Handlers
from im_server.delivery.batch import CommittedEvent
from im_server.handlers import Context, invoke
from im_server.keys import MESSAGING
from im_server.runtime import Messaging
from orgchart import models as om
from orgchart.service.viewer import Viewer

log = logging.getLogger(__name__)
APOLOGY = "机器人暂时无法回复，请稍后再试"
#: How often bot accounts (created, enabled, disabled) are re-read while the server runs.
REFRESH_SECONDS = 2.0
#: Events waiting per bot before further ones are dropped (logged and counted).
QUEUE_LIMIT = 1000


class _Running:
    """One bot at work: its registrations, its queue and its worker."""

    def __init__(self, bot: Bot, person_id: int, enabled: bool) -> None:
        self.bot = bot
        self.handlers: Handlers = bot.handlers()
        self.person_id = person_id
        self.enabled = enabled
        self.queue: asyncio.Queue[dict] = asyncio.Queue(QUEUE_LIMIT)
        self.worker: asyncio.Task | None = None


class BotRuntime:
    def __init__(self, rt: Messaging, bots: list[Bot]) -> None:
        self.rt = rt
        self.bots = bots
        self._running: dict[int, _Running] = {}  # by the bot's person id
        #: (bot name, "error" | "timeout" | "dropped") → how many times
        self.failures: Counter[tuple[str, str]] = Counter()
        self._refresher: asyncio.Task | None = None
        #: Installed bots that could not be started (see bots.loader).
        self.load_failures: dict[str, str] = {}

    async def start(self) -> None:
        await self.refresh()
        self.rt.dispatcher.listeners.append(self.on_event)
        self._refresher = asyncio.create_task(self._refresh_loop(), name="bot-accounts")

    async def close(self) -> None:
        if self.on_event in self.rt.dispatcher.listeners:
            self.rt.dispatcher.listeners.remove(self.on_event)
        tasks = [t for t in [self._refresher, *(r.worker for r in self._running.values())] if t]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def refresh(self) -> None:
        """Match the bots to their accounts by name and re-read the enabled flags."""
        async with self.rt.sessions() as session:
            rows = (await session.execute(
                select(om.Person.id, om.Person.name, om.BotAccount.enabled)
                .join(om.BotAccount, om.BotAccount.person_id == om.Person.id))).all()
        accounts = {row.name: (row.id, bool(row.enabled)) for row in rows}
        for bot in self.bots:
            if bot.name not in accounts:
                continue
            person_id, enabled = accounts[bot.name]
            running = self._running.get(person_id)
            if running is None:
                running = self._running[person_id] = _Running(bot, person_id, enabled)
                running.worker = asyncio.create_task(self._work(running), name=f"bot-{person_id}")
            running.enabled = enabled

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self.refresh()
            except Exception:  # a database blip: keep the last known accounts
                log.warning("re-reading bot accounts failed", exc_info=True)

    def on_event(self, event: CommittedEvent) -> None:
        """Dispatcher listener: hand a bot the new messages of its conversations (never waits)."""
        if event.type != "message.new":
            return
        targets = [self._running[p] for p in event.recipients if p in self._running]
        if not targets:
            return
        message = json.loads(event.data)["message"]
        for running in targets:
            if not running.enabled or message["sender"]["id"] in self._running:
                continue  # disabled, or a bot's own (or another bot's) message: no loops
            try:
                running.queue.put_nowait(message)
            except asyncio.QueueFull:
                self.failures[(running.bot.name, "dropped")] += 1
                log.warning("bot %s is behind; message %s dropped", running.bot.name, message["id"])

    async def _work(self, running: _Running) -> None:
        principal = Context(self.rt, Viewer(running.person_id, running.bot.name, "bot"), via="bot")
        while True:
            message = await running.queue.get()
            await self._handle(running, principal, message)

    async def _handle(self, running: _Running, principal: Context, message: dict) -> None:
        content = message.get("content")
        text = content.get("text") if message.get("type") == "text" and isinstance(content, dict) else None
        if not running.enabled or not isinstance(text, str):
            return
        found = running.handlers.match(text)
        if found is None:
            return
        handler, args, match = found
        ctx = BotContext(principal, message, args=args, match=match)
        try:
            await asyncio.wait_for(handler(ctx), timeout=running.bot.timeout)
            return
        except TimeoutError:
            self.failures[(running.bot.name, "timeout")] += 1
            log.warning("bot %s: handler timed out after %ss on message %s",
                        running.bot.name, running.bot.timeout, message["id"])
        except Exception:
            self.failures[(running.bot.name, "error")] += 1
            log.exception("bot %s: handler failed on message %s", running.bot.name, message["id"])
        try:
            await invoke(principal, "msg.send", {
                "conversation": message["conversation"], "type": "text", "content": {"text": APOLOGY},
                "reply_to": message["id"], "client_msg_id": f"bot:{message['id']}:apology"})
        except Exception:  # removed from the conversation meanwhile, say: nothing more to do
            log.warning("bot %s: could not send the apology", running.bot.name, exc_info=True)


#: Bot instances an embedding program (or a test) runs besides the installed ones.
INSTALLED_BOTS = web.AppKey("installed_bots", list)
BOT_RUNTIME = web.AppKey("bot_runtime", BotRuntime)


async def cleanup_ctx(app: web.Application) -> AsyncIterator[None]:
    """The server extension (``extensions`` setting): run the bots while the server runs."""
    found = discover(extra=app.get(INSTALLED_BOTS, []))
    runtime = BotRuntime(app[MESSAGING], found.bots)
    runtime.load_failures = found.failed  # entry-point name → why it is not running
    await runtime.start()
    app[BOT_RUNTIME] = runtime
    yield
    await runtime.close()
