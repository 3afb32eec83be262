"""message search: substring index over messages.search_text (Chinese included)

SQLite: an FTS5 table with the trigram tokenizer over ``messages.search_text`` (external
content, so the text is not stored twice), kept in sync by triggers on messages.
PostgreSQL: the pg_trgm extension and a GIN trigram index on ``messages.search_text``, which
serves ``ILIKE '%…%'`` directly.

Neither object is in the SQLAlchemy models; ``migrations.models.include_name`` keeps
autogenerate from proposing to drop them.

Caution for later migrations: a SQLite batch rebuild of ``messages`` (``batch_alter_table``)
drops the table and with it these triggers; such a migration must recreate them
(``SQLITE_TRIGGERS`` below) and run the FTS ``rebuild`` command.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00
"""
from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    "search_text, content='messages', content_rowid='id', tokenize='trigram')"
)

# External-content FTS tables must be told the *old* text to remove an entry, hence the
# 'delete' commands carrying old.search_text rather than a plain DELETE.
SQLITE_TRIGGERS = (
    """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER messages_fts_update AFTER UPDATE OF search_text ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO messages_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
)

PG_INDEX = "ix_messages_search_trgm"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_TABLE)
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        # index the messages that already exist
        op.execute("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # Not CONCURRENTLY: migrations run in one transaction. On a large existing messages
        # table this blocks writes while the index builds; plan the upgrade accordingly.
        op.execute(f"CREATE INDEX {PG_INDEX} ON messages USING gin (search_text gin_trgm_ops)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("messages_fts_insert", "messages_fts_delete", "messages_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS messages_fts")
    elif dialect == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
        # The extension stays: it may have existed before us or serve other objects now.
