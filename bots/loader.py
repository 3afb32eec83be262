"""Find the bots installed as packages: the ``zhengding.bots`` entry-point group.

Each entry point names a :class:`~bots.sdk.Bot` subclass (instantiated with no arguments) or
an instance. A bot that fails to import is logged and listed in ``failed`` — it does not stop
the server; two bots of one name are refused (the second is listed in ``failed``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from bots.sdk import Bot

log = logging.getLogger(__name__)
GROUP = "zhengding.bots"


@dataclass
class Discovered:
    bots: list[Bot] = field(default_factory=list)
    #: entry-point name → why it was not loaded (in Chinese: admins read it)
    failed: dict[str, str] = field(default_factory=dict)


def discover(points: list[EntryPoint] | None = None, extra: list[Bot] | None = None) -> Discovered:
    """The installed bots (``points`` defaults to the group's entry points) plus ``extra``."""
    found = Discovered()
    names: set[str] = set()
    candidates: list[tuple[str, Bot | None]] = []
    for point in entry_points(group=GROUP) if points is None else points:
        try:
            loaded = point.load()
            candidates.append((point.name, loaded() if isinstance(loaded, type) else loaded))
        except Exception as exc:  # a broken bot package must not stop the server
            log.exception("bot %s failed to load", point.name)
            found.failed[point.name] = f"加载失败: {exc}"
    candidates.extend((bot.name, bot) for bot in extra or [])
    for label, bot in candidates:
        if not isinstance(bot, Bot) or not bot.name:
            found.failed[label] = "不是机器人 (需要有 name 的 Bot 子类或实例)"
        elif bot.name in names:
            log.error("bot name %s used twice; the second is not started", bot.name)
            found.failed[label] = f"机器人名称重复: {bot.name}"
        else:
            names.add(bot.name)
            found.bots.append(bot)
    return found
