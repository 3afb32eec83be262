"""Enterprises and virtual organisations as the API shows them.

Enterprise registry data (name, industry, region) is public, so every signed-in user may list
it. Who is in which virtual organisation, and which officer serves whom, is internal: an
enterprise member sees only the virtual orgs and memberships of its own enterprises.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orgchart.codes import CodeError, division_path, validate_credit_code
from orgchart.errors import InvalidInput, NotFound
from orgchart.service.present import enterprise_json, ref
from orgchart.service.viewer import Viewer
from orgchart.store.enterprises import EnterpriseStore
from orgchart.store.holdings import HoldingStore
from orgchart.store.people import PersonStore
from orgchart.store.virtual_orgs import VirtualOrgStore


def _membership_json(row: dict[str, Any], holders: list[dict[str, Any]] | None) -> dict[str, Any]:
    officer = None
    if row["officer_code"]:
        officer = {"code": row["officer_code"], "title": row["officer_title"]}
        if holders is not None:
            officer["holders"] = [{"id": h["person_id"], "name": h["name"]} for h in holders]
    return {"group": ref(row["group_code"], row["group_name"]), "officer": officer}


class EnterpriseService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self._sessions = sessions
        self._today = today

    async def _own_enterprises(self, session: AsyncSession, viewer: Viewer) -> list[int] | None:
        """The enterprise ids an external user acts for; None for officials (no restriction)."""
        if not viewer.enterprise_view:
            return None
        return await PersonStore(session).enterprise_ids(viewer.person_id)

    async def enterprises(
        self, viewer: Viewer, *, region: str | None, text: str | None, offset: int, limit: int
    ) -> dict[str, Any]:
        region_path = None
        if region:
            try:
                region_path = division_path(region)
            except CodeError as exc:
                raise InvalidInput(str(exc), details={"region": region}) from None
        async with self._sessions() as session:
            total, rows = await EnterpriseStore(session).page(
                region_path=region_path, text=text, offset=offset, limit=limit
            )
        return {"total": total, "offset": offset, "limit": limit,
                "items": [enterprise_json(row) for row in rows]}

    async def enterprise(self, viewer: Viewer, credit_code: str) -> dict[str, Any]:
        """One enterprise; an invalid credit code is refused with the reason (GB 32100-2015)."""
        try:
            code = validate_credit_code(credit_code)
        except CodeError as exc:
            raise InvalidInput(str(exc), details={"credit_code": credit_code}) from None
        async with self._sessions() as session:
            row = await EnterpriseStore(session).by_credit_code(code)
            if row is None:
                raise NotFound(f"企业 {code} 不存在")
            found = enterprise_json(row)
            own = await self._own_enterprises(session, viewer)
            if own is None or row["id"] in own:
                memberships = await VirtualOrgStore(session).memberships_of(row["id"])
                officers = [m["officer_post_id"] for m in memberships if m["officer_post_id"]]
                holders = await HoldingStore(session).holders_of(officers, self._today())
                found["virtual_orgs"] = [
                    {"code": m["code"], "name": m["name"]}
                    | _membership_json(m, holders.get(m["officer_post_id"]))
                    for m in memberships
                ]
        return found

    async def virtual_orgs(self, viewer: Viewer) -> dict[str, Any]:
        async with self._sessions() as session:
            own = await self._own_enterprises(session, viewer)
            rows = await VirtualOrgStore(session).all(enterprise_ids=own)
        return {"items": [self._org_json(row) for row in rows]}

    @staticmethod
    def _org_json(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "code": row["code"],
            "name": row["name"],
            "owner": ref(row["owner_code"], row["owner_name"]),
            "unit": ref(row["unit_code"], row["unit_name"]),
        }

    async def _org(self, session: AsyncSession, viewer: Viewer, code: str) -> dict[str, Any]:
        store = VirtualOrgStore(session)
        org = await store.by_code(code)
        own = await self._own_enterprises(session, viewer)
        if (
            org is not None
            and own is not None
            and org["id"] not in {row["id"] for row in await store.all(enterprise_ids=own)}
        ):
            org = None  # not one of the external user's virtual orgs: as if it did not exist
        if org is None:
            raise NotFound(f"虚拟组织 {code} 不存在")
        return org

    async def virtual_org(self, viewer: Viewer, code: str) -> dict[str, Any]:
        """A virtual org with its group tree; a group's ``members`` include its sub-groups'."""
        async with self._sessions() as session:
            org = await self._org(session, viewer, code)
            groups = await VirtualOrgStore(session).groups(org["id"])
        nodes = {
            g["id"]: {"code": g["code"], "name": g["name"], "direct_members": g["direct"],
                      "members": g["direct"], "groups": []}
            for g in groups
        }
        # Paths sort parents before children; walk backwards so totals roll up bottom-first.
        for g in reversed(groups):
            if g["parent_id"] is not None and g["parent_id"] in nodes:
                nodes[g["parent_id"]]["members"] += nodes[g["id"]]["members"]
        roots: list[dict[str, Any]] = []
        for g in groups:
            parent = nodes.get(g["parent_id"]) if g["parent_id"] is not None else None
            (parent["groups"] if parent else roots).append(nodes[g["id"]])
        return self._org_json(org) | {
            "members": sum(node["members"] for node in roots),
            "groups": roots,
        }

    async def members(
        self, viewer: Viewer, code: str, *, group: str | None, offset: int, limit: int
    ) -> dict[str, Any]:
        """A page of the member enterprises, of one group (and its sub-groups) if given."""
        viewer.require_official()
        async with self._sessions() as session:
            store = VirtualOrgStore(session)
            org = await self._org(session, viewer, code)
            group_path = None
            if group:
                found = await store.group_by_code(org["id"], group)
                if found is None:
                    raise NotFound(f"虚拟组织 {code} 中没有分组 {group}")
                group_path = found["path"]
            total, rows = await store.members(org["id"], group_path=group_path, offset=offset, limit=limit)
            officers = [r["officer_post_id"] for r in rows if r["officer_post_id"]]
            holders = await HoldingStore(session).holders_of(officers, self._today())
        items = [
            {"credit_code": r["credit_code"], "name": r["name"], "industry": r["industry"],
             "scale": r["scale"]} | _membership_json(r, holders.get(r["officer_post_id"]))
            for r in rows
        ]
        return {"total": total, "offset": offset, "limit": limit, "items": items}
