"""Frames of the websocket protocol (v1) and the typed values the SDK hands out. Pure: no I/O.

    request  {"v":1, "id", "op", "args"}
    reply    {"v":1, "re", "ok":true, "result"}
           | {"v":1, "re", "ok":false, "error":{code, message, details}}
    event    {"v":1, "ev", "pos", "data"}        pos 0: a control event (sync.live / caught_up / resync)
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from clients.sdk.errors import ZhengdingError, error_from

PROTOCOL_VERSION = 1


@dataclass(frozen=True)
class Event:
    """A pushed event. ``position`` is its place in the user's stream; 0 for control events."""

    type: str
    position: int
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def control(self) -> bool:
        """``sync.*`` events describe the stream itself and are not part of it."""
        return self.position == 0


@dataclass(frozen=True)
class Reply:
    """The one answer to request ``request_id``: a result, or an error."""

    request_id: str | None
    result: Any = None
    error: ZhengdingError | None = None


@dataclass(frozen=True)
class Ack:
    """The acknowledgement of a committed send: server id and per-conversation sequence number.

    The reply carries the stored message object (``{"message": {…}, "duplicate"?}``); the
    fields here are read from it, and ``data`` is the whole object."""

    message: int
    conversation: int
    seq: int
    client_msg_id: str
    created_at: str | None
    #: True when the server had already stored this client_msg_id (a retry): nothing new was stored.
    duplicate: bool = False
    data: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> Ack:
        message = result["message"]
        return cls(message=message["id"], conversation=message["conversation"], seq=message["seq"],
                   client_msg_id=message["client_msg_id"], created_at=message.get("created_at"),
                   duplicate=bool(result.get("duplicate", False)), data=message)


@dataclass(frozen=True)
class Conversation:
    """A conversation as ``conv.open`` answers it; ``created`` is False when it already existed."""

    id: int
    kind: str
    title: str
    last_seq: int
    created: bool = False

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> Conversation:
        conv = result["conversation"]
        return cls(id=conv["id"], kind=conv["kind"], title=conv["title"], last_seq=conv["last_seq"],
                   created=bool(result.get("created", False)))


class FrameError(ValueError):
    """A frame from the server that is not valid protocol (a server bug or a proxy mangling it)."""


def encode_request(request_id: str, op: str, args: dict[str, Any]) -> str:
    return json.dumps({"v": PROTOCOL_VERSION, "id": request_id, "op": op, "args": args},
                      ensure_ascii=False, separators=(",", ":"))


def decode_frame(text: str) -> Reply | Event:
    """Classify a text frame from the server."""
    try:
        frame = json.loads(text)
    except ValueError as exc:
        raise FrameError(f"not JSON: {exc}") from None
    if not isinstance(frame, dict):
        raise FrameError("frame is not an object")
    if "ev" in frame:
        position, data = frame.get("pos"), frame.get("data")
        if not isinstance(frame["ev"], str) or not isinstance(position, int):
            raise FrameError("event without a type or position")
        return Event(frame["ev"], position, data if isinstance(data, dict) else {"value": data})
    if "ok" in frame:
        request_id = frame.get("re")
        if frame["ok"]:
            return Reply(request_id, result=frame.get("result"))
        error = frame.get("error") or {}
        return Reply(request_id, error=error_from(str(error.get("code", "error")),
                                                  str(error.get("message", "")),
                                                  error.get("details") or None))
    raise FrameError("neither a reply nor an event")
