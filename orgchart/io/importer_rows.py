"""Row validation for the importer: one function per record kind, pure, no I/O.

Each turns a raw record (the JSON shape of docs/directory-format.md, strings from CSV) into a
normalised row or raises :class:`RowProblem` with the reason, in Chinese, for the report.
Cross-record checks (references, cycles, level skips) live in :mod:`orgchart.io.importer`.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from orgchart.codes import CodeError, division_level, validate_credit_code, validate_mobile

ROLES = {"official", "enterprise", "admin", "bot"}
HOLDING_KINDS = {"primary", "acting", "deputy"}
SCALES = {"micro", "small", "medium", "large"}
MEMBER_ROLES = {"legal_representative", "finance", "tax_contact", "staff"}


class RowProblem(ValueError):
    """A record is bad; ``reason`` is one of the documented reasons, the message says more."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def text(record: dict, field: str, *, required: bool = True, max_length: int = 200) -> str | None:
    value = record.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowProblem("missing field", f"缺少字段 {field}")
        return None
    if not isinstance(value, (str, int)):
        raise RowProblem("bad value", f"字段 {field} 应为文本: {value!r}")
    value = str(value).strip()
    if len(value) > max_length:
        raise RowProblem("bad value", f"字段 {field} 超过 {max_length} 个字符")
    return value


def string_list(record: dict, field: str) -> list[str]:
    value = record.get(field)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split("|")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RowProblem("bad value", f"字段 {field} 应为文本列表: {value!r}")
    items = [item.strip() for item in value if item.strip()]
    if any(len(item) > 40 or "," in item for item in items):
        raise RowProblem("bad value", f"字段 {field} 的每一项不超过 40 个字符且不含逗号")
    return sorted(set(items))


def boolean(record: dict, field: str, default: bool = False) -> bool:
    value = record.get(field)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in {"true", "1", "yes", "是"}:
        return True
    if lowered in {"false", "0", "no", "否"}:
        return False
    raise RowProblem("bad value", f"字段 {field} 应为 true 或 false: {value!r}")


def date(record: dict, field: str, *, required: bool) -> dt.date | None:
    value = record.get(field)
    if value is None or value == "":
        if required:
            raise RowProblem("missing field", f"缺少字段 {field}")
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise RowProblem("bad date", f"字段 {field} 不是 YYYY-MM-DD 日期: {value!r}") from None


def choice(record: dict, field: str, allowed: set[str], default: str | None) -> str | None:
    value = text(record, field, required=default is None)
    if value is None:
        return default
    if value not in allowed:
        raise RowProblem("bad value", f"字段 {field} 应为 {'/'.join(sorted(allowed))} 之一: {value!r}")
    return value


def division_code(record: dict, field: str, *, required: bool = True) -> str | None:
    value = text(record, field, required=required, max_length=12)
    if value is None:
        return None
    try:
        division_level(value)
    except CodeError as exc:
        raise RowProblem("bad code", str(exc)) from None
    return value


def credit_code(record: dict, field: str = "credit_code") -> str:
    value = text(record, field, max_length=40)
    try:
        return validate_credit_code(value)
    except CodeError as exc:
        raise RowProblem("invalid credit code", str(exc)) from None


def mobile(record: dict, field: str = "mobile") -> str:
    value = text(record, field, max_length=20)
    try:
        return validate_mobile(value)
    except CodeError as exc:
        raise RowProblem("bad mobile", str(exc)) from None


def integer(record: dict, field: str) -> int | None:
    value = record.get(field)
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise RowProblem("bad value", f"字段 {field} 应为整数: {value!r}") from None
    if number < 0:
        raise RowProblem("bad value", f"字段 {field} 不能为负数: {value!r}")
    return number


# --- one normaliser per kind: returns (key, row) ---------------------------------------------


def unit(record: dict) -> tuple[Any, dict]:
    code = division_code(record, "code")
    return code, {"code": code, "name": text(record, "name", max_length=100)}


def department(record: dict) -> tuple[Any, dict]:
    code = text(record, "code", max_length=64)
    return code, {
        "code": code,
        "name": text(record, "name", max_length=100),
        "type": text(record, "type", max_length=40),
        "unit": division_code(record, "unit"),
        "parent": text(record, "parent", required=False, max_length=64),
    }


def post(record: dict) -> tuple[Any, dict]:
    code = text(record, "code", max_length=80)
    return code, {
        "code": code,
        "title": text(record, "title", max_length=100),
        "unit": division_code(record, "unit"),
        "department": text(record, "department", required=False, max_length=64),
        "duties": string_list(record, "duties"),
        "supervisor": text(record, "supervisor", required=False, max_length=80),
        "serves_enterprises": boolean(record, "serves_enterprises"),
    }


def person(record: dict) -> tuple[Any, dict]:
    number = mobile(record)
    return number, {
        "mobile": number,
        "name": text(record, "name", max_length=100),
        "role": choice(record, "role", ROLES, "official"),
    }


def holding(record: dict) -> tuple[Any, dict]:
    row = {
        "post": text(record, "post", max_length=80),
        "mobile": mobile(record),
        "kind": choice(record, "type", HOLDING_KINDS, "primary"),
        "start": date(record, "start", required=True),
        "end": date(record, "end", required=False),
    }
    if row["end"] is not None and row["end"] <= row["start"]:
        raise RowProblem("bad date", f"任职结束日期 {row['end']} 不晚于开始日期 {row['start']}")
    return (row["post"], row["mobile"], row["start"]), row


def enterprise(record: dict) -> tuple[Any, dict]:
    code = credit_code(record)
    return code, {
        "credit_code": code,
        "name": text(record, "name", max_length=200),
        "industry": text(record, "industry", required=False, max_length=100),
        "scale": choice(record, "scale", SCALES, "") or None,
        "registered_capital": integer(record, "registered_capital"),
        "region": division_code(record, "region", required=False),
        "tags": string_list(record, "tags"),
    }


def enterprise_member(record: dict) -> tuple[Any, dict]:
    row = {
        "credit_code": credit_code(record),
        "mobile": mobile(record),
        "role": choice(record, "role", MEMBER_ROLES, "staff"),
    }
    return (row["credit_code"], row["mobile"]), row


def virtual_org(record: dict) -> tuple[Any, dict]:
    code = text(record, "code", max_length=64)
    return code, {
        "code": code,
        "name": text(record, "name", max_length=100),
        "owner": text(record, "owner", max_length=64),
    }


def virtual_group(record: dict) -> tuple[Any, dict]:
    code = text(record, "code", max_length=64)
    return code, {
        "code": code,
        "name": text(record, "name", max_length=100),
        "virtual_org": text(record, "virtual_org", max_length=64),
        "parent": text(record, "parent", required=False, max_length=64),
    }


def virtual_member(record: dict) -> tuple[Any, dict]:
    row = {
        "virtual_org": text(record, "virtual_org", max_length=64),
        "credit_code": credit_code(record),
        "group": text(record, "group", max_length=64),
        "officer": text(record, "officer", required=False, max_length=80),
    }
    return (row["virtual_org"], row["credit_code"]), row


NORMALISERS = {
    "unit": unit,
    "department": department,
    "post": post,
    "person": person,
    "holding": holding,
    "enterprise": enterprise,
    "enterprise_member": enterprise_member,
    "virtual_org": virtual_org,
    "virtual_group": virtual_group,
    "virtual_member": virtual_member,
}
#: The order in which kinds are written (each refers only to kinds before it).
KIND_ORDER = tuple(NORMALISERS)
