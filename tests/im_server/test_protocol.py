"""The frame protocol without sockets: every bad frame gets one clear error and changes nothing."""
from __future__ import annotations

import json

from im_server.protocol import Close, Dispatch, ProtocolCore, Reply


def _error(decision) -> dict:
    assert isinstance(decision, Reply), decision
    frame = json.loads(decision.text)
    assert frame["ok"] is False
    return frame


def _ready(**kwargs) -> ProtocolCore:
    core = ProtocolCore(**kwargs)
    core.authenticated()
    return core


def test_valid_request_is_dispatched_with_its_id():
    decision = _ready().receive(json.dumps({"v": 1, "id": "a1", "op": "ping", "args": {}}), 0)
    assert decision == Dispatch("a1", "ping", {})


def test_malformed_frames_get_stable_codes():
    core = _ready()
    cases = {
        "{not json": ("bad_frame", None),
        "[1, 2]": ("bad_frame", None),
        json.dumps({"op": "ping"}): ("bad_frame", None),
        json.dumps({"id": "x" * 65, "op": "ping"}): ("bad_frame", None),
        json.dumps({"id": 5, "op": "ping"}): ("bad_frame", None),
        json.dumps({"v": 2, "id": "a", "op": "ping"}): ("unsupported_version", "a"),
        json.dumps({"id": "b", "op": "drop.tables"}): ("unknown_op", "b"),
        json.dumps({"id": "c", "op": "msg.send", "args": []}): ("invalid_args", "c"),
        json.dumps({"id": "d", "op": "conv.get", "args": {"conversation": "1"}}): ("invalid_args", "d"),
        json.dumps({"id": "e", "op": "conv.get", "args": {"conversation": True}}): ("invalid_args", "e"),
        json.dumps({"id": "f", "op": "conv.get", "args": {"conversation": 1, "extra": 1}}): ("invalid_args", "f"),
        json.dumps({"id": "g", "op": "conv.get", "args": {}}): ("invalid_args", "g"),
        json.dumps({"id": "h", "op": "conv.open", "args": {"kind": "nonsense"}}): ("invalid_args", "h"),
        json.dumps({"id": "i", "op": "auth", "args": {"token": "t"}}): ("invalid_args", "i"),
        "[" * 100000: ("bad_frame", None),
    }
    for text, (code, request_id) in cases.items():
        frame = _error(core.receive(text, 0))
        assert (frame["error"]["code"], frame["re"]) == (code, request_id), text[:60]
        assert frame["error"]["message"]


def test_nothing_but_auth_before_authentication():
    core = ProtocolCore()
    frame = _error(core.receive(json.dumps({"id": "a", "op": "conv.list"}), 0))
    assert frame["error"]["code"] == "unauthenticated"
    assert isinstance(core.receive(json.dumps({"id": "b", "op": "auth", "args": {"token": "t"}}), 0), Dispatch)


def test_flood_is_rate_limited_then_closed_with_1008():
    core = _ready(rate=10, burst=5, max_strikes=20)
    frame = json.dumps({"id": "p", "op": "ping"})
    decisions = [core.receive(frame, 0.0) for _ in range(5 + 19)]
    assert all(isinstance(d, Dispatch) for d in decisions[:5])
    assert all(_error(d)["error"]["code"] == "rate_limited" for d in decisions[5:])
    assert _error(decisions[6])["re"] == "p"
    closing = core.receive(frame, 0.0)
    assert isinstance(closing, Close) and closing.code == 1008
    assert isinstance(core.receive(frame, 100.0), Close)  # closed stays closed


def test_rate_recovers_with_time():
    core = _ready(rate=10, burst=1)
    frame = json.dumps({"id": "p", "op": "ping"})
    assert isinstance(core.receive(frame, 0.0), Dispatch)
    assert isinstance(core.receive(frame, 0.01), Reply)
    assert isinstance(core.receive(frame, 0.2), Dispatch)
