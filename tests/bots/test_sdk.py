"""The SDK without a server: decorators only mark, registration is per instance, the loader
refuses duplicates and survives bots that fail to import."""
from __future__ import annotations

import re
from importlib.metadata import EntryPoint

import pytest

from bots.loader import GROUP, discover
from bots.sdk import Bot, command, describe, on_text
from tests.bots.sample_bots import QueryBot


def test_decorators_mark_and_instances_register():
    class Twice(Bot):
        name = "两个"

        @command("/a")
        async def a(self, ctx) -> None: ...

        @on_text(r"^z")
        async def z(self, ctx) -> None: ...

        @on_text(r"b")
        async def b(self, ctx) -> None: ...

    one, two = Twice(), Twice()
    first, second = one.handlers(), two.handlers()
    assert first.commands["/a"].__self__ is one and second.commands["/a"].__self__ is two
    assert [p.pattern for p, _ in first.patterns] == ["^z", "b"]  # definition order, not alphabetical
    handler, args, match = first.match("/a  x y ")
    assert (handler.__name__, args, match) == ("a", "x y", None)
    handler, args, match = first.match("zab")
    assert handler.__name__ == "z" and match.group(0) == "z"
    assert first.match("/b") is not None and first.match("/c") is None  # /b matches pattern "b"
    assert describe(QueryBot()) == {"name": "查询助手", "commands": ["/查询"], "patterns": ["你好"]}


def test_bad_marks_fail_where_they_are_written():
    with pytest.raises(ValueError):
        command("/两 个")
    with pytest.raises(re.error):
        on_text("(")


def test_the_loader_refuses_duplicates_and_survives_broken_bots():
    points = [EntryPoint("query", "tests.bots.sample_bots:QueryBot", GROUP),
              EntryPoint("query-again", "tests.bots.sample_bots:QueryBot", GROUP),
              EntryPoint("missing", "tests.bots.no_such_module:Bot", GROUP),
              EntryPoint("fake", "tests.bots.sample_bots:NotABot", GROUP)]
    found = discover(points)
    assert [bot.name for bot in found.bots] == ["查询助手"]
    assert found.failed["query-again"] == "机器人名称重复: 查询助手"
    assert found.failed["missing"].startswith("加载失败")
    assert found.failed["fake"].startswith("不是机器人")
