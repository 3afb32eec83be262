"""Directory items (``org resolve`` and ``org search`` answers) as one line each, for people."""
from __future__ import annotations

from typing import Any

from orgchart.codes import LEVEL_LABELS, Level

_HOLDING_KINDS = {"acting": "代理", "deputy": "副职", "concurrent": "兼任"}


def describe_item(item: dict[str, Any]) -> str:
    """``[岗位] code 单位 职务: 在岗人员`` and the like for units, people and enterprises."""
    kind = item.get("kind") or item.get("type")
    if kind == "enterprise" or "credit_code" in item:
        region = _name(item.get("region"))
        return f"[企业] {item['credit_code']} {item.get('name', '')}" + (f" ({region})" if region else "")
    if kind == "unit":
        return f"[单位] {item.get('code')} {item.get('name', '')} ({_level(item.get('level'))})"
    if kind == "person":
        posts = "、".join(f"{_name(p.get('unit'))}{p.get('title', '')}" for p in item.get("posts") or [])
        mobile = f" {item['mobile']}" if item.get("mobile") else ""
        return f"[人员] {item.get('name', '')}{mobile}: {posts or '无在岗岗位'}"
    holders = "、".join(_holder(h) for h in item.get("holders") or []) or "空缺"
    return f"[岗位] {item.get('code')} {_name(item.get('unit'))} {item.get('title', '')}: {holders}"


def _name(ref: Any) -> str:
    return str(ref.get("name") or "") if isinstance(ref, dict) else str(ref or "")


def _level(level: Any) -> str:
    try:
        return LEVEL_LABELS[Level(int(level))] + "级"
    except (TypeError, ValueError, KeyError):
        return str(level)


def _holder(holder: dict[str, Any]) -> str:
    kind = _HOLDING_KINDS.get(holder.get("kind"), "")
    return str(holder.get("name", "")) + (f"({kind})" if kind else "")
