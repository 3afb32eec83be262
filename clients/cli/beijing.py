"""Times as users read them: Beijing time (Asia/Shanghai), to the second.

The server sends ISO 8601 timestamps; older answers and SQLite-backed fields may lack the UTC
offset (``2025-01-01T08:00:00``), which always means UTC there. Numbers are Unix seconds.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    BEIJING: dt.tzinfo = ZoneInfo("Asia/Shanghai")
except (ImportError, ZoneInfoNotFoundError):  # no tz database (some Windows installs)
    BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")  # China has kept UTC+8 since 1991

FORMAT = "%Y-%m-%d %H:%M:%S"


def parse_time(value: Any) -> dt.datetime | None:
    """An aware datetime from an ISO 8601 string (offset optional: UTC) or Unix seconds."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, int | float):
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text[-1] in "zZ":  # Python 3.11 reads "Z", older ones do not; be explicit
            text = text[:-1] + "+00:00"
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def beijing(value: Any, *, missing: str = "-") -> str:
    """``2025-01-01 16:00:00`` (Beijing time) for a server timestamp; ``missing`` if there is none.

    Text that is not a timestamp is shown as it came rather than hidden.
    """
    moment = parse_time(value)
    if moment is None:
        return missing if value in (None, "") else str(value)
    return moment.astimezone(BEIJING).strftime(FORMAT)
