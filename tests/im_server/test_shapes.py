"""The shapes docs/protocol.md promises: objects vs ids, one timestamp format, and who gets
``conversation.read``. Real server, real sockets, both backends."""
from __future__ import annotations

import asyncio
import datetime as dt

ZHANG, LI = "13800000001", "13800000002"


def offset_aware(stamp: str) -> bool:
    """ISO 8601 with an explicit UTC offset (what every timestamp in the protocol is)."""
    return dt.datetime.fromisoformat(stamp).utcoffset() is not None


async def _direct(zhang, li) -> int:
    return (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]


async def test_timestamps_are_iso_8601_with_an_offset(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    # ping.time was a Unix float
    assert offset_aware((await zhang.request("ping"))["time"])
    conversation = await _direct(zhang, li)
    # conv.list last_at: created_at before the first message, the last message's time after; on
    # SQLite it had no offset
    listed = (await zhang.request("conv.list"))["conversations"]
    assert all(offset_aware(c["last_at"]) for c in listed)
    await zhang.request("msg.send", conversation=conversation, client_msg_id="t1", type="text",
                        content={"text": "几点了"})
    (item,) = [c for c in (await zhang.request("conv.list"))["conversations"] if c["id"] == conversation]
    assert offset_aware(item["last_at"])
    # presence.last_seen was a Unix float
    (state,) = (await zhang.request("presence", people=[li.person_id]))["people"]
    assert state["online"] is True and offset_aware(state["last_seen"])


async def test_acks_and_events_carry_message_and_notice_objects(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = await _direct(zhang, li)
    ack = await zhang.request("msg.send", conversation=conversation, client_msg_id="card-1", type="card",
                              content={"title": "审批", "buttons": [{"action": "ok", "label": "同意"}]})
    assert set(ack) == {"message"}
    message = ack["message"]
    assert message["conversation"] == conversation and message["seq"] == 1 and message["type"] == "card"
    assert message["client_msg_id"] == "card-1" and offset_aware(message["created_at"])
    retry = await zhang.request("msg.send", conversation=conversation, client_msg_id="card-1", type="text",
                                content={"text": "ignored"})
    assert retry == {"message": message, "duplicate": True}
    # card.click: the message object, not its id (and no separate conversation id)
    await li.request("card.click", message=message["id"], action="ok")
    (click,) = await zhang.wait_events(lambda e: e.get("ev") == "card.click")
    assert click["data"]["message"]["id"] == message["id"]
    assert click["data"]["message"]["conversation"] == conversation and "conversation" not in click["data"]
    assert click["data"]["by"] == {"id": li.person_id, "name": "李四"}


async def test_conversation_read_reaches_the_readers_other_devices_only_when_it_moved(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    phone = await connect(LI)  # 李四's second device
    conversation = await _direct(zhang, li)
    for n in range(3):
        await zhang.request("msg.send", conversation=conversation, client_msg_id=f"r{n}", type="text",
                            content={"text": str(n)})
    result = await li.request("msg.read", conversation=conversation, seq=2)
    assert result["conversation"]["id"] == conversation and result["last_read_seq"] == 2
    assert result["person"] == {"id": li.person_id, "name": "李四"}
    (seen,) = await phone.wait_events(lambda e: e.get("ev") == "conversation.read")
    assert seen["data"] == result
    # the same position again, and a lower one: nothing moved, nobody is told
    assert (await li.request("msg.read", conversation=conversation, seq=2))["last_read_seq"] == 2
    assert (await li.request("msg.read", conversation=conversation, seq=1))["last_read_seq"] == 2
    await li.request("msg.read", conversation=conversation, seq=3)
    events = await phone.wait_events(lambda e: e.get("ev") == "conversation.read", count=2)
    assert [e["data"]["last_read_seq"] for e in events] == [2, 3]
    await asyncio.sleep(0.2)  # anything still on its way would have arrived
    # the reading device itself was never sent its own read; the sender is not told either
    assert [e for e in li.events if e.get("ev") == "conversation.read"] == []
    assert [e for e in zhang.events if e.get("ev") == "conversation.read"] == []
    assert len([e for e in phone.events if e.get("ev") == "conversation.read"]) == 2
