"""One acting principal for every transport: an in-process caller runs the same handler code,
committer and delivery as a websocket frame — same acknowledgement, same idempotency, same
errors, same audit."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from im_server.handlers import Context, failure, invoke
from im_server.keys import MESSAGING
from im_server.protocol import ProtocolError
from orgchart.infra.audit import AuditEntry
from tests.im_server.test_bulk_send import _viewer


async def test_an_in_process_send_reaches_the_socket_and_is_idempotent(im_server, connect):
    runtime = im_server.app[MESSAGING]
    li = await connect("13800000002")
    zhang = Context(runtime, await _viewer(runtime.sessions, "13800000001"), via="bot")
    opened = await invoke(zhang, "conv.open", {"kind": "direct", "person": li.person_id})
    conversation = opened["conversation"]["id"]
    args = {"conversation": conversation, "client_msg_id": "in-process-1", "type": "text",
            "content": {"text": "不经过套接字"}}
    ack = await invoke(zhang, "msg.send", args)
    [event] = await li.wait_events(lambda e: e.get("ev") == "message.new")
    assert event["data"]["message"]["id"] == ack["message"]["id"]
    assert event["data"]["message"]["content"] == {"text": "不经过套接字"}
    again = await invoke(zhang, "msg.send", args | {"content": {"text": "重试"}})
    assert again == {**ack, "duplicate": True}
    # a websocket retry of the same key by the same person is the same duplicate
    ws_zhang = await connect("13800000001")
    frame = await ws_zhang.call("msg.send", **args)
    assert frame["result"] == again


async def test_arguments_are_checked_for_callers_outside_the_socket(im_server):
    runtime = im_server.app[MESSAGING]
    ctx = Context(runtime, await _viewer(runtime.sessions, "13800000001"), via="http")
    with pytest.raises(ProtocolError) as bad:
        await invoke(ctx, "msg.send", {"conversation": "1", "client_msg_id": "x", "type": "text",
                                       "content": {"text": "?"}})
    assert (bad.value.code, bad.value.details) == ("invalid_args", {"field": "conversation"})
    for op in ("no.such.op", "auth"):
        with pytest.raises(ProtocolError) as unknown:
            await invoke(ctx, op, {})
        assert unknown.value.code == "unknown_op"
    assert failure(bad.value) == ("invalid_args", bad.value.message, {"field": "conversation"})
    assert failure(RuntimeError("boom")) is None


async def test_the_audit_log_records_the_principal_and_its_address(im_server):
    runtime = im_server.app[MESSAGING]
    zhang = Context(runtime, await _viewer(runtime.sessions, "13800000001"), via="http",
                    remote="192.0.2.7")
    li = await _viewer(runtime.sessions, "13800000002")
    conversation = (await invoke(zhang, "conv.open", {"kind": "direct", "person": li.person_id}))
    sent = await invoke(zhang, "msg.send", {"conversation": conversation["conversation"]["id"],
                                            "client_msg_id": "audit-1", "type": "text",
                                            "content": {"text": "撤回我"}})
    await invoke(zhang, "msg.recall", {"message": sent["message"]["id"]})
    async with runtime.sessions() as session:
        entry = (await session.execute(select(AuditEntry).where(
            AuditEntry.action == "message.recall"))).scalar_one()
    assert (entry.actor_id, entry.remote, entry.target) == (zhang.me, "192.0.2.7", f"message:{sent['message']['id']}")
    assert json.loads(entry.details)["sender"] == zhang.me
