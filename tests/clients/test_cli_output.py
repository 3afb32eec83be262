"""What the ``zhengding`` command line prints, whatever the command: Chinese help and errors,
Beijing time, event times in ``tail``, and a quiet end when the reader closes the pipe."""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from clients.cli.beijing import beijing, parse_time
from clients.cli.describe import describe_event
from clients.cli.main import BROKEN_PIPE_STATUS, build_parser, main
from clients.cli.zh_argparse import display_width, translate_error, wrap
from clients.sdk import Event
from tests.clients.test_cli import LI, ZHANG, cli, home  # noqa: F401  (home: autouse fixture)
from tests.clients.test_sdk import collect

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
#: argparse's own English, which must never reach a user.
ENGLISH = ("usage:", "options:", "positional arguments", "show this help", "show program's",
           "optional arguments", "error:", "required", "invalid choice")


def all_parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from all_parsers(sub, (*path, name))


def test_every_help_text_is_chinese():
    parsers = list(all_parsers(build_parser()))
    assert len(parsers) > 20  # every command and sub-command was walked
    for path, parser in parsers:
        text = parser.format_help()
        assert text.startswith("用法: zhengding"), (path, text)
        assert not [word for word in ENGLISH if word in text.lower()], (path, text)
        assert parser.description and CJK.search(parser.description), path
        for action in parser._actions:
            if action.help is argparse.SUPPRESS:
                continue
            if isinstance(action, argparse._SubParsersAction):  # the listed sub-commands' help
                assert all(CJK.search(choice.help or "") for choice in action._choices_actions), path
                continue
            assert action.help and CJK.search(action.help), (path, action.option_strings or action.dest)
            if action.option_strings and action.nargs != 0 and not action.choices:
                assert action.metavar, (path, action.option_strings)  # no "--mobile MOBILE"
        for line in text.splitlines():
            assert display_width(line) <= 100, (path, line)  # wrapped by terminal columns


def test_help_columns_line_up_with_chinese_metavars(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["send", "--help"])
    assert exited.value.code == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  -")]
    columns = {display_width(found.group(0)) for line in lines
               if (found := re.match(r"  \S.*?\S {2,}", line))}
    assert len(columns) == 1, lines  # every option's help starts in the same terminal column
    assert wrap("一二三四五六七八九十一二", 10) == ["一二三四五", "六七八九十", "一二"]  # 2 columns each
    # a break between Chinese characters or at a space, never between "<" and the character after it
    assert wrap("例如 --to conv:5 或 post:<岗位代码>", 16) == ["例如 --to conv:5", "或 post:<岗位代", "码>"]
    assert wrap("post:<岗位代码>", 7) == ["post:<岗", "位代码>"]


def test_argparse_errors_are_chinese(capsys):
    for argv, expected in [(["send"], "缺少必需的参数"), (["bogus"], "无效的选择 'bogus'"),
                           (["notice", "open", "x"], "参数 通知编号: 无效的整数值 'x'"),
                           (["conv", "list", "--nope"], "无法识别的参数: --nope"),
                           (["send", "--to", "x"], "无法识别 'x'"),
                           (["send", "--to", "person:1", "--service", "x"], "不能与 --to 同时使用")]:
        with pytest.raises(SystemExit) as exited:
            main(argv)
        err = capsys.readouterr().err
        assert exited.value.code == 2 and "用法: zhengding" in err and "错误: " in err, err
        assert expected in err, (argv, err)
    assert translate_error("something argparse says one day") == "something argparse says one day"


def test_times_are_beijing_time_with_or_without_an_offset():
    assert beijing("2025-01-01T00:00:00+00:00") == "2025-01-01 08:00:00"
    assert beijing("2025-01-01T00:00:00.123456+00:00") == "2025-01-01 08:00:00"
    assert beijing("2025-01-01T00:00:00Z") == "2025-01-01 08:00:00"
    assert beijing("2025-01-01T00:00:00") == "2025-01-01 08:00:00"  # no offset: UTC (SQLite)
    assert beijing("2025-01-01T10:00:00+08:00") == "2025-01-01 10:00:00"
    assert beijing("2024-12-31T20:30:05-05:00") == "2025-01-01 09:30:05"
    assert beijing(1735689600) == "2025-01-01 08:00:00"  # Unix seconds
    assert beijing(None) == "-" and beijing("") == "-"
    assert beijing("不是时间") == "不是时间"  # shown as it came, never hidden
    assert parse_time("2025-01-01T00:00:00").tzinfo is not None
    assert parse_time(True) is None


def test_tail_lines_carry_the_events_own_time():
    """A replay at any later moment shows when each thing happened, in Beijing time."""
    message = {"id": 1, "conversation": 5, "seq": 3, "sender": {"id": 1, "name": "张三"}, "type": "text",
               "content": {"text": "你好"}, "created_at": "2025-01-01T00:00:00+00:00",
               "edited_at": "2025-01-01T01:00:00", "recalled": False}
    assert describe_event(Event("message.new", 9, {"message": message})) == \
        "2025-01-01 08:00:00 #9 [会话 5] 张三: 你好"
    assert describe_event(Event("message.edited", 10, {"message": message})).startswith(
        "2025-01-01 09:00:00 #10 [会话 5] 张三 (已编辑): 你好")
    notice = {"id": 7, "title": "防汛通知", "sender": {"id": 1, "name": "王建国"},
              "sender_post": {"code": "X", "title": "局长"}, "require_confirm": True, "urgent": False,
              "created_at": "2025-06-30T16:00:00+00:00"}
    assert describe_event(Event("notice.new", 11, {"notice": notice})).startswith("2025-07-01 00:00:00 #11 ")
    read = describe_event(Event("notice.read", 12, {"notice": 7, "person": {"id": 2, "name": "李四"},
                                                    "read_at": "2025-07-01T00:00:01+00:00"}))
    assert read == "2025-07-01 08:00:01 #12 通知 7 已被 李四 阅读"
    # an event that does not say when it happened gets a blank column, not the time it arrived
    moved = describe_event(Event("notice.transferred", 13, {"notice": 7}))
    assert moved == " " * 19 + " #13 通知 7 已随岗位交接转给继任者"


async def test_tail_replays_with_the_time_of_sending(base_url, sdk, capsys):
    zhang, li = await sdk(ZHANG), await sdk(LI)
    conversation = await zhang.open_direct(li.person["id"])
    ack = await zhang.send_text(conversation.id, "昨天的消息")
    await collect(li, 1)
    await asyncio.sleep(1.1)  # the replay happens in a later second than the send
    assert await cli("login", "--server", base_url, "--mobile", LI) == 0
    capsys.readouterr()
    assert await cli("tail", "--server", base_url, "--cursor", "0", "--count", "2") == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith(beijing(ack.created_at) + " #") and line.endswith("张三: 昨天的消息"), line


# --- a reader that goes away ---------------------------------------------------------------------


async def run_into_closed_pipe(*argv: str, env: dict[str, str] | None = None,
                               buffered: bool = False) -> tuple[int, str]:
    """Run the real ``zhengding`` with stdout a pipe nobody reads any more (``| head -1`` after
    head has exited): its exit status and everything it wrote to stderr.

    ``buffered``: stdout is block-buffered (the default outside this test machine), so the write
    fails only when the buffer is flushed — at exit, unless the CLI flushes it itself.
    """
    env = {**os.environ, **(env or {})}
    if buffered:
        env.pop("PYTHONUNBUFFERED", None)
    else:
        env["PYTHONUNBUFFERED"] = "1"
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "clients.cli.main", *argv, stdout=write_end,
            stderr=asyncio.subprocess.PIPE, cwd=ROOT, env=env)
    finally:
        os.close(write_end)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, err.decode()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # about stdout, not the database
async def test_no_traceback_when_the_reader_closes_the_pipe(base_url, sdk, im_settings, home):  # noqa: F811
    assert await run_into_closed_pipe("--help", buffered=True) == (BROKEN_PIPE_STATUS, "")
    assert await run_into_closed_pipe("--help") == (0, "")  # argparse drops the failed write itself
    search = ("--database-url", im_settings.database_url, "org", "search", "衢州")
    for buffered in (True, False):
        assert await run_into_closed_pipe(*search, buffered=buffered) == (BROKEN_PIPE_STATUS, "")

    zhang = await sdk(ZHANG)
    await zhang.send_notice(as_post="330802000000-SWJ-JZ", selector="duty:河长", title="t", body="b")
    assert await cli("login", "--server", base_url, "--mobile", LI) == 0
    env = {"HOME": str(home)}
    for argv, buffered in ((["notice", "list"], True), (["notice", "list"], False), (["conv", "list"], False),
                           (["tail", "--cursor", "0", "--count", "1"], False)):
        code, err = await run_into_closed_pipe(*argv, env=env, buffered=buffered)
        assert code == BROKEN_PIPE_STATUS and "Traceback" not in err and "Exception" not in err, (argv, err)
