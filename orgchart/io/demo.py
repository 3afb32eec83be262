"""The demo directory ``zhengding serve`` loads into an empty database, and its log-in accounts.

The directory is the generator's ``city`` preset (衢州市). Its people have no password, except
the demo accounts below: the generator pins them to these mobiles (see
``orgchart.io.generate_data``), and loading the demo sets their argon2id passwords.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orgchart import models as m
from orgchart.io.generate import generate_records
from orgchart.security import hash_password

DEMO_PRESET = "city"


@dataclass(frozen=True)
class DemoAccount:
    mobile: str
    password: str
    role: str
    description: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("13900000000", "zhengding-admin", "admin", "系统管理员: 可导入、导出和修改目录"),
    DemoAccount("13900000001", "zhengding-official", "official",
                "王建国, 柯城区税务局局长 (岗位 330802000000-SWJ-01)"),
    DemoAccount("13900000002", "zhengding-village", "official",
                "徐志强, 柯城区航埠镇的村党支部书记 (岗位 330802100200-01)"),
    DemoAccount("13900000003", "zhengding-enterprise", "enterprise",
                "陈晓燕, 衢州柯信新材料有限公司法定代表人 (柯城区税务局纳税人 / 重点税源企业 / 千户集团)"),
)


class DemoLoadError(RuntimeError):
    """The demo directory did not import: a bug in the generator or the importer."""


async def ensure_demo_directory(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Load the demo directory when the database has no org unit yet; True when it loaded."""
    from orgchart.io.importer import import_records

    async with sessions() as session:
        if await session.scalar(select(m.OrgUnit.id).limit(1)) is not None:
            return False
    report = await import_records(sessions, generate_records(DEMO_PRESET))
    if not report.ok:
        shown = "; ".join(str(error) for error in report.errors[:5])
        raise DemoLoadError(f"演示目录导入失败 ({len(report.errors)} 处错误): {shown}")
    # argon2id is deliberately slow: hash off the event loop, which may already serve requests.
    hashes = await asyncio.to_thread(lambda: [hash_password(a.password) for a in DEMO_ACCOUNTS])
    async with sessions() as session, session.begin():
        for account, password_hash in zip(DEMO_ACCOUNTS, hashes):
            result = await session.execute(
                update(m.Person).where(m.Person.mobile == account.mobile)
                .values(password_hash=password_hash, role=account.role))
            if cast(CursorResult, result).rowcount != 1:
                raise DemoLoadError(f"演示账号 {account.mobile} 不在生成的演示目录中")
    return True
