"""Bots the tests run (also loaded through entry points by the loader's tests)."""
from __future__ import annotations

import asyncio

from bots.context import BotContext
from bots.sdk import Bot, command, on_text


class QueryBot(Bot):
    name = "查询助手"

    @command("/查询")
    async def query(self, ctx: BotContext) -> None:
        await ctx.reply(f"查询结果: {ctx.args or '无'}")

    @on_text(r"你好")
    async def hello(self, ctx: BotContext) -> None:
        await ctx.reply(f"你好, {ctx.sender['name']}")


class BrokenBot(Bot):
    name = "故障机器人"

    @command("/出错")
    async def fail(self, ctx: BotContext) -> None:
        raise RuntimeError("the bot's own bug")


class SlowBot(Bot):
    name = "慢机器人"
    timeout = 0.3

    @command("/慢")
    async def slow(self, ctx: BotContext) -> None:
        await asyncio.sleep(30)
        await ctx.reply("太晚了")


class NotABot:
    name = "冒牌"
