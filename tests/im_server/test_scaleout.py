"""Two ``zhengding serve`` processes sharing the real PostgreSQL and Redis on this machine.

A message sent through node A reaches members connected to node B; presence is shared; and a
node killed with SIGKILL mid-stream loses nothing: its clients reconnect to the other node and
resume from their cursors, the sender retries unacknowledged sends with the same client ids,
and every receiver ends with every message exactly once, in order.
"""
from __future__ import annotations

import asyncio
import os
import uuid

import aiohttp
import pytest

from orgchart.infra import migrate
from orgchart.infra.db import create_engine, session_maker
from tests.im_server.harness import WsClient, load_sample
from tests.im_server.nodes import Node, forget_namespace, require_redis

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ZHANG, LI, WANG, ZHAO = "13800000001", "13800000002", "13800000003", "13800000004"


@pytest.fixture
async def two_nodes(pg_url, tmp_path):
    await require_redis()
    engine = create_engine(pg_url)
    await migrate.upgrade(engine)
    await load_sample(session_maker(engine))
    await engine.dispose()
    namespace = f"zdtest-{uuid.uuid4().hex[:8]}"
    shared_media = {"ZHENGDING_MEDIA_DIR": str(tmp_path / "media")}  # as a network file system would be
    nodes = [Node(pg_url, namespace, tmp_path, name, env=shared_media) for name in ("node-a", "node-b")]
    try:
        await asyncio.gather(*(node.wait_ready() for node in nodes))
        yield nodes
    finally:
        for node in nodes:
            node.stop()
        await forget_namespace(namespace)


async def _client(http, node: Node, mobile: str, **kwargs) -> WsClient:
    client = WsClient(node.url, http)
    await client.login(mobile)
    await client.connect(**kwargs)
    return client


async def test_message_crosses_nodes_and_presence_is_shared(two_nodes):
    a, b = two_nodes
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{a.url}/healthz") as response:  # a started first: it saw b later
            assert (await response.json())["media_dir_shared"] is True
        async with http.get(f"{b.url}/healthz") as response:
            assert (await response.json())["media_dir_shared"] is True
        zhang = await _client(http, a, ZHANG)
        li = await _client(http, b, LI)
        conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
        await zhang.request("msg.send", conversation=conversation, client_msg_id="x", type="text",
                            content={"text": "跨节点"})
        got = await li.wait_events(lambda e: e.get("ev") == "message.new")
        assert got[0]["data"]["message"]["content"]["text"] == "跨节点"
        presence = await zhang.request("presence", people=[li.person_id, zhang.person_id])
        assert [p["online"] for p in presence["people"]] == [True, True]
        await li.close()
        for _ in range(50):  # the offline update travels through Redis
            presence = await zhang.request("presence", people=[li.person_id])
            if not presence["people"][0]["online"]:
                break
            await asyncio.sleep(0.1)
        assert presence["people"][0]["online"] is False and presence["people"][0]["last_seen"]
        await zhang.close()


async def _send_all(http, nodes, conversation: int, total: int, kill_after: int) -> None:
    """Send ``total`` messages from node A; after ``kill_after`` acks kill A and go on via B,
    retrying the unacknowledged ones with the same client ids."""
    a, b = nodes
    sender = await _client(http, a, WANG)
    sent = 0
    killed = False
    while sent < total:
        try:
            await sender.request("msg.send", conversation=conversation, client_msg_id=f"m{sent}",
                                 type="text", content={"text": str(sent)})
            sent += 1
        except (TimeoutError, ConnectionError, aiohttp.ClientError, AssertionError, RuntimeError):
            await sender.close()
            sender = await _client(http, b, WANG)  # same client id next: no loss, no duplicate
            continue
        if sent == kill_after and not killed:
            killed = True
            a.kill()
    await sender.close()


async def _follow(http, nodes, mobile: str, start: int, total: int) -> list[int]:
    """Receive until ``total`` distinct messages; on disconnect resume on the other node."""
    client = await _client(http, nodes[start], mobile)
    texts: list[int] = []
    node = start
    seen_events = 0
    deadline = asyncio.get_running_loop().time() + 60
    while len(set(texts)) < total and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        fresh = client.stream("message.new")[seen_events:]
        seen_events += len(fresh)
        texts += [int(e["data"]["message"]["content"]["text"]) for e in fresh]
        if client.reader.done():
            cursor = client.cursor
            await client.close()
            node = 1  # node A is gone; everyone resumes on B
            client = await _client(http, nodes[node], mobile, cursor=cursor)
            seen_events = 0
    await client.close()
    return texts


async def test_sigkill_mid_stream_loses_and_duplicates_nothing(two_nodes):
    total = int(os.environ.get("ZHENGDING_KILL_TEST_MESSAGES", "300"))
    async with aiohttp.ClientSession() as http:
        owner = await _client(http, two_nodes[1], ZHANG)
        opened = await owner.request("conv.open", kind="group", title="压力群", members=[
            {"person": p} for p in (await _ids(http, two_nodes[1], [LI, WANG, ZHAO]))])
        conversation = opened["conversation"]["id"]
        await owner.close()
        followers = [asyncio.create_task(_follow(http, two_nodes, LI, 0, total)),
                     asyncio.create_task(_follow(http, two_nodes, ZHAO, 1, total))]
        await asyncio.sleep(0.5)  # followers connected before the stream starts
        await _send_all(http, two_nodes, conversation, total, kill_after=total // 3)
        received = await asyncio.gather(*followers)
    for texts in received:
        assert texts == list(range(total)), f"lost {sorted(set(range(total)) - set(texts))[:10]}, " \
                                            f"duplicates {len(texts) - len(set(texts))}"


async def _ids(http, node: Node, mobiles: list[str]) -> list[int]:
    ids = []
    for mobile in mobiles:
        client = WsClient(node.url, http)
        ids.append((await client.login(mobile))["person"]["id"])
    return ids
