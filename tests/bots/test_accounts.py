"""Bot accounts through the admin API and ``zhengding bot``: who may do what, every refusal."""
from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from im_server import models as m
from orgchart import models as om
from orgchart.infra import migrate
from orgchart.infra.audit import AuditEntry
from orgchart.infra.db import create_engine, session_maker
from tests.bots.test_runtime import ADMIN, LI, ZHANG, _http
from tests.clients.test_org_commands import run
from tests.im_server.harness import load_sample
from tests.orgchart.sample import TAX_KC


async def test_admin_api_creates_lists_and_refuses_bad_input(connect):
    admin, zhang = await connect(ADMIN), await connect(ZHANG)
    status, bot = await _http(connect, admin, "POST", "/api/v1/bots",
                              {"name": "办事指南", "description": "答复办事问题", "post": TAX_KC + "-JZ"})
    assert status == 201
    assert bot == {"id": bot["id"], "name": "办事指南", "description": "答复办事问题", "enabled": True,
                   "owner": {"department": None, "post": TAX_KC + "-JZ"}}
    status, listed = await _http(connect, admin, "GET", "/api/v1/bots")
    assert (status, listed) == (200, {"bots": [bot]})

    refusals = [
        (zhang, {"name": "越权", "department": TAX_KC}, 403, "forbidden", None),
        (admin, {"name": "办事指南", "department": TAX_KC}, 409, "conflict", "name"),
        (admin, {"name": "无主"}, 400, "invalid_input", "owner"),
        (admin, {"name": "两个主", "department": TAX_KC, "post": TAX_KC + "-JZ"}, 400, "invalid_input", "owner"),
        (admin, {"name": " ", "department": TAX_KC}, 400, "invalid_input", "name"),
        (admin, {"name": "长" * 101, "department": TAX_KC}, 400, "invalid_input", "name"),
        (admin, {"name": "x", "department": "NO-SUCH"}, 404, "not_found", "department"),
        (admin, {"name": "x", "post": "NO-SUCH"}, 404, "not_found", "post"),
        (admin, {"name": "x", "department": TAX_KC, "avatar": "?"}, 400, "invalid_input", "avatar"),
        (admin, {"name": 7, "department": TAX_KC}, 400, "invalid_input", "name"),
    ]
    for who, body, code, error, field in refusals:
        status, answer = await _http(connect, who, "POST", "/api/v1/bots", body)
        assert (status, answer["error"]["code"]) == (code, error), body
        assert answer["error"].get("details", {}).get("field") == field, body
        assert answer["error"]["message"]
    status, answer = await _http(connect, zhang, "GET", "/api/v1/bots")
    assert (status, answer["error"]["code"]) == (403, "forbidden")
    status, answer = await _http(connect, zhang, "POST", f"/api/v1/bots/{bot['id']}/disable")
    assert status == 403
    status, answer = await _http(connect, admin, "POST", "/api/v1/bots/999999/enable")
    assert (status, answer["error"]["code"]) == (404, "not_found")
    status, answer = await _http(connect, admin, "POST", f"/api/v1/bots/{zhang.person_id}/enable")
    assert status == 404  # a person is not a bot
    _, listed = await _http(connect, admin, "GET", "/api/v1/bots")
    assert listed == {"bots": [bot]}  # nothing written by the refusals


async def test_adding_to_conversations_is_for_owners_of_groups(connect):
    admin, zhang, li = await connect(ADMIN), await connect(ZHANG), await connect(LI)
    _, bot = await _http(connect, admin, "POST", "/api/v1/bots", {"name": "助手", "department": TAX_KC})
    direct = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    group = (await zhang.request("conv.open", kind="group", title="群", members=[{"person": li.person_id}]))[
        "conversation"]["id"]
    path = f"/api/v1/bots/{bot['id']}/conversations/"
    status, answer = await _http(connect, zhang, "POST", path + str(direct))
    assert (status, answer["error"]["code"], answer["error"]["details"]["field"]) == (400, "invalid_input", "conversation")
    assert (await _http(connect, zhang, "POST", path + "999999"))[0] == 404
    assert (await _http(connect, zhang, "DELETE", path + str(group)))[0] == 404  # not a member yet
    assert (await _http(connect, zhang, "POST", path + str(group)))[0] == 201
    assert (await _http(connect, zhang, "POST", path + str(group)))[1]["error"]["code"] == "conflict"
    assert (await _http(connect, li, "DELETE", path + str(group)))[0] == 403
    members = (await zhang.request("conv.get", conversation=group))["members"]
    assert {"type": "person", "role": "member", "can_post": True,
            "person": {"id": bot["id"], "name": "助手"}} in members
    assert (await _http(connect, admin, "DELETE", path + str(group)))[0] == 200  # admins may too
    async with connect.http.get(f"{connect.base_url}/api/v1/openapi.json") as response:
        document = await response.json()
    assert {"/api/v1/bots", "/api/v1/bots/{bot}/conversations/{conversation}"} <= document["paths"].keys()


def test_the_bot_command_line(db_url, capsys):
    async def prepare() -> int:
        engine = create_engine(db_url)
        await migrate.upgrade(engine)
        sessions = session_maker(engine)
        await load_sample(sessions)
        async with sessions.begin() as session:
            zhang = await session.scalar(select(om.Person.id).where(om.Person.mobile == ZHANG))
            conversation = m.Conversation(kind="group", title="群", created_by=zhang, created_at=dt.datetime.now(dt.UTC))
            session.add(conversation)
            await session.flush()
            conversation_id = conversation.id
        await engine.dispose()
        return conversation_id

    conversation = asyncio.run(prepare())
    db = ("--database-url", db_url)
    assert run(capsys, *db, "bot", "list") == (0, "(没有机器人)\n", "")
    code, out, _ = run(capsys, *db, "bot", "create", "查询助手", "--department", TAX_KC, "--description", "查办事")
    assert code == 0 and out.startswith("已创建机器人 查询助手 (ID ")
    bot_id = int(out.split("ID ")[1].rstrip(")\n"))
    code, out, _ = run(capsys, *db, "bot", "list")
    assert out == f"{bot_id}\t查询助手\t启用\t部门 {TAX_KC}\t查办事\n"
    assert run(capsys, *db, "bot", "disable", str(bot_id)) == (0, "已停用机器人 查询助手\n", "")
    assert "\t停用\t" in run(capsys, *db, "bot", "list")[1]
    assert run(capsys, *db, "bot", "enable", str(bot_id)) == (0, "已启用机器人 查询助手\n", "")
    assert run(capsys, *db, "bot", "add-to", str(bot_id), str(conversation)) == (
        0, f"已把机器人 {bot_id} 加入会话 {conversation}\n", "")
    code, _, err = run(capsys, *db, "bot", "add-to", str(bot_id), str(conversation))
    assert (code, err) == (1, "机器人已在该会话中\n")
    code, _, err = run(capsys, *db, "bot", "create", "查询助手", "--post", TAX_KC + "-JZ")
    assert (code, err) == (1, "已有名为 查询助手 的机器人\n")
    code, _, err = run(capsys, *db, "bot", "enable", "999999")
    assert (code, err) == (1, "机器人 999999 不存在\n")
    assert run(capsys, *db, "bot", "remove-from", str(bot_id), str(conversation))[0] == 0

    async def audited() -> list[tuple]:
        engine = create_engine(db_url)
        async with session_maker(engine)() as session:
            rows = (await session.execute(select(AuditEntry.action, AuditEntry.actor_id)
                                          .where(AuditEntry.action.like("bot.%")).order_by(AuditEntry.id))).all()
        await engine.dispose()
        return [tuple(r) for r in rows]

    assert asyncio.run(audited()) == [("bot.create", None), ("bot.disable", None), ("bot.enable", None),
                                      ("bot.add", None), ("bot.remove", None)]
