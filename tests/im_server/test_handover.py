"""Pending notices pass to a post's successor; the predecessor no longer sees them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from im_server.keys import MESSAGING
from orgchart import models as om
from orgchart.http.keys import SESSIONS
from tests.im_server.harness import rotate
from tests.orgchart import sample

ZHANG, WANG, QIAN = "13800000001", "13800000003", "13800000005"
HEAD = sample.TAX_KC + "-JZ"


async def test_pending_notice_follows_the_post_to_the_successor(connect, im_server):
    wang, zhang = await connect(WANG), await connect(ZHANG)
    pending = await wang.request("notice.send", client_msg_id="n1", as_post=sample.TAX_KC + "-ZGY",
                                 selector=HEAD, title="季度申报提醒", body="请于月底前完成申报",
                                 require_confirm=True)
    done = await wang.request("notice.send", client_msg_id="n2", as_post=sample.TAX_KC + "-ZGY",
                              selector=HEAD, title="已办结的通知", body="……", require_confirm=True)
    await zhang.request("notice.confirm", notice=done["notice"]["id"])  # confirmed: stays with 张三
    await rotate(im_server.app[SESSIONS], HEAD, ZHANG, QIAN, dt.date.today())
    qian = await connect(QIAN)

    runtime = im_server.app[MESSAGING]
    assert await runtime.hand_over_pending_notices() == 1
    assert await runtime.hand_over_pending_notices() == 0  # nothing left to move

    arrived = await qian.wait_events(lambda e: e.get("ev") == "notice.new")
    assert arrived[0]["data"]["notice"]["id"] == pending["notice"]["id"] and arrived[0]["data"]["handed_over"]
    inbox = await qian.request("notice.list")
    assert [n["id"] for n in inbox["notices"]] == [pending["notice"]["id"]]
    confirmed = await qian.request("notice.confirm", notice=pending["notice"]["id"], feedback="已接手")
    assert confirmed

    gone = await zhang.wait_events(lambda e: e.get("ev") == "notice.transferred")
    assert gone[0]["data"]["notice"]["id"] == pending["notice"]["id"]
    assert [n["id"] for n in (await zhang.request("notice.list"))["notices"]] == [done["notice"]["id"]]
    refused = await zhang.call("notice.open", notice=pending["notice"]["id"])
    assert refused["error"]["code"] == "forbidden"


async def test_vacant_post_keeps_its_pending_notice_until_someone_takes_it_up(connect, im_server):
    wang = await connect(WANG)
    sent = await wang.request("notice.send", client_msg_id="v1", as_post=sample.TAX_KC + "-ZGY",
                              selector=HEAD, title="通知", body="……")
    sessions = im_server.app[SESSIONS]
    async with sessions.begin() as session:
        await session.execute(update(om.Holding).where(om.Holding.end_date.is_(None), om.Holding.post_id ==
                                                       select(om.Post.id).where(om.Post.code == HEAD)
                                                       .scalar_subquery()).values(end_date=dt.date.today()))
    runtime = im_server.app[MESSAGING]
    assert await runtime.hand_over_pending_notices() == 0
    status = await wang.request("notice.status", notice=sent["notice"]["id"])
    assert status["totals"]["pending"] == 1
