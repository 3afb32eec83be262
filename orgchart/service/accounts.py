"""Accounts: login, opaque tokens (stored hashed, expiring, revocable) and activation.

A failed login says the same thing whether the mobile is unknown, the account not yet
activated or the password wrong, and costs the same argon2 verification, so neither the
answer nor its timing tells which mobiles exist.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orgchart.codes import CodeError, validate_mobile
from orgchart.errors import AuthenticationFailed, InvalidInput, NotFound
from orgchart.infra.audit import record
from orgchart.security import hash_password, new_token, token_digest, verify_password
from orgchart.service.present import iso
from orgchart.service.viewer import Viewer
from orgchart.store.people import PersonStore
from orgchart.store.tokens import TokenStore

LOGIN_FAILED = "手机号或密码错误，或账号尚未激活"
TOKEN_INVALID = "未登录或登录已失效，请重新登录"
#: Expired tokens are kept this long (a "your session expired" trail), then pruned at login.
KEEP_EXPIRED = dt.timedelta(days=7)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AccountService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        token_ttl_seconds: int,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self._ttl = dt.timedelta(seconds=token_ttl_seconds)
        self._clock = clock

    async def login(self, mobile: str, password: str, *, remote: str | None = None) -> dict[str, Any]:
        """A new token for the person with this mobile and password (``remote``: client address,
        for the audit log)."""
        try:
            number: str | None = validate_mobile(mobile)
        except CodeError:
            number = None
        async with self._sessions() as session:
            async with session.begin():
                person = await PersonStore(session).by_mobile(number) if number else None
            stored_hash = person["password_hash"] if person else None
            # argon2 takes tens of milliseconds of CPU: keep it off the event loop.
            if not await asyncio.to_thread(verify_password, stored_hash, password):
                # The reason goes to the audit log (admins) only; the answer stays the same for all.
                # What was typed is not stored unless it is a valid mobile: it may be a password.
                reason = ("invalid_mobile" if number is None else "unknown_mobile" if person is None
                          else "not_activated" if stored_hash is None else "wrong_password")
                async with session.begin():
                    await record(session, actor=person["id"] if person else None,
                                 action="login.failed", target=f"mobile:{number or '-'}",
                                 result="denied", details={"reason": reason}, remote=remote)
                raise AuthenticationFailed(LOGIN_FAILED)
            assert person is not None
            token = new_token()
            now = self._clock()
            expires_at = now + self._ttl
            async with session.begin():
                tokens = TokenStore(session)
                await tokens.prune(person["id"], now - KEEP_EXPIRED)
                token_id = await tokens.add(person["id"], token_digest(token), now, expires_at)
                await record(session, actor=person["id"], action="login",
                             target=f"person:{person['id']}", details={"token": token_id},
                             remote=remote)
        return {
            "token": token,
            "expires_at": iso(expires_at),
            "person": {"id": person["id"], "name": person["name"], "role": person["role"]},
        }

    async def authenticate(self, token: str) -> Viewer:
        """The viewer a bearer token stands for, or :class:`AuthenticationFailed`."""
        if not token:
            raise AuthenticationFailed(TOKEN_INVALID)
        async with self._sessions() as session:
            found = await TokenStore(session).find_active(token_digest(token), self._clock())
        if found is None:
            raise AuthenticationFailed(TOKEN_INVALID)
        return Viewer(found["person_id"], found["name"], found["role"], token_id=found["token_id"])

    async def viewers_for_tokens(self, tokens: list[str]) -> dict[str, Viewer]:
        """:meth:`authenticate` for many tokens in one query; invalid tokens are left out."""
        digests = {token_digest(token): token for token in tokens if token}
        if not digests:
            return {}
        async with self._sessions() as session:
            found = await TokenStore(session).find_active_many(list(digests), self._clock())
        return {digests[digest]: Viewer(row["person_id"], row["name"], row["role"], token_id=row["token_id"])
                for digest, row in found.items()}

    async def logout(self, viewer: Viewer) -> None:
        if viewer.token_id is None:
            return
        async with self._sessions() as session, session.begin():
            await TokenStore(session).revoke(viewer.token_id, self._clock())
            await record(session, actor=viewer.person_id, action="logout",
                         target=f"token:{viewer.token_id}")

    async def revoke_tokens(self, viewer: Viewer, person_id: int) -> int:
        """Admins sign a person out everywhere; returns how many live tokens were revoked."""
        viewer.require_admin()
        async with self._sessions() as session, session.begin():
            if await PersonStore(session).by_id(person_id) is None:
                raise NotFound(f"人员 {person_id} 不存在")
            revoked = await TokenStore(session).revoke_all(person_id, self._clock())
            await record(session, actor=viewer.person_id, action="token.revoke",
                         target=f"person:{person_id}", details={"revoked": revoked})
            return revoked

    async def activate(self, viewer: Viewer, person_id: int, password: object) -> dict[str, Any]:
        """Admins set a person's first (or a new) password; existing tokens are revoked."""
        viewer.require_admin()
        if not isinstance(password, str):
            raise InvalidInput("password 必须是字符串")
        try:
            password_hash = await asyncio.to_thread(hash_password, password)
        except ValueError as exc:
            raise InvalidInput(str(exc), details={"field": "password"}) from None
        async with self._sessions() as session, session.begin():
            people = PersonStore(session)
            person = await people.by_id(person_id)
            if person is None:
                raise NotFound(f"人员 {person_id} 不存在")
            await people.set_password_hash(person_id, password_hash)
            # A reset password must not leave an attacker's old session alive.
            revoked = await TokenStore(session).revoke_all(person_id, self._clock())
            await record(session, actor=viewer.person_id, action="account.activate",
                         target=f"person:{person_id}", details={"revoked_tokens": revoked})
        return {
            "person": {"id": person["id"], "name": person["name"], "role": person["role"]},
            "activated": True,
            "revoked_tokens": revoked,
        }
