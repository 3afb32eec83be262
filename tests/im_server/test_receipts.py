"""Read receipts: msg.receipts counts, msg.readers lists, and message.read events to senders only.

Real server and sockets, on SQLite and PostgreSQL.
"""
from __future__ import annotations

ZHANG, LI, WANG, ZHAO = "13800000001", "13800000002", "13800000003", "13800000004"


async def _group(owner, *others) -> int:
    opened = await owner.request("conv.open", kind="group", title="工作群",
                                 members=[{"person": o.person_id} for o in others])
    return opened["conversation"]["id"]


async def _send(client, conversation: int, key: str, text: str = "请查收") -> dict:
    ack = await client.request("msg.send", conversation=conversation, client_msg_id=key,
                               type="text", content={"text": text})
    return ack["message"]


async def test_group_counts_fall_as_members_read_and_sender_is_told(connect):
    zhang, li, wang = await connect(ZHANG), await connect(LI), await connect(WANG)
    conversation = await _group(zhang, li, wang)
    first = await _send(zhang, conversation, "a")
    second = await _send(zhang, conversation, "b")
    receipts = await zhang.request("msg.receipts", conversation=conversation)
    assert receipts["members"] == 2
    assert [(r["message"], r["read"], r["unread"]) for r in receipts["receipts"]] == [
        (first["id"], 0, 2), (second["id"], 0, 2)]

    await li.request("msg.read", conversation=conversation, seq=1)
    event = (await zhang.wait_events(lambda e: e.get("ev") == "message.read"))[0]
    assert event["data"]["conversation"]["id"] == conversation
    assert {k: v for k, v in event["data"].items() if k != "conversation"} == {
        "person": {"id": li.person_id, "name": "李四"}, "from_seq": 0, "last_read_seq": 1}
    receipts = await zhang.request("msg.receipts", conversation=conversation,
                                   messages=[first["id"], second["id"]])
    assert [r["unread"] for r in receipts["receipts"]] == [1, 2]

    readers = await zhang.request("msg.readers", message=first["id"])
    assert [p["name"] for p in readers["read"]] == ["李四"]
    assert [p["name"] for p in readers["unread"]] == ["王五"]
    # the reader and the other member hear nothing about receipts
    assert not li.stream("message.read") and not wang.stream("message.read")


async def test_reading_again_below_the_mark_sends_nothing(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    await _send(zhang, conversation, "a")
    await _send(zhang, conversation, "b")
    await li.request("msg.read", conversation=conversation, seq=2)
    await zhang.wait_events(lambda e: e.get("ev") == "message.read")
    again = await li.request("msg.read", conversation=conversation, seq=1)
    assert again["last_read_seq"] == 2
    await _send(zhang, conversation, "c")  # an event after the repeat read, to wait on
    await zhang.wait_events(lambda e: e.get("ev") == "message.new" and e["data"]["message"]["seq"] == 3)
    assert len(zhang.stream("message.read")) == 1


async def test_only_senders_of_newly_read_messages_are_told(connect):
    """Reading past one person's messages tells that person, not every member of the group."""
    zhang, li, wang, zhao = await connect(ZHANG), await connect(LI), await connect(WANG), await connect(ZHAO)
    conversation = await _group(zhang, li, wang, zhao)
    await _send(li, conversation, "l1")       # seq 1 by 李四
    await _send(wang, conversation, "w1")     # seq 2 by 王五
    await zhao.request("msg.read", conversation=conversation, seq=1)
    told = await li.wait_events(lambda e: e.get("ev") == "message.read")
    assert told[0]["data"]["last_read_seq"] == 1
    await zhao.request("msg.read", conversation=conversation, seq=2)
    told = await wang.wait_events(lambda e: e.get("ev") == "message.read")
    assert told[0]["data"]["from_seq"] == 1
    assert len(li.stream("message.read")) == 1  # not told again about seq 2
    assert not zhang.stream("message.read")     # sent nothing: hears nothing


async def test_readers_is_for_the_sender_only_and_errors_are_clear(connect):
    zhang, li, wang = await connect(ZHANG), await connect(LI), await connect(WANG)
    conversation = await _group(zhang, li)
    sent = await _send(zhang, conversation, "a")
    denied = await li.call("msg.readers", message=sent["id"])
    assert denied["error"]["code"] == "forbidden" and "发送者" in denied["error"]["message"]
    stranger = await wang.call("msg.receipts", conversation=conversation)
    assert stranger["error"]["code"] == "forbidden"
    missing = await zhang.call("msg.readers", message=999999)
    assert missing["error"]["code"] == "not_found"
    for bad_ids in (["x"], [True], [0], [2**63]):
        bad = await zhang.call("msg.receipts", conversation=conversation, messages=bad_ids)
        assert bad["error"]["code"] == "invalid_args" and bad["error"]["details"]["field"] == "messages"
    huge = await zhang.call("notice.sent", before=2**31)
    assert huge["error"]["code"] == "invalid_args"
    # another member's messages are not counted for the caller
    mine = await li.request("msg.receipts", conversation=conversation, messages=[sent["id"]])
    assert mine["receipts"] == []


async def test_conversation_list_shows_the_last_message(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    await _send(zhang, conversation, "a", "第一条")
    await _send(zhang, conversation, "b", "最新  的\n消息")
    listed = (await li.request("conv.list"))["conversations"][0]
    assert listed["last_message"]["preview"] == "最新 的 消息"
    assert listed["last_message"]["sender"] == {"id": zhang.person_id, "name": "张三"}
    assert listed["unread"] == 2
    recalled = await zhang.request("msg.recall", message=listed["last_message"]["id"])
    assert recalled["message"]["recalled"]
    listed = (await li.request("conv.list"))["conversations"][0]
    assert listed["last_message"]["recalled"] and listed["last_message"]["preview"] == ""
