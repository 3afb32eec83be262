"""Replay applies today's read rule and shows the current state (issue 7 §1), on both backends."""
from __future__ import annotations

import datetime as dt

from orgchart.http.keys import SESSIONS
from tests.im_server.harness import rotate
from tests.orgchart import sample

ZHANG, LI, WANG, QIAN = "13800000001", "13800000002", "13800000003", "13800000005"
HEAD = sample.TAX_KC + "-JZ"


def _about(event: dict) -> int | None:
    """The conversation an event is about, whichever way its data names it."""
    data = event["data"]
    conversation, message = data.get("conversation"), data.get("message")
    if isinstance(conversation, dict):
        return conversation["id"]
    if conversation is not None:
        return conversation
    return message.get("conversation") if isinstance(message, dict) else None


def _texts(client, conversation: int) -> list:
    return [e["data"]["message"]["content"] for e in client.stream("message.new")
            if e["data"]["message"]["conversation"] == conversation]


async def test_a_former_holder_replaying_from_cursor_0_gets_nothing_of_the_post(connect, im_server):
    wang, zhang = await connect(WANG), await connect(ZHANG)
    post_conversation = (await wang.request("conv.open", kind="post", post=HEAD))["conversation"]["id"]
    await wang.request("msg.send", conversation=post_conversation, client_msg_id="p1", type="text",
                       content={"text": "局长: 本季度的稽查名单"})
    direct = (await wang.request("conv.open", kind="direct", person=zhang.person_id))["conversation"]["id"]
    await wang.request("msg.send", conversation=direct, client_msg_id="d1", type="text",
                       content={"text": "私信照常"})
    await zhang.wait_events(lambda e: e.get("ev") == "message.new", count=2)  # both arrived live
    await zhang.close()
    await rotate(im_server.app[SESSIONS], HEAD, ZHANG, QIAN, dt.date.today())

    again = await connect(ZHANG, cursor=0)
    [caught] = await again.wait_events(lambda e: e.get("ev") == "sync.caught_up")
    assert _texts(again, direct) == [{"text": "私信照常"}]  # what they still read is replayed
    assert _texts(again, post_conversation) == []
    about_post = [e for e in again.stream() if _about(e) == post_conversation]
    assert about_post == []  # no conversation.new either
    # what was left out still counts: the cursor is past every event of the stream
    assert caught["data"]["cursor"] >= max(e["pos"] for e in zhang.stream())
    # the successor reads the history (the post's conversation is theirs now)
    qian = await connect(QIAN)
    history = await qian.request("conv.history", conversation=post_conversation)
    assert [m["content"]["text"] for m in history["messages"]] == ["局长: 本季度的稽查名单"]


async def test_a_replayed_message_arrives_as_it_is_now_recalled_or_edited(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    secret = (await zhang.request("msg.send", conversation=conversation, client_msg_id="s", type="text",
                                  content={"text": "发错了: 密码 123456"}, urgent=True))["message"]["id"]
    draft = (await zhang.request("msg.send", conversation=conversation, client_msg_id="e", type="text",
                                 content={"text": "初稿"}))["message"]["id"]
    await li.wait_events(lambda e: e.get("ev") == "message.new", count=2)
    cursor_before = li.stream()[0]["pos"] - 1
    await li.close()
    await zhang.request("msg.recall", message=secret)
    await zhang.request("msg.edit", message=draft, content={"text": "第一次修改"})
    await zhang.request("msg.edit", message=draft, content={"text": "定稿"})

    again = await connect(LI, cursor=cursor_before)
    await again.wait_events(lambda e: e.get("ev") == "sync.caught_up")
    by_type = {}
    for e in again.stream():
        if e["ev"].startswith("message."):
            by_type.setdefault((e["ev"], e["data"]["message"]["id"]), []).append(e["data"]["message"])
    [new_secret] = by_type["message.new", secret]
    assert new_secret["recalled"] is True and new_secret["content"] is None
    [ding] = [e["data"]["message"] for e in again.stream("ding")]  # a DING carries the message too
    assert ding["id"] == secret and ding["content"] is None
    [recalled] = by_type["message.recalled", secret]
    assert recalled["content"] is None
    [new_draft] = by_type["message.new", draft]
    assert new_draft["content"] == {"text": "定稿"} and new_draft["edited_at"]
    edits = by_type["message.edited", draft]
    assert [m["content"] for m in edits] == [{"text": "定稿"}, {"text": "定稿"}]  # never an older state
    assert "123456" not in str(again.events)


async def test_a_former_recipient_replaying_gets_no_handed_over_notice(connect, im_server):
    wang, zhang = await connect(WANG), await connect(ZHANG)
    sent = await wang.request("notice.send", client_msg_id="n1", as_post=sample.TAX_KC + "-ZGY",
                              selector=HEAD, title="稽查通知", body="名单见附件", require_confirm=True)
    await zhang.wait_events(lambda e: e.get("ev") == "notice.new")
    await zhang.close()
    await rotate(im_server.app[SESSIONS], HEAD, ZHANG, QIAN, dt.date.today())
    from im_server.keys import MESSAGING

    assert await im_server.app[MESSAGING].hand_over_pending_notices() == 1
    again = await connect(ZHANG, cursor=0)
    await again.wait_events(lambda e: e.get("ev") == "sync.caught_up")
    assert again.stream("notice.new") == []
    assert [e["data"]["notice"]["id"] for e in again.stream("notice.transferred")] == [sent["notice"]["id"]]


async def test_presence_follows_directory_visibility(connect):
    sun = await connect("13800000006")         # 孙八, an enterprise user
    wang = await connect(WANG)                 # 王五 holds a post that serves enterprises
    zhao = await connect("13800000004")        # 赵六, a village party secretary: hidden from enterprises
    seen = await sun.request("presence", people=[wang.person_id])
    assert seen["people"][0]["id"] == wang.person_id and seen["people"][0]["online"] is True
    for people in ([zhao.person_id], [wang.person_id, zhao.person_id], [999999]):
        refused = await sun.call("presence", people=people)
        assert not refused["ok"] and refused["error"]["code"] == "not_found", refused
        assert refused["error"]["details"]["people"] == [p for p in people if p != wang.person_id]
    # a hidden id and an unknown one are refused alike (the existence of either does not leak)
    hidden, unknown = (await sun.call("presence", people=[zhao.person_id]),
                       await sun.call("presence", people=[999999]))
    assert hidden["error"]["message"].replace(str(zhao.person_id), "X") == \
        unknown["error"]["message"].replace("999999", "X")
    # officials see everyone who exists, and themselves; unknown ids are not_found for them too
    assert [p["online"] for p in (await wang.request("presence", people=[zhao.person_id, sun.person_id]))[
        "people"]] == [True, True]
    assert (await wang.call("presence", people=[999999]))["error"]["code"] == "not_found"
    assert (await sun.request("presence", people=[sun.person_id]))["people"][0]["online"] is True


async def test_a_former_holder_of_the_sending_post_replays_no_read_receipts(connect, im_server):
    wang, zhang = await connect(WANG), await connect(ZHANG)
    sent = await wang.request("notice.send", client_msg_id="r1", as_post=sample.TAX_KC + "-ZGY",
                              selector=HEAD, title="报表", body="请查收")
    await zhang.request("notice.open", notice=sent["notice"]["id"])
    await wang.wait_events(lambda e: e.get("ev") == "notice.read")
    await wang.close()
    await rotate(im_server.app[SESSIONS], sample.TAX_KC + "-ZGY", WANG, QIAN, dt.date.today())
    again = await connect(WANG, cursor=0)
    await again.wait_events(lambda e: e.get("ev") == "sync.caught_up")
    assert again.stream("notice.read") == []  # notice.status is for whoever holds the post now
    reader = await connect(ZHANG, cursor=0)
    await reader.wait_events(lambda e: e.get("ev") == "sync.caught_up")
    assert [e["data"]["notice"]["id"] for e in reader.stream("notice.read")] == [sent["notice"]["id"]]
