"""Helpers for the HTTP API tests: a real server over a real database with the sample directory.

Everyone in :mod:`tests.orgchart.sample` gets the same password except 钱七, who stays
unactivated. The hash is computed once: argon2 is slow on purpose.
"""
from __future__ import annotations

from functools import cache
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import update

from im_server.app import create_app
from orgchart.http.keys import SESSIONS
from orgchart.infra.config import Settings
from orgchart.io.importer import import_records
from orgchart.models import Person
from orgchart.security import hash_password
from tests.orgchart.sample import sample_records

PASSWORD = "correct-horse-9"
OFFICIAL = "13800000001"  # 张三, 柯城区税务局局长 now
ADMIN = "13900000000"  # 管理员
ENTERPRISE_USER = "13800000006"  # 孙八, tax contact of ENTERPRISE_A
UNACTIVATED = "13800000005"  # 钱七, 府山村网格员


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


async def start_api(aiohttp_client, db_url: str, *, extra: list[dict] | None = None, **settings: Any) -> TestClient:
    """A test client for the whole app, its database loaded with the sample (and ``extra``)."""
    app = create_app(Settings(database_url=db_url, demo_data=False, **settings))
    client = await aiohttp_client(app)
    report = await import_records(app[SESSIONS], sample_records() + (extra or []))
    assert report.ok, report.errors
    async with app[SESSIONS]() as session, session.begin():
        await session.execute(
            update(Person).where(Person.mobile != UNACTIVATED).values(password_hash=password_hash())
        )
    return client


async def login(client: TestClient, mobile: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers for a fresh token of ``mobile``."""
    response = await client.post("/api/v1/login", json={"mobile": mobile, "password": password})
    assert response.status == 200, await response.text()
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


async def get_json(client: TestClient, path: str, headers: dict[str, str], status: int = 200, **params: Any) -> Any:
    response = await client.get(path, headers=headers, params=params or None)
    body = await response.json()
    assert response.status == status, body
    return body


def assert_error(body: Any, code: str) -> None:
    """The API's one error shape: ``{"error": {"code", "message"}}``, message in Chinese."""
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert any("\u4e00" <= char <= "\u9fff" for char in body["error"]["message"]), body
