"""Messages and notices sent over HTTP: the same handlers as the websocket ops, end to end with
real sockets on SQLite and PostgreSQL."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from im_server import models as m
from orgchart.http.keys import SESSIONS
from orgchart.infra.audit import AuditEntry
from tests.im_server.test_notices import JZ, LI, RIVER_CHIEFS, ZHANG, ZHAO, of


async def post(connect, path, body, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    async with connect.http.post(f"{connect.base_url}{path}", data=data, headers=headers) as response:
        return response.status, await response.json()


async def test_an_http_send_reaches_the_conversation_and_a_retry_is_a_duplicate(im_server, connect):
    zhang, li = await connect(ZHANG), await connect(LI)
    conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    body = {"conversation": conversation, "client_msg_id": "http-1", "type": "text",
            "content": {"text": "来自集成系统的消息"}}
    status, ack = await post(connect, "/api/v1/messages", body, zhang.token)
    assert status == 201, ack
    assert ack["message"]["conversation"] == conversation and ack["message"]["seq"] == 1
    assert "duplicate" not in ack
    for client in (li, zhang):  # the recipient and the sender's own devices
        [event] = await client.wait_events(lambda e: e.get("ev") == "message.new")
        assert event["data"]["message"] == ack["message"]
        assert event["data"]["message"]["content"] == {"text": "来自集成系统的消息"}
        assert event["data"]["message"]["sender"]["id"] == zhang.person_id

    status, again = await post(connect, "/api/v1/messages", body | {"content": {"text": "重试"}}, zhang.token)
    assert (status, again) == (200, {**ack, "duplicate": True})
    # the same key over the websocket is the same send
    assert (await zhang.request("msg.send", **body)) == again
    async with im_server.app[SESSIONS]() as session:
        stored = await session.scalar(select(func.count()).select_from(m.Message)
                                      .where(m.Message.conversation_id == conversation))
    assert stored == 1
    history = await li.request("conv.history", conversation=conversation)
    assert [msg["id"] for msg in history["messages"]] == [ack["message"]["id"]]


async def test_http_send_refusals_are_the_websocket_errors_as_json(connect):
    zhang, li, zhao = await connect(ZHANG), await connect(LI), await connect(ZHAO)
    conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    good = {"conversation": conversation, "client_msg_id": "e1", "type": "text", "content": {"text": "?"}}

    status, body = await post(connect, "/api/v1/messages", good | {"conversation": "x"}, zhang.token)
    assert status == 400 and body["error"]["code"] == "invalid_args"
    assert body["error"]["details"] == {"field": "conversation"} and "整数" in body["error"]["message"]
    status, body = await post(connect, "/api/v1/messages", good | {"colour": "red"}, zhang.token)
    assert (status, body["error"]["details"]) == (400, {"field": "colour"})
    status, body = await post(connect, "/api/v1/messages", {k: v for k, v in good.items() if k != "type"},
                              zhang.token)
    assert (status, body["error"]["code"], body["error"]["details"]) == (400, "invalid_args", {"field": "type"})
    status, body = await post(connect, "/api/v1/messages", "{not json", zhang.token)
    assert (status, body["error"]["code"]) == (400, "invalid_input")
    status, body = await post(connect, "/api/v1/messages", [good], zhang.token)
    assert (status, body["error"]["code"]) == (400, "invalid_input")
    status, body = await post(connect, "/api/v1/messages", good, None)
    assert (status, body["error"]["code"]) == (401, "unauthenticated")
    status, body = await post(connect, "/api/v1/messages", good, zhao.token)  # not a member
    assert (status, body["error"]["code"]) == (403, "forbidden")
    assert "\u4e00" <= body["error"]["message"][0] <= "\u9fff"
    status, body = await post(connect, "/api/v1/messages", good | {"conversation": 999999}, zhang.token)
    assert (status, body["error"]["code"]) == (404, "not_found")
    # nothing of the refused sends was stored or delivered
    assert (await li.request("conv.history", conversation=conversation))["messages"] == []
    assert not of(li.events, "message.new")


async def test_an_http_notice_reaches_its_recipients_once_and_is_audited(im_server, connect):
    zhang, zhao = await connect(ZHANG), await connect(ZHAO)
    body = {"client_msg_id": "hn-1", "as_post": JZ, "selector": RIVER_CHIEFS, "title": "防汛通知",
            "body": "请做好防汛准备。", "require_confirm": True}
    status, ack = await post(connect, "/api/v1/notices", body, zhang.token)
    assert status == 201, ack
    assert ack["recipients"] == 2
    [event] = await zhao.wait_events(lambda e: e.get("ev") == "notice.new")
    assert event["data"]["notice"] == ack["notice"]
    assert event["data"]["notice"]["sender_post"]["code"] == JZ
    status, again = await post(connect, "/api/v1/notices", body, zhang.token)
    assert (status, again) == (200, {**ack, "duplicate": True})
    assert len((await zhao.request("notice.list"))["notices"]) == 1
    async with im_server.app[SESSIONS]() as session:
        entries = (await session.execute(select(AuditEntry).where(AuditEntry.action == "notice.send"))).scalars().all()
    assert [(e.actor_id, e.target) for e in entries] == [(zhang.person_id, f"notice:{ack['notice']['id']}")]
    assert entries[0].remote == "127.0.0.1"

    # the sender's own post: nobody but the sender, who is left out
    status, refused = await post(connect, "/api/v1/notices", body | {"client_msg_id": "hn-2", "selector": JZ},
                                 zhang.token)
    assert (status, refused["error"]["code"], refused["error"]["details"]) == (422, "no_recipients",
                                                                                {"field": "selector"})
    status, body = await post(connect, "/api/v1/notices", {"client_msg_id": "hn-3", "as_post": JZ,
                                                           "selector": RIVER_CHIEFS, "title": " ",
                                                           "body": "x"}, zhang.token)
    assert (status, body["error"]["code"], body["error"]["details"]) == (400, "invalid_args", {"field": "title"})
    status, body = await post(connect, "/api/v1/notices", {"client_msg_id": "hn-4", "as_post": JZ,
                                                           "selector": RIVER_CHIEFS, "title": "t",
                                                           "body": "b"}, zhao.token)
    assert (status, body["error"]["code"], body["error"]["details"]["field"]) == (403, "forbidden", "as_post")


async def test_the_served_openapi_document_covers_the_whole_server(connect):
    async with connect.http.get(f"{connect.base_url}/api/v1/openapi.json") as response:
        document = await response.json()
    assert document["info"]["title"] == "政钉 Zhengding API"
    assert "directory" not in document["info"]["title"].lower()
    for path in ("/api/v1/messages", "/api/v1/notices", "/api/v1/units", "/api/v1/audit"):
        assert any(p.startswith(path) for p in document["paths"]), path
    assert document["paths"]["/api/v1/messages"]["post"]["requestBody"]["content"]["application/json"][
        "schema"] == {"$ref": "#/components/schemas/SendMessage"}
    assert {"SendMessage", "MessageAck", "SendNotice", "NoticeAck"} <= document["components"]["schemas"].keys()


async def test_http_sends_draw_from_the_users_rate_limit(im_settings):
    import dataclasses

    import aiohttp
    from aiohttp.test_utils import TestServer

    from im_server.app import create_app
    from tests.im_server.harness import WsClient, load_sample

    server = TestServer(create_app(dataclasses.replace(im_settings, ws_burst=3, ws_rate=0.01)))
    await server.start_server()
    await load_sample(server.app[SESSIONS])
    base = str(server.make_url("")).rstrip("/")
    try:
        async with aiohttp.ClientSession() as http:
            zhang, li = WsClient(base, http), WsClient(base, http)
            await zhang.login(ZHANG)
            await li.login(LI)
            await zhang.connect()
            conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))[
                "conversation"]["id"]  # one of the burst of 3
            statuses = []
            for n in range(3):
                async with http.post(f"{base}/api/v1/messages", headers={"Authorization": f"Bearer {zhang.token}"},
                                     json={"conversation": conversation, "client_msg_id": f"burst-{n}",
                                           "type": "text", "content": {"text": str(n)}}) as response:
                    statuses.append((response.status, (await response.json()).get("error", {}).get("code")))
            await zhang.close()
        assert statuses == [(201, None), (201, None), (429, "rate_limited")]
        async with server.app[SESSIONS]() as session:
            stored = await session.scalar(select(func.count()).select_from(m.Message))
        assert stored == 2
    finally:
        await server.close()


async def test_an_http_retry_aimed_elsewhere_is_a_conflict(connect):
    zhang, li, zhao = await connect(ZHANG), await connect(LI), await connect(ZHAO)
    first = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    other = (await zhang.request("conv.open", kind="direct", person=zhao.person_id))["conversation"]["id"]
    body = {"conversation": first, "client_msg_id": "aimed", "type": "text", "content": {"text": "1"}}
    assert (await post(connect, "/api/v1/messages", body, zhang.token))[0] == 201
    status, refused = await post(connect, "/api/v1/messages", body | {"conversation": other}, zhang.token)
    assert (status, refused["error"]["code"], refused["error"]["details"]["field"]) == (409, "conflict",
                                                                                       "client_msg_id")
    assert (await zhao.request("conv.history", conversation=other))["messages"] == []
