"""Login, tokens (expiry, logout, revocation), activation and the error shape, end to end."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from orgchart.http.keys import SESSIONS
from orgchart.models import AuthToken, Person
from orgchart.security import token_digest
from tests.orgchart.api_fixtures import (
    ADMIN,
    ENTERPRISE_USER,
    OFFICIAL,
    PASSWORD,
    UNACTIVATED,
    assert_error,
    get_json,
    login,
    start_api,
)


@pytest.fixture
async def api(aiohttp_client, db_url):
    return await start_api(aiohttp_client, db_url, token_ttl_seconds=3600)


async def test_login_gives_an_opaque_token_stored_only_as_its_hash(api):
    before = dt.datetime.now(dt.UTC)
    response = await api.post("/api/v1/login", json={"mobile": OFFICIAL, "password": PASSWORD})
    assert response.status == 200
    body = await response.json()
    assert body["person"]["name"] == "张三" and body["person"]["role"] == "official"
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(minutes=59) < expires - before <= dt.timedelta(minutes=61)  # the TTL setting
    async with api.app[SESSIONS]() as session:
        stored = (await session.execute(select(AuthToken.token_hash))).scalars().all()
    assert stored == [token_digest(body["token"])] and body["token"] not in stored

    headers = {"Authorization": f"Bearer {body['token']}"}
    me = await get_json(api, "/api/v1/me", headers)
    assert me["name"] == "张三" and me["activated"] is True
    assert [post["code"] for post in me["posts"]] == ["330802000000-SWJ-JZ"]


async def test_failed_logins_all_look_the_same(api):
    attempts = [
        {"mobile": OFFICIAL, "password": "wrong-password"},
        {"mobile": "13700000000", "password": PASSWORD},  # no such account
        {"mobile": UNACTIVATED, "password": PASSWORD},  # never activated
        {"mobile": "not-a-mobile", "password": PASSWORD},
    ]
    messages = set()
    for attempt in attempts:
        response = await api.post("/api/v1/login", json=attempt)
        assert response.status == 401
        body = await response.json()
        assert_error(body, "unauthenticated")
        messages.add(body["error"]["message"])
    assert len(messages) == 1

    response = await api.post("/api/v1/login", json={"mobile": OFFICIAL})
    assert response.status == 400
    assert_error(await response.json(), "invalid_input")
    response = await api.post("/api/v1/login", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert_error(await response.json(), "invalid_input")


async def test_directory_needs_a_valid_token(api):
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer not-a-token"}):
        for path in ("/api/v1/me", "/api/v1/units", "/api/v1/search?q=zs", "/api/v1/posts/x"):
            response = await api.get(path, headers=headers)
            assert response.status == 401, path
            assert_error(await response.json(), "unauthenticated")
    # public: the OpenAPI document and the health check
    assert (await api.get("/api/v1/openapi.json")).status == 200
    assert (await api.get("/healthz")).status == 200


async def test_expired_token_is_refused(api):
    headers = await login(api, OFFICIAL)
    await get_json(api, "/api/v1/me", headers)
    async with api.app[SESSIONS]() as session, session.begin():
        await session.execute(
            update(AuthToken).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    assert_error(await get_json(api, "/api/v1/me", headers, status=401), "unauthenticated")


async def test_logout_revokes_only_the_current_token(api):
    first, second = await login(api, OFFICIAL), await login(api, OFFICIAL)
    response = await api.post("/api/v1/logout", headers=first)
    assert response.status == 200 and (await response.json()) == {"ok": True}
    await get_json(api, "/api/v1/me", first, status=401)
    await get_json(api, "/api/v1/me", second)


async def test_admin_revokes_every_token_of_a_person(api):
    official, admin = await login(api, OFFICIAL), await login(api, ADMIN)
    also = await login(api, OFFICIAL)
    person_id = (await get_json(api, "/api/v1/me", official))["id"]

    response = await api.post(f"/api/v1/people/{person_id}/revoke-tokens", headers=official)
    assert response.status == 403
    assert_error(await response.json(), "forbidden")

    response = await api.post(f"/api/v1/people/{person_id}/revoke-tokens", headers=admin)
    assert response.status == 200 and (await response.json()) == {"revoked": 2}
    await get_json(api, "/api/v1/me", official, status=401)
    await get_json(api, "/api/v1/me", also, status=401)
    await get_json(api, "/api/v1/me", admin)
    response = await api.post("/api/v1/people/999999/revoke-tokens", headers=admin)
    assert response.status == 404
    assert_error(await response.json(), "not_found")


async def test_activation_sets_a_password_admins_only(api):
    admin, official = await login(api, ADMIN), await login(api, OFFICIAL)
    async with api.app[SESSIONS]() as session:
        person_id = await session.scalar(select(Person.id).where(Person.mobile == UNACTIVATED))
    path = f"/api/v1/people/{person_id}/activate"

    response = await api.post(path, json={"password": "new-password-1"}, headers=official)
    assert response.status == 403
    response = await api.post(path, json={"password": "short"}, headers=admin)
    assert response.status == 400
    assert_error(await response.json(), "invalid_input")
    response = await api.post("/api/v1/people/999999/activate", json={"password": "long-enough-1"}, headers=admin)
    assert response.status == 404

    response = await api.post(path, json={"password": "new-password-1"}, headers=admin)
    assert response.status == 200
    assert (await response.json())["activated"] is True
    async with api.app[SESSIONS]() as session:
        stored = await session.scalar(select(Person.password_hash).where(Person.id == person_id))
    assert stored.startswith("$argon2id$")
    headers = await login(api, UNACTIVATED, "new-password-1")
    assert (await get_json(api, "/api/v1/me", headers))["name"] == "钱七"

    # A reset signs the person out everywhere.
    await api.post(path, json={"password": "another-password-2"}, headers=admin)
    await get_json(api, "/api/v1/me", headers, status=401)


async def test_unknown_api_path_and_method_answer_json(api):
    headers = await login(api, ENTERPRISE_USER)
    response = await api.get("/api/v1/nothing-here", headers=headers)
    assert response.status == 404
    # Router-level errors come from orgchart/http/errors.py (aiohttp's reason, not yet Chinese).
    assert (await response.json())["error"]["code"] == "not_found"
    response = await api.delete("/api/v1/units", headers=headers)
    assert response.status == 405
    assert (await response.json())["error"]["code"] == "method_not_allowed"
