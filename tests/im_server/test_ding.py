"""DING end to end: immediate push, escalation in-app → SMS → voice through the recording
notifier, stop on confirmation, the minimum interval, exactly once across two runtimes, and a
reminder that survives a restart. ``run_due_reminders(now)`` is called with times in the
future, so nothing waits five minutes.
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from im_server import models as m
from im_server.app import create_app
from im_server.keys import MESSAGING
from im_server.runtime import Messaging
from orgchart.http.keys import ENGINE, SESSIONS
from orgchart.infra.config import Settings
from orgchart.infra.db import create_engine, session_maker
from tests.im_server.harness import WsClient, load_sample
from tests.im_server.test_notices import JZ, LI, RIVER_CHIEFS, ZHANG, ZHAO, http_get

MINUTES = dt.timedelta(minutes=5, seconds=1)


def later(n: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + n * MINUTES


async def urgent(client, *, client_msg_id="u1", **extra) -> dict:
    return await client.request("notice.send", client_msg_id=client_msg_id, as_post=JZ,
                                selector=RIVER_CHIEFS, title="紧急防汛", body="立即上岗。",
                                require_confirm=True, urgent=True, **extra)


async def outbox(connect, client, query: str) -> list[dict]:
    status, _, body = await http_get(connect, client, f"/api/v1/notifier/outbox?{query}")
    assert status == 200, body
    return json.loads(body)["entries"]


async def test_urgent_notice_escalates_in_app_then_sms_then_voice(connect, im_server):
    rt = im_server.app[MESSAGING]
    zhang, li, zhao = await connect(ZHANG), await connect(LI), await connect(ZHAO)
    ack = await urgent(zhang)
    pushed = await zhao.wait_events(lambda e: e.get("ev") == "ding")
    assert pushed[0]["data"] | {"attempt": 0} == pushed[0]["data"]
    assert pushed[0]["data"]["notice"]["id"] == ack["notice"]["id"]
    assert await rt.run_due_reminders(dt.datetime.now(dt.UTC)) == 0   # not due yet

    assert await rt.run_due_reminders(later(1)) == 1
    again = await li.wait_events(lambda e: e.get("ev") == "ding" and e["data"]["attempt"] == 1)
    assert again[0]["data"]["notice"]["title"] == "紧急防汛" and "body" not in again[0]["data"]["notice"]
    await zhao.request("notice.confirm", notice=ack["notice"]["id"], feedback="收到")
    assert await rt.run_due_reminders(later(2)) == 1
    assert await rt.run_due_reminders(later(3)) == 1
    assert await rt.run_due_reminders(later(4)) == 0   # three attempts: done

    entries = await outbox(connect, zhang, f"notice={ack['notice']['id']}")
    got = [(e["attempt"], e["channel"], e["person"]["name"]) for e in entries]
    assert sorted(got) == [(1, "in_app", "李四"), (1, "in_app", "赵六"), (2, "sms", "李四"),
                           (3, "voice", "李四")]
    sms = next(e for e in entries if e["channel"] == "sms")
    assert sms["mobile"] == LI and "紧急防汛" in sms["text"] and "确认" in sms["text"]
    status = await zhang.request("notice.status", notice=ack["notice"]["id"])
    assert status["reminder"] | {"attempt": 3, "done": True} == status["reminder"]
    # a recipient may not read the outbox; nor may anyone list all of it but an admin
    refused = await http_get(connect, li, f"/api/v1/notifier/outbox?notice={ack['notice']['id']}")
    assert refused[0] == 403
    assert (await http_get(connect, zhang, "/api/v1/notifier/outbox"))[0] == 400


async def test_reminders_stop_when_everyone_confirmed(connect, im_server):
    rt = im_server.app[MESSAGING]
    zhang, li, zhao = await connect(ZHANG), await connect(LI), await connect(ZHAO)
    ack = await urgent(zhang, remind_max_attempts=5)
    assert await rt.run_due_reminders(later(1)) == 1
    for client in (li, zhao):
        await client.request("notice.confirm", notice=ack["notice"]["id"])
    assert await rt.run_due_reminders(later(2)) == 1   # finds nobody pending: finished
    assert await rt.run_due_reminders(later(3)) == 0
    entries = await outbox(connect, zhang, f"notice={ack['notice']['id']}")
    assert {e["attempt"] for e in entries} == {1}
    status = await zhang.request("notice.status", notice=ack["notice"]["id"])
    assert status["reminder"]["done"] and status["totals"]["pending"] == 0


async def test_interval_below_minimum_is_refused(connect, im_server):
    zhang = await connect(ZHANG)
    refused = await zhang.call("notice.send", client_msg_id="x", as_post=JZ, selector=RIVER_CHIEFS,
                               title="t", body="b", urgent=True, remind_interval_seconds=60)
    assert refused["error"]["code"] == "interval_too_short"
    assert refused["error"]["details"]["minimum"] == 300 and "300 秒" in refused["error"]["message"]
    not_urgent = await zhang.call("notice.send", client_msg_id="y", as_post=JZ, selector=RIVER_CHIEFS,
                                  title="t", body="b", remind_interval_seconds=600)
    assert not_urgent["error"]["code"] == "invalid_args"
    async with im_server.app[ENGINE].connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(m.Notice)) == 0
    ack = await urgent(zhang, remind_interval_seconds=900)
    status = await zhang.request("notice.status", notice=ack["notice"]["id"])
    assert status["reminder"]["interval_seconds"] == 900
    rt = im_server.app[MESSAGING]
    assert await rt.run_due_reminders(later(1)) == 0   # 5 minutes is not 15
    assert await rt.run_due_reminders(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=901)) == 1


async def test_urgent_message_is_reminded_until_read(connect, im_server):
    rt = im_server.app[MESSAGING]
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    sent = await zhang.request("msg.send", conversation=conversation, client_msg_id="u", type="text",
                               content={"text": "速回电话"}, urgent=True)
    ding = await li.wait_events(lambda e: e.get("ev") == "ding")
    assert ding[0]["data"]["message"]["id"] == sent["message"]["id"] and ding[0]["data"]["attempt"] == 0
    assert not [e for e in zhang.events if e.get("ev") == "ding"]
    assert await rt.run_due_reminders(later(1)) == 1
    entries = await outbox(connect, zhang, f"message={sent['message']['id']}")
    assert [(e["channel"], e["person"]["name"]) for e in entries] == [("in_app", "李四")]
    assert "速回电话" in entries[0]["text"]
    await li.request("msg.read", conversation=conversation, seq=sent["message"]["seq"])
    assert await rt.run_due_reminders(later(2)) == 1   # read: finished without a reminder
    assert len(await outbox(connect, zhang, f"message={sent['message']['id']}")) == 1


async def test_two_runtimes_handle_each_reminder_exactly_once(connect, im_server, im_settings):
    """Two engines (on PostgreSQL: two connection pools, row locks with SKIP LOCKED) race."""
    zhang = await connect(ZHANG)
    notices = [(await urgent(zhang, client_msg_id=f"c{i}"))["notice"] for i in range(6)]
    first = im_server.app[MESSAGING]
    engine = create_engine(im_settings.database_url)
    second = Messaging.build(im_settings, engine, session_maker(engine))
    await second.start()
    try:
        for round_ in (1, 2, 3):
            now = later(round_)
            handled = await asyncio.gather(first.run_due_reminders(now), second.run_due_reminders(now),
                                           first.run_due_reminders(now), second.run_due_reminders(now))
            assert sum(handled) == len(notices)
    finally:
        await second.close()
        await engine.dispose()
    async with im_server.app[ENGINE].connect() as conn:
        rows = (await conn.execute(select(m.OutboxEntry.reminder_id, m.OutboxEntry.person_id,
                                          m.OutboxEntry.attempt))).all()
    assert len(rows) == len(set(rows)) == len(notices) * 2 * 3   # 2 people, 3 attempts, once each


async def test_a_reminder_survives_a_restart(im_settings):
    settings = dataclasses.replace(im_settings, scheduler_tick_seconds=0)   # only explicit runs
    server = TestServer(create_app(settings))
    await server.start_server()
    await load_sample(server.app[SESSIONS])
    async with aiohttp.ClientSession() as http:
        zhang = WsClient(str(server.make_url("")).rstrip("/"), http)
        await zhang.login(ZHANG)
        await zhang.connect()
        ack = await urgent(zhang)
        await zhang.close()
    await server.close()

    again = TestServer(create_app(settings))   # a new process over the same database
    await again.start_server()
    try:
        rt = again.app[MESSAGING]
        assert await rt.run_due_reminders(later(1)) == 1
        async with again.app[ENGINE].connect() as conn:
            entries = (await conn.execute(select(m.OutboxEntry.channel, m.OutboxEntry.notice_id))).all()
        assert entries == [("in_app", ack["notice"]["id"])] * 2
    finally:
        await again.close()


async def test_the_scheduler_ticks_by_itself(db_url, tmp_path):
    settings = Settings(database_url=db_url, demo_data=False, media_dir=str(tmp_path / "media"),
                        ding_min_interval_seconds=1, scheduler_tick_seconds=0.2)
    server = TestServer(create_app(settings))
    await server.start_server()
    await load_sample(server.app[SESSIONS])
    try:
        async with aiohttp.ClientSession() as http:
            zhang = WsClient(str(server.make_url("")).rstrip("/"), http)
            await zhang.login(ZHANG)
            await zhang.connect()
            await urgent(zhang)
            await zhang.close()
        for _ in range(50):
            await asyncio.sleep(0.2)
            async with server.app[ENGINE].connect() as conn:
                if await conn.scalar(select(func.count()).select_from(m.OutboxEntry)) >= 2:
                    break
        else:
            raise AssertionError("the scheduler never ran the due reminder")
    finally:
        await server.close()

