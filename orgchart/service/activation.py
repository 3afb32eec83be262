"""Activation codes: how imported people get their first password, the way a rollout works.

An admin (over HTTP) or the operator (``zhengding org activate``) issues codes for a selector
or a list of mobiles. Each person gets a random 8-digit code by SMS through the
:class:`~orgchart.infra.notify.Notifier` — in the same transaction as the code, so a code is
stored if and only if its SMS is queued. Only a digest of each code is stored.

The person then sets a password with mobile + code (``POST /api/v1/activate``). A code works
once, until it expires, and only while it is the person's newest; five wrong guesses kill it.
Issuing is limited per person (one code a minute, five a day), so a list submitted twice does
not flood anyone's phone. Every issue and every redemption, refused or not, is audited.
"""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import hmac
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orgchart.codes import CodeError, validate_mobile
from orgchart.errors import ActivationRefused, InvalidInput, TooManyAttempts
from orgchart.infra.audit import record
from orgchart.infra.notify import Notification, Notifier
from orgchart.security import MIN_PASSWORD_LENGTH, code_digest, hash_password, new_activation_code
from orgchart.selectors.resolver import resolve_recipients
from orgchart.service.present import iso
from orgchart.service.viewer import Viewer
from orgchart.store.activation_codes import ActivationCodeStore
from orgchart.store.people import PersonStore
from orgchart.store.tokens import TokenStore

#: Beijing time for what people read (China keeps no daylight saving time).
BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")
#: How many bad mobiles a refusal lists (the count is always complete).
LISTED = 50
WRONG_CODE = "手机号或激活码错误"
USED = "激活码已使用过，请直接登录；忘记密码请联系管理员"


@dataclass(frozen=True)
class ActivationPolicy:
    valid_hours: int = 72
    max_valid_hours: int = 30 * 24
    #: Wrong guesses after which a code stops working.
    max_failed_attempts: int = 5
    #: Per person: not more often than this …
    min_issue_interval: dt.timedelta = dt.timedelta(minutes=1)
    #: … and not more than this many in 24 hours.
    max_issues_per_day: int = 5


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite drops the zone


def sms_text(name: str, code: str, expires_at: dt.datetime) -> str:
    until = expires_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    return (f"【政钉】{name}您好，您的政钉激活码为 {code}，{until}（北京时间）前有效，仅可使用一次。"
            "请用手机号和激活码设置登录密码。请勿将激活码告知他人。")


def parse_mobiles_csv(text: str) -> list[str]:
    """Mobiles from CSV text: the first column of each row, or the column headed ``mobile`` /
    ``手机号``; blank lines are skipped. Values are returned as written (checked later)."""
    rows = [row for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(c.strip() for c in row)]
    if not rows:
        return []
    column = 0
    header = [cell.strip().lower() for cell in rows[0]]
    for name in ("mobile", "手机号", "手机号码"):
        if name in header:
            column = header.index(name)
            rows = rows[1:]
            break
    return [row[column].strip() if column < len(row) else "" for row in rows]


class ActivationService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, notifier: Notifier | None = None,
                 policy: ActivationPolicy = ActivationPolicy(),
                 clock: Callable[[], dt.datetime] = utc_now) -> None:
        self._sessions = sessions
        self._notifier = notifier
        self._policy = policy
        self._clock = clock

    # --- issuing -----------------------------------------------------------------------------

    async def issue(self, viewer: Viewer | None, *, selector: str | None = None,
                    mobiles: list[Any] | None = None, valid_hours: int | None = None,
                    include_active: bool = False, remote: str | None = None) -> dict[str, Any]:
        """Issue codes to the people of ``selector`` (holders now, enterprise members) or of
        ``mobiles``. ``viewer`` must be an admin; ``None`` is the operator's command line.

        People who already have a password are skipped unless ``include_active`` (a reset);
        so are people without a mobile and people who were sent a code too recently. Any
        malformed or unknown mobile refuses the whole request, listing them: nothing is sent.
        """
        if viewer is not None:
            viewer.require_admin()
        if self._notifier is None:
            raise RuntimeError("issuing activation codes needs a notifier")
        if (selector is None) == (mobiles is None):
            raise InvalidInput("请指定 selector 或 mobiles 之一", details={"field": "selector"})
        hours = self._valid_hours(valid_hours)
        now = self._clock()
        expires_at = now + dt.timedelta(hours=hours)
        async with self._sessions() as session, session.begin():
            codes = ActivationCodeStore(session)
            if selector is not None:
                if not isinstance(selector, str) or not selector.strip():
                    raise InvalidInput("selector 必须是非空字符串", details={"field": "selector"})
                person_ids = sorted(await resolve_recipients(session, selector))
                target = f"selector:{selector}"
            else:
                person_ids = await self._people_of_mobiles(codes, mobiles)
                target = f"mobiles:{len(person_ids)}"
            people = await codes.people(person_ids)
            chosen, skipped = await self._eligible(codes, people, include_active, now)
            issued = [(person, new_activation_code()) for person in chosen]
            await codes.issue([{"person_id": person["id"], "code_hash": code_digest(person["id"], code),
                                "created_at": now, "expires_at": expires_at,
                                "issued_by": viewer.person_id if viewer else None}
                               for person, code in issued], now)
            await self._notifier.notify(await session.connection(), [
                Notification(channel="sms", person_id=person["id"], mobile=person["mobile"],
                             text=sms_text(person["name"], code, expires_at))
                for person, code in issued], now)
            await record(session, actor=viewer.person_id if viewer else None, action="activation.issue",
                         target=target, remote=remote,
                         details={"issued": len(issued), "skipped": skipped, "valid_hours": hours,
                                  "include_active": include_active, "via": "http" if viewer else "cli"})
        return {"issued": len(issued), "matched": len(people), "skipped": skipped,
                "expires_at": iso(expires_at), "channel": "sms"}

    def _valid_hours(self, valid_hours: Any) -> int:
        if valid_hours is None:
            return self._policy.valid_hours
        limit = self._policy.max_valid_hours
        if (not isinstance(valid_hours, int) or isinstance(valid_hours, bool)
                or not 1 <= valid_hours <= limit):
            raise InvalidInput(f"valid_hours 应为 1–{limit} 之间的整数", details={"field": "valid_hours"})
        return valid_hours

    async def _people_of_mobiles(self, codes: ActivationCodeStore, mobiles: Any) -> list[int]:
        if not isinstance(mobiles, list) or not mobiles:
            raise InvalidInput("mobiles 必须是非空的手机号数组", details={"field": "mobiles"})
        numbers, invalid = [], []
        for index, raw in enumerate(mobiles, start=1):
            try:
                numbers.append(validate_mobile(raw) if isinstance(raw, str) else validate_mobile(""))
            except CodeError:
                invalid.append({"row": index, "value": str(raw)[:20]})
        known = await codes.ids_by_mobile(sorted(set(numbers))) if numbers else {}
        unknown = sorted(set(numbers) - known.keys())
        if invalid or unknown:
            parts = ([f"{len(invalid)} 个手机号格式不正确"] if invalid else []) + (
                [f"{len(unknown)} 个手机号不在通讯录中"] if unknown else [])
            raise InvalidInput("；".join(parts) + "，未发放任何激活码", details={
                "field": "mobiles", "invalid": invalid[:LISTED], "invalid_count": len(invalid),
                "unknown": unknown[:LISTED], "unknown_count": len(unknown)})
        return sorted(set(known.values()))

    async def _eligible(self, codes: ActivationCodeStore, people: list[dict[str, Any]],
                        include_active: bool, now: dt.datetime) -> tuple[list[dict[str, Any]], dict[str, int]]:
        skipped = {"already_active": 0, "no_mobile": 0, "rate_limited": 0}
        candidates = []
        for person in people:
            if person["mobile"] is None:
                skipped["no_mobile"] += 1
            elif person["active"] and not include_active:
                skipped["already_active"] += 1
            else:
                candidates.append(person)
        recent = await codes.recent_issues([p["id"] for p in candidates], now - dt.timedelta(days=1))
        chosen = []
        for person in candidates:
            count, latest = recent.get(person["id"], (0, None))
            if count >= self._policy.max_issues_per_day or (
                    latest is not None and now - _aware(latest) < self._policy.min_issue_interval):
                skipped["rate_limited"] += 1
            else:
                chosen.append(person)
        return chosen, skipped

    # --- redeeming ---------------------------------------------------------------------------

    async def redeem(self, mobile: Any, code: Any, password: Any, *,
                     remote: str | None = None) -> dict[str, Any]:
        """Set the password of the person with ``mobile`` if ``code`` is their live code.

        A wrong code and an unknown mobile answer alike (``invalid_code``): the answer does
        not tell which mobiles exist. Expired and used are only told to someone who knows
        the code.
        """
        for name, value in (("mobile", mobile), ("code", code), ("password", password)):
            if not isinstance(value, str):
                raise InvalidInput(f"{name} 必须是字符串", details={"field": name})
        if len(password) < MIN_PASSWORD_LENGTH:  # before the code: a short password costs no guess
            raise InvalidInput(f"密码至少 {MIN_PASSWORD_LENGTH} 位", details={"field": "password"})
        try:
            number: str | None = validate_mobile(mobile)
        except CodeError:
            number = None
        now = self._clock()
        async with self._sessions() as session:
            async with session.begin():
                person = await PersonStore(session).by_mobile(number) if number else None
                row = await ActivationCodeStore(session).latest(person["id"]) if person else None
                refusal = await self._check(session, person, row, code.strip(), now)
                if refusal is not None:
                    await record(session, actor=person["id"] if person else None, action="account.activate",
                                 target=f"mobile:{number or '-'}", result="denied", remote=remote,
                                 details={"reason": refusal[0], "via": "activation_code"})
            if refusal is not None:  # committed: the guess is counted and the refusal audited
                raise refusal[1]
            assert person is not None and row is not None
            password_hash = await asyncio.to_thread(hash_password, password)  # argon2: off the loop
            async with session.begin():
                if not await ActivationCodeStore(session).claim(row["id"], now):
                    raise ActivationRefused("code_used", USED)
                await PersonStore(session).set_password_hash(person["id"], password_hash)
                revoked = await TokenStore(session).revoke_all(person["id"], now)
                await record(session, actor=person["id"], action="account.activate",
                             target=f"person:{person['id']}", remote=remote,
                             details={"via": "activation_code", "code": row["id"], "revoked_tokens": revoked})
        return {"person": {"id": person["id"], "name": person["name"], "role": person["role"]},
                "activated": True}

    async def _check(self, session: AsyncSession, person: dict[str, Any] | None,
                     row: dict[str, Any] | None, code: str,
                     now: dt.datetime) -> tuple[str, Exception] | None:
        """Why this code does not work (a reason for the audit log, the error), or ``None``."""
        if person is None or row is None:
            return ("unknown_mobile" if person is None else "no_code",
                    ActivationRefused("invalid_code", WRONG_CODE))
        locked = TooManyAttempts("激活码错误次数过多，已失效，请联系管理员重新发放")
        if row["failed_attempts"] >= self._policy.max_failed_attempts:
            return "locked", locked
        if not hmac.compare_digest(row["code_hash"], code_digest(person["id"], code)):
            failures = await ActivationCodeStore(session).count_failure(row["id"])
            if failures >= self._policy.max_failed_attempts:
                return "wrong_code_locked", locked
            return "wrong_code", ActivationRefused("invalid_code", WRONG_CODE)
        if row["used_at"] is not None:
            return "used", ActivationRefused("code_used", USED)
        if _aware(row["expires_at"]) <= now:
            return "expired", ActivationRefused("code_expired", "激活码已过期，请联系管理员重新发放")
        return None
