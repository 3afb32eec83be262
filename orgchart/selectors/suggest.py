"""What to say when a selector selects nothing: the duty tags nearest to the unknown ones.

Unknown duty tags are not errors (a tag may simply have no post yet), but "没有匹配" alone
leaves a user guessing whether they mistyped. When the result is empty, every ``duty:`` value
that matches no post — neither itself nor through an alias — and every bare word that is no
post code is compared with the known tags and aliases, and the nearest are offered as
``duty:…`` fragments. This runs only for empty results, so its extra statements cost nothing
on the usual path.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from orgchart import models as m
from orgchart.selectors.names import Resolved
from orgchart.selectors.nodes import Duties, Selector, quote

_duties = m.PostDuty.__table__
_aliases = m.DutyAlias.__table__

#: Most suggestions per unknown word.
MAX_SUGGESTIONS = 3
#: Most distinct tags read for the comparison (a directory has tens; this only bounds the loop).
MAX_KNOWN_TAGS = 5000

# Distinct tags by a loose index scan on ix_post_duties_tag_path: one probe per tag instead of
# reading every post_duties row; both SQLite and PostgreSQL run it.
_KNOWN_TAGS = text(f"""
WITH RECURSIVE known(tag) AS (
    SELECT MIN(tag) FROM post_duties
    UNION ALL
    SELECT (SELECT MIN(p.tag) FROM post_duties p WHERE p.tag > known.tag)
    FROM known WHERE known.tag IS NOT NULL
)
SELECT tag FROM known WHERE tag IS NOT NULL LIMIT {MAX_KNOWN_TAGS}
""")


@dataclass(frozen=True)
class Unknown:
    """A word of the selector that matched nothing, and the nearest known duty tags."""

    word: str
    nearest: list[str]
    #: "duty" for a ``duty:`` value, "code" for a bare word (a post code that is none)
    kind: str = "duty"

    def describe(self) -> str:
        what = f"未知职责 {self.word!r}" if self.kind == "duty" else f"没有编码为 {self.word!r} 的岗位"
        if not self.nearest:
            return what
        return f"{what}, 最接近的已知职责: {'、'.join(self.nearest)}"


async def unknown_duties(session: AsyncSession, selector: Selector, names: Resolved) -> list[Unknown]:
    """The selector's duty values and bare words that match no post, each with its nearest tags."""
    words: list[str] = []
    for term in selector.terms():
        for f in term.filters:
            if isinstance(f, Duties):
                words.extend(t for t in f.texts if t not in words)
    tags_wanted = set(names.duty_tags(words))
    existing = set()
    if tags_wanted:
        existing = set((await session.execute(
            select(_duties.c.tag).distinct().where(_duties.c.tag.in_(tags_wanted)))).scalars())
    unknown = [(w, "duty") for w in words if not existing & set(names.duty_tags([w]))]
    unknown += [(w, "code") for w in sorted(names.unknown_codes)]
    if not unknown:
        return []
    known = list((await session.execute(_KNOWN_TAGS)).scalars())
    alias_rows = [tuple(row) for row in (await session.execute(select(_aliases.c.alias, _aliases.c.tag)))]
    return [Unknown(word, nearest_tags(word, known, alias_rows), kind) for word, kind in unknown]


def nearest_tags(word: str, known: list[str], aliases: list[tuple[str, str]]) -> list[str]:
    """Up to :data:`MAX_SUGGESTIONS` ``duty:`` fragments for the tags closest to ``word``.

    Closeness is difflib's ratio over characters, compared with the tags and with the aliases
    (an alias suggests its tag); a tag that contains the word, or is contained in it, counts
    as close whatever the ratio ("书记" → 村党支部书记).
    """
    present = set(known)
    scored: dict[str, float] = {}
    candidates = [(tag, tag) for tag in known]
    candidates += [(alias, tag) for alias, tag in aliases if tag in present]
    for spelled, tag in candidates:
        ratio = difflib.SequenceMatcher(None, word, spelled).ratio()
        if word in spelled or spelled in word:
            ratio = max(ratio, 0.6)
        if ratio >= 0.4 and ratio > scored.get(tag, 0):
            scored[tag] = ratio
    best = sorted(scored, key=lambda tag: (-scored[tag], tag))[:MAX_SUGGESTIONS]
    return [f"duty:{quote(tag)}" for tag in best]
