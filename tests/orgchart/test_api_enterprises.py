"""Enterprises and virtual organisations over HTTP."""
from __future__ import annotations

import pytest

from orgchart.codes import make_credit_code
from tests.orgchart import sample
from tests.orgchart.api_fixtures import (
    ENTERPRISE_USER,
    OFFICIAL,
    assert_error,
    get_json,
    login,
    start_api,
)


@pytest.fixture
async def api(aiohttp_client, db_url):
    return await start_api(aiohttp_client, db_url)


async def test_enterprises_by_region_and_name(api):
    official = await login(api, OFFICIAL)
    body = await get_json(api, "/api/v1/enterprises", official)
    assert body["total"] == 3
    body = await get_json(api, "/api/v1/enterprises", official, region=sample.KECHENG)
    assert {e["credit_code"] for e in body["items"]} == {sample.ENTERPRISE_A, sample.ENTERPRISE_B}
    body = await get_json(api, "/api/v1/enterprises", official, q="qujiang")
    assert [e["name"] for e in body["items"]] == ["衢江绿色农业合作社"]
    body = await get_json(api, "/api/v1/enterprises", official, q="衢州", region=sample.QUJIANG)
    assert body["total"] == 0
    assert_error(await get_json(api, "/api/v1/enterprises", official, status=400, region="33"), "invalid_input")


async def test_one_enterprise_and_invalid_credit_codes(api):
    official = await login(api, OFFICIAL)
    body = await get_json(api, f"/api/v1/enterprises/{sample.ENTERPRISE_A.lower()}", official)
    assert body["name"] == "衢州元立金属制品有限公司" and body["tags"] == ["规上工业", "高新技术企业"]
    assert body["registered_capital"] == 500000000 and body["region"]["code"] == sample.KECHENG
    [membership] = body["virtual_orgs"]
    assert membership["group"]["code"] == "KC-TOP" and membership["officer"]["holders"][0]["name"] == "王五"

    wrong_check = sample.ENTERPRISE_A[:17] + ("0" if sample.ENTERPRISE_A[17] != "0" else "1")
    for code, words in ((wrong_check, "校验位"), ("91330802", "18 位"), ("91330802000000019I", "不合法")):
        body = await get_json(api, f"/api/v1/enterprises/{code}", official, status=400)
        assert_error(body, "invalid_input")
        assert words in body["error"]["message"], body
    unknown = make_credit_code("330802", 999)  # valid, but not in the directory
    assert_error(await get_json(api, f"/api/v1/enterprises/{unknown}", official, status=404), "not_found")


async def test_virtual_org_tree_counts_and_members(api):
    official = await login(api, OFFICIAL)
    [org] = (await get_json(api, "/api/v1/virtual-orgs", official))["items"]
    assert org["code"] == "KC-TAXPAYERS" and org["owner"]["code"] == sample.TAX_KC

    body = await get_json(api, "/api/v1/virtual-orgs/KC-TAXPAYERS", official)
    assert body["members"] == 3
    [everyone] = body["groups"]
    assert (everyone["code"], everyone["direct_members"], everyone["members"]) == ("KC-ALL", 1, 3)
    [key] = everyone["groups"]
    assert (key["code"], key["direct_members"], key["members"]) == ("KC-KEY", 1, 2)
    assert [(g["code"], g["members"]) for g in key["groups"]] == [("KC-TOP", 1)]

    members = await get_json(api, "/api/v1/virtual-orgs/KC-TAXPAYERS/members", official, group="KC-KEY")
    assert members["total"] == 2
    assert {m["credit_code"] for m in members["items"]} == {sample.ENTERPRISE_A, sample.ENTERPRISE_C}
    page = await get_json(api, "/api/v1/virtual-orgs/KC-TAXPAYERS/members", official, limit="1", offset="2")
    assert page["total"] == 3 and len(page["items"]) == 1
    assert_error(await get_json(api, "/api/v1/virtual-orgs/KC-TAXPAYERS/members", official, status=404,
                                group="NOPE"), "not_found")
    assert_error(await get_json(api, "/api/v1/virtual-orgs/NOPE", official, status=404), "not_found")


async def test_enterprise_members_see_only_their_own_virtual_orgs(api):
    external = await login(api, ENTERPRISE_USER)
    me = await get_json(api, "/api/v1/me", external)
    assert [e["credit_code"] for e in me["enterprises"]] == [sample.ENTERPRISE_A]
    assert [o["code"] for o in (await get_json(api, "/api/v1/virtual-orgs", external))["items"]] == ["KC-TAXPAYERS"]
    await get_json(api, "/api/v1/virtual-orgs/KC-TAXPAYERS", external)
    assert_error(await get_json(api, "/api/v1/virtual-orgs/KC-TAXPAYERS/members", external, status=403), "forbidden")
    # Its own enterprise shows its officer; another enterprise's memberships stay internal.
    own = await get_json(api, f"/api/v1/enterprises/{sample.ENTERPRISE_A}", external)
    assert own["virtual_orgs"][0]["officer"]["title"] == "税务专管员"
    other = await get_json(api, f"/api/v1/enterprises/{sample.ENTERPRISE_B}", external)
    assert "virtual_orgs" not in other
