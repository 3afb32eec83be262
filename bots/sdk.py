"""The bot SDK: a bot is a small class whose decorated methods answer commands and text.

Decorators only *mark* a method; :meth:`Bot.handlers` collects the marks of an instance, so two
instances of one class are two independent bots and nothing is registered at import time::

    class Weather(Bot):
        name = "天气助手"

        @command("/天气")
        async def weather(self, ctx: BotContext) -> None:
            await ctx.reply(f"{ctx.args or '本地'}: 晴")

        @on_text(r"你好")
        async def hello(self, ctx: BotContext) -> None:
            await ctx.reply("你好!")

``name`` ties the class to a bot account of the same name (``zhengding bot create``).
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bots.context import BotContext

BotHandler = Callable[["BotContext"], Awaitable[None]]
#: The attribute a decorator sets on the function it marks.
MARK = "_zhengding_bot_marks"


@dataclass(frozen=True)
class Mark:
    #: ``command`` (the first word of the text, e.g. ``/查询``) or ``text`` (a pattern)
    kind: str
    value: str


def _mark(kind: str, value: str) -> Callable[[Callable], Callable]:
    def decorate(function: Callable) -> Callable:
        marks = list(getattr(function, MARK, ()))
        marks.append(Mark(kind, value))
        setattr(function, MARK, tuple(marks))
        return function
    return decorate


def command(name: str) -> Callable[[Callable], Callable]:
    """Mark a method as the answer to text whose first word is ``name`` (``/查询 张三``)."""
    if not name or any(ch.isspace() for ch in name):
        raise ValueError(f"a command is one word, got {name!r}")
    return _mark("command", name)


def on_text(pattern: str) -> Callable[[Callable], Callable]:
    """Mark a method as the answer to text that ``re.search`` matches with ``pattern``."""
    re.compile(pattern)  # a bad pattern fails where it is written, not at the first message
    return _mark("text", pattern)


@dataclass
class Handlers:
    """An instance's registrations: commands by word, text patterns in definition order."""

    commands: dict[str, BotHandler] = field(default_factory=dict)
    patterns: list[tuple[re.Pattern[str], BotHandler]] = field(default_factory=list)

    def match(self, text: str) -> tuple[BotHandler, str, re.Match[str] | None] | None:
        """The handler for ``text``, the command's arguments and the pattern's match."""
        word, _, rest = text.strip().partition(" ")
        if word in self.commands:
            return self.commands[word], rest.strip(), None
        for pattern, handler in self.patterns:
            found = pattern.search(text)
            if found:
                return handler, text, found
        return None


class Bot:
    """Base class of a bot. Subclasses set :attr:`name` and decorate methods."""

    #: The name of the bot account this code runs as.
    name: str = ""
    #: Seconds a handler may run before it is cancelled and the user gets the apology.
    timeout: float = 5.0

    def handlers(self) -> Handlers:
        """Collect the marked methods of this instance (registration happens here)."""
        found = Handlers()
        # definition order (base classes first), each name once: patterns are tried in order
        names = list(dict.fromkeys(name for klass in reversed(type(self).__mro__) for name in vars(klass)))
        for attribute in names:
            function = getattr(type(self), attribute, None)
            for mark in getattr(function, MARK, ()):
                bound = getattr(self, attribute)
                if mark.kind == "command":
                    if mark.value in found.commands:
                        raise ValueError(f"bot {self.name!r}: command {mark.value} defined twice")
                    found.commands[mark.value] = bound
                else:
                    found.patterns.append((re.compile(mark.value), bound))
        return found

    def __repr__(self) -> str:
        return f"<bot {self.name!r}>"


def describe(bot: Bot) -> dict[str, Any]:
    """What a bot answers to (for the admin list and the logs)."""
    handlers = bot.handlers()
    return {"name": bot.name, "commands": sorted(handlers.commands),
            "patterns": [p.pattern for p, _ in handlers.patterns]}
