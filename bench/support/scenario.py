"""The same deliveries on both servers: connection specs, send frames and message text.

Our server: a connection authenticates in its first frame with a minted token (``@CURSOR@``
becomes the connection's last position when it resumes). The floor: groups are joined in the URL.
Message text is the same on both, so the frames are of the same size.
"""
from __future__ import annotations

import json
from typing import Any

#: A realistic notice line (~160 bytes of UTF-8) after the marker that identifies the run.
TEXT = "请各村于本周五前上报防汛物资储备清单, 并确认值班人员到岗。收到请回复。"


def message_text(marker: str) -> str:
    return f"{marker} {TEXT}"


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def auth_frame(token: str, *, resume: bool = False) -> str:
    args: dict[str, Any] = {"token": token}
    frame = _dumps({"v": 1, "id": "auth", "op": "auth", "args": args})
    if resume:  # the worker puts the connection's own cursor in place of @CURSOR@
        frame = frame[:-2] + ',"cursor":@CURSOR@}}'
    return frame


def ours_send(conversation: int, marker: str, cid: int) -> str:
    """A msg.send template; the worker numbers each send in place of ``@N@``."""
    return _dumps({"v": 1, "id": "s@N@", "op": "msg.send", "args": {
        "conversation": conversation, "client_msg_id": f"{marker}-{cid}-@N@", "type": "text",
        "content": {"text": message_text(marker)}}})


def floor_send(group: str, marker: str, cid: int) -> str:
    return _dumps({"v": 1, "id": "s@N@", "op": "msg.send", "args": {
        "group": group, "client_msg_id": f"{marker}-{cid}-@N@", "type": "text",
        "content": {"text": message_text(marker)}}})


def ours_spec(cid: int, token: str, *, resume: bool = False, send: str | None = None,
              port: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"cid": cid, "path": "/ws", "auth": auth_frame(token, resume=resume)}
    if send:
        spec["send"] = send
    if port:
        spec["port"] = port
    return spec


def floor_spec(cid: int, groups: list[str], *, send: str | None = None,
               port: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"cid": cid, "path": f"/ws?p={cid}&g={','.join(groups)}"}
    if send:
        spec["send"] = send
    if port:
        spec["port"] = port
    return spec
