"""The importer's spool: normalised rows, per kind, in temporary files — written once, read often.

The validating pass writes every normalised row here instead of keeping it in memory (a province
is about 3.5 million rows); the reference checks and the writer then read each kind back in
file order, as often as they need, in the order kinds must be written whatever order the file
had. Rows are ``marshal``-ed tuples in length-prefixed chunks: an order of magnitude faster to
read back than parsing and validating the JSON again. Small imports stay in memory
(``SpooledTemporaryFile``); only big ones touch the disk.
"""
from __future__ import annotations

import datetime as dt
import marshal
import struct
import tempfile
from collections.abc import Iterator
from typing import IO, Any, Self

#: Rows per marshal chunk: large enough that a chunk costs one call, small enough to stay light.
CHUNK_ROWS = 2000
#: Bytes a kind's file keeps in memory before it moves to disk.
IN_MEMORY = 4 * 1024 * 1024
_LENGTH = struct.Struct("<I")
#: Fields holding dates: spooled as day ordinals (marshal has no dates).
DATE_FIELDS = {"holding": ("start", "end")}


class Spool:
    """Rows by kind: ``add(kind, location, row)``, then ``rows(kind)`` any number of times."""

    def __init__(self) -> None:
        self._files: dict[str, IO[bytes]] = {}
        self._pending: dict[str, list[tuple]] = {}
        self._fields: dict[str, tuple[str, ...]] = {}
        self.counts: dict[str, int] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def add(self, kind: str, location: str, row: dict[str, Any]) -> None:
        fields = self._fields.get(kind)
        if fields is None:
            fields = self._fields[kind] = tuple(row)
            self._pending[kind] = []
            self.counts[kind] = 0
        values = [location, *row.values()]
        for name in DATE_FIELDS.get(kind, ()):
            index = fields.index(name) + 1
            if values[index] is not None:
                values[index] = values[index].toordinal()
        pending = self._pending[kind]
        pending.append(tuple(values))
        self.counts[kind] += 1
        if len(pending) >= CHUNK_ROWS:
            self._flush(kind)

    def rows(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(location, row)`` of ``kind`` in the order they were added."""
        if kind not in self._fields:
            return
        self._flush(kind)
        fields = self._fields[kind]
        dates = [fields.index(name) for name in DATE_FIELDS.get(kind, ())]
        handle = self._files[kind]
        handle.seek(0)
        end = self._end(kind)
        while handle.tell() < end:
            (length,) = _LENGTH.unpack(handle.read(_LENGTH.size))
            chunk = marshal.loads(handle.read(length))
            # A reader may be interleaved with another reader of the same kind: remember where
            # this one is before handing out rows.
            resume = handle.tell()
            for location, *values in chunk:
                for index in dates:
                    if values[index] is not None:
                        values[index] = dt.date.fromordinal(values[index])
                yield location, dict(zip(fields, values))
            handle.seek(resume)

    def count(self, kind: str) -> int:
        return self.counts.get(kind, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()
        self._pending.clear()

    def _flush(self, kind: str) -> None:
        pending = self._pending.get(kind)
        if not pending:
            return
        handle = self._files.get(kind)
        if handle is None:
            handle = self._files[kind] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - close()
                max_size=IN_MEMORY, prefix="zhengding-import-")
        data = marshal.dumps(pending)
        handle.seek(0, 2)
        handle.write(_LENGTH.pack(len(data)))
        handle.write(data)
        pending.clear()

    def _end(self, kind: str) -> int:
        handle = self._files[kind]
        position = handle.tell()
        handle.seek(0, 2)
        end = handle.tell()
        handle.seek(position)
        return end
