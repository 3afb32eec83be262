"""msg.receipts and msg.readers: read receipts of one's own messages, as DingTalk shows them.

The counts come from the members' read marks (see :mod:`im_server.stores.receipts`); live
changes reach the sender as ``message.read`` events (sent by ``msg.read``, see
:mod:`im_server.handlers.messages`), one per read that moves a mark past their messages —
never one per member per read.
"""
from __future__ import annotations

from typing import Any

from im_server.handlers import Context
from im_server.handlers.conversations import _require_member, conversation_json
from im_server.protocol import ProtocolError
from im_server.protocol.schema import INT64
from im_server.stores import messages as message_store
from im_server.stores import receipts as store
from im_server.stores.membership import recipients

MAX_MESSAGES = 200


async def message_receipts(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Read/unread counts of the caller's own messages (the given ids, or the latest 200)."""
    ids = args.get("messages")
    if ids is not None and not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= INT64 for i in ids):
        raise ProtocolError("invalid_args", "messages 必须是消息 id (正整数) 的数组", field="messages")
    async with ctx.rt.engine.connect() as conn:
        conversation, _, _ = await _require_member(conn, ctx, args["conversation"])
        rows = await store.messages_of(conn, conversation["id"], ids, ctx.me,
                                       len(ids) if ids is not None else MAX_MESSAGES)
        members = await recipients(conn, conversation["id"], ctx.today())
        marks = await store.read_marks(conn, conversation["id"])
    tally = store.Tally(members, ctx.me, marks)
    return {"conversation": conversation_json(conversation), "members": len(tally.others),
            "receipts": [{"message": r.id, "seq": r.seq, "read": tally.read(r.seq),
                          "unread": tally.unread(r.seq)} for r in sorted(rows, key=lambda r: r.seq)]}


async def message_readers(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Who has and has not read one of the caller's messages (the sender only)."""
    async with ctx.rt.engine.connect() as conn:
        row = await message_store.get(conn, args["message"])
        if row is None:
            raise ProtocolError("not_found", "消息不存在")
        await _require_member(conn, ctx, row.conversation_id)
        if row.sender_id != ctx.me:
            raise ProtocolError("forbidden", "只有消息的发送者可以查看已读详情")
        members = await recipients(conn, row.conversation_id, ctx.today())
        marks = await store.read_marks(conn, row.conversation_id)
        others = members - {ctx.me}
        names = await store.names(conn, others)

    def people(ids: set[int]) -> list[dict[str, Any]]:
        return sorted(({"id": p, "name": names.get(p, "")} for p in ids), key=lambda p: (p["name"], p["id"]))

    read = {p for p in others if marks.get(p, 0) >= row.seq}
    return {"message": message_store.message_json(row), "read": people(read), "unread": people(others - read)}


OPS = {"msg.receipts": message_receipts, "msg.readers": message_readers}
