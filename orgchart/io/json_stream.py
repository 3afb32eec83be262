"""A JSON document whose top level is an object of arrays, read one array item at a time.

``json.load`` of a province document (hundreds of MB) builds gigabytes of objects before the
first record; :func:`stream_document` keeps a window of the text (a megabyte or so) and decodes
each array item on its own with ``JSONDecoder.raw_decode``. It knows nothing of directories:
:mod:`orgchart.io.formats` checks the names and shapes.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

#: Characters read at a time.
CHUNK = 1 << 20
#: The largest single value (a record; a top-level value that is no array) the window grows to.
MAX_VALUE = 64 << 20
_SPACE = re.compile(r"[ \t\r\n]*")


class DocumentError(ValueError):
    """Not JSON, or not an object at the top level (``not_object``); ``line`` is 1-based."""

    def __init__(self, line: int, message: str, *, not_object: bool = False) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message
        self.not_object = not_object


#: The item of ``(key, None, ARRAY)``: an array starts (its items follow).
ARRAY = object()


def stream_document(stream: IO[str]) -> Iterator[tuple[str, int | None, Any]]:
    """Yield ``(key, None, ARRAY)`` and then ``(key, index, item)`` for each item of each
    top-level array, in document order; ``(key, None, value)`` for a value that is no array."""
    reader = _Reader(stream)
    first = reader.peek()
    if first != "{":
        if first and first in "[\"-0123456789tfn":  # JSON of another shape (not parsed: big)
            raise DocumentError(1, "the top level is not an object", not_object=True)
        raise reader.error("Expecting value")
    reader.take("{")
    if reader.peek() == "}":
        reader.take("}")
    else:
        while True:
            key = reader.value()
            if not isinstance(key, str):
                raise reader.error("Expecting property name enclosed in double quotes")
            reader.take(":")
            if reader.peek() == "[":
                yield from _items(reader, key)
            else:
                yield key, None, reader.value()
            if reader.peek() == ",":
                reader.take(",")
                continue
            reader.take("}")
            break
    if reader.peek():
        raise reader.error("Extra data")


def _items(reader: _Reader, key: str) -> Iterator[tuple[str, int | None, Any]]:
    yield key, None, ARRAY
    reader.take("[")
    if reader.peek() == "]":
        reader.take("]")
        return
    index = 0
    while True:
        yield key, index, reader.value()
        index += 1
        if reader.peek() == ",":
            reader.take(",")
            continue
        reader.take("]")
        return


class _Reader:
    """A window onto the text: ``peek`` the next non-space character, ``take`` one, decode a
    ``value``; text before the position is dropped (its lines counted) as the window moves."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.text = ""
        self.position = 0
        self.line = 1  # the line the window starts on
        self.eof = False
        self.decoder = json.JSONDecoder()

    def more(self) -> bool:
        """Read another chunk into the window; false at the end of the text."""
        if self.eof:
            return False
        chunk = self.stream.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        dropped = self.text[:self.position]
        self.line += dropped.count("\n")
        self.text = self.text[self.position:] + chunk
        self.position = 0
        return True

    def peek(self) -> str:
        while True:
            text = self.text
            self.position = position = _SPACE.match(text, self.position).end()  # type: ignore[union-attr]
            if position < len(text):
                return text[position]
            if not self.more():
                return ""

    def take(self, char: str) -> None:
        if self.peek() != char:
            expected = {":": "Expecting ':' delimiter", ",": "Expecting ',' delimiter",
                        "}": "Expecting ',' delimiter", "]": "Expecting ',' delimiter"}
            raise self.error(expected.get(char, f"Expecting {char!r}"))
        self.position += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.text, self.position)
            except json.JSONDecodeError as exc:
                # Maybe only cut off by the window's end: read on and retry, up to MAX_VALUE
                # past the value's start; then (or at the end of the text) it is not JSON.
                if len(self.text) - self.position < MAX_VALUE and self.more():
                    continue
                raise DocumentError(self.line + exc.lineno - 1, exc.msg) from None
            if end == len(self.text) and self.more():
                continue  # a number may go on in the next chunk
            self.position = end
            return value

    def error(self, message: str) -> DocumentError:
        return DocumentError(self.line + self.text.count("\n", 0, self.position), message)
