"""Every migration runs up and back down on SQLite and PostgreSQL, and the models agree."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from migrations.models import SEARCH_TABLES, include_name, target_metadata
from orgchart.infra import migrate
from orgchart.infra.db import create_engine


def _differences(sync_conn):
    context = MigrationContext.configure(sync_conn, opts={
        "compare_type": True, "include_name": include_name})
    return compare_metadata(context, target_metadata)


def _tables(sync_conn) -> set[str]:
    # the search index tables of migration 0003 are not in the models
    return set(inspect(sync_conn).get_table_names()) - {"alembic_version"} - SEARCH_TABLES


async def test_migrations_up_down_and_match_models(db_url):
    engine = create_engine(db_url)
    try:
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
            assert await conn.run_sync(_tables) == set(target_metadata.tables)

        await migrate.downgrade(engine, "base")
        assert await migrate.current_revision(engine) is None
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()

        await migrate.upgrade(engine)  # and up again: downgrades leave nothing behind
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_a_database_with_a_linguistic_collation_is_refused(pg_url):
    """Subtree and prefix ranges need code-point order; zh-Hans ICU would silently break them."""
    import asyncpg
    import pytest

    from orgchart.infra.config import ConfigError
    from tests.conftest import PG_ADMIN_DSN

    name = pg_url.rsplit("/", 1)[1] + "_icu"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu '
                            f"ICU_LOCALE 'zh-Hans-CN' LOCALE 'C.UTF-8'")
        engine = create_engine(pg_url.rsplit("/", 1)[0] + "/" + name)
        with pytest.raises(ConfigError, match="C.UTF-8"):
            await migrate.upgrade(engine)
        await engine.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_nodes_starting_together_migrate_and_start_once(pg_url):
    """Found in a CI run: two nodes on a fresh database raced to create the same rows."""
    import asyncio

    from im_server.delivery.bus import InProcessBus
    from im_server.delivery.committer import Committer

    engines = [create_engine(pg_url) for _ in range(3)]
    try:
        await asyncio.gather(*(migrate.upgrade(engine) for engine in engines))
        committers = [Committer(engine, InProcessBus()) for engine in engines]
        await asyncio.gather(*(committer.start() for committer in committers))
        for committer in committers:
            await committer.close()
        assert await migrate.current_revision(engines[0]) == migrate.head_revision()
    finally:
        for engine in engines:
            await engine.dispose()
