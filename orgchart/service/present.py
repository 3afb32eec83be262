"""JSON shapes of directory objects, shared by the services (one place, one shape each)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from orgchart.codes import Level, parent_division


def iso(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC
    return value.isoformat()


def unit_json(row: dict[str, Any]) -> dict[str, Any]:
    level = Level(row["level"])
    return {
        "code": row["code"],
        "name": row["name"],
        "level": int(level),
        "level_name": level.name.lower(),
        "level_label": level.label,
        "parent_code": parent_division(row["code"]),
    }


def ref(code: str | None, name: str | None) -> dict[str, Any] | None:
    return {"code": code, "name": name} if code else None


def holder_json(row: dict[str, Any], *, enterprise_view: bool) -> dict[str, Any]:
    person: dict[str, Any] = {"id": row["person_id"], "name": row["name"]}
    if not enterprise_view:
        person["mobile"] = row["mobile"]
    return {
        "holding_id": row["holding_id"],
        "person": person,
        "kind": row["kind"],
        "start": iso(row["start_date"]),
        "end": iso(row["end_date"]),
    }


def post_json(
    row: dict[str, Any],
    *,
    duties: list[str],
    holders: list[dict[str, Any]] | None,
    enterprise_view: bool,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "code": row["code"],
        "title": row["title"],
        "unit": ref(row["unit_code"], row["unit_name"]),
        "department": ref(row["department_code"], row["department_name"]),
        "dept_type": row["dept_type"],
        "level": row["level"],
        "duties": duties,
        "serves_enterprises": bool(row["serves_enterprises"]),
    }
    if not enterprise_view:  # escalation chains are internal
        found["supervisor"] = (
            {"code": row["supervisor_code"], "title": row["supervisor_title"]}
            if row["supervisor_code"] else None
        )
    if holders is not None:
        found["holders"] = [holder_json(h, enterprise_view=enterprise_view) for h in holders]
    return found


def department_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": row["code"],
        "name": row["name"],
        "type": row["dept_type"],
        "unit": ref(row["unit_code"], row["unit_name"]),
        "parent_code": row["parent_code"],
    }


def enterprise_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "credit_code": row["credit_code"],
        "name": row["name"],
        "industry": row["industry"],
        "scale": row["scale"],
        "registered_capital": row["registered_capital"],
        "region": ref(row["region_code"], row["region_name"]),
        "tags": row["tags"],
    }


def held_post_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": row["code"],
        "title": row["title"],
        "kind": row["kind"],
        "unit": ref(row["unit_code"], row["unit_name"]),
    }
