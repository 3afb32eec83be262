"""Every package's models, imported so that ``Base.metadata`` describes the whole schema.

Alembic's autogenerate and the schema-agreement test compare against this metadata; a package
that adds tables adds its models module here.
"""
from __future__ import annotations

import im_server.models  # noqa: F401
import orgchart.infra.audit
import orgchart.models  # noqa: F401
from orgchart.infra.db import Base

target_metadata = Base.metadata

#: Message-search objects made by raw SQL in migration 0003 and absent from the models: the
#: SQLite FTS5 table with its shadow tables, and the PostgreSQL trigram index.
SEARCH_TABLES = frozenset({
    "messages_fts", "messages_fts_data", "messages_fts_idx", "messages_fts_content",
    "messages_fts_docsize", "messages_fts_config",
})
SEARCH_INDEXES = frozenset({"ix_messages_search_trgm"})


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic ``include_name`` hook: autogenerate leaves the search objects alone.

    A name filter (not ``include_object``) so the FTS tables are not even reflected.
    """
    if type_ == "table":
        return name not in SEARCH_TABLES
    if type_ == "index":
        return name not in SEARCH_INDEXES
    return True
