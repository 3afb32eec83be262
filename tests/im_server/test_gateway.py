"""The websocket gateway's edges on a live server: auth, origins, limits, floods."""
from __future__ import annotations

import asyncio
import datetime as dt
import json

import aiohttp
import pytest

from im_server.delivery.connection import TOO_SLOW
from tests.im_server.harness import WsClient

ZHANG, LI = "13800000001", "13800000002"


@pytest.fixture
def im_settings(sqlite_url, tmp_path):
    from orgchart.infra.config import Settings

    return Settings(database_url=sqlite_url, demo_data=False, media_dir=str(tmp_path / "media"),
                    ws_auth_timeout=1.0, ws_rate=50, ws_burst=20, ws_max_frame_bytes=4096,
                    allowed_origins=("https://zhengding.example",))


async def test_unauthenticated_socket_is_closed_after_the_deadline(connect):
    ws = await connect.http.ws_connect(connect.base_url.replace("http", "ws") + "/ws")
    await ws.send_str(json.dumps({"v": 1, "id": "1", "op": "conv.list"}))
    reply = json.loads((await ws.receive(timeout=5)).data)
    assert reply["error"]["code"] == "unauthenticated"
    timeout = json.loads((await ws.receive(timeout=5)).data)
    assert timeout["error"]["code"] == "auth_timeout"
    assert (await ws.receive(timeout=5)).type == aiohttp.WSMsgType.CLOSE
    assert ws.close_code == 1008


async def test_token_in_first_frame_works_and_bad_token_is_refused(connect):
    client = WsClient(connect.base_url, connect.http)
    await client.login(ZHANG)
    client.token, good = "wrong", client.token
    with pytest.raises(AssertionError):
        await client.connect(use_ticket=False)
    await client.close()
    client = WsClient(connect.base_url, connect.http)
    await client.login(ZHANG)
    await client.connect(use_ticket=False)
    assert dt.datetime.fromisoformat((await client.request("ping"))["time"]).utcoffset() is not None
    await client.close()
    assert good


async def test_ticket_is_single_use_and_token_in_url_is_refused(connect):
    client = WsClient(connect.base_url, connect.http)
    await client.login(ZHANG)
    async with connect.http.post(f"{connect.base_url}/api/v1/ws-ticket",
                                 headers={"Authorization": f"Bearer {client.token}"}) as response:
        ticket = (await response.json())["ticket"]
    url = connect.base_url.replace("http", "ws") + "/ws"
    ws = await connect.http.ws_connect(f"{url}?ticket={ticket}")
    await ws.close()
    with pytest.raises(aiohttp.WSServerHandshakeError) as reused:
        await connect.http.ws_connect(f"{url}?ticket={ticket}")
    assert reused.value.status == 401
    with pytest.raises(aiohttp.WSServerHandshakeError) as in_url:
        await connect.http.ws_connect(f"{url}?token={client.token}")
    assert in_url.value.status == 400


async def test_foreign_origin_is_refused_before_upgrade(connect):
    url = connect.base_url.replace("http", "ws") + "/ws"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect.http.ws_connect(url, origin="https://evil.example")
    assert refused.value.status == 403
    ws = await connect.http.ws_connect(url, origin="https://zhengding.example")
    await ws.close()


async def test_oversized_frame_closes_with_1009_and_others_are_served(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    await zhang.raw("x" * 10000)
    await asyncio.wait_for(zhang.reader, 5)
    assert zhang.closed_with == 1009
    assert (await li.request("ping"))["time"]


async def test_flood_gets_rate_limited_and_others_are_served(connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    frames = [json.dumps({"v": 1, "id": f"f{i}", "op": "ping"}) for i in range(300)]
    for frame in frames:
        if zhang.ws.closed:
            break
        await zhang.raw(frame)
    await asyncio.wait_for(zhang.reader, 10)
    codes = [e.get("error", {}).get("code") for e in zhang.events]
    assert "rate_limited" in codes
    assert zhang.closed_with == 1008
    assert (await li.request("ping"))["time"]


async def test_slow_client_is_disconnected_and_resumes(connect, im_server):
    from im_server.keys import MESSAGING

    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    runtime = im_server.app[MESSAGING]
    [connection] = [c for c in runtime.hub.connections() if c.person_id == li.person_id]
    connection.max_buffer = -1  # this client is now "too slow": the next event overflows its buffer
    await zhang.request("msg.send", conversation=conversation, client_msg_id="1", type="text",
                        content={"text": "一"})
    await asyncio.wait_for(li.reader, 5)
    assert li.closed_with == TOO_SLOW
    assert (await zhang.request("ping"))["time"]  # the sender is unaffected
    resumed = await connect(LI, cursor=0 if not li.cursor else li.cursor)
    events = await resumed.wait_events(lambda e: e.get("ev") == "message.new")
    assert events[0]["data"]["message"]["content"]["text"] == "一"


async def test_rate_limit_is_per_user_not_per_connection(connect):
    """Two sockets of one user share one budget: 2 x 15 requests exceed a burst of 20."""
    first, second = await connect(ZHANG), await connect(ZHANG)
    replies = await asyncio.gather(*(client.call("ping") for client in (first, second) for _ in range(15)))
    codes = [reply.get("error", {}).get("code") for reply in replies]
    assert codes.count("rate_limited") >= 5
    other = await connect(LI)  # someone else's budget is untouched
    assert (await other.request("ping"))["time"]


async def test_database_trouble_during_auth_is_answered_not_dropped(connect, im_server, monkeypatch):
    """A pool timeout in a reconnect storm: the client gets 'unavailable' and 1013, and retries."""
    from im_server.keys import MESSAGING

    client = WsClient(connect.base_url, connect.http)
    await client.login(ZHANG)
    accounts = im_server.app[MESSAGING].accounts

    async def overloaded(tokens):
        raise TimeoutError("QueuePool limit reached")

    monkeypatch.setattr(accounts, "viewers_for_tokens", overloaded)
    ws = await connect.http.ws_connect(connect.base_url.replace("http", "ws") + "/ws")
    await ws.send_str(json.dumps({"v": 1, "id": "a", "op": "auth", "args": {"token": client.token}}))
    reply = json.loads((await ws.receive(timeout=5)).data)
    assert reply["re"] == "a" and reply["error"]["code"] == "unavailable"
    assert (await ws.receive(timeout=5)).type == aiohttp.WSMsgType.CLOSE and ws.close_code == 1013
