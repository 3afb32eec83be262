"""Bots in the running server: a person writes in a group with bots, over real websockets.

The bots answer through the same handler table, committer and delivery as people; a bot that
raises or overruns its time limit gives the apology without slowing the others; a disabled bot
stays silent; redelivering the triggering message does not answer it twice.
"""
from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from bots.runtime import APOLOGY, BOT_RUNTIME
from im_server.delivery.batch import CommittedEvent
from orgchart.http.keys import SESSIONS
from orgchart.infra.audit import AuditEntry
from tests.orgchart.sample import TAX_KC

ADMIN, ZHANG, LI = "13900000000", "13800000001", "13800000002"


async def _http(connect, client, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    async with connect.http.request(method, connect.base_url + path, json=body,
                                    headers={"Authorization": f"Bearer {client.token}"}) as response:
        return response.status, await response.json()


async def _group_with_bots(connect):
    admin, zhang, li = await connect(ADMIN), await connect(ZHANG), await connect(LI)
    bots = {}
    for name in ("查询助手", "故障机器人", "慢机器人"):
        status, bot = await _http(connect, admin, "POST", "/api/v1/bots",
                                  {"name": name, "description": "测试", "department": TAX_KC})
        assert status == 201, bot
        bots[name] = bot
    opened = await zhang.request("conv.open", kind="group", title="办事群", members=[{"person": li.person_id}])
    conversation = opened["conversation"]["id"]
    status, body = await _http(connect, li, "POST", f"/api/v1/bots/{bots['查询助手']['id']}/conversations/{conversation}")
    assert (status, body["error"]["code"]) == (403, "forbidden")  # li is a member, not an owner
    for bot in bots.values():  # zhang opened the group: its owner
        status, body = await _http(connect, zhang, "POST", f"/api/v1/bots/{bot['id']}/conversations/{conversation}")
        assert (status, body) == (201, {"bot": bot["id"], "conversation": conversation})
    await connect.runtime().refresh()
    return admin, zhang, li, bots, conversation


def _bot_messages(client, bot_id: int) -> list[dict]:
    return [e["data"]["message"] for e in client.events
            if e.get("ev") == "message.new" and e["data"]["message"]["sender"]["id"] == bot_id]


async def _send(client, conversation: int, key: str, text: str) -> dict:
    ack = await client.request("msg.send", conversation=conversation, client_msg_id=key, type="text",
                               content={"text": text})
    return ack["message"]


async def test_a_command_is_answered_in_the_group_once(im_server, connect):
    connect.runtime = lambda: im_server.app[BOT_RUNTIME]
    _, zhang, li, bots, conversation = await _group_with_bots(connect)
    query = bots["查询助手"]["id"]
    trigger = await _send(zhang, conversation, "q1", "/查询 营业执照")
    for client in (zhang, li):  # both members see the bot's answer as an ordinary message
        [event] = await client.wait_events(lambda e: e.get("ev") == "message.new"
                                           and e["data"]["message"]["sender"]["id"] == query)
        reply = event["data"]["message"]
        assert (reply["content"], reply["reply_to"], reply["client_msg_id"]) == (
            {"text": "查询结果: 营业执照"}, trigger["id"], f"bot:{trigger['id']}:1")
        assert reply["sender"]["name"] == "查询助手"
    greeting = await _send(li, conversation, "hello", "你好呀大家")
    [event] = await li.wait_events(lambda e: e.get("ev") == "message.new"
                                   and e["data"]["message"].get("reply_to") == greeting["id"])
    assert event["data"]["message"]["content"] == {"text": "你好, 李四"}

    # the same message delivered again (another node, a redelivery): no second answer
    runtime = im_server.app[BOT_RUNTIME]
    runtime.on_event(CommittedEvent(10**9, "message.new", json.dumps({"message": trigger}), (query,)))
    await asyncio.sleep(0.5)
    history = await zhang.request("conv.history", conversation=conversation)
    answers = [m for m in history["messages"] if m["sender"]["id"] == query and m["reply_to"] == trigger["id"]]
    assert len(answers) == 1
    # plain chatter matches nothing: no bot says anything
    await _send(zhang, conversation, "chat", "下午开会")
    await asyncio.sleep(0.3)
    assert len(_bot_messages(zhang, query)) == 2

    async with im_server.app[SESSIONS]() as session:
        actions = (await session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("bot.%")))).all()
    assert sorted(actions) == ["bot.add"] * 3 + ["bot.create"] * 3


async def test_a_raising_or_slow_bot_apologises_without_slowing_the_others(im_server, connect):
    connect.runtime = lambda: im_server.app[BOT_RUNTIME]
    _, zhang, _, bots, conversation = await _group_with_bots(connect)
    slow, broken, query = (bots[n]["id"] for n in ("慢机器人", "故障机器人", "查询助手"))
    slow_trigger = await _send(zhang, conversation, "s", "/慢")
    await _send(zhang, conversation, "q", "/查询 社保")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await zhang.wait_events(lambda e: e.get("ev") == "message.new" and e["data"]["message"]["sender"]["id"] == query)
    assert loop.time() - started < 0.3  # answered while the slow bot is still stuck
    assert _bot_messages(zhang, slow) == []
    [event] = await zhang.wait_events(lambda e: e.get("ev") == "message.new"
                                      and e["data"]["message"]["sender"]["id"] == slow)
    assert event["data"]["message"]["content"] == {"text": APOLOGY}
    assert event["data"]["message"]["reply_to"] == slow_trigger["id"]

    await _send(zhang, conversation, "b", "/出错")
    [event] = await zhang.wait_events(lambda e: e.get("ev") == "message.new"
                                      and e["data"]["message"]["sender"]["id"] == broken)
    assert event["data"]["message"]["content"] == {"text": APOLOGY}
    runtime = im_server.app[BOT_RUNTIME]
    assert runtime.failures[("慢机器人", "timeout")] == 1
    assert runtime.failures[("故障机器人", "error")] == 1


async def test_a_disabled_bot_stays_silent_and_answers_again_once_enabled(im_server, connect):
    connect.runtime = lambda: im_server.app[BOT_RUNTIME]
    admin, zhang, _, bots, conversation = await _group_with_bots(connect)
    query, broken = bots["查询助手"]["id"], bots["故障机器人"]["id"]
    status, body = await _http(connect, admin, "POST", f"/api/v1/bots/{query}/disable")
    assert (status, body["enabled"]) == (200, False)
    await im_server.app[BOT_RUNTIME].refresh()
    await _send(zhang, conversation, "q-off", "/查询 户籍")
    await _send(zhang, conversation, "b-off", "/出错")  # a marker: answered after the query was seen
    await zhang.wait_events(lambda e: e.get("ev") == "message.new" and e["data"]["message"]["sender"]["id"] == broken)
    assert _bot_messages(zhang, query) == []

    status, body = await _http(connect, admin, "POST", f"/api/v1/bots/{query}/enable")
    assert (status, body["enabled"]) == (200, True)
    await im_server.app[BOT_RUNTIME].refresh()
    await _send(zhang, conversation, "q-on", "/查询 户籍")
    [event] = await zhang.wait_events(lambda e: e.get("ev") == "message.new"
                                      and e["data"]["message"]["sender"]["id"] == query)
    assert event["data"]["message"]["content"] == {"text": "查询结果: 户籍"}
    async with im_server.app[SESSIONS]() as session:
        switched = (await session.execute(select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.target).where(
            AuditEntry.action.in_(["bot.enable", "bot.disable"])).order_by(AuditEntry.id))).all()
    assert [tuple(r) for r in switched] == [("bot.disable", admin.person_id, f"person:{query}"),
                                            ("bot.enable", admin.person_id, f"person:{query}")]
