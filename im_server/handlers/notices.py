"""notice.send, notice.list, notice.open, notice.confirm, notice.status.

A notice is sent *by a post* the sender holds now to a selector: the people holding the
selected posts now and the members of the selected enterprises. Each recipient finds it in a
notices inbox, opens it (read) and, when asked, confirms receipt (确认收到) with optional
feedback; the sender — or whoever holds the sending post now, or an admin — sees the counts
rolled up by org unit and who is pending. Urgent notices are DINGed (:mod:`im_server.ding`).

The status, the pending export and the outbox rules are plain functions of ``(runtime,
viewer)`` so the HTTP views (:mod:`im_server.http_notices`) share them with the socket ops.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server.delivery.committer import JobResult, Outgoing
from im_server.ding import DEFAULT_MAX_ATTEMPTS, reminder_interval, schedule_notice_ding
from im_server.handlers import Context
from im_server.protocol import ProtocolError
from im_server.runtime import Messaging
from im_server.stores import notices as store
from im_server.stores.membership import held_posts
from orgchart.codes import CodeError, division_path
from orgchart.errors import InvalidInput
from orgchart.infra.audit import record
from orgchart.selectors.compiler import Compiled
from orgchart.selectors.resolver import compile_text
from orgchart.service.viewer import Viewer

ROLLUP_DEPTH = len(store.ROLLUP_LEVELS)


# --- sending ---------------------------------------------------------------------------------

async def _compile(ctx: Context, selector: str) -> Compiled:
    """Parse and name-resolve the selector (read-only); its SQL runs inside the send job."""
    async with ctx.rt.sessions() as session:
        try:
            _, compiled = await compile_text(session, selector)
        except InvalidInput as exc:
            raise ProtocolError(exc.code, exc.message, field="selector", **exc.details) from None
    return compiled


async def _ack(conn: AsyncConnection, row: Any, *, duplicate: bool,
               as_post: str | None = None) -> dict[str, Any]:
    if duplicate and as_post is not None and row.post_code != as_post:
        # the same key for a notice from another post: a client bug the old ack would hide
        raise ProtocolError("conflict", f"client_msg_id 已用于岗位 {row.post_code} 发出的通知, "
                            "不能用于另一岗位; 新通知请使用新的 client_msg_id", field="client_msg_id")
    ack = {"notice": store.notice_json(row), "recipients": await store.recipient_count(conn, row.id),
           "client_msg_id": row.client_msg_id}
    return (ack | {"duplicate": True}) if duplicate else ack


async def send(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    if ctx.viewer.enterprise_view:
        raise ProtocolError("forbidden", "企业用户不能发送通知")
    client_msg_id = args["client_msg_id"]
    async with ctx.rt.engine.connect() as conn:  # a retry answers even if the selector broke since
        original = await store.by_client_id(conn, ctx.me, client_msg_id)
        if original is not None:
            return await _ack(conn, original, duplicate=True, as_post=args["as_post"])
    title, body = args["title"].strip(), args["body"].strip()
    if not title:
        raise ProtocolError("invalid_args", "通知标题不能为空", field="title")
    if not body:
        raise ProtocolError("invalid_args", "通知正文不能为空", field="body")
    urgent, require_confirm = bool(args.get("urgent")), bool(args.get("require_confirm"))
    asked = [k for k in ("remind_interval_seconds", "remind_max_attempts") if args.get(k) is not None]
    if asked and not urgent:
        raise ProtocolError("invalid_args", "只有加急 (urgent) 通知才会 DING 提醒, 不能设置提醒间隔或次数",
                            field=asked[0])
    interval = reminder_interval(ctx.rt.settings, args.get("remind_interval_seconds")) if urgent else 0
    max_attempts = args.get("remind_max_attempts") or DEFAULT_MAX_ATTEMPTS
    compiled = await _compile(ctx, args["selector"])

    async def job(conn: AsyncConnection) -> JobResult:
        original = await store.by_client_id(conn, ctx.me, client_msg_id)
        if original is not None:  # a retry that raced the first send into the same batch
            return JobResult(await _ack(conn, original, duplicate=True, as_post=args["as_post"]))
        today = ctx.today()
        held = await held_posts(conn, ctx.me, today)
        if args["as_post"] not in held:
            raise ProtocolError("forbidden", f"您目前不在岗位 {args['as_post']} 上, 不能以该岗位身份发送通知",
                                field="as_post")
        post_id, post_title, _ = held[args["as_post"]]
        rows = await store.select_recipients(conn, compiled, today, exclude=ctx.me)
        if not rows:
            raise ProtocolError("no_recipients", "选择器当前没有匹配到任何接收人, 通知未发送",
                                field="selector")
        now = dt.datetime.now(dt.UTC)
        try:
            async with conn.begin_nested():
                notice_id = await store.insert_notice(
                    conn, sender_id=ctx.me, sender_post_id=post_id, title=title, body=body,
                    selector=args["selector"], require_confirm=require_confirm, urgent=urgent,
                    client_msg_id=client_msg_id, created_at=now)
        except IntegrityError:  # the same send committed meanwhile through another node
            original = await store.by_client_id(conn, ctx.me, client_msg_id)
            if original is None:
                raise
            return JobResult(await _ack(conn, original, duplicate=True, as_post=args["as_post"]))
        await store.insert_recipients(conn, notice_id, rows)
        await record(conn, actor=ctx.me, action="notice.send", target=f"notice:{notice_id}",
                     details={"post": args["as_post"], "selector": args["selector"],
                              "recipients": len(rows), "urgent": urgent,
                              "require_confirm": require_confirm}, remote=ctx.remote)
        notice = {"id": notice_id, "title": title, "body": body,
                  "sender": {"id": ctx.me, "name": ctx.viewer.name},
                  "sender_post": {"code": args["as_post"], "title": post_title},
                  "require_confirm": require_confirm, "urgent": urgent, "created_at": store.iso(now)}
        people = [row["person_id"] for row in rows]
        # One event whatever the audience: its data is encoded once and shared by every inbox.
        events = [Outgoing("notice.new", {"notice": notice}, people)]
        if urgent:
            events += await schedule_notice_ding(conn, notice=notice, recipients=people,
                                                 interval=interval, max_attempts=max_attempts, now=now)
        return JobResult({"notice": notice, "recipients": len(rows), "client_msg_id": client_msg_id},
                         events)

    return await ctx.rt.committer.submit(job)


# --- the recipient's side --------------------------------------------------------------------

async def list_notices(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.rt.engine.connect() as conn:
        items = await store.inbox(conn, ctx.me, args.get("before"), args.get("limit", 50))
        unread = await store.unread_count(conn, ctx.me)
    return {"notices": items, "unread": unread}


async def _as_recipient(conn: AsyncConnection, ctx: Context, notice_id: int):
    notice = await store.get_notice(conn, notice_id)
    if notice is None:
        raise ProtocolError("not_found", "通知不存在")
    recipient = await store.get_recipient(conn, notice_id, ctx.me)
    if recipient is None:
        raise ProtocolError("forbidden", "您不是该通知的接收人")
    return notice, recipient


async def open_notice(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    async def job(conn: AsyncConnection) -> JobResult:
        notice, recipient = await _as_recipient(conn, ctx, args["notice"])
        events = []
        now = dt.datetime.now(dt.UTC)
        if await store.mark_read(conn, notice.id, ctx.me, now):
            recipient = await store.get_recipient(conn, notice.id, ctx.me)
            data = {"notice": store.notice_json(notice, body=False),
                    "person": {"id": ctx.me, "name": ctx.viewer.name}, "read_at": store.iso(now)}
            # the sender's status view counts it; the reader's other devices clear the badge
            events.append(Outgoing("notice.read", data, {notice.sender_id, ctx.me}))
        return JobResult({"notice": store.notice_json(notice) | store.recipient_state(recipient)}, events)

    return await ctx.rt.committer.submit(job)


async def confirm_notice(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    feedback = (args.get("feedback") or "").strip() or None

    async def job(conn: AsyncConnection) -> JobResult:
        notice, _ = await _as_recipient(conn, ctx, args["notice"])
        if not notice.require_confirm:
            raise ProtocolError("confirm_not_required", "该通知不需要确认收到, 打开即为已读")
        now = dt.datetime.now(dt.UTC)
        confirmed = await store.mark_confirmed(conn, notice.id, ctx.me, now, feedback)
        recipient = await store.get_recipient(conn, notice.id, ctx.me)
        assert recipient is not None  # checked above, in this transaction
        result = {"notice": store.notice_json(notice) | store.recipient_state(recipient),
                  "already_confirmed": not confirmed}
        if not confirmed:  # confirming twice changes nothing and tells nobody
            return JobResult(result)
        data = {"notice": store.notice_json(notice, body=False),
                "person": {"id": ctx.me, "name": ctx.viewer.name}, "confirmed_at": store.iso(now),
                "feedback": feedback}
        return JobResult(result, [Outgoing("notice.confirmed", data, {notice.sender_id, ctx.me})])

    return await ctx.rt.committer.submit(job)


# --- the sender's side (shared with the HTTP views) ------------------------------------------

async def _viewable_notice(conn: AsyncConnection, viewer: Viewer, notice_id: int):
    """The notice, if ``viewer`` sent it, holds the sending post now, or is an admin."""
    notice = await store.get_notice(conn, notice_id)
    if notice is None:
        raise ProtocolError("not_found", "通知不存在")
    if viewer.is_admin or notice.sender_id == viewer.person_id:
        return notice
    held = await held_posts(conn, viewer.person_id, dt.date.today())
    if any(post_id == notice.sender_post_id for post_id, _, _ in held.values()):
        return notice
    raise ProtocolError("forbidden", "只有通知的发送人 (或现任发送岗位人员) 和管理员可以查看阅读情况")


def unit_filter(under: str | None) -> str | None:
    """A unit's 12-digit code or its path (2/4/6/9/12 digits) as a path prefix."""
    if not under:
        return None
    if not under.isdigit() or len(under) not in (2, 4, 6, 9, 12):
        raise ProtocolError("invalid_args", "under 应为 12 位行政区划代码或其有效前缀", field="under")
    if len(under) < 12:
        return under
    try:
        return division_path(under)
    except CodeError as exc:  # e.g. 000000000000: twelve digits, but no unit's code
        raise ProtocolError("invalid_args", str(exc), field="under") from None


async def status_report(rt: Messaging, viewer: Viewer, notice_id: int, *, offset: int = 0,
                        limit: int = 50, under: str | None = None,
                        depth: int = ROLLUP_DEPTH) -> dict[str, Any]:
    """Totals, the roll-up by unit (city → county → township → village) and a page of the
    pending, optionally within the subtree ``under``."""
    path = unit_filter(under)
    async with rt.engine.connect() as conn:
        notice = await _viewable_notice(conn, viewer, notice_id)
        confirm = bool(notice.require_confirm)
        totals = await store.totals(conn, notice.id, confirm)
        in_scope = await store.totals(conn, notice.id, confirm, under=path) if path else totals
        rollup = await store.rollup(conn, notice.id, confirm, under=path, depth=depth)
        items = await store.pending_page(conn, notice.id, confirm, under=path, offset=offset,
                                         limit=limit)
        reminder = await store.reminder_for(conn, notice_id=notice.id)
    return {"notice": store.notice_json(notice, body=False), "totals": totals, "under": path,
            "rollup": rollup, "reminder": reminder,
            "pending": {"total": in_scope["pending"], "offset": offset, "limit": limit,
                        "items": items}}


async def pending_export(rt: Messaging, viewer: Viewer, notice_id: int,
                         under: str | None = None
                         ) -> tuple[dict[str, Any], AsyncGenerator[dict[str, Any], None]]:
    """The notice and an iterator over every pending recipient (the permission is checked
    before the first row is read, so a refusal is an ordinary error response)."""
    path = unit_filter(under)
    async with rt.engine.connect() as conn:
        notice = await _viewable_notice(conn, viewer, notice_id)

    async def rows() -> AsyncGenerator[dict[str, Any], None]:
        async with rt.engine.connect() as conn:
            async for item in store.pending_stream(conn, notice.id, bool(notice.require_confirm),
                                                   under=path):
                yield item

    return store.notice_json(notice, body=False), rows()


async def outbox_entries(rt: Messaging, viewer: Viewer, *, notice_id: int | None,
                         message_id: int | None, offset: int, limit: int,
                         mobile: str | None = None) -> dict[str, Any]:
    """What the notifier recorded (reminders, activation-code SMS): admins see all; a sender
    sees their notice's or message's. ``mobile`` keeps the entries sent to that number."""
    async with rt.engine.connect() as conn:
        if notice_id is not None:
            await _viewable_notice(conn, viewer, notice_id)
        if message_id is not None:
            message = await store.get_message(conn, message_id)
            if message is None:
                raise ProtocolError("not_found", "消息不存在")
            if message.sender_id != viewer.person_id and not viewer.is_admin:
                raise ProtocolError("forbidden", "只有消息的发送人和管理员可以查看提醒记录")
        if notice_id is None and message_id is None and not viewer.is_admin:
            raise ProtocolError("invalid_args", "请指定 notice 或 message (查看全部提醒记录需要管理员权限)",
                                field="notice")
        entries = await store.list_outbox(conn, notice_id=notice_id, message_id=message_id,
                                          offset=offset, limit=limit, mobile=mobile)
    return {"entries": entries, "offset": offset, "limit": limit}


async def notice_status(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    return await status_report(ctx.rt, ctx.viewer, args["notice"], offset=args.get("offset", 0),
                               limit=args.get("limit", 50), under=args.get("under"),
                               depth=args.get("depth", ROLLUP_DEPTH))


OPS = {"notice.send": send, "notice.list": list_notices, "notice.open": open_notice,
       "notice.confirm": confirm_notice, "notice.status": notice_status}
