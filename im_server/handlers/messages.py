"""msg.send, msg.edit, msg.recall, msg.read, card.click.

A send is idempotent on ``(sender, client_msg_id)``: a retry gets the original acknowledgement
and stores nothing new — the unique constraint makes that hold across restarts and nodes.
The acknowledgement (server id and per-conversation sequence number) is sent after COMMIT.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server import models as m
from im_server.content import normalise
from im_server.delivery.committer import JobResult, Outgoing
from im_server.handlers import Context
from im_server.handlers.bulk_send import PlainSend, is_plain, send_many
from im_server.handlers.conversations import _require_member, conversation_json
from im_server.protocol import ProtocolError
from im_server.stores import conversations as conversation_store
from im_server.stores import messages as store
from im_server.stores import receipts as receipt_store
from im_server.stores.membership import held_posts, recipients
from orgchart import models as om
from orgchart.infra.audit import record
from orgchart.store.holdings import current_on

RECALL_WINDOW = dt.timedelta(hours=24)
EDITABLE = ("text", "markdown")


def ack(message: dict[str, Any]) -> dict[str, Any]:
    """A send's acknowledgement: the stored message object (id, seq, created_at, …)."""
    return {"message": message}


def retry_ack(original: dict[str, Any], conversation: int) -> dict[str, Any]:
    """The acknowledgement of a retried send — if it is one: the same ``client_msg_id`` aimed
    at another conversation is a client bug, and answering the old ack would hide it."""
    if original["conversation"] != conversation:
        raise ProtocolError("conflict", f"client_msg_id 已用于会话 {original['conversation']} 中的消息, "
                            "不能用于另一会话; 新消息请使用新的 client_msg_id", field="client_msg_id")
    return {**ack(original), "duplicate": True}


async def _mention_people(conn: AsyncConnection, mentions: list[dict], members: set[int],
                          today: dt.date) -> tuple[list[dict], set[int]]:
    """Resolve mentions; an @post reaches its current holders, even those not in the conversation."""
    resolved, reached = [], set()
    for mention in mentions:
        if "person" in mention:
            if mention["person"] not in members:
                raise ProtocolError("invalid_args", f"被提及的人员 {mention['person']} 不在会话中",
                                    field="content")
            resolved.append({"person": mention["person"]})
            reached.add(mention["person"])
        else:
            post = (await conn.execute(select(om.Post.id, om.Post.title).where(
                om.Post.code == mention["post"]))).first()
            if post is None:
                raise ProtocolError("not_found", f"岗位 {mention['post']} 不存在")
            holders = set((await conn.execute(select(om.Holding.person_id).where(
                om.Holding.post_id == post.id, current_on(today)))).scalars())
            resolved.append({"post": mention["post"], "title": post.title, "holders": sorted(holders)})
            reached |= holders
    return resolved, reached


async def _check_media(conn: AsyncConnection, token: str, conversation_id: int) -> dict[str, Any]:
    """What clients show of an attachment (name, type, size, pixels), once it is known to belong
    to this conversation: taken from the upload, never from the sender's message."""
    media = (await conn.execute(select(m.Media.conversation_id, m.Media.filename, m.Media.content_type,
                                       m.Media.size, m.Media.width, m.Media.height)
                                .where(m.Media.token == token))).first()
    if media is None or media.conversation_id != conversation_id:
        raise ProtocolError("not_found", "附件不存在或不属于该会话; 请先上传到此会话")
    return {"media": token, "filename": media.filename, "content_type": media.content_type,
            "size": media.size, "width": media.width, "height": media.height}


async def send(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    content, mentions, search_text = normalise(args["type"], args["content"])
    job = _send_job(ctx, args, content, mentions, search_text)
    if is_plain(args, mentions):  # the hot path: checked and written set-based with its batch
        plain = PlainSend(ctx.me, ctx.viewer.name, args["conversation"], args["client_msg_id"],
                          args["type"], content, search_text)
        return await ctx.rt.committer.submit_bulk(send_many, plain, fallback=job)
    return await ctx.rt.committer.submit(job)


def _send_job(ctx: Context, args: dict[str, Any], content: dict, mentions: list, search_text: str):

    async def job(conn: AsyncConnection) -> JobResult:
        original = await store.by_client_id(conn, ctx.me, args["client_msg_id"])
        if original is not None:  # a retry: same acknowledgement, nothing new
            return JobResult(retry_ack(original, args["conversation"]))
        today = ctx.today()
        conversation, may_post, _ = await _require_member(conn, ctx, args["conversation"])
        if not may_post:
            raise ProtocolError("forbidden", "该频道仅限指定岗位发言")
        as_post_id = None
        if args.get("as_post"):
            held = await held_posts(conn, ctx.me, today)
            if args["as_post"] not in held:
                raise ProtocolError("forbidden", f"您目前不在岗位 {args['as_post']} 上, 不能以该岗位身份发送")
            as_post_id = held[args["as_post"]][0]
        text_for_search, stored = search_text, content
        if args["type"] in ("image", "file"):  # found by its file name
            stored = await _check_media(conn, content["media"], conversation["id"])
            text_for_search = stored["filename"]
        if args.get("reply_to") is not None:
            quoted = await store.get(conn, args["reply_to"])
            if quoted is None or quoted.conversation_id != conversation["id"]:
                raise ProtocolError("not_found", "被引用的消息不存在或不在该会话中")
        members = await recipients(conn, conversation["id"], today)
        resolved, reached = await _mention_people(conn, mentions, members, today)
        seq = await conversation_store.next_seq(conn, conversation["id"])
        message = await store.insert_message(
            conn, conversation_id=conversation["id"], seq=seq, sender_id=ctx.me, as_post_id=as_post_id,
            client_msg_id=args["client_msg_id"], content_type=args["type"],
            body=json.dumps({"content": stored, "mentions": resolved}, ensure_ascii=False),
            search_text=text_for_search, reply_to_id=args.get("reply_to"), urgent=bool(args.get("urgent")),
            created_at=dt.datetime.now(dt.UTC))
        events = [Outgoing("message.new", {"message": message}, members | reached)]
        if args.get("urgent"):
            from im_server.ding import schedule_message_ding

            events += await schedule_message_ding(conn, ctx, message, members - {ctx.me})
        return JobResult(ack(message), events)

    return job


async def _own_message(conn: AsyncConnection, ctx: Context, message_id: int):
    row = await store.get(conn, message_id)
    if row is None:
        raise ProtocolError("not_found", "消息不存在")
    _, _, role = await _require_member(conn, ctx, row.conversation_id)
    return row, role


async def edit(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    async def job(conn: AsyncConnection) -> JobResult:
        row, _ = await _own_message(conn, ctx, args["message"])
        if row.sender_id != ctx.me:
            raise ProtocolError("forbidden", "只能编辑自己发送的消息")
        if row.recalled_at is not None:
            raise ProtocolError("conflict", "消息已撤回, 不能编辑")
        if row.content_type not in EDITABLE:
            raise ProtocolError("invalid_args", "只有文本和 Markdown 消息可以编辑", field="message")
        content, mentions, search_text = normalise(row.content_type, args["content"])
        members = await recipients(conn, row.conversation_id, ctx.today())
        resolved, reached = await _mention_people(conn, mentions, members, ctx.today())
        body = json.dumps({"content": content, "mentions": resolved}, ensure_ascii=False)
        message = await store.set_edit(conn, row.id, body, search_text, dt.datetime.now(dt.UTC))
        return JobResult({"message": message}, [Outgoing("message.edited", {"message": message},
                                                         members | reached)])

    return await ctx.rt.committer.submit(job)


async def recall(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    async def job(conn: AsyncConnection) -> JobResult:
        row, role = await _own_message(conn, ctx, args["message"])
        now = dt.datetime.now(dt.UTC)
        moderator = role in ("owner", "admin") or ctx.viewer.is_admin
        if row.sender_id != ctx.me and not moderator:
            raise ProtocolError("forbidden", "只能撤回自己发送的消息 (群主和管理员除外)")
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
        if row.sender_id == ctx.me and not moderator and now - created > RECALL_WINDOW:
            raise ProtocolError("recall_expired", "超过 24 小时的消息不能撤回")
        if row.recalled_at is not None:
            raise ProtocolError("conflict", "消息已撤回")
        message = await store.set_recalled(conn, row.id, now)
        await record(conn, actor=ctx.me, action="message.recall", target=f"message:{row.id}",
                     details={"conversation": row.conversation_id, "sender": row.sender_id}, remote=ctx.remote)
        members = await recipients(conn, row.conversation_id, ctx.today())
        return JobResult({"message": message}, [Outgoing("message.recalled", {"message": message}, members)])

    return await ctx.rt.committer.submit(job)


async def read(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    async def job(conn: AsyncConnection) -> JobResult:
        conversation, _, _ = await _require_member(conn, ctx, args["conversation"])
        seq = min(args["seq"], conversation["last_seq"])
        previous, last = await receipt_store.advance(conn, conversation["id"], ctx.me, seq)
        reader = {"id": ctx.me, "name": ctx.viewer.name}
        data = {"conversation": conversation_json(conversation), "person": reader, "last_read_seq": last}
        # The reader's other devices clear their badge; the device that read knows already,
        # and a read that moved nothing tells nobody.
        if last <= previous:
            return JobResult(data, [])
        events = [Outgoing("conversation.read", data, [ctx.me], skip=ctx.connection)]
        # the senders of what was just read update their receipts (one event, whatever the group's size)
        senders = await receipt_store.senders_between(conn, conversation["id"], previous, last)
        senders.discard(ctx.me)
        if senders:
            events.append(Outgoing("message.read", {
                "conversation": conversation_json(conversation), "person": reader,
                "from_seq": previous, "last_read_seq": last}, senders))
        return JobResult(data, events)

    return await ctx.rt.committer.submit(job)


async def card_click(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    async def job(conn: AsyncConnection) -> JobResult:
        row, _ = await _own_message(conn, ctx, args["message"])
        if row.content_type != "card" or row.recalled_at is not None:
            raise ProtocolError("invalid_args", "该消息不是可点击的卡片", field="message")
        buttons = json.loads(row.body)["content"]["buttons"]
        if args["action"] not in {b["action"] for b in buttons}:
            raise ProtocolError("invalid_args", f"卡片没有按钮 {args['action']}", field="action")
        data = {"message": store.message_json(row), "action": args["action"],
                "value": args.get("value"), "by": {"id": ctx.me, "name": ctx.viewer.name}}
        # the click goes to whoever sent the card: a bot or mini-app account
        return JobResult({"delivered_to": row.sender_id}, [Outgoing("card.click", data, [row.sender_id])])

    return await ctx.rt.committer.submit(job)


OPS = {"msg.send": send, "msg.edit": edit, "msg.recall": recall, "msg.read": read,
       "card.click": card_click}
