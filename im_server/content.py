"""Message content by type: validation and the plain text that search indexes (pure).

    text      {"text": str}
    markdown  {"title": str?, "text": str}
    image     {"media": token}          (uploaded first over HTTP)
    file      {"media": token}
    card      {"title": str, "text": str?, "buttons": [{"action": str, "label": str}]}

Any type may carry ``"mentions": [{"person": id} | {"post": code}]``.
"""
from __future__ import annotations

from typing import Any

from im_server.protocol import ProtocolError

MAX_TEXT = 5000
MAX_MARKDOWN = 20000
MAX_BUTTONS = 6
MAX_MENTIONS = 50


def _bad(message: str) -> ProtocolError:
    return ProtocolError("invalid_args", message, field="content")


def _string(content: dict, key: str, limit: int, *, required: bool = True) -> str | None:
    value = content.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise _bad(f"content.{key} 必须是非空字符串")
    if len(value) > limit:
        raise _bad(f"content.{key} 过长 (上限 {limit} 字)")
    return value


def normalise(kind: str, content: dict[str, Any]) -> tuple[dict[str, Any], list[dict], str]:
    """``(content, mentions, search_text)`` or :class:`ProtocolError` ``invalid_args``."""
    mentions = content.get("mentions", [])
    if not isinstance(mentions, list) or len(mentions) > MAX_MENTIONS:
        raise _bad(f"content.mentions 必须是不超过 {MAX_MENTIONS} 项的数组")
    for mention in mentions:
        ok = isinstance(mention, dict) and len(mention) == 1 and (
            (isinstance(mention.get("person"), int) and not isinstance(mention.get("person"), bool))
            or isinstance(mention.get("post"), str))
        if not ok:
            raise _bad('提及 (mention) 的格式应为 {"person": id} 或 {"post": "岗位代码"}')
    allowed = {"text": {"text"}, "markdown": {"title", "text"}, "image": {"media"}, "file": {"media"},
               "card": {"title", "text", "buttons"}}[kind] | {"mentions"}
    unknown = set(content) - allowed
    if unknown:
        raise _bad(f"{kind} 消息不支持字段: {', '.join(sorted(unknown))}")
    if kind == "text":
        text = _string(content, "text", MAX_TEXT)
        return {"text": text}, mentions, text
    if kind == "markdown":
        title = _string(content, "title", 200, required=False)
        text = _string(content, "text", MAX_MARKDOWN)
        return {"title": title, "text": text}, mentions, f"{title or ''} {text}".strip()
    if kind in ("image", "file"):
        return {"media": _string(content, "media", 64)}, mentions, ""
    title = _string(content, "title", 200)
    text = _string(content, "text", MAX_TEXT, required=False)
    buttons = content.get("buttons", [])
    if not isinstance(buttons, list) or not 0 < len(buttons) <= MAX_BUTTONS:
        raise _bad(f"卡片需要 1–{MAX_BUTTONS} 个按钮")
    for button in buttons:
        if not (isinstance(button, dict) and isinstance(button.get("action"), str)
                and isinstance(button.get("label"), str) and set(button) <= {"action", "label", "url"}
                and isinstance(button.get("url", ""), str) and len(button.get("url", "")) <= 2000
                and 0 < len(button["action"]) <= 64 and 0 < len(button["label"]) <= 40):
            raise _bad('按钮格式应为 {"action": "…", "label": "…"}')
    return {"title": title, "text": text, "buttons": buttons}, mentions, f"{title} {text or ''}".strip()
