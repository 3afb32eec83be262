"""Property-based fuzzing from the protocol schema (Hypothesis): frames built from
``im_server/protocol/schema.py`` — every operation, in-range and out-of-range values, the odd text
and numbers clients send — then mutated (a required argument dropped, an unknown one added, a value
replaced by any JSON, ``v`` or ``id`` spoiled, a number of 5,000 digits spliced in), sent one at a
time over a real websocket to a real server on each backend.

Properties: every frame gets exactly one reply and it is never ``internal``; every
``invalid_args`` names its ``details.field``; nothing is logged with a traceback (or at ERROR);
afterwards the server still serves a well-behaved request. Runs a fixed number of examples
(``ZHENGDING_FUZZ_EXAMPLES``, default 500), derandomized: the same frames on every run and in CI.
(tests/im_server/test_fuzz.py complements this with random junk at volume against a server
process, watching its memory.)
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from im_server.app import create_app
from im_server.protocol.schema import OPERATIONS, Field
from orgchart.http.keys import SESSIONS
from orgchart.infra.config import Settings
from tests.im_server.harness import WsClient, load_sample
from tests.orgchart import sample

EXAMPLES = int(os.environ.get("ZHENGDING_FUZZ_EXAMPLES", "500"))
HUGE_MARK = "@@HUGE@@"

# --- values -------------------------------------------------------------------------------------

ODD_TEXT = ["", " ", "\ud800", "a\udfffb", "nul\x00", "河长", "x" * 5000, "duty:((", "duty:河长",
            "330802000000", sample.TAX_KC + "-JZ", sample.TOWN + "-SJ", "😀", "\u202e", HUGE_MARK]
ODD_INTS = [0, -1, 1, 2, 3, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30, -(10**30)]

texts = st.one_of(st.text(max_size=20), st.sampled_from(ODD_TEXT))
ints = st.one_of(st.integers(1, 6), st.sampled_from(ODD_INTS), st.integers(-(2**70), 2**70))
scalars = st.one_of(st.none(), st.booleans(), ints, texts,
                    st.floats(allow_nan=False, allow_infinity=False, width=32))
any_json = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)), max_leaves=12)

contents = st.one_of(
    st.fixed_dictionaries({"text": texts}),
    st.fixed_dictionaries({"text": texts}, optional={"title": texts, "mentions": st.lists(
        st.one_of(st.fixed_dictionaries({"person": ints}), st.fixed_dictionaries({"post": texts})),
        max_size=3)}),
    st.fixed_dictionaries({"title": texts, "buttons": st.lists(st.fixed_dictionaries(
        {"action": texts, "label": texts}, optional={"url": st.one_of(texts, ints)}), max_size=7)}),
    st.fixed_dictionaries({"media": texts}),
    st.dictionaries(texts, any_json, max_size=3),
)
members = st.lists(st.one_of(
    st.fixed_dictionaries({"person": ints}), st.fixed_dictionaries({"post": texts}),
    st.fixed_dictionaries({"selector": texts}), st.fixed_dictionaries({"enterprise": texts}),
    any_json), max_size=4)


def value_for(name: str, spec: Field, clean: bool) -> st.SearchStrategy[Any]:
    """What the schema allows (``clean``: only that, so frames get past validation into the
    handlers), or often just outside it."""
    if spec.kind is int:
        allowed = st.one_of(st.integers(spec.minimum, min(spec.maximum, spec.minimum + 10)),
                            st.integers(spec.minimum, spec.maximum))
        return allowed if clean else st.one_of(allowed, ints)
    if spec.kind is str:
        limit = spec.max_length or 100
        if spec.choices:
            allowed = st.sampled_from(sorted(spec.choices))
        else:
            allowed = st.one_of(st.text(max_size=min(limit, 20)), st.sampled_from(
                [t for t in ODD_TEXT if len(t) <= limit and t != HUGE_MARK and "\x00" not in t
                 and "\ud800" not in t and "\udfff" not in t]))
        return allowed if clean else st.one_of(allowed, texts, st.sampled_from(["字" * limit, "字" * (limit + 1)]))
    if spec.kind is bool:
        return st.booleans()
    if name == "content":
        return contents
    if name == "people":
        return st.lists(ints, max_size=5)
    if spec.kind is list:
        return members
    return any_json


def args_for(op: str, clean: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    fields = OPERATIONS[op]
    return st.fixed_dictionaries(
        {name: value_for(name, spec, clean) for name, spec in fields.items() if spec.required},
        optional={name: value_for(name, spec, clean) for name, spec in fields.items() if not spec.required})


MUTATIONS = ["none"] * 6 + ["drop", "unknown", "replace", "huge", "version", "id", "args"]


@st.composite
def frames(draw) -> str:
    """A request frame's text: generated from the schema, then perhaps mutated."""
    op = draw(st.sampled_from(sorted(OPERATIONS)))
    args = draw(args_for(op, clean=draw(st.booleans())))
    frame: dict[str, Any] = {"v": 1, "id": "f", "op": op, "args": args}
    mutation = draw(st.sampled_from(MUTATIONS))
    if mutation == "drop" and args:
        del args[draw(st.sampled_from(sorted(args)))]
    elif mutation == "unknown":
        args[draw(texts)] = draw(any_json)
    elif mutation == "replace" and args:
        args[draw(st.sampled_from(sorted(args)))] = draw(any_json)
    elif mutation == "huge":
        args[draw(st.sampled_from(sorted(OPERATIONS[op]) or ["x"]))] = HUGE_MARK
    elif mutation == "version":
        frame["v"] = draw(st.one_of(any_json, st.just(HUGE_MARK)))
    elif mutation == "id":
        frame["id"] = draw(st.one_of(any_json, st.just("\ud800"), st.just("i" * 65)))
    elif mutation == "args":
        frame["args"] = draw(any_json)
    text = json.dumps(frame)  # ASCII: lone surrogates travel as \ud800 escapes, as clients send them
    return text.replace(json.dumps(HUGE_MARK), "9" * 5000)


# --- the server, on a loop of its own (Hypothesis drives the examples synchronously) ------------

class _Errors(logging.Handler):
    """Keeps every record logged at ERROR or with a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


@dataclass
class Live:
    loop: asyncio.AbstractEventLoop
    client: WsClient
    conversation: int
    errors: _Errors
    #: a socket that never authenticates (the auth timeout is long here)
    stranger: aiohttp.ClientWebSocketResponse

    def reply_to(self, text: str, *, ws: aiohttp.ClientWebSocketResponse | None = None) -> dict[str, Any]:
        """Send one frame; its reply (the next reply frame: requests go one at a time)."""
        ws = ws or self.client.ws

        async def exchange() -> dict[str, Any]:
            await ws.send_str(text)
            while True:
                message = await ws.receive(timeout=10)
                assert message.type == aiohttp.WSMsgType.TEXT, f"socket closed: {message!r}"
                reply = json.loads(message.data)
                if "re" in reply:
                    return reply

        return self.loop.run_until_complete(exchange())


@pytest.fixture
def live(db_url, tmp_path) -> Iterator[Live]:
    loop = asyncio.new_event_loop()
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    options = Settings(database_url=db_url, demo_data=False, media_dir=str(tmp_path / "media"),
                       ws_rate=100000, ws_burst=100000, ws_auth_timeout=600)
    server = TestServer(create_app(options))

    async def start() -> tuple[aiohttp.ClientSession, WsClient, int, aiohttp.ClientWebSocketResponse]:
        await server.start_server()
        await load_sample(server.app[SESSIONS])
        http = aiohttp.ClientSession()
        base = str(server.make_url("")).rstrip("/")
        other = WsClient(base, http)
        await other.login("13800000002")
        client = WsClient(base, http)
        await client.login("13800000001")
        await client.connect()
        client.reader.cancel()  # Live reads the socket itself, reply by reply
        await asyncio.gather(client.reader, return_exceptions=True)
        await client.ws.send_str(json.dumps({"v": 1, "id": "open", "op": "conv.open",
                                             "args": {"kind": "direct", "person": other.person_id}}))
        while True:
            reply = json.loads((await client.ws.receive(timeout=10)).data)
            if reply.get("re") == "open":
                stranger = await http.ws_connect(base.replace("http", "ws", 1) + "/ws")
                return http, client, reply["result"]["conversation"]["id"], stranger

    http, client, conversation, stranger = loop.run_until_complete(start())
    try:
        yield Live(loop, client, conversation, errors, stranger)
    finally:
        logging.getLogger().removeHandler(errors)
        loop.run_until_complete(stranger.close())
        loop.run_until_complete(client.ws.close())
        loop.run_until_complete(http.close())
        loop.run_until_complete(server.close())
        loop.close()


@pytest.mark.slow
def test_frames_from_the_schema_never_become_internal(live: Live):
    seen: dict[str, int] = {}

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(text=frames())
    def one_frame(text: str) -> None:
        reply = live.reply_to(text)
        error = reply.get("error") or {}
        seen[error.get("code", "ok")] = seen.get(error.get("code", "ok"), 0) + 1
        assert error.get("code") != "internal", (text[:300], reply)
        if error.get("code") == "invalid_args":
            assert isinstance((error.get("details") or {}).get("field"), str), (text[:300], reply)
        assert not live.errors.records, [r.getMessage() for r in live.errors.records]

    one_frame()

    @settings(max_examples=EXAMPLES // 3, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(args=st.one_of(args_for("auth"), any_json))
    def one_auth(args: Any) -> None:   # before authentication: only auth runs, and fails
        text = json.dumps({"v": 1, "id": "a", "op": "auth", "args": args}).replace(
            json.dumps(HUGE_MARK), "9" * 5000)
        reply = live.reply_to(text, ws=live.stranger)
        code = reply["error"]["code"]
        seen[code] = seen.get(code, 0) + 1
        assert code in ("unauthenticated", "invalid_args", "bad_frame"), (text[:300], reply)
        assert not live.errors.records, [r.getMessage() for r in live.errors.records]

    one_auth()
    print("fuzz replies by code:", dict(sorted(seen.items())))
    assert sum(seen.values()) >= EXAMPLES + EXAMPLES // 3 and seen.get("ok", 0) > 0 and seen.get("invalid_args", 0) > 0
    # still up, and correct
    ack = live.reply_to(json.dumps({"v": 1, "id": "after", "op": "msg.send", "args": {
        "conversation": live.conversation, "client_msg_id": "after-fuzz", "type": "text",
        "content": {"text": "还在吗"}}}))
    assert ack["ok"] and ack["result"]["message"]["content"] == {"text": "还在吗"}, ack
    assert not live.errors.records
