"""Shared fixtures: real databases (SQLite file and the PostgreSQL server on this machine).

PostgreSQL tests create a database of their own and drop it afterwards. When the server cannot
be reached they are skipped on a developer machine, but with ``CI=true`` they fail: CI must
exercise the scale-out path for real.
"""
from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from orgchart.infra import migrate
from orgchart.infra.db import create_engine, session_maker

PG_ADMIN_DSN = os.environ.get("ZHENGDING_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


async def _pg_admin() -> asyncpg.Connection:
    try:
        return await asyncio.wait_for(asyncpg.connect(PG_ADMIN_DSN), timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL at {PG_ADMIN_DSN} is unreachable: {exc!r}"
        if IN_CI:
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(message)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    name = f"zd_test_{uuid.uuid4().hex[:12]}"
    admin = await _pg_admin()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    yield f"{base}/{name}"
    admin = await _pg_admin()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'zhengding.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
async def engine(db_url):
    """A migrated engine on each backend."""
    engine = create_engine(db_url)
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine):
    return session_maker(engine)
