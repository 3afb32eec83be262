"""The FLOOR: a minimal ``websockets`` relay doing the same deliveries as Zhengding, and nothing else.

No persistence, no auth, no receipts, no rate limits. A client joins groups in the URL
(``GET /ws?g=big,t17``) and is greeted with a ``sync.live`` event (as our server greets a new
device). A request ``{"v":1,"id":…,"op":"msg.send","args":{"group":…,"client_msg_id":…,
"content":{"text":…}}}`` is turned into a ``message.new`` event of the same shape and size as
ours, encoded once and handed to every socket of the group with :func:`websockets.broadcast`;
then the sender gets an acknowledgement. ``GET /healthz`` answers 200 (for start-up polling).

    python bench/floor_server.py --port 9100
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import resource
import signal
from collections import defaultdict
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

import websockets
from websockets.asyncio.server import ServerConnection, serve


def raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class Relay:
    """Groups of sockets and a position counter: the whole state of the floor."""

    def __init__(self) -> None:
        self.groups: dict[str, set[ServerConnection]] = defaultdict(set)
        self.positions = itertools.count(1)
        self.message_ids = itertools.count(1)
        self.seqs: dict[str, itertools.count] = defaultdict(lambda: itertools.count(1))

    async def handler(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path).query)
        person = int(query.get("p", ["0"])[0] or 0)
        joined = [g for g in query.get("g", [""])[0].split(",") if g]
        for group in joined:
            self.groups[group].add(ws)
        try:
            await ws.send('{"v":1,"ev":"sync.live","pos":0,"data":{"state":"live","cursor":0}}')
            async for text in ws:
                await self.on_frame(ws, person, text)
        except websockets.ConnectionClosed:
            pass  # a dropped client; logging 10,000 tracebacks would slow the floor, not measure it
        finally:
            for group in joined:
                self.groups[group].discard(ws)

    async def on_frame(self, ws: ServerConnection, person: int, text: str | bytes) -> None:
        try:
            frame = json.loads(text)
            request_id, op, args = frame["id"], frame["op"], frame.get("args", {})
        except (ValueError, KeyError, TypeError):
            await ws.send('{"v":1,"re":null,"ok":false,"error":{"code":"bad_frame","message":"bad frame"}}')
            return
        if op != "msg.send":
            await ws.send(_dumps({"v": 1, "re": request_id, "ok": True, "result": {}}))
            return
        group = str(args.get("group", ""))
        message = {
            "id": next(self.message_ids), "conversation": group, "seq": next(self.seqs[group]),
            "sender": {"id": person, "name": "压测发送人"}, "as_post": None,
            "client_msg_id": args.get("client_msg_id"), "type": "text", "content": args.get("content"),
            "mentions": [], "reply_to": None, "urgent": False,
            "created_at": dt.datetime.now(dt.UTC).isoformat(), "edited_at": None, "recalled": False,
        }
        position = next(self.positions)
        event = f'{{"v":1,"ev":"message.new","pos":{position},"data":{_dumps({"message": message})}}}'
        websockets.broadcast(self.groups.get(group, ()), event)
        await ws.send(_dumps({"v": 1, "re": request_id, "ok": True, "result": {
            "message": message["id"], "conversation": group, "seq": message["seq"],
            "client_msg_id": message["client_msg_id"], "created_at": message["created_at"]}}))


def health(connection: ServerConnection, request) -> Any:
    if request.path == "/healthz":
        return connection.respond(HTTPStatus.OK, "ok\n")
    return None


async def main(host: str, port: int, backlog: int) -> None:
    raise_nofile()
    relay = Relay()
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with serve(relay.handler, host, port, process_request=health, compression=None,
                     max_size=256 * 1024, ping_interval=30, backlog=backlog):
        print(f"floor serving on ws://{host}:{port}/ws", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--backlog", type=int, default=128, help="listen backlog (aiohttp's default is 128)")
    options = parser.parse_args()
    asyncio.run(main(options.host, options.port, options.backlog))
