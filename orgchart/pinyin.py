"""Search keys for Chinese names: full pinyin ("hangzhoushi") and initials ("hzs").

Conversion is cached per character: a province of names uses a few thousand distinct
characters, so importing 1.4 million people costs dictionary look-ups, not pypinyin calls.
"""
from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)
def _syllable(char: str) -> str:
    if char.isascii():
        return char.lower() if char.isalnum() else ""
    syllables = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return syllables[0].lower() if syllables else ""


def search_keys(name: str) -> tuple[str, str]:
    """``(full pinyin, initials)`` of ``name``, lower case, without separators."""
    syllables = [s for s in map(_syllable, name) if s]
    return "".join(syllables), "".join(s[0] for s in syllables)


def normalise_query(query: str) -> str:
    """A search query folded the same way as the stored keys (lower case, no spaces)."""
    return "".join(query.split()).lower()
