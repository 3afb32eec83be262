"""Plain sends that land in one committer batch are checked and written set-based; each still
gets its own answer: acknowledged, refused, or the original acknowledgement when retried."""
from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from im_server import models as m
from im_server.handlers import HANDLERS, Context
from im_server.keys import MESSAGING
from im_server.protocol import ProtocolError
from orgchart import models as om
from orgchart.service.viewer import Viewer


async def _viewer(sessions, mobile: str) -> Viewer:
    async with sessions() as session:
        person = (await session.execute(select(om.Person.id, om.Person.name, om.Person.role)
                                        .where(om.Person.mobile == mobile))).one()
    return Viewer(person.id, person.name, person.role)


async def test_one_batch_of_mixed_sends(im_server):
    runtime = im_server.app[MESSAGING]
    zhang, li, wang = [await _viewer(runtime.sessions, m) for m in ("13800000001", "13800000002", "13800000003")]
    ctx = {v.person_id: Context(runtime, v) for v in (zhang, li, wang)}
    direct = (await HANDLERS["conv.open"](ctx[zhang.person_id], {"kind": "direct", "person": li.person_id}))
    conversation = direct["conversation"]["id"]
    first = await HANDLERS["msg.send"](ctx[zhang.person_id], {
        "conversation": conversation, "client_msg_id": "before", "type": "text", "content": {"text": "0"}})

    def send(viewer, client_id, text, conv=conversation):
        return HANDLERS["msg.send"](ctx[viewer.person_id], {
            "conversation": conv, "client_msg_id": client_id, "type": "text", "content": {"text": text}})

    # all submitted before the committer runs: they share one batch
    outcomes = await asyncio.gather(
        send(zhang, "a", "1"), send(li, "b", "2"), send(wang, "c", "outsider"),
        send(zhang, "before", "retry"), send(zhang, "a", "same id twice"), send(li, "d", "?", conv=999999),
        send(zhang, "e", "3"), return_exceptions=True)
    a, b, outsider, retry, twice, missing, e = outcomes
    assert [x["message"]["seq"] for x in (a, b, e)] == [2, 3, 4]
    assert isinstance(outsider, ProtocolError) and outsider.code == "forbidden"
    assert isinstance(missing, ProtocolError) and missing.code == "not_found"
    assert retry["duplicate"] and retry["message"]["id"] == first["message"]["id"]
    assert twice["duplicate"] and twice["message"]["id"] == a["message"]["id"]
    async with runtime.sessions() as session:
        stored = (await session.execute(select(m.Message.seq, m.Message.client_msg_id)
                                        .where(m.Message.conversation_id == conversation)
                                        .order_by(m.Message.seq))).all()
        last_seq = await session.scalar(select(m.Conversation.last_seq).where(m.Conversation.id == conversation))
        inbox = await session.scalar(select(func.count()).select_from(m.Inbox))
    assert [tuple(row) for row in stored] == [(1, "before"), (2, "a"), (3, "b"), (4, "e")]
    assert last_seq == 4
    assert inbox == 2 * 1 + 2 * 4  # conversation.new and four messages, each to both members


async def test_a_failing_bulk_run_falls_back_to_one_by_one_without_doubling_anything(im_server, monkeypatch):
    """The bulk run goes without a savepoint; when it fails the batch is rolled back and run
    again carefully: every send is still answered once, and the batch's other jobs are not
    stored twice."""
    from im_server.handlers import messages as messages_module

    runtime = im_server.app[MESSAGING]
    zhang, li = [await _viewer(runtime.sessions, m) for m in ("13800000001", "13800000002")]
    ctx = Context(runtime, zhang)
    conversation = (await HANDLERS["conv.open"](ctx, {"kind": "direct", "person": li.person_id}))["conversation"]["id"]
    first = await HANDLERS["msg.send"](ctx, {"conversation": conversation, "client_msg_id": "first",
                                             "type": "text", "content": {"text": "0"}})
    calls = []

    async def broken_bulk(conn, sends):
        calls.append(len(sends))
        raise RuntimeError("bulk statement failed")

    monkeypatch.setattr(messages_module, "send_many", broken_bulk)

    def send(client_id, **extra):
        return HANDLERS["msg.send"](ctx, {"conversation": conversation, "client_msg_id": client_id,
                                          "type": "text", "content": {"text": client_id}, **extra})

    reply = send("reply", reply_to=first["message"]["id"])  # not plain: its own job, in the same batch
    outcomes = await asyncio.gather(reply, send("a"), send("b"), send("c"))
    assert calls == [3, 3]  # the fast try, then the careful one in a savepoint
    assert sorted(o["message"]["seq"] for o in outcomes) == [2, 3, 4, 5]
    async with runtime.sessions() as session:
        stored = (await session.execute(select(m.Message.client_msg_id).where(
            m.Message.conversation_id == conversation).order_by(m.Message.seq))).scalars().all()
    assert sorted(stored) == ["a", "b", "c", "first", "reply"]
