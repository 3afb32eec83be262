"""How far a reader has got through its source, in bytes: for the importer's progress bar."""
from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


class ByteMeter:
    """How many bytes of a source the reader has consumed: ``position`` of ``total``.

    Readers register each raw (binary) file as they open it; the position is the bytes of the
    files already read plus the current one's offset. For a compressed file it counts
    compressed bytes, so it runs evenly from 0 to ``total`` (the sizes on disk).
    """

    def __init__(self) -> None:
        self.total = 0
        self._done = 0
        self._current: IO[bytes] | None = None
        self._current_size = 0

    def start(self, raw: IO[bytes], size: int) -> None:
        self.finish()
        self._current, self._current_size = raw, size

    def finish(self) -> None:
        if self._current is not None:
            self._done += self._current_size
            self._current = None

    @property
    def position(self) -> int:
        if self._current is None or self._current.closed:
            return self._done
        return self._done + min(self._current.tell(), self._current_size)


@contextmanager
def open_text(source: Path, meter: ByteMeter, *, newline: str | None = None) -> Iterator[IO[str]]:
    """``source`` as UTF-8 text (a BOM skipped; ``.gz`` decompressed), its bytes on ``meter``."""
    with source.open("rb") as raw:
        meter.start(raw, source.stat().st_size)
        binary: IO[bytes] = (gzip.GzipFile(fileobj=raw, mode="rb")
                             if source.name.lower().endswith(".gz") else raw)
        with io.TextIOWrapper(binary, encoding="utf-8-sig", newline=newline) as text:
            yield text
        meter.finish()


class ZipMemberPosition:
    """A zip member's read position in compressed bytes, as :class:`ByteMeter` asks for it."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        self._archive, self._start = archive, info.header_offset
        self.closed = False

    def tell(self) -> int:
        fp = self._archive.fp
        return max(0, fp.tell() - self._start) if fp is not None else 0
