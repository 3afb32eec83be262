"""The sender's side of notices beyond ``notice.status``: the notices one has sent
(``notice.sent``) and DING the pending recipients now (``notice.ding``, "一键DING未读人员").

Who may: the sender, whoever holds the sending post now, and admins — as for the status view.
A manual DING is at most one per notice per ``ding_min_interval_seconds`` (checked against the
audit log, so it holds across nodes), and goes in-app to the pending only.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from im_server.delivery.committer import JobResult, Outgoing
from im_server.ding import notice_ding_data
from im_server.handlers import Context
from im_server.handlers.notices import _viewable_notice
from im_server.protocol import ProtocolError
from im_server.stores import notices as store
from im_server.stores.membership import held_posts
from orgchart.infra.audit import AuditEntry, record


async def sent_notices(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    """Notices sent by the caller or from a post the caller holds now, newest first, with totals."""
    async with ctx.rt.engine.connect() as conn:
        held = await held_posts(conn, ctx.me, ctx.today())
        rows = await store.sent_by(conn, ctx.me, [p[0] for p in held.values()], args.get("before"),
                                   args.get("limit", 50))
        items = []
        for row in rows:
            totals = await store.totals(conn, row.id, bool(row.require_confirm))
            items.append(store.notice_json(row, body=False) | {"totals": totals})
    return {"notices": items}


async def ding_pending(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    interval = ctx.rt.settings.ding_min_interval_seconds

    async def job(conn) -> JobResult:
        notice = await _viewable_notice(conn, ctx.viewer, args["notice"])
        now = dt.datetime.now(dt.UTC)
        target = f"notice:{notice.id}"
        last = await conn.scalar(select(func.max(AuditEntry.at)).where(
            AuditEntry.action == "notice.ding", AuditEntry.target == target, AuditEntry.result == "ok"))
        if last is not None:
            last = last if last.tzinfo else last.replace(tzinfo=dt.UTC)
            wait = interval - (now - last).total_seconds()
            if wait > 0:
                raise ProtocolError("interval_too_short", f"该通知刚刚DING过, 请 {int(wait) + 1} 秒后再试",
                                    minimum=interval, retry_after=int(wait) + 1)
        contacts = await store.pending_notice_contacts(conn, notice.id, bool(notice.require_confirm))
        people = [person for person, _ in contacts]
        if not people:
            return JobResult({"notice": store.notice_json(notice, body=False), "dinged": 0})
        await record(conn, actor=ctx.me, action="notice.ding", target=target, details={"people": len(people)})
        data = notice_ding_data(store.notice_json(notice, body=False), 0) | {"manual": True}
        return JobResult({"notice": store.notice_json(notice, body=False), "dinged": len(people)},
                         [Outgoing("ding", data, people)])

    return await ctx.rt.committer.submit(job)


OPS = {"notice.sent": sent_notices, "notice.ding": ding_pending}
