"""What every view shares: JSON in and out, query parameters checked, services per request.

Services are cheap objects over the application's session maker, so each request builds the
ones it needs; nothing is kept in module globals.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from aiohttp import web

from orgchart.errors import InvalidInput, PayloadTooLarge
from orgchart.http.keys import COUNTS_CACHE, HOLDINGS_CHANGED, SESSIONS, SETTINGS
from orgchart.infra.safe_json import find_unsafe, loads
from orgchart.service.accounts import AccountService
from orgchart.service.admin import AdminService
from orgchart.service.directory import DirectoryService
from orgchart.service.enterprises import EnterpriseService

DEFAULT_LIMIT = 20
#: Bodies of the JSON endpoints: far above any request they take (a notice of 20,000 characters
#: is ~120 KB even fully escaped), far below the application's limit for uploads. A view with
#: bigger bodies (the directory import) passes its own limit.
JSON_BODY_LIMIT = 256 * 1024
#: Larger pages are cut to this size rather than refused.
MAX_LIMIT = 200


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def json_response(data: Any, *, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


async def read_body(request: web.Request, limit: int | None) -> bytes:
    """The body, refused with 413 ``payload_too_large`` as soon as it passes ``limit`` bytes
    (None: the application's ``client_max_size``) — before it is all read, let alone used."""
    if limit is None:
        return await request.read()
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"请求体过大 (上限 {limit // 1024} KiB)", details={"limit": limit})
    chunks, size = [], 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"请求体过大 (上限 {limit // 1024} KiB)", details={"limit": limit})
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: web.Request, *, limit: int | None = JSON_BODY_LIMIT) -> Any:
    """The request body as JSON, or ``invalid_input`` saying it is not JSON (or holds a number
    too long to be anything, or text that cannot be stored: lone surrogates, NUL)."""
    raw = await read_body(request, limit)
    try:
        body = loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError among them
        raise InvalidInput("请求体不是合法的 JSON") from None
    unsafe = find_unsafe(body)
    if unsafe == "number":
        raise InvalidInput("请求体中的数值超出范围")
    if unsafe == "text":
        raise InvalidInput("请求体含有无法处理的字符 (孤立的代理字符或 NUL)")
    return body


async def read_object(request: web.Request, *, limit: int | None = JSON_BODY_LIMIT) -> dict[str, Any]:
    body = await read_json(request, limit=limit)
    if not isinstance(body, dict):
        raise InvalidInput("请求体必须是 JSON 对象")
    return body


def int_query(
    request: web.Request, name: str, default: int, *, minimum: int = 0, maximum: int | None = None
) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"参数 {name} 必须是整数: {raw!r}", details={"parameter": name}) from None
    if value < minimum:
        raise InvalidInput(f"参数 {name} 不能小于 {minimum}", details={"parameter": name})
    return min(value, maximum) if maximum is not None else value


def paging(request: web.Request) -> tuple[int, int]:
    """``offset`` (≥ 0) and ``limit`` (1–200, capped) from the query string."""
    # cut to the largest integer a database takes: past it SQLite raised OverflowError (a 500)
    offset = int_query(request, "offset", 0, maximum=2**63 - 1)
    limit = int_query(request, "limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    return offset, limit


def date_query(request: web.Request, name: str) -> dt.date | None:
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            f"参数 {name} 应为 YYYY-MM-DD 格式的日期: {raw!r}", details={"parameter": name}
        ) from None


#: Row ids are 32-bit integers on PostgreSQL; larger ones cannot exist.
MAX_ROW_ID = 2**31 - 1


def path_int(request: web.Request, name: str) -> int:
    """A numeric path segment (routes constrain it to digits; this guards the size)."""
    raw = request.match_info[name]
    if len(raw) > 12 or int(raw) > MAX_ROW_ID:
        raise InvalidInput(f"{name} 超出范围", details={"parameter": name})
    return int(raw)


def accounts(request: web.Request) -> AccountService:
    return AccountService(
        request.app[SESSIONS], token_ttl_seconds=request.app[SETTINGS].token_ttl_seconds
    )


def directory(request: web.Request) -> DirectoryService:
    return DirectoryService(request.app[SESSIONS], counts_cache=request.app[COUNTS_CACHE])


def enterprises(request: web.Request) -> EnterpriseService:
    return EnterpriseService(request.app[SESSIONS])


def admin(request: web.Request) -> AdminService:
    return AdminService(request.app[SESSIONS], on_change=request.app[COUNTS_CACHE].clear,
                        on_holdings_change=request.app.get(HOLDINGS_CHANGED))
