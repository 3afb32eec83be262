"""Duty aliases over HTTP: anyone logged in lists them, only admins change them (audited), and
/resolve uses a new alias at once and says which it used."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import text

from orgchart.http.keys import SESSIONS
from tests.orgchart.api_fixtures import ADMIN, ENTERPRISE_USER, OFFICIAL, assert_error, get_json, login, start_api


@pytest.fixture
async def api(aiohttp_client, db_url):
    return await start_api(aiohttp_client, db_url)


async def test_list_set_use_and_remove_an_alias(api):
    official = await login(api, OFFICIAL)
    listed = await get_json(api, "/api/v1/duty-aliases", official)
    assert {"alias": "村支书", "tags": ["村党支部书记"]} in listed["aliases"]

    admin = await login(api, ADMIN)
    path = "/api/v1/duty-aliases/" + quote("河道长")
    response = await api.put(path, json={"tags": ["河长"]}, headers=admin)
    assert response.status == 200, await response.text()
    assert await response.json() == {"alias": "河道长", "tags": ["河长"]}

    by_alias = await get_json(api, "/api/v1/resolve", official, selector="duty:河道长")
    by_tag = await get_json(api, "/api/v1/resolve", official, selector="duty:河长")
    assert by_alias["post_count"] == by_tag["post_count"] > 0
    assert by_alias["aliases"] == {"河道长": ["河长"]}
    assert by_alias["message"].endswith("; 河道长 按 河长 计")

    response = await api.delete(path, headers=admin)
    assert response.status == 204
    assert (await get_json(api, "/api/v1/resolve", official, selector="duty:河道长"))["empty"] is True
    response = await api.delete(path, headers=admin)
    assert response.status == 404
    assert_error(await response.json(), "not_found")

    async with api.app[SESSIONS]() as session:
        targets = (await session.execute(text(
            "SELECT target FROM audit_log WHERE target LIKE 'duty_alias:%' ORDER BY id"))).scalars().all()
    assert targets == ["duty_alias:河道长", "duty_alias:河道长"]


async def test_only_admins_change_aliases_and_bad_ones_name_the_field(api):
    path = "/api/v1/duty-aliases/" + quote("河道长")
    for mobile in (OFFICIAL, ENTERPRISE_USER):
        headers = await login(api, mobile)
        response = await api.put(path, json={"tags": ["河长"]}, headers=headers)
        assert response.status == 403
        assert_error(await response.json(), "forbidden")
    admin = await login(api, ADMIN)
    for body, field in [({"tags": []}, "tags"), ({}, "tags"), ({"tags": ["河道长"]}, "tags")]:
        response = await api.put(path, json=body, headers=admin)
        assert response.status == 400, body
        error = await response.json()
        assert_error(error, "invalid_input")
        assert error["error"]["details"]["field"] == field
    response = await api.put("/api/v1/duty-aliases/or", json={"tags": ["河长"]}, headers=admin)
    assert response.status == 400
    assert (await response.json())["error"]["details"]["field"] == "alias"
    response = await api.get("/api/v1/duty-aliases")
    assert response.status == 401
