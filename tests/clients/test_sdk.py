"""The Python SDK against a real server (SQLite and PostgreSQL): send, receive, resume, errors.

Reconnects are forced from both sides — the server dropping a client as too slow (4008) or
going away (1001), the client's socket closing under it — and every test checks that the
events arrive exactly once and in order.
"""
from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from clients.sdk import (
    AuthError,
    Backoff,
    ConnectionLost,
    Event,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    ZhengdingClient,
    ZhengdingError,
)
from clients.sdk.stream import EventStream
from im_server.handlers import HANDLERS
from im_server.keys import MESSAGING
from tests.orgchart import sample

ZHANG, LI, WANG = "13800000001", "13800000002", "13800000003"


async def collect(client: ZhengdingClient, count: int, kind: str = "message.new",
                  timeout: float = 15) -> list[Event]:
    """The next ``count`` events of type ``kind`` from ``client.events()`` (others are skipped)."""
    found: list[Event] = []

    async def run() -> None:
        async for event in client.events():
            if event.type == kind:
                found.append(event)
                if len(found) == count:
                    return

    await asyncio.wait_for(run(), timeout)
    return found


def texts(events: list[Event]) -> list[str]:
    return [e.data["message"]["content"]["text"] for e in events]


def drop_server_side(im_server, person_id: int, code: int | None = None) -> int:
    """Close every socket of ``person_id`` from the server: 4008 by default, or ``code``."""
    dropped = 0
    for connection in im_server.app[MESSAGING].hub.connections():
        if connection.person_id == person_id:
            if code is None:
                connection.drop("test: force a reconnect")
            else:
                asyncio.get_running_loop().create_task(connection.ws.close(code=code))
            dropped += 1
    return dropped


async def connected_again(im_server, person_id: int, timeout: float = 10) -> None:
    """Wait until ``person_id`` has a live (caught-up) socket on the server."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if any(c.person_id == person_id and not c.replaying and not c.closed
               for c in im_server.app[MESSAGING].hub.connections()):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"person {person_id} did not reconnect within {timeout} s")


async def test_send_and_receive_in_order(sdk):
    zhang, li = await sdk(ZHANG), await sdk(LI)
    conversation = await zhang.open_direct(li.person["id"])
    assert conversation.created and conversation.kind == "direct"
    acks = [await zhang.send_text(conversation.id, f"第{i}条") for i in range(3)]
    assert [a.seq for a in acks] == [1, 2, 3] and not any(a.duplicate for a in acks)
    received = await collect(li, 3)
    assert texts(received) == ["第0条", "第1条", "第2条"]
    assert [e.data["message"]["id"] for e in received] == [a.message for a in acks]
    assert [e.position for e in received] == sorted(e.position for e in received)
    assert li.cursor == received[-1].position
    again = await li.open_direct(zhang.person["id"])
    assert again.id == conversation.id and not again.created
    history = await li.history(conversation.id)
    assert [m["content"]["text"] for m in history] == ["第0条", "第1条", "第2条"]


async def test_post_conversation_and_group(sdk):
    wang, zhang = await sdk(WANG), await sdk(ZHANG)
    post = await wang.open_post(sample.TAX_KC + "-JZ")
    await wang.send_text(post.id, "局长您好")
    assert texts(await collect(zhang, 1)) == ["局长您好"]
    reply = await zhang.send_text(post.id, "请讲", as_post=sample.TAX_KC + "-JZ")
    answer = await collect(wang, 2)  # its own message comes back too: it is a member
    assert answer[-1].data["message"]["id"] == reply.message
    assert answer[-1].data["message"]["as_post"]["code"] == sample.TAX_KC + "-JZ"
    group = await zhang.open_group("河长群", selectors=["duty:河长"], people=[wang.person["id"]])
    assert group.kind == "group" and group.created


async def test_reconnect_after_server_drops_resumes_without_loss_or_duplicates(sdk, im_server):
    zhang, li = await sdk(ZHANG), await sdk(LI)
    conversation = await zhang.open_direct(li.person["id"])
    received = asyncio.create_task(collect(li, 30, timeout=30))
    for i in range(30):
        await zhang.send_text(conversation.id, str(i))
        if i in (5, 17):  # too slow (4008), then a node going away (1001)
            await connected_again(im_server, li.person["id"])  # after the first drop: backoff
            assert drop_server_side(im_server, li.person["id"], None if i == 5 else 1001) == 1
        if i in (6, 18):
            await asyncio.sleep(0.05)  # let a few messages land while the client is away
    events = await received
    assert texts(events) == [str(i) for i in range(30)]
    assert len({e.position for e in events}) == 30
    assert li.reconnects >= 2


async def test_reconnect_after_client_side_close(sdk):
    zhang, li = await sdk(ZHANG), await sdk(LI)
    conversation = await zhang.open_direct(li.person["id"])
    await zhang.send_text(conversation.id, "before")
    assert texts(await collect(li, 1)) == ["before"]
    await li._ws.close()  # the socket dies under the client (as a network failure would)
    for text in ("during-1", "during-2"):
        await zhang.send_text(conversation.id, text)
    await zhang.send_text(conversation.id, "after")
    assert texts(await collect(li, 3)) == ["during-1", "during-2", "after"]
    assert li.reconnects == 1
    assert (await li.request("ping"))["time"]


async def test_send_retries_with_the_same_client_id_until_acknowledged(sdk, im_server, monkeypatch):
    """The acknowledgement is lost (socket dropped after COMMIT): the retry stores nothing new."""
    zhang, li = await sdk(ZHANG), await sdk(LI)
    conversation = await zhang.open_direct(li.person["id"])
    real_send, calls = HANDLERS["msg.send"], []

    async def lose_first_ack(ctx, args):
        calls.append(args["client_msg_id"])
        result = await real_send(ctx, args)
        if len(calls) == 1:
            ctx.connection.drop("test: lose the acknowledgement")
        return result

    monkeypatch.setitem(HANDLERS, "msg.send", lose_first_ack)
    ack = await zhang.send_text(conversation.id, "只发一次")
    assert len(calls) == 2 and calls[0] == calls[1] == ack.client_msg_id
    assert ack.duplicate and ack.seq == 1
    assert [m["content"]["text"] for m in await li.history(conversation.id)] == ["只发一次"]
    assert texts(await collect(li, 1)) == ["只发一次"]


async def test_non_idempotent_request_reports_the_lost_connection(sdk, im_server, monkeypatch):
    zhang = await sdk(ZHANG)

    async def drop(ctx, args):
        ctx.connection.drop("test")
        await asyncio.sleep(0.5)
        return {}

    monkeypatch.setitem(HANDLERS, "msg.edit", drop)
    with pytest.raises(ConnectionLost) as caught:
        await zhang.request("msg.edit", message=1, content={"text": "x"})
    assert caught.value.code == "disconnected"


async def test_resume_from_a_saved_cursor_and_resync(sdk):
    zhang, li = await sdk(ZHANG), await sdk(LI)
    conversation = await zhang.open_direct(li.person["id"])
    await zhang.send_text(conversation.id, "一")
    await collect(li, 1)
    saved = li.cursor
    await li.close()
    for text in ("二", "三"):
        await zhang.send_text(conversation.id, text)
    resumed = await sdk(LI, cursor=saved)
    assert texts(await collect(resumed, 2)) == ["二", "三"]
    assert [e.type for e in await collect(resumed, 1, kind="sync.caught_up")]

    stale = await sdk(LI, cursor=10**9)
    first = await collect(stale, 1, kind="sync.resync")
    assert first[0].control
    await zhang.send_text(conversation.id, "四")  # after a resync new events still arrive
    assert texts(await collect(stale, 1)) == ["四"]


async def test_slow_consumer_overflow_resumes_without_gaps(sdk):
    zhang = await sdk(ZHANG)
    li = await sdk(LI, max_buffer=4)
    conversation = await zhang.open_direct(li.person["id"])
    for i in range(20):
        await zhang.send_text(conversation.id, str(i))
    await asyncio.sleep(0.3)  # everything has reached the client, most of it ignored
    events = await collect(li, 20)
    assert texts(events) == [str(i) for i in range(20)]
    assert li.reconnects >= 1


async def test_error_replies_raise_typed_errors(sdk, base_url):
    zhang, li = await sdk(ZHANG), await sdk(LI)
    with pytest.raises(NotFound) as caught:
        await zhang.request("conv.get", conversation=999_999)
    assert caught.value.code == "not_found" and caught.value.message
    group = await zhang.open_group("内部群", people=[])
    with pytest.raises(PermissionDenied) as caught:
        await li.request("conv.history", conversation=group.id)
    assert caught.value.code == "forbidden"
    with pytest.raises(InvalidRequest) as caught:
        await zhang.request("msg.send", conversation="x", client_msg_id="a", type="text",
                            content={"text": "x"})
    assert caught.value.code == "invalid_args" and caught.value.details["field"] == "conversation"
    with pytest.raises(InvalidRequest) as caught:
        await zhang.request("no.such.op")
    assert caught.value.code == "unknown_op"
    stranger = ZhengdingClient(base_url)
    try:
        with pytest.raises(AuthError) as caught:
            await stranger.login(ZHANG, "wrong-password")
        assert caught.value.status == 401 and caught.value.code == "unauthenticated"
    finally:
        await stranger.close()


async def test_revoked_token_ends_the_stream_with_an_auth_error(sdk, im_server):
    li = await sdk(LI)
    token = li.token
    await li.logout()  # the server revokes the token; the open socket stays up for now
    li.token = token  # as if another device had signed out everywhere: the client still has it
    drop_server_side(im_server, li.person["id"])
    with pytest.raises(AuthError):
        await collect(li, 1)
    with pytest.raises(AuthError):
        await li.request("ping")


async def test_upload_posts_the_file_as_multipart(tmp_path):
    """Against the contract of ``POST /api/v1/conversations/{id}/media`` (part ``file``)."""
    seen: dict = {}

    async def media(request: web.Request) -> web.Response:
        seen["auth"] = request.headers["Authorization"]
        seen["conversation"] = request.match_info["id"]
        reader = await request.multipart()
        part = await reader.next()
        seen["part"], seen["filename"] = part.name, part.filename
        seen["content_type"], seen["bytes"] = part.headers["Content-Type"], await part.read()
        return web.json_response({"media": "m-1", "kind": "image"}, status=201)

    app = web.Application()
    app.router.add_post("/api/v1/conversations/{id}/media", media)
    server = TestServer(app)
    await server.start_server()
    path = tmp_path / "河道.png"
    path.write_bytes(b"\x89PNG fake")
    client = ZhengdingClient(str(server.make_url("")), token="tok")
    try:
        answer = await client.upload(7, path)
    finally:
        await client.close()
        await server.close()
    assert answer == {"media": "m-1", "kind": "image"}
    assert seen == {"auth": "Bearer tok", "conversation": "7", "part": "file", "filename": "河道.png",
                    "content_type": "image/png", "bytes": b"\x89PNG fake"}


async def test_send_media_through_the_real_upload_endpoint(sdk, im_server, tmp_path):
    if not any(r.canonical.endswith("/media") for r in im_server.app.router.resources()):
        pytest.skip("the media upload endpoint is not part of this server yet")
    from PIL import Image

    zhang, li = await sdk(ZHANG), await sdk(LI)
    conversation = await zhang.open_direct(li.person["id"])
    path = tmp_path / "巡河.png"
    Image.new("RGB", (40, 30), (200, 30, 30)).save(path)
    ack = await zhang.send_media(conversation.id, path)
    (event,) = await collect(li, 1)
    message = event.data["message"]
    assert message["id"] == ack.message and message["type"] == "image"
    assert message["content"]["media"]
    document = tmp_path / "台账.txt"
    document.write_text("河长巡河台账", encoding="utf-8")
    await zhang.send_media(conversation.id, document)
    assert (await collect(li, 1))[0].data["message"]["type"] == "file"


# --- the pure parts -------------------------------------------------------------------------------


def test_backoff_grows_with_jitter_and_resets():
    backoff = Backoff(initial=1, factor=2, maximum=8, rand=lambda: 1.0)
    assert [backoff.next() for _ in range(5)] == [1, 2, 4, 8, 8]
    backoff.reset()
    low = Backoff(initial=1, factor=2, maximum=8, rand=lambda: 0.0)
    assert [low.next() for _ in range(3)] == [0.5, 1, 2]
    with pytest.raises(ValueError):
        Backoff(initial=0)


async def test_stream_drops_duplicates_and_tracks_cursors():
    stream = EventStream(max_buffer=10)
    stream.start_at(5)
    for position in (4, 5, 6, 6, 7):
        stream.offer(Event("message.new", position, {}))
    stream.control(Event("sync.caught_up", 0, {"state": "caught_up", "cursor": 9}), requested=5)
    assert stream.resume_from == 9
    stream.offer(Event("message.new", 8, {}))  # at or below the caught-up position: a duplicate
    stream.finish()
    got = [(e.type, e.position) async for e in stream]
    assert got == [("message.new", 6), ("message.new", 7), ("sync.caught_up", 0)]
    assert stream.cursor == 9


async def test_stream_resync_that_repeats_our_cursor_is_not_a_silent_gap():
    stream = EventStream()
    stream.start_at(10**9)
    stream.control(Event("sync.resync", 0, {"state": "resync", "cursor": 10**9}), requested=10**9)
    assert stream.resume_from is None  # the next event, whatever its position, is accepted
    stream.control(Event("sync.live", 0, {"state": "live", "cursor": 40}), requested=None)
    stream.offer(Event("message.new", 41, {}))
    stream.finish(ZhengdingError("x", "y"))
    got = []
    with pytest.raises(ZhengdingError):
        async for event in stream:
            got.append(event.type)
    assert got == ["sync.resync", "sync.resync", "message.new"]
    assert json.dumps(stream.cursor) == "41"
