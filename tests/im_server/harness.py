"""A real server on a real port with the sample directory, and a minimal websocket test client."""
from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
from typing import Any

import aiohttp
from sqlalchemy import insert, select, update

from orgchart import models as om
from orgchart.io.importer import import_records
from orgchart.security import hash_password

PASSWORD = "zhengding-test"


async def rotate(sessions, post_code: str, old_mobile: str, new_mobile: str, day: dt.date) -> None:
    """Hand a post from one holder to another on ``day`` straight in the database, as an import
    or a date would (no admin call to hook)."""
    async with sessions.begin() as session:
        post = await session.scalar(select(om.Post.id).where(om.Post.code == post_code))
        old = await session.scalar(select(om.Person.id).where(om.Person.mobile == old_mobile))
        new = await session.scalar(select(om.Person.id).where(om.Person.mobile == new_mobile))
        await session.execute(update(om.Holding).where(om.Holding.post_id == post, om.Holding.person_id == old,
                                                       om.Holding.end_date.is_(None)).values(end_date=day))
        await session.execute(insert(om.Holding).values(post_id=post, person_id=new, kind="primary",
                                                        start_date=day))


async def load_sample(sessions) -> None:
    from tests.orgchart.sample import sample_records

    report = await import_records(sessions, sample_records())
    assert report.ok, report.errors
    async with sessions.begin() as session:
        await session.execute(update(om.Person).values(password_hash=hash_password(PASSWORD)))


class WsClient:
    """Sends requests with ids, matches replies, and collects pushed events in order."""

    def __init__(self, base_url: str, http: aiohttp.ClientSession) -> None:
        self.base_url = base_url
        self.http = http
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.token: str | None = None
        self.person_id: int | None = None
        self.ids = itertools.count(1)
        self.replies: dict[str, asyncio.Future] = {}
        self.events: list[dict[str, Any]] = []
        self.event_arrived = asyncio.Event()
        self.cursor = 0
        self.reader: asyncio.Task | None = None
        self.closed_with: int | None = None

    async def login(self, mobile: str, password: str = PASSWORD) -> dict:
        async with self.http.post(f"{self.base_url}/api/v1/login",
                                  json={"mobile": mobile, "password": password}) as response:
            body = await response.json()
            assert response.status == 200, body
        self.token = body["token"]
        self.person_id = body["person"]["id"]
        return body

    async def connect(self, *, cursor: int | None = None, use_ticket: bool = True, **kwargs) -> None:
        url = self.base_url.replace("http", "ws", 1) + "/ws"
        if use_ticket:
            async with self.http.post(f"{self.base_url}/api/v1/ws-ticket",
                                      headers={"Authorization": f"Bearer {self.token}"}) as response:
                ticket = (await response.json())["ticket"]
            url += f"?ticket={ticket}" + (f"&cursor={cursor}" if cursor is not None else "")
        self.ws = await self.http.ws_connect(url, **kwargs)
        self.reader = asyncio.create_task(self._read())
        if not use_ticket:
            args = {"token": self.token}
            if cursor is not None:
                args["cursor"] = cursor
            await self.request("auth", **args)

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(message.data)
            if "re" in frame and frame["re"] in self.replies:
                self.replies.pop(frame["re"]).set_result(frame)
            elif "ev" in frame:
                if frame["pos"]:
                    self.cursor = frame["pos"]
                self.events.append(frame)
                self.event_arrived.set()
            else:
                self.events.append(frame)
                self.event_arrived.set()
        self.closed_with = self.ws.close_code

    async def raw(self, frame: Any) -> None:
        await self.ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))

    async def call(self, op: str, **args) -> dict:
        """The whole reply frame."""
        request_id = f"r{next(self.ids)}"
        future = asyncio.get_running_loop().create_future()
        self.replies[request_id] = future
        await self.ws.send_str(json.dumps({"v": 1, "id": request_id, "op": op, "args": args}))
        return await asyncio.wait_for(future, timeout=10)

    async def request(self, op: str, **args) -> Any:
        """The result of a successful reply (asserts it succeeded)."""
        frame = await self.call(op, **args)
        assert frame["ok"], frame
        return frame["result"]

    async def wait_events(self, predicate, count: int = 1, timeout: float = 10) -> list[dict]:
        async def until():
            while True:
                found = [e for e in self.events if predicate(e)]
                if len(found) >= count:
                    return found
                self.event_arrived.clear()
                await self.event_arrived.wait()

        return await asyncio.wait_for(until(), timeout)

    def stream(self, event_type: str | None = None) -> list[dict]:
        return [e for e in self.events if e.get("pos") and (event_type is None or e["ev"] == event_type)]

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)
