"""CSV exports for spreadsheets (Excel is what officials open them with)."""
from __future__ import annotations

from typing import Any

#: The byte order mark tells Excel the file is UTF-8; without it Chinese comes out garbled.
UTF8_BOM = "\ufeff"


def safe_cell(value: Any) -> str:
    """A cell as text; a leading = + - @ would make a spreadsheet run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
