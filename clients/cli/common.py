"""What every sub-command shares: reading the settings once from the parsed arguments, and the
migrated database of the commands that act on it directly."""
from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from orgchart.infra import migrate
from orgchart.infra.config import Settings, load_settings
from orgchart.infra.db import create_engine, session_maker


def settings_from(args: argparse.Namespace, **extra) -> Settings:
    overrides = {"database_url": getattr(args, "database_url", None), **extra}
    return load_settings(overrides, config_file=getattr(args, "config", None))


@asynccontextmanager
async def migrated_engine(args: argparse.Namespace) -> AsyncIterator[AsyncEngine]:
    """The configured database, brought up to the newest schema first; disposed afterwards."""
    engine = create_engine(settings_from(args).database_url)
    try:
        await migrate.upgrade(engine)
        yield engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def migrated_sessions(args: argparse.Namespace) -> AsyncIterator[async_sessionmaker]:
    """Sessions on :func:`migrated_engine`."""
    async with migrated_engine(args) as engine:
        yield session_maker(engine)
