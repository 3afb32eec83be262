"""The per-connection protocol state machine: text frames in, decisions out. No I/O, no asyncio.

    AWAITING_AUTH --auth ok--> READY --close--> CLOSED

Every request frame carries an ``id`` and gets exactly one reply. Bad frames get an error reply
(``re`` is the request id when it could be read, else null) and change nothing; a client that
keeps flooding is told ``rate_limited``, and one that never stops is closed with 1008.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from im_server.protocol.ratelimit import TokenBucket
from im_server.protocol.schema import OPERATIONS, ArgumentError, validate_args
from orgchart.infra.safe_json import loads, text_ok

PROTOCOL_VERSION = 1
MAX_ID_LENGTH = 64


class State(Enum):
    AWAITING_AUTH = "awaiting_auth"
    READY = "ready"
    CLOSED = "closed"


@dataclass(frozen=True)
class Reply:
    """Send this text frame back; nothing else happens."""

    text: str


@dataclass(frozen=True)
class Dispatch:
    """Run operation ``op`` for request ``request_id`` with validated ``args``."""

    request_id: str
    op: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Close:
    """Send ``text`` (if any), then close the socket with ``code``."""

    code: int
    reason: str
    text: str | None = None


class ProtocolError(Exception):
    """Raised by handlers: becomes an error reply with a stable code."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def encode_result(request_id: str, result: Any) -> str:
    return _dumps({"v": PROTOCOL_VERSION, "re": request_id, "ok": True, "result": result})


def encode_error(request_id: str | None, code: str, message: str, **details: Any) -> str:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return _dumps({"v": PROTOCOL_VERSION, "re": request_id, "ok": False, "error": error})


def encode_event(position: int, event_type: str, data_json: str) -> str:
    """An event frame; ``data_json`` is already JSON so fan-out encodes each event once."""
    return f'{{"v":{PROTOCOL_VERSION},"ev":"{event_type}","pos":{position},"data":{data_json}}}'


class ProtocolCore:
    """One connection's protocol state. ``now`` is passed in, so tests control time."""

    def __init__(self, *, rate: float = 20.0, burst: int = 60, max_strikes: int = 50) -> None:
        self.state = State.AWAITING_AUTH
        self.bucket = TokenBucket(rate=rate, burst=burst)
        self.max_strikes = max_strikes
        self.strikes = 0  # consecutive rate-limited frames

    def authenticated(self, bucket: TokenBucket | None = None) -> None:
        """From now on, draw from ``bucket`` (shared by all of the user's connections)."""
        self.state = State.READY
        if bucket is not None:
            self.bucket = bucket

    def receive(self, text: str, now: float) -> Reply | Dispatch | Close:
        if self.state is State.CLOSED:
            return Close(1000, "closed")
        if not self.bucket.take(now):
            self.strikes += 1
            if self.strikes >= self.max_strikes:
                self.state = State.CLOSED
                return Close(1008, "rate limit exceeded",
                             encode_error(None, "rate_limited", "发送过于频繁, 连接已关闭"))
            return Reply(encode_error(_peek_id(text), "rate_limited", "发送过于频繁, 请稍后再试"))
        self.strikes = 0
        try:
            frame = loads(text)
        except (ValueError, RecursionError):
            return Reply(encode_error(None, "bad_frame", "帧不是合法的 JSON"))
        if not isinstance(frame, dict):
            return Reply(encode_error(None, "bad_frame", "帧必须是 JSON 对象"))
        request_id = frame.get("id")
        if not _usable_id(request_id):
            return Reply(encode_error(None, "bad_frame", f"请求必须带有 1–{MAX_ID_LENGTH} 个字符的字符串 id",
                                      field="id"))
        version = frame.get("v", PROTOCOL_VERSION)
        if not isinstance(version, int) or isinstance(version, bool):  # 1.0 and true are not 1
            return Reply(encode_error(request_id, "bad_frame", "协议版本 v 必须是整数", field="v"))
        if version != PROTOCOL_VERSION:
            return Reply(encode_error(request_id, "unsupported_version",
                                      f"不支持的协议版本, 服务器使用 v{PROTOCOL_VERSION}"))
        op = frame.get("op")
        if not isinstance(op, str) or op not in OPERATIONS:
            return Reply(encode_error(request_id, "unknown_op", f"未知操作: {str(op)[:40]!r}"))
        if self.state is State.AWAITING_AUTH and op != "auth":
            return Reply(encode_error(request_id, "unauthenticated", "请先完成认证 (auth)"))
        if self.state is State.READY and op == "auth":
            return Reply(encode_error(request_id, "invalid_args", "连接已认证", field="op"))
        try:
            args = validate_args(op, frame.get("args", {}))
        except ArgumentError as exc:
            return Reply(encode_error(request_id, "invalid_args", str(exc), field=exc.field))
        return Dispatch(request_id, op, args)


def _peek_id(text: str) -> str | None:
    """The request id of a frame we will not process, if it is cheap to read."""
    if len(text) > 4096:
        return None
    try:
        frame = loads(text)
    except (ValueError, RecursionError):
        return None
    request_id = frame.get("id") if isinstance(frame, dict) else None
    return request_id if _usable_id(request_id) else None


def _usable_id(request_id: object) -> bool:
    """A request id we can echo: a 1–64 character string that encodes (no lone surrogates)."""
    return (isinstance(request_id, str) and 0 < len(request_id) <= MAX_ID_LENGTH
            and text_ok(request_id))
