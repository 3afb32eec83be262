"""Activation codes over HTTP: admins issue them, people redeem them for a first password.

    POST /api/v1/activation-codes   admins: {selector} or {mobiles: [...]} (or a text/csv body)
    POST /api/v1/activate           anyone: {mobile, code, password}

The codes leave through the application's notifier (``app[NOTIFIER]``), which the IM server
sets (SMS outbox by default); without one, issuing answers 503.
"""
from __future__ import annotations

from aiohttp import web

from orgchart.errors import InvalidInput
from orgchart.http.auth import login_required
from orgchart.http.errors import error_response
from orgchart.http.keys import NOTIFIER, SESSIONS
from orgchart.http.views_common import json_response, read_object
from orgchart.service.activation import ActivationService, parse_mobiles_csv
from orgchart.service.viewer import Viewer

#: A CSV of a whole county's mobiles is well under this.
MAX_CSV_BYTES = 4 * 1024 * 1024


def _service(request: web.Request) -> ActivationService:
    return ActivationService(request.app[SESSIONS], notifier=request.app.get(NOTIFIER))


@login_required
async def issue_codes(request: web.Request, viewer: Viewer) -> web.Response:
    viewer.require_admin()  # before reading a body a non-admin has no business sending
    if NOTIFIER not in request.app:
        return error_response(503, "unavailable", "未配置短信通道, 无法发放激活码")
    if request.content_type == "text/csv":
        if (request.content_length or 0) > MAX_CSV_BYTES:
            raise InvalidInput("CSV 文件过大", details={"field": "mobiles"})
        try:
            text = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("CSV 必须是 UTF-8 编码", details={"field": "mobiles"}) from None
        body = {"mobiles": parse_mobiles_csv(text)}
        for name in ("valid_hours", "include_active"):
            if name in request.query:
                body[name] = request.query[name]
        body = _query_types(body)
    else:  # a JSON list of mobiles may be as long as the CSV
        body = await read_object(request, limit=MAX_CSV_BYTES)
    unknown = set(body) - {"selector", "mobiles", "valid_hours", "include_active"}
    if unknown:
        name = min(unknown)
        raise InvalidInput(f"未知参数 {name}", details={"field": name})
    include_active = body.get("include_active", False)
    if not isinstance(include_active, bool):
        raise InvalidInput("include_active 应为布尔值", details={"field": "include_active"})
    result = await _service(request).issue(viewer, selector=body.get("selector"), mobiles=body.get("mobiles"),
                                 valid_hours=body.get("valid_hours"), include_active=include_active,
                                 remote=request.remote)
    return json_response(result, status=201)


def _query_types(body: dict) -> dict:
    """``valid_hours`` and ``include_active`` of a CSV upload come as query strings."""
    if "valid_hours" in body:
        raw = body["valid_hours"]
        body["valid_hours"] = int(raw) if raw.isdigit() else raw
    if "include_active" in body:
        raw = body["include_active"].lower()
        body["include_active"] = {"true": True, "1": True, "false": False, "0": False}.get(raw, raw)
    return body


async def activate_with_code(request: web.Request) -> web.Response:
    body = await read_object(request)
    return json_response(await _service(request).redeem(body.get("mobile"), body.get("code"), body.get("password"),
                                              remote=request.remote))
