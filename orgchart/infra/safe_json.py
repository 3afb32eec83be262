"""JSON from outside the system, made safe to act on: numbers too long to be anything, and text
that cannot be stored or sent back.

``json.loads`` turns a 5,000-digit integer into a ``ValueError`` that reads like "not JSON" (and
parsing a long one is quadratic), and it accepts ``"\\ud800"`` — a lone surrogate that no UTF-8
encoder, database driver or socket write will take. Here the first becomes :data:`TOO_LONG`, so a
validator can name the field, and :func:`find_unsafe` finds the second (and NUL, which
PostgreSQL text cannot hold) before anything is written.
"""
from __future__ import annotations

import json
from typing import Any

#: Longer integer literals (sign aside) are out of range for every field: 2^64 has 20 digits.
MAX_DIGITS = 20


class _TooLong:
    """Stands in for an integer literal of more than :data:`MAX_DIGITS` digits."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "TOO_LONG"


TOO_LONG: Any = _TooLong()


def _parse_int(literal: str) -> Any:
    digits = len(literal) - (literal[0] == "-")
    return TOO_LONG if digits > MAX_DIGITS else int(literal)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str | bytes) -> Any:
    """Like :func:`json.loads`, but long integers become :data:`TOO_LONG` and ``NaN`` /
    ``Infinity`` (not JSON) are refused with ``ValueError``."""
    return json.loads(text, parse_int=_parse_int, parse_constant=_refuse_constant)


def text_ok(value: str) -> bool:
    """Whether ``value`` can be encoded as UTF-8 and stored (no lone surrogates, no NUL)."""
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def find_unsafe(value: Any) -> str | None:
    """``"number"`` or ``"text"`` if ``value`` holds a too-long number or unsafe text anywhere
    (keys included), else None. Iterative: nesting depth costs no recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not text_ok(item):
                return "text"
        elif item is TOO_LONG:
            return "number"
        elif isinstance(item, dict):
            for key, inner in item.items():
                if not text_ok(key):
                    return "text"
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
    return None
