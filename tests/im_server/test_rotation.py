"""Post rotation is instant and visible (issue 7 §2): real server, real sockets, both backends.

When the admin API changes who holds a post, the post's pending notices and conversations pass
to the successor before the call is answered — no sweep needed — and both sides get events:
the successor ``conversation.new`` and ``notice.new`` (``handed_over``), the predecessor
``conversation.removed`` and ``notice.transferred``. The minute's sweep still catches rotations
by date (or made outside the server) and announces each change once.
"""
from __future__ import annotations

import asyncio
import datetime as dt

from aiohttp.test_utils import TestServer

from im_server.app import create_app
from im_server.keys import MESSAGING
from im_server.rotation import rotation_job
from orgchart.http.keys import SESSIONS
from tests.im_server.harness import WsClient, rotate
from tests.orgchart import sample

ZHANG, WANG, QIAN, ADMIN = "13800000001", "13800000003", "13800000005", "13900000000"
HEAD = sample.TAX_KC + "-JZ"


async def _admin(connect, method: str, path: str, body: dict) -> dict:
    admin = WsClient(connect.base_url, connect.http)
    await admin.login(ADMIN)
    async with connect.http.request(method, f"{connect.base_url}/api/v1{path}", json=body,
                                    headers={"Authorization": f"Bearer {admin.token}"}) as response:
        found = await response.json()
        assert response.status in (200, 201), found
    return found


def _ids(client: WsClient, event: str) -> list[int]:
    return [e["data"]["conversation"]["id"] if event.startswith("conversation.") else e["data"]["notice"]["id"]
            for e in client.stream(event)]


async def test_a_rotation_through_the_admin_api_is_instant_and_announced(connect, im_server):
    wang, zhang, qian = await connect(WANG), await connect(ZHANG), await connect(QIAN)
    post_conversation = (await wang.request("conv.open", kind="post", post=HEAD))["conversation"]["id"]
    await wang.request("msg.send", conversation=post_conversation, client_msg_id="m1", type="text",
                       content={"text": "请局长审阅"})
    notice = (await wang.request("notice.send", client_msg_id="n1", as_post=sample.TAX_KC + "-ZGY",
                                 selector=HEAD, title="季度申报", body="请于月底前完成", require_confirm=True))
    notice_id = notice["notice"]["id"]
    await zhang.request("notice.open", notice=notice_id)   # read, not confirmed: still pending
    today = dt.date.today().isoformat()
    async with connect.http.get(f"{connect.base_url}/api/v1/posts/{HEAD}/holders",
                                headers={"Authorization": f"Bearer {zhang.token}"}) as response:
        holders = (await response.json())["items"]
    [holding] = [h for h in holders if h["person"]["id"] == zhang.person_id]

    await _admin(connect, "POST", f"/holdings/{holding['holding_id']}/end", {"end": today})
    # answered: 张三 has already been told the conversation is gone; the vacant post keeps the notice
    [removed] = await zhang.wait_events(lambda e: e.get("ev") == "conversation.removed", timeout=2)
    assert removed["data"]["conversation"]["id"] == post_conversation
    assert removed["data"]["post"] == {"code": HEAD, "title": "局长"}
    assert zhang.stream("notice.transferred") == []
    assert post_conversation not in [c["id"] for c in (await zhang.request("conv.list"))["conversations"]]

    await _admin(connect, "POST", f"/posts/{HEAD}/holdings", {"mobile": QIAN, "start": today})
    joined = await qian.wait_events(lambda e: e.get("ev") == "conversation.new", timeout=2)
    assert joined[0]["data"]["conversation"]["id"] == post_conversation
    assert joined[0]["data"]["post"]["code"] == HEAD and joined[0]["data"]["members"]
    handed = await qian.wait_events(lambda e: e.get("ev") == "notice.new", timeout=2)
    assert handed[0]["data"]["notice"]["id"] == notice_id and handed[0]["data"]["handed_over"]
    gone = await zhang.wait_events(lambda e: e.get("ev") == "notice.transferred", timeout=2)
    assert gone[0]["data"]["notice"]["id"] == notice_id

    # the successor starts fresh: unread notice and conversation; the predecessor is out
    [inbox_item] = (await qian.request("notice.list"))["notices"]
    assert inbox_item["id"] == notice_id and inbox_item["read_at"] is None
    listed = {c["id"]: c for c in (await qian.request("conv.list"))["conversations"]}
    assert listed[post_conversation]["unread"] == 1
    assert (await zhang.call("notice.open", notice=notice_id))["error"]["code"] == "forbidden"
    assert (await zhang.call("conv.history", conversation=post_conversation))["error"]["code"] == "forbidden"

    # nothing was left for the sweep, and nobody is told twice
    before = len(qian.events) + len(zhang.events)
    assert await im_server.app[MESSAGING].hand_over_pending_notices() == 0
    await qian.request("ping")
    await zhang.request("ping")
    assert len(qian.events) + len(zhang.events) == before


async def test_a_rotation_by_date_is_announced_once_by_the_sweep(connect, im_server):
    wang, zhang, qian = await connect(WANG), await connect(ZHANG), await connect(QIAN)
    post_conversation = (await wang.request("conv.open", kind="post", post=HEAD))["conversation"]["id"]
    group = (await wang.request("conv.open", kind="group", title="局务会",
                                members=[{"post": HEAD}, {"person": zhang.person_id}]))["conversation"]["id"]
    await rotate(im_server.app[SESSIONS], HEAD, ZHANG, QIAN, dt.date.today())  # no admin call

    runtime = im_server.app[MESSAGING]
    assert await runtime.hand_over_pending_notices() == 0  # the minute's sweep (no notices pending)
    await qian.wait_events(lambda e: e.get("ev") == "conversation.new", count=2)
    await zhang.wait_events(lambda e: e.get("ev") == "conversation.removed")
    await zhang.request("ping")  # anything else for 张三 would have arrived before the reply
    assert sorted(_ids(qian, "conversation.new")) == sorted([post_conversation, group])
    assert _ids(zhang, "conversation.removed") == [post_conversation]  # still in the group in person

    assert await runtime.hand_over_pending_notices() == 0  # the next sweep: nothing new to announce
    await qian.request("ping")
    assert len(qian.stream("conversation.new")) == 2 and len(zhang.stream("conversation.removed")) == 1


async def test_two_nodes_sweeping_at_once_announce_a_rotation_once(connect, im_server, im_settings):
    """Every node sweeps every minute; the committer's lock makes each change one node's."""
    wang, qian = await connect(WANG), await connect(QIAN)
    conversations = {(await wang.request("conv.open", kind="post", post=HEAD))["conversation"]["id"],
                     (await wang.request("conv.open", kind="group", title="局务会",
                                         members=[{"post": HEAD}]))["conversation"]["id"]}
    await rotate(im_server.app[SESSIONS], HEAD, ZHANG, QIAN, dt.date.today())
    other = TestServer(create_app(im_settings))
    await other.start_server()
    try:
        today = dt.date.today()
        runs = [node.app[MESSAGING].committer.submit(rotation_job(None, today))
                for node in (im_server, other) for _ in range(3)]
        rotations = await asyncio.gather(*runs)
    finally:
        await other.close()
    announced = [(conversation, person) for r in rotations for conversation, people in r.joined.items()
                 for person in people]
    assert sorted(announced) == sorted((c, qian.person_id) for c in conversations)
    removed = [c for r in rotations for c in r.left]
    assert sorted(removed) == sorted(conversations)


async def test_an_import_through_the_api_rotates_at_once(connect, im_server):
    wang, zhang, qian = await connect(WANG), await connect(ZHANG), await connect(QIAN)
    post_conversation = (await wang.request("conv.open", kind="post", post=HEAD))["conversation"]["id"]
    today = dt.date.today().isoformat()
    await _admin(connect, "POST", "/import", [
        {"kind": "holding", "post": HEAD, "mobile": ZHANG, "start": "2024-03-01", "end": today},
        {"kind": "holding", "post": HEAD, "mobile": QIAN, "start": today}])
    joined = await qian.wait_events(lambda e: e.get("ev") == "conversation.new", timeout=2)
    assert joined[0]["data"]["conversation"]["id"] == post_conversation
    removed = await zhang.wait_events(lambda e: e.get("ev") == "conversation.removed", timeout=2)
    assert removed[0]["data"]["conversation"]["id"] == post_conversation
