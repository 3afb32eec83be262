"""The ``zhengding`` messaging commands, run in-process against a real server (both backends).

``main()`` runs its own event loop, so each command runs in a worker thread while the server
keeps serving on the test's loop.
"""
from __future__ import annotations

import asyncio
import io
import json
import re
import stat

import pytest

from clients.cli import account_commands, session
from clients.cli.describe import describe_event
from clients.cli.main import main
from im_server.handlers import HANDLERS
from im_server.keys import MESSAGING
from tests.clients.test_sdk import collect, texts
from tests.im_server.harness import PASSWORD
from tests.orgchart import sample

ZHANG, LI = "13800000001", "13800000002"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """Credentials go to a private HOME; the password prompt answers by itself."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv(session.SERVER_ENV, raising=False)
    monkeypatch.setattr(account_commands.getpass, "getpass", lambda prompt="": PASSWORD)
    return tmp_path


async def cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_login_stores_the_token_privately(base_url, home, capsys, monkeypatch):
    assert await cli("login", "--server", base_url, "--mobile", ZHANG) == 0
    out = capsys.readouterr().out
    assert "已登录" in out and "张三" in out and "角色 政府工作人员" in out, out
    assert re.search(r"令牌有效期至 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d;", out), out  # Beijing time
    path = home / ".config" / "zhengding" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["default"] == base_url and stored["servers"][base_url]["token"]
    assert PASSWORD not in path.read_text(encoding="utf-8")

    monkeypatch.setattr(account_commands.getpass, "getpass", lambda prompt="": "wrong-password")
    assert await cli("login", "--server", base_url, "--mobile", ZHANG) == 1
    assert "手机号或密码错误" in capsys.readouterr().err

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    monkeypatch.setenv(session.SERVER_ENV, base_url)
    assert await cli("login", "--mobile", LI, "--password-stdin") == 0
    assert "李四" in capsys.readouterr().out


async def test_send_to_a_person_a_post_and_a_conversation(base_url, sdk, capsys):
    li = await sdk(LI)
    assert await cli("login", "--server", base_url, "--mobile", ZHANG) == 0
    assert await cli("send", "--to", f"person:{li.person['id']}", "你好", "李四") == 0
    out = capsys.readouterr().out
    assert "已发送到会话" in out and "第 1 条" in out
    conversation = int(out.split("会话 ")[1].split()[0])
    assert await cli("send", "--to", f"conv:{conversation}", "第二条") == 0
    assert texts(await collect(li, 2)) == ["你好 李四", "第二条"]

    # 李四 holds the township's post; 张三 writes to the post, then answers as his own post
    assert await cli("send", "--to", f"post:{sample.TOWN}-SJ", "书记您好") == 0
    assert texts(await collect(li, 1)) == ["书记您好"]
    assert await cli("send", "--to", f"post:{sample.TOWN}-SJ", "--as-post", sample.TAX_KC + "-JZ",
                     "以局长身份") == 0
    got = await collect(li, 1)
    assert got[0].data["message"]["as_post"]["code"] == sample.TAX_KC + "-JZ"

    assert await cli("send", "--to", "conv:999999", "x") == 1
    assert "会话不存在" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        await cli("send", "--to", "13800000002", "x")
    assert exited.value.code == 2
    assert "person:<人员id>" in capsys.readouterr().err


async def test_commands_need_a_login(base_url, capsys):
    assert await cli("send", "--server", base_url, "--to", "person:2", "x") == 1
    assert "尚未登录" in capsys.readouterr().err
    for argv in (["send", "--to", "person:2", "x"], ["tail"], ["notice", "list"], ["conv", "list"],
                 ["notice", "confirm", "1"], ["conv", "history", "1"]):
        assert await cli(*argv) == 1, argv  # no server given, none saved: still "log in first"
        err = capsys.readouterr().err
        assert "尚未登录, 请先登录: zhengding login --server" in err and "Traceback" not in err, err


async def test_logout_revokes_the_token(base_url, capsys):
    assert await cli("login", "--server", base_url, "--mobile", ZHANG) == 0
    assert await cli("logout", "--server", base_url) == 0
    assert "已退出" in capsys.readouterr().out
    assert await cli("send", "--server", base_url, "--to", "person:2", "x") == 1
    assert "尚未登录" in capsys.readouterr().err


async def test_a_revoked_token_asks_to_log_in_again(base_url, home, capsys):
    assert await cli("login", "--server", base_url, "--mobile", ZHANG) == 0
    saved = session.credentials_path().read_text(encoding="utf-8")
    assert await cli("logout") == 0  # revoked on the server …
    session.credentials_path().write_text(saved, encoding="utf-8")  # … but still on disk
    capsys.readouterr()
    for argv in (["send", "--to", "person:2", "x"], ["notice", "list"], ["conv", "list"]):
        assert await cli(*argv) == 1
        err = capsys.readouterr().err
        assert f"请重新登录: zhengding login --server {base_url} --mobile 手机号" in err, err
        assert "Traceback" not in err


async def test_tail_prints_one_line_per_event_and_resumes_after_a_drop(base_url, sdk, im_server, capsys):
    zhang = await sdk(ZHANG)
    assert await cli("login", "--server", base_url, "--mobile", LI) == 0
    capsys.readouterr()
    tail = asyncio.create_task(cli("tail", "--server", base_url, "--count", "3"))
    hub = im_server.app[MESSAGING].hub
    li_id = None
    async with asyncio.timeout(10):
        while li_id is None:  # wait until tail's socket is registered
            await asyncio.sleep(0.02)
            li_id = next((c.person_id for c in hub.connections() if c.person_id != zhang.person["id"]), None)
    conversation = await zhang.open_direct(li_id)  # event 1: conversation.new
    await zhang.send_text(conversation.id, "一")
    for connection in list(hub.connections()):
        if connection.person_id == li_id:
            connection.drop("test")  # tail reconnects and resumes from its cursor
    await zhang.send_text(conversation.id, "二")
    assert await asyncio.wait_for(tail, 20) == 0
    captured = capsys.readouterr()
    lines = [line for line in captured.out.splitlines() if "#" in line]
    assert len(lines) == 3, captured.out
    assert "新会话" in lines[0] and "张三: 一" in lines[1] and "张三: 二" in lines[2]
    assert "正在接收" in captured.err and "游标" in captured.err


async def test_tail_json_from_a_cursor(base_url, sdk, capsys):
    zhang, li = await sdk(ZHANG), await sdk(LI)
    conversation = await zhang.open_direct(li.person["id"])
    await zhang.send_text(conversation.id, "旧消息")
    await collect(li, 1)
    assert await cli("login", "--server", base_url, "--mobile", LI) == 0
    capsys.readouterr()
    assert await cli("tail", "--server", base_url, "--cursor", "0", "--count", "2", "--json") == 0
    frames = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [f["ev"] for f in frames] == ["conversation.new", "message.new"]
    assert frames[1]["data"]["message"]["content"]["text"] == "旧消息"


@pytest.fixture
def notice_ops(monkeypatch):
    """Stand-ins with the real answers' shape, used only where notice.send/status are missing."""
    if "notice.send" in HANDLERS:
        return None
    sent: list[dict] = []

    async def send(ctx, args):
        sent.append(args)
        return {"notice": {"id": 41, "title": args["title"], "created_at": "2025-01-01T00:00:00+00:00"},
                "recipients": 2, "client_msg_id": args["client_msg_id"]}

    async def status(ctx, args):
        row = {"recipients": 2, "read": 0, "confirmed": 0, "pending": 2}
        return {"notice": {"id": args["notice"], "title": "防汛通知", "require_confirm": True, "urgent": True,
                           "sender_post": {"code": sample.TAX_KC + "-JZ", "title": "局长"}},
                "totals": row, "under": None, "reminder": None,
                "rollup": [{"path": "3308", "code": sample.CITY, "name": "衢州市", "level": "city", **row}],
                "pending": {"total": 2, "offset": 0, "limit": 50, "items": [
                    {"person": {"id": 2, "name": "李四"}, "unit": {"name": "信安街道"},
                     "post": {"title": "党工委书记"}, "read_at": None},
                    {"person": {"id": 4, "name": "赵六"}, "unit": {"name": "府山村"},
                     "post": {"title": "村党支部书记"}, "read_at": None}]}}

    monkeypatch.setitem(HANDLERS, "notice.send", send)
    monkeypatch.setitem(HANDLERS, "notice.status", status)
    return sent


async def test_notice_send_and_status(base_url, notice_ops, capsys):
    """To every 河长 post: 李四 (信安街道党工委书记) and 赵六 (府山村党支部书记)."""
    assert await cli("login", "--server", base_url, "--mobile", ZHANG) == 0
    capsys.readouterr()
    code = await cli("notice", "send", "--server", base_url, "--as-post", sample.TAX_KC + "-JZ",
                     "--selector", "duty:河长", "--title", "防汛通知", "--body", "今晚巡河",
                     "--confirm", "--urgent")
    out = capsys.readouterr().out
    assert code == 0 and "通知已发送" in out and "接收 2 人" in out, out
    notice = int(out.split("编号 ")[1].split(",")[0])
    if notice_ops is not None:  # what reached the server
        (args,) = notice_ops
        assert args["require_confirm"] is True and args["urgent"] is True
        assert args["selector"] == "duty:河长" and len(args["client_msg_id"]) == 32
    assert await cli("notice", "status", "--server", base_url, str(notice)) == 0
    out = capsys.readouterr().out
    assert f"通知 {notice} «防汛通知» (需确认, DING)" in out
    assert "合计: 接收 2, 已读 0, 已确认 0, 未完成 2" in out and "衢州市" in out
    assert "李四" in out and "赵六" in out
    assert await cli("notice", "status", "--server", base_url, str(notice), "--json") == 0
    assert json.loads(capsys.readouterr().out)["totals"]["pending"] == 2

    if notice_ops is None:  # the real rules: 张三 does not hold the township's post
        assert await cli("notice", "send", "--server", base_url, "--as-post", sample.TOWN + "-SJ",
                         "--selector", "duty:河长", "--title", "t", "--body", "b") == 1
        assert "forbidden" in capsys.readouterr().err


def test_tail_lines_for_notices_and_dings_are_readable():
    from clients.sdk.frames import Event

    notice = {"id": 7, "title": "防汛通知", "sender": {"id": 1, "name": "王建国"},
              "sender_post": {"code": "X", "title": "局长"}, "require_confirm": True, "urgent": True}
    line = describe_event(Event("notice.new", 12, {"notice": notice}))
    assert line.endswith("#12 通知 7[DING][需确认] «防汛通知» 来自 王建国(局长)")
    ding = describe_event(Event("ding", 13, {"kind": "notice", "notice": notice, "attempt": 1}))
    assert ding.endswith("[DING] 通知 7 «防汛通知» 请尽快处理")
    moved = describe_event(Event("notice.transferred", 14, {"notice": notice}))
    assert "通知 7 已随岗位交接转给继任者" in moved


def test_tail_lines_for_a_post_rotation_are_readable():
    from clients.sdk.frames import Event

    conversation = {"id": 5, "kind": "post", "title": "柯城区税务局局长", "last_seq": 3}
    post = {"code": "330802000000-SWJ-JZ", "title": "局长"}
    joined = describe_event(Event("conversation.new", 20, {"conversation": conversation, "members": [],
                                                           "post": post}))
    assert joined.endswith("#20 新会话 5 «柯城区税务局局长» (岗位, 随岗位 局长 交接转来)")
    left = describe_event(Event("conversation.removed", 21, {"conversation": conversation, "post": post}))
    assert left.endswith("#21 会话 5 «柯城区税务局局长» 已随岗位交接转给继任者, 您不再是成员")
