"""Log records as text lines or JSON objects, each stamped with the request and connection ids.

The ids live in context variables: the HTTP middleware (:mod:`im_server.http_metrics`) sets
``request_id`` for each request — every request runs in a task of its own, so the value stays
with that request, including aiohttp's access-log line — and the websocket gateway sets
``connection_id`` for each socket; tasks started while handling them inherit both.

``log_format = "json"`` (``ZHENGDING_LOG_FORMAT=json``) writes one JSON object per line::

    {"time": "2026-12-01T20:30:00.123+00:00", "level": "INFO", "logger": "im_server.gateway",
     "message": "…", "request_id": "3f2a…", "connection_id": "c81d…"}

Ids are present only when set; ``exc`` holds a traceback; ``extra={…}`` fields of a logging
call are added as they are (when JSON can carry them, else as text).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from contextvars import ContextVar
from typing import Any

from orgchart.infra.config import LOG_FORMATS

#: The HTTP request being handled (``X-Request-Id``), if any.
REQUEST_ID: ContextVar[str | None] = ContextVar("zhengding_request_id", default=None)
#: The websocket connection being served, if any.
CONNECTION_ID: ContextVar[str | None] = ContextVar("zhengding_connection_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "request_id", "connection_id", "taskName"}


class ContextIds(logging.Filter):
    """Copies the context's ids onto each record (``%(request_id)s`` works in text formats)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.connection_id = CONNECTION_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line; time in ISO 8601 with offset (UTC)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "connection_id"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def make_handler(log_format: str, stream: Any = None) -> logging.Handler:
    """A stream handler (stderr by default) writing ``log_format`` records with the ids."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log_format must be one of {LOG_FORMATS}, got {log_format!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(ContextIds())
    return handler


def configure_logging(log_format: str = "text", level: int = logging.INFO) -> None:
    """Make the root logger write ``log_format`` records to stderr (replacing its handlers)."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(make_handler(log_format))
    root.setLevel(level)
