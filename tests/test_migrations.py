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
