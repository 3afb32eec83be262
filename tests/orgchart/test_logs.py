"""JSON log records: one object per line, with the context's request and connection ids."""
from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging

import pytest

from orgchart.infra.config import ConfigError, Settings, load_settings
from orgchart.infra.logs import CONNECTION_ID, REQUEST_ID, make_handler


@pytest.fixture
def json_log():
    """A logger writing JSON lines to a buffer; returns (logger, parsed lines)."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    logger = logging.getLogger("zhengding.test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_a_record_carries_the_ids_of_its_context(json_log):
    logger, lines = json_log
    logger.info("outside any request")

    async def request(request_id: str, connection_id: str | None) -> None:
        REQUEST_ID.set(request_id)
        if connection_id:
            CONNECTION_ID.set(connection_id)
        await asyncio.sleep(0)  # another request runs meanwhile: the ids must not mix
        logger.info("handling %s", request_id)

    async def both() -> None:
        await asyncio.gather(request("req-a", None), request("req-b", "conn-b"))

    asyncio.run(both())
    first, *handled = lines()
    assert "request_id" not in first and "connection_id" not in first
    assert first["level"] == "INFO" and first["logger"] == "zhengding.test.logs"
    assert dt.datetime.fromisoformat(first["time"]).utcoffset() == dt.timedelta(0)
    by_request = {line["request_id"]: line for line in handled}
    assert by_request["req-a"]["message"] == "handling req-a" and "connection_id" not in by_request["req-a"]
    assert by_request["req-b"]["connection_id"] == "conn-b"


def test_tracebacks_and_extra_fields_are_kept(json_log):
    logger, lines = json_log
    try:
        raise ValueError("坏了")
    except ValueError:
        logger.exception("failed", extra={"person": 7, "thing": object()})
    [line] = lines()
    assert line["message"] == "failed" and line["level"] == "ERROR"
    assert "ValueError: 坏了" in line["exc"]
    assert line["person"] == 7 and line["thing"].startswith("<object")


def test_log_format_is_text_or_json():
    assert Settings().log_format == "text"
    assert load_settings(environ={"ZHENGDING_LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(ConfigError, match="log_format"):
        load_settings(environ={"ZHENGDING_LOG_FORMAT": "xml"})
    with pytest.raises(ValueError):
        make_handler("yaml")
