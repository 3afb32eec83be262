"""Odd input never becomes ``internal``: numbers too big for their column, text that cannot be
encoded, endless digits, odd ``v``, empty keys, misaimed retries, bad cursors, limits at their
edge, HTTP the parser refuses, oversized JSON bodies. Unit tests of the protocol core, then a
real server on both backends."""
from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from im_server.protocol import Dispatch, ProtocolCore, Reply
from im_server.protocol.schema import INT64, OPERATIONS
from orgchart.infra.safe_json import TOO_LONG, find_unsafe, loads
from tests.im_server.harness import PASSWORD, WsClient
from tests.orgchart import sample

ZHANG, LI, WANG = "13800000001", "13800000002", "13800000003"
HUGE = "9" * 5000


def receive(text: str) -> dict:
    core = ProtocolCore()
    core.authenticated()
    decision = core.receive(text, 0.0)
    assert isinstance(decision, Reply), decision
    reply = json.loads(decision.text)
    decision.text.encode("utf-8")  # whatever came in, the reply can be sent
    return reply


def frame(op: str, args: dict, **extra) -> str:
    return json.dumps({"v": 1, "id": "x", "op": op, "args": args, **extra})


# --- the protocol core, without sockets ---------------------------------------------------------

def test_every_integer_argument_is_bounded():
    for op, fields in OPERATIONS.items():
        for name, spec in fields.items():
            if spec.kind is int or spec.int_items:
                assert spec.minimum is not None and spec.maximum is not None, (op, name)
                assert -INT64 <= spec.minimum and spec.maximum <= INT64, (op, name)


@pytest.mark.parametrize(("op", "args", "field"), [
    ("conv.open", {"kind": "direct", "person": 10**30}, "person"),       # OverflowError before
    ("conv.open", {"kind": "direct", "person": 2**31}, "person"),
    ("notice.list", {"before": 10**20}, "before"),
    ("notice.status", {"notice": 1, "offset": 2**40}, "offset"),
    ("search", {"query": "x", "conversation": 2**40}, "conversation"),
    ("presence", {"people": [1, 10**12]}, "people"),
    ("presence", {"people": [1, "2"]}, "people"),
    ("notice.send", {"client_msg_id": "c", "as_post": "p", "selector": "s", "title": "t", "body": "b",
                     "urgent": True, "remind_interval_seconds": 10**15}, "remind_interval_seconds"),
])
def test_numbers_beyond_their_column_are_invalid_args(op, args, field):
    reply = receive(frame(op, args))
    assert reply["error"]["code"] == "invalid_args" and reply["error"]["details"]["field"] == field


def test_a_number_of_5000_digits_is_invalid_args_naming_the_field():
    text = '{"v":1,"id":"x","op":"conv.get","args":{"conversation":@N@}}'.replace("@N@", HUGE)
    reply = receive(text)   # was bad_frame "not JSON" (ValueError from int())
    assert reply["re"] == "x" and reply["error"]["code"] == "invalid_args"
    assert reply["error"]["details"]["field"] == "conversation"
    nested = '{"v":1,"id":"y","op":"msg.send","args":{"conversation":1,"client_msg_id":"c",' \
             '"type":"text","content":{"text":"a","n":-@N@}}}'.replace("@N@", HUGE)
    assert receive(nested)["error"]["details"]["field"] == "content"


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "nul\x00"])
def test_unencodable_or_unstorable_text_is_invalid_args(text):
    reply = receive(frame("msg.send", {"conversation": 1, "client_msg_id": "c", "type": "text",
                                       "content": {"text": text}}))
    assert reply["error"]["code"] == "invalid_args" and reply["error"]["details"]["field"] == "content"
    reply = receive(frame("conv.open", {"kind": "post", "post": text}))
    assert reply["error"]["details"]["field"] == "post"
    reply = receive(frame("conv.list", {text: 1}))  # the bad text is a key: not quoted back
    assert reply["error"]["code"] == "invalid_args" and reply["error"]["details"]["field"] == "args"


def test_a_request_id_that_cannot_be_encoded_gets_re_null():
    reply = receive(json.dumps({"v": 1, "id": "\ud800", "op": "ping"}))
    assert reply["re"] is None and reply["error"]["code"] == "bad_frame"


@pytest.mark.parametrize("version", [True, 1.0, "1", None, [1]])
def test_v_must_be_an_integer(version):
    reply = receive(json.dumps({"v": version, "id": "x", "op": "ping"}))
    assert reply["error"]["code"] == "bad_frame" and reply["error"]["details"]["field"] == "v"
    assert receive(json.dumps({"v": 2, "id": "x", "op": "ping"}))["error"]["code"] == "unsupported_version"


def test_v_1_and_no_v_are_accepted():
    core = ProtocolCore()
    core.authenticated()
    assert isinstance(core.receive(json.dumps({"v": 1, "id": "a", "op": "ping"}), 0.0), Dispatch)
    assert isinstance(core.receive(json.dumps({"id": "b", "op": "ping"}), 0.0), Dispatch)


def test_client_msg_id_must_not_be_empty():
    reply = receive(frame("msg.send", {"conversation": 1, "client_msg_id": "", "type": "text",
                                       "content": {"text": "a"}}))
    assert reply["error"]["code"] == "invalid_args" and reply["error"]["details"]["field"] == "client_msg_id"


def test_auth_on_an_authenticated_socket_names_the_field():
    reply = receive(frame("auth", {"token": "t"}))
    assert reply["error"]["code"] == "invalid_args" and reply["error"]["details"]["field"] == "op"


def test_safe_json():
    assert loads("[1, -12345678901234567890, 123456789012345678901]") == [1, -12345678901234567890, TOO_LONG]
    with pytest.raises(ValueError):
        loads("[NaN]")
    assert find_unsafe({"a": [{"b": "\ud800"}]}) == "text" and find_unsafe({"\x00": 1}) == "text"
    assert find_unsafe([[[[TOO_LONG]]]]) == "number" and find_unsafe({"a": ["河长", 1]}) is None


# --- a real server ----------------------------------------------------------------------------

async def _direct(a, b) -> int:
    return (await a.request("conv.open", kind="direct", person=b.person_id))["conversation"]["id"]


async def test_odd_arguments_over_a_real_socket_are_invalid_args(connect):
    zhang = await connect(ZHANG)
    li = await connect(LI)
    conversation = await _direct(zhang, li)
    cases = [
        ("conv.open", {"kind": "direct", "person": 10**30}, "person"),
        ("conv.open", {"kind": "group", "title": "t", "members": [{"person": 10**30}]}, "members"),
        ("msg.send", {"conversation": conversation, "client_msg_id": "s", "type": "text",
                      "content": {"text": "\ud800"}}, "content"),    # failed in the committer
        ("msg.send", {"conversation": conversation, "client_msg_id": "s", "type": "card",
                      "content": {"title": "t", "buttons": [{"action": "a", "label": "l", "url": 10**30}]}},
         "content"),
        ("msg.send", {"conversation": conversation, "client_msg_id": "", "type": "text",
                      "content": {"text": "x"}}, "client_msg_id"),
    ]
    for op, args, field in cases:
        reply = await zhang.call(op, **args)
        assert not reply["ok"] and reply["error"]["code"] == "invalid_args", (op, args, reply)
        assert reply["error"]["details"]["field"] == field
    await zhang.raw('{"v":1,"id":"big","op":"conv.get","args":{"conversation":@N@}}'.replace("@N@", HUGE))
    (big,) = await zhang.wait_events(lambda e: e.get("re") == "big")
    assert big["error"]["code"] == "invalid_args" and big["error"]["details"]["field"] == "conversation"
    # nothing was stored, and the socket still serves
    assert (await zhang.request("conv.history", conversation=conversation))["messages"] == []


async def test_a_retry_aimed_at_another_conversation_is_a_conflict(connect):
    zhang, li, wang = await connect(ZHANG), await connect(LI), await connect(WANG)
    to_li, to_wang = await _direct(zhang, li), await _direct(zhang, wang)
    for key, extra in (("plain", {}), ("urgent", {"urgent": True})):  # the bulk and the single path
        first = await zhang.request("msg.send", conversation=to_li, client_msg_id=key, type="text",
                                    content={"text": "给李四"}, **extra)
        misaimed = await zhang.call("msg.send", conversation=to_wang, client_msg_id=key, type="text",
                                    content={"text": "给王五"}, **extra)
        assert misaimed["error"]["code"] == "conflict", misaimed   # was the old ack
        assert misaimed["error"]["details"]["field"] == "client_msg_id"
        again = await zhang.request("msg.send", conversation=to_li, client_msg_id=key, type="text",
                                    content={"text": "给李四"}, **extra)
        assert again == {"message": first["message"], "duplicate": True}
    assert (await zhang.request("conv.history", conversation=to_wang))["messages"] == []


async def test_a_notice_retry_from_another_post_is_a_conflict(connect):
    zhang = await connect(ZHANG)
    await connect(LI)
    args = {"client_msg_id": "n1", "selector": "duty:河长", "title": "防汛", "body": "今晚巡河"}
    first = await zhang.request("notice.send", as_post=sample.TAX_KC + "-JZ", **args)
    misaimed = await zhang.call("notice.send", as_post=sample.TOWN + "-SJ", **args)
    assert misaimed["error"]["code"] == "conflict" and misaimed["error"]["details"]["field"] == "client_msg_id"
    again = await zhang.request("notice.send", as_post=sample.TAX_KC + "-JZ", **args)
    assert again["duplicate"] and again["notice"]["id"] == first["notice"]["id"]


@pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", "", "٣", str(2**63), "1&cursor=2"])
async def test_a_bad_ticket_cursor_is_refused_and_the_ticket_kept(connect, cursor):
    client = WsClient(connect.base_url, connect.http)
    await client.login(ZHANG)
    async with connect.http.post(f"{connect.base_url}/api/v1/ws-ticket",
                                 headers={"Authorization": f"Bearer {client.token}"}) as response:
        ticket = (await response.json())["ticket"]
    url = connect.base_url + f"/ws?ticket={ticket}&cursor={cursor}"
    async with connect.http.get(url) as response:   # was: taken as "no cursor" (no replay)
        body = await response.json()
        assert response.status == 400, body
    assert body["error"]["code"] == "invalid_args" and body["error"]["details"]["field"] == "cursor"
    ws = await connect.http.ws_connect(connect.base_url.replace("http", "ws") + f"/ws?ticket={ticket}&cursor=0")
    synced = json.loads((await ws.receive(timeout=5)).data)
    assert synced["ev"] in ("sync.caught_up", "sync.resync")   # the ticket was not used up
    await ws.close()


@pytest.fixture
def im_settings(db_url, tmp_path):
    from orgchart.infra.config import Settings

    return Settings(database_url=db_url, demo_data=False, media_dir=str(tmp_path / "media"),
                    ws_auth_timeout=1.0, ws_max_frame_bytes=256 * 1024)


async def test_a_frame_of_exactly_the_limit_is_accepted(connect):
    zhang = await connect(ZHANG, max_msg_size=0)
    limit = 256 * 1024
    head = '{"v":1,"id":"edge","op":"ping","args":{},"pad":"'
    text = head + "x" * (limit - len(head) - 2) + '"}'
    assert len(text.encode()) == limit
    await zhang.raw(text)        # closed the socket with 1009 before
    (reply,) = await zhang.wait_events(lambda e: e.get("re") == "edge")
    assert reply["ok"]
    await zhang.raw(text[:-2] + 'x"}')
    await zhang.reader
    assert zhang.closed_with == 1009


async def test_an_overlong_request_line_or_header_gets_the_json_error(connect, caplog):
    caplog.set_level(logging.INFO)
    async with aiohttp.ClientSession() as http:
        for kwargs in ({"url": connect.base_url + "/api/v1/me?" + "x" * 9000},
                       {"url": connect.base_url + "/api/v1/me", "headers": {"X-Long": "y" * 9000}}):
            async with http.get(**kwargs) as response:
                assert 400 <= response.status < 500
                assert response.content_type == "application/json"
                body = await response.json()
            assert body["error"]["code"] == "request_too_large"
            assert "\u4e00" <= body["error"]["message"][0] <= "\u9fff"
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


async def test_login_body_limit_and_odd_json(connect):
    url = connect.base_url + "/api/v1/login"
    async with aiohttp.ClientSession() as http:
        big = json.dumps({"mobile": ZHANG, "password": "p" * (50 * 1024 * 1024)})
        async with http.post(url, data=big, headers={"Content-Type": "application/json"}) as response:
            body = await response.json()
            assert response.status == 413, body
        assert body["error"]["code"] == "payload_too_large"

        async def chunks():   # no Content-Length: refused once the limit is passed
            yield b'{"mobile": "13800000001", "password": "'
            for _ in range(64):
                yield b"p" * 1024
            yield b'"}'

        async with http.post(url, data=chunks()) as response:
            assert response.status == 413
        for password in ('"\\ud800"', '"\\u0000"'):   # 500 internal before
            async with http.post(url, data=f'{{"mobile": "{ZHANG}", "password": {password}}}') as response:
                body = await response.json()
                assert response.status == 400 and body["error"]["code"] == "invalid_input", body
        async with http.post(url, json={"mobile": ZHANG, "password": PASSWORD}) as response:
            assert response.status == 200


async def test_http_send_body_limit_and_endless_digits(connect):
    client = WsClient(connect.base_url, connect.http)
    await client.login(ZHANG)
    text = '{"conversation": @N@, "client_msg_id": "d", "type": "text", "content": {"text": "x"}}'.replace(
        "@N@", HUGE)
    async with connect.http.post(connect.base_url + "/api/v1/messages", data=text,
                                 headers={"Authorization": f"Bearer {client.token}"}) as response:
        body = await response.json()   # 500 internal before (int() refuses 5,000 digits)
        assert response.status == 400 and body["error"]["code"] == "invalid_input", body
    body = json.dumps({"conversation": 1, "client_msg_id": "b", "type": "text",
                       "content": {"text": "x" * (300 * 1024)}})
    async with connect.http.post(connect.base_url + "/api/v1/messages", data=body,
                                 headers={"Authorization": f"Bearer {client.token}"}) as response:
        assert response.status == 413 and (await response.json())["error"]["code"] == "payload_too_large"
