"""conv.open, conv.list, conv.get, conv.history.

Kinds: ``direct`` (person ↔ person), ``post`` (addressed to a post: its current holders are
members, the history stays with the post), ``group`` (people, posts, selectors, enterprises),
``service`` (a department's posts plus enterprise members; opened by an enterprise user, its
enterprise's own one, :mod:`im_server.handlers.service_conversation`) and ``channel``
(announcements: only the ``posters`` posts may post).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server.delivery.committer import JobResult, Outgoing
from im_server.handlers import Context
from im_server.handlers.service_conversation import enterprise_service
from im_server.protocol import ProtocolError
from im_server.protocol.schema import INT32
from im_server.stores import announced
from im_server.stores import conversations as store
from im_server.stores import messages as message_store
from im_server.stores.membership import held_posts, membership, recipients
from orgchart import models as om
from orgchart.codes import CodeError, validate_credit_code
from orgchart.errors import InvalidInput
from orgchart.selectors.resolver import compile_text

MEMBER_KEYS = ("person", "post", "selector", "enterprise")


def conversation_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "kind": row["kind"], "title": row["title"], "last_seq": row["last_seq"]}


async def _require_member(conn: AsyncConnection, ctx: Context, conversation_id: int):
    conversation = await store.get(conn, conversation_id)
    if conversation is None:
        raise ProtocolError("not_found", "会话不存在")
    is_member, may_post, role = await membership(conn, conversation_id, ctx.me, ctx.today())
    if not is_member:
        raise ProtocolError("forbidden", "您不是该会话的成员")
    return conversation, may_post, role


async def _post_by_code(conn: AsyncConnection, code: str):
    row = (await conn.execute(select(om.Post.id, om.Post.title, om.Post.serves_enterprises,
                                     om.OrgUnit.name.label("unit_name"))
                              .join(om.OrgUnit, om.OrgUnit.id == om.Post.org_unit_id)
                              .where(om.Post.code == code))).first()
    if row is None:
        raise ProtocolError("not_found", f"岗位 {code} 不存在")
    return row


async def _expand_selectors(ctx: Context, items: list[Any]) -> dict[str, list[int]]:
    """Selector members become the posts and enterprises they select now (read outside the job)."""
    expanded: dict[str, list[int]] = {"posts": [], "enterprises": []}
    texts = [item["selector"] for item in items if isinstance(item, dict) and "selector" in item]
    if not texts:
        return expanded
    async with ctx.rt.sessions() as session:
        for text in texts:
            if not isinstance(text, str):
                raise ProtocolError("invalid_args", "selector 必须是字符串", field="members")
            try:
                _, compiled = await compile_text(session, text, enterprise_view=ctx.viewer.enterprise_view)
            except InvalidInput as exc:
                raise ProtocolError(exc.code, exc.message, **exc.details) from None
            if compiled.posts is not None:
                expanded["posts"] += list((await session.execute(compiled.posts)).scalars())
            if compiled.enterprises is not None:
                expanded["enterprises"] += list((await session.execute(compiled.enterprises)).scalars())
    return expanded


async def _member_rows(conn: AsyncConnection, items: list[Any], expanded: dict[str, list[int]],
                       *, can_post: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict) or len(item) != 1 or next(iter(item)) not in MEMBER_KEYS:
            raise ProtocolError("invalid_args", '成员格式应为 {"person": id}、{"post": "代码"}、'
                                '{"selector": "…"} 或 {"enterprise": "统一社会信用代码"}', field="members")
        key, value = next(iter(item.items()))
        if key == "person":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= INT32:
                raise ProtocolError("invalid_args", '成员 {"person": id} 的 id 应为正整数', field="members")
            if await conn.scalar(
                    select(om.Person.id).where(om.Person.id == value)) is None:
                raise ProtocolError("not_found", f"人员 {value} 不存在")
            rows.append({"member_type": "person", "person_id": value, "can_post": can_post})
        elif key == "post":
            post = await _post_by_code(conn, str(value))
            rows.append({"member_type": "post", "post_id": post.id, "can_post": can_post})
        elif key == "enterprise":
            try:
                code = validate_credit_code(str(value))
            except CodeError as exc:
                raise ProtocolError("invalid_credit_code", str(exc)) from None
            enterprise_id = await conn.scalar(select(om.Enterprise.id).where(om.Enterprise.credit_code == code))
            if enterprise_id is None:
                raise ProtocolError("not_found", f"企业 {code} 不存在")
            rows.append({"member_type": "enterprise", "enterprise_id": enterprise_id, "can_post": can_post})
        else:
            rows.append({"member_type": "selector", "selector": value, "can_post": False})
    rows += [{"member_type": "post", "post_id": p, "can_post": can_post} for p in expanded["posts"]]
    rows += [{"member_type": "enterprise", "enterprise_id": e, "can_post": can_post}
             for e in expanded["enterprises"]]
    return _dedupe(rows)


def _dedupe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, unique = set(), []
    for row in rows:
        key = (row["member_type"], row.get("person_id"), row.get("post_id"), row.get("enterprise_id"),
               row.get("selector"))
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


async def open_conversation(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    kind = args["kind"]
    # an enterprise user opens only its enterprise's own service conversation, never a group
    own_service = kind == "service" and ctx.viewer.enterprise_view
    if kind in ("group", "service", "channel") and not own_service:
        if ctx.viewer.enterprise_view:
            raise ProtocolError("forbidden", "企业用户不能创建群组")
        expanded = await _expand_selectors(ctx, args.get("members") or [])
    else:
        expanded = {"posts": [], "enterprises": []}

    async def job(conn: AsyncConnection) -> JobResult:
        today = ctx.today()
        if kind == "direct":
            title, pair_key, rows = await _direct(conn, ctx, args)
        elif kind == "post":
            title, pair_key, rows = await _post(conn, ctx, args, today)
        elif own_service:
            title, pair_key, rows = await enterprise_service(conn, ctx, args)
        else:
            title = (args.get("title") or "").strip()
            if not title:
                raise ProtocolError("invalid_args", "群组需要标题", field="title")
            is_channel = kind == "channel"
            rows = [{"member_type": "person", "person_id": ctx.me, "role": "owner", "can_post": True}]
            rows += await _member_rows(conn, args.get("members") or [], expanded, can_post=not is_channel)
            if is_channel:
                posters = args.get("posters") or []
                if not posters:
                    raise ProtocolError("invalid_args", "公告频道需要指定可发言的岗位 (posters)", field="posters")
                rows += await _member_rows(conn, [{"post": p} for p in posters], expanded={
                    "posts": [], "enterprises": []}, can_post=True)
            pair_key = None
        if pair_key is not None:
            existing = await store.find_by_pair(conn, pair_key)
            if existing is not None:
                return JobResult({"conversation": conversation_json(existing), "created": False})
        conversation = await store.create(conn, kind=kind, title=title, pair_key=pair_key,
                                          created_by=ctx.me, member_rows=rows)
        # its posts' holders learn of it now: a later rotation announces only changes
        await announced.seed(conn, {r["post_id"] for r in rows if r["member_type"] == "post"}, today)
        data = {"conversation": conversation_json(conversation),
                "members": await store.describe_members(conn, conversation["id"])}
        who = await recipients(conn, conversation["id"], today)
        return JobResult({"conversation": conversation_json(conversation), "created": True},
                         [Outgoing("conversation.new", data, who)])

    return await ctx.rt.committer.submit(job)


async def _direct(conn: AsyncConnection, ctx: Context, args: dict[str, Any]):
    other = args.get("person")
    if other is None:
        raise ProtocolError("invalid_args", "单聊需要对方的人员 id (person)", field="person")
    if other == ctx.me:
        raise ProtocolError("invalid_args", "不能与自己单聊", field="person")
    person = (await conn.execute(select(om.Person.id, om.Person.name, om.Person.role)
                                 .where(om.Person.id == other))).first()
    if person is None:
        raise ProtocolError("not_found", f"人员 {other} 不存在")
    if ctx.viewer.enterprise_view and person.role != "enterprise":
        serving = [p for p in (await held_posts(conn, other, ctx.today())).values() if p[2]]
        if not serving:
            raise ProtocolError("forbidden", "企业用户只能联系面向企业服务的岗位")
    low, high = sorted((ctx.me, other))
    rows = [{"member_type": "person", "person_id": ctx.me}, {"member_type": "person", "person_id": other}]
    return f"{ctx.viewer.name} · {person.name}", f"d:{low}:{high}", rows


async def _post(conn: AsyncConnection, ctx: Context, args: dict[str, Any], today):
    code = args.get("post")
    if not code:
        raise ProtocolError("invalid_args", "岗位会话需要岗位代码 (post)", field="post")
    target = await _post_by_code(conn, code)
    if ctx.viewer.enterprise_view and not target.serves_enterprises:
        raise ProtocolError("forbidden", "该岗位不面向企业服务, 企业用户不能联系")
    mine: tuple[str, int]
    if args.get("as_post"):
        held = await held_posts(conn, ctx.me, today)
        if args["as_post"] not in held:
            raise ProtocolError("forbidden", f"您目前不在岗位 {args['as_post']} 上")
        mine = ("post", held[args["as_post"]][0])
    else:
        mine = ("person", ctx.me)
    if mine == ("post", target.id):
        raise ProtocolError("invalid_args", "不能以岗位身份与同一岗位会话", field="post")
    ends = sorted([f"{mine[0][0:2]}{mine[1]}", f"po{target.id}"])
    rows = [{"member_type": "post", "post_id": target.id},
            {"member_type": mine[0], f"{mine[0]}_id": mine[1]}]
    return f"{target.unit_name}{target.title}", "p:" + ":".join(ends), rows


async def list_conversations(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.rt.engine.connect() as conn:
        items = await store.list_for(conn, ctx.me, ctx.today(), args.get("limit", 100))
    return {"conversations": items}


async def get_conversation(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.rt.engine.connect() as conn:
        conversation, may_post, role = await _require_member(conn, ctx, args["conversation"])
        described = await store.describe_members(conn, conversation["id"])
    return {"conversation": conversation_json(conversation), "members": described,
            "may_post": may_post, "role": role}


async def conversation_history(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.rt.engine.connect() as conn:
        conversation, _, _ = await _require_member(conn, ctx, args["conversation"])
        items = await message_store.history(conn, conversation["id"], args.get("before_seq"),
                                            args.get("limit", 50))
    return {"conversation": conversation_json(conversation), "messages": items}


OPS = {"conv.open": open_conversation, "conv.list": list_conversations, "conv.get": get_conversation,
       "conv.history": conversation_history}
