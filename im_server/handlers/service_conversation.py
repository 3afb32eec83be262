"""An enterprise member's own service conversation (``conv.open`` ``kind: "service"`` by an
enterprise user).

Its members are the enterprise (everyone acting for it) and the officer posts that the
departments' virtual organisations assign to it — the tax bureau's 税务专管员 for its taxpayers.
There is one per enterprise, found again like a direct conversation; as with every post member,
whoever holds an officer post now is in it. Officials open service *groups* with members of their
choosing (``title``, ``members``), as before.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server.handlers import Context
from im_server.protocol import ProtocolError
from orgchart import models as om


async def enterprise_service(conn: AsyncConnection, ctx: Context,
                             args: dict[str, Any]) -> tuple[str, str, list[dict[str, Any]]]:
    """``(title, pair key, member rows)`` of the caller's enterprise's service conversation."""
    for refused in ("members", "posters"):
        if args.get(refused):
            raise ProtocolError("invalid_args", "企业用户打开本企业的服务会话, 成员由系统确定, 不能指定 "
                                f"{refused}", field=refused)
    enterprises = (await conn.execute(
        select(om.Enterprise.id, om.Enterprise.credit_code, om.Enterprise.name)
        .join(om.EnterpriseMember, om.EnterpriseMember.enterprise_id == om.Enterprise.id)
        .where(om.EnterpriseMember.person_id == ctx.me).order_by(om.Enterprise.credit_code))).all()
    wanted = args.get("enterprise")
    if wanted is not None:
        enterprises = [e for e in enterprises if e.credit_code == wanted]
        if not enterprises:
            raise ProtocolError("forbidden", f"您不是企业 {wanted} 的成员")
    if not enterprises:
        raise ProtocolError("forbidden", "您不是任何企业的成员, 没有服务会话")
    if len(enterprises) > 1:
        codes = "、".join(f"{e.credit_code} {e.name}" for e in enterprises)
        raise ProtocolError("invalid_args", f"您是多家企业的成员, 请用 enterprise 指定其一: {codes}",
                            field="enterprise")
    enterprise = enterprises[0]
    officers = sorted(set((await conn.execute(
        select(om.VirtualMembership.officer_post_id).where(
            om.VirtualMembership.enterprise_id == enterprise.id,
            om.VirtualMembership.officer_post_id.is_not(None)))).scalars()))
    if not officers:
        raise ProtocolError("not_found", f"{enterprise.name} 还没有分管岗位 (如税务专管员), 暂时无法开设服务会话; "
                            "可以直接联系面向企业服务的岗位")
    rows = [{"member_type": "enterprise", "enterprise_id": enterprise.id}]
    rows += [{"member_type": "post", "post_id": post_id} for post_id in officers]
    return f"{enterprise.name} · 服务会话", f"s:{enterprise.id}", rows
