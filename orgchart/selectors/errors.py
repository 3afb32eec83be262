"""Errors raised while parsing or resolving a selector.

Both are :class:`orgchart.errors.InvalidInput` (HTTP 400) and carry the offset in the
selector text, so a client can underline the mistake:

    InvalidInput
    ├── SelectorSyntaxError   (``selector_syntax``: malformed text; details position, expected)
    └── SelectorNameError     (``selector_unknown_name`` / ``selector_ambiguous_name``:
                               a unit, virtual organisation or group that names nothing,
                               or more than one thing; details position, name, candidates)

``details["position"]`` is the 0-based offset into the text; messages count characters
from 1, as people do, so the message's "第 N 个字符" is always ``position + 1`` (at the end of
the text that is one past the last character).
"""
from __future__ import annotations

from orgchart.errors import InvalidInput


class SelectorSyntaxError(InvalidInput):
    """The selector text is malformed at ``position``; ``expected`` says what should be there."""

    code = "selector_syntax"

    def __init__(self, position: int, expected: str, *, found: str | None = None,
                 message: str | None = None) -> None:
        if message is None:
            what = expected if not expected[:1].isascii() else f" {expected}"
            if found is None:
                message = f"第 {position + 1} 个字符处缺少{what}"
            else:
                message = f"第 {position + 1} 个字符处应为{what}，而不是 {found!r}"
        super().__init__(message, details={"position": position, "expected": expected})
        self.position = position
        self.expected = expected


class SelectorNameError(InvalidInput):
    """A name in the selector matches nothing, or several things (``candidates``)."""

    code = "selector_unknown_name"

    def __init__(self, position: int, name: str, message: str,
                 candidates: list[str] | None = None) -> None:
        details: dict[str, object] = {"position": position, "name": name}
        if candidates:
            details["candidates"] = candidates
        super().__init__(message, details=details)
        self.position = position
        self.name = name
        self.candidates = candidates or []


class UnknownName(SelectorNameError):
    code = "selector_unknown_name"


class AmbiguousName(SelectorNameError):
    code = "selector_ambiguous_name"
