"""Conversations and messages end to end: real server, real sockets, SQLite and PostgreSQL."""
from __future__ import annotations

from tests.orgchart import sample

ZHANG, LI, WANG, ZHAO = "13800000001", "13800000002", "13800000003", "13800000004"


async def test_direct_message_is_acknowledged_then_delivered_in_order(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    opened = await zhang.request("conv.open", kind="direct", person=li.person_id)
    conversation = opened["conversation"]["id"]
    acks = [await zhang.request("msg.send", conversation=conversation, client_msg_id=f"c{i}",
                                type="text", content={"text": f"第{i}条"}) for i in range(5)]
    assert [a["message"]["seq"] for a in acks] == [1, 2, 3, 4, 5]
    received = await li.wait_events(lambda e: e.get("ev") == "message.new", count=5)
    assert [e["data"]["message"]["content"]["text"] for e in received] == [f"第{i}条" for i in range(5)]
    positions = [e["pos"] for e in received]
    assert positions == sorted(positions)
    again = await zhang.request("conv.open", kind="direct", person=li.person_id)
    assert again == {"conversation": opened["conversation"] | {"last_seq": 5}, "created": False}


async def test_retry_with_same_client_id_returns_original_ack(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    first = await zhang.request("msg.send", conversation=conversation, client_msg_id="same",
                                type="text", content={"text": "你好"})
    retry = await zhang.request("msg.send", conversation=conversation, client_msg_id="same",
                                type="text", content={"text": "你好"})
    assert retry["message"]["id"] == first["message"]["id"] and retry["message"]["seq"] == first["message"]["seq"] and retry["duplicate"]
    history = await li.request("conv.history", conversation=conversation)
    assert [m["content"]["text"] for m in history["messages"]] == ["你好"]


async def test_post_conversation_follows_the_holder(connect, im_server):
    """The history stays with the post: the current holder sees it, a former holder does not."""
    wang = await connect(WANG)
    opened = await wang.request("conv.open", kind="post", post=sample.TAX_KC + "-JZ")
    conversation = opened["conversation"]["id"]
    zhang = await connect(ZHANG)   # holds 柯城区税务局局长 now
    li = await connect(LI)         # held it until 2024-03-01
    await wang.request("msg.send", conversation=conversation, client_msg_id="a", type="text",
                       content={"text": "局长您好"})
    got = await zhang.wait_events(lambda e: e.get("ev") == "message.new")
    assert got[0]["data"]["message"]["content"]["text"] == "局长您好"
    assert (await zhang.request("conv.history", conversation=conversation))["messages"]
    denied = await li.call("conv.history", conversation=conversation)
    assert not denied["ok"] and denied["error"]["code"] == "forbidden"
    assert not li.stream("message.new")
    # the holder answers as the post
    reply = await zhang.request("msg.send", conversation=conversation, client_msg_id="b", type="text",
                                content={"text": "请讲"}, as_post=sample.TAX_KC + "-JZ")
    assert reply["message"]["seq"] == 2
    answer = await wang.wait_events(lambda e: e.get("ev") == "message.new" and e["data"]["message"]["seq"] == 2)
    assert answer[0]["data"]["message"]["as_post"]["title"] == "局长"


async def test_resume_from_cursor_gets_exactly_what_was_missed(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    await zhang.request("msg.send", conversation=conversation, client_msg_id="1", type="text", content={"text": "一"})
    await li.wait_events(lambda e: e.get("ev") == "message.new")
    cursor = li.cursor
    await li.close()
    for i in range(2, 5):
        await zhang.request("msg.send", conversation=conversation, client_msg_id=str(i), type="text",
                            content={"text": str(i)})
    again = await connect(LI, cursor=cursor)
    caught = await again.wait_events(lambda e: e.get("ev") == "sync.caught_up")
    assert caught
    texts = [e["data"]["message"]["content"]["text"] for e in again.stream("message.new")]
    assert texts == ["2", "3", "4"]
    await zhang.request("msg.send", conversation=conversation, client_msg_id="5", type="text", content={"text": "5"})
    await again.wait_events(lambda e: e.get("ev") == "message.new", count=4)
    assert [e["data"]["message"]["content"]["text"] for e in again.stream("message.new")] == ["2", "3", "4", "5"]


async def test_stale_cursor_gets_resync(connect):
    li = await connect(LI, cursor=10**9)
    events = await li.wait_events(lambda e: e.get("ev") == "sync.resync")
    assert events[0]["data"]["cursor"] >= 0


async def test_recall_edit_read_and_unread_counts(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    sent = [await zhang.request("msg.send", conversation=conversation, client_msg_id=str(i), type="text",
                                content={"text": f"m{i}"}) for i in range(3)]
    listed = await li.request("conv.list")
    assert [c["unread"] for c in listed["conversations"] if c["id"] == conversation] == [3]
    await li.request("msg.read", conversation=conversation, seq=2)
    listed = await li.request("conv.list")
    assert [c["unread"] for c in listed["conversations"] if c["id"] == conversation] == [1]
    edited = await zhang.request("msg.edit", message=sent[2]["message"]["id"], content={"text": "改过"})
    assert edited["message"]["edited_at"]
    denied = await li.call("msg.recall", message=sent[0]["message"]["id"])
    assert denied["error"]["code"] == "forbidden"
    await zhang.request("msg.recall", message=sent[0]["message"]["id"])
    recalled = await li.wait_events(lambda e: e.get("ev") == "message.recalled")
    assert recalled[0]["data"]["message"]["content"] is None
    history = await li.request("conv.history", conversation=conversation)
    assert [m["recalled"] for m in history["messages"]] == [True, False, False]
    assert history["messages"][2]["content"] == {"text": "改过"}


async def test_group_with_posts_and_selector_members(connect):
    zhang = await connect(ZHANG)
    zhao = await connect(ZHAO)   # 府山村党支部书记
    opened = await zhang.request("conv.open", kind="group", title="河长群",
                                 members=[{"selector": "duty:河长"}])
    conversation = opened["conversation"]["id"]
    await zhang.request("msg.send", conversation=conversation, client_msg_id="g", type="text",
                        content={"text": "巡河"})
    got = await zhao.wait_events(lambda e: e.get("ev") == "message.new")
    assert got[0]["data"]["message"]["content"]["text"] == "巡河"


async def test_channel_only_posters_may_post(connect):
    zhang, zhao = await connect(ZHANG), await connect(ZHAO)
    opened = await zhang.request("conv.open", kind="channel", title="公告", posters=[sample.TAX_KC + "-JZ"],
                                 members=[{"person": zhao.person_id}])
    conversation = opened["conversation"]["id"]
    refused = await zhao.call("msg.send", conversation=conversation, client_msg_id="x", type="text",
                              content={"text": "我也说两句"})
    assert refused["error"]["code"] == "forbidden"
    await zhang.request("msg.send", conversation=conversation, client_msg_id="y", type="text",
                        content={"text": "通知"})
    assert (await zhao.wait_events(lambda e: e.get("ev") == "message.new"))


async def test_enterprise_member_cannot_reach_posts_that_do_not_serve_enterprises(connect):
    member = await connect("13800000006")
    refused = await member.call("conv.open", kind="post", post=sample.TOWN + "-SJ")
    assert refused["error"]["code"] == "forbidden"
    allowed = await member.request("conv.open", kind="post", post=sample.TAX_KC + "-ZGY")
    assert allowed["created"]
    denied = await member.call("conv.open", kind="group", title="x", members=[])
    assert denied["error"]["code"] == "forbidden"


async def test_enterprise_member_opens_its_own_service_conversation_with_its_officer(connect):
    """One per enterprise: the enterprise and the officer posts its virtual organisations assign
    it (柯城区税务局's 税务专管员, held by 王五); officials still open service groups as before."""
    officer = await connect("13800000003")
    member = await connect("13800000006")
    opened = await member.request("conv.open", kind="service")
    conversation = opened["conversation"]
    assert opened["created"] and conversation["kind"] == "service"
    assert conversation["title"] == "衢州元立金属制品有限公司 · 服务会话"
    new = await officer.wait_events(lambda e: e.get("ev") == "conversation.new")
    assert new[0]["data"]["conversation"]["id"] == conversation["id"]
    members = (await member.request("conv.get", conversation=conversation["id"]))["members"]
    assert {m["type"]: m.get("post", m.get("enterprise")) for m in members} == {
        "enterprise": {"credit_code": sample.ENTERPRISE_A, "name": "衢州元立金属制品有限公司"},
        "post": {"code": sample.TAX_KC + "-ZGY", "title": "税务专管员"}}
    again = await member.request("conv.open", kind="service", enterprise=sample.ENTERPRISE_A)
    assert again == {"conversation": conversation, "created": False}

    refused = await member.call("conv.open", kind="service", members=[{"post": sample.TOWN + "-SJ"}])
    assert refused["error"]["code"] == "invalid_args" and refused["error"]["details"]["field"] == "members"
    other = await member.call("conv.open", kind="service", enterprise=sample.ENTERPRISE_B)
    assert other["error"]["code"] == "forbidden"
    official = await officer.call("conv.open", kind="service")  # a group: needs a title
    assert official["error"]["code"] == "invalid_args" and official["error"]["details"]["field"] == "title"


async def test_cursor_older_than_retention_gets_resync_not_a_silent_gap(connect, im_server):
    import datetime as dt

    from im_server.delivery.retention import prune_events
    from im_server.keys import MESSAGING

    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    await zhang.request("msg.send", conversation=conversation, client_msg_id="old", type="text",
                        content={"text": "旧消息"})
    await li.wait_events(lambda e: e.get("ev") == "message.new")
    old_cursor = li.cursor
    await li.close()
    await zhang.request("msg.send", conversation=conversation, client_msg_id="gone", type="text",
                        content={"text": "将被清理"})
    runtime = im_server.app[MESSAGING]
    floor = await prune_events(runtime.engine, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    assert floor > old_cursor
    again = await connect(LI, cursor=old_cursor)
    resync = await again.wait_events(lambda e: e.get("ev") == "sync.resync")
    assert resync[0]["data"]["cursor"] >= floor and resync[0]["data"]["oldest"] == floor
    assert not again.stream("message.new")  # nothing half-replayed: the client refetches history
    history = await again.request("conv.history", conversation=conversation)
    assert [m["content"]["text"] for m in history["messages"]] == ["旧消息", "将被清理"]


async def test_clients_resuming_at_once_each_get_exactly_their_own_missed_events(connect, im_server, monkeypatch):
    """A small reconnect storm: first pages are read together, long backlogs page on alone,
    tokens are checked together, and every client gets its own events exactly once."""
    import asyncio

    from im_server import replay as replay_module
    from im_server import runtime as runtime_module
    from im_server.keys import MESSAGING

    monkeypatch.setattr(runtime_module, "REPLAY_PAGE", 2)  # so 5 missed events take 3 pages
    monkeypatch.setattr(replay_module, "REPLAY_PAGE", 2)
    zhang, li, wang = await connect(ZHANG), await connect(LI), await connect(WANG)
    to_li = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    to_wang = (await zhang.request("conv.open", kind="direct", person=wang.person_id))["conversation"]["id"]
    await zhang.request("msg.send", conversation=to_li, client_msg_id="l0", type="text", content={"text": "l0"})
    await zhang.request("msg.send", conversation=to_wang, client_msg_id="w0", type="text", content={"text": "w0"})
    await li.wait_events(lambda e: e.get("ev") == "message.new")
    await wang.wait_events(lambda e: e.get("ev") == "message.new")
    li_cursor, wang_cursor = li.cursor, wang.cursor
    await li.close()
    await wang.close()
    for i in range(1, 6):
        await zhang.request("msg.send", conversation=to_li, client_msg_id=f"l{i}", type="text",
                            content={"text": f"l{i}"})
    await zhang.request("msg.send", conversation=to_wang, client_msg_id="w1", type="text", content={"text": "w1"})

    runtime = im_server.app[MESSAGING]
    tokens_before, pages_before = runtime.token_viewers.batches, runtime.replay_pages.batches
    from tests.im_server.harness import WsClient

    resumed = []
    for client, cursor in ((li, li_cursor), (li, li_cursor), (wang, wang_cursor), (wang, 10**9)):
        again = WsClient(connect.base_url, connect.http)
        again.token, again.person_id = client.token, client.person_id
        resumed.append((again, cursor))
    await asyncio.gather(*(again.connect(cursor=cursor, use_ticket=False) for again, cursor in resumed))
    try:
        for again, _cursor in resumed:
            await again.wait_events(lambda e: e.get("ev", "").startswith("sync."))
        texts = [[e["data"]["message"]["content"]["text"] for e in again.stream("message.new")]
                 for again, _cursor in resumed]
        assert texts[0] == texts[1] == ["l1", "l2", "l3", "l4", "l5"]  # three pages, in order
        assert texts[2] == ["w1"]  # only Wang's own
        assert texts[3] == [] and resumed[3][0].events[-1]["ev"] == "sync.resync"
        assert runtime.token_viewers.batches - tokens_before <= 4
        assert runtime.replay_pages.batches - pages_before <= 4
    finally:
        for again, _cursor in resumed:
            await again.close()
