"""The database: declarative base, engine factory and session maker.

The same code runs on SQLite (aiosqlite, the default) and PostgreSQL (asyncpg).
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic migrations can drop and compare them on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _prepare_sqlite_file(url: str) -> None:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, *, inline: bool = False, **kwargs) -> AsyncEngine:
    """An async engine for ``url`` with the per-backend settings this project relies on.

    ``inline`` (SQLite only): statements run on the event loop's thread and never wait for a
    lock — for the batch committer alone; see :mod:`orgchart.infra.sqlite_inline`.
    """
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        if inline:
            from orgchart.infra.sqlite_inline import inline_creator

            kwargs["async_creator"] = inline_creator(url)
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            # Let SQLAlchemy, not the driver, begin transactions: savepoints then work, and a
            # writer can ask for BEGIN IMMEDIATE (see WRITE_TRANSACTION).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # WAL lets readers go on while the importer writes; foreign keys are off by default.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # an inline connection must fail at once rather than block the event loop
            cursor.execute(f"PRAGMA busy_timeout={0 if inline else 10000}")
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - trivial
            mode = "IMMEDIATE" if conn.get_execution_options().get("sqlite_immediate") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    connect_args = kwargs.setdefault("connect_args", {})
    connect_args.setdefault("server_settings", {
        # asyncpg prepares every statement; after five runs PostgreSQL may switch to a generic
        # plan that ignores the actual prefix range and scans a whole table. Custom plans keep
        # subtree queries on their indexes (county children counts: 106 ms -> 9 ms).
        "plan_cache_mode": "force_custom_plan",
        # the working set lives in memory: random reads are not 4x a sequential one here
        "random_page_cost": "1.1",
        # JIT compilation costs more than these short queries take
        "jit": "off",
    })
    return create_async_engine(url, **kwargs)


#: Execution options for a transaction that will write: on SQLite it takes the write lock at
#: BEGIN, so it waits its turn (busy_timeout) instead of failing when upgrading a read snapshot.
WRITE_TRANSACTION = {"sqlite_immediate": True}


def session_maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)

