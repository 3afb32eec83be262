"""CSV exports for spreadsheets (Excel is what officials open them with)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from aiohttp import web

#: The byte order mark tells Excel the file is UTF-8; without it Chinese comes out garbled.
UTF8_BOM = "\ufeff"


def safe_cell(value: Any) -> str:
    """A cell as text; a leading = + - @ would make a spreadsheet run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class CsvDownload:
    """A CSV attachment streamed in pieces: the byte order mark and the header row first, then
    rows as they are written, sent at each :meth:`flush` (memory stays flat however long)."""

    def __init__(self, response: web.StreamResponse, header: Iterable[str]) -> None:
        self.response = response
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)
        self._buffer.write(UTF8_BOM)
        self._writer.writerow(header)

    @classmethod
    async def start(cls, request: web.Request, filename: str, header: Iterable[str]) -> CsvDownload:
        response = web.StreamResponse(headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"'})
        await response.prepare(request)
        return cls(response, header)

    def writerow(self, cells: Iterable[Any]) -> None:
        self._writer.writerow(cells)

    async def flush(self) -> None:
        await self.response.write(self._buffer.getvalue().encode("utf-8"))
        self._buffer.seek(0)
        self._buffer.truncate()

    async def finish(self) -> web.StreamResponse:
        await self.flush()
        await self.response.write_eof()
        return self.response
