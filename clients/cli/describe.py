"""Server objects and events as lines for people (Simplified Chinese, Beijing time)."""
from __future__ import annotations

import json
from typing import Any

from clients.cli.beijing import beijing
from clients.sdk import Event

_CONTENT_LABELS = {"image": "[图片]", "file": "[文件]"}
_KINDS = {"direct": "单聊", "post": "岗位", "group": "群聊", "service": "服务", "channel": "公告"}
_LEVELS = {"city": 0, "county": 1, "township": 2, "village": 3}


def _object(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = data.get(key)
    return value if isinstance(value, dict) else None


def _id(value: Any) -> Any:
    """An id, whether the server sent the id or the object (``{id, …}``)."""
    return value.get("id") if isinstance(value, dict) else value


def event_time(event: Event) -> str | None:
    """When the event happened, from its own data: never the moment it was received or replayed."""
    data = event.data
    message, notice = _object(data, "message"), _object(data, "notice")
    if event.type == "message.edited" and message and message.get("edited_at"):
        return message["edited_at"]
    if event.type == "message.recalled" and message:
        return message.get("recalled_at")
    for key in ("at", "read_at", "confirmed_at", "created_at"):
        if data.get(key):
            return data[key]
    if message:
        return message.get("created_at")
    if notice and event.type == "notice.new":
        return notice.get("created_at")
    conversation = _object(data, "conversation")
    return conversation.get("created_at") if conversation else None


def describe_event(event: Event) -> str:
    """One line per event: when it happened (Beijing time, blank if the event does not say), its
    position and what it says."""
    data = event.data
    if event.type == "sync.live":
        return "-- 已连接, 实时接收中"
    if event.type == "sync.caught_up":
        return f"-- 已补齐离线期间的事件 (游标 {data.get('cursor')})"
    if event.type == "sync.resync":
        return "-- 游标过旧或无效, 错过的事件已无法补发, 请重新加载会话"
    stamp = event_time(event)
    prefix = f"{beijing(stamp) if stamp else ' ' * 19} #{event.position}"
    return f"{prefix} {_event_text(event)}"


def _event_text(event: Event) -> str:
    data = event.data
    message = _object(data, "message")
    if event.type in ("message.new", "message.edited", "message.recalled") and message:
        where = f"[会话 {_id(message.get('conversation'))}]"
        if event.type == "message.recalled":
            return f"{where} {sender_name(message)} 撤回了第 {message.get('seq')} 条消息"
        verb = " (已编辑)" if event.type == "message.edited" else ""
        urgent = "[DING] " if message.get("urgent") else ""
        return f"{where} {urgent}{sender_name(message)}{verb}: {content_text(message)}"
    conversation = _object(data, "conversation")
    post = data.get("post") if isinstance(data.get("post"), dict) else None
    if event.type == "conversation.new" and conversation:
        handed = f", 随岗位 {post.get('title')} 交接转来" if post else ""
        return (f"新会话 {conversation.get('id')} «{conversation.get('title')}» "
                f"({_KINDS.get(conversation.get('kind'), conversation.get('kind'))}{handed})")
    if event.type == "conversation.removed" and conversation:
        return (f"会话 {conversation.get('id')} «{conversation.get('title')}» 已随岗位交接转给继任者, "
                f"您不再是成员")
    if event.type == "conversation.read":
        return f"[会话 {_id(data.get('conversation'))}] 已读至第 {data.get('last_read_seq')} 条"
    notice = _object(data, "notice")
    if event.type == "notice.new" and notice:
        handed = " (岗位交接转来)" if data.get("handed_over") else ""
        return f"通知 {notice.get('id')}{notice_flags(notice)} «{notice.get('title')}» 来自 {notice_sender(notice)}{handed}"
    if event.type == "ding":
        about = data.get(str(data.get("kind"))) or {}
        title = about.get("title") if isinstance(about, dict) else data.get("title")
        what = f"通知 {_id(about)} «{title or ''}»" if data.get("kind") == "notice" else f"消息 {_id(about)}"
        return f"[DING] {what} 请尽快处理"
    if event.type == "notice.transferred":
        return f"通知 {_id(data.get('notice'))} 已随岗位交接转给继任者"
    person = (_object(data, "person") or {}).get("name", "?")
    if event.type == "notice.read":
        return f"通知 {_id(data.get('notice'))} 已被 {person} 阅读"
    if event.type == "notice.confirmed":
        feedback = f", 反馈: {data['feedback']}" if data.get("feedback") else ""
        return f"通知 {_id(data.get('notice'))} 已被 {person} 确认收到{feedback}"
    return f"{event.type} {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}"


# --- messages and conversations -----------------------------------------------------------------


def sender_name(message: dict[str, Any]) -> str:
    sender = (message.get("sender") or {}).get("name", "?")
    post = message.get("as_post")
    return sender + (f"({post.get('title', '')})" if isinstance(post, dict) else "")


def content_text(message: dict[str, Any]) -> str:
    if message.get("recalled") or (message.get("content") is None and "content" in message):
        return "[已撤回]"
    content = message.get("content") or {}
    kind = message.get("type")
    if kind in _CONTENT_LABELS:
        return _CONTENT_LABELS[kind]
    if kind == "card":
        return f"[卡片] {content.get('title', '')}"
    if kind == "markdown" and content.get("title"):
        return f"{content['title']} — {content.get('text', '')}"
    return str(content.get("text", ""))


def describe_message(message: dict[str, Any]) -> str:
    """``2025-01-01 16:00:00 第 3 条 张三: 你好`` for a history listing."""
    edited = " (已编辑)" if message.get("edited_at") and not message.get("recalled") else ""
    urgent = "[DING] " if message.get("urgent") else ""
    return (f"{beijing(message.get('created_at'))} 第 {message.get('seq')} 条 "
            f"{urgent}{sender_name(message)}{edited}: {content_text(message)}")


def kind_label(kind: Any) -> str:
    return _KINDS.get(kind, str(kind))


def describe_conversation(conversation: dict[str, Any]) -> str:
    """A ``conv.list`` row: id, kind, title, unread count, last activity."""
    unread = conversation.get("unread") or 0
    badge = f" [{unread} 条未读]" if unread else ""
    last = conversation.get("last_at")
    when = f", 最近活动 {beijing(last)}" if last else ""
    last_message = conversation.get("last_message")
    latest = ""
    if isinstance(last_message, dict):
        text = "[已撤回]" if last_message.get("recalled") else last_message.get("preview", "")
        latest = f"; 最新 {(last_message.get('sender') or {}).get('name', '?')}: {text}"
    return (f"会话 {conversation.get('id')} ({kind_label(conversation.get('kind'))}) "
            f"«{conversation.get('title', '')}»{badge}: 共 {conversation.get('last_seq', 0)} 条{when}{latest}")


# --- notices ------------------------------------------------------------------------------------


def notice_flags(notice: dict[str, Any]) -> str:
    return "".join(flag for flag, on in (("[DING]", notice.get("urgent")),
                                         ("[需确认]", notice.get("require_confirm"))) if on)


def notice_sender(notice: dict[str, Any]) -> str:
    post = (notice.get("sender_post") or {}).get("title", "")
    return f"{(notice.get('sender') or {}).get('name', '?')}({post})"


def notice_state(notice: dict[str, Any]) -> str:
    """The reader's own state of a notice in their inbox."""
    if notice.get("confirmed_at"):
        return f"已确认 {beijing(notice['confirmed_at'])}"
    if notice.get("read_at"):
        return (f"已读 {beijing(notice['read_at'])}, 待确认" if notice.get("require_confirm")
                else f"已读 {beijing(notice['read_at'])}")
    return "未读"


def describe_inbox_item(notice: dict[str, Any]) -> str:
    """A ``notice.list`` row for the recipient."""
    return (f"通知 {notice.get('id')}{notice_flags(notice)} «{notice.get('title', '')}» "
            f"来自 {notice_sender(notice)}, {beijing(notice.get('created_at'))} ({notice_state(notice)})")


def describe_notice(notice: dict[str, Any]) -> list[str]:
    """A notice as opened by its recipient: heading, state and body."""
    lines = [describe_inbox_item(notice)]
    if notice.get("feedback"):
        lines.append(f"  反馈: {notice['feedback']}")
    body = notice.get("body")
    if body:
        lines += ["", str(body)]
    if notice.get("require_confirm") and not notice.get("confirmed_at"):
        lines += ["", f"(需确认收到: zhengding notice confirm {notice.get('id')} [--feedback 反馈])"]
    return lines


def _counts(row: dict[str, Any]) -> str:
    return (f"接收 {row.get('recipients', 0)}, 已读 {row.get('read', 0)}, "
            f"已确认 {row.get('confirmed', 0)}, 未完成 {row.get('pending', 0)}")


def describe_status(result: dict[str, Any]) -> list[str]:
    """``notice.status`` as lines: totals, the roll-up by org unit, a page of who is pending."""
    notice = result.get("notice") or {}
    post = notice.get("sender_post") or {}
    flags = "需确认" if notice.get("require_confirm") else "打开即已读"
    flags += ", DING" if notice.get("urgent") else ""
    heading = (f"通知 {notice.get('id')} «{notice.get('title', '')}» ({flags}), "
               f"发送岗位 {post.get('title', '')} {post.get('code', '')}, "
               f"发送于 {beijing(notice.get('created_at'))}")
    lines = [heading, "  合计: " + _counts(result.get("totals") or {})]
    if result.get("under"):
        lines[-1] += f" (以下仅限 {result['under']} 范围)"
    rollup = result.get("rollup") or []
    if rollup:
        lines.append("  按单位:")
        for row in rollup:
            indent = "  " * _LEVELS.get(row.get("level"), 0)
            name = row.get("name") or row.get("code") or row.get("path")
            lines.append(f"    {indent}{name}: {_counts(row)}")
    pending = result.get("pending") or {}
    items = pending.get("items") or []
    if pending.get("total"):
        lines.append(f"  未完成 {pending['total']} 人" + (f", 第 {pending.get('offset', 0) + 1}–"
                     f"{pending.get('offset', 0) + len(items)} 人:" if items else ""))
        for item in items:
            person = item.get("person") or {}
            where = item.get("post") or item.get("enterprise") or {}
            unit = (item.get("unit") or {}).get("name") or ""
            state = "已读未确认" if item.get("read_at") else "未读"
            lines.append(f"    {person.get('name', '?')} {person.get('mobile') or ''} "
                         f"{unit}{where.get('title') or where.get('name') or ''} ({state})")
    else:
        lines.append("  全部完成, 无人待处理")
    reminder = result.get("reminder")
    if reminder:
        lines.append(f"  DING 提醒: 已提醒 {reminder.get('attempt')}/{reminder.get('max_attempts')} 次"
                     + (", 已结束" if reminder.get("done") else f", 下次 {beijing(reminder.get('next_due_at'))}"))
    return lines
