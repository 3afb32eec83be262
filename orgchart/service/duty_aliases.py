"""Duty-tag aliases: the short forms selectors accept for duty tags (村支书 → 村党支部书记).

Admins list, set and remove aliases one by one or import a CSV file of ``alias,tag`` rows
(``zhengding org alias``, ``/api/v1/admin/duty-aliases``). Every change is audited
(``directory.change``, target ``duty_alias:…``) in the same transaction. An alias must be a
word a selector can hold unquoted, must not be an operator word (or, 且 …), and never
names a tag equal to itself.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orgchart import models as m
from orgchart.errors import InvalidInput, NotFound
from orgchart.infra.audit import record
from orgchart.selectors.nodes import OPERATOR_WORDS, WORD_STOP

_aliases = m.DutyAlias.__table__
MAX_LENGTH = 40  # the column's length, as for duty tags


def check_alias(alias: object, tags: object, *, where: str = "") -> tuple[str, list[str]]:
    """The alias and its tags, trimmed; :class:`InvalidInput` (with ``details.field``) if bad."""
    at = f"{where}: " if where else ""
    if not isinstance(alias, str) or not alias.strip() or len(alias.strip()) > MAX_LENGTH:
        raise InvalidInput(f"{at}别名 alias 必须是 1–{MAX_LENGTH} 字的字符串", details={"field": "alias"})
    alias = alias.strip()
    if set(alias) & WORD_STOP or alias.startswith("-") or any(c.isspace() for c in alias):
        raise InvalidInput(f"{at}别名 {alias!r} 不能含空格、括号、引号或 + | , : 等符号, 也不能以 - 开头",
                           details={"field": "alias"})
    if alias.lower() in OPERATOR_WORDS:
        raise InvalidInput(f"{at}别名 {alias!r} 是选择器的运算符 (or/and/not/或/且/非), 不能用作别名",
                           details={"field": "alias"})
    if (not isinstance(tags, list) or not tags
            or not all(isinstance(t, str) and 0 < len(t.strip()) <= MAX_LENGTH for t in tags)):
        raise InvalidInput(f"{at}职责标签 tags 必须是 1–{MAX_LENGTH} 字的字符串组成的非空数组",
                           details={"field": "tags"})
    cleaned = list(dict.fromkeys(t.strip() for t in tags))
    if alias in cleaned:
        raise InvalidInput(f"{at}别名 {alias!r} 不能指向它自己", details={"field": "tags"})
    return alias, cleaned


def read_csv(text: str) -> dict[str, list[str]]:
    """``alias,tag`` rows (a header row ``alias,tag`` or ``别名,职责`` is skipped) to aliases."""
    found: dict[str, list[str]] = defaultdict(list)
    for number, row in enumerate(csv.reader(io.StringIO(text.removeprefix("\ufeff"))), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if number == 1 and [c.strip().lower() for c in row[:2]] in (["alias", "tag"], ["别名", "职责"]):
            continue
        if len(row) != 2:
            raise InvalidInput(f"第 {number} 行: 应为两列 (别名,职责), 实际为 {len(row)} 列",
                               details={"field": "csv", "line": number})
        alias, tag = check_alias(row[0], [row[1]], where=f"第 {number} 行")
        if tag[0] not in found[alias]:
            found[alias].append(tag[0])
    return dict(found)


async def all_aliases(session: AsyncSession) -> dict[str, list[str]]:
    """Every alias with its tags, in alias order."""
    found: dict[str, list[str]] = defaultdict(list)
    stmt = select(_aliases.c.alias, _aliases.c.tag).order_by(_aliases.c.alias, _aliases.c.tag)
    for alias, tag in (await session.execute(stmt)).all():
        found[alias].append(tag)
    return dict(found)


class DutyAliasService:
    """Reading and changing the alias table; ``actor`` is the admin's person id (None: CLI)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def list(self) -> dict[str, list[str]]:
        async with self._sessions() as session:
            return await all_aliases(session)

    async def set(self, actor: int | None, alias: object, tags: object) -> tuple[str, list[str]]:
        """Make ``alias`` stand for exactly ``tags`` (replacing what it stood for)."""
        alias, cleaned = check_alias(alias, tags)
        async with self._sessions() as session, session.begin():
            await _write(session, {alias: cleaned})
            await record(session, actor=actor, action="directory.change", target=f"duty_alias:{alias}",
                         details={"alias": alias, "tags": cleaned})
        return alias, cleaned

    async def remove(self, actor: int | None, alias: str) -> None:
        async with self._sessions() as session, session.begin():
            result = await session.execute(delete(_aliases).where(_aliases.c.alias == alias))
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound(f"职责别名 {alias!r} 不存在")
            await record(session, actor=actor, action="directory.change", target=f"duty_alias:{alias}",
                         details={"alias": alias, "removed": True})

    async def import_csv(self, actor: int | None, text: str, *, replace: bool = False) -> int:
        """Set every alias of an ``alias,tag`` CSV (all rows checked first; a bad one writes
        nothing). ``replace`` drops the aliases the file does not name. Returns the count."""
        aliases = read_csv(text)
        if not aliases:
            raise InvalidInput("文件中没有别名 (每行: 别名,职责)", details={"field": "csv"})
        async with self._sessions() as session, session.begin():
            if replace:
                await session.execute(delete(_aliases))
            await _write(session, aliases)
            await record(session, actor=actor, action="directory.change", target="duty_alias:*",
                         details={"imported": len(aliases), "replace": replace})
        return len(aliases)


async def _write(session: AsyncSession, aliases: dict[str, Iterable[str]]) -> None:
    await session.execute(delete(_aliases).where(_aliases.c.alias.in_(list(aliases))))
    await session.execute(insert(_aliases), [{"alias": alias, "tag": tag}
                                             for alias, tags in aliases.items() for tag in tags])
