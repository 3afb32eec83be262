"""Changing the directory: whole-file imports and small edits. Admins only.

Imports go through the importer (:mod:`orgchart.io.importer`): every record is checked
first and a document with any bad row writes nothing.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orgchart.codes import CodeError, validate_mobile
from orgchart.errors import Conflict, InvalidInput, NotFound
from orgchart.infra.audit import record
from orgchart.service.present import holder_json
from orgchart.service.viewer import Viewer
from orgchart.store.holdings import KIND_ORDER, HoldingStore
from orgchart.store.people import PersonStore
from orgchart.store.posts import PostStore

log = logging.getLogger(__name__)

DOCUMENT_FORMAT = "zhengding-directory/1"
#: Told, after the change is committed, that the holders of these posts (None: of any post)
#: may have changed; the IM server moves pending notices and announces conversations then.
HoldingsChanged = Callable[[set[int] | None], Awaitable[Any]]
#: The JSON document's arrays and the record kind each holds (docs/directory-format.md).
PLURALS = {
    "units": "unit",
    "departments": "department",
    "posts": "post",
    "people": "person",
    "holdings": "holding",
    "enterprises": "enterprise",
    "enterprise_members": "enterprise_member",
    "virtual_orgs": "virtual_org",
    "virtual_groups": "virtual_group",
    "virtual_members": "virtual_member",
}


def located_records(document: Any) -> Iterator[tuple[str, dict]]:
    """``(location, record)`` pairs from a JSON document, or from a list of JSON Lines records."""
    if isinstance(document, list):
        for number, record in enumerate(document, start=1):
            yield f"#{number}", record
        return
    if not isinstance(document, dict):
        raise InvalidInput("导入内容必须是目录 JSON 文档 (对象) 或记录数组")
    if document.get("format", DOCUMENT_FORMAT) != DOCUMENT_FORMAT:
        raise InvalidInput(f"不支持的文档格式 {document.get('format')!r}, 应为 {DOCUMENT_FORMAT}")
    unknown = sorted(set(document) - set(PLURALS) - {"format"})
    if unknown:
        raise InvalidInput(f"文档含有未知字段: {', '.join(unknown)}", details={"fields": unknown})
    for plural, kind in PLURALS.items():
        records = document.get(plural) or []
        if not isinstance(records, list):
            raise InvalidInput(f"{plural} 必须是数组", details={"field": plural})
        for index, record in enumerate(records):
            yield f"{plural}[{index}]", ({**record, "kind": kind} if isinstance(record, dict) else record)


def _date(value: Any, field: str, default: dt.date) -> dt.date:
    if value is None:
        return default
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} 日期格式应为 YYYY-MM-DD: {value!r}", details={"field": field}) from None


class AdminService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        on_change: Callable[[], None] = lambda: None,
        on_holdings_change: HoldingsChanged | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self._sessions = sessions
        #: Called after a change is committed (drops cached counts).
        self._on_change = on_change
        self._on_holdings_change = on_holdings_change
        self._today = today

    async def _holdings_changed(self, posts: set[int] | None) -> None:
        """Let the messaging side follow the change before the caller is answered. The change
        itself is committed: if this fails, the server's minute sweep catches up."""
        if self._on_holdings_change is None:
            return
        try:
            await self._on_holdings_change(posts)
        except Exception:
            log.exception("following the holdings of posts %s failed; the sweep will retry", posts)

    async def import_directory(self, viewer: Viewer, document: Any):  # -> ImportReport
        """Import a directory document; the report says ``ok`` or lists every bad row."""
        viewer.require_admin()
        from orgchart.io.importer import import_located

        located = list(located_records(document))  # shape errors surface before any work
        report = await import_located(self._sessions, located)
        # The importer commits (or writes nothing) in its own transaction; the entry follows it.
        async with self._sessions() as session, session.begin():
            await record(session, actor=viewer.person_id, action="directory.import",
                         target=f"records:{len(located)}", result="ok" if report.ok else "error",
                         details={"counts": report.counts, "errors": len(report.errors)})
        if report.ok:
            self._on_change()
            await self._holdings_changed(None)
        return report

    async def update_post(self, viewer: Viewer, code: str, changes: dict[str, Any]) -> None:
        """Change a post's title, duty tags or whether it serves enterprises."""
        viewer.require_admin()
        unknown = sorted(set(changes) - {"title", "duties", "serves_enterprises"})
        if unknown:
            raise InvalidInput(f"不能修改的字段: {', '.join(unknown)}", details={"fields": unknown})
        values: dict[str, Any] = {}
        if "title" in changes:
            title = changes["title"]
            if not isinstance(title, str) or not title.strip() or len(title.strip()) > 100:
                raise InvalidInput("岗位名称 title 必须是 1–100 字的字符串", details={"field": "title"})
            values["title"] = title.strip()
        if "serves_enterprises" in changes:
            if not isinstance(changes["serves_enterprises"], bool):
                raise InvalidInput("serves_enterprises 必须是 true 或 false",
                                   details={"field": "serves_enterprises"})
            values["serves_enterprises"] = changes["serves_enterprises"]
        duties = changes.get("duties")
        if "duties" in changes and (
            not isinstance(duties, list)
            or not all(isinstance(t, str) and 0 < len(t.strip()) <= 40 for t in duties)
        ):
            raise InvalidInput("职责标签 duties 必须是 1–40 字的字符串数组", details={"field": "duties"})
        async with self._sessions() as session, session.begin():
            posts = PostStore(session)
            post = await posts.by_code(code)
            if post is None:
                raise NotFound(f"岗位 {code} 不存在")
            await posts.update(post["id"], values)
            if duties is not None:
                await posts.set_duties(post, [t.strip() for t in duties])
            changed = dict(values)
            if duties is not None:
                changed["duties"] = [t.strip() for t in duties]
            await record(session, actor=viewer.person_id, action="directory.change",
                         target=f"post:{code}", details={"changes": changed})
        self._on_change()

    async def start_holding(self, viewer: Viewer, code: str, body: dict[str, Any]) -> dict[str, Any]:
        """A person starts holding a post (``person_id`` or ``mobile``, ``kind``, ``start``)."""
        viewer.require_admin()
        kind = body.get("kind", "primary")
        if not isinstance(kind, str) or kind not in KIND_ORDER:  # {} is unhashable: no TypeError
            raise InvalidInput(f"任职类型 kind 只能是 {', '.join(KIND_ORDER)}", details={"field": "kind"})
        start = _date(body.get("start"), "start", self._today())
        async with self._sessions() as session, session.begin():
            post = await PostStore(session).by_code(code)
            if post is None:
                raise NotFound(f"岗位 {code} 不存在")
            person = await self._person(session, body)
            holdings = HoldingStore(session)
            if await holdings.overlapping(post["id"], person["id"], start) is not None:
                raise Conflict(f"{person['name']} 已担任岗位 {code}")
            holding_id = await holdings.start(post["id"], person["id"], kind, start)
            found = await holdings.by_id(holding_id)
            await record(session, actor=viewer.person_id, action="role.change", target=f"post:{code}",
                         details={"change": "start", "person": person["id"], "holding": holding_id,
                                  "kind": kind, "start": start.isoformat()})
        self._on_change()
        await self._holdings_changed({post["id"]})
        assert found is not None
        return holder_json(found, enterprise_view=False)

    async def _person(self, session: AsyncSession, body: dict[str, Any]) -> dict[str, Any]:
        people = PersonStore(session)
        if isinstance(body.get("person_id"), int):
            person = await people.by_id(body["person_id"])
        elif isinstance(body.get("mobile"), str):
            try:
                person = await people.by_mobile(validate_mobile(body["mobile"]))
            except CodeError as exc:
                raise InvalidInput(str(exc), details={"field": "mobile"}) from None
        else:
            raise InvalidInput("请提供 person_id (整数) 或 mobile", details={"field": "person_id"})
        if person is None:
            raise NotFound("人员不存在")
        return person

    async def end_holding(self, viewer: Viewer, holding_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """End a current holding on ``end`` (exclusive; today when absent)."""
        viewer.require_admin()
        end = _date(body.get("end"), "end", self._today())
        async with self._sessions() as session, session.begin():
            holdings = HoldingStore(session)
            found = await holdings.by_id(holding_id)
            if found is None:
                raise NotFound(f"任职记录 {holding_id} 不存在")
            if found["end_date"] is not None:
                raise Conflict(f"任职记录 {holding_id} 已于 {found['end_date']} 结束")
            if end <= found["start_date"]:
                raise InvalidInput(f"结束日期 {end} 必须晚于开始日期 {found['start_date']}",
                                   details={"field": "end"})
            await holdings.end(holding_id, end)
            await record(session, actor=viewer.person_id, action="role.change",
                         target=f"holding:{holding_id}",
                         details={"change": "end", "person": found["person_id"], "end": end.isoformat()})
            found = await holdings.by_id(holding_id)
        self._on_change()
        assert found is not None
        await self._holdings_changed({found["post_id"]})
        return holder_json(found, enterprise_view=False)
