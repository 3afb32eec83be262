"""The audit log over HTTP, for admins only: query it as JSON, export it as CSV.

    GET /api/v1/audit?action=&actor=&target=&result=&since=&until=&limit=&offset=
        newest first: {"items": [...], "total", "offset", "limit"}
    GET /api/v1/audit.csv?action=&actor=&target=&result=&since=&until=
        every matching entry, oldest first, streamed (UTF-8 with a byte order mark for Excel)

Filters: ``action`` is a comma-separated list, each an exact action or a prefix ending in ``*``
(``login*`` is login and login.failed); ``actor`` a person id; ``target`` exact (``post:…``,
``person:12``); ``result`` ok, denied or error; ``since`` (inclusive) and ``until`` (exclusive)
are ISO 8601 dates or date-times — without an offset they are UTC, as every stored time is.

The log is append-only: nothing here (or anywhere in the application) updates or deletes it.
An export is itself recorded (``audit.export``): who took a copy of the log is a security event.
The queries live here rather than in a store because this module is their only user.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import Select, and_, func, or_, select

from orgchart import models as om
from orgchart.errors import InvalidInput
from orgchart.http.auth import login_required
from orgchart.http.csv_cells import CsvDownload, safe_cell
from orgchart.http.keys import OPENAPI_PARTS, SESSIONS
from orgchart.http.views_common import int_query, json_response
from orgchart.infra.audit import AuditEntry, record
from orgchart.service.present import iso
from orgchart.service.viewer import Viewer

RESULTS = ("ok", "denied", "error")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
#: Rows read from the database (and written to the response) per round of the CSV export.
EXPORT_CHUNK = 1000
CSV_HEADER = ("编号", "时间 (UTC)", "操作人编号", "操作人", "操作", "对象", "结果", "详情", "来源地址")
MAX_FILTER_ITEMS = 20
OPENAPI_FILE = Path(__file__).with_name("openapi_audit.json")


@dataclass(frozen=True)
class AuditFilter:
    actions: tuple[str, ...] = ()
    actor: int | None = None
    target: str | None = None
    result: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """What was asked for, for the export's own audit entry."""
        data = {"action": ",".join(self.actions) or None, "actor": self.actor, "target": self.target,
                "result": self.result, "since": iso(self.since), "until": iso(self.until)}
        return {k: v for k, v in data.items() if v is not None}


def parse_filter(query: Any) -> AuditFilter:
    """The filter from the query string; ``invalid_input`` names the parameter that is wrong."""
    actions = tuple(a.strip() for a in query.get("action", "").split(",") if a.strip())
    if len(actions) > MAX_FILTER_ITEMS or any(len(a) > 40 for a in actions):
        raise InvalidInput("参数 action 过长", details={"parameter": "action"})
    actor = None
    if query.get("actor"):
        raw = query["actor"]
        if not raw.isdigit() or len(raw) > 12 or int(raw) < 1:
            raise InvalidInput(f"参数 actor 应为人员编号: {raw!r}", details={"parameter": "actor"})
        actor = int(raw)
    result = query.get("result") or None
    if result is not None and result not in RESULTS:
        raise InvalidInput(f"参数 result 应为 {'/'.join(RESULTS)} 之一", details={"parameter": "result"})
    target = query.get("target") or None
    if target is not None and len(target) > 200:
        raise InvalidInput("参数 target 过长", details={"parameter": "target"})
    since, until = _when(query, "since"), _when(query, "until")
    if since and until and since >= until:
        raise InvalidInput("since 必须早于 until", details={"parameter": "until"})
    return AuditFilter(actions, actor, target, result, since, until)


def _when(query: Any, name: str) -> dt.datetime | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"参数 {name} 应为 ISO 8601 日期或时间, 例如 2025-01-31 或 2025-01-31T08:00:00+08:00",
                           details={"parameter": name}) from None
    # Stored times are UTC (and naive on SQLite): compare in UTC.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _conditions(where: AuditFilter) -> list[Any]:
    conditions: list[Any] = []
    if where.actions:
        exact = [a for a in where.actions if not a.endswith("*")]
        prefixes = [a[:-1] for a in where.actions if a.endswith("*")]
        choices = ([AuditEntry.action.in_(exact)] if exact else []) + [
            AuditEntry.action.startswith(p, autoescape=True) for p in prefixes]
        conditions.append(or_(*choices))
    if where.actor is not None:
        conditions.append(AuditEntry.actor_id == where.actor)
    if where.target is not None:
        conditions.append(AuditEntry.target == where.target)
    if where.result is not None:
        conditions.append(AuditEntry.result == where.result)
    if where.since is not None:
        conditions.append(AuditEntry.at >= where.since)
    if where.until is not None:
        conditions.append(AuditEntry.at < where.until)
    return conditions


def _entries(where: AuditFilter) -> Select:
    return (select(AuditEntry.id, AuditEntry.at, AuditEntry.actor_id, om.Person.name.label("actor_name"),
                   AuditEntry.action, AuditEntry.target, AuditEntry.result, AuditEntry.details,
                   AuditEntry.remote)
            .outerjoin(om.Person, om.Person.id == AuditEntry.actor_id)
            .where(and_(True, *_conditions(where))))


def entry_json(row: Any) -> dict[str, Any]:
    try:
        details = json.loads(row.details) if row.details else {}
    except ValueError:  # written by hand or by an older version: show it rather than fail
        details = {"raw": row.details}
    return {"id": row.id, "at": iso(row.at),
            "actor": {"id": row.actor_id, "name": row.actor_name} if row.actor_id is not None else None,
            "action": row.action, "target": row.target, "result": row.result, "details": details,
            "remote": row.remote}


@login_required
async def audit_log(request: web.Request, viewer: Viewer) -> web.Response:
    viewer.require_admin()
    where = parse_filter(request.query)
    offset = int_query(request, "offset", 0)
    limit = int_query(request, "limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    async with request.app[SESSIONS]() as session:
        total = await session.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(and_(True, *_conditions(where))))
        rows = (await session.execute(_entries(where).order_by(AuditEntry.id.desc())
                                      .offset(offset).limit(limit))).all()
    return json_response({"items": [entry_json(r) for r in rows], "total": total,
                          "offset": offset, "limit": limit})


def csv_row(row: Any) -> list[str]:
    return [safe_cell(v) for v in (row.id, iso(row.at), row.actor_id, row.actor_name, row.action,
                               row.target, row.result, row.details, row.remote)]


@login_required
async def audit_csv(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    viewer.require_admin()
    where = parse_filter(request.query)
    sessions = request.app[SESSIONS]
    async with sessions() as session, session.begin():
        await record(session, actor=viewer.person_id, action="audit.export", target="audit_log",
                     details=where.to_json(), remote=request.remote)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    download = await CsvDownload.start(request, f"audit-{stamp}.csv", CSV_HEADER)
    after = 0
    while True:  # keyset pages by id: memory stays flat however long the log is
        async with sessions() as session:
            rows = (await session.execute(_entries(where).where(AuditEntry.id > after)
                                          .order_by(AuditEntry.id).limit(EXPORT_CHUNK))).all()
        for row in rows:
            download.writerow(csv_row(row))
        await download.flush()
        if len(rows) < EXPORT_CHUNK:
            break
        after = rows[-1].id
    return await download.finish()


def setup(app: web.Application) -> None:
    """Add the routes, and their OpenAPI description to the served document."""
    app.router.add_get("/api/v1/audit", audit_log)
    app.router.add_get("/api/v1/audit.csv", audit_csv)
    app.setdefault(OPENAPI_PARTS, []).append(OPENAPI_FILE)
