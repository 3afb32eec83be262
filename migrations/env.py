"""Alembic environment: runs migrations over the project's async engine (online only)."""
from __future__ import annotations

import asyncio

from alembic import context

from migrations.models import include_name, target_metadata
from orgchart.infra.db import create_engine

config = context.config


def run_on(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # the message-search index objects live outside the models (migration 0003)
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_own_engine(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run_on)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `zhengding db upgrade`")

_handed_in = config.attributes.get("connection")
if _handed_in is not None:  # orgchart.infra.migrate runs us inside its own connection
    run_on(_handed_in)
else:
    asyncio.run(run_with_own_engine(config.get_main_option("sqlalchemy.url")))
