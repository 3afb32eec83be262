"""Apply, revert and check the Alembic migrations from code (``zhengding db …``, ``serve``)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations
from orgchart.infra.config import ConfigError

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent
#: PostgreSQL advisory lock key held while migrating ("zd" + 1).
MIGRATION_LOCK = 0x7A6401


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` inside one transaction."""
    await check_collation(engine)
    await _run(engine, lambda config: command.upgrade(config, revision))


async def check_collation(engine: AsyncEngine) -> None:
    """Refuse a PostgreSQL database whose default collation is not code-point order.

    Subtrees are the string range [path, path + ":") and name prefixes [p, p with its last
    character incremented); both hold only under code-point order (C, C.UTF-8, POSIX). Under a
    linguistic collation such as zh-Hans ICU, '3308:' sorts before '330899' and queries would
    silently miss units and people — so say so at start-up instead.
    """
    if engine.dialect.name != "postgresql":
        return  # SQLite compares text as BINARY, which is code-point order for UTF-8
    async with engine.connect() as conn:
        ordered = await conn.scalar(text("SELECT '3308:' > '330899' AND '弡' > '张伟'"))
        database = await conn.scalar(text("SELECT current_database()"))
    if not ordered:
        raise ConfigError(
            f"数据库 {database} 的排序规则不是按码位排序, 辖区和拼音前缀查询会出错。请用 C 排序规则建库: "
            f"CREATE DATABASE {database} TEMPLATE template0 LOCALE 'C.UTF-8' "
            f"(PostgreSQL database {database} must use the C / C.UTF-8 collation)")


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    await _run(engine, lambda config: command.downgrade(config, revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision()
        )


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def _run(engine: AsyncEngine, action) -> None:
    def in_connection(sync_conn) -> None:
        config = alembic_config()
        config.attributes["connection"] = sync_conn
        action(config)

    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Nodes starting together on a fresh database would race to create the same tables;
            # the first migrates, the others wait and then find nothing to do.
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(in_connection)
