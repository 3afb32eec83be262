"""HTTP views of notices and DING: the status page, the pending list as CSV, the notifier outbox.

    GET /api/v1/notices/{id}/status?offset=&limit=&under=&depth=   totals, roll-up, pending page
    GET /api/v1/notices/{id}/pending.csv?under=                    every pending recipient
    GET /api/v1/notifier/outbox?notice=&message=&mobile=&offset=&limit=   what the notifier sent

Thin: parameters in, the shared rules of :mod:`im_server.handlers.notices` called, JSON or CSV
out. A rule's :class:`~im_server.protocol.ProtocolError` becomes the usual JSON error body.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from aiohttp import web

from im_server.handlers import notices as rules
from im_server.http_ops import status_of
from im_server.keys import MESSAGING
from im_server.protocol import ProtocolError
from orgchart.errors import InvalidInput
from orgchart.http.auth import login_required
from orgchart.http.csv_cells import CsvDownload, safe_cell
from orgchart.http.errors import error_response
from orgchart.http.views_common import MAX_ROW_ID, int_query, json_response, paging, path_int
from orgchart.service.viewer import Viewer

CSV_HEADER = ("姓名", "手机号", "岗位", "单位", "企业", "统一社会信用代码", "已读时间")
#: Rows written per chunk of the CSV response.
CSV_CHUNK = 500


def _protocol_errors(view: Callable[[web.Request, Viewer], Awaitable[web.StreamResponse]]):
    @wraps(view)
    async def wrapper(request: web.Request, viewer: Viewer) -> web.StreamResponse:
        try:
            return await view(request, viewer)
        except ProtocolError as exc:
            return error_response(status_of(exc.code), exc.code, exc.message, **exc.details)

    return wrapper


def _optional_id(request: web.Request, name: str) -> int | None:
    if not request.query.get(name):
        return None
    value = int_query(request, name, 0, minimum=1)
    if value > MAX_ROW_ID:  # an id that cannot exist; clamping (as for page sizes) would mislead
        raise InvalidInput(f"{name} 超出范围", details={"parameter": name})
    return value


@login_required
@_protocol_errors
async def notice_status(request: web.Request, viewer: Viewer) -> web.Response:
    offset, limit = paging(request)
    report = await rules.status_report(
        request.app[MESSAGING], viewer, path_int(request, "notice"), offset=offset, limit=limit,
        under=request.query.get("under"),
        depth=int_query(request, "depth", rules.ROLLUP_DEPTH, minimum=1, maximum=rules.ROLLUP_DEPTH))
    return json_response(report)


def _csv_row(item: dict[str, Any]) -> list[str]:
    post, unit, enterprise = item["post"], item["unit"], item["enterprise"]
    return [safe_cell(v) for v in (
        item["person"]["name"], item["person"]["mobile"], post["title"] if post else "",
        unit["name"] or unit["path"] if unit else "", enterprise["name"] if enterprise else "",
        enterprise["credit_code"] if enterprise else "", item["read_at"] or "")]


@login_required
@_protocol_errors
async def pending_csv(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    notice, rows = await rules.pending_export(request.app[MESSAGING], viewer,
                                              path_int(request, "notice"), request.query.get("under"))
    download = await CsvDownload.start(request, f"notice-{notice['id']}-pending.csv", CSV_HEADER)
    count = 0
    try:
        async for item in rows:
            download.writerow(_csv_row(item))
            count += 1
            if count % CSV_CHUNK == 0:
                await download.flush()
    finally:  # a client gone mid-download must not keep the database connection
        await rows.aclose()
    return await download.finish()


@login_required
@_protocol_errors
async def notifier_outbox(request: web.Request, viewer: Viewer) -> web.Response:
    offset, limit = paging(request)
    result = await rules.outbox_entries(
        request.app[MESSAGING], viewer, notice_id=_optional_id(request, "notice"),
        message_id=_optional_id(request, "message"), offset=offset, limit=limit,
        mobile=request.query.get("mobile") or None)
    return json_response(result)


def routes(prefix: str = "/api/v1") -> list[web.RouteDef]:
    return [
        web.get(prefix + r"/notices/{notice:\d+}/status", notice_status),
        web.get(prefix + r"/notices/{notice:\d+}/pending.csv", pending_csv),
        web.get(prefix + "/notifier/outbox", notifier_outbox),
    ]
