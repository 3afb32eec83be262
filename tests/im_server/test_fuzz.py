"""Throw at least 10,000 random and malformed frames at a live server process, then check that a
well-behaved client is still served and the server's memory stayed bounded."""
from __future__ import annotations

import asyncio
import json
import os
import random
import string

import aiohttp
import pytest

from orgchart.infra import migrate
from orgchart.infra.db import create_engine, session_maker
from tests.im_server.harness import WsClient, load_sample
from tests.im_server.nodes import Node

pytestmark = pytest.mark.slow
FRAMES = int(os.environ.get("ZHENGDING_FUZZ_FRAMES", "12000"))
OPS = ["auth", "ping", "conv.open", "conv.list", "conv.get", "conv.history", "msg.send", "msg.edit",
       "msg.recall", "msg.read", "card.click", "notice.send", "notice.status", "search", "presence"]


def _junk(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return rng.randint(-2**63, 2**63)
    if kind == 1:
        return "".join(rng.choice(string.printable + "河长制税务局𠀀\u0000") for _ in range(rng.randrange(40)))
    if kind == 2:
        return rng.random() * 1e308
    if kind == 3:
        return rng.choice([True, False, None])
    if kind == 4:
        return ""
    if kind == 5:
        return rng.randrange(1, 5)
    if kind == 6:
        return [_junk(rng, depth + 1) for _ in range(rng.randrange(5))]
    return {rng.choice(["id", "op", "args", "v", "conversation", "content", "text", "type", "kind",
                        "client_msg_id", "cursor", "token", "members", "selector"]): _junk(rng, depth + 1)
            for _ in range(rng.randrange(6))}


def fuzz_frame(rng: random.Random, conversation: int) -> str:
    shape = rng.randrange(10)
    if shape == 0:  # not JSON at all
        return "".join(rng.choice(string.printable) for _ in range(rng.randrange(1, 200)))
    if shape == 1:  # truncated JSON
        return json.dumps({"v": 1, "id": "t", "op": "ping", "args": {}})[: rng.randrange(1, 30)]
    if shape == 2:  # deep nesting
        return "[" * rng.randrange(1, 5000) + "]" * rng.randrange(0, 5000)
    if shape == 3:  # unknown op
        return json.dumps({"v": 1, "id": str(rng.random()), "op": _junk(rng), "args": {}})
    if shape == 4:  # wrong types everywhere
        return json.dumps({"v": _junk(rng), "id": _junk(rng), "op": rng.choice(OPS), "args": _junk(rng)})
    if shape == 5:  # almost valid sends with junk content
        return json.dumps({"v": 1, "id": f"s{rng.random()}", "op": "msg.send", "args": {
            "conversation": rng.choice([conversation, 999999, -1, "1"]), "client_msg_id": _junk(rng),
            "type": rng.choice(["text", "card", "image", "x"]), "content": _junk(rng)}})
    if shape == 6:  # valid op, junk args
        return json.dumps({"v": 1, "id": f"a{rng.random()}", "op": rng.choice(OPS), "args": _junk(rng)})
    if shape == 7:  # reads of conversations one is not in
        return json.dumps({"v": 1, "id": "r", "op": "conv.history", "args": {"conversation": rng.randrange(1, 50)}})
    if shape == 8:  # selectors that do not parse
        return json.dumps({"v": 1, "id": "g", "op": "conv.open", "args": {
            "kind": "group", "title": "x", "members": [{"selector": _junk(rng) if rng.random() < .5 else "duty:(("}]}})
    return json.dumps(_junk(rng))


async def _fuzz_connection(http, node: Node, token: str, frames: list[str]) -> int:
    """Send frames on one socket (re-opening it if the server closes it, e.g. 1009) and count the
    replies: every frame gets exactly one, so on an open socket replies must equal frames sent."""
    replies = 0
    url = node.url.replace("http", "ws") + "/ws"
    index = 0
    while index < len(frames):
        async with http.ws_connect(url, max_msg_size=0) as ws:
            await ws.send_str(json.dumps({"v": 1, "id": "auth", "op": "auth", "args": {"token": token}}))
            assert json.loads((await ws.receive(timeout=10)).data)["ok"]
            sent = answered = 0
            while index < len(frames) and not ws.closed:
                try:
                    await ws.send_str(frames[index])
                except ConnectionError:
                    break
                index += 1
                sent += 1
                while answered < sent - 20:  # keep at most 20 unanswered
                    message = await ws.receive(timeout=20)
                    if message.type != aiohttp.WSMsgType.TEXT:
                        break
                    answered += "re" in json.loads(message.data)
                if ws.closed:
                    break
            while not ws.closed and answered < sent:
                message = await ws.receive(timeout=20)
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                answered += "re" in json.loads(message.data)
            replies += answered
    return replies


async def test_fuzzed_frames_do_not_hurt_the_server(sqlite_url, tmp_path):
    engine = create_engine(sqlite_url)
    await migrate.upgrade(engine)
    await load_sample(session_maker(engine))
    await engine.dispose()
    node = Node(sqlite_url, "fuzz", tmp_path, "fuzz-node", redis=False,
                env={"ZHENGDING_WS_RATE": "100000", "ZHENGDING_WS_BURST": "100000",
                     "ZHENGDING_WS_MAX_FRAME_BYTES": "65536"})
    try:
        await node.wait_ready()
        async with aiohttp.ClientSession() as http:
            good = WsClient(node.url, http)
            await good.login("13800000001")
            await good.connect()
            other = WsClient(node.url, http)
            await other.login("13800000002")
            conversation = (await good.request("conv.open", kind="direct", person=other.person_id))["conversation"]["id"]
            fuzzer = WsClient(node.url, http)
            await fuzzer.login("13800000003")
            rng = random.Random(2020)
            warmup = [fuzz_frame(rng, conversation) for _ in range(1000)]
            await _fuzz_connection(http, node, fuzzer.token, warmup)
            rss_before = node.rss_kib()
            frames = [fuzz_frame(rng, conversation) for _ in range(FRAMES)]
            replies = await asyncio.gather(*(
                _fuzz_connection(http, node, fuzzer.token, frames[i::4]) for i in range(4)))
            # a socket closed for an oversized frame takes that frame's reply with it; nothing else
            assert sum(replies) >= FRAMES * 0.98, f"only {sum(replies)} replies to {FRAMES} frames"
            rss_after = node.rss_kib()
            # the well-behaved client is still served, correctly
            ack = await good.request("msg.send", conversation=conversation, client_msg_id="after-fuzz",
                                     type="text", content={"text": "还在吗"})
            assert ack["message"]["seq"] >= 1
            history = await good.request("conv.history", conversation=conversation)
            assert history["messages"][-1]["content"] == {"text": "还在吗"}
            await good.close()
        assert node.process.poll() is None, "the server died"
        growth_mib = (rss_after - rss_before) / 1024
        print(f"fuzz: {FRAMES} frames, {sum(replies)} replies, RSS {rss_before} -> {rss_after} KiB")
        assert growth_mib < 64, f"server RSS grew by {growth_mib:.1f} MiB over {FRAMES} fuzzed frames"
    finally:
        node.stop()
