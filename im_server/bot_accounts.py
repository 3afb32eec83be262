"""Bot accounts: create, list, enable, disable, and add to or remove from conversations.

A bot is a person of role ``bot`` (no mobile, no password) plus a ``bot_accounts`` row with its
description, owner (a department or a post, by code) and enabled flag. Messages, memberships and
the audit log point at the person, so a bot is a member and a sender like anyone else.

Admins create and switch bots (the admin API, ``zhengding bot``); an owner of a group or service
conversation adds and removes a bot there (admins may too). Every change is audited; the
command line acts with no actor, as the other admin commands do.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from im_server import models as m
from orgchart import models as om
from orgchart.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from orgchart.infra import audit
from orgchart.pinyin import search_keys
from orgchart.service.viewer import Viewer

#: Conversations a bot may be added to (direct and post conversations have fixed members).
BOT_CONVERSATION_KINDS = ("group", "service")
NAME_MAX = 100
DESCRIPTION_MAX = 500


class BotService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def create(self, actor: Viewer | None, *, name: str, description: str = "",
                     department: str | None = None, post: str | None = None,
                     remote: str | None = None) -> dict[str, Any]:
        """A new, enabled bot owned by department code ``department`` or post code ``post``."""
        _require_admin(actor)
        name = (name or "").strip()
        if not name or len(name) > NAME_MAX:
            raise InvalidInput(f"机器人名称不能为空且不超过 {NAME_MAX} 个字", details={"field": "name"})
        if len(description or "") > DESCRIPTION_MAX:
            raise InvalidInput(f"描述不超过 {DESCRIPTION_MAX} 个字", details={"field": "description"})
        if (department is None) == (post is None):
            raise InvalidInput("请指定机器人的归属: 一个部门或一个岗位 (二选一)", details={"field": "owner"})
        async with self.sessions.begin() as session:
            if await session.scalar(select(om.Person.id).join(om.BotAccount, om.BotAccount.person_id == om.Person.id)
                                    .where(om.Person.name == name)) is not None:
                raise Conflict(f"已有名为 {name} 的机器人", details={"field": "name"})
            department_id = post_id = None
            if department is not None:
                department_id = await session.scalar(select(om.Department.id).where(om.Department.code == department))
                if department_id is None:
                    raise NotFound(f"部门 {department} 不存在", details={"field": "department"})
            else:
                post_id = await session.scalar(select(om.Post.id).where(om.Post.code == post))
                if post_id is None:
                    raise NotFound(f"岗位 {post} 不存在", details={"field": "post"})
            pinyin, initials = search_keys(name)
            person = om.Person(name=name, mobile=None, role="bot", name_pinyin=pinyin, name_initials=initials)
            session.add(person)
            await session.flush()
            session.add(om.BotAccount(person_id=person.id, description=description or "",
                                      owner_department_id=department_id, owner_post_id=post_id, enabled=True))
            await audit.record(session, actor=_actor(actor), action="bot.create", target=f"person:{person.id}",
                               details={"name": name, "department": department, "post": post}, remote=remote)
            await session.flush()
            return await _describe(session, person.id)

    async def list(self) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            ids = (await session.scalars(select(om.BotAccount.person_id).order_by(om.BotAccount.person_id))).all()
            return [await _describe(session, bot_id) for bot_id in ids]

    async def get(self, bot_id: int) -> dict[str, Any]:
        async with self.sessions() as session:
            return await _describe(session, bot_id)

    async def set_enabled(self, actor: Viewer | None, bot_id: int, enabled: bool, *,
                          remote: str | None = None) -> dict[str, Any]:
        _require_admin(actor)
        async with self.sessions.begin() as session:
            bot = await session.get(om.BotAccount, bot_id)
            if bot is None:
                raise NotFound(f"机器人 {bot_id} 不存在")
            bot.enabled = enabled
            await audit.record(session, actor=_actor(actor), action="bot.enable" if enabled else "bot.disable",
                               target=f"person:{bot_id}", remote=remote)
            await session.flush()
            return await _describe(session, bot_id)

    async def add_to(self, actor: Viewer | None, bot_id: int, conversation_id: int, *,
                     remote: str | None = None) -> dict[str, Any]:
        """Make bot ``bot_id`` a member of group or service conversation ``conversation_id``."""
        async with self.sessions.begin() as session:
            await self._check_conversation(session, actor, bot_id, conversation_id)
            if await _member_row(session, bot_id, conversation_id) is not None:
                raise Conflict("机器人已在该会话中")
            session.add(m.ConversationMember(conversation_id=conversation_id, member_type="person",
                                             person_id=bot_id, role="member", can_post=True))
            await audit.record(session, actor=_actor(actor), action="bot.add", target=f"conversation:{conversation_id}",
                               details={"bot": bot_id}, remote=remote)
            return {"bot": bot_id, "conversation": conversation_id}

    async def remove_from(self, actor: Viewer | None, bot_id: int, conversation_id: int, *,
                          remote: str | None = None) -> dict[str, Any]:
        async with self.sessions.begin() as session:
            await self._check_conversation(session, actor, bot_id, conversation_id)
            row = await _member_row(session, bot_id, conversation_id)
            if row is None:
                raise NotFound("机器人不在该会话中")
            await session.execute(delete(m.ConversationMember).where(m.ConversationMember.id == row))
            await audit.record(session, actor=_actor(actor), action="bot.remove",
                               target=f"conversation:{conversation_id}", details={"bot": bot_id}, remote=remote)
            return {"bot": bot_id, "conversation": conversation_id}

    @staticmethod
    async def _check_conversation(session: AsyncSession, actor: Viewer | None, bot_id: int,
                                  conversation_id: int) -> None:
        if await session.get(om.BotAccount, bot_id) is None:
            raise NotFound(f"机器人 {bot_id} 不存在")
        kind = await session.scalar(select(m.Conversation.kind).where(m.Conversation.id == conversation_id))
        if kind is None:
            raise NotFound("会话不存在")
        if kind not in BOT_CONVERSATION_KINDS:
            raise InvalidInput("机器人只能加入群聊或服务会话", details={"field": "conversation"})
        if actor is not None and not actor.is_admin:
            owner = await session.scalar(select(m.ConversationMember.id).where(
                m.ConversationMember.conversation_id == conversation_id,
                m.ConversationMember.member_type == "person",
                m.ConversationMember.person_id == actor.person_id, m.ConversationMember.role == "owner"))
            if owner is None:
                raise PermissionDenied("只有会话的群主或管理员可以添加或移除机器人")


def _require_admin(actor: Viewer | None) -> None:
    if actor is not None and not actor.is_admin:
        raise PermissionDenied("只有管理员可以管理机器人")


def _actor(actor: Viewer | None) -> int | None:
    return actor.person_id if actor is not None else None


async def _member_row(session: AsyncSession, bot_id: int, conversation_id: int) -> int | None:
    return await session.scalar(select(m.ConversationMember.id).where(
        m.ConversationMember.conversation_id == conversation_id, m.ConversationMember.member_type == "person",
        m.ConversationMember.person_id == bot_id))


async def _describe(session: AsyncSession, bot_id: int) -> dict[str, Any]:
    row = (await session.execute(
        select(om.Person.id, om.Person.name, om.BotAccount.description, om.BotAccount.enabled,
               om.Department.code.label("department"), om.Post.code.label("post"))
        .join(om.BotAccount, om.BotAccount.person_id == om.Person.id)
        .outerjoin(om.Department, om.Department.id == om.BotAccount.owner_department_id)
        .outerjoin(om.Post, om.Post.id == om.BotAccount.owner_post_id)
        .where(om.Person.id == bot_id))).first()
    if row is None:
        raise NotFound(f"机器人 {bot_id} 不存在")
    return {"id": row.id, "name": row.name, "description": row.description, "enabled": bool(row.enabled),
            "owner": {"department": row.department, "post": row.post}}
