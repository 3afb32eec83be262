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


async def test_0007_gives_logged_events_their_subject(db_url):
    """Events logged before 0007 are filtered at replay too: their subject comes from the payload."""
    import json

    from sqlalchemy import text

    engine = create_engine(db_url)
    payloads = [
        (1, "message.new", {"message": {"id": 7, "conversation": 3, "content": {"text": "x"}}}),
        (2, "conversation.new", {"conversation": {"id": 4, "title": "t"}, "members": []}),
        (3, "conversation.read", {"conversation": 5, "person": 1, "last_read_seq": 2}),
        (4, "ding", {"kind": "message", "message": 8, "conversation": 6, "attempt": 0}),
        (5, "notice.new", {"notice": {"id": 9, "title": "n"}}),
        (6, "ding", {"kind": "notice", "notice": 10, "attempt": 1}),
        (7, "notice.read", {"notice": 11, "person": 1}),
        # the shapes of 3a365d2: objects at the top of an event
        (8, "conversation.read", {"conversation": {"id": 12}, "person": {"id": 1}, "last_read_seq": 2}),
        (9, "ding", {"kind": "message", "message": {"id": 13, "conversation": 14}, "attempt": 0}),
        (10, "card.click", {"message": {"id": 15, "conversation": 16}, "action": "ok"}),
        (11, "ding", {"kind": "notice", "notice": {"id": 17}, "attempt": 1}),
    ]
    try:
        await migrate.upgrade(engine, "0006")
        async with engine.begin() as conn:
            for position, kind, data in payloads:
                await conn.execute(text("INSERT INTO events (id, type, payload, created_at) "
                                        "VALUES (:id, :type, :payload, CURRENT_TIMESTAMP)"),
                                   {"id": position, "type": kind, "payload": json.dumps(data)})
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT id, conversation_id, message_id, notice_id FROM events ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [(1, 3, 7, None), (2, 4, None, None), (3, 5, None, None),
                                            (4, 6, 8, None), (5, None, None, 9), (6, None, None, 10),
                                            (7, None, None, 11), (8, 12, None, None), (9, 14, 13, None),
                                            (10, 16, 15, None), (11, None, None, 17)]
    finally:
        await engine.dispose()
