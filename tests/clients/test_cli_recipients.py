"""Recipients act from the command line: ``notice list|open|confirm``, ``conv list|open|history``
and ``send --service``, in-process against a real server (both backends)."""
from __future__ import annotations

import json
import re

from clients.cli.beijing import beijing
from tests.clients.test_cli import LI, ZHANG, cli, home  # noqa: F401  (home: autouse fixture)
from tests.clients.test_sdk import collect, texts
from tests.orgchart import sample

WANG, ZHAO, SUN = "13800000003", "13800000004", "13800000006"  # 孙八: member of ENTERPRISE_A


async def login(base_url: str, mobile: str, capsys) -> None:
    assert await cli("login", "--server", base_url, "--mobile", mobile) == 0
    capsys.readouterr()


async def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = await cli(*argv)
    except SystemExit as exited:  # argparse refused the command line
        code = exited.code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err, captured.err
    return code, captured.out, captured.err


async def test_a_recipient_lists_opens_and_confirms_a_notice(base_url, sdk, capsys):
    zhang = await sdk(ZHANG)
    sent = (await zhang.send_notice(as_post=sample.TAX_KC + "-JZ", selector="duty:河长", title="防汛通知",
                                    body="今晚巡河, 请确认收到。", require_confirm=True))["notice"]
    plain = (await zhang.send_notice(as_post=sample.TAX_KC + "-JZ", selector="duty:河长", title="周报",
                                     body="本周无事"))["notice"]
    await login(base_url, LI, capsys)

    code, out, _ = await run(capsys, "notice", "list")
    assert code == 0 and "未读通知 2 条" in out, out
    lines = out.splitlines()[1:]
    assert f"通知 {plain['id']} «周报»" in lines[0] and "(未读)" in lines[0]  # newest first
    assert f"通知 {sent['id']}[需确认] «防汛通知» 来自 张三(局长)" in lines[1]
    assert beijing(sent["created_at"]) in lines[1]

    code, out, _ = await run(capsys, "notice", "open", str(sent["id"]))
    assert code == 0 and "今晚巡河, 请确认收到。" in out and "已读" in out and "待确认" in out, out
    assert f"zhengding notice confirm {sent['id']}" in out

    code, out, _ = await run(capsys, "notice", "confirm", str(sent["id"]), "--feedback", "收到, 已安排")
    assert code == 0 and f"已确认收到通知 {sent['id']} «防汛通知», 反馈: 收到, 已安排" in out, out
    code, out, _ = await run(capsys, "notice", "confirm", str(sent["id"]))
    assert code == 0 and "此前已确认收到" in out

    code, out, _ = await run(capsys, "notice", "list", "--json")
    inbox = json.loads(out)
    assert inbox["unread"] == 1
    confirmed = next(n for n in inbox["notices"] if n["id"] == sent["id"])
    assert confirmed["feedback"] == "收到, 已安排" and confirmed["confirmed_at"]
    code, out, _ = await run(capsys, "notice", "list", "--limit", "1")
    assert "已确认" not in out and f"--before {plain['id']}" in out  # the next page's command
    code, out, _ = await run(capsys, "notice", "list", "--before", str(plain["id"]))
    assert f"通知 {sent['id']}" in out and "已确认 " in out

    # the sender sees it: read and confirmed with the feedback
    status = await zhang.notice_status(sent["id"])
    assert status["totals"]["confirmed"] == 1

    code, _, err = await run(capsys, "notice", "confirm", str(plain["id"]))
    assert code == 1 and "不需要确认" in err
    code, _, err = await run(capsys, "notice", "open", "999999")
    assert code == 1 and "通知不存在" in err
    await login(base_url, WANG, capsys)  # 王五 received neither
    code, _, err = await run(capsys, "notice", "open", str(sent["id"]))
    assert code == 1 and "不是该通知的接收人" in err
    code, out, _ = await run(capsys, "notice", "list")
    assert code == 0 and "未读通知 0 条; 没有通知" in out


async def test_conversations_list_open_and_history(base_url, sdk, capsys):
    li = await sdk(LI)
    await login(base_url, ZHANG, capsys)
    code, out, _ = await run(capsys, "conv", "list")
    assert code == 0 and "还没有会话" in out

    code, out, _ = await run(capsys, "conv", "open", "--to", f"person:{li.person['id']}")
    assert code == 0 and "(单聊) «张三 · 李四» (新建)" in out and "成员: 张三、李四" in out, out
    conversation = int(out.split("会话 ")[1].split()[0])
    code, out, _ = await run(capsys, "conv", "open", "--to", f"person:{li.person['id']}")
    assert f"会话 {conversation} " in out and "(已有)" in out
    for text in ("一", "二", "三"):
        assert (await run(capsys, "send", "--to", f"conv:{conversation}", text))[0] == 0
    await collect(li, 3)
    reply = await li.send_text(conversation, "收到")

    code, out, _ = await run(capsys, "conv", "list")
    assert f"会话 {conversation} (单聊) «张三 · 李四» [1 条未读]: 共 4 条" in out, out
    assert f"最近活动 {beijing(reply.created_at)}; 最新 李四: 收到" in out, out

    code, out, _ = await run(capsys, "conv", "history", str(conversation), "--limit", "2")
    lines = out.splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d 第 3 条 张三: 三", lines[0]), out
    assert lines[1] == f"{beijing(reply.created_at)} 第 4 条 李四: 收到"
    assert lines[2] == f"(更早的消息: zhengding conv history {conversation} --before 3)"
    code, out, _ = await run(capsys, "conv", "history", str(conversation), "--before", "3")
    assert [line.split(" ", 2)[2] for line in out.splitlines()] == ["第 1 条 张三: 一", "第 2 条 张三: 二"]
    code, out, _ = await run(capsys, "conv", "history", str(conversation), "--json")
    assert [m["seq"] for m in json.loads(out)] == [1, 2, 3, 4]

    code, out, _ = await run(capsys, "conv", "open", "--to", f"post:{sample.TOWN}-SJ")
    assert code == 0 and "(岗位) «信安街道党工委书记» (新建)" in out and "党工委书记[岗位 " in out, out

    await login(base_url, WANG, capsys)  # not a member
    code, _, err = await run(capsys, "conv", "history", str(conversation))
    assert code == 1 and "不是该会话的成员" in err
    code, _, err = await run(capsys, "conv", "open", "--to", f"conv:{conversation}")
    assert code == 1 and "不是该会话的成员" in err
    code, _, err = await run(capsys, "conv", "history", "999999")
    assert code == 1 and "会话不存在" in err


async def test_an_enterprise_member_sends_to_its_service_conversation(base_url, sdk, im_server, capsys):
    """孙八 acts for 衢州元立金属制品有限公司, whose tax officer post (税务专管员) 王五 holds."""
    wang = await sdk(WANG)
    await login(base_url, SUN, capsys)
    code, out, _ = await run(capsys, "send", "--service", "请问", "发票怎么开?")
    title = "衢州元立金属制品有限公司 · 服务会话"
    assert code == 0 and f"(服务) «{title}»: 第 1 条" in out, out
    room = int(out.split("会话 ")[1].split()[0])
    got = await collect(wang, 1)  # the officer post's holder gets it
    assert texts(got) == ["请问 发票怎么开?"] and got[0].data["message"]["sender"]["name"] == "孙八"

    code, out, _ = await run(capsys, "send", "--service", "第二问")
    assert f"已发送到会话 {room} (服务)" in out and "第 2 条" in out  # the same one, found again
    code, out, _ = await run(capsys, "conv", "open", "--service")
    assert code == 0 and f"会话 {room} (服务) «{title}» (已有)" in out, out
    assert "衢州元立金属制品有限公司[企业]" in out and f"税务专管员[岗位 {sample.TAX_KC}-ZGY]" in out
    code, out, _ = await run(capsys, "conv", "history", str(room))
    assert out.splitlines()[0].endswith("孙八: 请问 发票怎么开?")
    await wang.send_text(room, "您好, 请登录电子税务局开具。")
    code, out, _ = await run(capsys, "conv", "list")
    assert f"会话 {room} (服务) «{title}» [1 条未读]: 共 3 条" in out, out

    code, _, err = await run(capsys, "send", "--service", "--enterprise", sample.ENTERPRISE_B, "x")
    assert code == 1 and f"您不是企业 {sample.ENTERPRISE_B} 的成员" in err
    code, _, err = await run(capsys, "send", "--service", "--to", "person:1", "x")
    assert code == 2 and "不能与" in err  # one destination only

    await login(base_url, WANG, capsys)  # an official has no enterprise service conversation of his own
    code, _, err = await run(capsys, "send", "--service", "x")
    assert code == 1 and "群组需要标题" in err


async def test_an_enterprise_without_an_officer_has_no_service_conversation(base_url, im_server, capsys):
    from sqlalchemy import insert, select

    from orgchart import models as om
    from orgchart.http.keys import SESSIONS

    async with im_server.app[SESSIONS]() as session:  # 孙八 also acts for 衢江绿色农业合作社 (no officer)
        enterprise = await session.scalar(select(om.Enterprise.id).where(
            om.Enterprise.credit_code == sample.ENTERPRISE_C))
        person = await session.scalar(select(om.Person.id).where(om.Person.mobile == SUN))
        await session.execute(insert(om.EnterpriseMember).values(enterprise_id=enterprise, person_id=person))
        await session.commit()
    await login(base_url, SUN, capsys)
    code, _, err = await run(capsys, "send", "--service", "x")
    assert code == 1 and "您是多家企业的成员" in err and sample.ENTERPRISE_C in err, err
    code, _, err = await run(capsys, "send", "--service", "--enterprise", sample.ENTERPRISE_C, "x")
    assert code == 1 and "衢江绿色农业合作社 还没有分管岗位" in err, err
    code, out, _ = await run(capsys, "send", "--service", "--enterprise", sample.ENTERPRISE_A, "x")
    assert code == 0 and "(服务)" in out
