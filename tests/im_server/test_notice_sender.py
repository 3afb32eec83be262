"""notice.sent and notice.ding (the sender's one-click DING of the pending), on both backends."""
from __future__ import annotations

from tests.im_server.test_notices import JZ, LI, RIVER_CHIEFS, WANG, ZHANG, ZHAO, sent


async def test_sent_lists_the_notices_of_the_sender_and_of_the_post(connect):
    zhang = await connect(ZHANG)
    first = await sent(zhang, RIVER_CHIEFS, client_msg_id="a", title="第一份")
    second = await sent(zhang, RIVER_CHIEFS, client_msg_id="b", title="第二份", require_confirm=True)
    listed = (await zhang.request("notice.sent"))["notices"]
    assert [n["id"] for n in listed] == [second["notice"]["id"], first["notice"]["id"]]
    assert listed[0]["totals"] == {"recipients": second["recipients"], "read": 0, "confirmed": 0,
                                   "pending": second["recipients"]}
    assert listed[0]["sender_post"]["code"] == JZ
    older = (await zhang.request("notice.sent", before=second["notice"]["id"]))["notices"]
    assert [n["id"] for n in older] == [first["notice"]["id"]]
    wang = await connect(WANG)  # sent nothing, holds no sending post
    assert (await wang.request("notice.sent"))["notices"] == []


async def test_ding_reaches_the_pending_only_and_is_throttled(connect):
    zhang, li, zhao = await connect(ZHANG), await connect(LI), await connect(ZHAO)
    notice = (await sent(zhang, RIVER_CHIEFS, require_confirm=True))["notice"]["id"]
    await li.wait_events(lambda e: e.get("ev") == "notice.new")
    await li.request("notice.confirm", notice=notice)
    result = await zhang.request("notice.ding", notice=notice)
    assert result["dinged"] >= 1 and result["notice"]["id"] == notice
    dinged = await zhao.wait_events(lambda e: e.get("ev") == "ding")
    assert dinged[0]["data"]["notice"]["id"] == notice and dinged[0]["data"]["manual"] is True
    assert not li.stream("ding")  # confirmed: not reminded
    again = await zhang.call("notice.ding", notice=notice)
    assert again["error"]["code"] == "interval_too_short" and "秒后再试" in again["error"]["message"]
    denied = await zhao.call("notice.ding", notice=notice)
    assert denied["error"]["code"] == "forbidden"
    missing = await zhang.call("notice.ding", notice=999999)
    assert missing["error"]["code"] == "not_found"
