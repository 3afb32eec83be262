"""SQL for message search: substring matches over ``messages.search_text``, Chinese included.

Word tokenizers do not split Chinese, so the index is over character trigrams (migration 0003):
SQLite asks its FTS5 trigram table with the query quoted as one phrase; PostgreSQL uses
``ILIKE '%…%'``, which its pg_trgm GIN index answers. A trigram index cannot look up fewer than
three characters, so shorter queries scan only the messages of the caller's conversations.

User input never becomes query syntax: the FTS phrase doubles its quotes and LIKE patterns
escape ``%``, ``_`` and the escape character itself.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, column, func, select, table, text
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server import models as m
from im_server.stores.membership import conversations_of
from orgchart import models as om
from orgchart.service.present import iso

#: Trigram indexes need at least this many characters to look anything up.
TRIGRAM_MIN = 3
#: Characters of context each side of the match in a snippet.
SNIPPET_CONTEXT = 24

messages = m.Message.__table__
conversations = m.Conversation.__table__
messages_fts = table("messages_fts", column("rowid"))


def fts_phrase(query: str) -> str:
    """``query`` as one FTS5 phrase: operators, ``*``, ``:`` and quotes lose their meaning."""
    return '"' + query.replace('"', '""') + '"'


def like_pattern(query: str) -> str:
    """``%query%`` with LIKE wildcards escaped (escape character: backslash)."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def snippet(body: str, query: str, context: int = SNIPPET_CONTEXT) -> tuple[str, list[int]]:
    """A short excerpt around the first match and the match's ``[start, end)`` within it."""
    at = body.lower().find(query.lower())
    if at < 0:  # case folding changed lengths; show the start rather than nothing
        return body[: 2 * context], [0, 0]
    start, end = max(0, at - context), min(len(body), at + len(query) + context)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(body) else ""
    offset = len(prefix) + at - start
    return f"{prefix}{body[start:end]}{suffix}", [offset, offset + len(query)]


def _matching(query: str, dialect: str) -> Any:
    """The WHERE clause that finds ``query`` in ``messages.search_text`` on this backend."""
    if len(query) >= TRIGRAM_MIN:
        if dialect == "sqlite":
            hits = select(messages_fts.c.rowid).where(
                text("messages_fts MATCH :phrase").bindparams(phrase=fts_phrase(query)))
            return messages.c.id.in_(hits)
        return messages.c.search_text.ilike(like_pattern(query), escape="\\")
    if dialect == "sqlite":
        # SQLite's LIKE already ignores ASCII case and no index applies to a leading wildcard
        return messages.c.search_text.like(like_pattern(query), escape="\\")
    # lower() keeps PostgreSQL off the trigram index, which would read all of it for a
    # pattern with no trigram; the conversation filter then drives the scan instead
    return func.lower(messages.c.search_text).like(func.lower(like_pattern(query)), escape="\\")


def search_query(person_id: int, query: str, *, dialect: str, today: dt.date,
                 conversation_id: int | None = None, limit: int = 20) -> Select:
    """Messages matching ``query`` in the conversations the person reads now, newest first."""
    readable = conversations_of(person_id, today).subquery()
    stmt = (select(messages.c.id, messages.c.conversation_id, messages.c.seq, messages.c.sender_id,
                   messages.c.content_type, messages.c.search_text, messages.c.created_at,
                   om.Person.name.label("sender_name"),
                   conversations.c.title.label("conversation_title"))
            .join(om.Person, om.Person.id == messages.c.sender_id)
            .join(conversations, conversations.c.id == messages.c.conversation_id)
            .where(messages.c.conversation_id.in_(select(readable.c.conversation_id)),
                   messages.c.recalled_at.is_(None),
                   _matching(query, dialect))
            .order_by(messages.c.id.desc())
            .limit(limit))
    if conversation_id is not None:
        stmt = stmt.where(messages.c.conversation_id == conversation_id)
    return stmt


async def search_messages(conn: AsyncConnection, person_id: int, query: str, *, today: dt.date,
                          conversation_id: int | None = None,
                          limit: int = 20) -> list[dict[str, Any]]:
    stmt = search_query(person_id, query, dialect=conn.dialect.name, today=today,
                        conversation_id=conversation_id, limit=limit)
    matches = []
    for row in (await conn.execute(stmt)).all():
        excerpt, highlight = snippet(row.search_text, query)
        matches.append({
            "message": row.id,
            "conversation": row.conversation_id,
            "conversation_title": row.conversation_title,
            "seq": row.seq,
            "sender": {"id": row.sender_id, "name": row.sender_name},
            "type": row.content_type,
            "created_at": iso(row.created_at),
            "snippet": excerpt,
            "highlight": highlight,
        })
    return matches
